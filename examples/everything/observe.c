/* bulwark-everything's observability flags (the benchmark turns everything on or off with them): logging level and
 * format, OTLP trace export with a sampling ratio, the audit trail, metrics off. Public API only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.h"

static struct {
    const char *log_level;
    const char *log_format;
    const char *trace_endpoint;
    double trace_sampling;
    const char *audit_db;
    bool metrics_off;
} O = {.trace_sampling = 1.0};

static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "bulwark-everything: %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int everything_observe_arg(int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **slot = !strcmp(a, "--log-level")        ? &O.log_level
                        : !strcmp(a, "--log-format")     ? &O.log_format
                        : !strcmp(a, "--trace-endpoint") ? &O.trace_endpoint
                        : !strcmp(a, "--audit-db")       ? &O.audit_db
                                                         : NULL;
    if (slot)
        return (*slot = value(argc, argv, i)) ? 1 : -1;
    if (!strcmp(a, "--metrics-off")) {
        O.metrics_off = true;
        return 1;
    }
    if (!strcmp(a, "--trace-sampling")) {
        const char *v = value(argc, argv, i);
        char *end = NULL;
        O.trace_sampling = v ? strtod(v, &end) : -1;
        if (!v || *end || O.trace_sampling < 0 || O.trace_sampling > 1) {
            fprintf(stderr, "bulwark-everything: --trace-sampling needs a ratio from 0 to 1\n");
            return -1;
        }
        return 1;
    }
    return 0;
}

int everything_observe_apply(bw_server *srv)
{
    char err[256] = "";
    bw_logging_options lo = {.level = O.log_level,
                             .format = O.log_format && !strcmp(O.log_format, "text") ? BW_LOG_FORMAT_TEXT
                                                                                     : BW_LOG_FORMAT_JSON};
    bw_metrics_options mo = {.disabled = O.metrics_off};
    bw_tracing_options to = {.endpoint = O.trace_endpoint, .sampling_ratio = O.trace_sampling};
    bw_audit_options ao = {.sqlite_path = O.audit_db};
    const char *what = "--log-level/--log-format";
    bw_status st = bw_server_set_logging(srv, &lo, err, sizeof err);
    if (!st && (what = "--metrics-off"))
        st = bw_server_set_metrics(srv, &mo, err, sizeof err);
    if (!st && O.trace_endpoint && (what = "--trace-endpoint"))
        st = bw_server_set_tracing(srv, &to, err, sizeof err);
    if (!st && O.audit_db && (what = "--audit-db"))
        st = bw_server_set_audit(srv, &ao, err, sizeof err);
    if (st)
        fprintf(stderr, "bulwark-everything: %s: %s\n", what, err[0] ? err : bw_status_str(st));
    return st ? -1 : 0;
}
