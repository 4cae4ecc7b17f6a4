/* The optional MCP tools "health-check" and "get-metrics", for clients that cannot reach the HTTP probes (stdio). */
#include "bulwark/bulwark.h"
#include "bulwark/policy.h"
#include "protocol/call_internal.h"
#include "reliability/health_internal.h"

/* Reads stored results only, so it never blocks: it runs on the reading thread. */
static bw_status health_check_tool(bw_call *call, const json_t *args, void *user)
{
    (void)args, (void)user;
    /* The call's server, not `user`: a reload moves these entries from a staging server into the live one. */
    json_t *doc = bw_server_health(call->srv, true, NULL);
    if (!doc)
        return BW_E_NOMEM;
    return bw_result_set_structured(bw_call_result(call), doc);
}

static bw_status get_metrics_tool(bw_call *call, const json_t *args, void *user)
{
    (void)args, (void)user;
    json_t *stats = bw_server_reliability_stats(call->srv); /* the call's server: see health_check_tool */
    json_t *proc = bw_proc_figures(call->srv);
    if (!stats || !proc || json_object_set_new(stats, "process", proc) != 0) {
        json_decref(stats);
        return BW_E_NOMEM;
    }
    return bw_result_set_structured(bw_call_result(call), stats);
}

static bw_status add(bw_server *srv, const char *name, const char *description, bw_tool_fn fn, unsigned flags)
{
    json_t *schema = json_pack("{s:s,s:{},s:b}", "type", "object", "properties", "additionalProperties", 0);
    json_t *annotations = json_pack("{s:b,s:b}", "readOnlyHint", 1, "openWorldHint", 0);
    bw_tool_def def = {.name = name, .description = description, .input_schema = schema,
                       .annotations = annotations, .handler = fn, .user = srv, .flags = flags};
    bw_status st = schema && annotations ? bw_server_add_tool(srv, &def, NULL, 0) : BW_E_NOMEM;
    json_decref(schema);
    json_decref(annotations);
    return st;
}

bw_status bw_server_add_health_tools(bw_server *srv)
{
    if (!srv)
        return BW_E_INVALID_ARG;
    bw_status st = add(srv, "health-check",
                       "The server's readiness: overall status (pass, fail, starting, draining) and each dependency "
                       "check with its status, latency and detail.",
                       health_check_tool, BW_TOOL_NONBLOCKING);
    if (st == BW_OK)
        st = add(srv, "get-metrics",
                 "Reliability counters per tool and dependency (calls, errors, retries, breaker states, cache) and "
                 "process figures (resident memory, open descriptors, CPU seconds, uptime).",
                 get_metrics_tool, 0);
    return st;
}
