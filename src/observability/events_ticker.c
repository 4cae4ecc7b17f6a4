/* The events ticker: one thread per server, started with the first subscriber. While anyone subscribes it publishes a
 * "stats" snapshot every stats_interval_ms and a "health" event whenever readiness (or a check's status) changes,
 * queues keep-alive comments on idle streams, and ends every stream as soon as the server starts shutting down (the
 * HTTP daemon must not be stopped while a stream's connection is parked). With nobody subscribed it sleeps. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/health.h"
#include "core/clock.h"
#include "observability/events_sub.h"
#include "observability/metrics.h"
#include "protocol/server_internal.h"

/* How soon a subscribed ticker notices shutdown and draining. The HTTP transport waits 200 ms between ending its own
 * streams and stopping the daemon, so this must stay well below that. */
#define POLL_MS 25
#define HEALTH_SIG_MAX 1024

typedef struct tick_state {
    int64_t next_stats_ms;
    bool draining;
    char health_sig[HEALTH_SIG_MAX];
} tick_state;

json_t *bw_events_stats_data(bw_server *srv)
{
    json_t *d = bw_metrics_summary(srv);
    if (!json_is_object(d)) {
        json_decref(d);
        d = json_object();
        if (!d)
            return NULL;
    }
    int code = 503;
    json_t *h = bw_server_health(srv, true, &code);
    json_object_set_new(d, "health", h ? h : json_null());
    if (!json_object_get(d, "ts_ms"))
        json_object_set_new(d, "ts_ms", json_integer(bw_wall_ms()));
    json_object_set_new(d, "events", json_pack("{s:i,s:I}", "subscribers", bw_events_subscribers(srv),
                                               "dropped_total", (json_int_t)bw_events_dropped_total(srv)));
    return d;
}

static const char *str_or(const json_t *v, const char *def)
{
    const char *s = json_string_value(v);
    return s ? s : def;
}

/* "status|check=status|..." of a readiness document: what a "health" event is sent for when it changes. */
static void health_signature(const json_t *h, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", str_or(json_object_get(h, "status"), "?"));
    const char *name;
    const json_t *c;
    json_object_foreach((json_t *)json_object_get(h, "checks"), name, c) {
        if (n >= cap)
            break;
        n += (size_t)snprintf(out + n, cap - n, "|%s=%s", name,
                              str_or(json_object_get(c, "status"), "?"));
    }
}

static void snapshot(bw_events *ev, tick_state *st, bool stats_due)
{
    json_t *data = bw_events_stats_data(ev->srv);
    if (!data)
        return;
    char sig[HEALTH_SIG_MAX];
    const json_t *health = json_object_get(data, "health");
    health_signature(health, sig, sizeof sig);
    /* The ticker's first snapshot has nothing to compare with: it is sent (at worst repeating a subscriber's
     * greeting), so a change between a greeting and the first tick is never lost. */
    if (strcmp(sig, st->health_sig)) {
        bw_events_publish(ev->srv, "health", json_incref((json_t *)health));
        snprintf(st->health_sig, sizeof st->health_sig, "%s", sig);
    }
    if (stats_due)
        bw_events_publish(ev->srv, "stats", data);
    else
        json_decref(data);
}

static void tick(bw_events *ev, tick_state *st, const bw_events_options *o)
{
    bw_server *srv = ev->srv;
    if (atomic_load(&ev->n_subs) == 0)
        return;
    if (atomic_load(&srv->shutting_down)) {
        /* Readers learn that the server is draining (a drain can pass in less than a tick) before their streams
         * end. */
        if (!st->draining && bw_events_wanted(ev, BW_EVT_HEALTH))
            snapshot(ev, st, false);
        st->draining = true;
        bw_events_close_all(ev, false);
        return;
    }
    int64_t now = bw_clock_ms();
    if (st->next_stats_ms > now + o->stats_interval_ms)
        st->next_stats_ms = now + o->stats_interval_ms; /* the interval was shortened by a reload */
    bool draining = bw_server_draining(srv);
    bool due = now >= st->next_stats_ms;
    if (due)
        st->next_stats_ms = now + o->stats_interval_ms;
    if ((due || draining != st->draining) && bw_events_wanted(ev, BW_EVT_STATS | BW_EVT_HEALTH))
        snapshot(ev, st, due);
    st->draining = draining;
    bw_events_keepalive(ev, now, o->keepalive_ms);
}

static void *ticker_main(void *arg)
{
    bw_events *ev = arg;
    tick_state st = {0};
    pthread_mutex_lock(&ev->ctl);
    st.next_stats_ms = bw_clock_ms() + ev->opt.stats_interval_ms;
    while (!ev->ticker_stop) {
        int wait = atomic_load(&ev->n_subs) > 0 ? POLL_MS : 1000;
        struct timespec ts = bw_clock_abs(bw_clock_ms() + wait);
        pthread_cond_timedwait(&ev->wake, &ev->ctl, &ts);
        if (ev->ticker_stop)
            break;
        if (ev->closing)
            continue; /* the streams are over and the server may be going away: touch nothing */
        bw_events_options o = ev->opt;
        ev->ticking = true;
        pthread_mutex_unlock(&ev->ctl);
        tick(ev, &st, &o);
        pthread_mutex_lock(&ev->ctl);
        ev->ticking = false;
        pthread_cond_broadcast(&ev->idle);
    }
    pthread_mutex_unlock(&ev->ctl);
    return NULL;
}

void bw_events_ticker_quiesce_locked(bw_events *ev)
{
    if (ev->ticker_running && pthread_equal(pthread_self(), ev->thread))
        return; /* the ticker closing the streams itself, from inside its tick */
    while (ev->ticking)
        pthread_cond_wait(&ev->idle, &ev->ctl);
}

bool bw_events_ticker_start_locked(bw_events *ev)
{
    if (ev->ticker_running)
        return true;
    ev->ticker_stop = false;
    /* Signals stay with the threads that wait for them (the CLI's main thread, the stdio reader). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    ev->ticker_running = pthread_create(&ev->thread, NULL, ticker_main, ev) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ev->ticker_running;
}

void bw_events_ticker_stop(bw_events *ev)
{
    pthread_mutex_lock(&ev->ctl);
    bool running = ev->ticker_running;
    ev->ticker_stop = true;
    pthread_cond_signal(&ev->wake);
    pthread_mutex_unlock(&ev->ctl);
    if (running)
        pthread_join(ev->thread, NULL);
    ev->ticker_running = false;
}
