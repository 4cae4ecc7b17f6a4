/* The `reliability` section and tools' `policy` → bw_server_set_reliability, bw_server_set_dependency,
 * bw_server_set_health, bw_server_add_health_tools and bw_tool_def.policy. The schema has checked every type and
 * range; what is left here are the checks across nodes (fallback names, idempotency needing the state database). */
#include "config/app_reliability.h"

#include <string.h>

#include "bulwark/health.h"

/* ---- reading values: an absent key leaves the field as it is (so a tool's policy merges over the defaults) ---- */

static void take_int(const json_t *obj, const char *key, int *field)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        *field = (int)json_integer_value(v);
}

static void take_bool(const json_t *obj, const char *key, bool *field)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_boolean(v))
        *field = json_is_true(v);
}

static void take_str(const json_t *obj, const char *key, const char **field)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        *field = json_string_value(v);
}

static void take_retry(const json_t *r, bw_retry_policy *p)
{
    take_int(r, "max_attempts", &p->max_attempts);
    take_int(r, "base_delay_ms", &p->base_delay_ms);
    take_int(r, "max_delay_ms", &p->max_delay_ms);
    take_int(r, "attempt_timeout_ms", &p->attempt_timeout_ms);
    const char *mode = json_string_value(json_object_get(r, "mode"));
    if (mode)
        p->mode = !strcmp(mode, "always") ? BW_RETRY_ALWAYS : !strcmp(mode, "never") ? BW_RETRY_NEVER : BW_RETRY_AUTO;
}

static void take_bulkhead(const json_t *b, bw_bulkhead_policy *p)
{
    take_int(b, "max_concurrent", &p->max_concurrent);
    take_int(b, "max_queue", &p->max_queue);
    take_int(b, "queue_timeout_ms", &p->queue_timeout_ms);
}

static void take_cache(const json_t *c, bw_cache_policy *p)
{
    take_int(c, "ttl_ms", &p->ttl_ms);
    take_int(c, "max_stale_ms", &p->max_stale_ms);
    take_bool(c, "any_tool", &p->any_tool);
}

/* The keys reliability.defaults and a tool's policy share. */
static void take_common(const json_t *p, bw_tool_policy *out)
{
    take_int(p, "deadline_ms", &out->deadline_ms);
    take_int(p, "slow_ms", &out->slow_ms);
    take_retry(json_object_get(p, "retry"), &out->retry);
    take_bulkhead(json_object_get(p, "bulkhead"), &out->bulkhead);
    take_cache(json_object_get(p, "cache"), &out->cache);
}

/* ---- the server-wide part ---- */

static void dependencies(bw_build *b, bw_server *srv, const json_t *deps)
{
    const char *name;
    const json_t *d;
    json_object_foreach((json_t *)deps, name, d) {
        bw_dependency_def def = {.name = name};
        const json_t *br = json_object_get(d, "breaker");
        take_int(br, "failure_threshold", &def.breaker.failure_threshold);
        const json_t *rate = json_object_get(br, "failure_rate");
        if (json_is_number(rate))
            def.breaker.failure_rate = json_number_value(rate);
        take_int(br, "window_ms", &def.breaker.window_ms);
        take_int(br, "min_calls", &def.breaker.min_calls);
        take_int(br, "open_ms", &def.breaker.open_ms);
        take_int(br, "half_open_calls", &def.breaker.half_open_calls);
        take_int(br, "success_threshold", &def.breaker.success_threshold);
        take_bulkhead(json_object_get(d, "bulkhead"), &def.bulkhead);
        take_bool(d, "required", &def.required);
        if (bw_server_set_dependency(srv, &def) != BW_OK)
            bw_build_error(b, d, "reliability.dependencies.%s: not accepted by the server", name);
    }
}

static void health(bw_build *b, bw_server *srv, const json_t *h)
{
    bw_health_options opts = {0};
    take_int(h, "interval_ms", &opts.interval_ms);
    take_int(h, "check_timeout_ms", &opts.check_timeout_ms);
    take_int(h, "queue_saturation_pct", &opts.queue_saturation_pct);
    const json_t *mem = json_object_get(h, "memory_limit_bytes");
    opts.memory_limit_bytes = json_is_integer(mem) ? (size_t)json_integer_value(mem) : 0;
    if (bw_server_set_health(srv, &opts) != BW_OK)
        bw_build_error(b, h, "reliability.health: not accepted by the server");
}

void bw_app_reliability_apply(bw_build *b, bw_server *srv, const json_t *section)
{
    bw_tool_policy defaults = {0};
    take_common(json_object_get(section, "defaults"), &defaults);
    const json_t *cache_max = json_object_get(section, "cache_max_bytes");
    const char *state_db = json_string_value(json_object_get(section, "state_db"));
    bw_reliability_options opts = {
        .defaults = &defaults,
        .max_in_flight = (int)json_integer_value(json_object_get(section, "max_in_flight")),
        .cache_max_bytes = json_is_integer(cache_max) ? (size_t)json_integer_value(cache_max) : 0,
        .state_db = state_db ? bw_build_path(b, state_db) : NULL,
    };
    char err[300];
    if (state_db && !opts.state_db)
        bw_build_error(b, json_object_get(section, "state_db"), "out of memory");
    else if (bw_server_set_reliability(srv, &opts, err, sizeof err) != BW_OK)
        bw_build_error(b, state_db ? json_object_get(section, "state_db") : section, "reliability: %s",
                       *err ? err : "not accepted by the server");
    dependencies(b, srv, json_object_get(section, "dependencies"));
    health(b, srv, json_object_get(section, "health"));
}

void bw_app_reliability_tools(bw_build *b, bw_server *srv, const json_t *section)
{
    const json_t *tools = json_object_get(json_object_get(section, "health"), "tools");
    if (!json_is_true(tools))
        return;
    bw_status st = bw_server_add_health_tools(srv);
    if (st == BW_E_EXISTS)
        bw_build_error(b, tools, "a tool named health-check or get-metrics is configured already");
    else if (st != BW_OK)
        bw_build_error(b, tools, "the health tools could not be registered (%s)", bw_status_str(st));
}

/* ---- a tool's policy ---- */

static bool tool_configured(const json_t *root, const char *name)
{
    const json_t *tools = json_object_get(root, "tools");
    for (size_t i = 0; i < json_array_size(tools); i++) {
        const char *other = json_string_value(json_object_get(json_array_get(tools, i), "name"));
        if (other && !strcmp(other, name))
            return true;
    }
    return false;
}

static bool links_valid(bw_build *b, const json_t *root, const json_t *tool, const json_t *policy)
{
    bool ok = true;
    const json_t *fb = json_object_get(policy, "fallback");
    const char *self = json_string_value(json_object_get(tool, "name"));
    if (fb && self && !strcmp(json_string_value(fb), self)) {
        bw_build_error(b, fb, "policy.fallback: a tool cannot be its own fallback");
        ok = false;
    } else if (fb && !tool_configured(root, json_string_value(fb))) {
        bw_build_error(b, fb, "policy.fallback: no tool named '%s' is configured", json_string_value(fb));
        ok = false;
    }
    const json_t *idem = json_object_get(policy, "idempotency");
    bool keyed = json_is_string(json_object_get(idem, "key_argument")) || json_is_string(json_object_get(idem, "key_meta"));
    if (keyed && !json_object_get(json_object_get(root, "reliability"), "state_db")) {
        bw_build_error(b, idem, "policy.idempotency needs the state database: set reliability.state_db");
        ok = false;
    }
    return ok;
}

bool bw_app_tool_policy(bw_build *b, const json_t *root, const json_t *tool, bw_tool_policy *out)
{
    const json_t *policy = json_object_get(tool, "policy");
    if (!policy || !links_valid(b, root, tool, policy))
        return false;
    *out = (bw_tool_policy){0};
    take_common(json_object_get(json_object_get(root, "reliability"), "defaults"), out);
    take_common(policy, out);
    take_str(policy, "dependency", &out->dependency);
    take_str(policy, "fallback", &out->fallback_tool);
    const json_t *idem = json_object_get(policy, "idempotency");
    take_str(idem, "key_argument", &out->idempotency.key_argument);
    take_str(idem, "key_meta", &out->idempotency.key_meta);
    take_int(idem, "ttl_ms", &out->idempotency.ttl_ms);
    return true;
}
