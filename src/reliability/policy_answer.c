/* The answers the policy writes itself (overload, deadline, open breaker, stale results) and the _meta marks it
 * adds to tool results. The wording is part of the wire contract (docs/reliability.md). */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "protocol/call_internal.h"
#include "protocol/jsonrpc.h"
#include "reliability/policy_run.h"

#define RETRY_AFTER_OVERLOAD_MS 1000

void bw_policy_reply_overloaded(bw_policy_call *run, const char *message)
{
    bw_obs_set_error_type(run->call, "rejected");
    bw_call_reply_error(run->call, BW_RPC_SERVER_OVERLOADED, message,
                        json_pack("{s:i}", "retryAfterMs", RETRY_AFTER_OVERLOAD_MS));
}

void bw_policy_reply_timeout(bw_policy_call *run)
{
    bw_obs_set_error_type(run->call, "timeout");
    char text[300];
    snprintf(text, sizeof text, "Tool %s timed out after %lld ms (deadline)", run->tool->key,
             (long long)(run->deadline - run->call->started_ms));
    bw_reply_tool_result(run->call, text);
}

void bw_policy_reply_open(bw_policy_call *run, int64_t retry_after_ms)
{
    bw_obs_set_error_type(run->call, "circuit_open");
    char text[800];
    long long seconds = (retry_after_ms + 999) / 1000;
    snprintf(text, sizeof text,
             "Tool %s is temporarily unavailable: %s is failing (circuit open); retry after %lld s", run->tool->key,
             run->pol->dependency, seconds > 0 ? seconds : 1);
    bw_reply_tool_result(run->call, text);
    bw_policy_meta_set(run->call, "io.bulwark/retryAfterMs", json_integer(retry_after_ms));
}

void bw_policy_meta_set(bw_call *call, const char *key, json_t *value)
{
    json_t *result = call->reply_result;
    if (!value)
        return;
    if (!json_is_object(result)) {
        json_decref(value);
        return;
    }
    json_t *meta = json_object_get(result, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        if (json_object_set_new(result, "_meta", meta) != 0) {
            json_decref(value);
            return;
        }
    }
    json_object_set_new(meta, key, value);
}

bool bw_policy_answer_is_tool_error(const bw_call *call)
{
    return !call->reply_error && json_is_true(json_object_get(call->reply_result, "isError"));
}

bool bw_policy_serve_stale(bw_policy_call *run, const char *reason)
{
    const bw_cache_policy *p = &run->pol->p.cache;
    if (!run->pol->cacheable || p->max_stale_ms <= 0)
        return false;
    int64_t age = 0;
    json_t *hit = bw_result_cache_get(run->cache, run->tool->key, run->args, bw_clock_ms(), BW_CACHE_STALE_ONLY, &age);
    if (!hit)
        return false;
    char note[700];
    snprintf(note, sizeof note, "[stale: served from cache, %lld s old, because %s]", (long long)(age / 1000), reason);
    json_t *content = json_object_get(hit, "content");
    if (!json_is_array(content)) {
        content = json_array();
        json_object_set_new(hit, "content", content);
    }
    json_array_append_new(content, bw_content_text(note));
    bw_call_reply(run->call, hit);
    bw_policy_meta_set(run->call, "io.bulwark/stale", json_pack("{s:I,s:s}", "ageMs", (json_int_t)age, "reason", reason));
    BW_POLICY_COUNT(run, stale_served);
    return true;
}
