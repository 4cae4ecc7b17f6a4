/* Health probes: liveness, readiness (with a startup state) and graceful drain.
 *
 * The HTTP transport serves GET /health/live and GET /health/ready from these (every server built on libbulwark has
 * them). Readiness is 200 only when every required check passes: the registered checks (e.g. each database pool runs
 * a trivial query), no required dependency's breaker is open, the worker queue is not saturated, resident memory is
 * under the configured limit, and the server is not draining; until every check has passed once the state is
 * "starting" (503). Checks run on a background thread every interval_ms, each bounded by check_timeout_ms, so a
 * probe never waits on a dependency: it reads the last results.
 *
 * Thread-safety: everything here is safe from any thread; checks run on the health thread. */
#ifndef BULWARK_HEALTH_H
#define BULWARK_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_check_status { BW_CHECK_PASS = 0, BW_CHECK_WARN, BW_CHECK_FAIL } bw_check_status;

/* A dependency check. Must return within timeout_ms; may write a short human detail (NUL-terminated, never a
 * secret) into detail. Runs on the health thread. */
typedef bw_check_status (*bw_health_fn)(void *user, int timeout_ms, char *detail, size_t detail_len);

/* Registers a named check ("db:main"). required: a failure makes readiness 503; otherwise it only shows as failing.
 * `user` is not owned and must stay valid while the server lives. BW_E_EXISTS for a duplicate name. */
BW_EXPORT BW_NODISCARD bw_status bw_server_add_health_check(bw_server *srv, const char *name, bw_health_fn fn,
                                                            void *user, bool required);
/* Removes a check (reload); BW_E_NOT_FOUND if absent. Returns after any running invocation of it finished. */
BW_EXPORT BW_NODISCARD bw_status bw_server_remove_health_check(bw_server *srv, const char *name);

typedef struct bw_health_options {
    int interval_ms;           /* how often checks run [2000] */
    int check_timeout_ms;      /* bound on one check [1000] */
    size_t memory_limit_bytes; /* readiness fails when resident memory exceeds it [0: no limit] */
    int queue_saturation_pct;  /* readiness fails when the worker queue is fuller than this percentage [90] */
} bw_health_options;
/* Copies the options (zero fields take the defaults). Safe while serving. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_health(bw_server *srv, const bw_health_options *opts);

/* The probe document (new reference), and its HTTP status in *http_status (may be NULL):
 * {"status":"pass"|"fail"|"starting"|"draining","version":"0.1.0","uptime_s":N,
 *  "checks":{"<name>":{"status":"pass"|"warn"|"fail","latency_ms":N,"detail":"...","required":B}}}
 * readiness false: the liveness document (always 200 while the process answers; no dependency checks). */
BW_EXPORT json_t *bw_server_health(bw_server *srv, bool readiness, int *http_status);

/* Starts draining: readiness turns 503 ("draining") at once and new sessions are refused by the transports. Called
 * by the transports on stop; idempotent. */
BW_EXPORT void bw_server_begin_drain(bw_server *srv);
BW_EXPORT bool bw_server_draining(const bw_server *srv);

/* Registers the MCP tools "health-check" (the readiness document as structuredContent) and "get-metrics" (the
 * reliability snapshot, bulwark/policy.h, plus process figures) for clients without HTTP access. Off by default. */
BW_EXPORT BW_NODISCARD bw_status bw_server_add_health_tools(bw_server *srv);

#ifdef __cplusplus
}
#endif
#endif
