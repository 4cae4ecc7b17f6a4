/* The paginated list methods: tools/list, resources/list, resources/templates/list, prompts/list. */
#include <stdio.h>

#include "protocol/cache_hints.h"
#include "protocol/dispatch.h"
#include "protocol/jsonrpc.h"
#include "protocol/pagination.h"
#include "protocol/server_internal.h"

static void list(bw_call *call, bw_kind kind, const char *key)
{
    size_t offset = 0;
    const json_t *cursor = json_object_get(call->params, "cursor");
    if (cursor && !json_is_null(cursor) &&
        (!json_is_string(cursor) || !bw_cursor_decode(json_string_value(cursor), (int)kind, &offset))) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: unknown or malformed cursor", NULL);
        return;
    }
    size_t page = (size_t)call->srv->limits.page_size;
    json_t *items = json_array();
    size_t total = bw_registry_list(&call->srv->reg, kind, call->rev, offset, page, items);
    if (offset > total || (offset == total && offset > 0)) {
        json_decref(items);
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: the cursor points past the end of the list",
                            NULL);
        return;
    }
    json_t *result = json_object();
    json_object_set_new(result, key, items);
    if (offset + page < total) {
        char next[BW_CURSOR_MAX];
        bw_cursor_encode(offset + page, (int)kind, next);
        json_object_set_new(result, "nextCursor", json_string(next));
    }
    bw_cache_hints_add(call, result, NULL);
    bw_call_reply(call, result);
}

void bw_m_tools_list(bw_call *call) { list(call, BW_KIND_TOOL, "tools"); }
void bw_m_resources_list(bw_call *call) { list(call, BW_KIND_RESOURCE, "resources"); }
void bw_m_templates_list(bw_call *call) { list(call, BW_KIND_TEMPLATE, "resourceTemplates"); }
void bw_m_prompts_list(bw_call *call) { list(call, BW_KIND_PROMPT, "prompts"); }
