/* The event bus: its life, its settings, and publishing (framing an event once and handing the frame to every
 * subscriber that wants its type). Subscribers and their queues are in events_sub.c; the ticker in
 * events_ticker.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/sync.h"
#include "observability/events_internal.h"
#include "observability/events_sub.h"
#include "protocol/call_internal.h"
#include "protocol/server_internal.h"

#define ERROR_TEXT_MAX 200        /* a call event carries at most this much of the error message */

bw_events_options bw_events_defaults(void)
{
    return (bw_events_options){.enabled = true, .max_subscribers = 64, .queue_events = 256,
                               .stats_interval_ms = 1000, .keepalive_ms = 15000};
}

bw_events *bw_events_new(bw_server *srv)
{
    bw_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->srv = srv;
    ev->opt = bw_events_defaults();
    atomic_init(&ev->enabled, true);
    pthread_mutex_init(&ev->ctl, NULL);
    if (bw_cond_init_monotonic(&ev->wake) != 0) {
        pthread_mutex_destroy(&ev->ctl);
        free(ev);
        return NULL;
    }
    pthread_cond_init(&ev->idle, NULL);
    return ev;
}

void bw_events_free(bw_events *ev)
{
    if (!ev)
        return;
    bw_events_ticker_stop(ev);
    bw_events_close_all(ev, true);
    if (ev->slots) {
        for (int i = 0; i < BW_EVENTS_SLOTS; i++)
            pthread_mutex_destroy(&ev->slots[i].mu);
        free(ev->slots);
    }
    pthread_cond_destroy(&ev->wake);
    pthread_cond_destroy(&ev->idle);
    pthread_mutex_destroy(&ev->ctl);
    free(ev);
}

bw_events *bw_events_of(bw_server *srv)
{
    return srv && srv->obs ? srv->obs->events : NULL;
}

/* ---- settings ---- */

static int clamp(int v, int def, int lo, int hi)
{
    if (v <= 0)
        return def;
    return v < lo ? lo : v > hi ? hi : v;
}

void bw_events_configure(bw_server *srv, const bw_events_options *o)
{
    bw_events *ev = bw_events_of(srv);
    if (!ev || !o)
        return;
    bw_events_options d = bw_events_defaults();
    pthread_mutex_lock(&ev->ctl);
    ev->opt.enabled = o->enabled;
    ev->opt.max_subscribers = clamp(o->max_subscribers, d.max_subscribers, 1, BW_EVENTS_SLOTS);
    ev->opt.queue_events = clamp(o->queue_events, d.queue_events, 16, 1 << 20);
    ev->opt.stats_interval_ms = clamp(o->stats_interval_ms, d.stats_interval_ms, 100, 3600 * 1000);
    ev->opt.keepalive_ms = clamp(o->keepalive_ms, d.keepalive_ms, 1000, 3600 * 1000);
    atomic_store(&ev->enabled, o->enabled);
    pthread_cond_signal(&ev->wake); /* the ticker picks up a new interval at once */
    pthread_mutex_unlock(&ev->ctl);
}

bool bw_events_enabled(bw_server *srv)
{
    bw_events *ev = bw_events_of(srv);
    return ev && atomic_load(&ev->enabled);
}

int bw_events_subscribers(bw_server *srv)
{
    bw_events *ev = bw_events_of(srv);
    return ev ? atomic_load(&ev->n_subs) : 0;
}

long bw_events_dropped_total(bw_server *srv)
{
    bw_events *ev = bw_events_of(srv);
    return ev ? atomic_load(&ev->dropped_total) : 0;
}

/* ---- publishing ---- */

static unsigned type_bit(const char *type)
{
    if (!strcmp(type, "call"))
        return BW_EVT_CALL;
    if (!strcmp(type, "stats"))
        return BW_EVT_STATS;
    if (!strcmp(type, "health"))
        return BW_EVT_HEALTH;
    if (!strcmp(type, "audit"))
        return BW_EVT_AUDIT;
    return BW_EVT_OTHER;
}

bool bw_events_parse_types(const char *list, unsigned *mask)
{
    *mask = BW_EVT_ALL;
    if (!list || !*list)
        return true;
    char copy[257];
    size_t n = strlen(list);
    if (n >= sizeof copy)
        return false;
    memcpy(copy, list, n + 1);
    unsigned m = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned bit = type_bit(t);
        if (bit == BW_EVT_OTHER && strcmp(t, "other"))
            return false;
        m |= bit;
    }
    if (!m)
        return false;
    *mask = m;
    return true;
}

/* The event type goes into the SSE "event:" line: only a short [a-z0-9_] word may (no line break can sneak in). */
static bool type_ok(const char *type)
{
    size_t n = 0;
    for (const char *p = type; *p; p++, n++)
        if (n >= 32 || !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return n > 0;
}

bw_events_frame *bw_events_frame_new(bw_events *ev, const char *type, json_t *data)
{
    json_t *env = json_pack("{s:s,s:I,s:o}", "type", type, "ts_ms", (json_int_t)bw_wall_ms(), "data",
                            data ? data : json_null());
    char *text = env ? json_dumps(env, JSON_COMPACT) : NULL; /* jansson escapes control characters: one line */
    json_decref(env);
    if (!text)
        return NULL;
    unsigned long id = atomic_fetch_add_explicit(&ev->next_id, 1, memory_order_relaxed) + 1;
    size_t tlen = strlen(text);
    size_t cap = tlen + strlen(type) + 64;
    bw_events_frame *f = malloc(sizeof *f + cap);
    if (f) {
        atomic_init(&f->refs, 1);
        int n = snprintf(f->text, cap, "id: %lu\nevent: %s\ndata: %s\n\n", id, type, text);
        f->len = n > 0 ? (size_t)n : 0;
    }
    free(text);
    return f;
}

void bw_events_frame_unref(bw_events_frame *f)
{
    if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
        free(f);
}

bool bw_events_wanted(bw_events *ev, unsigned mask)
{
    if (atomic_load_explicit(&ev->n_subs, memory_order_acquire) == 0)
        return false;
    int high = atomic_load_explicit(&ev->high, memory_order_acquire);
    for (int i = 0; i < high; i++)
        if (atomic_load_explicit(&ev->slots[i].mask, memory_order_relaxed) & mask)
            return true;
    return false;
}

bool bw_events_wants(bw_server *srv, const char *type)
{
    bw_events *ev = bw_events_of(srv);
    return ev && type && type_ok(type) && bw_events_wanted(ev, type_bit(type));
}

void bw_events_publish(bw_server *srv, const char *type, json_t *data)
{
    bw_events *ev = bw_events_of(srv);
    if (!ev || atomic_load_explicit(&ev->n_subs, memory_order_acquire) == 0 || !type || !type_ok(type)) {
        json_decref(data);
        return;
    }
    unsigned bit = type_bit(type);
    if (!bw_events_wanted(ev, bit)) {
        json_decref(data);
        return;
    }
    bw_events_frame *f = bw_events_frame_new(ev, type, data);
    if (!f)
        return;
    int high = atomic_load_explicit(&ev->high, memory_order_acquire);
    for (int i = 0; i < high; i++) {
        bw_events_slot *sl = &ev->slots[i];
        if (!(atomic_load_explicit(&sl->mask, memory_order_relaxed) & bit))
            continue;
        pthread_mutex_lock(&sl->mu);
        if (sl->sub)
            bw_events_sub_push(sl->sub, f);
        pthread_mutex_unlock(&sl->mu);
    }
    bw_events_frame_unref(f);
}

/* ---- call events ---- */

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

void bw_events_call_end(struct bw_call *call, const bw_obs_outcome *o)
{
    bw_events *ev = bw_events_of(call->srv);
    if (!ev || !bw_events_wanted(ev, BW_EVT_CALL))
        return;
    char err[ERROR_TEXT_MAX + 4];
    const char *error = NULL;
    if (o->error) {
        /* Cut on a UTF-8 character boundary so the string stays valid. */
        size_t n = strlen(o->error);
        if (n > ERROR_TEXT_MAX) {
            n = ERROR_TEXT_MAX;
            while (n > 0 && ((unsigned char)o->error[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(err, o->error, n);
        err[n] = '\0';
        error = err;
    }
    json_t *d = json_object();
    if (!d)
        return;
    json_object_set_new(d, "request_id", json_string(call->obs.request_id));
    json_object_set_new(d, "method", json_string(o->method));
    json_object_set_new(d, "target", str_or_null(o->target));
    json_object_set_new(d, "status", json_string(o->status ? o->status : "ok"));
    json_object_set_new(d, "error_type", str_or_null(o->error_type));
    json_object_set_new(d, "error", str_or_null(error));
    json_object_set_new(d, "duration_ms", json_real(o->duration_s * 1000.0));
    json_object_set_new(d, "session_id", str_or_null(call->obs.session_id));
    bw_events_publish(call->srv, "call", d);
}
