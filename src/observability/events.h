/* Server events for GET /events (SSE) and the status page: tool calls, health changes, audit records, and a stats
 * snapshot every second. Each subscriber has a bounded queue; a subscriber that falls behind loses the oldest events
 * (and is told how many with a "dropped" event), never slowing the publisher.
 *
 * Layout: events_bus.c (subscribers, their queues, publishing), events_ticker.c (the background thread that
 * publishes "stats" and "health", sends keep-alives and ends the streams at shutdown). The bus knows nothing about
 * HTTP: the transport hands each subscriber a waker (suspend/resume of its connection) and pulls bytes with
 * bw_events_sub_read.
 *
 * Thread-safety: everything is safe from any thread. Publishing takes no global lock: one atomic load when nobody
 * subscribes, else one short per-subscriber lock per subscriber that wants the event type. */
#ifndef BW_OBSERVABILITY_EVENTS_H
#define BW_OBSERVABILITY_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "observability/observe.h"

typedef struct bw_events bw_events;

/* Hard bound of the subscriber table (the configurable limit is at most this). */
#define BW_EVENTS_SLOTS 256

/* Owned by srv->obs (bw_observe_new / bw_observe_free). NULL on allocation failure. bw_events_free ends every open
 * stream (its connection reads the end at its next read) and joins the ticker; NULL is a no-op. */
bw_events *bw_events_new(bw_server *srv);
void bw_events_free(bw_events *ev);
/* Publishes {"type":type,"ts_ms":N,"data":data} to every subscriber (data stolen; may be NULL). Cheap when nobody
 * subscribes (one atomic load). type is a short word ([a-z_]); the frame is `id: N\nevent: type\ndata: {...}\n\n`. */
void bw_events_publish(bw_server *srv, const char *type, json_t *data);
/* Whether a subscriber wants events of this type now (a few atomic loads): lets a producer skip building an event
 * nobody reads. A subscriber may come or go right after; publishing stays correct either way. */
bool bw_events_wants(bw_server *srv, const char *type);
/* Called by observe.c at the end of every tools/call, resources/read and prompts/get: a "call" event
 * {request_id, method, target, status, error_type, error, duration_ms, session_id}. */
void bw_events_call_end(struct bw_call *call, const bw_obs_outcome *o);

/* ---- settings (observability.status) ---- */

typedef struct bw_events_options {
    bool enabled;                 /* serve GET /status and GET /events [true]; false: both answer 404 */
    int max_subscribers;          /* open /events streams; beyond it 503 [64], 1..BW_EVENTS_SLOTS */
    int queue_events;             /* events waiting per subscriber before the oldest are dropped [256], >= 16 */
    int stats_interval_ms;        /* "stats" every this long [1000], >= 100 */
    int keepalive_ms;             /* a comment line after this long without output [15000], >= 1000 */
} bw_events_options;
/* The defaults above. */
bw_events_options bw_events_defaults(void);
/* Applies the options (0 fields take the defaults; values are clamped into range). Safe on a live server: open
 * streams keep their queue bound until they end; the subscriber limit applies to new subscriptions. */
void bw_events_configure(bw_server *srv, const bw_events_options *o);
/* Whether /status and /events are served. */
bool bw_events_enabled(bw_server *srv);

/* ---- subscribers (the transport's side) ---- */

enum {
    BW_EVT_CALL = 1u << 0,
    BW_EVT_STATS = 1u << 1,
    BW_EVT_HEALTH = 1u << 2,
    BW_EVT_AUDIT = 1u << 3,
    BW_EVT_OTHER = 1u << 4,       /* any other type published (e.g. by an embedder) */
    BW_EVT_ALL = (1u << 5) - 1,
};
/* "call,health" → a mask; NULL or "" → BW_EVT_ALL. false for an unknown name or a list longer than 256 bytes. */
bool bw_events_parse_types(const char *list, unsigned *mask);

/* How the bus parks and wakes the connection that writes a subscriber. Both are called with the subscriber's lock
 * held, so a wake-up can never fall between "found nothing" and "suspended". They must not call back into the bus. */
typedef struct bw_events_waker {
    void (*suspend)(void *conn);
    void (*resume)(void *conn);
} bw_events_waker;

typedef struct bw_events_sub bw_events_sub;

/* A new subscriber receiving the types in mask. It starts with "retry:", a "hello" event ({server, version,
 * stats_interval_ms}), a "health" and a "stats" snapshot. waker (static storage) and conn (borrowed, the transport's
 * connection) may be NULL (then reads never suspend). Errors: BW_E_LIMIT (max_subscribers open), BW_E_CANCELLED
 * (the server is shutting down, or /events is disabled), BW_E_NOMEM. */
BW_NODISCARD bw_status bw_events_subscribe(bw_server *srv, unsigned mask, const bw_events_waker *waker, void *conn,
                                           bw_events_sub **out);
/* Copies at most max bytes of queued SSE text into buf. >0: bytes copied; 0: nothing queued, the connection was
 * suspended (waker->suspend) and will be resumed when there is more; -1: the stream is over (server shutdown). Runs
 * on the connection's thread. */
ssize_t bw_events_sub_read(bw_events_sub *s, char *buf, size_t max);
/* The connection ended: the subscriber leaves the bus and is freed; its conn is never touched again. */
void bw_events_unsubscribe(bw_events_sub *s);
/* Ends every open stream (a "retry:" hint first; each reads the end, none suspends again) and refuses new
 * subscribers from now on. Call before stopping the HTTP daemon that writes them (libmicrohttpd must not be stopped
 * with suspended connections). Idempotent. */
void bw_events_shutdown(bw_server *srv);
/* Ends the open streams whose connection satisfies match(conn, arg) (e.g. those of one HTTP daemon about to stop),
 * like bw_events_shutdown but without refusing new subscribers; returns how many such streams are still attached to
 * their connection (an ended stream detaches once its last bytes are written, so a caller can wait for 0 before
 * stopping the daemon). match runs under the subscriber's lock; it must not call back into the bus. */
int bw_events_end_streams(bw_server *srv, bool (*match)(void *conn, void *arg), void *arg);
/* Open subscribers / events dropped for slow subscribers so far. */
int bw_events_subscribers(bw_server *srv);
long bw_events_dropped_total(bw_server *srv);

#endif
