/* The generic connection pool of a database: borrow/return, health checks, lifetime and idle recycling. */
#include "providers/sql_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/sync.h"
#include "observability/metrics.h"

typedef enum slot_state { SLOT_EMPTY, SLOT_OPENING, SLOT_IDLE, SLOT_BUSY } slot_state;

typedef struct slot {
    void *conn;
    slot_state state;
    int64_t created_ms, idle_since_ms;
    unsigned checked_gen; /* the pool generation the connection was last known good in */
    bool used;
    int wake_fd;
} slot;

struct bw_sql_pool {
    const bw_sql_db *db;
    const bw_sql_driver *drv;
    bw_sql_pool_cfg cfg;
    pthread_mutex_t mu;
    pthread_cond_t freed;  /* a connection was returned or a slot emptied */
    pthread_cond_t wakeup; /* the reaper should stop */
    slot *slots;
    int *idle; /* idle slot indices; the top is the most recently returned */
    int n_idle, n_open;
    unsigned gen; /* bumped whenever a connection is found broken: every idle one is checked before reuse */
    bool stopping;
    bool reaper_started;
    pthread_t reaper;
};

static void empty_slot(bw_sql_pool *p, int s)
{
    p->slots[s].conn = NULL;
    p->slots[s].state = SLOT_EMPTY;
    p->n_open--;
    pthread_cond_signal(&p->freed);
}

/* Takes idle slot at stack position k out of the idle stack. Caller holds mu. */
static int take_idle(bw_sql_pool *p, int k)
{
    int s = p->idle[k];
    for (int j = k; j + 1 < p->n_idle; j++)
        p->idle[j] = p->idle[j + 1];
    p->n_idle--;
    return s;
}

/* Closes connections idle longer than idle_timeout_ms while more than `min` are open, oldest first. */
static void reap(bw_sql_pool *p)
{
    void *doomed[64];
    int n = 0;
    int64_t now = bw_clock_ms();
    pthread_mutex_lock(&p->mu);
    while (n < 64 && p->n_idle > 0 && p->n_open > p->cfg.min &&
           now - p->slots[p->idle[0]].idle_since_ms >= p->cfg.idle_timeout_ms) {
        int s = take_idle(p, 0);
        doomed[n++] = p->slots[s].conn;
        empty_slot(p, s);
    }
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < n; i++)
        p->drv->close(doomed[i]);
}

static void *reaper_main(void *arg)
{
    bw_sql_pool *p = arg;
    int64_t period = p->cfg.idle_timeout_ms / 2;
    if (period > 60000)
        period = 60000;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        int64_t until = bw_clock_ms() + period;
        while (!p->stopping && bw_cond_wait_until(&p->wakeup, &p->mu, until) == 0)
            ;
        if (p->stopping)
            break;
        pthread_mutex_unlock(&p->mu);
        reap(p);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

bw_sql_pool *bw_sql_pool_new(const bw_sql_db *db)
{
    bw_sql_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->db = db;
    p->drv = db->drv;
    p->cfg = db->pool_cfg;
    p->slots = calloc((size_t)p->cfg.max, sizeof *p->slots);
    p->idle = calloc((size_t)p->cfg.max, sizeof *p->idle);
    pthread_mutex_init(&p->mu, NULL);
    bw_cond_init_monotonic(&p->freed);
    bw_cond_init_monotonic(&p->wakeup);
    if (!p->slots || !p->idle) {
        bw_sql_pool_free(p);
        return NULL;
    }
    for (int i = 0; i < p->cfg.max; i++)
        p->slots[i].wake_fd = -1;
    p->reaper_started = pthread_create(&p->reaper, NULL, reaper_main, p) == 0;
    bw_metrics_pool_register(db->name, p);
    return p;
}

void bw_sql_pool_free(bw_sql_pool *p)
{
    if (!p)
        return;
    bw_metrics_pool_unregister(p); /* first: a metrics render may be reading this pool's counts */
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->wakeup);
    pthread_mutex_unlock(&p->mu);
    if (p->reaper_started)
        pthread_join(p->reaper, NULL);
    for (int i = 0; p->slots && i < p->cfg.max; i++) {
        if (p->slots[i].conn)
            p->drv->close(p->slots[i].conn);
        if (p->slots[i].wake_fd >= 0)
            close(p->slots[i].wake_fd);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->freed);
    pthread_cond_destroy(&p->wakeup);
    free(p->slots);
    free(p->idle);
    free(p);
}

static int find_empty(const bw_sql_pool *p)
{
    for (int i = 0; i < p->cfg.max; i++)
        if (p->slots[i].state == SLOT_EMPTY)
            return i;
    return -1;
}

/* Opens a connection into a reserved slot. Called with mu held; returns with mu held. */
static bw_status open_into(bw_sql_pool *p, int s, int64_t deadline_ms, char *err, size_t errlen)
{
    p->slots[s].state = SLOT_OPENING;
    p->n_open++;
    pthread_mutex_unlock(&p->mu);
    void *conn = NULL;
    bw_status st = p->drv->connect(p->db, deadline_ms, &conn, err, errlen);
    pthread_mutex_lock(&p->mu);
    if (st != BW_OK) {
        empty_slot(p, s);
        return BW_E_TOOL;
    }
    int64_t now = bw_clock_ms();
    p->slots[s] = (slot){.conn = conn, .state = SLOT_BUSY, .created_ms = now, .idle_since_ms = now,
                         .checked_gen = p->gen, .wake_fd = p->slots[s].wake_fd};
    return BW_OK;
}

bw_status bw_sql_pool_fill(bw_sql_pool *p, int64_t deadline_ms, char *err, size_t errlen)
{
    bw_status st = BW_OK;
    pthread_mutex_lock(&p->mu);
    while (st == BW_OK && p->n_open < p->cfg.min) {
        int s = find_empty(p);
        st = open_into(p, s, deadline_ms, err, errlen);
        if (st == BW_OK) {
            p->slots[s].state = SLOT_IDLE;
            p->idle[p->n_idle++] = s;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}

/* Pops the most recent idle connection and checks it when due. Called with mu held; returns with mu held.
 * true with *s set when it is usable; false when it was broken (and closed). */
static bool borrow_idle(bw_sql_pool *p, int64_t deadline_ms, int *s)
{
    *s = take_idle(p, p->n_idle - 1);
    slot *sl = &p->slots[*s];
    sl->state = SLOT_BUSY;
    unsigned gen = p->gen;
    if (sl->checked_gen == gen && bw_clock_ms() - sl->idle_since_ms <= p->cfg.health_check_idle_ms)
        return true;
    pthread_mutex_unlock(&p->mu);
    bool ok = p->drv->ping(sl->conn, deadline_ms);
    if (!ok)
        p->drv->close(sl->conn);
    pthread_mutex_lock(&p->mu);
    if (ok) {
        sl->checked_gen = gen;
        return true;
    }
    p->gen++; /* what broke this one (a restart) most likely broke its siblings */
    empty_slot(p, *s);
    return false;
}

/* Monotonic seconds at nanosecond resolution: most acquires take microseconds, below bw_clock_ms' resolution. */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bw_status bw_sql_pool_acquire(bw_sql_pool *p, int64_t limit_ms, bw_sql_lease *lease, char *err, size_t errlen)
{
    double started = mono_s();
    int64_t start = bw_clock_ms();
    int64_t deadline_ms = start + p->cfg.acquire_timeout_ms < limit_ms ? start + p->cfg.acquire_timeout_ms : limit_ms;
    bw_status st = BW_OK;
    int s = -1;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->n_idle > 0) {
            if (borrow_idle(p, deadline_ms, &s))
                break;
            continue;
        }
        if (p->n_open < p->cfg.max) {
            s = find_empty(p);
            st = open_into(p, s, deadline_ms, err, errlen);
            break;
        }
        if (bw_clock_ms() >= deadline_ms) {
            snprintf(err, errlen, "database '%s': no connection available within %lld ms (pool of %d busy)",
                     p->db->name, (long long)(deadline_ms - start), p->cfg.max);
            st = BW_E_TIMEOUT;
            break;
        }
        bw_cond_wait_until(&p->freed, &p->mu, deadline_ms);
    }
    if (st == BW_OK)
        *lease = (bw_sql_lease){p->slots[s].conn, s, p->slots[s].used};
    pthread_mutex_unlock(&p->mu);
    /* Every outcome is observed: a timed-out acquire is exactly the wait operators need to see. */
    bw_metrics_pool_wait(p, mono_s() - started);
    return st;
}

void bw_sql_pool_release(bw_sql_pool *p, bw_sql_lease *lease)
{
    slot *sl = &p->slots[lease->slot];
    int64_t now = bw_clock_ms();
    bool broken = p->drv->broken(lease->conn);
    bool expired = p->cfg.max_lifetime_ms > 0 && now - sl->created_ms >= p->cfg.max_lifetime_ms;
    if (broken || expired) {
        p->drv->close(lease->conn);
        pthread_mutex_lock(&p->mu);
        if (broken)
            p->gen++;
        empty_slot(p, lease->slot);
        pthread_mutex_unlock(&p->mu);
    } else {
        pthread_mutex_lock(&p->mu);
        sl->state = SLOT_IDLE;
        sl->idle_since_ms = now;
        sl->used = true;
        p->idle[p->n_idle++] = lease->slot;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->mu);
    }
    lease->conn = NULL;
}

int bw_sql_pool_wake_fd(bw_sql_pool *p, const bw_sql_lease *lease)
{
    pthread_mutex_lock(&p->mu);
    slot *sl = &p->slots[lease->slot];
    if (sl->wake_fd < 0)
        sl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int fd = sl->wake_fd;
    pthread_mutex_unlock(&p->mu);
    return fd;
}

void bw_sql_pool_counts(bw_sql_pool *p, int *in_use, int *idle, int *max)
{
    pthread_mutex_lock(&p->mu);
    *idle = p->n_idle;
    *in_use = p->n_open - p->n_idle; /* n_open counts connections being opened too: they are taken */
    *max = p->cfg.max;
    pthread_mutex_unlock(&p->mu);
}
