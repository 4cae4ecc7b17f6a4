/* Idempotency keys: (caller identity, tool, key) → the stored result, so a repeated side-effecting call answers
 * without running again. The key is the argument policy.idempotency.key_argument, else params._meta[key_meta]; the
 * identity is the client's name until authentication exists. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/jsonrpc.h"
#include "protocol/seal.h"
#include "reliability/policy_run.h"
#include "observability/log.h"

#define MAX_KEY_BYTES 256 /* the store's bound; a longer key is the client's mistake (-32602) */

/* The key as text: a string as is, an integer in decimal. NULL and *bad false when the call carries none; NULL and
 * *bad true when it has another type. malloc'ed. */
static char *key_of(const bw_policy_call *r, bool *bad)
{
    const bw_idempotency_policy *p = &r->pol->p.idempotency;
    const json_t *v = p->key_argument ? json_object_get(r->args, p->key_argument) : NULL;
    if (!v && p->key_meta)
        v = json_object_get(json_object_get(r->call->params, "_meta"), p->key_meta);
    *bad = false;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        return strdup(text);
    }
    *bad = true;
    return NULL;
}

static bool hash_args(const json_t *args, unsigned char out[32])
{
    char *text = bw_canonical_json(args);
    unsigned int n = 0;
    bool ok = text && EVP_Digest(text, strlen(text), out, &n, EVP_sha256(), NULL) == 1 && n == 32;
    free(text);
    return ok;
}

/* Answers what the store said about a key already used. */
static void answer_known(bw_policy_call *r, bw_idem_outcome o, json_t *stored, const char *why)
{
    bw_call *c = r->call;
    char text[600];
    switch (o) {
    case BW_IDEM_REPLAY:
        bw_call_reply(c, stored);
        bw_policy_meta_set(c, "io.bulwark/idempotentReplay", json_true());
        BW_POLICY_COUNT(r, idempotent_replays);
        return;
    case BW_IDEM_MISMATCH:
        bw_call_reply_errorf(c, BW_RPC_INVALID_PARAMS,
                             "Invalid params: idempotency key '%s' was already used with different arguments",
                             r->idem_key);
        return;
    case BW_IDEM_IN_PROGRESS:
        snprintf(text, sizeof text, "A call with idempotency key '%s' is still in progress; retry later", r->idem_key);
        bw_reply_tool_result(c, text);
        return;
    default:
        bw_call_reply_errorf(c, BW_RPC_INTERNAL_ERROR, "Internal error: the idempotency store failed: %s", why);
        return;
    }
}

static bool reject_key(bw_call *c, const char *why)
{
    bw_call_reply_errorf(c, BW_RPC_INVALID_PARAMS, "Invalid params: %s", why);
    return true;
}

bool bw_policy_idem_begin(bw_policy_call *r)
{
    const bw_idempotency_policy *p = &r->pol->p.idempotency;
    bw_idem_store *store = atomic_load(&r->rel->idem);
    /* A non-blocking tool runs on the reader, which must not wait on SQLite. */
    if ((!p->key_argument && !p->key_meta) || !store || r->call->on_reader)
        return false;
    bool bad;
    r->idem_key = key_of(r, &bad);
    if (bad)
        return reject_key(r->call, "the idempotency key must be a string or an integer");
    if (!r->idem_key)
        return false; /* no key: runs normally */
    if (strlen(r->idem_key) > MAX_KEY_BYTES)
        return reject_key(r->call, "the idempotency key is longer than 256 bytes");
    const char *name = json_string_value(json_object_get(r->call->client_info, "name"));
    r->identity = name && *name ? name : "anonymous";
    if (!hash_args(r->args, r->args_sha256)) {
        bw_call_reply_error(r->call, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
        return true;
    }
    char why[256] = "";
    json_t *stored = NULL;
    bw_idem_outcome o = bw_idem_begin(store, r->identity, r->tool->key, r->idem_key, r->args_sha256, bw_wall_ms(),
                                      p->ttl_ms, &stored, why, sizeof why);
    if (o == BW_IDEM_PROCEED) {
        r->idem = store;
        return false;
    }
    answer_known(r, o, stored, why);
    return true;
}

void bw_policy_idem_finish(bw_policy_call *r)
{
    if (!r->idem)
        return;
    /* A failure to store is not the caller's failure: the call happened. A later repeat then runs again. */
    if (bw_idem_finish(r->idem, r->identity, r->tool->key, r->idem_key, r->fresh, bw_wall_ms(),
                       r->pol->p.idempotency.ttl_ms) != BW_OK)
        bw_log_event(BW_LL_WARN, "the idempotency record could not be stored",
                     &(bw_log_fields){.tool = r->tool->key});
    r->idem = NULL;
}
