/* Observability: Prometheus metrics, structured logs, OpenTelemetry traces, the audit trail, and the live status
 * page with its event stream.
 *
 * Every request passes fixed observation points (src/observability/observe.c): when it starts and when it ends. At
 * the end one outcome (method, target, status, error type, duration) is handed to the metrics, the log, the trace
 * exporter, the audit trail and the event stream. None of them ever blocks the request for long: counters are
 * atomics, log lines are one write(2), spans and audit records go through bounded queues drained by background
 * threads (a full queue drops and counts; the audit trail's policy decides between failing closed and spooling).
 *
 * The HTTP transport serves GET /metrics (Prometheus text format 0.0.4), GET /status (a self-contained HTML page)
 * and GET /events (server events as SSE) next to the health probes; a stdio server can serve them on a separate address
 * with bw_serve_admin.
 *
 * Thread-safety: the setters may be called before serving and again while serving (a configuration reload); they
 * copy what they are given. Everything else is safe from any thread. */
#ifndef BULWARK_OBSERVE_H
#define BULWARK_OBSERVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- metrics ---- */

typedef struct bw_metrics_options {
    /* true: requests are not counted (the request and tool families stay at their last values); figures read at
     * scrape time (reliability, pools, sessions, process) are still shown. A baseline for measuring what metrics
     * cost; not meant for production. */
    bool disabled;
    /* Upper bounds (seconds, strictly increasing, at most 32) of the tool-call and request duration histograms.
     * NULL/0: 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60. */
    const double *buckets;
    size_t n_buckets;
    /* Tools beyond this many distinct names share the label tool="_other" [1000]. */
    int max_tools;
} bw_metrics_options;
/* Copies the options. BW_E_INVALID_ARG (reason in err) for unsorted or too many buckets. Metrics are always
 * collected; the histograms keep their old buckets until the next restart when changed by a reload. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_metrics(bw_server *srv, const bw_metrics_options *opts, char *err,
                                                       size_t errlen);
/* The Prometheus text exposition (format 0.0.4) of everything the server counts, NUL-terminated; *len (may be
 * NULL) its length. Caller frees with free(). NULL on allocation failure. */
BW_EXPORT char *bw_server_metrics_text(bw_server *srv, size_t *len);

/* ---- logs (process-wide: there is one stderr) ---- */

typedef enum bw_log_format { BW_LOG_FORMAT_JSON = 0, BW_LOG_FORMAT_TEXT } bw_log_format;

typedef struct bw_logging_options {
    const char *level;            /* "debug" | "info" | "warn" | "error" | "off" [info] */
    bw_log_format format;         /* [JSON lines] */
    /* Levels of the request lifecycle events: "debug".."error" or "off". [started: debug, completed: info,
     * failed: warn] */
    const char *started_level;
    const char *completed_level;
    const char *failed_level;
    /* NULL-terminated argument/field names masked ("[REDACTED]") wherever arguments or results are logged or
     * audited, in addition to the built-in list (password, passwd, secret, token, api_key, apikey, authorization,
     * cookie, ...; case-insensitive). */
    const char *const *redact;
} bw_logging_options;
/* Copies the options and applies them at once (a reload changes the level of a running server). BW_E_INVALID_ARG
 * (reason in err) for an unknown level name. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_logging(bw_server *srv, const bw_logging_options *opts, char *err,
                                                       size_t errlen);
/* Per tool: log its arguments (redacted) on request_started and/or its result on request_completed. Off by
 * default. Unknown names are remembered (the tool may be registered later). */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_tool_logging(bw_server *srv, const char *tool, bool arguments,
                                                            bool results);

/* ---- traces ---- */

typedef struct bw_tracing_options {
    /* OTLP/HTTP traces endpoint, e.g. "http://127.0.0.1:4318/v1/traces". NULL: no export (incoming traceparent is
     * still propagated to HTTP dependencies and logged as trace_id). */
    const char *endpoint;
    const char *protocol;         /* "json" (OTLP/HTTP JSON) [json] */
    /* 0..1: share of requests traced when the caller sent no sampled traceparent (decided from the trace id, so a
     * trace is all in or all out). 0 traces only what callers sampled; set 1.0 to trace everything. The
     * configuration file's default is 1.0. */
    double sampling_ratio;
    const char *service_name;     /* resource service.name [the server's name] */
    int queue_size;               /* spans waiting for export; beyond it spans are dropped and counted [2048] */
    int batch_size;               /* spans per export request [256] */
    int flush_interval_ms;        /* a partial batch is sent after this long [1000] */
    int export_timeout_ms;        /* one export request [5000] */
    const char *const *headers;   /* NULL-terminated "Name: value" lines sent with each export (never logged) */
} bw_tracing_options;
BW_EXPORT BW_NODISCARD bw_status bw_server_set_tracing(bw_server *srv, const bw_tracing_options *opts, char *err,
                                                       size_t errlen);

/* ---- audit trail ---- */

typedef enum bw_audit_arguments {
    BW_AUDIT_ARGS_REDACTED = 0,   /* arguments with the redaction list applied (the default) */
    BW_AUDIT_ARGS_NONE,           /* only their SHA-256 */
    BW_AUDIT_ARGS_FULL,           /* as sent */
} bw_audit_arguments;

typedef struct bw_audit_options {
    const char *sqlite_path;      /* the trail's SQLite file (created 0600). NULL with postgres NULL: no audit */
    const char *postgres;         /* libpq connection string of a shared trail (several replicas), or NULL */
    bw_audit_arguments arguments;
    int queue_size;               /* records waiting to be written [4096] */
    bool fail_closed;             /* store unavailable or queue full: refuse audited calls (-32000) instead of
                                   * spooling them to spool_path [false: fail open] */
    const char *spool_path;       /* fail-open buffer (JSON lines, 0600), replayed into the store when it is back
                                   * [<sqlite_path>.spool, or none] */
    int retention_days;           /* records older than this are pruned behind a signed checkpoint [0: keep all] */
    const char *checkpoint_key;   /* HMAC-SHA256 key signing checkpoints (hex or base64, >= 32 bytes) [a key file
                                   * next to the trail, created 0600] */
} bw_audit_options;
BW_EXPORT BW_NODISCARD bw_status bw_server_set_audit(bw_server *srv, const bw_audit_options *opts, char *err,
                                                     size_t errlen);
/* Records an authentication or authorization failure (for auth layers): counted in mcp_auth_failures_total and
 * written to the audit trail when one is configured. Strings are borrowed; any may be NULL. */
BW_EXPORT void bw_server_audit_auth_failure(bw_server *srv, const char *remote_addr, const char *user_agent,
                                            const char *identity, const char *reason);

/* ---- the admin endpoints for servers without HTTP ---- */

/* Serves /metrics, /status, /events and /health/{live,ready} on host:port (a loopback address unless told
 * otherwise) from a background thread, e.g. next to bw_serve_stdio. BW_E_IO when the address cannot be bound
 * (reason in err). Stopped by bw_admin_stop or when the process exits. One admin server per process. */
BW_EXPORT BW_NODISCARD bw_status bw_serve_admin(bw_server *srv, const char *host, uint16_t port, char *err,
                                                size_t errlen);
/* The admin server's port once listening (useful with port 0), or 0. */
BW_EXPORT uint16_t bw_admin_port(void);
BW_EXPORT void bw_admin_stop(void);

#ifdef __cplusplus
}
#endif
#endif
