/* The reliability policy every tools/call passes through, whatever serves the tool (a C callback, SQL, HTTP, exec):
 *
 *   global in-flight cap → bulkhead (tool, then dependency) → idempotency record → result cache →
 *   circuit breaker → attempts (each with its own deadline inside the call's deadline, retried with exponential
 *   backoff and full jitter when the failure is retryable and the tool may be repeated) →
 *   on failure: stale-if-error result, else the fallback tool, else the failure itself.
 *
 * A policy is fixed when a tool is registered (bw_tool_def.policy, or the server's default policy); replacing the
 * tool replaces its policy atomically (in-flight calls finish under the old one). Dependencies (a database, an HTTP
 * base URL, anything a tool names) carry a circuit breaker and an optional bulkhead shared by every tool using them.
 *
 * Thread-safety: the bw_server_set_* calls here are meant for before serving but are safe while serving (later
 * calls see the new settings). bw_call_set_failure is for the handler's thread. bw_server_reliability_stats may be
 * called from any thread at any time. */
#ifndef BULWARK_POLICY_H
#define BULWARK_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* In every struct below a zero field means "the default" shown in brackets. */

typedef enum bw_retry_mode {
    BW_RETRY_AUTO = 0, /* retry only tools annotated readOnlyHint:true or idempotentHint:true */
    BW_RETRY_ALWAYS,   /* retry whatever the annotations say (the operator vouches the tool is safe to repeat) */
    BW_RETRY_NEVER,
} bw_retry_mode;

typedef struct bw_retry_policy {
    int max_attempts;       /* attempts including the first [3]; 1 disables retries */
    int base_delay_ms;      /* backoff before attempt n+1: uniform(0, min(max_delay, base * 2^(n-1))) [100] */
    int max_delay_ms;       /* [2000] */
    int attempt_timeout_ms; /* deadline of one attempt, always within the call's deadline [0: what is left of it] */
    bw_retry_mode mode;
} bw_retry_policy;

typedef struct bw_bulkhead_policy {
    int max_concurrent;   /* calls running at once [0: unlimited] */
    int max_queue;        /* calls waiting for a slot; beyond it a call is rejected at once [0: none wait] */
    int queue_timeout_ms; /* longest wait for a slot before rejection [1000] */
} bw_bulkhead_policy;

typedef struct bw_cache_policy {
    int ttl_ms;       /* a successful result answers identical calls (same tool + canonical arguments) this long
                       * [0: no caching] */
    int max_stale_ms; /* stale-if-error: when the tool fails or its breaker is open, a result up to this old is
                       * served, marked stale (a text note and _meta["io.bulwark/stale"] {ageMs}) [0: never] */
    bool any_tool;    /* cache also tools not annotated readOnlyHint:true [false] */
} bw_cache_policy;

typedef struct bw_idempotency_policy {
    /* Where the key is: the argument named key_argument, else params._meta[key_meta]. Both NULL: off. A call
     * without the key runs normally. Needs the state database (bw_reliability_options.state_db). */
    const char *key_argument;
    const char *key_meta;
    int ttl_ms; /* how long a stored result answers repeats of the key [86400000 = 24 h] */
} bw_idempotency_policy;

typedef struct bw_tool_policy {
    int deadline_ms; /* the call's deadline [limits.request_timeout_ms, 30000], lowered by a client's
                      * params._meta["io.bulwark/timeoutMs"] */
    int slow_ms;     /* calls slower than this are logged as slow [80% of the deadline] */
    bw_retry_policy retry;
    bw_bulkhead_policy bulkhead;
    bw_cache_policy cache;
    bw_idempotency_policy idempotency;
    const char *dependency;    /* overrides the tool's bw_tool_def.dependency when set */
    const char *fallback_tool; /* a tool run with the same arguments when this one fails after its retries and no
                                * stale result is available [NULL] */
} bw_tool_policy;

typedef struct bw_breaker_policy {
    int failure_threshold;  /* consecutive failures that open it [5]; -1 disables the breaker */
    double failure_rate;    /* also opens when failures / calls within window_ms reach this [0.5] */
    int window_ms;          /* [30000] */
    int min_calls;          /* calls within the window before the rate counts [10] */
    int open_ms;            /* time open before half-open [30000] */
    int half_open_calls;    /* probe calls admitted at once while half-open [1] */
    int success_threshold;  /* successful probes that close it [1]; a failed probe opens it again */
} bw_breaker_policy;

typedef struct bw_dependency_def {
    const char *name;            /* e.g. "db:main", "https://api.example.com:443", "exec:backup" */
    bw_breaker_policy breaker;
    bw_bulkhead_policy bulkhead; /* shared by every tool on this dependency */
    bool required;               /* /health/ready fails while its breaker is open */
} bw_dependency_def;

/* Declares (or re-declares) a dependency. Dependencies a tool names without a declaration get default settings
 * (breaker on, no bulkhead, not required). BW_E_INVALID_ARG for an empty name or out-of-range numbers. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_dependency(bw_server *srv, const bw_dependency_def *def);

typedef struct bw_reliability_options {
    const bw_tool_policy *defaults; /* policy of tools registered without one (copied) [built-in defaults] */
    int max_in_flight;              /* tools/call running or waiting server-wide; beyond it calls are refused
                                     * (HTTP 503 + Retry-After on the transport) [0: unlimited] */
    size_t cache_max_bytes;         /* the result cache's memory bound, LRU [64 MiB] */
    const char *state_db;           /* SQLite file (WAL) for idempotency records; NULL: tools with an idempotency
                                     * policy are refused at registration */
} bw_reliability_options;

/* Sets the server-wide options (copied; the state database is opened now). BW_E_IO with a reason in err when the
 * state database cannot be opened or created. */
BW_EXPORT BW_NODISCARD bw_status bw_server_set_reliability(bw_server *srv, const bw_reliability_options *opts,
                                                           char *err, size_t errlen);

/* What kind of failure the handler met, for the policy: retryable ones are retried (within the policy) and, except
 * CONFLICT, count against the dependency's breaker. A handler that does not say is classified by its status:
 * BW_E_TIMEOUT → TIMEOUT, BW_E_IO → CONNECTION, BW_E_OVERLOADED → UNAVAILABLE, anything else → PERMANENT. */
typedef enum bw_failure {
    BW_FAILURE_NONE = 0,
    BW_FAILURE_TIMEOUT,     /* the dependency did not answer in time (retryable) */
    BW_FAILURE_CONNECTION,  /* could not reach it / the connection broke (retryable) */
    BW_FAILURE_UNAVAILABLE, /* it answered "not now": HTTP 5xx/429, EX_TEMPFAIL, pool exhausted (retryable) */
    BW_FAILURE_CONFLICT,    /* deadlock / serialization failure / database busy (retryable, not a breaker fault) */
    BW_FAILURE_PERMANENT,   /* bad input, 4xx, constraint violation: repeating cannot help */
} bw_failure;

/* Marks the current attempt's failure kind (the last call wins). Handler's thread only. */
BW_EXPORT void bw_call_set_failure(bw_call *call, bw_failure kind);

/* A snapshot of the policy layer (new reference; NULL on allocation failure), for metrics and health:
 * {"in_flight":N,"max_in_flight":N,
 *  "tools":{"<name>":{"calls":N,"ok":N,"errors":N,"timeouts":N,"retries":N,"rejections":N,"cache_hits":N,
 *                     "cache_misses":N,"stale_served":N,"fallbacks":N,"idempotent_replays":N,"slow":N,
 *                     "running":N,"queued":N}},
 *  "dependencies":{"<name>":{"state":"closed"|"open"|"half_open","transitions":N,"opened":N,
 *                            "retry_after_ms":N,"running":N,"queued":N,"rejections":N,"required":B}},
 *  "cache":{"entries":N,"bytes":N,"max_bytes":N}}
 * Counters are cumulative since the server was created. Any thread. */
BW_EXPORT json_t *bw_server_reliability_stats(bw_server *srv);

#ifdef __cplusplus
}
#endif
#endif
