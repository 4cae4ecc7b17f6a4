/* Multi round-trip requests (2026-07-28, spec basic/patterns/mrtr): how a handler's bw_call_client_request becomes
 * an `input_required` result, and how the client's retry resumes it.
 *
 * The server keeps nothing between rounds. Every answer gathered so far travels in `requestState`, sealed with the
 * server's keys (AES-256-GCM, seal.h) and bound to the method, the target (tool/prompt name or URI) and a digest
 * of the arguments, with an expiry. On the retry the state is opened, merged with the new `inputResponses` and the
 * handler runs again from the start: each bw_call_client_request it repeats returns the recorded answer at once,
 * so the handler's logic resumes where it stopped. Any replica holding the keys can serve any round.
 * Tasks reuse the same answer/request bookkeeping with answers from tasks/update instead of a sealed state.
 * Functions run on the call's thread. */
#ifndef BW_PROTOCOL_MRTR_H
#define BW_PROTOCOL_MRTR_H

#include <jansson.h>
#include <stdbool.h>

#include "protocol/call_internal.h"

/* Before the handler of a modern tools/call, prompts/get or resources/read: opens params.requestState and merges
 * params.inputResponses into call->answers. `target` names what the request acts on. Returns true to go on; false
 * after replying -32602 (bad, tampered, foreign, expired or mismatched state; inputResponses not an object). */
bool bw_mrtr_begin(bw_call *call, const char *target, const json_t *args);
/* bw_call_client_request in the modern era: the recorded answer for `key` (BW_OK, *result a new reference), or the
 * request recorded for the input_required result (BW_INPUT_REQUIRED). An answer of the wrong shape for the method
 * marks the call so its reply becomes -32602 (BW_E_INVALID_PARAMS). params is stolen. */
bw_status bw_mrtr_input(bw_call *call, const char *key, const char *method, json_t *params, json_t **result);
/* Records that the handler needed client capability `cap` the client did not declare. */
void bw_mrtr_note_missing(bw_call *call, const char *cap);
/* After the handler returned st: replies -32602 for malformed answers, input_required when the handler asked for
 * input (or returned BW_INPUT_REQUIRED), -32021 with data.requiredCapabilities when it failed for lack of a client
 * capability. Returns true when it replied (the method then adds nothing). Modern calls only. */
bool bw_mrtr_finish(bw_call *call, const char *target, const json_t *args, bw_status st);

#endif
