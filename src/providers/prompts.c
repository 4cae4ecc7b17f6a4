/* The prompts provider's build step: checks a `prompts` entry (arguments, placeholders, embedded resources) and
 * registers it. Rendering is in prompts_render.c, completion of enum arguments in prompts_complete.c. */
#include "providers/prompts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/prompts_complete.h"
#include "providers/prompts_def.h"
#include "providers/template.h"

static void prompt_free(void *vp)
{
    bw_prompt *p = vp;
    free(p->args);
    json_decref(p->spec);
    free(p);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* An enum value that cannot be given under the declared type would make the argument impossible to fill.
 * node: the argument in the configuration as loaded (errors are located by the loader's nodes, not copies). */
static bool check_enum(bw_build *b, const json_t *node, const bw_parg *a)
{
    bool ok = true;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(node, "enum"), i, v) {
        if (!bw_parg_type_ok(a->type, json_string_value(v))) {
            bw_build_error(b, v, "enum value '%s' of argument '%s' is not of its type %s", json_string_value(v),
                           a->name, str(node, "type"));
            ok = false;
        }
    }
    return ok;
}

/* Fills p->args and defs (the registration's view) from the prompt's copy of its arguments; false after reporting
 * at the entry's own nodes. */
static bool build_args(bw_build *b, const json_t *entry, bw_prompt *p, bw_prompt_arg *defs)
{
    const json_t *list = json_object_get(p->spec, "arguments");
    bool ok = true;
    for (size_t i = 0; i < p->n_args; i++) {
        const json_t *node = json_array_get(list, i);
        const json_t *where = json_array_get(json_object_get(entry, "arguments"), i);
        bw_parg *a = &p->args[i];
        *a = (bw_parg){.name = str(node, "name"), .type = bw_parg_type_of(str(node, "type")),
                       .enum_values = json_object_get(node, "enum"),
                       .required = json_is_true(json_object_get(node, "required"))};
        defs[i] = (bw_prompt_arg){a->name, str(node, "title"), str(node, "description"), a->required};
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p->args[j].name, a->name) == 0) {
                bw_build_error(b, json_object_get(where, "name"), "argument '%s' is declared twice", a->name);
                ok = false;
            }
        }
        if (a->enum_values && !check_enum(b, where, a))
            ok = false;
    }
    return ok;
}

typedef struct names_ctx {
    const bw_prompt *p;
    char *err;
    size_t errlen;
} names_ctx;

static bool declared(const char *name, void *vctx)
{
    names_ctx *c = vctx;
    for (size_t i = 0; i < c->p->n_args; i++)
        if (strcmp(c->p->args[i].name, name) == 0)
            return true;
    snprintf(c->err, c->errlen, "placeholder {{%s}} names no declared argument (expected one of the prompt's "
                                "arguments)", name);
    return false;
}

/* Placeholders must name declared arguments; resources must be served by this configuration. */
static bool check_messages(bw_build *b, const json_t *entry, const bw_prompt *p)
{
    bool ok = true;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(entry, "messages"), i, m) {
        const json_t *text = json_object_get(m, "text");
        const json_t *res = json_object_get(m, "resource");
        char err[200];
        names_ctx ctx = {p, err, sizeof err};
        if (text && bw_tpl_scan(json_string_value(text), declared, &ctx, err, sizeof err) != BW_OK) {
            bw_build_error(b, text, "%s", err);
            ok = false;
        }
        if (res && !bw_files_catalog_has(p->cat, json_string_value(res))) {
            bw_build_error(b, res, "resource '%s' is not defined by resources or resource_templates",
                           json_string_value(res));
            ok = false;
        }
    }
    return ok;
}

/* Enum arguments are offered by completion/complete. */
static bw_status register_completions(bw_build *b, const bw_prompt *p)
{
    for (size_t i = 0; i < p->n_args; i++) {
        const bw_parg *a = &p->args[i];
        if (a->enum_values && bw_prompts_complete_add(b, p->name, a->name, a->enum_values) != BW_OK)
            return BW_E_NOMEM;
    }
    return BW_OK;
}

static bw_status register_prompt(bw_build *b, const json_t *entry, bw_prompt *p, const bw_prompt_arg *defs)
{
    bw_prompt_def def = {.name = p->name, .title = str(p->spec, "title"), .description = p->description,
                         .args = defs, .n_args = p->n_args, .handler = bw_prompt_get, .user = p};
    bw_status st = bw_server_add_prompt(bw_build_server(b), &def);
    if (st == BW_OK)
        st = register_completions(b, p);
    if (st == BW_E_EXISTS)
        bw_build_error(b, json_object_get(entry, "name"), "prompt '%s' is defined twice", p->name);
    else if (st != BW_OK)
        bw_build_error(b, entry, "cannot register prompt '%s': %s", p->name, bw_status_str(st));
    return st;
}

static bw_prompt *prompt_new(bw_build *b, const bw_files_catalog *cat, const json_t *entry)
{
    bw_prompt *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->spec = json_deep_copy(entry);
    p->n_args = json_array_size(json_object_get(entry, "arguments"));
    p->args = calloc(p->n_args ? p->n_args : 1, sizeof *p->args);
    if (!p->spec || !p->args) {
        prompt_free(p);
        return NULL;
    }
    p->name = str(p->spec, "name");
    p->description = str(p->spec, "description");
    p->messages = json_object_get(p->spec, "messages");
    p->cat = cat;
    p->max_text = bw_server_limits(bw_build_server(b)).max_message_bytes;
    return bw_build_own(b, prompt_free, p) == BW_OK ? p : NULL;
}

bw_status bw_prompt_build(bw_build *b, const bw_files_catalog *cat, const json_t *entry)
{
    bw_prompt *p = prompt_new(b, cat, entry);
    if (!p) {
        bw_build_error(b, entry, "out of memory");
        return BW_E_NOMEM;
    }
    bw_prompt_arg *defs = calloc(p->n_args ? p->n_args : 1, sizeof *defs);
    if (!defs) {
        bw_build_error(b, entry, "out of memory");
        return BW_E_NOMEM;
    }
    bool ok = build_args(b, entry, p, defs);
    ok = check_messages(b, entry, p) && ok;
    bw_status st = ok ? register_prompt(b, entry, p, defs) : BW_E_INVALID_ARG;
    free(defs);
    return st;
}
