/* The audit trail's entry points: configuration (bw_server_set_audit), admission of audited calls in fail-closed
 * mode, and recording (a call that ended, an authentication failure). Recording builds the record on the call's
 * thread and pushes it into the lock-free queue; the writer thread (audit_writer.c) does all store I/O. */
#include "observability/audit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sync.h"
#include "observability/audit_checkpoint.h"
#include "observability/audit_record.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "protocol/call_internal.h"
#include "protocol/server_internal.h"

#define QUEUE_DEFAULT 4096
#define QUEUE_MAX (1 << 20)

bool bw_audit_method(const char *method)
{
    return method && (!strcmp(method, "tools/call") || !strcmp(method, "resources/read") ||
                      !strcmp(method, "prompts/get"));
}

static bw_audit *audit_of(bw_server *srv)
{
    return srv && srv->obs ? atomic_load_explicit(&srv->obs->audit, memory_order_acquire) : NULL;
}

/* ---- recording ---- */

/* Hands rec (stolen) to the writer; a full queue spools it (fail open) or drops it (fail closed), counted. */
static void enqueue(bw_audit *a, json_t *rec)
{
    if (!rec) {
        bw_metrics_audit_records(0, 0, 1, 0);
        return;
    }
    if (bw_audit_queue_push(a->q, rec)) {
        bw_audit_writer_wake(a);
        return;
    }
    bw_audit_spool *sp = atomic_load(&a->fail_closed) ? NULL : atomic_load(&a->spool);
    if (sp && bw_audit_spool_append(sp, rec))
        bw_metrics_audit_records(0, 1, 0, 0);
    else
        bw_metrics_audit_records(0, 0, 1, 0);
    json_decref(rec);
}

bool bw_audit_admit(bw_call *call, char *why, size_t whylen)
{
    bw_audit *a = audit_of(call->srv);
    if (!a || !atomic_load(&a->enabled) || !atomic_load(&a->fail_closed))
        return true;
    const char *reason = NULL;
    if (!atomic_load(&a->store_up))
        reason = "the audit store cannot be written";
    else if (bw_audit_queue_length(a->q) >= bw_audit_queue_capacity(a->q))
        reason = "the audit queue is full";
    if (!reason)
        return true;
    snprintf(why, whylen, "Audit trail unavailable: %s; the call was not run", reason);
    bw_metrics_audit_records(0, 0, 0, 1);
    return false;
}

void bw_audit_call_end(bw_call *call, const bw_obs_outcome *o)
{
    bw_audit *a = audit_of(call->srv);
    if (!a || !atomic_load(&a->enabled))
        return;
    enqueue(a, bw_audit_record_call(call, o, (bw_audit_arguments)atomic_load(&a->arguments)));
}

void bw_server_audit_auth_failure(bw_server *srv, const char *remote_addr, const char *user_agent,
                                  const char *identity, const char *reason)
{
    if (!srv)
        return;
    bw_metrics_auth_failure(srv, reason ? reason : "unknown");
    bw_audit *a = audit_of(srv);
    if (a && atomic_load(&a->enabled))
        enqueue(a, bw_audit_record_auth(remote_addr, user_agent, identity, reason));
}

/* ---- configurations ---- */

void bw_audit_cfg_free(bw_audit_cfg *c)
{
    if (!c)
        return;
    free(c->sqlite_path);
    free(c->postgres);
    free(c->spool_path);
    free(c->checkpoint_key);
    free(c->key_file);
    free(c);
}

static bool dup_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

static char *suffixed(const char *path, const char *suffix)
{
    size_t n = strlen(path) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", path, suffix);
    return p;
}

static bw_audit_cfg *cfg_new(const bw_audit_options *o)
{
    bw_audit_cfg *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->retention_days = o->retention_days;
    c->queue_size = o->queue_size > 0 ? o->queue_size : QUEUE_DEFAULT;
    c->fail_closed = o->fail_closed;
    c->arguments = o->arguments;
    bool ok = dup_opt(&c->sqlite_path, o->sqlite_path) && dup_opt(&c->postgres, o->postgres) &&
              dup_opt(&c->checkpoint_key, o->checkpoint_key);
    if (ok && o->spool_path)
        ok = dup_opt(&c->spool_path, o->spool_path);
    else if (ok && o->sqlite_path)
        ok = (c->spool_path = suffixed(o->sqlite_path, ".spool")) != NULL;
    if (ok && o->sqlite_path)
        ok = (c->key_file = bw_audit_key_path(o->sqlite_path)) != NULL;
    if (!ok) {
        bw_audit_cfg_free(c);
        return NULL;
    }
    return c;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool same_location(const bw_audit_cfg *a, const bw_audit_cfg *b)
{
    return a && b && str_eq(a->sqlite_path, b->sqlite_path) && str_eq(a->postgres, b->postgres);
}

static bool cfg_equal(const bw_audit_cfg *a, const bw_audit_cfg *b)
{
    return same_location(a, b) && str_eq(a->spool_path, b->spool_path) &&
           str_eq(a->checkpoint_key, b->checkpoint_key) && a->retention_days == b->retention_days &&
           a->queue_size == b->queue_size && a->fail_closed == b->fail_closed && a->arguments == b->arguments;
}

bw_audit_store *bw_audit_cfg_open(const bw_audit_cfg *c, char *err, size_t errlen)
{
    if (c->postgres)
        return bw_audit_pg_open(c->postgres, true, err, errlen);
    return bw_audit_sqlite_open(c->sqlite_path, true, err, errlen);
}

static bw_status check_options(const bw_audit_options *o, char *err, size_t errlen)
{
    if (o->sqlite_path && o->postgres) {
        snprintf(err, errlen, "audit: give either a SQLite path or a PostgreSQL connection, not both");
        return BW_E_INVALID_ARG;
    }
    if (o->queue_size < 0 || o->queue_size > QUEUE_MAX || o->retention_days < 0 ||
        (unsigned)o->arguments > BW_AUDIT_ARGS_FULL) {
        snprintf(err, errlen, "audit: queue_size must be 1..%d, retention_days >= 0, arguments a known mode",
                 QUEUE_MAX);
        return BW_E_INVALID_ARG;
    }
    if (o->checkpoint_key) {
        uint8_t key[BW_AUDIT_KEY_BYTES];
        bw_status st = bw_audit_key_load(o->checkpoint_key, NULL, false, key, err, errlen);
        if (st != BW_OK)
            return st;
    }
    if (o->postgres && o->retention_days > 0 && !o->checkpoint_key) {
        snprintf(err, errlen, "audit: retention with a PostgreSQL trail needs checkpoint_key (there is no "
                              "directory to keep a key file in)");
        return BW_E_INVALID_ARG;
    }
    return BW_OK;
}

/* ---- the audit object ---- */

static void apply_atomics(bw_audit *a, const bw_audit_cfg *c)
{
    atomic_store(&a->fail_closed, c->fail_closed);
    atomic_store(&a->arguments, (int)c->arguments);
}

/* The spool for c: the current one when the path did not change, else a new one (the old one is retired). */
static void set_spool(bw_audit *a, const bw_audit_cfg *c)
{
    bw_audit_spool *cur = atomic_load(&a->spool);
    if (cur && c->spool_path && !strcmp(bw_audit_spool_path(cur), c->spool_path))
        return;
    bw_audit_spool *sp = c->spool_path ? bw_audit_spool_new(c->spool_path, BW_AUDIT_SPOOL_MAX_BYTES) : NULL;
    atomic_store(&a->spool, sp);
    if (!cur)
        return;
    bw_audit_retired *r = malloc(sizeof *r);
    if (!r)
        return; /* leaks one spool object rather than freeing one a producer may hold */
    r->spool = cur;
    pthread_mutex_lock(&a->mu);
    r->next = a->retired;
    a->retired = r;
    pthread_mutex_unlock(&a->mu);
}

static void note_store(bw_audit_store *store, const char *err)
{
    if (!store)
        bw_log_msg(BW_LL_WARN, "audit trail unavailable (retrying every %d ms): %s", BW_AUDIT_RETRY_MS, err);
}

static bw_status audit_create(bw_server *srv, const bw_audit_options *opts, bw_audit_cfg *c, char *err,
                              size_t errlen)
{
    bw_audit *a = calloc(1, sizeof *a);
    if (!a || !(a->q = bw_audit_queue_new((size_t)c->queue_size))) {
        free(a);
        bw_audit_cfg_free(c);
        snprintf(err, errlen, "audit: out of memory");
        return BW_E_NOMEM;
    }
    a->srv = srv;
    pthread_mutex_init(&a->mu, NULL);
    bw_cond_init_monotonic(&a->cv);
    char why[300] = "";
    a->store = bw_audit_cfg_open(c, why, sizeof why);
    note_store(a->store, why);
    atomic_store(&a->store_up, a->store != NULL);
    a->cfg = c;
    apply_atomics(a, c);
    set_spool(a, c);
    if (!(a->latest = cfg_new(opts)) || !bw_audit_writer_start(a)) {
        snprintf(err, errlen, "audit: cannot start the writer thread");
        bw_audit_free(a);
        return BW_E_INTERNAL;
    }
    atomic_store(&a->enabled, true);
    atomic_store_explicit(&srv->obs->audit, a, memory_order_release);
    return BW_OK;
}

/* Hands c (stolen; NULL: disable) to the writer. A new location is opened here, so a store that cannot be reached
 * is reported to the operator at once. */
static void hand_over(bw_audit *a, bw_audit_cfg *c, const bw_audit_cfg *current)
{
    bool reuse = c && same_location(c, current);
    bw_audit_store *store = NULL;
    char why[300] = "";
    if (c && !reuse) {
        store = bw_audit_cfg_open(c, why, sizeof why);
        note_store(store, why);
    }
    if (c) {
        apply_atomics(a, c);
        set_spool(a, c);
    }
    pthread_mutex_lock(&a->mu);
    bw_audit_cfg_free(a->pending_cfg);
    bw_audit_store_close(a->pending_store);
    a->pending = true;
    a->pending_cfg = c;
    a->pending_store = store;
    a->pending_reuse = reuse;
    a->pending_mark = bw_audit_queue_pushed(a->q);
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    atomic_store(&a->enabled, c != NULL);
}

bw_status bw_server_set_audit(bw_server *srv, const bw_audit_options *opts, char *err, size_t errlen)
{
    if (!srv || !srv->obs || !opts) {
        snprintf(err, errlen, "audit: no server or options");
        return BW_E_INVALID_ARG;
    }
    bw_status st = check_options(opts, err, errlen);
    if (st != BW_OK)
        return st;
    bw_audit *a = audit_of(srv);
    bool wanted = opts->sqlite_path || opts->postgres;
    if (!wanted) {
        if (a && atomic_load(&a->enabled)) {
            hand_over(a, NULL, NULL);
            bw_audit_cfg_free(a->latest);
            a->latest = NULL;
        }
        return BW_OK;
    }
    bw_audit_cfg *c = cfg_new(opts);
    if (!c) {
        snprintf(err, errlen, "audit: out of memory");
        return BW_E_NOMEM;
    }
    if (!a)
        return audit_create(srv, opts, c, err, errlen);
    /* The latest configuration handed over is only read and written here (the configuring thread): unchanged →
     * keep everything, the writer and its store included. */
    bw_audit_cfg *prev = a->latest;
    if (prev && cfg_equal(prev, c)) {
        bw_audit_cfg_free(c);
        return BW_OK;
    }
    if (a->latest && c->queue_size != a->latest->queue_size)
        bw_log_msg(BW_LL_WARN, "audit: a new queue_size takes effect at the next restart");
    bw_audit_cfg *copy = cfg_new(opts);
    hand_over(a, c, prev);
    bw_audit_cfg_free(a->latest);
    a->latest = copy;
    return BW_OK;
}

void bw_audit_free(bw_audit *a)
{
    if (!a)
        return;
    bw_audit_writer_stop(a);
    for (json_t *rec; (rec = bw_audit_queue_pop(a->q));)
        json_decref(rec); /* only when the writer never ran */
    bw_audit_queue_free(a->q);
    bw_audit_store_close(a->store);
    bw_audit_store_close(a->pending_store);
    bw_audit_cfg_free(a->cfg);
    bw_audit_cfg_free(a->pending_cfg);
    bw_audit_cfg_free(a->latest);
    for (size_t i = 0; i < a->nheld; i++)
        json_decref(a->held[i]);
    bw_audit_spool_free(atomic_load(&a->spool));
    while (a->retired) {
        bw_audit_retired *r = a->retired;
        a->retired = r->next;
        bw_audit_spool_free(r->spool);
        free(r);
    }
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}
