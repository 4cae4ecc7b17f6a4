/* The policy layer's server-level state: the default policy, the server-wide in-flight cap, the result cache, the
 * idempotency store, the per-tool statistics and the dependencies (bw_server_set_reliability,
 * bw_server_set_dependency, bw_policy_overloaded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/server_internal.h"
#include "reliability/policy.h"
#include "reliability/reliability_internal.h"
#include "observability/log.h"

struct bw_retired {
    bw_retired *next;
    void (*free_fn)(void *obj);
    void *obj;
};

static void free_stats(void *item)
{
    free(item);
}

static void free_dep(void *item)
{
    bw_dep *d = item;
    bw_breaker_free(d->breaker);
    bw_bulkhead_free(d->bulkhead);
    free(d);
}

bw_reliability *bw_reliability_new(void)
{
    bw_reliability *rel = calloc(1, sizeof *rel);
    if (!rel)
        return NULL;
    pthread_mutex_init(&rel->mu, NULL);
    atomic_init(&rel->max_in_flight, 0);
    atomic_init(&rel->in_flight, 0);
    rel->cache_max_bytes = BW_CACHE_DEFAULT_BYTES;
    atomic_init(&rel->cache, bw_result_cache_new(rel->cache_max_bytes));
    atomic_init(&rel->idem, NULL);
    rel->tools = bw_name_table_new(free_stats);
    rel->deps = bw_name_table_new(free_dep);
    if (!atomic_load(&rel->cache) || !rel->tools || !rel->deps) {
        bw_reliability_free(rel);
        return NULL;
    }
    return rel;
}

void bw_reliability_free(bw_reliability *rel)
{
    if (!rel)
        return;
    for (bw_retired *r = rel->retired, *next; r; r = next) {
        next = r->next;
        r->free_fn(r->obj);
        free(r);
    }
    bw_result_cache_free(atomic_load(&rel->cache));
    bw_idem_close(atomic_load(&rel->idem));
    bw_name_table_free(rel->tools);
    bw_name_table_free(rel->deps);
    bw_tool_policy_clear(&rel->defaults);
    free(rel->state_db);
    pthread_mutex_destroy(&rel->mu);
    free(rel);
}

/* ---- tables ---- */

static void *make_stats(const char *name, void *ctx)
{
    (void)name;
    (void)ctx;
    return calloc(1, sizeof(bw_tool_stats)); /* zero is a valid initial value of every atomic counter */
}

bw_tool_stats *bw_rel_tool_stats(bw_reliability *rel, const char *name)
{
    return bw_name_table_get(rel->tools, name, make_stats, NULL);
}

static void *make_dep(const char *name, void *ctx)
{
    (void)name;
    const bw_dependency_def *def = ctx;
    bw_dep *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->breaker = bw_breaker_new(def ? &def->breaker : &(bw_breaker_policy){0});
    d->bulkhead = bw_bulkhead_new(def ? &def->bulkhead : &(bw_bulkhead_policy){0});
    atomic_init(&d->required, def && def->required);
    if (!d->breaker || !d->bulkhead) {
        free_dep(d);
        return NULL;
    }
    return d;
}

bw_dep *bw_rel_dep(bw_reliability *rel, const char *name)
{
    return bw_name_table_get(rel->deps, name, make_dep, NULL);
}

/* ---- policies ---- */

static bool dup_str(const char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

void bw_tool_policy_clear(bw_tool_policy *p)
{
    free((char *)p->idempotency.key_argument);
    free((char *)p->idempotency.key_meta);
    free((char *)p->dependency);
    free((char *)p->fallback_tool);
    p->idempotency.key_argument = p->idempotency.key_meta = p->dependency = p->fallback_tool = NULL;
}

bool bw_tool_policy_copy(bw_tool_policy *dst, const bw_tool_policy *src)
{
    *dst = *src;
    bool ok = dup_str(&dst->idempotency.key_argument, src->idempotency.key_argument);
    ok = dup_str(&dst->idempotency.key_meta, src->idempotency.key_meta) && ok;
    ok = dup_str(&dst->dependency, src->dependency) && ok;
    ok = dup_str(&dst->fallback_tool, src->fallback_tool) && ok;
    if (!ok)
        bw_tool_policy_clear(dst);
    return ok;
}

/* ---- bw_server_set_dependency ---- */

static bool breaker_valid(const bw_breaker_policy *b)
{
    return b->failure_threshold >= -1 && b->failure_rate >= 0 && b->failure_rate <= 1 && b->window_ms >= 0 &&
           b->min_calls >= 0 && b->open_ms >= 0 && b->half_open_calls >= 0 && b->success_threshold >= 0;
}

bool bw_bulkhead_policy_valid(const bw_bulkhead_policy *b)
{
    return b->max_concurrent >= 0 && b->max_queue >= 0 && b->queue_timeout_ms >= 0;
}

bw_status bw_server_set_dependency(bw_server *srv, const bw_dependency_def *def)
{
    if (!srv || !srv->rel || !def || !def->name || !*def->name || strlen(def->name) > 512 ||
        !breaker_valid(&def->breaker) || !bw_bulkhead_policy_valid(&def->bulkhead))
        return BW_E_INVALID_ARG;
    bw_dep *d = bw_name_table_get(srv->rel->deps, def->name, make_dep, (void *)def);
    if (!d)
        return BW_E_NOMEM;
    /* A re-declaration (reload) keeps the breaker's state and the bulkhead's holders. */
    bw_breaker_configure(d->breaker, &def->breaker);
    bw_bulkhead_configure(d->bulkhead, &def->bulkhead);
    atomic_store(&d->required, def->required);
    return BW_OK;
}

/* ---- bw_server_set_reliability ---- */

static void retire_locked(bw_reliability *rel, void (*free_fn)(void *), void *obj)
{
    bw_retired *r = malloc(sizeof *r);
    if (!r) {
        /* Cannot keep it for later; leaking one object beats freeing it under a running call. */
        bw_log_msg(BW_LL_ERROR, "out of memory while replacing a reliability store");
        return;
    }
    *r = (bw_retired){.next = rel->retired, .free_fn = free_fn, .obj = obj};
    rel->retired = r;
}

static void idem_close(void *s)
{
    bw_idem_close(s);
}

static void cache_free(void *c)
{
    bw_result_cache_free(c);
}

/* Opens the idempotency store at path unless it is open already; the replaced one is retired (calls may still be
 * using it). rel->mu held. */
static bw_status open_store_locked(bw_reliability *rel, const char *path, char *err, size_t errlen)
{
    if ((!path && !rel->state_db) || (path && rel->state_db && strcmp(path, rel->state_db) == 0))
        return BW_OK;
    char *copy = path ? strdup(path) : NULL;
    if (path && !copy)
        return BW_E_NOMEM;
    bw_idem_store *s = path ? bw_idem_open(path, err, errlen) : NULL;
    if (path && !s) {
        free(copy);
        return BW_E_IO;
    }
    bw_idem_store *old = atomic_exchange(&rel->idem, s);
    if (old)
        retire_locked(rel, idem_close, old);
    free(rel->state_db);
    rel->state_db = copy;
    return BW_OK;
}

static void forget_in(const char *name, void *item, void *cache)
{
    (void)item;
    bw_result_cache_forget_tool(cache, name);
}

/* A new cache bound takes a new cache; the old one is emptied (every tool that ever ran has a statistics entry) and
 * retired, since calls may still hold it. rel->mu held. */
static bw_status resize_cache_locked(bw_reliability *rel, size_t max_bytes)
{
    if (max_bytes == 0)
        max_bytes = BW_CACHE_DEFAULT_BYTES;
    if (max_bytes == rel->cache_max_bytes)
        return BW_OK;
    bw_result_cache *c = bw_result_cache_new(max_bytes);
    if (!c)
        return BW_E_NOMEM;
    bw_result_cache *old = atomic_exchange(&rel->cache, c);
    bw_name_table_each(rel->tools, forget_in, old);
    retire_locked(rel, cache_free, old);
    rel->cache_max_bytes = max_bytes;
    return BW_OK;
}

bw_status bw_server_set_reliability(bw_server *srv, const bw_reliability_options *opts, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!srv || !srv->rel || !opts || opts->max_in_flight < 0)
        return BW_E_INVALID_ARG;
    bw_reliability *rel = srv->rel;
    bw_tool_policy defaults = {0};
    if (opts->defaults) {
        bw_status st = bw_tool_policy_check(opts->defaults, err, errlen);
        if (st)
            return st;
        if (!bw_tool_policy_copy(&defaults, opts->defaults))
            return BW_E_NOMEM;
    }
    pthread_mutex_lock(&rel->mu);
    bw_status st = open_store_locked(rel, opts->state_db, err, errlen);
    if (st == BW_OK)
        st = resize_cache_locked(rel, opts->cache_max_bytes);
    if (st == BW_OK) {
        bw_tool_policy_clear(&rel->defaults);
        rel->defaults = defaults;
        atomic_store(&rel->max_in_flight, opts->max_in_flight);
    }
    pthread_mutex_unlock(&rel->mu);
    if (st != BW_OK)
        bw_tool_policy_clear(&defaults);
    return st;
}

/* ---- the server-wide cap ---- */

bool bw_policy_overloaded(bw_server *srv, int *retry_after_s)
{
    if (retry_after_s)
        *retry_after_s = 1;
    if (!srv || !srv->rel)
        return false;
    int max = atomic_load_explicit(&srv->rel->max_in_flight, memory_order_relaxed);
    return max > 0 && atomic_load_explicit(&srv->rel->in_flight, memory_order_relaxed) >= max;
}
