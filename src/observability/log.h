/* Structured logs: one JSON object per line on stderr (never stdout), or a human text line (--log-format text).
 * One schema: ts, level, msg, and when known request_id, session_id, trace_id, tool, method, duration_ms, outcome,
 * error, plus event-specific fields. A line is written with a single write(2), so lines from threads never
 * interleave. Secrets never reach a line: arguments/results are logged only when enabled per tool, and always
 * through bw_redact (redaction list + built-in names + bearer tokens in strings).
 *
 * Thread-safety: everything is safe from any thread; the level is an atomic (changed at runtime by a reload). */
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
/* Command-line choices (-1: none) that win over every later setting from a configuration (bw_server_set_logging
 * then leaves them alone). */
void bw_log_override(int format, int level);
/* true when a line at lvl would be written (an atomic load: cheap enough for the hot path). */
bool bw_log_enabled(bw_loglevel lvl);

/* A plain message: {"ts":...,"level":...,"msg":...} or "<ts> LEVEL msg". printf-style. */
void bw_log_msg(bw_loglevel lvl, const char *fmt, ...) BW_PRINTF(2, 3);

/* The fixed fields of an event line; NULL/negative members are omitted. */
typedef struct bw_log_fields {
    const char *request_id;
    const char *session_id;
    const char *trace_id;
    const char *tool;
    const char *method;
    double duration_ms;           /* < 0: absent */
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
/* Lifecycle lines (levels from bw_logging_options): request_started at begin, request_completed or request_failed
 * at end. */
void bw_log_call_begin(struct bw_call *call);
void bw_log_call_end(struct bw_call *call, const bw_obs_outcome *o);

/* A deep copy of v with every object member whose name is in the server's redaction list (or the built-in list)
 * replaced by "[REDACTED]", and strings that look like bearer tokens / API keys masked. New reference; srv may be
 * NULL (built-in list only). Used by the log and the audit trail. */
json_t *bw_redact(bw_server *srv, const json_t *v);

#endif
