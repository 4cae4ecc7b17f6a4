#include "reliability/breaker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The failure-rate window is a ring of BUCKETS time buckets of window_ms / BUCKETS each: bounded memory, O(1) per
 * record, and the window slides in steps of a tenth of its length. */
#define BUCKETS 10

/* When half-open and every probe slot is taken, callers are told to come back after this long (the probes'
 * outcome is unknown; a second is the wire's resolution anyway). */
#define HALF_OPEN_BUSY_RETRY_MS 1000

typedef struct bucket {
    int64_t epoch; /* now_ms / bucket_ms of the samples counted here */
    uint32_t calls, failures;
} bucket;

struct bw_breaker {
    pthread_mutex_t mu;
    bw_breaker_policy cfg; /* defaults resolved */
    bw_breaker_state state; /* as stored: OPEN may already be past open_until (see advance) */
    int64_t open_until;     /* when OPEN: the time it half-opens */
    int consecutive;        /* failures in a row while closed */
    int probes;             /* half-open probes admitted and not yet recorded or released */
    int probe_successes;    /* successful probes since it half-opened */
    int64_t bucket_ms;
    int64_t latest_epoch;   /* the newest bucket epoch seen (threads may record slightly out of time order) */
    bucket window[BUCKETS];
    uint64_t transitions, opened;
};

static bw_breaker_policy resolve(const bw_breaker_policy *in)
{
    bw_breaker_policy p = in ? *in : (bw_breaker_policy){0};
    if (p.failure_threshold == 0)
        p.failure_threshold = 5;
    if (p.failure_rate <= 0)
        p.failure_rate = 0.5;
    if (p.window_ms <= 0)
        p.window_ms = 30000;
    if (p.min_calls <= 0)
        p.min_calls = 10;
    if (p.open_ms <= 0)
        p.open_ms = 30000;
    if (p.half_open_calls <= 0)
        p.half_open_calls = 1;
    if (p.success_threshold <= 0)
        p.success_threshold = 1;
    return p;
}

static bool disabled(const bw_breaker *b)
{
    return b->cfg.failure_threshold < 0;
}

static void apply_config(bw_breaker *b, const bw_breaker_policy *cfg)
{
    b->cfg = resolve(cfg);
    int64_t bucket_ms = (b->cfg.window_ms + BUCKETS - 1) / BUCKETS;
    if (bucket_ms != b->bucket_ms) {
        /* Buckets of another width cannot be compared: the rate starts over (the consecutive count is kept). */
        b->bucket_ms = bucket_ms;
        memset(b->window, 0, sizeof b->window);
        b->latest_epoch = 0;
    }
}

static void reset_counts(bw_breaker *b)
{
    b->consecutive = 0;
    b->probes = 0;
    b->probe_successes = 0;
    memset(b->window, 0, sizeof b->window);
    b->latest_epoch = 0;
}

static void set_state(bw_breaker *b, bw_breaker_state s, int64_t now_ms)
{
    if (b->state == s)
        return;
    b->transitions++;
    b->state = s;
    reset_counts(b);
    if (s == BW_BREAKER_OPEN) {
        b->opened++;
        b->open_until = now_ms + b->cfg.open_ms;
    }
}

/* The lazy open → half-open transition: nothing runs a timer, the first caller after open_until flips it. */
static void advance(bw_breaker *b, int64_t now_ms)
{
    if (b->state == BW_BREAKER_OPEN && now_ms >= b->open_until)
        set_state(b, BW_BREAKER_HALF_OPEN, now_ms);
}

bw_breaker *bw_breaker_new(const bw_breaker_policy *cfg)
{
    bw_breaker *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        return NULL;
    }
    b->state = BW_BREAKER_CLOSED;
    apply_config(b, cfg);
    return b;
}

void bw_breaker_free(bw_breaker *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void bw_breaker_configure(bw_breaker *b, const bw_breaker_policy *cfg)
{
    pthread_mutex_lock(&b->mu);
    apply_config(b, cfg);
    /* A disabled breaker admits everything, so it must not keep reporting open (health would fail for nothing). */
    if (disabled(b) && b->state != BW_BREAKER_CLOSED)
        set_state(b, BW_BREAKER_CLOSED, 0);
    pthread_mutex_unlock(&b->mu);
}

static bool admit(bw_breaker *b, int64_t now_ms, int64_t *retry_after_ms)
{
    advance(b, now_ms);
    switch (b->state) {
    case BW_BREAKER_CLOSED:
        return true;
    case BW_BREAKER_HALF_OPEN:
        if (b->probes < b->cfg.half_open_calls) {
            b->probes++;
            return true;
        }
        *retry_after_ms = HALF_OPEN_BUSY_RETRY_MS < b->cfg.open_ms ? HALF_OPEN_BUSY_RETRY_MS : b->cfg.open_ms;
        return false;
    case BW_BREAKER_OPEN:
        *retry_after_ms = b->open_until - now_ms;
        return false;
    }
    return true;
}

bool bw_breaker_allow(bw_breaker *b, int64_t now_ms, int64_t *retry_after_ms)
{
    int64_t retry_after = 0;
    pthread_mutex_lock(&b->mu);
    bool ok = disabled(b) || admit(b, now_ms, &retry_after);
    pthread_mutex_unlock(&b->mu);
    if (retry_after_ms)
        *retry_after_ms = retry_after;
    return ok;
}

/* Adds one sample to the window; true when the failure rate now reaches its threshold. */
static bool window_add(bw_breaker *b, int64_t now_ms, bool ok)
{
    int64_t epoch = now_ms / b->bucket_ms;
    bucket *k = &b->window[epoch % BUCKETS];
    if (k->epoch > epoch)
        return false; /* older than the window (a thread that read the clock long before locking) */
    if (k->epoch < epoch)
        *k = (bucket){.epoch = epoch};
    k->calls++;
    k->failures += !ok;
    if (epoch > b->latest_epoch)
        b->latest_epoch = epoch;
    uint64_t calls = 0, failures = 0;
    for (int i = 0; i < BUCKETS; i++) {
        if (b->window[i].epoch > b->latest_epoch - BUCKETS) {
            calls += b->window[i].calls;
            failures += b->window[i].failures;
        }
    }
    return calls >= (uint64_t)b->cfg.min_calls && (double)failures >= b->cfg.failure_rate * (double)calls;
}

static void record_closed(bw_breaker *b, int64_t now_ms, bool ok)
{
    bool rate_reached = window_add(b, now_ms, ok);
    if (ok) {
        b->consecutive = 0;
        return;
    }
    b->consecutive++;
    /* Only a failure opens it: a success never turns the breaker open, even if the rate was already high. */
    if (b->consecutive >= b->cfg.failure_threshold || rate_reached)
        set_state(b, BW_BREAKER_OPEN, now_ms);
}

static void record_probe(bw_breaker *b, int64_t now_ms, bool ok)
{
    /* Without a probe outstanding this is a call admitted before the breaker opened: it says nothing new. */
    if (b->probes == 0)
        return;
    b->probes--;
    if (!ok)
        set_state(b, BW_BREAKER_OPEN, now_ms);
    else if (++b->probe_successes >= b->cfg.success_threshold)
        set_state(b, BW_BREAKER_CLOSED, now_ms);
}

void bw_breaker_record(bw_breaker *b, int64_t now_ms, bool ok)
{
    pthread_mutex_lock(&b->mu);
    if (!disabled(b)) {
        advance(b, now_ms);
        if (b->state == BW_BREAKER_CLOSED)
            record_closed(b, now_ms, ok);
        else if (b->state == BW_BREAKER_HALF_OPEN)
            record_probe(b, now_ms, ok);
        /* OPEN: a late outcome of a call admitted while closed; the breaker already acted. */
    }
    pthread_mutex_unlock(&b->mu);
}

void bw_breaker_release(bw_breaker *b)
{
    pthread_mutex_lock(&b->mu);
    if (b->state == BW_BREAKER_HALF_OPEN && b->probes > 0)
        b->probes--;
    pthread_mutex_unlock(&b->mu);
}

bw_breaker_state bw_breaker_state_at(bw_breaker *b, int64_t now_ms)
{
    return bw_breaker_stats_at(b, now_ms).state;
}

bw_breaker_stats bw_breaker_stats_at(bw_breaker *b, int64_t now_ms)
{
    pthread_mutex_lock(&b->mu);
    advance(b, now_ms);
    bw_breaker_stats s = {.state = b->state, .transitions = b->transitions, .opened = b->opened};
    if (b->state == BW_BREAKER_OPEN)
        s.retry_after_ms = b->open_until - now_ms;
    pthread_mutex_unlock(&b->mu);
    return s;
}

const char *bw_breaker_state_name(bw_breaker_state s)
{
    switch (s) {
    case BW_BREAKER_CLOSED:
        return "closed";
    case BW_BREAKER_HALF_OPEN:
        return "half_open";
    case BW_BREAKER_OPEN:
        return "open";
    }
    return "unknown";
}
