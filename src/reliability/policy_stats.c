/* bw_server_reliability_stats: a JSON snapshot of the policy layer for metrics, health and the get-metrics tool.
 * Counters are read with relaxed atomics: each is exact, the set is not one instant. */
#include <jansson.h>

#include "core/clock.h"
#include "protocol/server_internal.h"
#include "reliability/reliability_internal.h"

#define LOAD(field) ((json_int_t)atomic_load_explicit(&s->field, memory_order_relaxed))

static json_t *tool_json(const bw_tool_stats *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "calls", LOAD(calls), "ok",
                     LOAD(ok), "errors", LOAD(errors), "timeouts", LOAD(timeouts), "retries", LOAD(retries),
                     "rejections", LOAD(rejections), "cache_hits", LOAD(cache_hits), "cache_misses",
                     LOAD(cache_misses), "stale_served", LOAD(stale_served), "fallbacks", LOAD(fallbacks),
                     "idempotent_replays", LOAD(idempotent_replays), "slow", LOAD(slow), "running", LOAD(running),
                     "queued", LOAD(queued));
}

static void add_tool(const char *name, void *item, void *tools)
{
    json_object_set_new(tools, name, tool_json(item));
}

static json_t *dep_json(const bw_dep *d, int64_t now)
{
    bw_breaker_stats b = bw_breaker_stats_at(d->breaker, now);
    bw_bulkhead_stats h = bw_bulkhead_stats_of(d->bulkhead);
    return json_pack("{s:s,s:I,s:I,s:I,s:i,s:i,s:I,s:b}", "state", bw_breaker_state_name(b.state), "transitions",
                     (json_int_t)b.transitions, "opened", (json_int_t)b.opened, "retry_after_ms",
                     (json_int_t)b.retry_after_ms, "running", h.running, "queued", h.queued, "rejections",
                     (json_int_t)h.rejections, "required", atomic_load(&d->required));
}

typedef struct dep_ctx {
    json_t *deps;
    int64_t now;
} dep_ctx;

static void add_dep(const char *name, void *item, void *ctx)
{
    dep_ctx *c = ctx;
    json_object_set_new(c->deps, name, dep_json(item, c->now));
}

static json_t *cache_json(bw_result_cache *cache)
{
    bw_result_cache_stats s = bw_result_cache_stats_of(cache);
    return json_pack("{s:I,s:I,s:I}", "entries", (json_int_t)s.entries, "bytes", (json_int_t)s.bytes, "max_bytes",
                     (json_int_t)s.max_bytes);
}

json_t *bw_server_reliability_stats(bw_server *srv)
{
    if (!srv || !srv->rel)
        return NULL;
    bw_reliability *rel = srv->rel;
    json_t *tools = json_object(), *deps = json_object();
    json_t *out = json_pack("{s:i,s:i,s:o,s:o,s:o}", "in_flight", atomic_load(&rel->in_flight), "max_in_flight",
                            atomic_load(&rel->max_in_flight), "tools", tools, "dependencies", deps, "cache",
                            cache_json(atomic_load(&rel->cache)));
    if (!out)
        return NULL; /* json_pack's "o" released tools, deps and the cache object */
    bw_name_table_each(rel->tools, add_tool, tools);
    dep_ctx ctx = {.deps = deps, .now = bw_clock_ms()};
    bw_name_table_each(rel->deps, add_dep, &ctx);
    return out;
}
