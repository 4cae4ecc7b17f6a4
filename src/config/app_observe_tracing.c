/* `observability.tracing` (schema: src/config/schema/observe_tracing.json) → bw_server_set_tracing. The schema has
 * checked types and ranges; what is left is the endpoint's URL syntax and the header lines, checked by the tracer's
 * own option check so `bulwark check` and the server agree. An absent section (or endpoint) turns export off, which
 * a reload applies to a running server too; unchanged options keep the running exporter (its queue and connection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/app_observe.h"
#include "observability/trace.h"

static int int_or(const json_t *obj, const char *key, int dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void free_lines(char **lines)
{
    for (char **l = lines; l && *l; l++)
        free(*l);
    free(lines);
}

/* "Name: value" lines of the headers object, NULL-terminated (caller frees with free_lines). NULL on allocation
 * failure; an empty list when there are none. */
static char **header_lines(const json_t *headers)
{
    char **lines = calloc(json_object_size(headers) + 1, sizeof *lines);
    const char *name;
    const json_t *value;
    size_t n = 0;
    json_object_foreach((json_t *)headers, name, value) {
        if (!lines)
            break;
        if (asprintf(&lines[n], "%s: %s", name, json_string_value(value)) < 0) {
            lines[n] = NULL;
            free_lines(lines);
            return NULL;
        }
        n++;
    }
    return lines;
}

void bw_app_observe_tracing(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    const json_t *sec = json_object_get(json_object_get(root, "observability"), "tracing");
    const json_t *ratio = json_object_get(sec, "sampling_ratio");
    char **headers = header_lines(json_object_get(sec, "headers"));
    if (!headers) {
        bw_build_error(b, sec, "observability.tracing: out of memory");
        return;
    }
    bw_tracing_options opts = {
        .endpoint = json_string_value(json_object_get(sec, "endpoint")),
        .protocol = json_string_value(json_object_get(sec, "protocol")),
        .sampling_ratio = json_is_number(ratio) ? json_number_value(ratio) : 1.0,
        .service_name = json_string_value(json_object_get(sec, "service_name")),
        .queue_size = int_or(sec, "queue_size", 0),
        .batch_size = int_or(sec, "batch_size", 0),
        .flush_interval_ms = int_or(sec, "flush_interval_ms", 0),
        .export_timeout_ms = int_or(sec, "export_timeout_ms", 0),
        .headers = (const char *const *)headers,
    };
    char err[300];
    bw_status st = apply ? bw_server_set_tracing(srv, &opts, err, sizeof err)
                         : bw_tracing_options_check(&opts, err, sizeof err);
    if (st != BW_OK) {
        const json_t *at = strstr(err, "endpoint") ? json_object_get(sec, "endpoint")
                           : strstr(err, "headers") ? json_object_get(sec, "headers")
                                                    : sec;
        bw_build_error(b, at, "observability.tracing: %s", *err ? err : bw_status_str(st));
    }
    free_lines(headers);
}
