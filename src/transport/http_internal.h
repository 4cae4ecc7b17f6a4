/* Streamable HTTP internals: sessions, streams and the pieces of the request handler. */
#ifndef BW_TRANSPORT_HTTP_INTERNAL_H
#define BW_TRANSPORT_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>

#include "transport/http_mhd.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/http.h"
#include "core/buf.h"
#include "protocol/session.h"

#define BW_SESSION_ID_LEN 32        /* hex characters: 128 random bits */
#define BW_STREAM_EVENTS_KEPT 256   /* replay store per stream, events */
#define BW_STREAM_BYTES_KEPT (1u << 20) /* replay store per stream, bytes */
#define BW_STREAMS_KEPT 32          /* finished streams a session keeps for resumption */
#define BW_MODERN_STREAM_MAX_UNSENT (1u << 20) /* a 2026-07-28 response/listen stream: unsent bytes */

typedef struct hsession hsession;
typedef struct hstream hstream;

typedef enum hstream_mode { HS_PENDING, HS_JSON, HS_SSE } hstream_mode;

typedef struct hevent {
    uint64_t seq;
    char *frame;        /* the complete SSE frame as written ("id: ...\ndata: ...\n\n") */
    size_t len;
} hevent;

/* One response stream: a POST's reply (JSON or SSE) or the session's standalone GET stream.
 * Guarded by mu; referenced by its session and by the connection currently writing it. */
struct hstream {
    atomic_int refs;
    pthread_mutex_t mu;
    unsigned id;                 /* unique within the session; event ids are "<id>-<seq>" */
    bool standalone;             /* the GET stream (never "done") */
    bool legacy;                 /* 2024-11-05 /sse stream: frames are "event: message" */
    bool priming;                /* send a priming event when SSE starts (2025-11-25) */
    hstream_mode mode;
    int pending;                 /* requests on this stream still unanswered */
    bool done;                   /* everything this stream will carry is queued */
    bool cut;                    /* the server ended the connection early (retry); resumable */
    bool overflowed;             /* the unsent bytes passed the stream's bound: it was ended */
    char *json;                  /* HS_JSON: the response body */
    size_t json_len;
    bw_buf out;                  /* SSE bytes not yet handed to the connection */
    hevent *events;              /* replay store, oldest first */
    size_t n_events, store_bytes;
    uint64_t next_seq;
    struct MHD_Connection *conn; /* attached writer, or NULL */
    bool suspended;              /* conn is suspended waiting for data */
    int64_t last_write_ms;
};

/* A Streamable HTTP (or legacy SSE) session around one protocol session. */
struct hsession {
    atomic_int refs;
    char id[BW_SESSION_ID_LEN + 1];
    bw_session *session;
    pthread_mutex_t mu;          /* guards the fields below */
    json_t *by_request;          /* request id key → stream index in streams (as integer) */
    hstream **streams;           /* live and recently finished streams */
    size_t n_streams, cap_streams;
    hstream *standalone;         /* the GET stream (or the legacy /sse stream) */
    unsigned next_stream_id;
    bool legacy;
    bool stateless;
    bool modern;                 /* one 2026-07-28 request: its error code decides the HTTP status */
    atomic_int rpc_error;        /* modern: the JSON-RPC error code of the answer, or 0 */
    bool closed;
    int64_t last_used_ms;
    hsession *next;              /* hash chain */
    hsession *next_expired;      /* scratch list while expiring */
};

/* ---- streams (http_stream.c) ---- */
hstream *hstream_new(unsigned id, bool standalone, bool legacy, bool priming);
void hstream_ref(hstream *st);
/* Bounds the bytes queued but not yet written; past it the stream is ended (see emit_locked). */
void hstream_bound(hstream *st, size_t max_unsent);
void hstream_unref(hstream *st);
/* Queues one outgoing message; decides JSON vs SSE on the first one. Wakes the writer. */
void hstream_push(hstream *st, const char *text, size_t len, bw_out_kind kind);
/* Queues raw SSE text (endpoint events, comments). */
void hstream_push_raw(hstream *st, const char *text, size_t len);
/* Ends the connection early after a retry hint; later messages are kept for resumption. */
void hstream_cut(hstream *st, int retry_ms);
/* One of the stream's requests ended without a response (cancelled); the stream ends when none is left. */
void hstream_unanswered(hstream *st);
/* Queues an SSE "retry:" field (the reconnection delay) on an event stream whose connection is attached; for a
 * stream about to end at shutdown. No-op for JSON answers. */
void hstream_retry_hint(hstream *st, int retry_ms);
/* Marks the stream finished (session ended) and wakes its writer. */
void hstream_finish(hstream *st);
/* Attaches a resuming connection: queues the stored events after seq. */
void hstream_resume_from(hstream *st, uint64_t seq);
/* One connection writing a stream. A stream has at most one current writer; a writer that was replaced (the client
 * resumed on a new connection) ends at its next read. */
typedef struct hwriter {
    hstream *st;                 /* reference */
    struct MHD_Connection *conn;
} hwriter;

/* Makes conn the stream's writer. A previous writer that is waiting is woken so it can end. */
void hstream_attach(hstream *st, struct MHD_Connection *conn);
/* The SSE content reader for MHD (cls = an hwriter from hwriter_new). */
ssize_t hstream_read(void *cls, uint64_t pos, char *buf, size_t max);
hwriter *hwriter_new(hstream *st, struct MHD_Connection *conn);
void hwriter_free(void *w);
/* Sends a keep-alive comment if the stream idled longer than idle_ms. */
void hstream_keepalive(hstream *st, int64_t now_ms, int idle_ms);

/* ---- sessions (http_sessions.c) ---- */
bool hsessions_init(size_t buckets);
void hsessions_destroy(void);
/* A new session (not yet in the table). NULL on allocation failure. */
hsession *hsession_new(bw_server *srv, bool legacy, bool stateless);
void hsession_ref(hsession *hs);
void hsession_unref(hsession *hs);
/* Adds to the table; false when max sessions are live. */
bool hsessions_add(hsession *hs, size_t max_sessions);
/* A new reference to the live session with that id, or NULL. Refreshes its last use. */
hsession *hsessions_find(const char *id);
/* Ends a session: out of the table, streams finished, in-flight calls cancelled. Idempotent. */
void hsession_close(hsession *hs);
/* Runs fn on every live session (under the table lock: fn must not call back into the table). */
void hsessions_each(void (*fn)(hsession *hs, void *arg), void *arg);
/* Closes sessions idle longer than idle_ms. */
void hsessions_expire(int64_t now_ms, int idle_ms);
size_t hsessions_count(void);
/* Registers a POST stream for the request ids in msg; returns it (a reference). */
hstream *hsession_open_post(hsession *hs, const json_t *msg, bool priming);
/* The stream for Last-Event-ID "<stream>-<seq>", or NULL; *seq set. A reference. */
hstream *hsession_find_event_stream(hsession *hs, const char *last_event_id, uint64_t *seq);
/* Replaces the standalone stream with a new one (the old one is finished). A reference. */
hstream *hsession_open_standalone(hsession *hs, bool priming);

/* ---- request-head deadline (http_conns.c) ---- */
/* MHD_OPTION_NOTIFY_CONNECTION callback: tracks each connection's socket. */
void hconns_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code);
/* A request head arrived on c / its response completed (the next head's clock starts). */
void hconns_head_done(struct MHD_Connection *c);
void hconns_request_done(struct MHD_Connection *c);
/* Shuts down sockets that waited longer than head_deadline_ms for a complete request head. */
void hconns_enforce(int64_t now_ms, int head_deadline_ms);

/* ---- health probes (http_health.c) ---- */
/* /health/live or /health/ready. */
bool http_is_health_path(const char *url);
/* Answers a probe on `url` (a health path): the document with 200/503 for GET and HEAD, 405 otherwise. */
enum MHD_Result http_health(struct MHD_Connection *c, bw_server *srv, const char *url, const char *method);

/* ---- observability endpoints (http_admin.c) ---- */
/* /metrics, /status or /events. */
bool http_is_admin_path(const char *url);
/* GET /metrics (Prometheus text 0.0.4), GET /status (the HTML page), GET /events (SSE of server events; the
 * connection is suspended between events, so a stream never pins a thread); 405 for other methods. */
enum MHD_Result http_admin(struct MHD_Connection *c, bw_server *srv, const char *url, const char *method);

/* ---- libmicrohttpd diagnostics (http_mhd.c) ---- */
/* MHD_OPTION_EXTERNAL_LOGGER for our daemons (cls: a const char * label, e.g. "http"): a warning log line per
 * diagnostic, minus the routine ones (a client closing its connection is not an operator's problem). */
void http_mhd_log(void *cls, const char *fmt, va_list ap);

/* ---- request checks (http_checks.c) ---- */
/* "ip:port" ("[v6]:port") of a socket address into out; "" when unknown. */
void http_format_addr(const struct sockaddr *sa, char *out, size_t outlen);
/* Total bytes of the request's header names and values. */
size_t http_header_bytes(struct MHD_Connection *c);
bool http_host_allowed(const char *host, const char *const *allowed, bool loopback_default);
bool http_origin_allowed(const char *origin, const char *const *allowed, bool loopback_default);
/* Accept lists both application/json and text/event-stream (or a wildcard). */
bool http_accepts(const char *accept, const char *type);
bool http_is_json_content_type(const char *content_type);

#endif
