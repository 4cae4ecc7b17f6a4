/* tools/call: look up, validate arguments, run the handler, shape and validate the result. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "protocol/dispatch.h"
#include "protocol/jsonrpc.h"
#include "protocol/mrtr.h"
#include "protocol/server_internal.h"
#include "protocol/tasks.h"
#include "reliability/policy.h"

static void reply_tool_error(bw_call *call, const char *text)
{
    bw_reply_tool_result(call, text);
}

/* A tool failure the model should see: a result with isError:true and one text block. */
void bw_reply_tool_result(bw_call *call, const char *error_text)
{
    json_t *content = json_array();
    json_array_append_new(content, bw_content_text(error_text));
    bw_call_reply(call, json_pack("{s:o,s:b}", "content", content, "isError", 1));
}

/* Turns the handler's status into the call's response when it is not a plain result. Returns true if it did. */
static bool reply_for_status(bw_call *call, bw_entry *tool, bw_status st)
{
    char text[512];
    const char *detail = call->last_error[0] ? call->last_error : bw_status_str(st);
    switch (st) {
    case BW_OK:
    case BW_E_TOOL:
        return false;
    case BW_E_INVALID_PARAMS:
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Invalid params: %s", detail);
        return true;
    case BW_E_NOMEM:
    case BW_E_INTERNAL:
    case BW_INPUT_REQUIRED:
        bw_call_reply_errorf(call, BW_RPC_INTERNAL_ERROR, "Internal error: tool %s failed: %s", tool->key, detail);
        return true;
    default: /* timeouts, missing client capabilities, client refusals, I/O: the model can act on these */
        snprintf(text, sizeof text, "Tool %s failed: %s", tool->key, detail);
        reply_tool_error(call, text);
        return true;
    }
}

static void check_structured(bw_call *call, bw_entry *tool, bw_result *r)
{
    char why[300];
    if (!r->structured) {
        bw_call_reply_errorf(call, BW_RPC_INTERNAL_ERROR,
                             "Internal error: tool %s declares an outputSchema but returned no structuredContent",
                             tool->key);
        return;
    }
    if (!bw_schema_validate(tool->output, r->structured, why, sizeof why))
        bw_call_reply_errorf(call, BW_RPC_INTERNAL_ERROR,
                             "Internal error: tool %s returned structuredContent that does not match its outputSchema: %s",
                             tool->key, why);
}

static void build_result(bw_call *call, bw_entry *tool, bw_status st)
{
    bw_result *r = &call->result;
    if (st == BW_E_TOOL && !r->is_error) {
        r->is_error = true;
        bw_result_add_text(r, call->last_error[0] ? call->last_error : "tool failed");
    }
    if (tool->output && !r->is_error) {
        check_structured(call, tool, r);
        if (bw_call_replied(call))
            return;
    }
    if (r->structured && !r->content) {
        char *text = json_dumps(r->structured, JSON_COMPACT);
        bw_result_add_text(r, text ? text : "");
        free(text);
    }
    json_t *result = json_object();
    json_object_set_new(result, "content", r->content ? r->content : json_array());
    r->content = NULL;
    if (r->structured) {
        json_object_set_new(result, "structuredContent", r->structured);
        r->structured = NULL;
    }
    if (r->is_error)
        json_object_set_new(result, "isError", json_true());
    if (r->meta) {
        json_object_set_new(result, "_meta", r->meta);
        r->meta = NULL;
    }
    bw_call_reply(call, result);
}

/* Arguments must match the tool's inputSchema (defaults applied first). Replies and returns false if not. */
static bool args_valid(bw_call *call, bw_entry *tool, json_t *args)
{
    char why[300];
    if (tool->has_defaults)
        bw_schema_apply_defaults(tool->input, args);
    if (bw_schema_validate(tool->input, args, why, sizeof why))
        return true;
    char text[400];
    snprintf(text, sizeof text, "Invalid arguments for tool %s: %s", tool->key, why);
    reply_tool_error(call, text);
    return false;
}

bool bw_tool_settled(bw_call *call, bw_entry *tool, const json_t *args, bw_status st)
{
    if (atomic_load(&call->cancelled))
        return true; /* never answered */
    if (call->modern && bw_mrtr_finish(call, tool->key, args, st))
        return true;
    return call->task && st == BW_INPUT_REQUIRED; /* the task parks in input_required with call->input_requests */
}

void bw_tool_answer(bw_call *call, bw_entry *tool, bw_status st)
{
    if (!reply_for_status(call, tool, st))
        build_result(call, tool, st);
}

bw_status bw_tool_run(bw_call *call, bw_entry *tool, json_t *args)
{
    if (!args_valid(call, tool, args))
        return BW_E_INVALID_PARAMS;
    return bw_policy_run(call, tool, args); /* deadline, retries, breaker, cache... around the handler */
}

static void run_tool(bw_call *call, bw_entry *tool, json_t *args)
{
    if (!args_valid(call, tool, args))
        return;
    if (call->modern && !call->task) {
        if (!bw_mrtr_begin(call, tool->key, args))
            return;
        if (!call->on_reader && bw_tasks_maybe_start(call, tool, args) && !call->task)
            return; /* answered: -32021 or the store is full */
    }
    (void)bw_policy_run(call, tool, args);
}

void bw_m_tools_call(bw_call *call)
{
    const char *name = json_string_value(json_object_get(call->params, "name"));
    const json_t *given = json_object_get(call->params, "arguments");
    if (!name) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: tools/call needs a string \"name\"", NULL);
        return;
    }
    if (given && !json_is_null(given) && !json_is_object(given)) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: \"arguments\" must be an object", NULL);
        return;
    }
    bw_entry *tool = bw_registry_get(&call->srv->reg, BW_KIND_TOOL, name);
    if (!tool) {
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Unknown tool: %s", name);
        return;
    }
    /* Defaults only add top-level members, so a shallow copy is enough — and none is needed without defaults,
     * since the handler gets the arguments read-only. */
    json_t *args = !json_is_object(given) ? json_object()
                   : tool->has_defaults   ? json_copy((json_t *)given)
                                          : json_incref((json_t *)given);
    run_tool(call, tool, args);
    json_decref(args);
    bw_entry_unref(tool);
}
