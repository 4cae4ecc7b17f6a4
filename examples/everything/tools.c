/* The fixture tools that need nothing from the client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.h"

const char everything_png_b64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const char everything_wav_b64[] = "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

static bw_status echo(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    return bw_result_add_text(bw_call_result(call), json_string_value(json_object_get(args, "text")));
}

static bw_status add(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    double sum = json_number_value(json_object_get(args, "a")) + json_number_value(json_object_get(args, "b"));
    json_t *out = json_pack("{s:f}", "sum", sum);
    if (sum == (double)(json_int_t)sum)
        json_object_set_new(out, "sum", json_integer((json_int_t)sum));
    return bw_result_set_structured(bw_call_result(call), out);
}

static bw_status slow_task(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    /* json_number_value: the schema's "integer" also admits 2.0, which json_integer_value would read as 0. */
    json_int_t steps = (json_int_t)json_number_value(json_object_get(args, "steps"));
    json_int_t interval = (json_int_t)json_number_value(json_object_get(args, "interval_ms"));
    for (json_int_t i = 1; i <= steps; i++) {
        if (bw_call_sleep(call, (int)interval) != BW_OK)
            return BW_E_CANCELLED;
        char msg[64];
        snprintf(msg, sizeof msg, "step %lld of %lld", (long long)i, (long long)steps);
        (void)bw_call_progress(call, (double)i, (double)steps, msg);
    }
    char text[64];
    snprintf(text, sizeof text, "completed %lld steps", (long long)steps);
    return bw_result_add_text(bw_call_result(call), text);
}

static bw_status log_all_levels(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    static const char *const names[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
    for (int l = BW_LOG_DEBUG; l <= BW_LOG_EMERGENCY; l++) {
        char text[32];
        snprintf(text, sizeof text, "level %s", names[l]);
        (void)bw_call_log(call, (bw_log_level)l, "everything", json_string(text));
    }
    return bw_result_add_text(bw_call_result(call), "logged");
}

static bw_status trigger_update(bw_call *call, const json_t *args, void *user)
{
    bw_server *srv = user;
    const char *uri = json_string_value(json_object_get(args, "uri"));
    bw_server_notify_resource_updated(srv, uri);
    char text[512];
    snprintf(text, sizeof text, "updated %s", uri);
    return bw_result_add_text(bw_call_result(call), text);
}

static bw_status extra_tool(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_add_text(bw_call_result(call), "extra");
}

static bw_status toggle_extra(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    bw_server *srv = user;
    if (bw_server_remove_tool(srv, "extra_tool") == BW_OK)
        return bw_result_add_text(bw_call_result(call), "removed");
    bw_tool_def def = {.name = "extra_tool", .description = "A tool that comes and goes", .handler = extra_tool};
    bw_status st = bw_server_add_tool(srv, &def, NULL, 0);
    return st ? st : bw_result_add_text(bw_call_result(call), "added");
}

static bw_status bad_structured(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_set_structured(bw_call_result(call), json_pack("{s:s}", "value", "oops"));
}

static bw_status simple_text(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_add_text(bw_call_result(call), "This is a simple text response for testing.");
}

static bw_status image(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_add(bw_call_result(call), bw_content_image(everything_png_b64, "image/png"));
}

static bw_status audio(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_add(bw_call_result(call), bw_content_audio(everything_wav_b64, "audio/wav"));
}

static bw_status embedded(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_add(bw_call_result(call),
                         bw_content_embedded(bw_resource_text("test://embedded-resource", "text/plain",
                                                              "This is an embedded resource content.")));
}

static bw_status mixed(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    bw_result *r = bw_call_result(call);
    bw_status st = bw_result_add_text(r, "Multiple content types test:");
    if (!st)
        st = bw_result_add(r, bw_content_image(everything_png_b64, "image/png"));
    if (!st)
        st = bw_result_add(r, bw_content_embedded(bw_resource_text("test://mixed-content-resource", "application/json",
                                                                   "{\"test\":\"data\",\"value\":123}")));
    return st;
}

static bw_status with_logging(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    static const char *const steps[] = {"Tool execution started", "Tool processing data", "Tool execution completed"};
    for (int i = 0; i < 3; i++) {
        (void)bw_call_log(call, BW_LOG_INFO, NULL, json_string(steps[i]));
        if (i < 2 && bw_call_sleep(call, 50) != BW_OK)
            return BW_E_CANCELLED;
    }
    return bw_result_add_text(bw_call_result(call), "Tool with logging executed successfully");
}

static bw_status error_handling(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    return bw_result_set_error(bw_call_result(call), "This tool intentionally returns an error for testing");
}

static bw_status with_progress(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    /* Pause after every report, the last one too, as the reference server does: the TypeScript SDK client handles
     * notifications a microtask later than responses, so a report sent right before the result is dropped. */
    for (int p = 0; p <= 100; p += 50) {
        (void)bw_call_progress(call, p, 100, NULL);
        if (bw_call_sleep(call, 50) != BW_OK)
            return BW_E_CANCELLED;
    }
    return bw_result_add_text(bw_call_result(call), "Tool with progress executed successfully");
}

static bw_status schema_2020(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    char *text = json_dumps(args, JSON_COMPACT);
    bw_status st = bw_result_add_text(bw_call_result(call), text ? text : "{}");
    free(text);
    return st;
}

static bw_status reconnection(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    /* Over Streamable HTTP this ends the POST's event stream at once; the result below reaches the client when
     * it resumes with Last-Event-ID (SEP-1699). */
    bw_call_close_stream(call, 500);
    if (bw_call_sleep(call, 100) != BW_OK)
        return BW_E_CANCELLED;
    return bw_result_add_text(bw_call_result(call), "Reconnection test completed successfully");
}

typedef struct spec {
    const char *name, *description, *input, *output;
    bw_tool_fn fn;
    unsigned flags;
} spec;

static const char empty_schema[] = "{\"type\":\"object\",\"additionalProperties\":false}";
/* The conformance suite's SEP-1613/SEP-2106 fixture: listed verbatim (composition, conditionals, $anchor). */
static const char schema_2020_12[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\",\"$defs\":{\"address\":"
    "{\"$anchor\":\"addressDef\",\"type\":\"object\",\"properties\":{\"street\":{\"type\":\"string\"},\"city\":"
    "{\"type\":\"string\"}}}},\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"},"
    "\"contactMethod\":{\"type\":\"string\",\"enum\":[\"phone\",\"email\"]},\"phone\":{\"type\":\"string\"},"
    "\"email\":{\"type\":\"string\"}},\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]}],"
    "\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},\"required\":[\"contactMethod\"]},"
    "\"then\":{\"required\":[\"phone\"]},\"else\":{\"required\":[\"email\"]},\"additionalProperties\":false}";

static const spec specs[] = {
    {"echo", "Echoes the given text back as one text block",
     "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"description\":\"Text to echo\"}},"
     "\"required\":[\"text\"]}", NULL, echo, BW_TOOL_NONBLOCKING},
    {"add", "Adds two numbers and returns the sum as structured content",
     "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"}},"
     "\"required\":[\"a\",\"b\"],\"additionalProperties\":false}",
     "{\"type\":\"object\",\"properties\":{\"sum\":{\"type\":\"number\"}},\"required\":[\"sum\"]}", add, 0},
    {"slow_task", "Works in steps, reporting progress after each; honours cancellation",
     "{\"type\":\"object\",\"properties\":{\"steps\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,"
     "\"default\":10},\"interval_ms\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10000,\"default\":100}},"
     "\"additionalProperties\":false}", NULL, slow_task, 0},
    {"log_all_levels", "Sends one log message at every level", empty_schema, NULL, log_all_levels, 0},
    {"bad_structured", "Returns structured content that breaks its own outputSchema (for tests)", empty_schema,
     "{\"type\":\"object\",\"properties\":{\"value\":{\"type\":\"integer\"}},\"required\":[\"value\"]}",
     bad_structured, 0},
    {"test_simple_text", "Returns a simple text response", empty_schema, NULL, simple_text, 0},
    {"test_image_content", "Returns an image", empty_schema, NULL, image, 0},
    {"test_audio_content", "Returns an audio clip", empty_schema, NULL, audio, 0},
    {"test_embedded_resource", "Returns an embedded resource", empty_schema, NULL, embedded, 0},
    {"test_multiple_content_types", "Returns text, an image and an embedded resource", empty_schema, NULL, mixed, 0},
    {"test_tool_with_logging", "Sends three log messages while it runs", empty_schema, NULL, with_logging, 0},
    {"test_error_handling", "Always fails with a tool error", empty_schema, NULL, error_handling, 0},
    {"test_tool_with_progress", "Reports progress 0, 50 and 100", empty_schema, NULL, with_progress, 0},
    {"json_schema_2020_12_tool", "Takes arguments described by a JSON Schema 2020-12 document", schema_2020_12, NULL,
     schema_2020, 0},
    {"test_reconnection", "Answers after 100 ms (over HTTP the stream is closed early to test resumption)",
     empty_schema, NULL, reconnection, 0},
};

bool everything_echo_on_workers;

static int add_spec(bw_server *srv, const spec *s, void *user)
{
    json_error_t jerr;
    json_t *in = json_loads(s->input, 0, &jerr);
    json_t *out = s->output ? json_loads(s->output, 0, &jerr) : NULL;
    char err[256] = "";
    bw_tool_def def = {.name = s->name, .description = s->description, .input_schema = in, .output_schema = out,
                       .handler = s->fn, .user = user,
                       .flags = everything_echo_on_workers ? 0 : s->flags};
    bw_status st = bw_server_add_tool(srv, &def, err, sizeof err);
    if (st)
        fprintf(stderr, "bulwark-everything: tool %s: %s (%s)\n", s->name, bw_status_str(st), err);
    json_decref(in);
    json_decref(out);
    return st ? -1 : 0;
}

int everything_add_tools(bw_server *srv)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (add_spec(srv, &specs[i], NULL))
            return -1;
    static const spec with_server[] = {
        {"trigger_resource_update", "Notifies subscribers that a resource changed",
         "{\"type\":\"object\",\"properties\":{\"uri\":{\"type\":\"string\"}},\"required\":[\"uri\"]}", NULL,
         trigger_update, 0},
        {"toggle_extra_tool", "Adds extra_tool if absent, removes it if present", empty_schema, NULL, toggle_extra, 0},
    };
    for (size_t i = 0; i < sizeof with_server / sizeof with_server[0]; i++)
        if (add_spec(srv, &with_server[i], srv))
            return -1;
    return 0;
}
