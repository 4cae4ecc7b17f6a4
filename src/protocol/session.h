/* A session: one client's conversation with the server — negotiated revision, client capabilities, log level,
 * requests in flight, server->client requests awaiting answers, and resource subscriptions.
 *
 * Transports create a session with a sink (how to send a message to this client) and feed it raw message text
 * with bw_session_receive. Everything the session sends goes through the sink, from the reader thread or from
 * workers; the sink must be thread-safe. A session is reference counted: calls in flight hold a reference. */
#ifndef BW_PROTOCOL_SESSION_H
#define BW_PROTOCOL_SESSION_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bulwark/call.h"
#include "protocol/revision.h"

/* Sends one encoded message (compact JSON, no newline; `text` is only valid during the call) to the client.
 * related_id is the id of the client request the message belongs to (its response, progress, logs,
 * server->client requests made while serving it), or NULL for session-wide messages; a transport with several
 * streams uses it to pick the stream. Must be thread-safe; must not call back into the session. */
typedef enum bw_out_kind {
    BW_OUT_NOTIFICATION,
    BW_OUT_REQUEST,   /* a server->client request */
    BW_OUT_RESPONSE,  /* the response to related_id: the last message of that request */
    BW_OUT_BATCH,     /* the array of responses to a batch; related_id is its first request's id */
    BW_OUT_ERROR,     /* an error not tied to a readable request (id null) */
} bw_out_kind;

typedef void (*bw_sink_fn)(void *ctx, const char *text, size_t len, const json_t *related_id, bw_out_kind kind);

/* Optional transport services a session can ask for. */
typedef struct bw_transport_hooks {
    /* Close the stream carrying request related_id now, telling the client to reconnect after retry_ms; later
     * messages for it are kept for the client's resumption. */
    void (*close_stream)(void *ctx, const json_t *related_id, int retry_ms);
    /* Request related_id ended without a response (it was cancelled): its stream may end. */
    void (*unanswered)(void *ctx, const json_t *related_id);
    /* The session's last reference is gone: nothing will use the sink context again, so it may be freed. */
    void (*released)(void *ctx);
    /* The answer to stateless-era request related_id is a JSON-RPC error with `code` (sent right after this call):
     * an HTTP transport maps it to the response status (400, 404). */
    void (*error_code)(void *ctx, const json_t *related_id, int code);
} bw_transport_hooks;

typedef struct bw_pending_out bw_pending_out;

struct bw_session {
    atomic_int refs;
    bw_server *srv;
    bw_sink_fn sink;
    void *sink_ctx;
    const bw_transport_hooks *hooks; /* may be NULL */

    pthread_mutex_t mu;            /* guards everything below */
    bool client_ready;             /* notifications/initialized received */
    bool peer_closed;              /* the transport saw the client go away */
    json_t *client_caps;           /* {} until initialize; never changes once rev is set */
    json_t *client_info;
    json_t *subscriptions;         /* object used as a set of URIs */
    bw_call *inflight;             /* calls dispatched and not yet answered */
    int n_inflight;
    bw_pending_out *pending;       /* server->client requests awaiting answers */
    json_int_t next_out_id;
    pthread_cond_t idle;           /* signalled when n_inflight drops to 0 */

    /* The negotiated revision; 0 (BW_REV_UNKNOWN) until initialize. Set once, after client_caps/client_info, with
     * release order, so the request path reads it (and those) without taking mu. */
    atomic_int rev;
    atomic_int log_level;          /* bw_log_level; messages below it are dropped */
    const char *header_version;    /* the transport's MCP-Protocol-Version header for the message being received
                                    * (HTTP, set around bw_session_receive_json by the reading thread), or NULL */
    bw_session *next;              /* server's session list */
};

bw_session *bw_session_new(bw_server *srv, bw_sink_fn sink, void *sink_ctx);
void bw_session_ref(bw_session *s);
void bw_session_unref(bw_session *s);

/* Treats the session as initialized at revision rev with no client capabilities (stateless HTTP, where every
 * request stands alone). */
void bw_session_assume(bw_session *s, bw_revision rev);
/* Like bw_session_receive for a message the transport already parsed (borrowed). */
void bw_session_receive_json(bw_session *s, const json_t *msg);
/* Handles one framed message (a JSON object or, in 2025-03-26 sessions, a batch). Never fails: every problem
 * becomes a JSON-RPC error sent through the sink. Call from one reader thread per session. */
void bw_session_receive(bw_session *s, const char *text, size_t len);
/* Sends a JSON-RPC error with id null, for framing errors a transport detects (over-limit messages). */
void bw_session_send_error(bw_session *s, int code, const char *message);
/* The peer went away: server->client requests waiting on it fail at once. In-flight calls keep running. */
void bw_session_peer_closed(bw_session *s);
/* Cancels every in-flight call (and drops the session's listen streams). for_shutdown: the server's drain is
 * cancelling them, so each is answered with the shutdown error instead of never. */
void bw_session_cancel_all(bw_session *s, bool for_shutdown);
/* Calls in flight now. */
int bw_session_inflight(bw_session *s);
/* Waits until no call is in flight or deadline_ms (monotonic) passes. true when idle. */
bool bw_session_wait_idle(bw_session *s, int64_t deadline_ms);

/* Encodes msg (borrowed) and sends it through the sink. */
void bw_session_send(bw_session *s, const json_t *msg, const json_t *related_id);
/* Sends the response to request `id` from its parts (exactly one of result/error, both borrowed) without building
 * the envelope object: the hot path of every request. */
void bw_session_send_reply(bw_session *s, const json_t *id, const json_t *result, const json_t *error);
bw_revision bw_session_revision(bw_session *s);

/* Internal to the protocol modules: delivers a client's response to a pending server->client request. */
void bw_session_deliver_response(bw_session *s, const json_t *msg);
/* Sends a server->client request and waits for its answer. See bw_call_client_request. */
BW_NODISCARD bw_status bw_session_request(bw_session *s, bw_call *call, const char *method, json_t *params,
                                          int64_t deadline_ms, json_t **result, char *err, size_t errlen);
/* Wakes server->client requests made on behalf of call (it was cancelled). */
void bw_session_wake_call(bw_session *s, bw_call *call);

#endif
