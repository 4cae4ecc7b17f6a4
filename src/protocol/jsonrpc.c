#include "protocol/jsonrpc.h"

#include <stdio.h>
#include <string.h>

int bw_json_depth(const char *text, size_t len, int limit)
{
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped character, which may be a quote */
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest && (deepest = depth) > limit)
                return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

json_t *bw_rpc_decode(const char *text, size_t len, int max_depth, int *code, char *why, size_t whylen)
{
    /* jansson's own nesting limit is 2048 and recursive; check ours first so deep input never reaches it. */
    if (bw_json_depth(text, len, max_depth) > max_depth) {
        *code = BW_RPC_INVALID_REQUEST;
        snprintf(why, whylen, "message nests deeper than the limit of %d levels", max_depth);
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    if (!v) {
        *code = BW_RPC_PARSE_ERROR;
        /* jansson names its own flag for \u0000; say what the client can act on instead. */
        const char *what = strstr(jerr.text, "\\u0000") ? "\\u0000 is not accepted inside strings" : jerr.text;
        snprintf(why, whylen, "Parse error: %s at position %d", what, jerr.position);
    }
    return v;
}

bool bw_rpc_valid_id(const json_t *id)
{
    return id && (json_is_string(id) || json_is_integer(id));
}

static bw_msg_kind invalid(const char *reason, const char **why)
{
    *why = reason;
    return BW_MSG_INVALID;
}

bw_msg_kind bw_rpc_classify(const json_t *msg, const json_t **id_out, const char **why)
{
    *id_out = NULL;
    *why = NULL;
    if (!json_is_object(msg))
        return invalid("Invalid Request: a message must be a JSON object", why);
    const json_t *id = json_object_get(msg, "id");
    if (bw_rpc_valid_id(id))
        *id_out = id;
    const json_t *ver = json_object_get(msg, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0)
        return invalid("Invalid Request: \"jsonrpc\" must be \"2.0\"", why);
    const json_t *method = json_object_get(msg, "method");
    if (method) {
        if (!json_is_string(method))
            return invalid("Invalid Request: \"method\" must be a string", why);
        if (!id)
            return BW_MSG_NOTIFICATION;
        if (!*id_out)
            return invalid("Invalid Request: \"id\" must be a string or an integer", why);
        return BW_MSG_REQUEST;
    }
    bool has_result = json_object_get(msg, "result") != NULL;
    bool has_error = json_is_object(json_object_get(msg, "error"));
    if (has_result != has_error && (*id_out || (has_error && json_is_null(id))))
        return BW_MSG_RESPONSE;
    return invalid("Invalid Request: neither a request, a notification nor a response", why);
}

static json_t *envelope(const json_t *id)
{
    json_t *m = json_object();
    json_object_set_new(m, "jsonrpc", json_string("2.0"));
    json_object_set_new(m, "id", id ? json_copy((json_t *)id) : json_null());
    return m;
}

json_t *bw_rpc_result(const json_t *id, json_t *result)
{
    json_t *m = envelope(id);
    json_object_set_new(m, "result", result ? result : json_object());
    return m;
}

json_t *bw_rpc_error(const json_t *id, int code, const char *message, json_t *data)
{
    json_t *err = json_object();
    json_object_set_new(err, "code", json_integer(code));
    /* A message cut by snprintf may end mid-character; never let that drop the message. */
    json_t *text = json_string(message ? message : "error");
    json_object_set_new(err, "message", text ? text : json_string("error (message was not valid UTF-8)"));
    if (data)
        json_object_set_new(err, "data", data);
    json_t *m = envelope(id);
    json_object_set_new(m, "error", err);
    return m;
}

json_t *bw_rpc_error_object(const json_t *id, json_t *error)
{
    json_t *m = envelope(id);
    json_object_set_new(m, "error", error);
    return m;
}

json_t *bw_rpc_notification(const char *method, json_t *params)
{
    json_t *m = json_object();
    json_object_set_new(m, "jsonrpc", json_string("2.0"));
    json_object_set_new(m, "method", json_string(method));
    if (params)
        json_object_set_new(m, "params", params);
    return m;
}

json_t *bw_rpc_request(json_int_t id, const char *method, json_t *params)
{
    json_t *m = json_object();
    json_object_set_new(m, "jsonrpc", json_string("2.0"));
    json_object_set_new(m, "id", json_integer(id));
    json_object_set_new(m, "method", json_string(method));
    json_object_set_new(m, "params", params ? params : json_object());
    return m;
}
