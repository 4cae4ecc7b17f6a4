/* One tools/call going through the policy: what it holds and the steps the orchestrator (policy.c) chains. The
 * steps live in policy_answer.c (answers the policy writes), policy_idem.c (idempotency) and policy_fallback.c.
 * A run is on the call's thread only. */
#ifndef BW_RELIABILITY_POLICY_RUN_H
#define BW_RELIABILITY_POLICY_RUN_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/call_internal.h"
#include "protocol/registry.h"
#include "reliability/reliability_internal.h"

typedef struct bw_policy_call {
    bw_call *call;
    bw_entry *tool;
    json_t *args;              /* borrowed */
    const bw_policy *pol;
    bw_reliability *rel;       /* the server running the call */
    bw_tool_stats *ts;         /* never NULL (a sink when the table could not grow) */
    bw_dep *dep;               /* NULL: the tool has no dependency */
    bw_result_cache *cache;    /* the cache in force when the call started */
    int64_t deadline;          /* the call's deadline (monotonic ms) */
    /* Held, released by the single cleanup path. */
    bool in_flight, tool_slot, dep_slot, breaker_admitted, running;
    /* Idempotency (policy_idem.c). */
    bw_idem_store *idem;       /* set while a record of ours is in progress */
    char *idem_key;            /* owned */
    const char *identity;      /* borrowed from the call's clientInfo, or "anonymous" */
    unsigned char args_sha256[32];
    /* Outcome. */
    bw_status st;              /* the last handler status */
    int attempts;
    bw_failure failure;        /* the last attempt's failure; BW_FAILURE_NONE on success */
    bool settled;              /* the handler settled the call itself (cancelled, MRTR, task) */
    json_t *fresh;             /* a fresh successful result as the tool answered it (for the idempotency record) */
    /* Tracing (observability/trace.h): the "policy" span, NULL when the request is not recorded; the backoff waited
     * before the coming attempt. */
    struct bw_span *span;
    int64_t delay_ms;
} bw_policy_call;

#define BW_POLICY_COUNT(run, field) atomic_fetch_add_explicit(&(run)->ts->field, 1, memory_order_relaxed)

/* ---- answers (policy_answer.c) ---- */

/* -32000 "Server overloaded: ..." with data {"retryAfterMs":1000}. */
void bw_policy_reply_overloaded(bw_policy_call *run, const char *message);
/* isError "Tool <name> timed out after <N> ms (deadline)". */
void bw_policy_reply_timeout(bw_policy_call *run);
/* isError "Tool <name> is temporarily unavailable: <dep> is failing (circuit open); retry after <S> s" and
 * _meta io.bulwark/retryAfterMs. */
void bw_policy_reply_open(bw_policy_call *run, int64_t retry_after_ms);
/* Sets _meta[key] (value stolen) on the call's result; nothing when the answer is an error object. */
void bw_policy_meta_set(bw_call *call, const char *key, json_t *value);
/* Serves the cached result of the same tool and arguments when one is within cache.max_stale_ms, marked stale
 * because of `reason`. true when it answered. */
bool bw_policy_serve_stale(bw_policy_call *run, const char *reason);
/* true when the call's answer is a tool result with isError:true (a failure stale/fallback may replace). */
bool bw_policy_answer_is_tool_error(const bw_call *call);

/* ---- idempotency (policy_idem.c) ---- */

/* Looks the call's key up: true when that answered the call (replay, mismatch, in progress, store error); false to
 * run it (with a record of ours in progress when the call carries a key). */
bool bw_policy_idem_begin(bw_policy_call *run);
/* Completes our record: run->fresh is stored, else the record is deleted (a retry with the key runs again). */
void bw_policy_idem_finish(bw_policy_call *run);

/* ---- the fallback tool (policy_fallback.c) ---- */

/* Runs the policy's fallback tool once with the same arguments; true when it answered with a result that is not an
 * error (marked _meta io.bulwark/fallback). Otherwise the primary's answer is left as it was. */
bool bw_policy_fallback(bw_policy_call *run);

/* Clears what an attempt left in the call (builder, answer, error text, failure kind) before another handler runs. */
void bw_policy_reset_call(bw_call *call);

#endif
