/* The audit writer thread: drains the queue into the store in batches (one transaction each), publishes each
 * written record on the event stream, and handles the store being unavailable — fail open: records go to the spool
 * and are replayed in order once the store is back; fail closed: the batch is held (and audited calls are refused
 * by bw_audit_admit) until the store is back. It also adopts new configurations and runs retention.
 *
 * Nothing here runs on a call's thread; the only shared state is the queue, the atomics and the mutex-guarded
 * hand-over fields (see audit_internal.h). */
#include "observability/audit_internal.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/sync.h"
#include "observability/audit_checkpoint.h"
#include "observability/events.h"
#include "observability/log.h"
#include "observability/metrics.h"

#define IDLE_WAIT_MS 1000

void bw_audit_writer_wake(bw_audit *a)
{
    /* Dekker handshake with sleep_until, through the single total order of seq_cst operations: the push's
     * claim of a slot (a seq_cst CAS on the queue's head) comes before this load; the writer's store of `sleeping`
     * comes before its seq_cst read of the head. So either the writer sees the record, or this sees it sleeping.
     * (No fences: ThreadSanitizer does not model them.) */
    if (!atomic_load_explicit(&a->sleeping, memory_order_seq_cst))
        return;
    pthread_mutex_lock(&a->mu);
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* ---- the store coming and going ---- */

static void store_down(bw_audit *a, const char *why)
{
    if (atomic_exchange(&a->store_up, false) || a->store)
        bw_log_msg(BW_LL_WARN, "audit trail unavailable (retrying every %d ms): %s", BW_AUDIT_RETRY_MS, why);
    bw_audit_store_close(a->store);
    a->store = NULL;
    a->next_open_ms = bw_clock_ms() + BW_AUDIT_RETRY_MS;
}

static void replay_spool(bw_audit *a)
{
    bw_audit_spool *sp = atomic_load(&a->spool);
    if (!sp || !a->store || !bw_audit_spool_take(sp))
        return;
    int64_t replayed = 0, skipped = 0;
    char err[300] = "";
    bw_status st = bw_audit_spool_replay(sp, a->store, &replayed, &skipped, err, sizeof err);
    if (st != BW_OK) {
        store_down(a, err);
        return;
    }
    bw_metrics_audit_records((long)replayed, 0, (long)skipped, 0);
    bw_log_msg(BW_LL_INFO, "audit: replayed %lld spooled records into the trail%s", (long long)replayed,
               skipped ? " (some spooled lines were not records and were skipped)" : "");
}

static void try_open(bw_audit *a)
{
    if (a->store || !a->cfg || bw_clock_ms() < a->next_open_ms)
        return;
    char err[300] = "";
    a->store = bw_audit_cfg_open(a->cfg, err, sizeof err);
    if (!a->store) {
        a->next_open_ms = bw_clock_ms() + BW_AUDIT_RETRY_MS;
        return;
    }
    if (!atomic_exchange(&a->store_up, true))
        bw_log_msg(BW_LL_INFO, "audit trail available again");
}

/* ---- writing ---- */

static void publish(bw_audit *a, const json_t *rec)
{
    if (!bw_events_wants(a->srv, "audit"))
        return; /* nobody listens: no event object built per record */
    const char *who = json_string_value(json_object_get(rec, "identity"));
    if (!who)
        who = json_string_value(json_object_get(rec, "client_name"));
    if (!who)
        who = json_string_value(json_object_get(rec, "remote_addr"));
    json_t *ev = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O?, s:s?, s:O?, s:O?}", "seq", json_object_get(rec, "seq"),
                           "time", json_object_get(rec, "time"), "event", json_object_get(rec, "event"), "method",
                           json_object_get(rec, "method"), "target", json_object_get(rec, "target"), "outcome",
                           json_object_get(rec, "outcome"), "identity", who, "remote_addr",
                           json_object_get(rec, "remote_addr"), "request_id", json_object_get(rec, "request_id"));
    if (ev)
        bw_events_publish(a->srv, "audit", ev);
}

/* Records the store could not take: spooled (fail open) or held for the next attempt (fail closed). recs are
 * stolen. */
static void divert(bw_audit *a, json_t **recs, size_t n)
{
    long spooled = 0, dropped = 0;
    bw_audit_spool *sp = atomic_load(&a->spool);
    bool closed = a->cfg && a->cfg->fail_closed;
    for (size_t i = 0; i < n; i++) {
        if (closed && a->nheld < BW_AUDIT_BATCH) {
            a->held[a->nheld++] = recs[i];
            continue;
        }
        if (!closed && sp && bw_audit_spool_append(sp, recs[i]))
            spooled++;
        else
            dropped++;
        json_decref(recs[i]);
    }
    if (spooled || dropped)
        bw_metrics_audit_records(0, spooled, dropped, 0);
}

static void write_batch(bw_audit *a, json_t **recs, size_t n)
{
    char err[300] = "";
    bw_status st = a->store ? bw_audit_store_append(a->store, recs, n, err, sizeof err) : BW_E_IO;
    if (st != BW_OK) {
        if (a->store)
            store_down(a, err);
        divert(a, recs, n);
        return;
    }
    bw_metrics_audit_records((long)n, 0, 0, 0);
    for (size_t i = 0; i < n; i++) {
        publish(a, recs[i]);
        json_decref(recs[i]);
    }
}

/* One round: held records first (fail closed), else up to `limit` (at most a batch) from the queue. Returns how many
 * records it handled (0: there was nothing). */
static size_t drain_some(bw_audit *a, size_t limit)
{
    json_t *batch[BW_AUDIT_BATCH];
    size_t n = 0;
    if (a->nheld) {
        if (!a->store)
            return false; /* still down: the held batch waits */
        memcpy(batch, a->held, a->nheld * sizeof *batch);
        n = a->nheld;
        a->nheld = 0;
    } else {
        for (json_t *rec; n < BW_AUDIT_BATCH && n < limit && (rec = bw_audit_queue_pop(a->q));)
            batch[n++] = rec;
    }
    if (n)
        write_batch(a, batch, n);
    return n;
}

static size_t drain_once(bw_audit *a)
{
    return drain_some(a, BW_AUDIT_BATCH);
}

/* Writes the records pushed before `mark` (a producer that claimed a slot may still be filling it: wait for it,
 * briefly — it is a few instructions away from done). */
static void drain_to(bw_audit *a, size_t mark)
{
    for (int idle = 0; idle < 10000 && bw_audit_queue_popped(a->q) < mark;) {
        size_t left = mark - bw_audit_queue_popped(a->q);
        if (drain_some(a, left)) {
            idle = 0;
        } else {
            if (a->nheld)
                return; /* fail closed and the store is down: they stay held for the new configuration */
            idle++;
            sched_yield();
        }
    }
}

/* ---- retention ---- */

static bool sign_cb(bw_audit_checkpoint *cp, void *user)
{
    return bw_audit_checkpoint_sign(cp, user);
}

static void retention(bw_audit *a)
{
    if (!a->store || !a->cfg || a->cfg->retention_days <= 0 || bw_clock_ms() < a->next_prune_ms)
        return;
    a->next_prune_ms = bw_clock_ms() + BW_AUDIT_PRUNE_EVERY_MS;
    uint8_t key[BW_AUDIT_KEY_BYTES];
    char err[300] = "";
    if (bw_audit_key_load(a->cfg->checkpoint_key, a->cfg->key_file, true, key, err, sizeof err) != BW_OK) {
        bw_log_msg(BW_LL_ERROR, "audit retention: %s", err);
        return;
    }
    int64_t now = bw_wall_ms();
    bw_audit_checkpoint cp = {0};
    char before[BW_AUDIT_TIME_LEN + 1];
    bw_audit_time_format(now - (int64_t)a->cfg->retention_days * 86400000, before);
    bw_audit_time_format(now, cp.time);
    int64_t removed = 0;
    if (a->store->ops->prune(a->store, before, &cp, sign_cb, key, &removed, err, sizeof err) != BW_OK)
        bw_log_msg(BW_LL_ERROR, "audit retention: %s", err);
    else if (removed)
        bw_log_msg(BW_LL_INFO, "audit retention: pruned %lld records older than %s (checkpoint at seq %lld)",
                   (long long)removed, before, (long long)cp.seq);
}

/* ---- configuration hand-over ---- */

/* Writes what is queued now with the old configuration, then switches. */
static void adopt(bw_audit *a)
{
    pthread_mutex_lock(&a->mu);
    if (!a->pending) {
        pthread_mutex_unlock(&a->mu);
        return;
    }
    bw_audit_cfg *c = a->pending_cfg;
    bw_audit_store *store = a->pending_store;
    bool reuse = a->pending_reuse;
    size_t mark = a->pending_mark;
    a->pending = false;
    a->pending_cfg = NULL;
    a->pending_store = NULL;
    pthread_mutex_unlock(&a->mu);
    drain_to(a, mark);
    if (!reuse) {
        bw_audit_store_close(a->store);
        a->store = store;
        a->next_open_ms = 0;
        atomic_store(&a->store_up, store != NULL || !c);
    }
    bw_audit_cfg_free(a->cfg);
    a->cfg = c;
    a->next_prune_ms = 0;
}

/* ---- the thread ---- */

static void sleep_until(bw_audit *a, int64_t deadline)
{
    pthread_mutex_lock(&a->mu);
    atomic_store_explicit(&a->sleeping, true, memory_order_seq_cst); /* see bw_audit_writer_wake */
    if (!a->stop && !a->pending && bw_audit_queue_length(a->q) == 0)
        bw_cond_wait_until(&a->cv, &a->mu, deadline);
    atomic_store_explicit(&a->sleeping, false, memory_order_relaxed);
    pthread_mutex_unlock(&a->mu);
}

/* Group commit: after a partial batch, records gather for up to BW_AUDIT_LINGER_MS before the next transaction, so
 * a busy server pays one commit (and its WAL page writes) per few hundred records instead of one per few. Producers
 * do not wake a lingering writer (`sleeping` stays false, so they skip the signal); stop and a configuration
 * hand-over do. */
static void linger(bw_audit *a)
{
    int64_t deadline = bw_clock_ms() + BW_AUDIT_LINGER_MS;
    pthread_mutex_lock(&a->mu);
    while (!a->stop && !a->pending && bw_audit_queue_length(a->q) < BW_AUDIT_BATCH && bw_clock_ms() < deadline)
        bw_cond_wait_until(&a->cv, &a->mu, deadline);
    pthread_mutex_unlock(&a->mu);
}

static bool stopping(bw_audit *a)
{
    pthread_mutex_lock(&a->mu);
    bool stop = a->stop;
    pthread_mutex_unlock(&a->mu);
    return stop;
}

/* At shutdown: everything still queued is written or spooled; what cannot be (fail closed with the store down) is
 * dropped, counted and logged. */
static void final_drain(bw_audit *a)
{
    adopt(a);
    try_open(a);
    replay_spool(a);
    while (drain_once(a))
        ;
    size_t lost = a->nheld;
    for (size_t i = 0; i < a->nheld; i++)
        json_decref(a->held[i]);
    a->nheld = 0;
    for (json_t *rec; (rec = bw_audit_queue_pop(a->q)); lost++)
        json_decref(rec);
    if (lost) {
        bw_log_msg(BW_LL_ERROR, "audit: %zu records could not be written before shutdown (store unavailable)", lost);
        bw_metrics_audit_records(0, 0, (long)lost, 0);
    }
}

static void *writer_main(void *arg)
{
    bw_audit *a = arg;
    while (!stopping(a)) {
        adopt(a);
        try_open(a);
        replay_spool(a);
        size_t written = drain_once(a);
        retention(a);
        if (written == BW_AUDIT_BATCH)
            continue;
        if (written > 0 && !a->nheld) {
            linger(a);
            continue;
        }
        int64_t deadline = bw_clock_ms() + IDLE_WAIT_MS;
        if ((!a->store || a->nheld) && a->next_open_ms < deadline)
            deadline = a->next_open_ms > bw_clock_ms() ? a->next_open_ms : bw_clock_ms() + BW_AUDIT_RETRY_MS;
        sleep_until(a, deadline);
    }
    final_drain(a);
    return NULL;
}

bool bw_audit_writer_start(bw_audit *a)
{
    a->thread_started = pthread_create(&a->thread, NULL, writer_main, a) == 0;
    return a->thread_started;
}

void bw_audit_writer_stop(bw_audit *a)
{
    if (!a->thread_started)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    a->thread_started = false;
}
