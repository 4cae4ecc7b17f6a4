#include "reliability/bulkhead.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/sync.h"

/* The longest a waiter sleeps without looking at its cancellation callback. */
#define CANCEL_POLL_MS 50

/* A queued caller. It lives on the caller's stack; the list links and `granted` are guarded by the bulkhead's
 * mutex, and whoever grants it signals `cv` while holding that mutex, so the waiter cannot destroy `cv` early. */
typedef struct waiter {
    pthread_cond_t cv;
    struct waiter *prev, *next;
    bool granted; /* a slot was handed over: running already counts it */
} waiter;

struct bw_bulkhead {
    pthread_mutex_t mu;
    bw_bulkhead_policy cfg; /* defaults resolved */
    int running;
    int queued;
    waiter *head, *tail; /* FIFO: head is the oldest */
    uint64_t rejections;
};

static bw_bulkhead_policy resolve(const bw_bulkhead_policy *in)
{
    bw_bulkhead_policy p = in ? *in : (bw_bulkhead_policy){0};
    if (p.max_concurrent < 0)
        p.max_concurrent = 0;
    if (p.max_queue < 0)
        p.max_queue = 0;
    if (p.queue_timeout_ms <= 0)
        p.queue_timeout_ms = 1000;
    return p;
}

static bool has_room(const bw_bulkhead *b)
{
    return b->cfg.max_concurrent == 0 || b->running < b->cfg.max_concurrent;
}

static void unlink_waiter(bw_bulkhead *b, waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        b->tail = w->prev;
    w->prev = w->next = NULL;
    b->queued--;
}

/* Hands free slots to the oldest waiters. Called with the mutex held whenever a slot frees or the limit rises. */
static void grant_waiters(bw_bulkhead *b)
{
    while (b->head && has_room(b)) {
        waiter *w = b->head;
        unlink_waiter(b, w);
        w->granted = true;
        b->running++;
        pthread_cond_signal(&w->cv);
    }
}

bw_bulkhead *bw_bulkhead_new(const bw_bulkhead_policy *cfg)
{
    bw_bulkhead *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        return NULL;
    }
    b->cfg = resolve(cfg);
    return b;
}

void bw_bulkhead_free(bw_bulkhead *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void bw_bulkhead_configure(bw_bulkhead *b, const bw_bulkhead_policy *cfg)
{
    pthread_mutex_lock(&b->mu);
    b->cfg = resolve(cfg);
    grant_waiters(b);
    pthread_mutex_unlock(&b->mu);
}

/* Sleeps (mutex held on entry and exit) until w is granted, cancelled, or `until` passes. */
static bw_status wait_in_queue(bw_bulkhead *b, waiter *w, int64_t until, bool (*cancelled)(void *), void *ctx)
{
    for (;;) {
        if (w->granted)
            return BW_OK;
        if (cancelled) {
            /* The callback is the caller's code: never run it under our lock. */
            pthread_mutex_unlock(&b->mu);
            bool stop = cancelled(ctx);
            pthread_mutex_lock(&b->mu);
            if (w->granted)
                return BW_OK;
            if (stop)
                return BW_E_CANCELLED;
        }
        int64_t now = bw_clock_ms();
        if (now >= until)
            return BW_E_TIMEOUT;
        int64_t wake = until;
        if (cancelled && now + CANCEL_POLL_MS < wake)
            wake = now + CANCEL_POLL_MS;
        bw_cond_wait_until(&w->cv, &b->mu, wake);
    }
}

/* Queues the caller (mutex held) and waits for a slot; a waiter that leaves without one unlinks itself. */
static bw_status enqueue_and_wait(bw_bulkhead *b, int64_t deadline_ms, bool (*cancelled)(void *), void *ctx)
{
    waiter w = {0};
    /* No condition variable, no place in the queue: refuse as if it were full. */
    if (bw_cond_init_monotonic(&w.cv) != 0) {
        b->rejections++;
        return BW_E_OVERLOADED;
    }
    w.prev = b->tail;
    if (b->tail)
        b->tail->next = &w;
    else
        b->head = &w;
    b->tail = &w;
    b->queued++;
    int64_t until = bw_clock_ms() + b->cfg.queue_timeout_ms;
    if (deadline_ms > 0 && deadline_ms < until)
        until = deadline_ms;
    bw_status st = wait_in_queue(b, &w, until, cancelled, ctx);
    if (st != BW_OK)
        unlink_waiter(b, &w);
    if (st == BW_E_TIMEOUT)
        b->rejections++;
    pthread_cond_destroy(&w.cv);
    return st;
}

bw_status bw_bulkhead_acquire(bw_bulkhead *b, int64_t deadline_ms, bool (*cancelled)(void *ctx), void *ctx)
{
    bw_status st = BW_OK;
    pthread_mutex_lock(&b->mu);
    /* grant_waiters runs whenever room appears, so waiters exist only while there is none: a newcomer that finds
     * room cannot be overtaking anyone. */
    if (has_room(b))
        b->running++;
    else if (b->queued >= b->cfg.max_queue) {
        b->rejections++;
        st = BW_E_OVERLOADED;
    } else
        st = enqueue_and_wait(b, deadline_ms, cancelled, ctx);
    pthread_mutex_unlock(&b->mu);
    return st;
}

void bw_bulkhead_release(bw_bulkhead *b)
{
    pthread_mutex_lock(&b->mu);
    if (b->running > 0)
        b->running--;
    grant_waiters(b);
    pthread_mutex_unlock(&b->mu);
}

bw_bulkhead_stats bw_bulkhead_stats_of(bw_bulkhead *b)
{
    pthread_mutex_lock(&b->mu);
    bw_bulkhead_stats s = {.running = b->running, .queued = b->queued, .rejections = b->rejections};
    pthread_mutex_unlock(&b->mu);
    return s;
}
