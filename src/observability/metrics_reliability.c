/* The reliability families, read from the policy layer's own snapshot (bw_server_reliability_stats) at render time:
 * the policy layer already counts timeouts, retries, rejections, cache use and fallbacks per tool, and breaker
 * states per dependency, so nothing is counted twice on the request path. */
#include <string.h>

#include "bulwark/policy.h"
#include "observability/metrics_internal.h"
#include "protocol/registry.h"
#include "protocol/server_internal.h"
#include "reliability/reliability_internal.h"

typedef struct rel_family {
    const char *key;    /* field of the snapshot object */
    const char *name;   /* metric family */
    const char *type;
    const char *help;
} rel_family;

static const rel_family tool_families[] = {
    {"timeouts", "mcp_timeouts_total", "counter", "Tool attempts that ran out of time, by tool."},
    {"retries", "mcp_retries_total", "counter", "Retried tool attempts, by tool."},
    {"rejections", "mcp_bulkhead_rejections_total", "counter",
     "Tool calls refused by a bulkhead (full or waited too long), by tool."},
    {"cache_hits", "mcp_cache_hits_total", "counter", "Tool calls answered from the result cache, by tool."},
    {"cache_misses", "mcp_cache_misses_total", "counter", "Cacheable tool calls not found in the cache, by tool."},
    {"stale_served", "mcp_cache_stale_served_total", "counter", "Stale results served after a failure, by tool."},
    {"fallbacks", "mcp_fallbacks_total", "counter", "Calls answered by the fallback tool, by tool."},
    {"idempotent_replays", "mcp_idempotent_replays_total", "counter",
     "Calls answered from a stored idempotency record, by tool."},
    {"slow", "mcp_slow_calls_total", "counter", "Calls slower than the tool's slow-call threshold, by tool."},
    {"running", "mcp_tool_running", "gauge", "Tool calls running now, by tool."},
    {"queued", "mcp_tool_queued", "gauge", "Tool calls waiting in the tool's bulkhead queue, by tool."},
};

static const rel_family dep_families[] = {
    {"state", "mcp_circuit_breaker_state", "gauge",
     "Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open."},
    {"transitions", "mcp_circuit_breaker_transitions_total", "counter", "Circuit breaker state changes by dependency."},
    {"opened", "mcp_circuit_breaker_opened_total", "counter", "Times the circuit breaker opened, by dependency."},
    {"running", "mcp_dependency_running", "gauge", "Calls holding the dependency's bulkhead now."},
    {"queued", "mcp_dependency_queued", "gauge", "Calls waiting for the dependency's bulkhead."},
    {"rejections", "mcp_dependency_rejections_total", "counter", "Calls refused by the dependency's bulkhead."},
};

int bw_metrics_breaker_value(const char *state)
{
    if (!state)
        return -1;
    return !strcmp(state, "closed") ? 0 : !strcmp(state, "half_open") ? 1 : !strcmp(state, "open") ? 2 : -1;
}

static double field_value(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        return bw_metrics_breaker_value(json_string_value(v));
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* The label of a registered tool in the families read from the snapshot, consistent with the call series: its name
 * when it has a call series or named series are still below max_tools, else "_other". */
static bool own_label(bw_metrics *m, const char *name)
{
    if (!m)
        return true;
    if (bw_mtable_find(&m->tools, name))
        return strcmp(name, BW_TOOL_OTHER) != 0;
    size_t named = bw_mtable_count(&m->tools) - (atomic_load(&m->tool_other) ? 1 : 0);
    return named < (size_t)atomic_load(&m->max_tools);
}

/* The per-tool figures; tools without a label of their own are summed into tool="_other" (one series). */
static void render_tools(bw_mtext *t, bw_metrics *m, const json_t *tools)
{
    for (size_t f = 0; f < sizeof tool_families / sizeof tool_families[0]; f++) {
        const rel_family *fam = &tool_families[f];
        bw_mtext_family(t, fam->name, fam->type, fam->help);
        double other = 0;
        bool any_other = false;
        const char *name;
        const json_t *s;
        json_object_foreach((json_t *)tools, name, s) {
            if (!own_label(m, name)) {
                other += field_value(s, fam->key);
                any_other = true;
                continue;
            }
            bw_mlabels l = {{"tool"}, {name}};
            bw_mtext_sample(t, fam->name, &l, field_value(s, fam->key));
        }
        if (any_other) {
            bw_mlabels l = {{"tool"}, {BW_TOOL_OTHER}};
            bw_mtext_sample(t, fam->name, &l, other);
        }
    }
}

static void render_deps(bw_mtext *t, const json_t *deps)
{
    for (size_t f = 0; f < sizeof dep_families / sizeof dep_families[0]; f++) {
        const rel_family *fam = &dep_families[f];
        bw_mtext_family(t, fam->name, fam->type, fam->help);
        const char *name;
        const json_t *d;
        json_object_foreach((json_t *)deps, name, d) {
            bw_mlabels l = {{"dependency"}, {name}};
            bw_mtext_sample(t, fam->name, &l, field_value(d, fam->key));
        }
    }
}

static void gauge_of(bw_mtext *t, const char *name, const char *help, const json_t *obj, const char *key)
{
    bw_mtext_family(t, name, "gauge", help);
    bw_mtext_sample(t, name, NULL, field_value(obj, key));
}

/* The threshold the policy layer logs a call as slow past (policy.c note_slow): slow_ms, else 80% of the deadline
 * (the tool's, else the server's request timeout). A client lowering its own deadline lowers it for that call only;
 * this is the configured value the alert compares p95 with. */
static double slow_threshold_s(const bw_server *srv, const bw_policy *pol)
{
    if (pol->p.slow_ms > 0)
        return pol->p.slow_ms / 1000.0;
    int deadline = pol->p.deadline_ms > 0 ? pol->p.deadline_ms : srv->limits.request_timeout_ms;
    return (deadline > 0 ? deadline : 30000) * 0.8 / 1000.0;
}

static void render_slow_thresholds(bw_mtext *t, bw_server *srv, bw_metrics *m)
{
    bw_mtext_family(t, "mcp_tool_slow_threshold_seconds", "gauge",
                    "The configured slow-call threshold by tool (policy slow_ms, else 80% of the deadline).");
    bw_registry *reg = &srv->reg;
    pthread_rwlock_rdlock(&reg->lock); /* the registry's read lock, as every lookup takes it */
    size_t n = reg->len[BW_KIND_TOOL];
    for (size_t i = 0; i < n; i++) {
        const bw_entry *e = reg->items[BW_KIND_TOOL][i];
        if (!e->policy || !own_label(m, e->key))
            continue; /* tools sharing "_other" have no single threshold */
        bw_mlabels l = {{"tool"}, {e->key}};
        bw_mtext_sample(t, "mcp_tool_slow_threshold_seconds", &l, slow_threshold_s(srv, e->policy));
    }
    pthread_rwlock_unlock(&reg->lock);
}

void bw_metrics_render_reliability(bw_mtext *t, bw_server *srv)
{
    json_t *rel = bw_server_reliability_stats(srv); /* NULL: no policy layer; the families are still declared */
    bw_metrics *m = bw_metrics_of(srv);
    render_tools(t, m, json_object_get(rel, "tools"));
    render_slow_thresholds(t, srv, m);
    render_deps(t, json_object_get(rel, "dependencies"));
    const json_t *cache = json_object_get(rel, "cache");
    gauge_of(t, "mcp_cache_entries", "Results held by the result cache.", cache, "entries");
    gauge_of(t, "mcp_cache_bytes", "Memory held by the result cache.", cache, "bytes");
    gauge_of(t, "mcp_cache_max_bytes", "The result cache's memory bound.", cache, "max_bytes");
    gauge_of(t, "mcp_policy_in_flight", "tools/call inside the reliability policy now.", rel, "in_flight");
    gauge_of(t, "mcp_policy_max_in_flight", "The server-wide tools/call limit (0: unlimited).", rel, "max_in_flight");
    json_decref(rel);
}
