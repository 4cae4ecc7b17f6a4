/* The built-in example tool set `bulwark serve` offers when no configuration is given. */
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"

static bw_status echo(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    return bw_result_add_text(bw_call_result(call), json_string_value(json_object_get(args, "text")));
}

static bw_status add(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    double sum = json_number_value(json_object_get(args, "a")) + json_number_value(json_object_get(args, "b"));
    return bw_result_set_structured(bw_call_result(call), json_pack("{s:f}", "sum", sum));
}

static bw_status now(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    char text[64];
    time_t t = time(NULL);
    struct tm tm;
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    return bw_result_set_structured(bw_call_result(call), json_pack("{s:s}", "utc", text));
}

static bw_status slow_count(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    json_int_t to = (json_int_t)json_number_value(json_object_get(args, "to"));
    for (json_int_t i = 1; i <= to; i++) {
        if (bw_call_sleep(call, 200))
            return BW_E_CANCELLED;
        (void)bw_call_progress(call, (double)i, (double)to, NULL);
    }
    char text[64];
    snprintf(text, sizeof text, "counted to %lld", (long long)to);
    return bw_result_add_text(bw_call_result(call), text);
}

int bw_builtin_register(bw_server *srv)
{
    /* echo, add and now are pure and quick: they run on the reading thread (BW_TOOL_NONBLOCKING). */
    struct { const char *name, *desc, *in, *out; bw_tool_fn fn; const char *ann; unsigned flags; } t[] = {
        {"echo", "Echoes the given text", "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
         "\"required\":[\"text\"]}", NULL, echo, "{\"readOnlyHint\":true}", BW_TOOL_NONBLOCKING},
        {"add", "Adds two numbers", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":"
         "\"number\"}},\"required\":[\"a\",\"b\"],\"additionalProperties\":false}",
         "{\"type\":\"object\",\"properties\":{\"sum\":{\"type\":\"number\"}},\"required\":[\"sum\"]}", add,
         "{\"readOnlyHint\":true}", BW_TOOL_NONBLOCKING},
        {"now", "The current UTC time", "{\"type\":\"object\",\"additionalProperties\":false}",
         "{\"type\":\"object\",\"properties\":{\"utc\":{\"type\":\"string\",\"format\":\"date-time\"}}}", now,
         "{\"readOnlyHint\":true}", BW_TOOL_NONBLOCKING},
        {"slow_count", "Counts to N, one step per 200 ms, reporting progress; cancellable",
         "{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,"
         "\"default\":5}},\"additionalProperties\":false}", NULL, slow_count, "{\"readOnlyHint\":true}", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        json_t *in = json_loads(t[i].in, 0, NULL), *out = t[i].out ? json_loads(t[i].out, 0, NULL) : NULL;
        json_t *ann = json_loads(t[i].ann, 0, NULL);
        char err[256] = "";
        bw_tool_def def = {.name = t[i].name, .description = t[i].desc, .input_schema = in, .output_schema = out,
                           .annotations = ann, .handler = t[i].fn, .flags = t[i].flags};
        bw_status st = bw_server_add_tool(srv, &def, err, sizeof err);
        json_decref(in);
        json_decref(out);
        json_decref(ann);
        if (st) {
            fprintf(stderr, "bulwark: built-in tool %s: %s\n", t[i].name, err);
            return -1;
        }
    }
    return 0;
}
