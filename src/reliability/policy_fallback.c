/* The fallback tool: when a tool fails after its retries (or its breaker is open) and no stale result exists, another
 * registered tool (e.g. a simpler query) runs once with the same arguments, within what is left of the deadline.
 * It runs bare: its own retries, cache and breaker do not apply (the primary's call already holds the admission). */
#include <string.h>

#include "core/clock.h"
#include "protocol/server_internal.h"
#include "reliability/policy.h"
#include "reliability/policy_run.h"

void bw_policy_reset_call(bw_call *call)
{
    bw_result_clear(&call->result);
    json_decref(call->reply_result);
    json_decref(call->reply_error);
    call->reply_result = call->reply_error = NULL;
    call->last_error[0] = '\0';
    call->failure = BW_FAILURE_NONE;
}

/* The arguments as the fallback tool takes them (its own defaults applied), or NULL when they do not fit its
 * inputSchema. New reference. */
static json_t *fallback_args(const bw_entry *fb, const json_t *args)
{
    json_t *copy = json_deep_copy(args);
    if (!copy)
        return NULL;
    if (fb->has_defaults)
        bw_schema_apply_defaults(fb->input, copy);
    if (!bw_schema_validate(fb->input, copy, NULL, 0)) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

/* Runs fb's handler once; true when it answered with a result that is not an error. */
static bool run_once(bw_policy_call *r, bw_entry *fb, json_t *args)
{
    bw_call *c = r->call;
    bw_status st = ((bw_tool_fn)fb->handler)(c, args, fb->user);
    if (bw_tool_settled(c, fb, args, st)) {
        r->settled = atomic_load(&c->cancelled);
        return true; /* cancelled (no answer) or answered by MRTR: either way nothing is left to restore */
    }
    bw_tool_answer(c, fb, st);
    return st == BW_OK && c->reply_result && !bw_policy_answer_is_tool_error(c) && !bw_clock_ms_passed(r->deadline);
}

bool bw_policy_fallback(bw_policy_call *r)
{
    const char *name = r->pol->p.fallback_tool;
    bw_entry *fb = name ? bw_registry_get(&r->call->srv->reg, BW_KIND_TOOL, name) : NULL;
    /* On the reader only a non-blocking fallback may run; none runs without time left. */
    json_t *args = fb && (fb->nonblocking || !r->call->on_reader) && !bw_clock_ms_passed(r->deadline)
                       ? fallback_args(fb, r->args)
                       : NULL;
    bool answered = false;
    if (args) {
        /* The primary's answer stands if the fallback fails too. */
        json_t *kept_result = r->call->reply_result, *kept_error = r->call->reply_error;
        r->call->reply_result = r->call->reply_error = NULL;
        bw_policy_reset_call(r->call);
        answered = run_once(r, fb, args);
        if (answered && !r->settled) {
            json_decref(kept_result);
            json_decref(kept_error);
            bw_policy_meta_set(r->call, "io.bulwark/fallback", json_string(name));
            BW_POLICY_COUNT(r, fallbacks);
        } else if (!answered) {
            bw_policy_reset_call(r->call);
            r->call->reply_result = kept_result;
            r->call->reply_error = kept_error;
        }
    }
    json_decref(args);
    bw_entry_unref(fb);
    return answered;
}
