/* The compiled policy of a tool: its bw_tool_policy (or the server's default) with the built-in defaults filled in,
 * checked, and the decisions that depend only on the definition (retry eligibility, cacheability) made once. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errf.h"
#include "protocol/server_internal.h"
#include "reliability/reliability_internal.h"

#define MAX_ATTEMPTS 100        /* more than this is a misconfiguration, not a policy */
#define MAX_MS (7 * 86400000)   /* a week: every time field is bounded by it */

static bool ms_ok(int ms)
{
    return ms >= 0 && ms <= MAX_MS;
}

bw_status bw_tool_policy_check(const bw_tool_policy *p, char *err, size_t errlen)
{
    const bw_retry_policy *r = &p->retry;
    if (!ms_ok(p->deadline_ms) || !ms_ok(p->slow_ms))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "deadline_ms and slow_ms must be between 0 and %d", MAX_MS);
    if (r->max_attempts < 0 || r->max_attempts > MAX_ATTEMPTS)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "retry.max_attempts must be between 1 and %d", MAX_ATTEMPTS);
    if (!ms_ok(r->base_delay_ms) || !ms_ok(r->max_delay_ms) || !ms_ok(r->attempt_timeout_ms))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "retry delays and attempt_timeout_ms must be between 0 and %d", MAX_MS);
    if (r->mode < BW_RETRY_AUTO || r->mode > BW_RETRY_NEVER)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "retry.mode must be auto, always or never");
    if (!bw_bulkhead_policy_valid(&p->bulkhead) || !ms_ok(p->bulkhead.queue_timeout_ms))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "bulkhead values must not be negative");
    if (!ms_ok(p->cache.ttl_ms) || !ms_ok(p->cache.max_stale_ms))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "cache.ttl_ms and cache.max_stale_ms must be between 0 and %d", MAX_MS);
    if (p->idempotency.ttl_ms < 0)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "idempotency.ttl_ms must not be negative");
    return BW_OK;
}

/* Zero fields take the built-in defaults of bulwark/policy.h. deadline_ms and slow_ms stay 0: they depend on the
 * server's request timeout, read when a call starts. */
static void fill_defaults(bw_tool_policy *p)
{
    bw_retry_policy *r = &p->retry;
    r->max_attempts = r->max_attempts ? r->max_attempts : 3;
    r->base_delay_ms = r->base_delay_ms ? r->base_delay_ms : 100;
    r->max_delay_ms = r->max_delay_ms ? r->max_delay_ms : 2000;
    p->bulkhead.queue_timeout_ms = p->bulkhead.queue_timeout_ms ? p->bulkhead.queue_timeout_ms : 1000;
    p->idempotency.ttl_ms = p->idempotency.ttl_ms ? p->idempotency.ttl_ms : 86400000;
}

static bool hint(const json_t *annotations, const char *name)
{
    return json_is_true(json_object_get(annotations, name));
}

/* Decisions fixed by the definition: retries never repeat a side effect unless the operator vouches for it. */
static void decide(bw_policy *pol, const bw_tool_def *def)
{
    bool read_only = hint(def->annotations, "readOnlyHint");
    bool idempotent = hint(def->annotations, "idempotentHint");
    const bw_tool_policy *p = &pol->p;
    pol->retry_eligible = p->retry.max_attempts > 1 &&
                          (p->retry.mode == BW_RETRY_ALWAYS || (p->retry.mode == BW_RETRY_AUTO && (read_only || idempotent)));
    pol->cacheable = (read_only || p->cache.any_tool) && (p->cache.ttl_ms > 0 || p->cache.max_stale_ms > 0);
}

/* Copies the source policy (the tool's, else the server's default) under the settings lock. */
static bw_status take_source(bw_reliability *rel, const bw_tool_def *def, bw_policy *pol, bool *has_store)
{
    pthread_mutex_lock(&rel->mu);
    bool ok = bw_tool_policy_copy(&pol->p, def->policy ? def->policy : &rel->defaults);
    *has_store = atomic_load(&rel->idem) != NULL;
    pthread_mutex_unlock(&rel->mu);
    return ok ? BW_OK : BW_E_NOMEM;
}

static bw_status check_links(const bw_policy *pol, const bw_tool_def *def, bool has_store, char *err, size_t errlen)
{
    const bw_idempotency_policy *idem = &pol->p.idempotency;
    if ((idem->key_argument || idem->key_meta) && !has_store)
        return bw_fail(BW_E_INVALID_ARG, err, errlen,
                    "tool %s: an idempotency policy needs the state database (reliability.state_db); none is set",
                    def->name);
    if (pol->p.fallback_tool && strcmp(pol->p.fallback_tool, def->name) == 0)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool %s: policy.fallback cannot name the tool itself", def->name);
    return BW_OK;
}

static bw_status build(bw_server *srv, const bw_tool_def *def, bw_policy *pol, char *err, size_t errlen)
{
    bool has_store = false;
    bw_status st = take_source(srv->rel, def, pol, &has_store);
    if (st)
        return st;
    char why[200];
    if (bw_tool_policy_check(&pol->p, why, sizeof why))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "tool %s: invalid policy: %s", def->name, why);
    fill_defaults(&pol->p);
    if ((st = check_links(pol, def, has_store, err, errlen)))
        return st;
    const char *dep = pol->p.dependency ? pol->p.dependency : def->dependency;
    if (dep && *dep && !(pol->dependency = strdup(dep)))
        return BW_E_NOMEM;
    decide(pol, def);
    if (pol->p.bulkhead.max_concurrent > 0 && !(pol->bulkhead = bw_bulkhead_new(&pol->p.bulkhead)))
        return BW_E_NOMEM;
    /* Listed in the statistics from registration on, not only after its first call. */
    return bw_rel_tool_stats(srv->rel, def->name) ? BW_OK : BW_E_NOMEM;
}

bw_status bw_policy_compile(bw_server *srv, const bw_tool_def *def, bw_policy **out, char *err, size_t errlen)
{
    *out = NULL;
    bw_policy *pol = calloc(1, sizeof *pol);
    if (!pol)
        return BW_E_NOMEM;
    bw_status st = build(srv, def, pol, err, errlen);
    if (st) {
        if (st == BW_E_NOMEM)
            bw_fail(BW_E_INVALID_ARG, err, errlen, "tool %s: out of memory", def->name);
        bw_policy_free(pol);
        return st;
    }
    *out = pol;
    return BW_OK;
}

void bw_policy_free(bw_policy *p)
{
    if (!p)
        return;
    bw_tool_policy_clear(&p->p);
    free(p->dependency);
    bw_bulkhead_free(p->bulkhead);
    free(p);
}
