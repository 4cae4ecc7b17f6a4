/* A server's logging settings as one immutable snapshot (private to src/observability/log*.c and redact.c).
 *
 * Readers (every request's lifecycle lines, bw_redact) load the current snapshot with one atomic load and never
 * lock. Writers (bw_server_set_logging, bw_server_set_tool_logging, bw_logcfg_set_tools: start-up and reloads)
 * build a new snapshot under the config's writer mutex and publish it; the old one is kept until the server is
 * freed, because a request may still be reading it. A setter that changes nothing publishes nothing, so memory grows
 * only with reloads that really change logging (a few hundred bytes each). */
#ifndef BW_OBSERVABILITY_LOG_CFG_H
#define BW_OBSERVABILITY_LOG_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "bulwark/server.h"
#include "observability/log.h"

#define BW_LOG_MAX_REDACT 256     /* names in a redaction list */
#define BW_LOG_MAX_NAME 128       /* bytes of one redaction name */
#define BW_LOG_MAX_TOOLS 65536    /* tools with per-tool logging */

typedef struct bw_logtool {
    char *name;
    bool arguments, results;
} bw_logtool;

typedef struct bw_logsnap {
    char **redact;                /* normalized names (see bw_redact_normalize) */
    size_t n_redact;
    bw_logtool *tools;            /* sorted by name (strcmp) */
    size_t n_tools;
    struct bw_logsnap *retired_next;
} bw_logsnap;

/* The server's current snapshot, or NULL (no server / no settings yet). Valid until the server is freed. */
const bw_logsnap *bw_logcfg_snap(const bw_server *srv);
/* The level of a lifecycle event of the server: which 0 request_started, 1 request_completed, 2 request_failed.
 * Defaults (debug, info, warn) when srv has no settings. */
bw_loglevel bw_logcfg_event_level(const bw_server *srv, int which);
/* The entry of tool `name`, or NULL (nothing logged for it). */
const bw_logtool *bw_logsnap_tool(const bw_logsnap *s, const char *name);

/* Writes the comparable form of a field name into out (cap bytes): ASCII lower case without '_' and '-', so that
 * "API-Key", "api_key" and "apiKey" are one name. Returns false when it does not fit (the name is then never
 * matched by the configured list, only by the built-in rules on its prefix). */
bool bw_redact_normalize(const char *name, char *out, size_t cap);

#endif
