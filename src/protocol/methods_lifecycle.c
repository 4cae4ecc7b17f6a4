/* initialize, ping and logging/setLevel. */
#include <string.h>

#include "protocol/cache_hints.h"
#include "protocol/dispatch.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/server_internal.h"

void bw_m_initialize(bw_call *call)
{
    bw_session *s = call->session;
    const json_t *p = call->params;
    const char *asked = json_string_value(json_object_get(p, "protocolVersion"));
    if (!asked) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: initialize needs \"protocolVersion\"", NULL);
        return;
    }
    /* Answer the client's revision if we serve it, else the newest we serve; the client decides what next. */
    bw_revision rev = bw_revision_parse(asked);
    if (!rev)
        rev = BW_REV_NEWEST_LEGACY;
    const json_t *caps = json_object_get(p, "capabilities");
    const json_t *info = json_object_get(p, "clientInfo");
    pthread_mutex_lock(&s->mu);
    bool again = atomic_load(&s->rev) != BW_REV_UNKNOWN;
    if (!again) {
        if (json_is_object(caps))
            json_object_update(s->client_caps, (json_t *)caps);
        if (json_is_object(info))
            json_object_update(s->client_info, (json_t *)info);
        atomic_store_explicit(&s->rev, rev, memory_order_release);
    }
    pthread_mutex_unlock(&s->mu);
    if (again) {
        bw_call_reply_error(call, BW_RPC_INVALID_REQUEST, "Invalid Request: the session is already initialized",
                            NULL);
        return;
    }
    json_t *result = json_pack("{s:s,s:o,s:o}", "protocolVersion", bw_revision_str(rev), "capabilities",
                               bw_server_capabilities(s->srv, rev), "serverInfo", bw_server_info_json(s->srv, rev));
    if (s->srv->instructions)
        json_object_set_new(result, "instructions", json_string(s->srv->instructions));
    bw_call_reply(call, result);
}

void bw_m_ping(bw_call *call)
{
    bw_call_reply(call, json_object());
}

void bw_m_set_level(bw_call *call)
{
    const char *name = json_string_value(json_object_get(call->params, "level"));
    int level = bw_log_level_parse(name);
    if (level < 0) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS,
                            "Invalid params: \"level\" must be one of debug, info, notice, warning, error, critical, "
                            "alert, emergency",
                            NULL);
        return;
    }
    atomic_store(&call->session->log_level, level);
    bw_call_reply(call, json_object());
}

/* server/discover (2026-07-28): versions, capabilities and identity in one cacheable result. */
void bw_m_discover(bw_call *call)
{
    bw_server *srv = call->srv;
    json_t *result = json_pack("{s:o,s:o,s:{s:o}}", "supportedVersions", bw_revision_modern_list(), "capabilities",
                               bw_server_capabilities(srv, call->rev), "_meta", BW_META_SERVER_INFO,
                               bw_server_info_json(srv, call->rev));
    if (srv->instructions)
        json_object_set_new(result, "instructions", json_string(srv->instructions));
    bw_cache_hints_add(call, result, NULL);
    bw_call_reply(call, result);
}
