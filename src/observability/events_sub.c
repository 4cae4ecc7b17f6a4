/* Subscribers of the event bus: a bounded queue of shared frames per subscriber (the oldest are dropped when a
 * reader falls behind, and the reader is told), the pull side the transport's content reader calls, joining and
 * leaving the subscriber table, and ending every stream at shutdown.
 *
 * A subscriber is reference counted: one reference for its slot in the table, one for the transport's connection.
 * Whoever pushes takes the slot's lock, so a subscriber cannot leave the table under a publisher's feet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "observability/events_sub.h"
#include "protocol/server_internal.h"

#define NOTE_MAX 192
#define RETRY_START_MS 2000       /* EventSource reconnection delay announced when a stream starts */
#define RETRY_END_MS 1000         /* ... and when the server ends it (shutdown: reconnect to the next instance) */

struct bw_events_sub {
    atomic_int refs;
    pthread_mutex_t mu;           /* guards everything below */
    bw_events *bus;               /* NULL once the bus is gone */
    int slot;
    unsigned mask;
    bw_events_frame **q;          /* ring of cap frames: head is the oldest */
    size_t cap, head, n;
    bw_events_frame *cur;         /* the frame being written, off bytes of it done */
    size_t off;
    char note[NOTE_MAX];          /* control text written before the next frame: retry hint, drop notice, keep-alive */
    size_t note_len, note_off;
    long dropped;                 /* frames dropped and not yet announced */
    bool done;                    /* the server ended the stream: deliver what is queued, then end */
    bool end_hint;                /* the closing retry hint was queued */
    bool suspended;               /* the connection is parked waiting for a frame */
    const bw_events_waker *waker;
    void *conn;
    int64_t last_write_ms;
};

static void sub_unref(bw_events_sub *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        bw_events_frame_unref(s->q[(s->head + i) % s->cap]);
    bw_events_frame_unref(s->cur);
    free(s->q);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static bw_events_sub *sub_new(unsigned mask, size_t cap, const bw_events_waker *waker, void *conn)
{
    bw_events_sub *s = calloc(1, sizeof *s);
    if (!s || !(s->q = calloc(cap, sizeof *s->q))) {
        free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->mu, NULL);
    s->cap = cap;
    s->mask = mask;
    s->slot = -1;
    s->waker = waker;
    s->conn = conn;
    s->last_write_ms = bw_clock_ms();
    int n = snprintf(s->note, sizeof s->note, "retry: %d\n\n", RETRY_START_MS);
    s->note_len = n > 0 ? (size_t)n : 0;
    return s;
}

/* Resumes the parked connection. Caller holds s->mu. */
static void wake_locked(bw_events_sub *s)
{
    if (s->suspended && s->waker && s->conn) {
        s->suspended = false;
        s->waker->resume(s->conn);
    }
}

void bw_events_sub_push(bw_events_sub *s, bw_events_frame *f)
{
    pthread_mutex_lock(&s->mu);
    if (!s->done) {
        if (s->n == s->cap) {
            /* Drop the oldest: a reader this far behind wants the present more than the past. */
            bw_events_frame_unref(s->q[s->head]);
            s->head = (s->head + 1) % s->cap;
            s->n--;
            s->dropped++;
            if (s->bus)
                atomic_fetch_add_explicit(&s->bus->dropped_total, 1, memory_order_relaxed);
        }
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
        s->q[(s->head + s->n) % s->cap] = f;
        s->n++;
        wake_locked(s);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Records that snprintf wrote n bytes of s->note as the next control text. */
static void note_set(bw_events_sub *s, int n)
{
    s->note_len = n > 0 && (size_t)n < sizeof s->note ? (size_t)n : 0;
    s->note_off = 0;
}

/* Moves the next piece of output into place (note, drop notice, next frame). false when nothing is left.
 * Caller holds s->mu. */
static bool next_piece_locked(bw_events_sub *s)
{
    if (s->note_off < s->note_len || s->cur)
        return true;
    if (s->dropped > 0) {
        long total = s->bus ? atomic_load(&s->bus->dropped_total) : s->dropped;
        note_set(s, snprintf(s->note, sizeof s->note,
                             "event: dropped\ndata: {\"dropped\":%ld,\"dropped_total\":%ld}\n\n", s->dropped, total));
        s->dropped = 0;
        return true;
    }
    if (s->n > 0) {
        s->cur = s->q[s->head];
        s->off = 0;
        s->head = (s->head + 1) % s->cap;
        s->n--;
        return true;
    }
    if (s->done && !s->end_hint) {
        s->end_hint = true;
        note_set(s, snprintf(s->note, sizeof s->note, "retry: %d\n\n", RETRY_END_MS));
        return true;
    }
    return false;
}

static size_t copy_out(char *dst, size_t room, const char *src, size_t len, size_t *off)
{
    size_t k = len - *off < room ? len - *off : room;
    memcpy(dst, src + *off, k);
    *off += k;
    return k;
}

ssize_t bw_events_sub_read(bw_events_sub *s, char *buf, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    while (n < max && next_piece_locked(s)) {
        if (s->note_off < s->note_len) {
            n += copy_out(buf + n, max - n, s->note, s->note_len, &s->note_off);
        } else {
            n += copy_out(buf + n, max - n, s->cur->text, s->cur->len, &s->off);
            if (s->off == s->cur->len) {
                bw_events_frame_unref(s->cur);
                s->cur = NULL;
            }
        }
    }
    ssize_t r = (ssize_t)n;
    if (n > 0) {
        s->last_write_ms = bw_clock_ms();
    } else if (s->done) {
        r = -1; /* never parked again once ended: the daemon may be stopping */
    } else if (s->waker && s->conn) {
        s->suspended = true;
        s->waker->suspend(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* ---- joining and leaving ---- */

static bool slots_ready_locked(bw_events *ev)
{
    if (ev->slots)
        return true;
    bw_events_slot *slots = calloc(BW_EVENTS_SLOTS, sizeof *slots);
    if (!slots)
        return false;
    for (int i = 0; i < BW_EVENTS_SLOTS; i++) {
        pthread_mutex_init(&slots[i].mu, NULL);
        atomic_init(&slots[i].mask, 0);
    }
    ev->slots = slots; /* published to publishers by the release stores of high / n_subs below */
    return true;
}

static bw_status join_locked(bw_events *ev, bw_events_sub *s)
{
    if (ev->closing || !ev->opt.enabled || atomic_load(&ev->srv->shutting_down))
        return BW_E_CANCELLED;
    if (atomic_load(&ev->n_subs) >= ev->opt.max_subscribers)
        return BW_E_LIMIT;
    if (!slots_ready_locked(ev) || !bw_events_ticker_start_locked(ev))
        return BW_E_NOMEM;
    int i = 0;
    while (i < BW_EVENTS_SLOTS && ev->slots[i].sub) /* slot subs change only under ctl, which we hold */
        i++;
    if (i == BW_EVENTS_SLOTS)
        return BW_E_LIMIT;
    s->bus = ev;
    s->slot = i;
    atomic_fetch_add(&s->refs, 1); /* the slot's reference */
    pthread_mutex_lock(&ev->slots[i].mu);
    ev->slots[i].sub = s;
    atomic_store_explicit(&ev->slots[i].mask, s->mask, memory_order_relaxed);
    pthread_mutex_unlock(&ev->slots[i].mu);
    if (atomic_load(&ev->high) < i + 1)
        atomic_store_explicit(&ev->high, i + 1, memory_order_release);
    atomic_fetch_add_explicit(&ev->n_subs, 1, memory_order_release);
    pthread_cond_signal(&ev->wake);
    return BW_OK;
}

/* The first events of a stream, so a page has something to show at once: who is speaking, health, stats. */
static void greet(bw_events *ev, bw_events_sub *s, int stats_interval_ms)
{
    bw_server *srv = ev->srv;
    json_t *hello = json_pack("{s:s?,s:s?,s:i}", "server", srv->name, "version", srv->version, "stats_interval_ms",
                              stats_interval_ms);
    json_t *stats = bw_events_stats_data(srv);
    json_t *subs = json_object_get(json_object_get(stats, "events"), "subscribers");
    if (json_is_integer(subs)) /* counted before this one joins: say what the stream's reader will see */
        json_integer_set(subs, json_integer_value(subs) + 1);
    json_t *health = json_incref(json_object_get(stats, "health"));
    bw_events_frame *f[3] = {bw_events_frame_new(ev, "hello", hello),
                             s->mask & BW_EVT_HEALTH ? bw_events_frame_new(ev, "health", health) : NULL,
                             s->mask & BW_EVT_STATS ? bw_events_frame_new(ev, "stats", json_incref(stats)) : NULL};
    if (!(s->mask & BW_EVT_HEALTH))
        json_decref(health);
    json_decref(stats);
    for (int i = 0; i < 3; i++) {
        if (f[i])
            bw_events_sub_push(s, f[i]);
        bw_events_frame_unref(f[i]);
    }
}

bw_status bw_events_subscribe(bw_server *srv, unsigned mask, const bw_events_waker *waker, void *conn,
                              bw_events_sub **out)
{
    *out = NULL;
    bw_events *ev = bw_events_of(srv);
    if (!ev || !atomic_load(&ev->enabled) || atomic_load(&srv->shutting_down))
        return BW_E_CANCELLED;
    pthread_mutex_lock(&ev->ctl);
    bw_events_options o = ev->opt;
    pthread_mutex_unlock(&ev->ctl);
    bw_events_sub *s = sub_new(mask ? mask : BW_EVT_ALL, (size_t)o.queue_events, waker, conn);
    if (!s)
        return BW_E_NOMEM;
    greet(ev, s, o.stats_interval_ms);
    pthread_mutex_lock(&ev->ctl);
    bw_status st = join_locked(ev, s);
    pthread_mutex_unlock(&ev->ctl);
    if (st) {
        sub_unref(s);
        return st;
    }
    *out = s;
    return BW_OK;
}

void bw_events_unsubscribe(bw_events_sub *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->waker = NULL; /* the connection is gone: never resumed again */
    s->conn = NULL;
    s->suspended = false;
    bw_events *ev = s->bus;
    pthread_mutex_unlock(&s->mu);
    bool removed = false;
    if (ev) {
        pthread_mutex_lock(&ev->ctl);
        bw_events_slot *sl = &ev->slots[s->slot];
        pthread_mutex_lock(&sl->mu);
        if (sl->sub == s) {
            sl->sub = NULL;
            atomic_store(&sl->mask, 0);
            removed = true;
        }
        pthread_mutex_unlock(&sl->mu);
        if (removed)
            atomic_fetch_sub(&ev->n_subs, 1);
        pthread_mutex_unlock(&ev->ctl);
    }
    if (removed)
        sub_unref(s);
    sub_unref(s);
}

void bw_events_close_all(bw_events *ev, bool detach)
{
    pthread_mutex_lock(&ev->ctl);
    ev->closing = true;
    bw_events_ticker_quiesce_locked(ev); /* from here the ticker leaves the server alone (it may be freed next) */
    for (int i = 0; ev->slots && i < BW_EVENTS_SLOTS; i++) {
        bw_events_slot *sl = &ev->slots[i];
        pthread_mutex_lock(&sl->mu);
        bw_events_sub *s = sl->sub;
        if (s) {
            pthread_mutex_lock(&s->mu);
            s->done = true;
            wake_locked(s);
            if (detach)
                s->bus = NULL;
            pthread_mutex_unlock(&s->mu);
            if (detach) {
                sl->sub = NULL;
                atomic_store(&sl->mask, 0);
                atomic_fetch_sub(&ev->n_subs, 1);
            }
        }
        pthread_mutex_unlock(&sl->mu);
        if (s && detach)
            sub_unref(s);
    }
    pthread_mutex_unlock(&ev->ctl);
}

int bw_events_end_streams(bw_server *srv, bool (*match)(void *conn, void *arg), void *arg)
{
    bw_events *ev = bw_events_of(srv);
    int open = 0;
    if (!ev)
        return 0;
    pthread_mutex_lock(&ev->ctl);
    for (int i = 0; ev->slots && i < BW_EVENTS_SLOTS; i++) {
        bw_events_slot *sl = &ev->slots[i];
        pthread_mutex_lock(&sl->mu);
        bw_events_sub *s = sl->sub;
        if (s) {
            pthread_mutex_lock(&s->mu);
            if (s->conn && match(s->conn, arg)) {
                s->done = true;
                wake_locked(s);
                open++;
            }
            pthread_mutex_unlock(&s->mu);
        }
        pthread_mutex_unlock(&sl->mu);
    }
    pthread_mutex_unlock(&ev->ctl);
    return open;
}

void bw_events_shutdown(bw_server *srv)
{
    bw_events *ev = bw_events_of(srv);
    if (ev)
        bw_events_close_all(ev, false);
}

void bw_events_keepalive(bw_events *ev, int64_t now_ms, int keepalive_ms)
{
    int high = atomic_load_explicit(&ev->high, memory_order_acquire);
    for (int i = 0; i < high; i++) {
        bw_events_slot *sl = &ev->slots[i];
        pthread_mutex_lock(&sl->mu);
        bw_events_sub *s = sl->sub;
        if (s) {
            pthread_mutex_lock(&s->mu);
            /* A comment line: ignored by EventSource, but it keeps proxies from cutting an idle stream and lets the
             * server notice a client that went away (the write fails). */
            if (!s->done && !s->cur && !s->n && s->note_off >= s->note_len && now_ms - s->last_write_ms >= keepalive_ms) {
                note_set(s, snprintf(s->note, sizeof s->note, ": keep-alive\n\n"));
                s->last_write_ms = now_ms;
                wake_locked(s);
            }
            pthread_mutex_unlock(&s->mu);
        }
        pthread_mutex_unlock(&sl->mu);
    }
}
