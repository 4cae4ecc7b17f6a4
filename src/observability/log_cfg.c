/* A server's logging settings: lifecycle levels (atomics), and the redaction list with per-tool logging as an
 * immutable snapshot published atomically (see log_cfg.h for the reclamation rule). */
#include "observability/log_cfg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observability/log.h"
#include "protocol/server_internal.h"

struct bw_logcfg {
    atomic_int started, completed, failed;   /* bw_loglevel of each lifecycle event */
    _Atomic(bw_logsnap *) snap;
    pthread_mutex_t mu;                      /* writers only */
    bw_logsnap *retired;                     /* older snapshots, freed with the config */
};

static void snap_free(bw_logsnap *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_redact; i++)
        free(s->redact[i]);
    for (size_t i = 0; i < s->n_tools; i++)
        free(s->tools[i].name);
    free(s->redact);
    free(s->tools);
    free(s);
}

struct bw_logcfg *bw_logcfg_new(void)
{
    struct bw_logcfg *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    atomic_init(&c->started, BW_LL_DEBUG);
    atomic_init(&c->completed, BW_LL_INFO);
    atomic_init(&c->failed, BW_LL_WARN);
    bw_logsnap *s = calloc(1, sizeof *s);
    if (!s) {
        free(c);
        return NULL;
    }
    atomic_init(&c->snap, s);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void bw_logcfg_free(struct bw_logcfg *c)
{
    if (!c)
        return;
    snap_free(atomic_load(&c->snap));
    while (c->retired) {
        bw_logsnap *next = c->retired->retired_next;
        snap_free(c->retired);
        c->retired = next;
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static struct bw_logcfg *cfg_of(const bw_server *srv)
{
    return srv && srv->obs ? srv->obs->logcfg : NULL;
}

const bw_logsnap *bw_logcfg_snap(const bw_server *srv)
{
    struct bw_logcfg *c = cfg_of(srv);
    return c ? atomic_load_explicit(&c->snap, memory_order_acquire) : NULL;
}

bw_loglevel bw_logcfg_event_level(const bw_server *srv, int which)
{
    struct bw_logcfg *c = cfg_of(srv);
    if (!c)
        return which == 0 ? BW_LL_DEBUG : which == 1 ? BW_LL_INFO : BW_LL_WARN;
    atomic_int *a = which == 0 ? &c->started : which == 1 ? &c->completed : &c->failed;
    return (bw_loglevel)atomic_load_explicit(a, memory_order_relaxed);
}

static int tool_cmp(const void *a, const void *b)
{
    return strcmp(((const bw_logtool *)a)->name, ((const bw_logtool *)b)->name);
}

const bw_logtool *bw_logsnap_tool(const bw_logsnap *s, const char *name)
{
    if (!s || !name || !s->n_tools)
        return NULL;
    bw_logtool key = {.name = (char *)name};
    return bsearch(&key, s->tools, s->n_tools, sizeof *s->tools, tool_cmp);
}

/* ---- building and publishing snapshots ---- */

static bool same_snap(const bw_logsnap *a, const bw_logsnap *b)
{
    if (a->n_redact != b->n_redact || a->n_tools != b->n_tools)
        return false;
    for (size_t i = 0; i < a->n_redact; i++)
        if (strcmp(a->redact[i], b->redact[i]))
            return false;
    for (size_t i = 0; i < a->n_tools; i++)
        if (strcmp(a->tools[i].name, b->tools[i].name) || a->tools[i].arguments != b->tools[i].arguments ||
            a->tools[i].results != b->tools[i].results)
            return false;
    return true;
}

/* Publishes next (taken) unless it equals the current snapshot. Caller holds c->mu. */
static void publish_locked(struct bw_logcfg *c, bw_logsnap *next)
{
    bw_logsnap *cur = atomic_load(&c->snap);
    if (same_snap(cur, next)) {
        snap_free(next);
        return;
    }
    atomic_store_explicit(&c->snap, next, memory_order_release);
    cur->retired_next = c->retired;
    c->retired = cur;
}

static bw_status copy_redact(bw_logsnap *dst, const bw_logsnap *src)
{
    dst->redact = calloc(src->n_redact ? src->n_redact : 1, sizeof *dst->redact);
    if (!dst->redact)
        return BW_E_NOMEM;
    for (; dst->n_redact < src->n_redact; dst->n_redact++)
        if (!(dst->redact[dst->n_redact] = strdup(src->redact[dst->n_redact])))
            return BW_E_NOMEM;
    return BW_OK;
}

/* Appends one tool entry (name copied); entries logging nothing are skipped. dst->tools has room. */
static bw_status add_tool(bw_logsnap *dst, const char *name, bool arguments, bool results)
{
    if (!arguments && !results)
        return BW_OK;
    char *copy = strdup(name);
    if (!copy)
        return BW_E_NOMEM;
    dst->tools[dst->n_tools++] = (bw_logtool){.name = copy, .arguments = arguments, .results = results};
    return BW_OK;
}

/* Sorts the table and merges entries of the same name (a name given twice logs what either entry asks for). */
static void sort_tools(bw_logsnap *s)
{
    qsort(s->tools, s->n_tools, sizeof *s->tools, tool_cmp);
    size_t out = 0;
    for (size_t i = 0; i < s->n_tools; i++) {
        if (out && !strcmp(s->tools[out - 1].name, s->tools[i].name)) {
            s->tools[out - 1].arguments |= s->tools[i].arguments;
            s->tools[out - 1].results |= s->tools[i].results;
            free(s->tools[i].name);
        } else {
            s->tools[out++] = s->tools[i];
        }
    }
    s->n_tools = out;
}

/* ---- the redaction list and lifecycle levels ---- */

static bool level_of(const char *name, bw_loglevel dflt, bw_loglevel *out, const char *what, char *err, size_t errlen)
{
    if (!name) {
        *out = dflt;
        return true;
    }
    int l = bw_loglevel_parse(name);
    if (l < 0) {
        snprintf(err, errlen, "%s: unknown level '%.40s' (debug, info, warn, error or off)", what, name);
        return false;
    }
    *out = (bw_loglevel)l;
    return true;
}

typedef struct levels {
    bw_loglevel level, started, completed, failed;
} levels;

static bool parse_levels(const bw_logging_options *o, levels *lv, char *err, size_t errlen)
{
    return level_of(o->level, BW_LL_INFO, &lv->level, "level", err, errlen) &&
           level_of(o->started_level, BW_LL_DEBUG, &lv->started, "started level", err, errlen) &&
           level_of(o->completed_level, BW_LL_INFO, &lv->completed, "completed level", err, errlen) &&
           level_of(o->failed_level, BW_LL_WARN, &lv->failed, "failed level", err, errlen);
}

static bool check_redact(const char *const *names, char *err, size_t errlen)
{
    size_t n = 0;
    for (; names && names[n]; n++) {
        char norm[BW_LOG_MAX_NAME + 1];
        if (!bw_redact_normalize(names[n], norm, sizeof norm) || !norm[0]) {
            snprintf(err, errlen, "redact[%zu]: a name of 1 to %d characters other than only '_' and '-' is needed",
                     n, BW_LOG_MAX_NAME);
            return false;
        }
    }
    if (n > BW_LOG_MAX_REDACT) {
        snprintf(err, errlen, "redact: at most %d names", BW_LOG_MAX_REDACT);
        return false;
    }
    return true;
}

bw_status bw_logging_options_check(const bw_logging_options *opts, char *err, size_t errlen)
{
    levels lv;
    if (!opts)
        return BW_OK;
    return parse_levels(opts, &lv, err, errlen) && check_redact(opts->redact, err, errlen) ? BW_OK
                                                                                              : BW_E_INVALID_ARG;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A snapshot with the given redaction list (normalized, sorted, without duplicates) and cur's tools. */
static bw_logsnap *with_redact(const bw_logsnap *cur, const char *const *names)
{
    bw_logsnap *s = calloc(1, sizeof *s);
    size_t n = 0;
    while (names && names[n])
        n++;
    if (!s || !(s->redact = calloc(n ? n : 1, sizeof *s->redact)) ||
        !(s->tools = calloc(cur->n_tools ? cur->n_tools : 1, sizeof *s->tools)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        char norm[BW_LOG_MAX_NAME + 1];
        bw_redact_normalize(names[i], norm, sizeof norm);
        if (!(s->redact[s->n_redact++] = strdup(norm)))
            goto fail;
    }
    qsort(s->redact, s->n_redact, sizeof *s->redact, str_cmp);
    for (size_t i = 0; i < cur->n_tools; i++)
        if (add_tool(s, cur->tools[i].name, cur->tools[i].arguments, cur->tools[i].results))
            goto fail;
    return s;
fail:
    snap_free(s);
    return NULL;
}

bw_status bw_server_set_logging(bw_server *srv, const bw_logging_options *opts, char *err, size_t errlen)
{
    static const bw_logging_options defaults = {0};
    struct bw_logcfg *c = cfg_of(srv);
    levels lv;
    if (!c)
        return BW_E_INVALID_ARG;
    if (!opts)
        opts = &defaults;
    if (!parse_levels(opts, &lv, err, errlen) || !check_redact(opts->redact, err, errlen))
        return BW_E_INVALID_ARG;
    pthread_mutex_lock(&c->mu);
    bw_logsnap *next = with_redact(atomic_load(&c->snap), opts->redact);
    if (next)
        publish_locked(c, next);
    pthread_mutex_unlock(&c->mu);
    if (!next) {
        snprintf(err, errlen, "out of memory");
        return BW_E_NOMEM;
    }
    atomic_store(&c->started, (int)lv.started);
    atomic_store(&c->completed, (int)lv.completed);
    atomic_store(&c->failed, (int)lv.failed);
    bw_log_configure(opts->format, lv.level);
    return BW_OK;
}

/* ---- per-tool logging ---- */

static bool tool_name_ok(const char *name)
{
    return name && *name && strlen(name) <= 1024;
}

bw_status bw_logcfg_set_tools(bw_server *srv, const char *const *names, const bool *arguments, const bool *results,
                              size_t n)
{
    struct bw_logcfg *c = cfg_of(srv);
    if (!c || (n && (!names || !arguments || !results)))
        return BW_E_INVALID_ARG;
    if (n > BW_LOG_MAX_TOOLS)
        return BW_E_LIMIT;
    for (size_t i = 0; i < n; i++)
        if (!tool_name_ok(names[i]))
            return BW_E_INVALID_ARG;
    pthread_mutex_lock(&c->mu);
    const bw_logsnap *cur = atomic_load(&c->snap);
    bw_logsnap *s = calloc(1, sizeof *s);
    bw_status st = s && (s->tools = calloc(n ? n : 1, sizeof *s->tools)) ? copy_redact(s, cur) : BW_E_NOMEM;
    for (size_t i = 0; st == BW_OK && i < n; i++)
        st = add_tool(s, names[i], arguments[i], results[i]);
    if (st == BW_OK) {
        sort_tools(s);
        publish_locked(c, s);
    } else {
        snap_free(s);
    }
    pthread_mutex_unlock(&c->mu);
    return st;
}

bw_status bw_server_set_tool_logging(bw_server *srv, const char *tool, bool arguments, bool results)
{
    struct bw_logcfg *c = cfg_of(srv);
    if (!c || !tool_name_ok(tool))
        return BW_E_INVALID_ARG;
    pthread_mutex_lock(&c->mu);
    const bw_logsnap *cur = atomic_load(&c->snap);
    size_t n = cur->n_tools;
    if (n >= BW_LOG_MAX_TOOLS && !bw_logsnap_tool(cur, tool)) {
        pthread_mutex_unlock(&c->mu);
        return BW_E_LIMIT;
    }
    bw_logsnap *s = calloc(1, sizeof *s);
    bw_status st = s && (s->tools = calloc(n + 1, sizeof *s->tools)) ? copy_redact(s, cur) : BW_E_NOMEM;
    bool placed = false;
    for (size_t i = 0; st == BW_OK && i <= n; i++) {
        int cmp = i < n ? strcmp(cur->tools[i].name, tool) : 1;
        if (cmp >= 0 && !placed) {
            placed = true;
            st = add_tool(s, tool, arguments, results);
        }
        if (st == BW_OK && i < n && cmp != 0)
            st = add_tool(s, cur->tools[i].name, cur->tools[i].arguments, cur->tools[i].results);
    }
    if (st == BW_OK)
        publish_locked(c, s);
    else
        snap_free(s);
    pthread_mutex_unlock(&c->mu);
    return st;
}
