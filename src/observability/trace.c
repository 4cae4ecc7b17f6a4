/* The request span: where its parent comes from (the traceparent header, else params._meta), the sampling
 * decision, the MCP semantic-convention attributes, the outcome at the end; and what providers ask of a call (the
 * span to parent to, the traceparent to send downstream). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observability/trace_internal.h"
#include "protocol/call_internal.h"
#include "protocol/dispatch.h"
#include "protocol/revision.h"
#include "protocol/server_internal.h"

/* ---- the parent ---- */

/* The incoming context: the HTTP headers of the message being received (the ingress is still set while bw_call_new
 * runs), else the request's params._meta. */
static void take_parent(const bw_call *call, bw_trace_ctx *p)
{
    const bw_obs_ingress *in = bw_obs_ingress_current();
    if (in && bw_traceparent_parse(in->traceparent, p)) {
        bw_tracestate_set(p, in->tracestate);
        return;
    }
    const json_t *tr = call->trace;
    if (tr && bw_traceparent_parse(json_string_value(json_object_get(tr, "traceparent")), p))
        bw_tracestate_set(p, json_string_value(json_object_get(tr, "tracestate")));
}

/* ---- the request span's attributes ---- */

static const char *target_name(const bw_call *call)
{
    const char *m = call->method->name;
    if (!strcmp(m, "tools/call") || !strcmp(m, "prompts/get"))
        return json_string_value(json_object_get(call->params, "name"));
    return NULL;
}

/* "<method> <target>" per the MCP semantic conventions (the target only when it is low-cardinality: a tool or prompt
 * name, never a resource URI). */
static void span_name(const bw_call *call, char *out, size_t outlen)
{
    const char *target = target_name(call);
    if (target)
        snprintf(out, outlen, "%s %s", call->method->name, target);
    else
        snprintf(out, outlen, "%s", call->method->name);
}

static void set_request_id(bw_span *s, const json_t *id)
{
    char buf[32];
    if (json_is_string(id))
        bw_span_set_str(s, "jsonrpc.request.id", json_string_value(id));
    else if (json_is_integer(id)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(id));
        bw_span_set_str(s, "jsonrpc.request.id", buf);
    }
}

/* client.address and client.port from "host:port" or "[v6]:port". */
static void set_client(bw_span *s, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return;
    char host[BW_REMOTE_ADDR_MAX];
    const char *start = addr[0] == '[' ? addr + 1 : addr;
    size_t n = (size_t)(colon - start);
    if (n && start[n - 1] == ']')
        n--;
    if (n == 0 || n >= sizeof host)
        return;
    memcpy(host, start, n);
    host[n] = '\0';
    bw_span_set_str(s, "client.address", host);
    bw_span_set_int(s, "client.port", strtol(colon + 1, NULL, 10));
}

static void request_attributes(bw_span *s, const bw_call *call)
{
    const char *m = call->method->name;
    bw_span_set_str(s, "mcp.method.name", m);
    if (!strcmp(m, "tools/call")) {
        bw_span_set_str(s, "gen_ai.tool.name", target_name(call));
        bw_span_set_str(s, "gen_ai.operation.name", "execute_tool");
    } else if (!strcmp(m, "prompts/get")) {
        bw_span_set_str(s, "gen_ai.prompt.name", target_name(call));
    } else if (!strncmp(m, "resources/", 10)) {
        bw_span_set_str(s, "mcp.resource.uri", json_string_value(json_object_get(call->params, "uri")));
    }
    set_request_id(s, call->id);
    const bw_obs_call *o = &call->obs;
    if (o->session_id[0])
        bw_span_set_str(s, "mcp.session.id", o->session_id);
    if (call->rev != BW_REV_UNKNOWN)
        bw_span_set_str(s, "mcp.protocol.version", bw_revision_str(call->rev));
    bw_span_set_str(s, "network.transport", o->remote_addr[0] ? "tcp" : "pipe");
    if (o->remote_addr[0])
        set_client(s, o->remote_addr);
    if (o->user_agent[0])
        bw_span_set_str(s, "user_agent.original", o->user_agent);
}

/* ---- begin / end ---- */

void bw_trace_call_begin(bw_call *call)
{
    bw_obs_call *o = &call->obs;
    take_parent(call, &o->parent);
    memset(&o->ctx, 0, sizeof o->ctx);
    if (o->parent.valid)
        memcpy(o->ctx.trace_id, o->parent.trace_id, 16);
    else
        bw_trace_new_trace_id(o->ctx.trace_id);
    bw_trace_new_span_id(o->ctx.span_id);
    o->ctx.valid = true; /* logs show the trace id whether or not the request is recorded */
    struct bw_tracer *t = bw_tracer_acquire(call->srv->obs);
    if (!t)
        return;
    /* Parent-based: a caller's decision stands; without one the ratio decides, from the trace id. */
    bool sampled = o->parent.valid ? (o->parent.flags & BW_TRACE_FLAG_SAMPLED) : bw_tracer_samples(t, o->ctx.trace_id);
    if (!sampled) {
        bw_tracer_unref(t);
        return;
    }
    char name[300];
    span_name(call, name, sizeof name);
    o->span = bw_span_start(t, &o->parent, o->ctx.trace_id, name, BW_SPAN_SERVER);
    if (!o->span)
        return;
    bw_span_context(o->span, &o->ctx);
    request_attributes(o->span, call);
}

void bw_trace_call_end(bw_call *call, const bw_obs_outcome *o)
{
    bw_span *s = call->obs.span;
    if (!s)
        return;
    call->obs.span = NULL;
    call->obs.active = NULL;
    if (o->status && strcmp(o->status, "ok") != 0) {
        bw_span_set_error(s, o->error_type, o->error);
        if (o->rpc_code) {
            char code[16];
            snprintf(code, sizeof code, "%d", o->rpc_code);
            bw_span_set_str(s, "rpc.response.status_code", code);
        }
    }
    bw_span_end(s);
}

/* ---- for providers ---- */

bw_span *bw_call_span(bw_call *call)
{
    if (!call)
        return NULL;
    return call->obs.active ? call->obs.active : call->obs.span;
}

bool bw_call_traceparent(bw_call *call, char out[BW_TRACEPARENT_LEN + 1], const char **tracestate)
{
    return bw_span_traceparent(call, bw_call_span(call), out, tracestate);
}

bool bw_span_traceparent(bw_call *call, bw_span *span, char out[BW_TRACEPARENT_LEN + 1], const char **tracestate)
{
    if (tracestate)
        *tracestate = NULL;
    if (!call)
        return false;
    const bw_obs_call *o = &call->obs;
    bw_trace_ctx ctx;
    if (!bw_span_context(span, &ctx)) {
        /* Not recorded here: pass the caller's context on unchanged (so the downstream span's parent is a span that
         * exists), else ours with the sampled flag off (so the downstream logs share our trace id). */
        ctx = o->parent.valid ? o->parent : o->ctx;
        if (!o->parent.valid)
            ctx.flags = 0;
    }
    if (!ctx.valid)
        return false;
    bw_traceparent_format(&ctx, out);
    if (tracestate && o->parent.valid && o->parent.tracestate[0])
        *tracestate = o->parent.tracestate;
    return true;
}
