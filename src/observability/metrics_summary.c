/* bw_metrics_summary: the compact snapshot the status page and /events chart (see metrics.h for its shape). */
#include <string.h>
#include <sys/time.h>

#include "bulwark/policy.h"
#include "observability/metrics_internal.h"
#include "protocol/registry.h"
#include "protocol/server_internal.h"
#include "reliability/reliability_internal.h"

/* From the fine histogram, not the Prometheus buckets: a 20 µs tool reads 0.02 ms here, not "2.5 ms". */
static json_t *quantile_ms(const bw_lat_snap *s, double q)
{
    double v = bw_lat_quantile(s, q);
    return v < 0 ? json_null() : json_real(v * 1000.0);
}

static uint64_t status_count(const bw_mseries *s, int st)
{
    return atomic_load_explicit(&s->status[st], memory_order_relaxed);
}

/* Errors are answers that failed (JSON-RPC errors and isError results); cancelled requests are not. */
static uint64_t errors_of(const bw_mseries *s)
{
    return status_count(s, BW_MST_ERROR) + status_count(s, BW_MST_TOOL_ERROR);
}

static json_t *tool_json(const bw_mseries *s)
{
    bw_lat_snap snap = {0};
    bw_lat_snap_add(&snap, &s->lat);
    uint64_t calls = 0;
    for (int st = 0; st < BW_MST_COUNT; st++)
        calls += status_count(s, st);
    return json_pack("{s:I,s:I,s:o,s:o,s:o}", "calls", (json_int_t)calls, "errors", (json_int_t)errors_of(s),
                     "p50_ms", quantile_ms(&snap, 0.5), "p95_ms", quantile_ms(&snap, 0.95), "p99_ms",
                     quantile_ms(&snap, 0.99));
}

static json_t *requests_json(const bw_metrics *m)
{
    uint64_t total = 0, errors = 0;
    size_t n = bw_mtable_count(&m->methods);
    for (size_t i = 0; i < n; i++) {
        for (int st = 0; st < BW_MST_COUNT; st++)
            total += status_count(m->methods.order[i], st);
        errors += errors_of(m->methods.order[i]);
    }
    return json_pack("{s:I,s:I}", "total", (json_int_t)total, "errors", (json_int_t)errors);
}

/* The configured limit of a tool's own bulkhead (0: unlimited), from its registered policy. */
static int tool_bulkhead_max(bw_server *srv, const char *name)
{
    bw_entry *e = bw_registry_get(&srv->reg, BW_KIND_TOOL, name);
    int max = e && e->policy ? e->policy->p.bulkhead.max_concurrent : 0;
    if (e)
        bw_entry_unref(e);
    return max;
}

/* Breakers by dependency, and bulkheads: tools with a limit of their own (max known) and dependencies (running and
 * queued; their limit is not in the snapshot, so max is null). */
static void reliability_json(bw_server *srv, json_t *out)
{
    json_t *breakers = json_object(), *bulkheads = json_object();
    json_t *rel = bw_server_reliability_stats(srv);
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(rel, "tools"), name, v) {
        int max = tool_bulkhead_max(srv, name);
        if (max > 0)
            json_object_set_new(bulkheads, name, json_pack("{s:O,s:O,s:i}", "running", json_object_get(v, "running"),
                                                           "queued", json_object_get(v, "queued"), "max", max));
    }
    json_object_foreach(json_object_get(rel, "dependencies"), name, v) {
        json_object_set(breakers, name, json_object_get(v, "state"));
        if (json_integer_value(json_object_get(v, "running")) || json_integer_value(json_object_get(v, "queued")) ||
            json_integer_value(json_object_get(v, "rejections")))
            json_object_set_new(bulkheads, name, json_pack("{s:O,s:O,s:n}", "running", json_object_get(v, "running"),
                                                           "queued", json_object_get(v, "queued"), "max"));
    }
    json_decref(rel);
    json_object_set_new(out, "breakers", breakers);
    json_object_set_new(out, "bulkheads", bulkheads);
}

json_t *bw_metrics_summary(bw_server *srv)
{
    bw_metrics *m = bw_metrics_of(srv);
    if (!m)
        return NULL;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_t *tools = json_object();
    size_t n = bw_mtable_count(&m->tools);
    for (size_t i = 0; tools && i < n; i++)
        json_object_set_new(tools, m->tools.order[i]->name, tool_json(m->tools.order[i]));
    json_int_t ts_ms = (json_int_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    json_int_t inflight = (json_int_t)atomic_load(&srv->obs->inflight);
    json_int_t sse = (json_int_t)atomic_load(&bw_mglobal_state.sse_streams);
    json_t *out = json_pack("{s:I,s:o,s:I,s:I,s:I,s:o,s:o}", "ts_ms", ts_ms, "requests", requests_json(m), "inflight",
                            inflight, "sessions", (json_int_t)bw_metrics_sessions(srv), "sse_streams", sse, "tools",
                            tools, "pools", bw_metrics_pools_json());
    if (out)
        reliability_json(srv, out);
    return out;
}
