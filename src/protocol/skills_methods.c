/* The extension's methods: skills/list, skills/get, resources/directory/read, and its capability. Answers come from
 * the catalog's prepared JSON (shared, read-only), so a method never touches a skill's bytes. */
#include <stdint.h>
#include <string.h>

#include "protocol/cache_hints.h"
#include "protocol/jsonrpc.h"
#include "protocol/pagination.h"
#include "protocol/server_internal.h"
#include "protocol/skills_internal.h"

/* Cursor list ids: the skills listing, and one per directory (derived from its URI) so that a cursor of one
 * directory is refused for another. The base list methods use 0..3. */
#define SKILLS_LIST_ID 0x534b

static int directory_list_id(const char *uri)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
        h = (h ^ *p) * 16777619u;
    return (int)(h & 0x7fffffff);
}

json_t *bw_skills_capability(bw_server *srv)
{
    struct bw_skills *cat = bw_skills_of(srv, false);
    if (!cat || bw_skills_count(cat) == 0)
        return NULL;
    return json_pack("{s:b}", "directoryRead", 1);
}

static void invalid(bw_call *call, const char *message, const char *uri)
{
    bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, message, uri ? json_pack("{s:s}", "uri", uri) : NULL);
}

static const char *uri_param(bw_call *call)
{
    const char *uri = json_string_value(json_object_get(call->params, "uri"));
    if (!uri || !*uri)
        invalid(call, "Invalid params: \"uri\" must be a non-empty string", NULL);
    return uri && *uri ? uri : NULL;
}

/* The offset a request's cursor names (0 without one); false after replying -32602. */
static bool cursor_param(bw_call *call, int list_id, size_t *offset)
{
    *offset = 0;
    const json_t *cursor = json_object_get(call->params, "cursor");
    if (!cursor || json_is_null(cursor))
        return true;
    if (json_is_string(cursor) && bw_cursor_decode(json_string_value(cursor), list_id, offset))
        return true;
    invalid(call, "Invalid params: unknown or malformed cursor", NULL);
    return false;
}

/* Replies {key: items, nextCursor?} for items [offset, offset+page) of `total`, or -32602 for a cursor past the
 * end. Takes items. */
static json_t *page_result(bw_call *call, const char *key, json_t *items, size_t offset, size_t total, int list_id)
{
    size_t page = (size_t)call->srv->limits.page_size;
    if (offset > total || (offset == total && offset > 0)) {
        json_decref(items);
        invalid(call, "Invalid params: the cursor points past the end of the list", NULL);
        return NULL;
    }
    json_t *result = json_pack("{s:o}", key, items);
    if (result && offset + page < total) {
        char next[BW_CURSOR_MAX];
        bw_cursor_encode(offset + page, list_id, next);
        json_object_set_new(result, "nextCursor", json_string(next));
    }
    return result;
}

static void reply_or_fail(bw_call *call, json_t *result)
{
    if (result)
        bw_call_reply(call, result);
    else if (!bw_call_replied(call))
        bw_call_reply_error(call, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
}

void bw_m_skills_list(bw_call *call)
{
    size_t offset = 0;
    if (!cursor_param(call, SKILLS_LIST_ID, &offset))
        return;
    struct bw_skills *cat = bw_skills_of(call->srv, false);
    json_t *items = json_array();
    size_t total = cat && items ? bw_skills_page(cat, offset, (size_t)call->srv->limits.page_size, items) : 0;
    json_t *result = items ? page_result(call, "skills", items, offset, total, SKILLS_LIST_ID) : NULL;
    if (result)
        bw_cache_hints_add(call, result, NULL);
    reply_or_fail(call, result);
}

void bw_m_skills_get(bw_call *call)
{
    const char *uri = uri_param(call);
    if (!uri)
        return;
    struct bw_skills *cat = bw_skills_of(call->srv, false);
    json_t *entry = cat ? bw_skills_entry(cat, uri) : NULL;
    if (!entry) {
        invalid(call, "Invalid params: not the SKILL.md of a skill served here", uri);
        return;
    }
    json_t *result = json_pack("{s:o}", "skill", entry);
    if (result)
        bw_cache_hints_add(call, result, NULL);
    reply_or_fail(call, result);
}

void bw_m_directory_read(bw_call *call)
{
    const char *uri = uri_param(call);
    if (!uri)
        return;
    struct bw_skills *cat = bw_skills_of(call->srv, false);
    json_t *children = cat ? bw_skills_directory(cat, uri) : NULL;
    if (!children) {
        invalid(call, "Invalid params: not a directory resource", uri);
        return;
    }
    int list_id = directory_list_id(uri);
    size_t offset = 0, page = (size_t)call->srv->limits.page_size, total = json_array_size(children);
    json_t *items = NULL;
    if (cursor_param(call, list_id, &offset) && (items = json_array()) != NULL)
        for (size_t i = offset; i < total && i - offset < page; i++)
            json_array_append(items, json_array_get(children, i));
    json_decref(children);
    if (items)
        reply_or_fail(call, page_result(call, "resources", items, offset, total, list_id));
    else
        reply_or_fail(call, NULL);
}
