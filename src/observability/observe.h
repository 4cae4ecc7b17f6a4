/* The observation points every request passes (see bulwark/observe.h): the transport's ingress context, the start
 * and the end of a call, and the one outcome handed to each observer (metrics.h, log.h, trace.h, audit.h,
 * events.h).
 *
 * Thread-safety: the ingress context is thread-local (set by the transport's reading thread around
 * bw_session_receive_json); call hooks run on the call's own thread. */
#ifndef BW_OBSERVABILITY_OBSERVE_H
#define BW_OBSERVABILITY_OBSERVE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/server.h"
#include "observability/trace_ctx.h"

#define BW_REQUEST_ID_MAX 64      /* longer X-Request-ID values are replaced by a generated id */
#define BW_REMOTE_ADDR_MAX 64
#define BW_USER_AGENT_MAX 256

struct bw_metrics;
struct bw_tracer;
struct bw_audit;
struct bw_events;
struct bw_logcfg;

/* The server's observers (srv->obs). metrics and events always exist; tracer and audit only when configured. */
typedef struct bw_observe {
    struct bw_metrics *metrics;
    struct bw_events *events;
    _Atomic(struct bw_tracer *) tracer;
    _Atomic(struct bw_audit *) audit;
    struct bw_logcfg *logcfg;     /* per-server logging settings (per-tool argument/result logging, redaction) */
    atomic_long inflight;         /* requests begun and not ended (mcp_inflight_requests) */
} bw_observe;

bw_observe *bw_observe_new(bw_server *srv);
void bw_observe_free(bw_observe *obs);

/* ---- ingress: what the transport knows about the message being received ---- */

typedef struct bw_obs_ingress {
    const char *request_id;       /* X-Request-ID as received (validated by bw_obs_request_id_valid), or NULL */
    const char *traceparent;      /* W3C headers as received, or NULL */
    const char *tracestate;
    const char *remote_addr;      /* "127.0.0.1:51234", or NULL (stdio) */
    const char *user_agent;       /* or NULL */
    const char *session_id;       /* the transport's session id (Mcp-Session-Id), or NULL */
} bw_obs_ingress;

/* Sets / clears the calling thread's ingress (borrowed: must stay valid until leave). */
void bw_obs_ingress_enter(const bw_obs_ingress *in);
void bw_obs_ingress_leave(void);
const bw_obs_ingress *bw_obs_ingress_current(void);

/* true for 1..BW_REQUEST_ID_MAX characters of [A-Za-z0-9._:-] (anything else is replaced, never echoed). */
bool bw_obs_request_id_valid(const char *id);
/* Writes a new random request id (32 hex characters) into out (>= 33 bytes). */
void bw_obs_request_id_new(char *out);

/* ---- per call (embedded in bw_call as call->obs) ---- */

typedef struct bw_obs_call {
    char request_id[BW_REQUEST_ID_MAX + 1];
    char session_id[48];
    char remote_addr[BW_REMOTE_ADDR_MAX];
    char user_agent[BW_USER_AGENT_MAX];
    bw_trace_ctx parent;          /* from the traceparent header, else from params._meta; valid=false if none */
    bw_trace_ctx ctx;             /* this request's own span context (trace id shared with the parent) */
    struct bw_span *span;         /* the request span, or NULL (not sampled / no exporter) */
    struct bw_span *active;       /* the innermost open span providers parent to (policy attempt), or NULL */
    int64_t start_ns;             /* monotonic */
    const char *error_type;       /* static string set by the layer that knows best (policy, provider), or NULL */
    bool begun;                   /* bw_obs_call_begin ran (end only observes begun calls) */
} bw_obs_call;

/* The outcome of one request, computed once by bw_obs_call_end and handed to each observer. */
typedef struct bw_obs_outcome {
    const char *method;           /* e.g. "tools/call" (static) */
    const char *target;           /* tool name, resource URI or prompt name (borrowed from params), or NULL */
    const char *status;           /* "ok" | "tool_error" (isError result) | "error" (JSON-RPC error) |
                                   * "cancelled" (no answer sent) */
    const char *error_type;       /* NULL when ok; else one of: "timeout", "connection", "unavailable", "conflict",
                                   * "permanent", "circuit_open", "rejected" (bulkhead/overload), "invalid_params",
                                   * "not_found", "cancelled", "shutdown", "tool_error" (isError, unclassified),
                                   * "internal", "audit_unavailable", "other" */
    const char *error;            /* error message (JSON-RPC message or the isError text), or NULL */
    int rpc_code;                 /* JSON-RPC error code, or 0 */
    double duration_s;
    const json_t *arguments;      /* tools/call arguments / prompts/get arguments (borrowed), or NULL */
    const json_t *result;         /* the reply's result (borrowed), or NULL */
} bw_obs_outcome;

struct bw_call;
/* Called by bw_call_new once the call's fields are set: takes the ingress, assigns the request id, starts the
 * request span, counts the request in flight, logs request_started. */
void bw_obs_call_begin(struct bw_call *call);
/* Called by dispatch's finish() before the call is freed: computes the outcome (answered false: the client gets no
 * answer, e.g. it cancelled) and hands it to every observer. Only calls that went through begin are observed. */
void bw_obs_call_end(struct bw_call *call, bool answered);
/* A request refused before a call existed (unknown method, not initialized, bad params, overload at admission):
 * counted and logged. method may be NULL/unknown (counted as "other"). */
void bw_obs_request_refused(bw_server *srv, const char *method, int rpc_code, const char *message);

/* Records the error type of the call's failure when nothing more specific was recorded (first writer wins). */
void bw_obs_set_error_type(struct bw_call *call, const char *type);

/* The bounded method label: the method's name when it is one of ours, else "other". */
const char *bw_obs_method_label(const char *method);

#endif
