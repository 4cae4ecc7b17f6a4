/* The health module's internals (the public side is bulwark/health.h): the background check thread's lifecycle,
 * the built-in checks and the process figures shared by the probe document and the get-metrics tool. */
#ifndef BW_RELIABILITY_HEALTH_INTERNAL_H
#define BW_RELIABILITY_HEALTH_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/health.h"

/* Starts the background thread that runs the registered checks every interval_ms (bw_server_start_pool calls it,
 * so it runs from the first transport that serves). Idempotent; a failure to start is logged and leaves probes on
 * the last results (readiness then stays "starting" while a check has never run). */
void bw_health_start(bw_server *srv);
/* Stops and joins the thread and frees every check (bw_server_free calls it). Safe when never started. */
void bw_health_free(bw_server *srv);
/* Runs every registered check once on the calling thread (tests; the thread does the same every interval). */
void bw_health_run_once(bw_server *srv);
/* The options in force (defaults filled in). */
bw_health_options bw_health_options_of(bw_server *srv);

/* Adds the built-in checks to `checks` (an object, borrowed): "workers" (queue fullness vs limits.queue_depth),
 * "memory" (resident memory vs memory_limit_bytes), "draining", and "breaker:<dependency>" for each required
 * dependency (failing while its breaker is open). Cheap: evaluated at probe time, so draining shows at once.
 * Returns true when a required one fails. */
bool bw_health_builtin(bw_server *srv, const bw_health_options *o, json_t *checks);

/* Process figures (health_process.c). Each returns -1 when the figure cannot be read. */
int64_t bw_proc_rss_bytes(void);
int64_t bw_proc_open_fds(void);
double bw_proc_cpu_seconds(void);
/* {"rss_bytes":N,"open_fds":N,"cpu_seconds":X,"uptime_s":N} (new reference; NULL on allocation failure). */
json_t *bw_proc_figures(bw_server *srv);

#endif
