/* prompts/get and completion/complete. */
#include <string.h>

#include "protocol/dispatch.h"
#include "protocol/jsonrpc.h"
#include "protocol/mrtr.h"
#include "protocol/server_internal.h"

/* Checks prompt arguments: an object of strings holding every required name. Replies and returns false if not. */
static bool check_prompt_args(bw_call *call, bw_entry *e, const json_t *args)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)args, key, val) {
        if (!json_is_string(val)) {
            bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Invalid params: prompt argument \"%s\" must be a string",
                                 key);
            return false;
        }
    }
    size_t i;
    json_t *name;
    json_array_foreach(e->required, i, name) {
        if (!json_object_get(args, json_string_value(name))) {
            bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS,
                                 "Invalid params: prompt %s is missing required argument \"%s\"", e->key,
                                 json_string_value(name));
            return false;
        }
    }
    return true;
}

static void reply_prompt(bw_call *call, bw_entry *e, const json_t *args, bw_status st)
{
    bw_result *r = &call->result;
    if (atomic_load(&call->cancelled))
        return;
    if (call->modern && bw_mrtr_finish(call, e->key, args, st))
        return;
    if (st == BW_E_INVALID_PARAMS) {
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Invalid params: %s", call->last_error);
        return;
    }
    if (st != BW_OK) {
        bw_call_reply_errorf(call, BW_RPC_INTERNAL_ERROR, "Internal error: prompt %s failed: %s", e->key,
                             call->last_error[0] ? call->last_error : bw_status_str(st));
        return;
    }
    json_t *result = json_object();
    if (r->description)
        json_object_set_new(result, "description", json_string(r->description));
    json_object_set_new(result, "messages", r->messages ? r->messages : json_array());
    r->messages = NULL;
    bw_call_reply(call, result);
}

void bw_m_prompts_get(bw_call *call)
{
    const char *name = json_string_value(json_object_get(call->params, "name"));
    const json_t *args = json_object_get(call->params, "arguments");
    if (!name) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: prompts/get needs a string \"name\"", NULL);
        return;
    }
    if (args && !json_is_null(args) && !json_is_object(args)) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: \"arguments\" must be an object", NULL);
        return;
    }
    bw_entry *e = bw_registry_get(&call->srv->reg, BW_KIND_PROMPT, name);
    if (!e) {
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Invalid params: unknown prompt: %s", name);
        return;
    }
    json_t *owned = json_is_object(args) ? json_incref((json_t *)args) : json_object();
    if (check_prompt_args(call, e, owned) && (!call->modern || bw_mrtr_begin(call, e->key, owned)))
        reply_prompt(call, e, owned, ((bw_prompt_fn)e->handler)(call, owned, e->user));
    json_decref(owned);
    bw_entry_unref(e);
}

/* The ref must name a registered prompt or resource template; replies -32602 and returns false otherwise. */
static bool check_ref(bw_call *call, const json_t *ref)
{
    const char *type = json_string_value(json_object_get(ref, "type"));
    bw_entry *e = NULL;
    if (type && strcmp(type, "ref/prompt") == 0) {
        const char *name = json_string_value(json_object_get(ref, "name"));
        e = name ? bw_registry_get(&call->srv->reg, BW_KIND_PROMPT, name) : NULL;
    } else if (type && strcmp(type, "ref/resource") == 0) {
        const char *uri = json_string_value(json_object_get(ref, "uri"));
        e = uri ? bw_registry_get(&call->srv->reg, BW_KIND_TEMPLATE, uri) : NULL;
        if (!e && uri)
            e = bw_registry_get(&call->srv->reg, BW_KIND_RESOURCE, uri);
    }
    if (!e) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS,
                            "Invalid params: \"ref\" must name a known prompt (ref/prompt) or resource template "
                            "(ref/resource)",
                            NULL);
        return false;
    }
    bw_entry_unref(e);
    return true;
}

static void reply_completion(bw_call *call)
{
    bw_result *r = &call->result;
    json_t *values = r->values ? r->values : json_array();
    r->values = NULL;
    size_t n = json_array_size(values);
    bool more = r->has_more;
    if (n > 100) { /* the spec caps one answer at 100 values */
        while (json_array_size(values) > 100)
            json_array_remove(values, json_array_size(values) - 1);
        more = true;
    }
    json_t *completion = json_pack("{s:o}", "values", values);
    if (r->total >= 0 || n > 100)
        json_object_set_new(completion, "total", json_integer(r->total >= 0 ? r->total : (json_int_t)n));
    if (more)
        json_object_set_new(completion, "hasMore", json_true());
    bw_call_reply(call, json_pack("{s:o}", "completion", completion));
}

void bw_m_complete(bw_call *call)
{
    const json_t *ref = json_object_get(call->params, "ref");
    const json_t *arg = json_object_get(call->params, "argument");
    const char *arg_name = json_string_value(json_object_get(arg, "name"));
    const char *arg_value = json_string_value(json_object_get(arg, "value"));
    if (!json_is_object(ref) || !arg_name || !arg_value) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS,
                            "Invalid params: completion/complete needs \"ref\" and \"argument\" {name, value}", NULL);
        return;
    }
    if (!check_ref(call, ref))
        return;
    const json_t *ctx = json_object_get(json_object_get(call->params, "context"), "arguments");
    bw_status st = call->srv->complete(call, ref, arg_name, arg_value, json_is_object(ctx) ? ctx : NULL,
                                       call->srv->complete_user);
    if (atomic_load(&call->cancelled))
        return;
    if (st != BW_OK) {
        bw_call_reply_errorf(call, st == BW_E_INVALID_PARAMS ? BW_RPC_INVALID_PARAMS : BW_RPC_INTERNAL_ERROR,
                             "%s: %s", st == BW_E_INVALID_PARAMS ? "Invalid params" : "Internal error",
                             call->last_error[0] ? call->last_error : bw_status_str(st));
        return;
    }
    reply_completion(call);
}
