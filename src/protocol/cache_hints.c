#include "protocol/cache_hints.h"

#include <string.h>

#include "protocol/call_internal.h"
#include "protocol/dispatch.h"
#include "protocol/server_internal.h"

static const char *const method_names[BW_CACHE_COUNT] = {
    [BW_CACHE_DISCOVER] = "server/discover",
    [BW_CACHE_TOOLS_LIST] = "tools/list",
    [BW_CACHE_PROMPTS_LIST] = "prompts/list",
    [BW_CACHE_RESOURCES_LIST] = "resources/list",
    [BW_CACHE_TEMPLATES_LIST] = "resources/templates/list",
    [BW_CACHE_RESOURCES_READ] = "resources/read",
    [BW_CACHE_SKILLS_LIST] = "skills/list",
    [BW_CACHE_SKILLS_GET] = "skills/get",
};

int bw_cache_method_of(const char *method)
{
    for (int i = 0; method && i < BW_CACHE_COUNT; i++)
        if (strcmp(method_names[i], method) == 0)
            return i;
    return -1;
}

void bw_cache_hints_add(bw_call *call, json_t *result, const bw_cache_hint *override)
{
    int m = bw_cache_method_of(call->method->name);
    if (!call->modern || m < 0 || !json_is_object(result))
        return;
    bw_cache_hint h = call->srv->hints[m];
    if (override && override->ttl_ms >= 0)
        h = *override;
    /* A retry carrying client input depends on more than the cache key: never cacheable (spec: caching). */
    if (json_object_get(call->params, "inputResponses") || json_object_get(call->params, "requestState"))
        h = (bw_cache_hint){0, false};
    json_object_set_new(result, "ttlMs", json_integer(h.ttl_ms > 0 ? h.ttl_ms : 0));
    json_object_set_new(result, "cacheScope", json_string(h.public_scope ? "public" : "private"));
}

bw_status bw_server_set_cache_hint(bw_server *srv, const char *method, int64_t ttl_ms, bool public_scope)
{
    int m = bw_cache_method_of(method);
    if (!srv || m < 0 || ttl_ms < 0)
        return BW_E_INVALID_ARG;
    srv->hints[m] = (bw_cache_hint){ttl_ms, public_scope};
    return BW_OK;
}
