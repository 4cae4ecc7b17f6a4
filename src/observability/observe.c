/* The observation points: the transport's ingress context, the start and end of every call, and the one outcome
 * each observer (metrics, log, trace, audit, events) receives. Nothing here takes a lock: the ingress is
 * thread-local, counters are atomics, and each observer bounds its own work. */
#include "observability/observe.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/policy.h"
#include "observability/audit.h"
#include "observability/events.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "observability/trace.h"
#include "protocol/call_internal.h"
#include "protocol/dispatch.h"
#include "protocol/jsonrpc.h"
#include "protocol/server_internal.h"

bw_observe *bw_observe_new(bw_server *srv)
{
    bw_observe *obs = calloc(1, sizeof *obs);
    if (!obs)
        return NULL;
    obs->metrics = bw_metrics_new();
    obs->events = bw_events_new(srv);
    obs->logcfg = bw_logcfg_new();
    if (!obs->metrics || !obs->events || !obs->logcfg) {
        bw_observe_free(obs);
        return NULL;
    }
    return obs;
}

void bw_observe_free(bw_observe *obs)
{
    if (!obs)
        return;
    bw_audit_free(atomic_load(&obs->audit)); /* drains its queue into the store first */
    bw_tracer_free(atomic_load(&obs->tracer)); /* flushes what is queued, bounded by its export timeout */
    bw_events_free(obs->events);
    bw_metrics_free(obs->metrics);
    bw_logcfg_free(obs->logcfg);
    free(obs);
}

/* ---- ingress ---- */

static _Thread_local const bw_obs_ingress *tl_ingress;

void bw_obs_ingress_enter(const bw_obs_ingress *in)
{
    tl_ingress = in;
}

void bw_obs_ingress_leave(void)
{
    tl_ingress = NULL;
}

const bw_obs_ingress *bw_obs_ingress_current(void)
{
    return tl_ingress;
}

bool bw_obs_request_id_valid(const char *id)
{
    if (!id || !*id)
        return false;
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == ':' || c == '-';
        if (!ok || n >= BW_REQUEST_ID_MAX)
            return false;
    }
    return true;
}

/* Request ids need to be unique, not secret: a per-thread random prefix and a counter, so no syscall per request. */
void bw_obs_request_id_new(char *out)
{
    static _Thread_local uint64_t prefix, counter;
    if (!prefix) {
        while (!prefix)
            if (RAND_bytes((unsigned char *)&prefix, sizeof prefix) != 1)
                prefix = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&prefix;
        counter = prefix * 0x9E3779B97F4A7C15ull;
    }
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)prefix, (unsigned long long)++counter);
}

/* ---- begin ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void bw_obs_call_begin(bw_call *call)
{
    bw_obs_call *o = &call->obs;
    const bw_obs_ingress *in = tl_ingress;
    o->start_ns = now_ns();
    if (in && bw_obs_request_id_valid(in->request_id))
        copy_str(o->request_id, sizeof o->request_id, in->request_id);
    else
        bw_obs_request_id_new(o->request_id);
    if (in) {
        copy_str(o->session_id, sizeof o->session_id, in->session_id);
        copy_str(o->remote_addr, sizeof o->remote_addr, in->remote_addr);
        copy_str(o->user_agent, sizeof o->user_agent, in->user_agent);
    }
    bw_observe *obs = call->srv->obs;
    if (obs)
        atomic_fetch_add_explicit(&obs->inflight, 1, memory_order_relaxed);
    bw_trace_call_begin(call);
    bw_log_call_begin(call);
    o->begun = true;
}

/* ---- end ---- */

static const char *target_of(const bw_call *call)
{
    const char *name = call->method->name;
    if (!strcmp(name, "resources/read") || !strcmp(name, "resources/subscribe") ||
        !strcmp(name, "resources/unsubscribe"))
        return json_string_value(json_object_get(call->params, "uri"));
    if (!strcmp(name, "tools/call") || !strcmp(name, "prompts/get"))
        return json_string_value(json_object_get(call->params, "name"));
    return NULL;
}

/* The text of an isError result's first text block. */
static const char *tool_error_text(const json_t *result)
{
    const json_t *first = json_array_get(json_object_get(result, "content"), 0);
    return json_string_value(json_object_get(first, "text"));
}

static const char *failure_type(int failure)
{
    switch (failure) {
    case BW_FAILURE_TIMEOUT:
        return "timeout";
    case BW_FAILURE_CONNECTION:
        return "connection";
    case BW_FAILURE_UNAVAILABLE:
        return "unavailable";
    case BW_FAILURE_CONFLICT:
        return "conflict";
    case BW_FAILURE_PERMANENT:
        return "permanent";
    default:
        return "tool_error";
    }
}

static const char *rpc_error_type(const bw_call *call, int code)
{
    switch (code) {
    case BW_RPC_INVALID_PARAMS:
        return "invalid_params";
    case BW_RPC_RESOURCE_NOT_FOUND:
    case BW_RPC_METHOD_NOT_FOUND:
        return "not_found";
    case BW_RPC_SERVER_OVERLOADED:
        return atomic_load(&call->shutdown_cancelled) ? "shutdown" : "rejected";
    case BW_RPC_INTERNAL_ERROR:
        return "internal";
    default:
        return "other";
    }
}

static void outcome_of(const bw_call *call, bool answered, bw_obs_outcome *o)
{
    memset(o, 0, sizeof *o);
    o->method = call->method->name;
    o->target = target_of(call);
    o->duration_s = (double)(now_ns() - call->obs.start_ns) / 1e9;
    if (!strcmp(o->method, "tools/call") || !strcmp(o->method, "prompts/get"))
        o->arguments = json_object_get(call->params, "arguments");
    o->result = call->reply_result;
    if (!answered && !call->detached && !call->task) {
        o->status = "cancelled";
        o->error_type = "cancelled";
        return;
    }
    if (call->reply_error) {
        o->status = "error";
        o->rpc_code = (int)json_integer_value(json_object_get(call->reply_error, "code"));
        o->error = json_string_value(json_object_get(call->reply_error, "message"));
        o->error_type = call->obs.error_type ? call->obs.error_type : rpc_error_type(call, o->rpc_code);
        return;
    }
    if (json_is_true(json_object_get(call->reply_result, "isError"))) {
        o->status = "tool_error";
        o->error = tool_error_text(call->reply_result);
        o->error_type = call->obs.error_type ? call->obs.error_type : failure_type(call->failure);
        return;
    }
    o->status = "ok";
}

void bw_obs_call_end(bw_call *call, bool answered)
{
    if (!call->obs.begun)
        return;
    call->obs.begun = false;
    bw_observe *obs = call->srv->obs;
    bw_obs_outcome o;
    outcome_of(call, answered, &o);
    if (obs)
        atomic_fetch_sub_explicit(&obs->inflight, 1, memory_order_relaxed);
    bw_metrics_call_end(call->srv, &o);
    bw_log_call_end(call, &o);
    bw_trace_call_end(call, &o);
    if (bw_audit_method(o.method)) {
        bw_audit_call_end(call, &o);
        bw_events_call_end(call, &o);
    }
}

void bw_obs_request_refused(bw_server *srv, const char *method, int rpc_code, const char *message)
{
    const char *label = bw_obs_method_label(method);
    bw_metrics_refused(srv, label, rpc_code);
    if (bw_log_enabled(BW_LL_DEBUG)) {
        const bw_obs_ingress *in = tl_ingress;
        bw_log_fields f = {.request_id = in ? in->request_id : NULL, .session_id = in ? in->session_id : NULL,
                           .method = label, .duration_ms = -1, .outcome = "error", .error = message};
        bw_log_event(BW_LL_DEBUG, "request_refused", &f);
    }
}

void bw_obs_set_error_type(bw_call *call, const char *type)
{
    if (!call->obs.error_type)
        call->obs.error_type = type;
}

const char *bw_obs_method_label(const char *method)
{
    const bw_method *m = method ? bw_method_find(method) : NULL;
    return m ? m->name : "other";
}
