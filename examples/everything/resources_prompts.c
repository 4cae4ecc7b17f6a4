/* Fixture resources, the resource template, prompts and completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.h"

static bw_status read_static(bw_call *call, const char *uri, const json_t *vars, void *user)
{
    (void)vars;
    const char *text = user;
    if (strcmp(uri, "test://static-binary") == 0)
        return bw_result_add_contents(bw_call_result(call), bw_resource_blob(uri, "image/png", everything_png_b64));
    return bw_result_add_contents(bw_call_result(call), bw_resource_text(uri, "text/plain", text));
}

static bw_status read_template(bw_call *call, const char *uri, const json_t *vars, void *user)
{
    (void)user;
    json_t *doc = json_pack("{s:O,s:b,s:s+}", "id", json_object_get(vars, "id"), "templateTest", 1, "data",
                            "Data for ID: ", json_string_value(json_object_get(vars, "id")));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    bw_status st = bw_result_add_contents(bw_call_result(call), bw_resource_text(uri, "application/json", text));
    free(text);
    return st;
}

int everything_add_resources(bw_server *srv)
{
    bw_resource_def defs[] = {
        {.uri = "test://static-text", .name = "Static text", .description = "A static text resource",
         .mime_type = "text/plain", .handler = read_static,
         .user = "This is the content of the static text resource."},
        {.uri = "test://static-binary", .name = "Static binary", .description = "A static PNG image",
         .mime_type = "image/png", .handler = read_static},
        {.uri = "test://watched-resource", .name = "Watched resource",
         .description = "A resource to subscribe to; trigger_resource_update announces changes",
         .mime_type = "text/plain", .handler = read_static, .user = "Watched resource content."},
        {.uri = "test://template/{id}/data", .is_template = true, .name = "Template data",
         .description = "JSON data for any id", .mime_type = "application/json", .handler = read_template},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        if (bw_server_add_resource(srv, &defs[i]) != BW_OK) {
            fprintf(stderr, "bulwark-everything: resource %s failed\n", defs[i].uri);
            return -1;
        }
    }
    return 0;
}

static bw_status simple_prompt(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_add_message(bw_call_result(call), "user", bw_content_text("This is a simple prompt for testing."));
}

static bw_status args_prompt(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    char text[1024];
    snprintf(text, sizeof text, "Prompt with arguments: arg1='%s', arg2='%s'",
             json_string_value(json_object_get(args, "arg1")), json_string_value(json_object_get(args, "arg2")));
    return bw_result_add_message(bw_call_result(call), "user", bw_content_text(text));
}

static bw_status embedded_prompt(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    const char *uri = json_string_value(json_object_get(args, "resourceUri"));
    bw_result *r = bw_call_result(call);
    bw_status st = bw_result_add_message(
        r, "user", bw_content_embedded(bw_resource_text(uri, "text/plain", "Embedded resource content for testing.")));
    return st ? st : bw_result_add_message(r, "user", bw_content_text("Please process the embedded resource above."));
}

static bw_status image_prompt(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    bw_result *r = bw_call_result(call);
    bw_status st = bw_result_add_message(r, "user", bw_content_image(everything_png_b64, "image/png"));
    return st ? st : bw_result_add_message(r, "user", bw_content_text("Please analyze the image above."));
}



static bw_status complete(bw_call *call, const json_t *ref, const char *arg, const char *value, const json_t *ctx,
                          void *user)
{
    (void)ctx;
    (void)user;
    static const char *const words[] = {"test", "testing", "tested", "value1", "value2", NULL};
    static const char *const ids[] = {"1", "2", "3", "123", NULL};
    const char *type = json_string_value(json_object_get(ref, "type"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *const *pool = NULL;
    if (strcmp(type, "ref/resource") == 0 && strcmp(arg, "id") == 0)
        pool = ids;
    else if (strcmp(type, "ref/prompt") == 0 && name && strcmp(name, "test_prompt_with_arguments") == 0 &&
             (strcmp(arg, "arg1") == 0 || strcmp(arg, "arg2") == 0))
        pool = words;
    if (!pool)
        return BW_OK; /* nothing to suggest for other prompts or arguments */
    for (int i = 0; pool[i]; i++)
        if (strncmp(pool[i], value, strlen(value)) == 0 && bw_result_add_completion(bw_call_result(call), pool[i]))
            return BW_E_NOMEM;
    return BW_OK;
}

/* Needs context from the user first (multi round-trip input on prompts/get). */
static bw_status input_prompt(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *params = json_pack("{s:s,s:{s:s,s:{s:{s:s}},s:[s]}}", "message", "What context should the prompt use?",
                               "requestedSchema", "type", "object", "properties", "context", "type", "string",
                               "required", "context");
    json_t *res = NULL;
    bw_status st = bw_call_elicit(call, "user_context", params, 0, &res);
    if (st)
        return st;
    const char *ctx = json_string_value(json_object_get(json_object_get(res, "content"), "context"));
    char text[600];
    snprintf(text, sizeof text, "Answer using this context: %.500s", ctx ? ctx : "(none given)");
    json_decref(res);
    return bw_result_add_message(bw_call_result(call), "user", bw_content_text(text));
}

int everything_add_prompts(bw_server *srv)
{
    static const bw_prompt_arg two[] = {{.name = "arg1", .description = "First argument", .required = true},
                                        {.name = "arg2", .description = "Second argument", .required = true}};
    static const bw_prompt_arg res[] = {
        {.name = "resourceUri", .description = "URI of the resource to embed", .required = true}};
    bw_prompt_def defs[] = {
        {.name = "test_simple_prompt", .description = "A simple prompt without arguments", .handler = simple_prompt},
        {.name = "test_prompt_with_arguments", .description = "A prompt with two required arguments", .args = two,
         .n_args = 2, .handler = args_prompt},
        {.name = "test_prompt_with_embedded_resource", .description = "A prompt that embeds a resource", .args = res,
         .n_args = 1, .handler = embedded_prompt},
        {.name = "test_prompt_with_image", .description = "A prompt with an image", .handler = image_prompt},
        {.name = "test_input_required_result_prompt", .description = "A prompt that first asks the user for context",
         .handler = input_prompt},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        if (bw_server_add_prompt(srv, &defs[i]) != BW_OK) {
            fprintf(stderr, "bulwark-everything: prompt %s failed\n", defs[i].name);
            return -1;
        }
    }
    bw_server_set_completion(srv, complete, NULL);
    return 0;
}
