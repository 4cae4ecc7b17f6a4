/* The policy layer's internal entry points (the public side is bulwark/policy.h). */
#ifndef BW_RELIABILITY_POLICY_H
#define BW_RELIABILITY_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "bulwark/server.h"

struct bw_entry;

/* The JSON-RPC error message of a tools/call refused by the server-wide cap (-32000, data {"retryAfterMs":1000}); the
 * HTTP transport sends the same body with its 503. */
#define BW_POLICY_OVERLOADED_MESSAGE "Server overloaded: too many tool calls in flight"

/* true when the server-wide tools/call cap (bw_reliability_options.max_in_flight) is reached: the transport answers
 * HTTP 503 with Retry-After: *retry_after_s (may be NULL) before dispatching a tools/call. Lock-free; any thread. */
bool bw_policy_overloaded(bw_server *srv, int *retry_after_s);

/* Runs an admitted tools/call (arguments validated, defaults applied; args borrowed) through the tool's policy and
 * leaves the answer in call->reply_result / reply_error — none when the call was cancelled, and the handler's own
 * when it settled the call itself (MRTR input_required, a task parked for input). Returns the last handler status
 * (BW_OK when no handler ran). Call's thread (a worker, or the reader for a non-blocking tool). */
bw_status bw_policy_run(bw_call *call, struct bw_entry *tool, json_t *args);

/* ---- provided by src/protocol/methods_tools.c for the policy ---- */

/* true when the handler's return settled the call without a result the policy may act on: the call was cancelled
 * (no answer), or MRTR / a task answered or parked it. */
bool bw_tool_settled(bw_call *call, struct bw_entry *tool, const json_t *args, bw_status st);
/* Shapes the handler's status and call->result into the call's answer: a tool result (isError or not, checked
 * against the outputSchema) or a JSON-RPC error. Replaces any previous answer. */
void bw_tool_answer(bw_call *call, struct bw_entry *tool, bw_status st);

#endif
