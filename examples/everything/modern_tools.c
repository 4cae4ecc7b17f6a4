/* Fixtures of the 2026-07-28 conformance scenarios: header mirroring, per-request capabilities and log level,
 * list_changed on listen streams, and multi round-trip input (MRTR). Each is one handler for both eras: in a
 * session, bw_call_elicit & co. wait for the client's answer; stateless, they return BW_INPUT_REQUIRED, which the
 * handler passes straight back, and the retry brings the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.h"

static bw_status text(bw_call *call, const char *s)
{
    return bw_result_add_text(bw_call_result(call), s);
}

static bw_status x_mcp_header(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    const char *region = json_string_value(json_object_get(args, "region"));
    char out[300];
    snprintf(out, sizeof out, "region=%.256s", region ? region : "(none)");
    return text(call, out);
}

static json_t *capital_question(int max_tokens)
{
    return json_pack("{s:[{s:s,s:{s:s,s:s}}],s:i}", "messages", "role", "user", "content", "type", "text", "text",
                     "What is the capital of France?", "maxTokens", max_tokens);
}

static json_t *ask_schema(const char *message, const char *prop, const char *type)
{
    return json_pack("{s:s,s:{s:s,s:{s:{s:s}},s:[s]}}", "message", message, "requestedSchema", "type", "object",
                     "properties", prop, "type", type, "required", prop);
}

/* Needs sampling: a client without it gets -32021 (stateless) or a tool error (session). */
static bw_status missing_capability(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status st = bw_call_sample(call, "sample", capital_question(100), 0, &res);
    if (st)
        return st;
    json_decref(res);
    return text(call, "sampled");
}

static bw_status streaming_elicitation(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return text(call, "Streaming complete: no server-to-client request was needed");
}

static bw_status logging_tool(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    bw_status st = bw_call_logf(call, BW_LOG_INFO, "test_logging_tool ran");
    return st ? st : text(call, "Logged at info (sent only when the request asked for a log level)");
}

static bw_status trigger_tools(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    bw_server_notify_list_changed(user, "tools");
    return text(call, "notifications/tools/list_changed published");
}

static bw_status trigger_prompts(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    bw_server_notify_list_changed(user, "prompts");
    return text(call, "notifications/prompts/list_changed published");
}

/* "<prefix><content.field><suffix>" from an accepted elicitation. */
static bw_status elicited(bw_call *call, const json_t *res, const char *field, const char *prefix, const char *suffix)
{
    const char *action = json_string_value(json_object_get(res, "action"));
    const json_t *v = json_object_get(json_object_get(res, "content"), field);
    if (!action || strcmp(action, "accept") != 0)
        return text(call, "The user declined");
    char *value = json_dumps(v ? v : json_null(), JSON_ENCODE_ANY);
    char out[512];
    snprintf(out, sizeof out, "%s%.400s%s", prefix, json_is_string(v) ? json_string_value(v) : (value ? value : "null"),
             suffix);
    free(value);
    return text(call, out);
}

static bw_status ir_elicitation(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status st = bw_call_elicit(call, "user_name", ask_schema("What is your name?", "name", "string"), 0, &res);
    if (st)
        return st;
    st = elicited(call, res, "name", "Hello, ", "!");
    json_decref(res);
    return st;
}

static bw_status ir_sampling(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status st = bw_call_sample(call, "capital_question", capital_question(100), 0, &res);
    if (st)
        return st;
    const char *answer = json_string_value(json_object_get(json_object_get(res, "content"), "text"));
    char out[512];
    snprintf(out, sizeof out, "The model answered: %.400s", answer ? answer : "(no text)");
    json_decref(res);
    return text(call, out);
}

static bw_status ir_roots(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status st = bw_call_list_roots(call, "client_roots", 0, &res);
    if (st)
        return st;
    char out[128];
    snprintf(out, sizeof out, "The client has %zu root(s)", json_array_size(json_object_get(res, "roots")));
    json_decref(res);
    return text(call, out);
}

static bw_status ir_confirm(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status st = bw_call_elicit(call, "confirm", ask_schema("Please confirm", "ok", "boolean"), 0, &res);
    if (st == BW_INPUT_REQUIRED)
        bw_call_set_request_state(call, json_pack("{s:s}", "step", "confirm"));
    if (st)
        return st;
    st = elicited(call, res, "ok", "state-ok: confirmed=", "");
    json_decref(res);
    return st;
}

/* All three kinds at once: the stateless client gets one input_required carrying every request. */
static bw_status ir_multiple(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *name = NULL, *greeting = NULL, *roots = NULL;
    bw_status s1 = bw_call_elicit(call, "user_name", ask_schema("What is your name?", "name", "string"), 0, &name);
    bw_status s2 = bw_call_sample(call, "greeting", capital_question(50), 0, &greeting);
    bw_status s3 = bw_call_list_roots(call, "client_roots", 0, &roots);
    bw_status st = s1 == BW_INPUT_REQUIRED || s2 == BW_INPUT_REQUIRED || s3 == BW_INPUT_REQUIRED ? BW_INPUT_REQUIRED
                   : s1 ? s1 : s2 ? s2 : s3;
    if (!st)
        st = text(call, "Got a name, a greeting and the roots");
    json_decref(name);
    json_decref(greeting);
    json_decref(roots);
    return st;
}

/* Two rounds of input: the second question depends on the first answer. */
static bw_status ir_multi_round(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *name = NULL, *color = NULL;
    bw_status st = bw_call_elicit(call, "step1", ask_schema("What is your name?", "name", "string"), 0, &name);
    if (!st)
        st = bw_call_elicit(call, "step2", ask_schema("What is your favourite color?", "color", "string"), 0, &color);
    if (!st) {
        const char *n = json_string_value(json_object_get(json_object_get(name, "content"), "name"));
        const char *c = json_string_value(json_object_get(json_object_get(color, "content"), "color"));
        char out[300];
        snprintf(out, sizeof out, "%.100s likes %.100s", n ? n : "someone", c ? c : "no color");
        st = text(call, out);
    }
    json_decref(name);
    json_decref(color);
    return st;
}

/* Asks for whichever kind of input the client declared, elicitation first. */
static bw_status ir_capabilities(bw_call *call, const json_t *args, void *user)
{
    if (bw_call_client_has(call, "elicitation"))
        return ir_elicitation(call, args, user);
    if (bw_call_client_has(call, "sampling"))
        return ir_sampling(call, args, user);
    return ir_roots(call, args, user);
}

int everything_add_modern_tools(bw_server *srv)
{
    static const char none[] = "{\"type\":\"object\"}";
    static const char header_schema[] =
        "{\"type\":\"object\",\"properties\":{\"region\":{\"type\":\"string\",\"description\":\"Mirrored into the "
        "Mcp-Param-Region header\",\"x-mcp-header\":\"Region\"},\"level\":{\"type\":\"integer\"}}}";
    struct { const char *name, *desc, *schema; bw_tool_fn fn; void *user; } t[] = {
        /* First: the header scenario calls the first listed tool with {} (conformance-0.2 §3.10). */
        {"test_x_mcp_header", "Echoes its region argument, which clients mirror into the Mcp-Param-Region header",
         header_schema, x_mcp_header, NULL},
        {"test_missing_capability", "Needs the client's sampling capability", none, missing_capability, NULL},
        {"test_streaming_elicitation", "Answers with plain text", none, streaming_elicitation, NULL},
        {"test_logging_tool", "Logs at info when the request asked for logs", none, logging_tool, NULL},
        {"test_trigger_tool_change", "Publishes tools/list_changed", none, trigger_tools, srv},
        {"test_trigger_prompt_change", "Publishes prompts/list_changed", none, trigger_prompts, srv},
        {"test_input_required_result_elicitation", "Asks the user's name (elicitation)", none, ir_elicitation, NULL},
        {"test_input_required_result_sampling", "Asks the model a question (sampling)", none, ir_sampling, NULL},
        {"test_input_required_result_list_roots", "Asks for the client's roots", none, ir_roots, NULL},
        {"test_input_required_result_request_state", "Asks for confirmation, keeping state across rounds", none,
         ir_confirm, NULL},
        {"test_input_required_result_multiple_inputs", "Asks for a name, a greeting and the roots at once", none,
         ir_multiple, NULL},
        {"test_input_required_result_multi_round", "Asks two questions in two rounds", none, ir_multi_round, NULL},
        {"test_input_required_result_tampered_state", "Asks for confirmation; a tampered state is refused", none,
         ir_confirm, NULL},
        {"test_input_required_result_capabilities", "Asks only for input the client declared it can give", none,
         ir_capabilities, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char err[256];
        json_t *schema = json_loads(t[i].schema, JSON_PRESERVE_ORDER, NULL);
        bw_tool_def def = {.name = t[i].name, .description = t[i].desc, .input_schema = schema, .handler = t[i].fn,
                           .user = t[i].user};
        bw_status st = bw_server_add_tool(srv, &def, err, sizeof err);
        json_decref(schema);
        if (st) {
            fprintf(stderr, "bulwark-everything: tool %s: %s\n", t[i].name, err);
            return 1;
        }
    }
    return 0;
}
