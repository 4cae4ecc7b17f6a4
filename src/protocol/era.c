#include "protocol/era.h"

#include <stdio.h>
#include <string.h>

#include "protocol/call_internal.h"
#include "protocol/jsonrpc.h"

static bool is_initialize(const json_t *msg)
{
    const char *m = json_string_value(json_object_get(msg, "method"));
    return m && strcmp(m, "initialize") == 0;
}

/* The modern envelope's checks, in the order the spec's probes expect. */
static int check_claim(const json_t *meta, const char *header_version, bw_envelope *env, char *why, size_t whylen,
                       json_t **data)
{
    const json_t *claim = json_object_get(meta, BW_META_PROTOCOL_VERSION);
    const json_t *caps = json_object_get(meta, BW_META_CLIENT_CAPS);
    const json_t *info = json_object_get(meta, BW_META_CLIENT_INFO);
    if (!json_is_string(claim) || !json_is_object(caps) || (info && !json_is_object(info))) {
        snprintf(why, whylen, "Invalid params: _meta must carry \"%s\" (a string) and \"%s\" (an object)%s",
                 BW_META_PROTOCOL_VERSION, BW_META_CLIENT_CAPS, info && !json_is_object(info) ? "; \"" BW_META_CLIENT_INFO "\" must be an object" : "");
        return BW_RPC_INVALID_PARAMS;
    }
    const char *claimed = json_string_value(claim);
    if (header_version && strcmp(header_version, claimed) != 0) {
        snprintf(why, whylen, "Header mismatch: MCP-Protocol-Version header '%.40s' differs from _meta protocolVersion '%.40s'",
                 header_version, claimed);
        return BW_RPC_HEADER_MISMATCH;
    }
    env->rev = bw_revision_parse_modern(claimed);
    if (!env->rev) {
        snprintf(why, whylen, "Unsupported protocol version: %.40s (supported: 2026-07-28; legacy clients: initialize "
                              "with 2025-11-25, 2025-06-18, 2025-03-26 or 2024-11-05)", claimed);
        *data = json_pack("{s:o,s:s}", "supported", bw_revision_modern_list(), "requested", claimed);
        return BW_RPC_UNSUPPORTED_VERSION;
    }
    env->caps = caps;
    env->client_info = info;
    const json_t *level = json_object_get(meta, BW_META_LOG_LEVEL);
    env->log_level = level ? bw_log_level_parse(json_string_value(level)) : -1;
    if (level && env->log_level < 0) {
        snprintf(why, whylen, "Invalid params: \"%s\" must be one of debug, info, notice, warning, error, critical, "
                              "alert, emergency", BW_META_LOG_LEVEL);
        return BW_RPC_INVALID_PARAMS;
    }
    return 0;
}

int bw_era_classify(const json_t *msg, const char *header_version, bw_envelope *env, char *why, size_t whylen,
                    json_t **data)
{
    *env = (bw_envelope){.log_level = -1};
    *data = NULL;
    if (!json_is_object(msg) || !json_object_get(msg, "method"))
        return 0; /* batches and responses belong to sessions */
    const json_t *meta = json_object_get(json_object_get(msg, "params"), "_meta");
    bool claims = json_object_get(meta, BW_META_PROTOCOL_VERSION) != NULL;
    bool header_modern = bw_revision_looks_modern(header_version);
    if (claims)
        return check_claim(meta, header_version, env, why, whylen, data);
    if (header_modern && is_initialize(msg)) {
        snprintf(why, whylen, "Header mismatch: initialize opens a legacy session, but MCP-Protocol-Version names "
                              "the stateless revision %.40s", header_version);
        return BW_RPC_HEADER_MISMATCH;
    }
    if (header_modern) {
        snprintf(why, whylen, "Invalid params: a %.40s request must carry params._meta[\"%s\"] and [\"%s\"]",
                 header_version, BW_META_PROTOCOL_VERSION, BW_META_CLIENT_CAPS);
        return BW_RPC_INVALID_PARAMS;
    }
    return 0;
}
