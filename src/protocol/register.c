/* Registration of tools, resources and prompts: validate the definition, build its listing once, store it. */
#include <stdio.h>
#include <string.h>

#include "core/errf.h"
#include "protocol/mcp_headers.h"
#include "protocol/server_internal.h"
#include "reliability/reliability_internal.h"

static void set_str(json_t *o, const char *key, const char *val)
{
    if (val)
        json_object_set_new(o, key, json_string(val));
}

static void set_copy(json_t *o, const char *key, const json_t *val)
{
    if (val)
        json_object_set_new(o, key, json_deep_copy(val));
}

static bool valid_tool_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return false;
    }
    return true;
}

static bw_status compile_schemas(bw_entry *e, const bw_tool_def *def, json_t *input, char *err, size_t errlen)
{
    char why[256];
    if (!json_is_object(input) || !json_is_string(json_object_get(input, "type")) ||
        strcmp(json_string_value(json_object_get(input, "type")), "object") != 0)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool %s: inputSchema must be an object schema with \"type\": \"object\"",
                    def->name);
    if (!(e->input = bw_schema_compile(input, why, sizeof why)))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool %s: invalid inputSchema: %s", def->name, why);
    if (def->output_schema && !(e->output = bw_schema_compile(def->output_schema, why, sizeof why)))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool %s: invalid outputSchema: %s", def->name, why);
    return BW_OK;
}

bw_status bw_server_add_tool(bw_server *srv, const bw_tool_def *def, char *err, size_t errlen)
{
    if (!srv || !def || !def->handler)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool definition needs a name and a handler");
    if (!valid_tool_name(def->name))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "invalid tool name \"%s\": use 1-128 characters of A-Z a-z 0-9 _ - .",
                    def->name ? def->name : "");
    bw_entry *e = bw_entry_new(def->name);
    if (!e)
        return BW_E_NOMEM;
    json_t *input = def->input_schema ? json_deep_copy(def->input_schema) : json_pack("{s:s}", "type", "object");
    bw_status st = compile_schemas(e, def, input, err, errlen);
    if (st) {
        json_decref(input);
        bw_entry_unref(e);
        return st;
    }
    if (!bw_mcp_headers_schema_ok(input, err, errlen)) {
        json_decref(input);
        bw_entry_unref(e);
        return BW_E_INVALID_ARG;
    }
    const char *prop;
    json_t *pschema;
    json_object_foreach(json_object_get(input, "properties"), prop, pschema)
        e->has_defaults = e->has_defaults || json_object_get(pschema, "default") != NULL;
    e->listing = json_pack("{s:s}", "name", def->name);
    set_str(e->listing, "title", def->title);
    set_str(e->listing, "description", def->description);
    json_object_set_new(e->listing, "inputSchema", input);
    set_copy(e->listing, "outputSchema", def->output_schema);
    set_copy(e->listing, "annotations", def->annotations);
    set_copy(e->listing, "icons", def->icons);
    set_copy(e->listing, "_meta", def->meta);
    e->handler = (void *)def->handler;
    e->user = def->user;
    e->nonblocking = (def->flags & BW_TOOL_NONBLOCKING) != 0;
    e->task_support = (def->flags & BW_TOOL_TASK_REQUIRED)   ? BW_TASK_REQUIRED
                      : (def->flags & BW_TOOL_TASK_OPTIONAL) ? BW_TASK_OPTIONAL
                                                             : BW_TASK_NONE;
    e->task_manual = (def->flags & BW_TOOL_TASK_MANUAL) != 0;
    if (e->task_support && e->nonblocking) {
        bw_entry_unref(e);
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool \"%s\": a task-capable tool cannot be BW_TOOL_NONBLOCKING", def->name);
    }
    if ((st = bw_policy_compile(srv, def, &e->policy, err, errlen)) != BW_OK) {
        bw_entry_unref(e);
        return st;
    }
    st = bw_registry_add(&srv->reg, BW_KIND_TOOL, e);
    if (st == BW_E_EXISTS)
        bw_fail(BW_E_INVALID_ARG, err, errlen, "a tool named \"%s\" is registered already", def->name);
    else if (st == BW_OK)
        bw_server_notify_list_changed(srv, "tools");
    return st;
}

bw_status bw_server_remove_tool(bw_server *srv, const char *name)
{
    if (!srv || !name)
        return BW_E_INVALID_ARG;
    bw_status st = bw_registry_remove(&srv->reg, BW_KIND_TOOL, name);
    if (st == BW_OK)
        bw_server_notify_list_changed(srv, "tools");
    return st;
}

bw_status bw_server_add_resource(bw_server *srv, const bw_resource_def *def)
{
    if (!srv || !def || !def->uri || !*def->uri || !def->name || !def->handler)
        return BW_E_INVALID_ARG;
    if (def->is_template && !strchr(def->uri, '{'))
        return BW_E_INVALID_ARG;
    bw_entry *e = bw_entry_new(def->uri);
    if (!e)
        return BW_E_NOMEM;
    e->is_template = def->is_template;
    e->listing = json_pack("{s:s,s:s}", def->is_template ? "uriTemplate" : "uri", def->uri, "name", def->name);
    set_str(e->listing, "title", def->title);
    set_str(e->listing, "description", def->description);
    set_str(e->listing, "mimeType", def->mime_type);
    if (def->size > 0 && !def->is_template)
        json_object_set_new(e->listing, "size", json_integer(def->size));
    set_copy(e->listing, "annotations", def->annotations);
    set_copy(e->listing, "icons", def->icons);
    e->handler = (void *)def->handler;
    e->user = def->user;
    e->hint = (bw_cache_hint){-1, false};
    if (def->cache_scope) {
        if ((strcmp(def->cache_scope, "public") && strcmp(def->cache_scope, "private")) || def->cache_ttl_ms < 0) {
            bw_entry_unref(e);
            return BW_E_INVALID_ARG;
        }
        e->hint = (bw_cache_hint){def->cache_ttl_ms, strcmp(def->cache_scope, "public") == 0};
    }
    bw_status st = bw_registry_add(&srv->reg, def->is_template ? BW_KIND_TEMPLATE : BW_KIND_RESOURCE, e);
    if (st == BW_OK)
        bw_server_notify_list_changed(srv, "resources");
    return st;
}

bw_status bw_server_remove_resource(bw_server *srv, const char *uri)
{
    if (!srv || !uri)
        return BW_E_INVALID_ARG;
    bw_status st = bw_registry_remove(&srv->reg, BW_KIND_RESOURCE, uri);
    if (st == BW_E_NOT_FOUND)
        st = bw_registry_remove(&srv->reg, BW_KIND_TEMPLATE, uri);
    if (st == BW_OK)
        bw_server_notify_list_changed(srv, "resources");
    return st;
}

static json_t *prompt_args(const bw_prompt_def *def, json_t *required)
{
    json_t *args = json_array();
    for (size_t i = 0; i < def->n_args; i++) {
        const bw_prompt_arg *a = &def->args[i];
        if (!a->name)
            continue;
        json_t *o = json_pack("{s:s}", "name", a->name);
        set_str(o, "title", a->title);
        set_str(o, "description", a->description);
        json_object_set_new(o, "required", json_boolean(a->required));
        json_array_append_new(args, o);
        if (a->required)
            json_array_append_new(required, json_string(a->name));
    }
    return args;
}

bw_status bw_server_add_prompt(bw_server *srv, const bw_prompt_def *def)
{
    if (!srv || !def || !def->name || !*def->name || !def->handler || (def->n_args && !def->args))
        return BW_E_INVALID_ARG;
    bw_entry *e = bw_entry_new(def->name);
    if (!e)
        return BW_E_NOMEM;
    e->required = json_array();
    e->listing = json_pack("{s:s}", "name", def->name);
    set_str(e->listing, "title", def->title);
    set_str(e->listing, "description", def->description);
    json_object_set_new(e->listing, "arguments", prompt_args(def, e->required));
    set_copy(e->listing, "icons", def->icons);
    e->handler = (void *)def->handler;
    e->user = def->user;
    bw_status st = bw_registry_add(&srv->reg, BW_KIND_PROMPT, e);
    if (st == BW_OK)
        bw_server_notify_list_changed(srv, "prompts");
    return st;
}

bw_status bw_server_remove_prompt(bw_server *srv, const char *name)
{
    if (!srv || !name)
        return BW_E_INVALID_ARG;
    bw_status st = bw_registry_remove(&srv->reg, BW_KIND_PROMPT, name);
    if (st == BW_OK)
        bw_server_notify_list_changed(srv, "prompts");
    return st;
}
