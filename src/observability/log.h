/* Structured logs: one JSON object per line on stderr (never stdout), or a human text line (--log-format text).
 * One schema: ts, level, msg, and when known request_id, session_id, trace_id, tool, method, duration_ms, outcome,
 * error_type, error, plus event-specific fields. A line is built in a bounded buffer (log_line.h: 16 KiB, values cut
 * with a marker) and written with a single write(2), so lines from threads never interleave; a stalled reader of
 * stderr costs a bounded wait and dropped, counted lines, never a blocked request (log_write.h). Secrets never reach
 * a line: arguments/results are logged only when enabled per tool, and always through bw_redact (redaction list,
 * built-in names, credential-shaped strings). User documentation: docs/observability/logging.md.
 *
 * Thread-safety: everything is safe from any thread; level and format are atomics (changed at runtime by a reload),
 * per-server settings are immutable snapshots read without locking (log_cfg.h). */
#ifndef BW_OBSERVABILITY_LOG_H
#define BW_OBSERVABILITY_LOG_H

#include <jansson.h>
#include <stdbool.h>

#include "bulwark/observe.h"
#include "bulwark/status.h"
#include "observability/observe.h"

typedef enum bw_loglevel { BW_LL_DEBUG = 0, BW_LL_INFO, BW_LL_WARN, BW_LL_ERROR, BW_LL_OFF } bw_loglevel;

/* "debug"|"info"|"warn"|"warning"|"error"|"off" → level, or -1. */
int bw_loglevel_parse(const char *name);
/* Process-wide format and minimum level. */
void bw_log_set_format(bw_log_format f);
bw_log_format bw_log_get_format(void);
void bw_log_set_level(bw_loglevel lvl);
bw_loglevel bw_log_get_level(void);
/* Command-line choices (-1: none) that win over every later setting from a configuration (bw_server_set_logging
 * then leaves them alone). */
void bw_log_override(int format, int level);
/* A configuration's choice (bw_server_set_logging): applied unless bw_log_override pinned that setting. */
void bw_log_configure(bw_log_format format, bw_loglevel level);
/* true when a line at lvl would be written (an atomic load: cheap enough for the hot path). BW_LL_OFF: never. */
bool bw_log_enabled(bw_loglevel lvl);
/* Where lines go: stderr (2) unless told otherwise (tests; an embedder with its own log descriptor). Call before
 * other threads log: a descriptor in use is not swapped safely. The descriptor is borrowed (never closed). */
void bw_log_set_fd(int fd);

/* A plain message: {"ts":...,"level":...,"msg":...} or "<ts> LEVEL msg". printf-style; the message is cut at 4 KiB.
 * Control characters and invalid UTF-8 are escaped, so a message can never forge a second line. */
void bw_log_msg(bw_loglevel lvl, const char *fmt, ...) BW_PRINTF(2, 3);
/* A start-up announcement scripts wait for ("listening on <url>" with key "url"): an info line written at every
 * level but off, so that `--log-level error` does not hide readiness. key/value may be NULL. */
void bw_log_announce(const char *msg, const char *key, const char *value);

/* The fixed fields of an event line; NULL/negative members are omitted. */
typedef struct bw_log_fields {
    const char *request_id;
    const char *session_id;
    const char *trace_id;
    const char *tool;
    const char *method;
    double duration_ms;           /* <= 0: absent (a measured duration is never exactly 0; designated initializers
                                   * that leave it out then print none) */
    const char *outcome;
    const char *error_type;
    const char *error;
    const json_t *extra;          /* borrowed object: more fields (e.g. "arguments"), already redacted */
} bw_log_fields;
void bw_log_event(bw_loglevel lvl, const char *msg, const bw_log_fields *f);

struct bw_call;
struct bw_logcfg;
struct bw_logcfg *bw_logcfg_new(void);
void bw_logcfg_free(struct bw_logcfg *c);
/* Per-server settings (srv->obs->logcfg): created with the defaults (started debug, completed info, failed warn, no
 * redaction names, no per-tool logging); freed with the server. NULL on allocation failure. */
/* Lifecycle lines (levels from bw_logging_options): request_started at begin, request_completed (a result, a tool
 * error included) or request_failed (a JSON-RPC error, or cancelled) at end. Called on the call's thread by the
 * observation points (observe.c); allocate nothing unless the tool's arguments/result are logged. */
void bw_log_call_begin(struct bw_call *call);
void bw_log_call_end(struct bw_call *call, const bw_obs_outcome *o);

/* Replaces the whole per-tool table in one step (the configuration's tools and their `log` keys; a reload drops the
 * tools no longer listed). names[i] with arguments[i] / results[i]; entries with both false are not kept; a name
 * given twice logs what either entry asks for. Copies everything. BW_E_INVALID_ARG for an empty name, BW_E_LIMIT
 * past 65536 entries, BW_E_NOMEM. Thread-safe (readers see the old or the new table, never a mix). */
bw_status bw_logcfg_set_tools(bw_server *srv, const char *const *names, const bool *arguments, const bool *results,
                              size_t n);
/* Checks logging options without applying them (`bulwark check`, the staging build of a reload). */
bw_status bw_logging_options_check(const bw_logging_options *opts, char *err, size_t errlen);

/* A deep copy of v with every object member whose name is in the server's redaction list (or the built-in list)
 * replaced by "[REDACTED]", and strings that look like bearer tokens / API keys masked. New reference; srv may be
 * NULL (built-in list only). Used by the log and the audit trail.
 * The rules in detail (documented in docs/observability/logging.md): member names are compared in normalized form
 * (ASCII lower case, '_' and '-' removed) against the configured list and the built-in rules; a masked member's
 * whole value becomes "[REDACTED]" whatever its type; a string holding a JSON object/array is redacted inside.
 * Containers deeper than 64 levels or past 100000 values are replaced by "[TRUNCATED]". NULL for v NULL or on
 * allocation failure. Thread-safe (reads the server's current settings without locking). */
json_t *bw_redact(bw_server *srv, const json_t *v);
/* false when bw_redact(srv, v) would be equal to v, so v itself can be kept (no copy): no member to mask, no
 * credential-shaped string, no string holding JSON (that one is re-serialized), within the depth/size bounds.
 * Read-only; thread-safe like bw_redact. NULL: false. */
bool bw_redact_changes(bw_server *srv, const json_t *v);

/* true when a string looks like a credential on its own (bearer/basic authorization value, JWT, PEM private key,
 * URL with a password, well-known API key shapes). Used to mask error texts in log lines. NULL: false. */
bool bw_redact_secret_text(const char *s);

#endif
