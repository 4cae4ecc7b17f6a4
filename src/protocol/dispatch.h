/* The method table and the request path: gate, dispatch (inline or on the worker pool), finish, batches. */
#ifndef BW_PROTOCOL_DISPATCH_H
#define BW_PROTOCOL_DISPATCH_H

#include <jansson.h>

#include "protocol/call_internal.h"
#include "protocol/registry.h"

typedef void (*bw_method_fn)(bw_call *call);

enum {
    BW_M_PRE_INIT = 1u << 0,     /* allowed before initialize (initialize, ping) */
    BW_M_WORKER = 1u << 1,       /* runs user code that may block: hand to the worker pool */
    BW_M_LEGACY_ONLY = 1u << 2,  /* removed in the stateless revision (initialize, ping, setLevel, subscribe) */
    BW_M_MODERN_ONLY = 1u << 3,  /* exists only in the stateless revision (server/discover, listen, tasks/...) */
};

struct bw_method {
    const char *name;
    bw_method_fn fn;
    unsigned flags;
    const char *capability; /* server capability that must be declared, or NULL */
};

const bw_method *bw_method_find(const char *name);

typedef struct bw_envelope bw_envelope;
/* Handles one request message (already classified). batch may be NULL; env is the modern envelope or NULL. */
void bw_dispatch_request(bw_session *s, const json_t *msg, const json_t *id, bw_batch *batch, const bw_envelope *env);
/* Answers request id with a JSON-RPC error outside any call (gate, era and envelope errors). data is stolen. */
void bw_dispatch_reply_error(bw_session *s, const json_t *id, int code, const char *message, json_t *data,
                             bool modern);
/* Runs a tool's handler on call (validation, defaults, deadline, result shaping) and leaves the answer in
 * call->reply_result / reply_error — none when the call was cancelled, or when a task's handler returned
 * BW_INPUT_REQUIRED (call->input_requests holds its requests). Returns the handler's status. */
bw_status bw_tool_run(bw_call *call, bw_entry *tool, json_t *args);
/* Starts a batch of n elements; returns NULL on allocation failure. */
bw_batch *bw_batch_new(bw_session *s);
/* Adds a response (stolen) or NULL to the batch and counts one element done. */
void bw_batch_add(bw_batch *b, json_t *response);
/* Remembers the first request id of the batch (reader thread only). */
void bw_batch_note_id(bw_batch *b, const json_t *id);
/* Registers one more element expected before the batch may be sent. */
void bw_batch_expect(bw_batch *b);
/* Releases the dispatcher's own hold; the batch is sent when every element is done. */
void bw_batch_seal(bw_batch *b);

/* The method implementations (methods_*.c). */
void bw_m_initialize(bw_call *call);
void bw_m_ping(bw_call *call);
void bw_m_set_level(bw_call *call);
void bw_m_tools_list(bw_call *call);
void bw_m_tools_call(bw_call *call);
void bw_m_resources_list(bw_call *call);
void bw_m_templates_list(bw_call *call);
void bw_m_resources_read(bw_call *call);
void bw_m_subscribe(bw_call *call);
void bw_m_unsubscribe(bw_call *call);
void bw_m_prompts_list(bw_call *call);
void bw_m_prompts_get(bw_call *call);
void bw_m_complete(bw_call *call);
void bw_m_discover(bw_call *call);

#endif
