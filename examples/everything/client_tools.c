/* Fixture tools that ask the client for something: sampling, elicitation, roots. Each is written once for both
 * eras: bw_call_* either returns the answer or BW_INPUT_REQUIRED, which the handler passes straight back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.h"

/* Formats "<prefix>action=<a>, content=<json>" from an elicitation result. */
static bw_status reply_elicitation(bw_call *call, const char *prefix, const json_t *res)
{
    char *content = json_dumps(json_object_get(res, "content") ?: json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
    const char *action = json_string_value(json_object_get(res, "action"));
    size_t n = strlen(prefix) + (content ? strlen(content) : 0) + 64;
    char *text = malloc(n);
    bw_status st = BW_E_NOMEM;
    if (text) {
        snprintf(text, n, "%saction=%s, content=%s", prefix, action ? action : "?", content ? content : "null");
        st = bw_result_add_text(bw_call_result(call), text);
    }
    free(text);
    free(content);
    return st;
}

static bw_status sampling(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    const char *prompt = json_string_value(json_object_get(args, "prompt"));
    json_t *params = json_pack("{s:[{s:s,s:{s:s,s:s}}],s:i}", "messages", "role", "user", "content", "type", "text",
                               "text", prompt, "maxTokens", 100);
    json_t *res = NULL;
    bw_status st = bw_call_sample(call, "sample", params, 0, &res);
    if (st)
        return st;
    const char *text = json_string_value(json_object_get(json_object_get(res, "content"), "text"));
    size_t n = (text ? strlen(text) : 0) + 32;
    char *out = malloc(n);
    if (out) {
        snprintf(out, n, "LLM response: %s", text ? text : "");
        st = bw_result_add_text(bw_call_result(call), out);
    }
    free(out);
    json_decref(res);
    return out ? st : BW_E_NOMEM;
}

static bw_status elicit_with(bw_call *call, const char *key, json_t *params, const char *prefix)
{
    json_t *res = NULL;
    bw_status st = bw_call_elicit(call, key, params, 0, &res);
    if (st)
        return st;
    st = reply_elicitation(call, prefix, res);
    json_decref(res);
    return st;
}

static bw_status elicitation(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    const char *message = json_string_value(json_object_get(args, "message"));
    json_t *params = json_pack(
        "{s:s,s:{s:s,s:{s:{s:s,s:s},s:{s:s,s:s,s:s}},s:[s,s]}}", "message", message, "requestedSchema", "type",
        "object", "properties", "username", "type", "string", "description", "Your username", "email", "type",
        "string", "format", "email", "description", "Your email address", "required", "username", "email");
    return elicit_with(call, "info", params, "User response: ");
}

static const char sep1034_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"name\":{\"type\":\"string\",\"description\":\"User name\",\"default\":\"John Doe\"},"
    "\"age\":{\"type\":\"integer\",\"description\":\"User age\",\"default\":30},"
    "\"score\":{\"type\":\"number\",\"description\":\"User score\",\"default\":95.5},"
    "\"status\":{\"type\":\"string\",\"description\":\"User status\",\"enum\":[\"active\",\"inactive\",\"pending\"],"
    "\"default\":\"active\"},"
    "\"verified\":{\"type\":\"boolean\",\"description\":\"Verification status\",\"default\":true}},\"required\":[]}";

static const char sep1330_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"untitledSingle\":{\"type\":\"string\",\"description\":\"Untitled single-select\","
    "\"enum\":[\"option1\",\"option2\",\"option3\"]},"
    "\"titledSingle\":{\"type\":\"string\",\"description\":\"Titled single-select\",\"oneOf\":["
    "{\"const\":\"value1\",\"title\":\"First Option\"},{\"const\":\"value2\",\"title\":\"Second Option\"},"
    "{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
    "\"legacyEnum\":{\"type\":\"string\",\"description\":\"Legacy titled enum\",\"enum\":[\"opt1\",\"opt2\",\"opt3\"],"
    "\"enumNames\":[\"Option One\",\"Option Two\",\"Option Three\"]},"
    "\"untitledMulti\":{\"type\":\"array\",\"description\":\"Untitled multi-select\",\"minItems\":1,\"maxItems\":3,"
    "\"items\":{\"type\":\"string\",\"enum\":[\"option1\",\"option2\",\"option3\"]}},"
    "\"titledMulti\":{\"type\":\"array\",\"description\":\"Titled multi-select\",\"minItems\":1,\"maxItems\":3,"
    "\"items\":{\"anyOf\":[{\"const\":\"value1\",\"title\":\"First Choice\"},{\"const\":\"value2\",\"title\":"
    "\"Second Choice\"},{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}},\"required\":[]}";

static bw_status elicit_schema(bw_call *call, const char *key, const char *message, const char *schema)
{
    json_t *params = json_pack("{s:s,s:o}", "message", message, "requestedSchema", json_loads(schema, 0, NULL));
    if (!params)
        return BW_E_INTERNAL;
    return elicit_with(call, key, params, "Elicitation completed: ");
}

static bw_status sep1034(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return elicit_schema(call, "defaults", "Please review and update the form fields with defaults", sep1034_schema);
}

static bw_status sep1330(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return elicit_schema(call, "enums", "Please select options from the enum fields", sep1330_schema);
}

static bw_status list_roots(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status st = bw_call_list_roots(call, "roots", 0, &res);
    if (st)
        return st;
    char *text = json_dumps(res, JSON_COMPACT);
    st = bw_result_add_text(bw_call_result(call), text ? text : "{}");
    free(text);
    json_decref(res);
    return st;
}

int everything_add_client_tools(bw_server *srv)
{
    static const char empty[] = "{\"type\":\"object\",\"additionalProperties\":false}";
    struct { const char *name, *desc, *schema; bw_tool_fn fn; } t[] = {
        {"test_sampling", "Asks the client's LLM to answer a prompt (sampling)",
         "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"}},\"required\":[\"prompt\"]}", sampling},
        {"test_elicitation", "Asks the user for a username and email (elicitation)",
         "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"}},\"required\":[\"message\"]}",
         elicitation},
        {"test_elicitation_sep1034_defaults", "Elicitation whose fields carry defaults (SEP-1034)", empty, sep1034},
        {"test_elicitation_sep1330_enums", "Elicitation with every enum shape (SEP-1330)", empty, sep1330},
        {"list_roots", "Asks the client for its roots and returns them", empty, list_roots},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        json_t *schema = json_loads(t[i].schema, 0, NULL);
        char err[256] = "";
        bw_tool_def def = {.name = t[i].name, .description = t[i].desc, .input_schema = schema, .handler = t[i].fn};
        bw_status st = bw_server_add_tool(srv, &def, err, sizeof err);
        json_decref(schema);
        if (st) {
            fprintf(stderr, "bulwark-everything: tool %s: %s\n", t[i].name, err);
            return -1;
        }
    }
    return 0;
}
