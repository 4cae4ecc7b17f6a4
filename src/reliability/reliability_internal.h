/* The policy layer's server-level state (bw_server.rel) and the per-tool compiled policy (bw_entry.policy).
 *
 * Lifetimes: the state lives as long as the server. Per-tool statistics and dependencies are kept in tables keyed by
 * name that only grow (bounded by the tool and dependency names ever registered), so counters survive a tool being
 * replaced by a reload and a pointer taken from a table stays valid until the server is freed. A compiled policy is
 * owned by its registry entry and immutable; calls resolve statistics and dependencies by name on the server that
 * runs them, never through pointers saved at registration (a reload registers tools on a staging server first).
 *
 * Thread-safety: tables take a read-write lock per lookup; counters are atomics; settings changes take rel->mu. */
#ifndef BW_RELIABILITY_INTERNAL_H
#define BW_RELIABILITY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/policy.h"
#include "reliability/breaker.h"
#include "reliability/bulkhead.h"
#include "reliability/idempotency.h"
#include "reliability/result_cache.h"

/* ---- a table of named objects that only grows (policy_table.c) ---- */

typedef struct bw_name_table bw_name_table;

/* free_item releases one item at bw_name_table_free. NULL on allocation failure. */
bw_name_table *bw_name_table_new(void (*free_item)(void *item));
void bw_name_table_free(bw_name_table *t);
/* The item named `name`, or NULL. */
void *bw_name_table_find(bw_name_table *t, const char *name);
/* The item named `name`, created with make(name, ctx) when absent (a racing creator's item is freed). NULL when make
 * or an allocation fails. */
void *bw_name_table_get(bw_name_table *t, const char *name, void *(*make)(const char *name, void *ctx), void *ctx);
/* Calls fn(name, item, ctx) for every item under the read lock (fn must not use the table). */
void bw_name_table_each(bw_name_table *t, void (*fn)(const char *name, void *item, void *ctx), void *ctx);

/* ---- per-tool statistics, cumulative since the server was created ---- */

typedef struct bw_tool_stats {
    atomic_uint_fast64_t calls, ok, errors, timeouts, retries, rejections, cache_hits, cache_misses, stale_served,
        fallbacks, idempotent_replays, slow;
    atomic_int running, queued;
} bw_tool_stats;

/* ---- a dependency: its breaker and shared bulkhead ---- */

typedef struct bw_dep {
    bw_breaker *breaker;
    bw_bulkhead *bulkhead;
    atomic_bool required;
} bw_dep;

/* ---- the server-level state ---- */

#define BW_CACHE_DEFAULT_BYTES ((size_t)64 << 20) /* bw_reliability_options.cache_max_bytes 0 */

typedef struct bw_retired bw_retired; /* replaced caches and stores, kept until the state is freed */

typedef struct bw_reliability {
    pthread_mutex_t mu;       /* guards defaults, state_db, cache_max_bytes and retired (settings changes) */
    bw_tool_policy defaults;  /* the policy of tools registered without one; strings owned */
    char *state_db;           /* path of the open idempotency store, or NULL */
    size_t cache_max_bytes;
    bw_retired *retired;
    atomic_int max_in_flight; /* 0: unlimited */
    atomic_int in_flight;     /* tools/call inside the policy right now */
    _Atomic(bw_result_cache *) cache;
    _Atomic(bw_idem_store *) idem; /* NULL without a state database */
    bw_name_table *tools;     /* tool name → bw_tool_stats */
    bw_name_table *deps;      /* dependency name → bw_dep */
} bw_reliability;

/* A state with the built-in defaults. NULL on allocation failure. */
bw_reliability *bw_reliability_new(void);
void bw_reliability_free(bw_reliability *rel);
/* The statistics of tool `name` (created on first use); NULL on allocation failure. */
bw_tool_stats *bw_rel_tool_stats(bw_reliability *rel, const char *name);
/* The dependency `name` (created on first use with default settings); NULL on allocation failure. */
bw_dep *bw_rel_dep(bw_reliability *rel, const char *name);
/* Copies src into dst: every string duplicated (dst's previous strings are not freed). false on allocation failure
 * (dst then holds no allocation). */
bool bw_tool_policy_copy(bw_tool_policy *dst, const bw_tool_policy *src);
/* Frees the strings of a policy filled by bw_tool_policy_copy. */
void bw_tool_policy_clear(bw_tool_policy *p);
/* BW_E_INVALID_ARG with a reason in err when a field is out of range (negative times, max_attempts > 100, ...). */
BW_NODISCARD bw_status bw_tool_policy_check(const bw_tool_policy *p, char *err, size_t errlen);
bool bw_bulkhead_policy_valid(const bw_bulkhead_policy *b);

/* ---- the compiled policy of one registered tool (policy_compile.c) ---- */

typedef struct bw_policy {
    bw_tool_policy p;       /* built-in defaults filled in (except deadline_ms 0: the server's request timeout);
                             * strings owned */
    char *dependency;       /* p.dependency, else the tool's bw_tool_def.dependency; NULL: no breaker */
    bool retry_eligible;    /* retries allowed by mode and annotations (readOnlyHint / idempotentHint) */
    bool cacheable;         /* results go to the cache: readOnlyHint or cache.any_tool, and a TTL or staleness */
    bw_bulkhead *bulkhead;  /* the tool's own limit, NULL when unlimited */
} bw_policy;

/* Compiles the policy of a tool being registered on srv: def->policy, else the server's defaults. BW_E_INVALID_ARG
 * with a reason in err for out-of-range values or an idempotency policy without a state database. */
BW_NODISCARD bw_status bw_policy_compile(bw_server *srv, const bw_tool_def *def, bw_policy **out, char *err,
                                         size_t errlen);
void bw_policy_free(bw_policy *p);

#endif
