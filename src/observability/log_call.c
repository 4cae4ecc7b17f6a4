/* The request lifecycle lines: request_started when a call begins, request_completed (answered with a result, a
 * tool error included: the request itself worked) or request_failed (a JSON-RPC error, or cancelled) when it ends.
 * Nothing here allocates unless the tool's arguments or result are logged (then the redacted copy). */
#include <string.h>

#include "observability/log.h"
#include "observability/log_cfg.h"
#include "observability/log_line.h"
#include "protocol/call_internal.h"
#include "protocol/dispatch.h"

enum { EV_STARTED = 0, EV_COMPLETED = 1, EV_FAILED = 2 };

/* The fields every lifecycle line carries: ids, method and target. */
static void common(bw_logline *l, const bw_call *call, const char *target)
{
    const bw_obs_call *o = &call->obs;
    const char *method = call->method->name;
    bw_logline_str(l, "request_id", o->request_id);
    bw_logline_str(l, "session_id", o->session_id);
    const bw_trace_ctx *tc = o->ctx.valid ? &o->ctx : o->parent.valid ? &o->parent : NULL;
    if (tc) {
        char hex[33];
        bw_trace_id_hex(tc, hex);
        bw_logline_str(l, "trace_id", hex);
    }
    bw_logline_str(l, "method", method);
    if (!strcmp(method, "tools/call"))
        bw_logline_str(l, "tool", target);
    else if (!strcmp(method, "prompts/get"))
        bw_logline_str(l, "prompt", target);
    else if (!strncmp(method, "resources/", 10))
        bw_logline_str(l, "uri", target);
}

static const char *target_of(const bw_call *call)
{
    const char *m = call->method->name;
    const char *key = !strcmp(m, "tools/call") || !strcmp(m, "prompts/get") ? "name"
                      : !strncmp(m, "resources/", 10)                       ? "uri"
                                                                            : NULL;
    return key ? json_string_value(json_object_get(call->params, key)) : NULL;
}

/* The tool's per-tool logging entry (tools/call only), or NULL. */
static const bw_logtool *tool_logging(const bw_call *call, const char *target)
{
    if (!target || strcmp(call->method->name, "tools/call"))
        return NULL;
    return bw_logsnap_tool(bw_logcfg_snap(call->srv), target);
}

/* key: the redacted copy of v (nothing when v is NULL or on allocation failure). */
static void redacted(bw_logline *l, bw_server *srv, const char *key, const json_t *v)
{
    json_t *copy = v ? bw_redact(srv, v) : NULL;
    bw_logline_json(l, key, copy);
    json_decref(copy);
}

void bw_log_call_begin(bw_call *call)
{
    bw_loglevel lvl = bw_logcfg_event_level(call->srv, EV_STARTED);
    if (!bw_log_enabled(lvl))
        return;
    const char *target = target_of(call);
    bw_logline l;
    bw_logline_begin(&l, lvl, "request_started");
    common(&l, call, target);
    const bw_logtool *t = tool_logging(call, target);
    if (t && t->arguments)
        redacted(&l, call->srv, "arguments", json_object_get(call->params, "arguments"));
    bw_logline_end(&l);
}

/* The error text, unless it looks like it carries a credential. */
static const char *safe_error(const char *e)
{
    return bw_redact_secret_text(e) ? "[REDACTED]" : e;
}

void bw_log_call_end(bw_call *call, const bw_obs_outcome *o)
{
    bool failed = !strcmp(o->status, "error") || !strcmp(o->status, "cancelled");
    bw_loglevel lvl = bw_logcfg_event_level(call->srv, failed ? EV_FAILED : EV_COMPLETED);
    if (!bw_log_enabled(lvl))
        return;
    bw_logline l;
    bw_logline_begin(&l, lvl, failed ? "request_failed" : "request_completed");
    common(&l, call, o->target);
    bw_logline_num(&l, "duration_ms", o->duration_s * 1000.0, 3);
    bw_logline_str(&l, "outcome", o->status);
    bw_logline_str(&l, "error_type", o->error_type);
    if (o->rpc_code)
        bw_logline_int(&l, "error_code", o->rpc_code);
    bw_logline_str(&l, "error", safe_error(o->error));
    const bw_logtool *t = tool_logging(call, o->target);
    if (t && t->arguments)
        redacted(&l, call->srv, "arguments", o->arguments);
    if (t && t->results)
        redacted(&l, call->srv, "result", o->result);
    bw_logline_end(&l);
}
