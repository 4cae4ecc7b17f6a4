#include "protocol/mrtr.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "protocol/dispatch.h"
#include "protocol/jsonrpc.h"
#include "protocol/seal.h"
#include "protocol/server_internal.h"

#define MAX_KEY_LEN 128
#define MAX_ANSWERS_BYTES (40u * 1024) /* with the binding and the handler state, stays under BW_SEAL_MAX_PAYLOAD */

/* Lowercase hex SHA-256 of the arguments' canonical JSON: binds a state to the exact request it came from. */
static void args_digest(const json_t *args, char out[65])
{
    out[0] = '\0';
    char *text = json_dumps(args ? args : json_object(), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (text && EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) == 1)
        for (unsigned i = 0; i < n && i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", md[i]);
    free(text);
}

static void reject_state(bw_call *c, const char *reason, const char *why)
{
    bw_call_reply_error(c, BW_RPC_INVALID_PARAMS, why, json_pack("{s:s}", "reason", reason));
}

/* Opens requestState into call->answers / call->user_state. false after replying. */
static bool open_state(bw_call *c, const json_t *state, const char *target, const json_t *args)
{
    if (!json_is_string(state)) {
        reject_state(c, "invalid_request_state", "Invalid params: requestState must be a string");
        return false;
    }
    char why[160];
    json_t *p = NULL;
    bw_status st = bw_unseal(c->srv->seal, json_string_value(state), bw_wall_ms(), &p, why, sizeof why);
    if (st != BW_OK) {
        reject_state(c, st == BW_E_TIMEOUT ? "expired_request_state" : "invalid_request_state",
                     st == BW_E_TIMEOUT ? "Invalid params: requestState has expired; send the request again without it"
                                        : "Invalid params: requestState is not valid (tampered, truncated or sealed by "
                                          "another server key)");
        return false;
    }
    char digest[65];
    args_digest(args, digest);
    const char *m = json_string_value(json_object_get(p, "m")), *t = json_string_value(json_object_get(p, "t"));
    const char *h = json_string_value(json_object_get(p, "h"));
    bool bound = m && t && h && !strcmp(m, c->method->name) && !strcmp(t, target) && !strcmp(h, digest);
    if (bound) {
        json_t *a = json_object_get(p, "a");
        c->answers = json_is_object(a) ? json_incref(a) : json_object();
        json_t *u = json_object_get(p, "s");
        c->user_state = u ? json_incref(u) : NULL;
    }
    json_decref(p);
    if (!bound)
        reject_state(c, "invalid_request_state",
                     "Invalid params: requestState belongs to a different request (method, target or arguments differ)");
    return bound;
}

bool bw_mrtr_begin(bw_call *c, const char *target, const json_t *args)
{
    const json_t *state = json_object_get(c->params, "requestState");
    const json_t *responses = json_object_get(c->params, "inputResponses");
    if (state && !json_is_null(state) && !open_state(c, state, target, args))
        return false;
    if (responses && !json_is_null(responses) && !json_is_object(responses)) {
        bw_call_reply_error(c, BW_RPC_INVALID_PARAMS, "Invalid params: inputResponses must be an object", NULL);
        return false;
    }
    if (json_is_object(responses)) {
        if (!c->answers)
            c->answers = json_object();
        json_object_update(c->answers, (json_t *)responses); /* a new answer replaces an older one */
    }
    return true;
}

/* The client's answer must have the shape of the result of `method`. */
static bool answer_fits(const char *method, const json_t *a)
{
    if (!json_is_object(a))
        return false;
    if (!strcmp(method, "elicitation/create")) {
        const char *action = json_string_value(json_object_get(a, "action"));
        return action && (!strcmp(action, "accept") || !strcmp(action, "decline") || !strcmp(action, "cancel"));
    }
    if (!strcmp(method, "sampling/createMessage"))
        return json_is_string(json_object_get(a, "role")) && json_object_get(a, "content");
    if (!strcmp(method, "roots/list"))
        return json_is_array(json_object_get(a, "roots"));
    return true;
}

bw_status bw_mrtr_input(bw_call *c, const char *key, const char *method, json_t *params, json_t **result)
{
    if (!key || !*key || strlen(key) > MAX_KEY_LEN) {
        json_decref(params);
        snprintf(c->last_error, sizeof c->last_error, "an input needs a key of 1-%d characters", MAX_KEY_LEN);
        return BW_E_INVALID_ARG;
    }
    json_t *answer = json_object_get(c->answers, key);
    if (answer && !json_is_null(answer)) {
        json_decref(params);
        if (!answer_fits(method, answer)) {
            c->bad_input = true;
            snprintf(c->last_error, sizeof c->last_error, "inputResponses[\"%.64s\"] is not a valid %s result", key,
                     method);
            return BW_E_INVALID_PARAMS;
        }
        *result = json_incref(answer);
        return BW_OK;
    }
    if (!c->input_requests)
        c->input_requests = json_object();
    json_object_set_new(c->input_requests, key,
                        json_pack("{s:s,s:o}", "method", method, "params", params ? params : json_object()));
    snprintf(c->last_error, sizeof c->last_error, "waiting for the client's answer to %s", method);
    return BW_INPUT_REQUIRED;
}

void bw_mrtr_note_missing(bw_call *c, const char *cap)
{
    if (!c->missing_caps)
        c->missing_caps = json_object();
    json_object_set_new(c->missing_caps, cap, json_object());
}

static void reply_input_required(bw_call *c, const char *target, const json_t *args)
{
    char digest[65];
    args_digest(args, digest);
    json_t *answers = c->answers ? json_incref(c->answers) : json_object();
    char *enc = json_dumps(answers, JSON_COMPACT);
    size_t size = enc ? strlen(enc) : 0;
    free(enc);
    if (size > MAX_ANSWERS_BYTES) {
        json_decref(answers);
        bw_call_reply_errorf(c, BW_RPC_INVALID_PARAMS, "Invalid params: the answers gathered exceed %u bytes",
                             MAX_ANSWERS_BYTES);
        return;
    }
    json_t *payload = json_pack("{s:s,s:s,s:s,s:o}", "m", c->method->name, "t", target, "h", digest, "a", answers);
    if (c->user_state)
        json_object_set(payload, "s", c->user_state);
    char *state = bw_seal(c->srv->seal, payload, c->srv->state_ttl_ms);
    json_decref(payload);
    if (!state) {
        bw_call_reply_error(c, BW_RPC_INTERNAL_ERROR, "Internal error: cannot seal requestState", NULL);
        return;
    }
    json_t *result = json_pack("{s:s,s:s}", "resultType", "input_required", "requestState", state);
    free(state);
    if (c->input_requests && json_object_size(c->input_requests))
        json_object_set(result, "inputRequests", c->input_requests);
    bw_call_reply(c, result);
}

bool bw_mrtr_finish(bw_call *c, const char *target, const json_t *args, bw_status st)
{
    if (c->bad_input) {
        bw_call_reply_errorf(c, BW_RPC_INVALID_PARAMS, "Invalid params: %s", c->last_error);
        return true;
    }
    if (st == BW_E_UNSUPPORTED && c->missing_caps) {
        bw_call_reply_error(c, BW_RPC_MISSING_CAPABILITY, "Missing required client capability",
                            json_pack("{s:O}", "requiredCapabilities", c->missing_caps));
        return true;
    }
    if (c->task)
        return false; /* a task parks its inputs itself */
    if (st == BW_INPUT_REQUIRED || (st != BW_OK && c->input_requests)) {
        reply_input_required(c, target, args);
        return true;
    }
    return false;
}
