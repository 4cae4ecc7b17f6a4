/* The result builder handlers fill, and the content block constructors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/call_internal.h"

json_t *bw_json_number(double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        return json_integer((json_int_t)x);
    return json_real(x);
}

void bw_result_clear(bw_result *r)
{
    json_decref(r->content);
    json_decref(r->structured);
    json_decref(r->contents);
    json_decref(r->messages);
    json_decref(r->values);
    json_decref(r->meta);
    free(r->description);
    memset(r, 0, sizeof *r);
    r->total = -1;
}

static bw_status append(json_t **arr, json_t *item)
{
    if (!item)
        return BW_E_INVALID_ARG;
    if (!*arr && !(*arr = json_array())) {
        json_decref(item);
        return BW_E_NOMEM;
    }
    return json_array_append_new(*arr, item) == 0 ? BW_OK : BW_E_NOMEM;
}

bw_status bw_result_add(bw_result *r, json_t *block)
{
    if (!r)
        return json_decref(block), BW_E_INVALID_ARG;
    return append(&r->content, block);
}

bw_status bw_result_add_text(bw_result *r, const char *text)
{
    return bw_result_add(r, bw_content_text(text));
}

bw_status bw_result_set_structured(bw_result *r, json_t *value)
{
    if (!r || !value)
        return json_decref(value), BW_E_INVALID_ARG;
    json_decref(r->structured);
    r->structured = value;
    return BW_OK;
}

bw_status bw_result_set_error(bw_result *r, const char *message)
{
    if (!r)
        return BW_E_INVALID_ARG;
    r->is_error = true;
    return message ? bw_result_add_text(r, message) : BW_OK;
}

bw_status bw_result_add_contents(bw_result *r, json_t *contents)
{
    if (!r || !json_is_object(contents))
        return json_decref(contents), BW_E_INVALID_ARG;
    return append(&r->contents, contents);
}

bw_status bw_result_add_message(bw_result *r, const char *role, json_t *content)
{
    if (!r || !role || (strcmp(role, "user") && strcmp(role, "assistant")) || !json_is_object(content))
        return json_decref(content), BW_E_INVALID_ARG;
    return append(&r->messages, json_pack("{s:s,s:o}", "role", role, "content", content));
}

bw_status bw_result_set_description(bw_result *r, const char *description)
{
    if (!r || !description)
        return BW_E_INVALID_ARG;
    free(r->description);
    r->description = strdup(description);
    return r->description ? BW_OK : BW_E_NOMEM;
}

bw_status bw_result_add_completion(bw_result *r, const char *value)
{
    if (!r || !value)
        return BW_E_INVALID_ARG;
    return append(&r->values, json_string(value));
}

bw_status bw_result_set_completion_total(bw_result *r, int64_t total, bool has_more)
{
    if (!r)
        return BW_E_INVALID_ARG;
    r->total = total;
    r->has_more = has_more;
    return BW_OK;
}

bw_status bw_result_set_meta(bw_result *r, json_t *meta)
{
    if (!r || !json_is_object(meta))
        return json_decref(meta), BW_E_INVALID_ARG;
    json_decref(r->meta);
    r->meta = meta;
    return BW_OK;
}

json_t *bw_content_text(const char *text)
{
    return text ? json_pack("{s:s,s:s}", "type", "text", "text", text) : NULL;
}

static json_t *media(const char *type, const char *data, const char *mime)
{
    return data && mime ? json_pack("{s:s,s:s,s:s}", "type", type, "data", data, "mimeType", mime) : NULL;
}

json_t *bw_content_image(const char *base64_data, const char *mime_type)
{
    return media("image", base64_data, mime_type);
}

json_t *bw_content_audio(const char *base64_data, const char *mime_type)
{
    return media("audio", base64_data, mime_type);
}

json_t *bw_content_resource_link(const char *uri, const char *name, const char *mime_type, const char *description)
{
    if (!uri || !name)
        return NULL;
    json_t *b = json_pack("{s:s,s:s,s:s}", "type", "resource_link", "uri", uri, "name", name);
    if (b && mime_type)
        json_object_set_new(b, "mimeType", json_string(mime_type));
    if (b && description)
        json_object_set_new(b, "description", json_string(description));
    return b;
}

json_t *bw_content_embedded(json_t *contents)
{
    if (!json_is_object(contents))
        return json_decref(contents), NULL;
    return json_pack("{s:s,s:o}", "type", "resource", "resource", contents);
}

static json_t *resource(const char *uri, const char *mime, const char *key, const char *value)
{
    if (!uri || !value)
        return NULL;
    json_t *o = json_pack("{s:s}", "uri", uri);
    if (o && mime)
        json_object_set_new(o, "mimeType", json_string(mime));
    if (o)
        json_object_set_new(o, key, json_string(value));
    return o;
}

json_t *bw_resource_text(const char *uri, const char *mime_type, const char *text)
{
    return resource(uri, mime_type, "text", text);
}

json_t *bw_resource_blob(const char *uri, const char *mime_type, const char *base64_blob)
{
    return resource(uri, mime_type, "blob", base64_blob);
}
