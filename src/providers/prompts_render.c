/* prompts/get: check the arguments, render each message's text, embed each message's resource. */
#include <stdio.h>
#include <string.h>

#include "bulwark/call.h"
#include "core/buf.h"
#include "providers/prompts_def.h"
#include "providers/template.h"

static const bw_parg *find_arg(const bw_prompt *p, const char *name)
{
    for (size_t i = 0; i < p->n_args; i++)
        if (strcmp(p->args[i].name, name) == 0)
            return &p->args[i];
    return NULL;
}

/* Every argument sent must be declared and well-typed. An empty string for an optional argument counts as not
 * given (form-based clients send "" for fields left blank) and is not type-checked. */
static bool check_args(bw_call *call, const bw_prompt *p, const json_t *args)
{
    const char *key;
    const json_t *val;
    char err[240];
    json_object_foreach((json_t *)args, key, val) {
        const bw_parg *a = find_arg(p, key);
        const char *s = json_string_value(val);
        if (!a) {
            bw_call_set_error(call, "prompt %s has no argument \"%s\"", p->name, key);
            return false;
        }
        if ((*s || a->required) && !bw_parg_check(a, s, err, sizeof err)) {
            bw_call_set_error(call, "%s", err);
            return false;
        }
    }
    return true;
}

static bw_status add_text(bw_call *call, const bw_prompt *p, const char *role, const char *tpl, const json_t *args,
                          size_t index)
{
    bw_buf out;
    bw_buf_init(&out, p->max_text);
    bw_status st = bw_tpl_render(tpl, args, &out, NULL);
    if (st == BW_E_LIMIT) {
        bw_call_set_error(call, "message %zu of prompt %s would exceed %zu bytes with these arguments", index + 1,
                          p->name, p->max_text);
        st = BW_E_INVALID_PARAMS;
    }
    if (st == BW_OK)
        st = bw_result_add_message(bw_call_result(call), role, bw_content_text(out.data ? out.data : ""));
    bw_buf_free(&out);
    return st;
}

static bw_status add_resource(bw_call *call, const bw_prompt *p, const char *role, const char *uri)
{
    char err[240];
    json_t *contents = bw_files_catalog_read(p->cat, uri, err, sizeof err);
    if (!contents) {
        bw_call_set_error(call, "embedded %s", err);
        return BW_E_INTERNAL;
    }
    return bw_result_add_message(bw_call_result(call), role, bw_content_embedded(contents));
}

bw_status bw_prompt_get(bw_call *call, const json_t *args, void *user)
{
    const bw_prompt *p = user;
    if (!check_args(call, p, args))
        return BW_E_INVALID_PARAMS;
    bw_status st = p->description ? bw_result_set_description(bw_call_result(call), p->description) : BW_OK;
    size_t i;
    const json_t *m;
    json_array_foreach(p->messages, i, m) {
        if (st != BW_OK || bw_call_cancelled(call))
            break;
        const char *role = json_string_value(json_object_get(m, "role"));
        const char *text = json_string_value(json_object_get(m, "text"));
        st = text ? add_text(call, p, role, text, args, i)
                  : add_resource(call, p, role, json_string_value(json_object_get(m, "resource")));
    }
    return st != BW_OK ? st : bw_call_cancelled(call) ? BW_E_CANCELLED : BW_OK;
}
