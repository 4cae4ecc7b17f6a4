/* The bw_call object's insides and the hooks dispatch uses to run and finish calls. */
#ifndef BW_PROTOCOL_CALL_INTERNAL_H
#define BW_PROTOCOL_CALL_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bulwark/call.h"
#include "observability/observe.h"
#include "protocol/session.h"

struct bw_result {
    json_t *content;       /* tools: content[] */
    json_t *structured;    /* tools: structuredContent */
    bool is_error;
    json_t *contents;      /* resources/read */
    json_t *messages;      /* prompts/get */
    char *description;     /* prompts/get */
    json_t *values;        /* completion */
    int64_t total;
    bool has_more;
    json_t *meta;
};

typedef struct bw_batch bw_batch;
typedef struct bw_method bw_method;

struct bw_call {
    bw_session *session;          /* reference held */
    bw_server *srv;
    const bw_method *method;
    json_t *id;                   /* reference held */
    json_t *params;               /* reference held; {} when absent */
    const json_t *progress_token; /* inside params, or NULL */
    double last_progress;
    bool progress_sent;
    int64_t deadline_ms;
    int64_t started_ms;           /* when the call was created (monotonic) */
    bw_revision rev;
    bool modern;                  /* a 2026-07-28 request: capabilities from _meta, MRTR, resultType */
    json_t *caps;                 /* the client's capabilities for this request (reference; {} when none) */
    json_t *client_info;          /* reference; {} when none */
    int log_level;                /* modern: messages below it are dropped (BW_LOG_NONE: none); legacy: unused */
    json_t *trace;                /* {traceparent, tracestate, baggage} from _meta (reference), or NULL */
    bw_batch *batch;              /* set when the call came in a batch */
    bool on_reader;               /* runs on the transport's reading thread: must never wait */

    atomic_bool cancelled;
    atomic_bool shutdown_cancelled; /* cancelled by the server's drain: answered with the shutdown error */
    pthread_mutex_t mu;           /* guards cv waits and the cancel callback */
    pthread_cond_t cv;
    void (*on_cancel)(void *);
    void *on_cancel_user;
    bool on_cancel_running;       /* the cancel callback is executing (guarded by mu) */

    bw_result result;
    json_t *reply_result;         /* the response's result, owned; or */
    json_t *reply_error;          /* the response's error object {code, message, data?}, owned */
    char last_error[256];
    int failure;                  /* bw_failure the handler reported for the current attempt (bulwark/policy.h) */
    bw_call *next_inflight;

    /* Multi round-trip requests (modern era; see mrtr.h). */
    json_t *answers;              /* client answers so far, by key (sealed state + inputResponses), or NULL */
    json_t *input_requests;       /* inputs the handler asked for without an answer, by key, or NULL */
    json_t *missing_caps;         /* client capabilities a request needed but the client lacks, or NULL */
    json_t *user_state;           /* the handler's own state carried in requestState, or NULL */
    bool bad_input;               /* an answer had the wrong shape: the reply is -32602 */
    bool detached;                /* finish() must not answer or free it (a listen stream, a task) */
    struct bw_task *task;         /* the task this call runs for, or NULL */

    bw_obs_call obs;              /* request id, trace context, spans, timing (observability/observe.h) */
};

#define BW_LOG_NONE 8             /* above emergency: nothing passes */

typedef struct bw_envelope bw_envelope;
/* Creates a call for a request; takes references to id and params. env is the modern envelope (or NULL/legacy:
 * revision, capabilities and client info then come from the session). */
bw_call *bw_call_new(bw_session *s, const bw_method *m, const json_t *id, const json_t *params,
                     const bw_envelope *env);
void bw_call_free(bw_call *call);
/* Marks the call cancelled, runs its callback and wakes its waits. Idempotent; any thread. */
void bw_call_cancel(bw_call *call);
/* true once the call has a response (result or error). */
bool bw_call_replied(const bw_call *call);
/* Sets the call's response to a JSON-RPC result (stolen) or error. */
void bw_call_reply(bw_call *call, json_t *result);
void bw_call_reply_error(bw_call *call, int code, const char *message, json_t *data);
/* printf-style error reply. */
void bw_call_reply_errorf(bw_call *call, int code, const char *fmt, ...) BW_PRINTF(3, 4);
/* "debug".."emergency" → bw_log_level, or -1. */
int bw_log_level_parse(const char *name);
/* A JSON number: an integer when x is integral (so 50 prints as 50, not 50.0), else a real. */
json_t *bw_json_number(double x);
/* Replies with a tool result {content:[text], isError:true}. */
void bw_reply_tool_result(bw_call *call, const char *error_text);
/* Releases the builder's pieces. */
void bw_result_clear(bw_result *r);

#endif
