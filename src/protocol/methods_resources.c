/* resources/read, resources/subscribe, resources/unsubscribe. */
#include <string.h>

#include "protocol/cache_hints.h"
#include "protocol/dispatch.h"
#include "protocol/jsonrpc.h"
#include "protocol/mrtr.h"
#include "protocol/server_internal.h"

/* -32002 until 2025-11-25; the stateless revision made a missing resource an invalid parameter (SEP-2164). */
static void not_found(bw_call *call, const char *uri)
{
    bw_call_reply_error(call, call->modern ? BW_RPC_INVALID_PARAMS : BW_RPC_RESOURCE_NOT_FOUND,
                        call->modern ? "Invalid params: resource not found" : "Resource not found",
                        json_pack("{s:s}", "uri", uri));
}

static const char *uri_param(bw_call *call)
{
    const char *uri = json_string_value(json_object_get(call->params, "uri"));
    if (!uri || !*uri)
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: \"uri\" must be a non-empty string", NULL);
    return uri && *uri ? uri : NULL;
}

void bw_m_resources_read(bw_call *call)
{
    const char *uri = uri_param(call);
    if (!uri)
        return;
    json_t *vars = NULL;
    bw_entry *e = bw_registry_get(&call->srv->reg, BW_KIND_RESOURCE, uri);
    if (!e)
        e = bw_registry_match_template(&call->srv->reg, uri, &vars);
    if (!e) {
        not_found(call, uri);
        return;
    }
    if (call->modern && !bw_mrtr_begin(call, uri, NULL)) {
        json_decref(vars);
        bw_entry_unref(e);
        return;
    }
    bw_status st = ((bw_resource_fn)e->handler)(call, uri, vars, e->user);
    if (atomic_load(&call->cancelled)) {
        /* never answered */
    } else if (call->modern && bw_mrtr_finish(call, uri, NULL, st)) {
        /* input_required, or an error about the client's input */
    } else if (st == BW_E_NOT_FOUND) {
        not_found(call, uri);
    } else if (st == BW_E_INVALID_PARAMS) {
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Invalid params: %s", call->last_error);
    } else if (st != BW_OK || !call->result.contents) {
        bw_call_reply_errorf(call, BW_RPC_INTERNAL_ERROR, "Internal error: reading %s failed: %s", uri,
                             st ? (call->last_error[0] ? call->last_error : bw_status_str(st)) : "no contents");
    } else {
        json_t *result = json_pack("{s:o}", "contents", call->result.contents);
        call->result.contents = NULL;
        bw_cache_hints_add(call, result, &e->hint);
        bw_call_reply(call, result);
    }
    json_decref(vars);
    bw_entry_unref(e);
}

static bool resource_exists(bw_server *srv, const char *uri)
{
    json_t *vars = NULL;
    bw_entry *e = bw_registry_get(&srv->reg, BW_KIND_RESOURCE, uri);
    if (!e)
        e = bw_registry_match_template(&srv->reg, uri, &vars);
    json_decref(vars);
    bw_entry_unref(e);
    return e != NULL;
}

static void subscription(bw_call *call, bool on)
{
    const char *uri = uri_param(call);
    if (!uri)
        return;
    if (on && !resource_exists(call->srv, uri)) {
        not_found(call, uri);
        return;
    }
    bw_session *s = call->session;
    pthread_mutex_lock(&s->mu);
    if (on)
        json_object_set_new(s->subscriptions, uri, json_true());
    else
        json_object_del(s->subscriptions, uri);
    pthread_mutex_unlock(&s->mu);
    bw_call_reply(call, json_object());
}

void bw_m_subscribe(bw_call *call) { subscription(call, true); }
void bw_m_unsubscribe(bw_call *call) { subscription(call, false); }
