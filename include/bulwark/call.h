/* The call context handed to every handler, the result builder, and server->client requests.
 *
 * A bw_call lives from the moment a request is dispatched until its response is sent; handlers borrow it and
 * must not keep it after returning. All functions here are safe to call from the handler's thread; the
 * cancellation query and callback registration are also safe from any thread. */
#ifndef BULWARK_CALL_H
#define BULWARK_CALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_result bw_result;

/* ---- what the request is ---- */

/* The JSON-RPC id of the request (borrowed; integer or string, as the client sent it). */
BW_EXPORT const json_t *bw_call_request_id(const bw_call *call);
/* The method ("tools/call", "resources/read", ...). Borrowed, static for the call's life. */
BW_EXPORT const char *bw_call_method(const bw_call *call);
/* The protocol revision in force for this request, e.g. "2025-06-18". Borrowed. */
BW_EXPORT const char *bw_call_revision(const bw_call *call);
/* The session the request came on (borrowed; never NULL). */
BW_EXPORT bw_session *bw_call_session(const bw_call *call);
/* The request's params object (borrowed; never NULL). */
BW_EXPORT const json_t *bw_call_params(const bw_call *call);

/* ---- deadline and cancellation ---- */

/* The call's deadline on the monotonic clock in milliseconds (see bw_now_ms). */
BW_EXPORT int64_t bw_call_deadline_ms(const bw_call *call);
/* Milliseconds left before the deadline (0 when passed). */
BW_EXPORT int64_t bw_call_remaining_ms(const bw_call *call);
/* The current monotonic time in milliseconds. */
BW_EXPORT int64_t bw_now_ms(void);
/* true once the client cancelled the request (notifications/cancelled), the deadline passed, or the server is
 * shutting down. A cancelled call's response is never sent; the handler should return soon. Any thread. */
BW_EXPORT bool bw_call_cancelled(const bw_call *call);
/* Registers fn to run once when the call is cancelled (on the thread that cancels it; keep it short and
 * non-blocking, e.g. signal a condition or abort a transfer). If the call is already cancelled fn runs now.
 * One callback per call; a second registration replaces the first. When bw_call_on_cancel returns, the previous
 * callback is neither running nor going to run, so bw_call_on_cancel(call, NULL, NULL) before freeing `user` is
 * safe. Must not be called from inside the callback itself. Any thread. */
BW_EXPORT void bw_call_on_cancel(bw_call *call, void (*fn)(void *user), void *user);
/* Sleeps up to ms milliseconds, waking early on cancellation. Returns BW_OK after the full sleep,
 * BW_E_CANCELLED when woken by cancellation. A helper for handlers that wait. */
BW_EXPORT bw_status bw_call_sleep(bw_call *call, int ms);

/* Asks the transport to close this request's event stream now, telling the client to reconnect after retry_ms
 * (Streamable HTTP, 2025-11-25 polling): the response and anything sent later are delivered when the client resumes
 * with Last-Event-ID. A no-op on stdio and when the request is answered with plain JSON. */
BW_EXPORT void bw_call_close_stream(bw_call *call, int retry_ms);

/* ---- progress and logging ---- */

/* Sends notifications/progress if the client asked for progress (params._meta.progressToken); otherwise a no-op
 * returning BW_OK. `total` < 0 and message NULL are omitted. Progress must increase: a value not above the last
 * one sent is dropped and BW_E_INVALID_ARG returned. Sent before the response, on the request's stream. */
BW_EXPORT bw_status bw_call_progress(bw_call *call, double progress, double total, const char *message);

typedef enum bw_log_level {
    BW_LOG_DEBUG, BW_LOG_INFO, BW_LOG_NOTICE, BW_LOG_WARNING,
    BW_LOG_ERROR, BW_LOG_CRITICAL, BW_LOG_ALERT, BW_LOG_EMERGENCY
} bw_log_level;

/* Sends notifications/message to the client when `level` is at or above the session's level (set by
 * logging/setLevel; default: nothing is sent until the client sets a level... see docs). `data` is stolen
 * (any JSON value; NULL sends null). `logger` may be NULL. Returns BW_OK also when filtered out. */
BW_EXPORT bw_status bw_call_log(bw_call *call, bw_log_level level, const char *logger, json_t *data);
/* printf-style convenience: data is the formatted string. */
BW_EXPORT bw_status bw_call_logf(bw_call *call, bw_log_level level, const char *fmt, ...) BW_PRINTF(3, 4);

/* ---- server->client requests (sampling, elicitation, roots) ----
 *
 * One shape serves both eras. In a session-based revision (2024-11-05 .. 2025-11-25) the request is sent on the
 * call's stream and the handler's thread waits for the answer (bounded by timeout_ms, the call's deadline and
 * cancellation). In the stateless revision the server cannot wait: if an answer for `key` came with the retried
 * request it is returned at once, otherwise the request is recorded and BW_INPUT_REQUIRED is returned — the
 * handler must then return BW_INPUT_REQUIRED itself; it will be called again with the answer at hand.
 * `key` names this input within the handler (stable across retries; e.g. "confirm"). `params` is stolen.
 * On BW_OK *result is a new reference the caller must json_decref.
 * Fails with BW_E_UNSUPPORTED when the client did not declare the capability (sampling, elicitation, roots),
 * BW_E_TIMEOUT, BW_E_CANCELLED, BW_E_REJECTED (the client answered with an error; see bw_call_error). */
BW_EXPORT BW_NODISCARD bw_status bw_call_client_request(bw_call *call, const char *key, const char *method,
                                                         json_t *params, int timeout_ms, json_t **result);
/* sampling/createMessage (capability "sampling"). */
BW_EXPORT BW_NODISCARD bw_status bw_call_sample(bw_call *call, const char *key, json_t *params, int timeout_ms,
                                                json_t **result);
/* elicitation/create (capability "elicitation"). */
BW_EXPORT BW_NODISCARD bw_status bw_call_elicit(bw_call *call, const char *key, json_t *params, int timeout_ms,
                                                json_t **result);
/* roots/list (capability "roots"); params may be NULL. */
BW_EXPORT BW_NODISCARD bw_status bw_call_list_roots(bw_call *call, const char *key, int timeout_ms,
                                                    json_t **result);
/* The detail message of the last failed bw_call_* operation on this call ("" if none). Borrowed. */
BW_EXPORT const char *bw_call_error(const bw_call *call);
/* Sets the detail message a handler reports with a failing status: resources/read, prompts/get and
 * completion/complete put it into the JSON-RPC error's message (e.g. BW_E_INVALID_PARAMS -> -32602
 * "Invalid params: <message>"). printf-style; truncated to 255 bytes. Handler's thread only. */
BW_EXPORT void bw_call_set_error(bw_call *call, const char *fmt, ...) BW_PRINTF(2, 3);

/* ---- what the client can do (both eras) ----
 * In a session-based revision these are the session's (from initialize); in the stateless revision they come with
 * each request (_meta). Handlers should ask the call, not the session. */

/* The client's capabilities for this request (borrowed; {} when none). */
BW_EXPORT const json_t *bw_call_client_capabilities(const bw_call *call);
/* true if the client declared capability `name` ("sampling", "elicitation", "roots", "extensions", ...). */
BW_EXPORT bool bw_call_client_has(const bw_call *call, const char *name);
/* The client's clientInfo (borrowed; {} when none). */
BW_EXPORT const json_t *bw_call_client_info(const bw_call *call);
/* true for a request of the stateless revision (2026-07-28): no session; client input arrives by retry (MRTR). */
BW_EXPORT bool bw_call_is_stateless(const bw_call *call);
/* The W3C trace context the request carried in _meta: an object with string members traceparent, tracestate,
 * baggage (those present), or NULL. Borrowed. */
BW_EXPORT const json_t *bw_call_trace_context(const bw_call *call);

/* ---- handler state across rounds (stateless revision) ----
 * When a handler answers BW_INPUT_REQUIRED it may leave a JSON value of its own; the library seals it into the
 * requestState (with the answers gathered so far) and hands it back on the retry. The client cannot read or alter
 * it. Keep it small (the whole state is bounded to ~48 KiB). */

/* Sets the state carried to the retry (stolen; NULL clears). Handler's thread only. */
BW_EXPORT bw_status bw_call_set_request_state(bw_call *call, json_t *state);
/* The state the previous round left, or NULL (first round, or legacy era). Borrowed. */
BW_EXPORT const json_t *bw_call_request_state(const bw_call *call);

/* ---- tasks (2026-07-28 tasks extension) ---- */

/* For a tool registered BW_TOOL_TASK_*|BW_TOOL_TASK_MANUAL: answers the request now with a task handle and goes on
 * as a task (the client polls tasks/get). From here the handler's progress and log messages are dropped and client
 * input (bw_call_elicit, ...) parks the task in input_required until tasks/update answers it. BW_OK (also when
 * already a task); BW_E_UNSUPPORTED when the tool is not task-capable or the client did not declare the extension
 * (carry on synchronously); BW_E_OVERLOADED when the task store is full. Handler's thread only. */
BW_EXPORT BW_NODISCARD bw_status bw_call_task_begin(bw_call *call);

/* ---- session facts ---- */

/* The client's declared capabilities object (borrowed; {} when none). */
BW_EXPORT const json_t *bw_session_client_capabilities(const bw_session *s);
/* The client's clientInfo object (borrowed; {} when none). */
BW_EXPORT const json_t *bw_session_client_info(const bw_session *s);
/* true if the client declared capability `name` ("sampling", "elicitation", "roots", ...). */
BW_EXPORT bool bw_session_client_has(const bw_session *s, const char *name);

/* ---- the result builder ----
 *
 * bw_call_result returns the call's library-owned builder; it is turned into the response after the handler
 * returns. What the handler adds decides the result's shape for its method:
 *   tools/call       content[] (+ structuredContent, isError)
 *   resources/read   contents[]
 *   prompts/get      messages[] (+ description)
 *   completion/complete  completion.values[] (+ total, hasMore) */
BW_EXPORT bw_result *bw_call_result(bw_call *call);

/* Appends a content block (stolen) to a tool result. BW_E_INVALID_ARG if block is NULL. */
BW_EXPORT bw_status bw_result_add(bw_result *r, json_t *block);
/* Appends {"type":"text","text":text}. */
BW_EXPORT bw_status bw_result_add_text(bw_result *r, const char *text);
/* Sets structuredContent (stolen; validated against the tool's outputSchema after the handler returns).
 * Also adds the serialized JSON as a text block when the handler added no content, for older clients. */
BW_EXPORT bw_status bw_result_set_structured(bw_result *r, json_t *value);
/* Marks the tool result as a failure the model should see (isError:true), with an optional text block. */
BW_EXPORT bw_status bw_result_set_error(bw_result *r, const char *message);
/* Appends a resources/read entry (stolen), e.g. from bw_resource_text(). */
BW_EXPORT bw_status bw_result_add_contents(bw_result *r, json_t *contents);
/* Appends a prompt message {role, content}; content is stolen. role is "user" or "assistant". */
BW_EXPORT bw_status bw_result_add_message(bw_result *r, const char *role, json_t *content);
/* Sets the prompt result's description. */
BW_EXPORT bw_status bw_result_set_description(bw_result *r, const char *description);
/* Appends a completion value (at most 100 are sent; the rest set hasMore). */
BW_EXPORT bw_status bw_result_add_completion(bw_result *r, const char *value);
/* Sets completion.total and completion.hasMore. total < 0 omits it. */
BW_EXPORT bw_status bw_result_set_completion_total(bw_result *r, int64_t total, bool has_more);
/* Sets result._meta (stolen). */
BW_EXPORT bw_status bw_result_set_meta(bw_result *r, json_t *meta);

/* ---- content block constructors (each returns a new reference, NULL on bad input or no memory) ---- */

BW_EXPORT json_t *bw_content_text(const char *text);
/* data is base64 already. */
BW_EXPORT json_t *bw_content_image(const char *base64_data, const char *mime_type);
BW_EXPORT json_t *bw_content_audio(const char *base64_data, const char *mime_type);
/* A resource_link (2025-06-18+); name required, mime_type/description may be NULL. */
BW_EXPORT json_t *bw_content_resource_link(const char *uri, const char *name, const char *mime_type,
                                           const char *description);
/* An embedded resource block {"type":"resource","resource":contents}; contents stolen. */
BW_EXPORT json_t *bw_content_embedded(json_t *contents);
/* Resource contents objects, for resources/read and embedded resources. */
BW_EXPORT json_t *bw_resource_text(const char *uri, const char *mime_type, const char *text);
BW_EXPORT json_t *bw_resource_blob(const char *uri, const char *mime_type, const char *base64_blob);

#ifdef __cplusplus
}
#endif
#endif
