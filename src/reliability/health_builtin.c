/* The built-in readiness checks, evaluated at probe time (each costs a lock or a small /proc read): the worker
 * queue, resident memory, draining, and the breaker of every required dependency. */
#include <stdio.h>
#include <string.h>

#include "bulwark/policy.h"
#include "protocol/server_internal.h"
#include "reliability/health_internal.h"

/* Adds {"status","latency_ms":0,"detail","required":true} under name; returns true when it fails. */
static bool put(json_t *checks, const char *name, bw_check_status st, const char *detail)
{
    static const char *const names[] = {"pass", "warn", "fail"};
    json_object_set_new(checks, name, json_pack("{s:s,s:i,s:s,s:b}", "status", names[st], "latency_ms", 0, "detail",
                                                detail, "required", 1));
    return st == BW_CHECK_FAIL;
}

/* Queued work against limits.queue_depth: past queue_saturation_pct new work is about to be refused, so a load
 * balancer should send it elsewhere. */
static bool check_workers(bw_server *srv, const bw_health_options *o, json_t *checks)
{
    char detail[128];
    bw_workpool *pool = srv->pool;
    if (!pool)
        return put(checks, "workers", BW_CHECK_PASS, "no worker pool running");
    int queued = bw_workpool_queued(pool), depth = srv->limits.queue_depth;
    snprintf(detail, sizeof detail, "%d of %d queue slots used, %d jobs queued or running", queued, depth,
             bw_workpool_busy(pool));
    bool saturated = (int64_t)queued * 100 > (int64_t)o->queue_saturation_pct * depth;
    return put(checks, "workers", saturated ? BW_CHECK_FAIL : BW_CHECK_PASS, detail);
}

static bool check_memory(const bw_health_options *o, json_t *checks)
{
    char detail[128];
    int64_t rss = bw_proc_rss_bytes();
    if (rss < 0)
        return put(checks, "memory", BW_CHECK_WARN, "resident memory unknown (/proc/self/statm unreadable)");
    if (!o->memory_limit_bytes) {
        snprintf(detail, sizeof detail, "resident %lld bytes (no limit)", (long long)rss);
        return put(checks, "memory", BW_CHECK_PASS, detail);
    }
    bool over = (uint64_t)rss > (uint64_t)o->memory_limit_bytes;
    snprintf(detail, sizeof detail, "resident %lld bytes %s the limit of %zu", (long long)rss, over ? "over" : "under",
             o->memory_limit_bytes);
    return put(checks, "memory", over ? BW_CHECK_FAIL : BW_CHECK_PASS, detail);
}

/* One check per required dependency: fails while its breaker is open, warns while it probes (half-open). */
static bool check_breakers(bw_server *srv, json_t *checks)
{
    json_t *stats = bw_server_reliability_stats(srv);
    const char *dep;
    json_t *d;
    bool failed = false;
    json_object_foreach(json_object_get(stats, "dependencies"), dep, d) {
        if (!json_is_true(json_object_get(d, "required")))
            continue;
        const char *state = json_string_value(json_object_get(d, "state"));
        char name[256], detail[160];
        snprintf(name, sizeof name, "breaker:%s", dep);
        bw_check_status st = !state || !strcmp(state, "closed") ? BW_CHECK_PASS
                             : !strcmp(state, "open")            ? BW_CHECK_FAIL
                                                                 : BW_CHECK_WARN;
        if (st == BW_CHECK_FAIL)
            snprintf(detail, sizeof detail, "circuit open; half-open in %lld ms",
                     (long long)json_integer_value(json_object_get(d, "retry_after_ms")));
        else
            snprintf(detail, sizeof detail, "circuit %s", state ? state : "closed");
        failed |= put(checks, name, st, detail);
    }
    json_decref(stats);
    return failed;
}

bool bw_health_builtin(bw_server *srv, const bw_health_options *o, json_t *checks)
{
    bool failed = check_workers(srv, o, checks);
    failed |= check_memory(o, checks);
    bool draining = bw_server_draining(srv);
    failed |= put(checks, "draining", draining ? BW_CHECK_FAIL : BW_CHECK_PASS,
                  draining ? "stop requested: finishing in-flight work" : "serving");
    failed |= check_breakers(srv, checks);
    return failed;
}
