/* Health: the check registry, the background thread that runs the checks, the startup latch, the probe documents
 * and the drain flag.
 *
 * Probes never run a dependency check themselves: the health thread runs every registered check each interval_ms
 * (one at a time, each bounded by check_timeout_ms by contract) and stores the result; a probe reads the stored
 * results plus the cheap built-in checks (health_builtin.c), so /health/ready answers in microseconds even while
 * a database hangs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "core/clock.h"
#include "core/sync.h"
#include "protocol/server_internal.h"
#include "reliability/health_internal.h"
#include "observability/log.h"

#define DETAIL_MAX 200

typedef struct hcheck {
    char *name;
    bw_health_fn fn;
    void *user;              /* not owned */
    bool required;
    bool has_result;         /* ran at least once */
    bool passed_once;        /* passed (or warned) at least once: counts for the startup latch */
    bool running;            /* the health thread is inside fn (mu released) */
    bw_check_status status;
    int64_t latency_ms;
    char detail[DETAIL_MAX];
} hcheck;

struct bw_health {
    pthread_mutex_t mu;      /* guards everything below */
    pthread_cond_t cv;       /* wakes the thread (stop, new check, new options) and removers waiting on `running` */
    bw_health_options opts;
    hcheck **checks;
    size_t n, cap;
    bool started_up;         /* latched once every required check passed once */
    bool thread_started, stop;
    bool kick;               /* run a round now (a check was added) */
    pthread_t thread;
};

/* Lazy creation races between a transport's threads and registration; one process-wide lock makes it simple (it
 * guards only the pointer, never a probe). */
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

static const bw_health_options default_opts = {
    .interval_ms = 2000, .check_timeout_ms = 1000, .memory_limit_bytes = 0, .queue_saturation_pct = 90};

static struct bw_health *health_new(void)
{
    struct bw_health *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    bw_cond_init_monotonic(&h->cv);
    h->opts = default_opts;
    return h;
}

/* The server's health state, created on first use; NULL only on allocation failure. */
static struct bw_health *health_of(bw_server *srv)
{
    pthread_mutex_lock(&create_mu);
    if (!srv->health)
        srv->health = health_new();
    struct bw_health *h = srv->health;
    pthread_mutex_unlock(&create_mu);
    return h;
}

/* ---- registry ---- */

static hcheck *find_locked(struct bw_health *h, const char *name, size_t *index)
{
    for (size_t i = 0; i < h->n; i++) {
        if (!strcmp(h->checks[i]->name, name)) {
            if (index)
                *index = i;
            return h->checks[i];
        }
    }
    return NULL;
}

static bool grow_locked(struct bw_health *h)
{
    if (h->n < h->cap)
        return true;
    size_t cap = h->cap ? h->cap * 2 : 8;
    hcheck **p = realloc(h->checks, cap * sizeof *p);
    if (!p)
        return false;
    h->checks = p;
    h->cap = cap;
    return true;
}

bw_status bw_server_add_health_check(bw_server *srv, const char *name, bw_health_fn fn, void *user, bool required)
{
    if (!srv || !name || !*name || strlen(name) > 200 || !fn)
        return BW_E_INVALID_ARG;
    struct bw_health *h = health_of(srv);
    hcheck *c = h ? calloc(1, sizeof *c) : NULL;
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return BW_E_NOMEM;
    }
    c->fn = fn;
    c->user = user;
    c->required = required;
    c->status = BW_CHECK_FAIL;
    snprintf(c->detail, sizeof c->detail, "not checked yet");
    bw_status st = BW_OK;
    pthread_mutex_lock(&h->mu);
    if (find_locked(h, name, NULL))
        st = BW_E_EXISTS;
    else if (!grow_locked(h))
        st = BW_E_NOMEM;
    else
        h->checks[h->n++] = c;
    h->kick = st == BW_OK;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (st != BW_OK) {
        free(c->name);
        free(c);
    }
    return st;
}

bw_status bw_server_remove_health_check(bw_server *srv, const char *name)
{
    struct bw_health *h = srv && name ? health_of(srv) : NULL;
    if (!h)
        return srv && name ? BW_E_NOMEM : BW_E_INVALID_ARG;
    pthread_mutex_lock(&h->mu);
    hcheck *c;
    /* A running invocation may use `user`, which the caller frees after this returns: wait for it. The index is
     * looked up again after each wait since the array may have changed meanwhile. */
    size_t i = 0;
    while ((c = find_locked(h, name, &i)) && c->running)
        pthread_cond_wait(&h->cv, &h->mu);
    if (c) {
        memmove(h->checks + i, h->checks + i + 1, (h->n - i - 1) * sizeof *h->checks);
        h->n--;
    }
    pthread_mutex_unlock(&h->mu);
    if (!c)
        return BW_E_NOT_FOUND;
    free(c->name);
    free(c);
    return BW_OK;
}

bw_status bw_server_set_health(bw_server *srv, const bw_health_options *opts)
{
    if (!srv || !opts || opts->interval_ms < 0 || opts->check_timeout_ms < 0 || opts->queue_saturation_pct < 0 ||
        opts->queue_saturation_pct > 100)
        return BW_E_INVALID_ARG;
    struct bw_health *h = health_of(srv);
    if (!h)
        return BW_E_NOMEM;
    bw_health_options o = *opts;
    if (!o.interval_ms)
        o.interval_ms = default_opts.interval_ms;
    if (!o.check_timeout_ms)
        o.check_timeout_ms = default_opts.check_timeout_ms;
    if (!o.queue_saturation_pct)
        o.queue_saturation_pct = default_opts.queue_saturation_pct;
    pthread_mutex_lock(&h->mu);
    h->opts = o;
    h->kick = true; /* a round now, and the next wait uses the new interval */
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return BW_OK;
}

bw_health_options bw_health_options_of(bw_server *srv)
{
    struct bw_health *h = health_of(srv);
    if (!h)
        return default_opts;
    pthread_mutex_lock(&h->mu);
    bw_health_options o = h->opts;
    pthread_mutex_unlock(&h->mu);
    return o;
}

/* ---- running the checks ---- */

/* Runs check c (marked running by the caller, mu held on entry and exit) with mu released, and stores the result. */
static void run_check_locked(struct bw_health *h, hcheck *c, int timeout_ms)
{
    bw_health_fn fn = c->fn;
    void *user = c->user;
    char detail[DETAIL_MAX] = "";
    pthread_mutex_unlock(&h->mu);
    int64_t t0 = bw_clock_ms();
    bw_check_status st = fn(user, timeout_ms, detail, sizeof detail);
    int64_t took = bw_clock_ms() - t0;
    pthread_mutex_lock(&h->mu);
    detail[sizeof detail - 1] = '\0';
    c->status = st;
    c->latency_ms = took;
    c->has_result = true;
    c->passed_once = c->passed_once || st != BW_CHECK_FAIL;
    memcpy(c->detail, detail, sizeof detail);
}

static void run_round(struct bw_health *h)
{
    pthread_mutex_lock(&h->mu);
    int timeout_ms = h->opts.check_timeout_ms;
    /* Checks added or removed while one runs shift the array: a check may be skipped or run twice this round,
     * which the next round evens out. */
    for (size_t i = 0; i < h->n && !h->stop; i++) {
        hcheck *c = h->checks[i];
        c->running = true;
        run_check_locked(h, c, timeout_ms);
        c->running = false;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
}

void bw_health_run_once(bw_server *srv)
{
    struct bw_health *h = health_of(srv);
    if (h)
        run_round(h);
}

static void *health_main(void *arg)
{
    struct bw_health *h = arg;
    for (;;) {
        run_round(h);
        pthread_mutex_lock(&h->mu);
        int64_t next = bw_clock_ms() + h->opts.interval_ms;
        while (!h->stop && !h->kick && bw_clock_ms() < next)
            bw_cond_wait_until(&h->cv, &h->mu, next);
        bool stop = h->stop;
        h->kick = false;
        pthread_mutex_unlock(&h->mu);
        if (stop)
            return NULL;
    }
}

void bw_health_start(bw_server *srv)
{
    struct bw_health *h = health_of(srv);
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    if (!h->thread_started && !h->stop) {
        h->thread_started = pthread_create(&h->thread, NULL, health_main, h) == 0;
        if (!h->thread_started)
            bw_log_msg(BW_LL_ERROR, "cannot start the health-check thread; readiness stays on the last results");
    }
    pthread_mutex_unlock(&h->mu);
}

void bw_health_free(bw_server *srv)
{
    struct bw_health *h = srv->health;
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_broadcast(&h->cv);
    bool join = h->thread_started;
    pthread_mutex_unlock(&h->mu);
    if (join)
        pthread_join(h->thread, NULL);
    for (size_t i = 0; i < h->n; i++) {
        free(h->checks[i]->name);
        free(h->checks[i]);
    }
    free(h->checks);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
    srv->health = NULL;
}

/* ---- probe documents ---- */

static const char *status_name(bw_check_status st)
{
    return st == BW_CHECK_PASS ? "pass" : st == BW_CHECK_WARN ? "warn" : "fail";
}

/* Adds the registered checks' last results to `checks`; *failed when a required one fails, *starting while a
 * required one never passed and the startup latch is still open. Caller holds h->mu. */
static void stored_checks_locked(struct bw_health *h, json_t *checks, bool *failed, bool *starting)
{
    bool all_passed_once = true;
    for (size_t i = 0; i < h->n; i++) {
        const hcheck *c = h->checks[i];
        json_object_set_new(checks, c->name,
                            json_pack("{s:s,s:I,s:s,s:b}", "status", status_name(c->status), "latency_ms",
                                      (json_int_t)c->latency_ms, "detail", c->detail, "required", c->required));
        if (c->required && c->status == BW_CHECK_FAIL)
            *failed = true;
        if (c->required && !c->passed_once)
            all_passed_once = false;
    }
    h->started_up = h->started_up || all_passed_once;
    *starting = !h->started_up;
}

static json_t *document(bw_server *srv, const char *status, json_t *checks)
{
    json_t *doc = json_pack("{s:s,s:s,s:I}", "status", status, "version", bw_version(), "uptime_s",
                            (json_int_t)((bw_clock_ms() - srv->created_ms) / 1000));
    if (doc && checks)
        json_object_set_new(doc, "checks", checks);
    else
        json_decref(checks);
    return doc;
}

json_t *bw_server_health(bw_server *srv, bool readiness, int *http_status)
{
    int code = 200;
    json_t *doc = NULL;
    if (!readiness) {
        doc = document(srv, "pass", NULL);
    } else {
        struct bw_health *h = health_of(srv);
        json_t *checks = json_object();
        bool failed = false, starting = true;
        if (h && checks) {
            bw_health_options o = bw_health_options_of(srv);
            failed = bw_health_builtin(srv, &o, checks);
            pthread_mutex_lock(&h->mu);
            stored_checks_locked(h, checks, &failed, &starting);
            pthread_mutex_unlock(&h->mu);
        }
        const char *status = bw_server_draining(srv) ? "draining" : starting ? "starting" : failed ? "fail" : "pass";
        code = strcmp(status, "pass") ? 503 : 200;
        doc = document(srv, status, checks);
    }
    if (http_status)
        *http_status = doc ? code : 503;
    return doc;
}

/* ---- drain ---- */

void bw_server_begin_drain(bw_server *srv)
{
    if (srv)
        atomic_store(&srv->draining, true);
}

bool bw_server_draining(const bw_server *srv)
{
    return srv && atomic_load(&srv->draining);
}
