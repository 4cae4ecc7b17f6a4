/* The tasks extension's fixture tools (io.modelcontextprotocol/tasks, SEP-2663), as the conformance suite's tasks-*
 * scenarios call them: a sync tool, a cancellable sleeper, a tool error and a protocol error run as tasks, tasks that
 * park for client input, and a tool that gathers input by MRTR before it becomes a task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.h"

static bw_status greet(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    char text[300];
    snprintf(text, sizeof text, "Hello, %.256s!", json_string_value(json_object_get(args, "name")));
    return bw_result_add_text(bw_call_result(call), text);
}

/* Sleeps `seconds` (a task for a client with the extension, a plain call otherwise); cancellation wakes it. */
static bw_status slow_compute(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    double seconds = json_number_value(json_object_get(args, "seconds"));
    const char *label = json_string_value(json_object_get(args, "label"));
    if (seconds > 0 && bw_call_sleep(call, (int)(seconds * 1000)) != BW_OK)
        return BW_E_CANCELLED;
    char text[300];
    snprintf(text, sizeof text, "slow_compute %.200s: done after %g s", label ? label : "(no label)", seconds);
    return bw_result_add_text(bw_call_result(call), text);
}

/* A tool error (isError:true): the task completes, it does not fail. */
static bw_status failing_job(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    if (bw_call_sleep(call, 1000) != BW_OK)
        return BW_E_CANCELLED;
    return bw_result_set_error(bw_call_result(call), "failing_job failed on purpose (a tool execution error)");
}

/* A JSON-RPC error (-32603): the task fails. */
static bw_status protocol_error_job(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    bw_call_set_error(call, "protocol_error_job fails on purpose with a protocol error");
    return BW_E_INTERNAL;
}

/* Asks the client (elicitation/create, form mode) for one answer under `key`. */
static bw_status ask(bw_call *call, const char *key, const char *message, const char *field, const char *type,
                     json_t **answer)
{
    json_t *params = json_pack("{s:s,s:s,s:{s:s,s:{s:{s:s}},s:[s]}}", "mode", "form", "message", message,
                               "requestedSchema", "type", "object", "properties", field, "type", type, "required",
                               field);
    if (!params)
        return BW_E_NOMEM;
    return bw_call_elicit(call, key, params, 0, answer);
}

static bool accepted(const json_t *answer)
{
    const char *action = json_string_value(json_object_get(answer, "action"));
    return action && strcmp(action, "accept") == 0;
}

static bw_status confirm_delete(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    const char *filename = json_string_value(json_object_get(args, "filename"));
    char text[400];
    snprintf(text, sizeof text, "Delete %.256s?", filename);
    json_t *answer = NULL;
    bw_status st = ask(call, "confirm", text, "confirm", "boolean", &answer);
    if (st)
        return st;
    bool yes = accepted(answer) && json_is_true(json_object_get(json_object_get(answer, "content"), "confirm"));
    json_decref(answer);
    snprintf(text, sizeof text, yes ? "Deleted %.256s" : "Kept %.256s (not confirmed)", filename);
    return bw_result_add_text(bw_call_result(call), text);
}

/* Asks for both inputs before returning, so the task parks with two requests outstanding at once. */
static bw_status multi_input(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *first = NULL, *second = NULL;
    bw_status a = ask(call, "first", "First input: your name", "name", "string", &first);
    bw_status b = ask(call, "second", "Second input: confirm", "confirm", "boolean", &second);
    bw_status st = a ? a : b;
    if (!st) {
        char *one = json_dumps(json_object_get(first, "content"), JSON_COMPACT | JSON_ENCODE_ANY);
        char *two = json_dumps(json_object_get(second, "content"), JSON_COMPACT | JSON_ENCODE_ANY);
        char text[600];
        snprintf(text, sizeof text, "Received first=%.256s, second=%.256s", one ? one : "null", two ? two : "null");
        st = bw_result_add_text(bw_call_result(call), text);
        free(one);
        free(two);
    }
    json_decref(first);
    json_decref(second);
    return st;
}

/* MRTR then task: asks for the user's name on the original request, then becomes a task that greets them. */
static bw_status tool_with_task(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *answer = NULL;
    bw_status st = ask(call, "user_name", "What is your name?", "name", "string", &answer);
    if (st)
        return st;
    const char *name = json_string_value(json_object_get(json_object_get(answer, "content"), "name"));
    char text[300];
    snprintf(text, sizeof text, "Hello, %.200s! (finished as a task)", name ? name : "stranger");
    json_decref(answer);
    /* A session-based (legacy) client has no tasks: the call then simply finishes as an ordinary one. */
    st = bw_call_task_begin(call);
    if (st && st != BW_E_UNSUPPORTED)
        return st;
    return bw_result_add_text(bw_call_result(call), text);
}

int everything_add_tasks_tools(bw_server *srv)
{
    json_t *name = json_loads("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
                              "\"required\":[\"name\"]}", 0, NULL);
    json_t *compute = json_loads("{\"type\":\"object\",\"properties\":{\"seconds\":{\"type\":\"number\","
                                 "\"minimum\":0,\"maximum\":3600},\"label\":{\"type\":\"string\"}},"
                                 "\"required\":[\"seconds\"]}", 0, NULL);
    json_t *file = json_loads("{\"type\":\"object\",\"properties\":{\"filename\":{\"type\":\"string\"}},"
                              "\"required\":[\"filename\"]}", 0, NULL);
    const unsigned optional = BW_TOOL_TASK_OPTIONAL, required = BW_TOOL_TASK_REQUIRED;
    const bw_tool_def defs[] = {
        {.name = "greet", .description = "Greets by name (never a task)", .input_schema = name, .handler = greet},
        {.name = "slow_compute", .description = "Sleeps `seconds`, then answers; a task when the client can",
         .input_schema = compute, .handler = slow_compute, .flags = optional},
        {.name = "failing_job", .description = "A task that ends with a tool error after about 1 s",
         .handler = failing_job, .flags = required},
        {.name = "protocol_error_job", .description = "A task that fails with a JSON-RPC error",
         .handler = protocol_error_job, .flags = required},
        {.name = "confirm_delete", .description = "Asks the client to confirm deleting a file",
         .input_schema = file, .handler = confirm_delete, .flags = optional},
        {.name = "multi_input", .description = "Asks the client for two inputs at once", .handler = multi_input,
         .flags = optional},
        {.name = "test_tool_with_task", .description = "Asks for the user's name, then finishes as a task",
         .handler = tool_with_task, .flags = required | BW_TOOL_TASK_MANUAL},
    };
    int rc = name && compute && file ? 0 : -1;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0] && !rc; i++)
        rc = bw_server_add_tool(srv, &defs[i], NULL, 0) == BW_OK ? 0 : -1;
    json_decref(name);
    json_decref(compute);
    json_decref(file);
    return rc;
}
