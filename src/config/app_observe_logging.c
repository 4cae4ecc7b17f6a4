/* observability.logging and each tool's `log` key → bw_server_set_logging and the server's per-tool table.
 *
 * The schema has checked types, enums and bounds; the options are checked once more by the logging module (the same
 * code that applies them), so `bulwark check` and a reload's staging build report what serving would refuse. With
 * apply, the settings replace the running ones as a whole: an absent section means the defaults, and tools that no
 * longer ask for logging stop being logged (a reload). The command line's --log-level/--log-format still win. */
#include <stdlib.h>
#include <string.h>

#include "config/app_observe.h"
#include "observability/log.h"

static bw_log_format format_of(const json_t *lg)
{
    const char *f = json_string_value(json_object_get(lg, "format"));
    return f && !strcmp(f, "text") ? BW_LOG_FORMAT_TEXT : BW_LOG_FORMAT_JSON;
}

/* The options of the section; names is a NULL-terminated array the caller frees (NULL: out of memory). */
static const char **options_of(const json_t *lg, bw_logging_options *o)
{
    const json_t *events = json_object_get(lg, "events");
    const json_t *redact = json_object_get(lg, "redact");
    *o = (bw_logging_options){
        .level = json_string_value(json_object_get(lg, "level")),
        .format = format_of(lg),
        .started_level = json_string_value(json_object_get(events, "started")),
        .completed_level = json_string_value(json_object_get(events, "completed")),
        .failed_level = json_string_value(json_object_get(events, "failed")),
    };
    size_t n = json_array_size(redact);
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        return NULL;
    for (size_t i = 0, k = 0; i < n; i++)
        if (json_is_string(json_array_get(redact, i)))
            names[k++] = json_string_value(json_array_get(redact, i));
    o->redact = names;
    return names;
}

/* Every configured tool's `log` flags, in one replacement of the server's table. */
static void tools(bw_build *b, bw_server *srv, const json_t *list)
{
    size_t n = json_array_size(list), k = 0;
    const char **names = calloc(n + 1, sizeof *names);
    bool *args = calloc(n + 1, sizeof *args), *results = calloc(n + 1, sizeof *results);
    if (!names || !args || !results) {
        bw_build_error(b, list, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(list, i), *log = json_object_get(t, "log");
        const char *name = json_string_value(json_object_get(t, "name"));
        if (!name || !log)
            continue;
        names[k] = name;
        args[k] = json_is_true(json_object_get(log, "arguments"));
        results[k] = json_is_true(json_object_get(log, "results"));
        k++;
    }
    bw_status st = bw_logcfg_set_tools(srv, names, args, results, k);
    if (st)
        bw_build_error(b, list, "tools[].log: %s", bw_status_str(st));
out:
    free(names);
    free(args);
    free(results);
}

void bw_app_observe_logging(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    const json_t *lg = json_object_get(json_object_get(root, "observability"), "logging");
    bw_logging_options o;
    const char **names = options_of(lg, &o);
    char err[256] = "";
    if (!names) {
        bw_build_error(b, lg, "out of memory");
        return;
    }
    bw_status st = apply ? bw_server_set_logging(srv, &o, err, sizeof err)
                         : bw_logging_options_check(&o, err, sizeof err);
    if (st)
        bw_build_error(b, lg, "observability.logging: %s", err[0] ? err : bw_status_str(st));
    free(names);
    if (apply)
        tools(b, srv, json_object_get(root, "tools"));
}
