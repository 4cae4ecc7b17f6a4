/* Metrics: per-method, per-tool and per-pool counters and histograms kept with relaxed atomics (no lock on the
 * request path), rendered on demand as Prometheus text (format 0.0.4), with the reliability layer's snapshot
 * (bulwark/policy.h), database pools, sessions and process figures merged in at render time.
 *
 * Label cardinality is bounded: methods come from the method table (else "other"), tools from the registry (past
 * max_tools, and for names not registered, tool="_other"), error types from the fixed list in observe.h.
 *
 * Thread-safety: everything is safe from any thread. */
#ifndef BW_OBSERVABILITY_METRICS_H
#define BW_OBSERVABILITY_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/observe.h"
#include "observability/observe.h"

typedef struct bw_metrics bw_metrics;

bw_metrics *bw_metrics_new(void);
void bw_metrics_free(bw_metrics *m);

/* One request ended (all methods; tools/call also feeds the per-tool families). */
void bw_metrics_call_end(bw_server *srv, const bw_obs_outcome *o);
/* A request refused before it became a call. */
void bw_metrics_refused(bw_server *srv, const char *method_label, int rpc_code);
/* mcp_auth_failures_total{reason}: reason is bounded by the caller (a short fixed word). */
void bw_metrics_auth_failure(bw_server *srv, const char *reason);
/* Counters other modules own and the renderer reads (process-wide, relaxed atomics). */
void bw_metrics_sse_streams_add(long delta);          /* mcp_sse_streams gauge */
void bw_metrics_trace_spans(long exported, long dropped);   /* bulwark_trace_spans_{exported,dropped}_total */
void bw_metrics_audit_records(long written, long spooled, long dropped, long rejected); /* bulwark_audit_* */
void bw_metrics_log_lines_dropped(long n);            /* bulwark_log_lines_dropped_total */
/* Database pool acquire wait (seconds) for pool `db`: mcp_db_connection_acquire_seconds{db} histogram.
 * Pools register themselves so mcp_db_connections{db,state} can be read at render time. */
struct bw_sql_pool;
void bw_metrics_pool_register(const char *db, struct bw_sql_pool *pool);
void bw_metrics_pool_unregister(struct bw_sql_pool *pool);
void bw_metrics_pool_wait(struct bw_sql_pool *pool, double seconds);

/* true when the server's histograms already run with buckets other than le[0..n) (a reload changed them: they apply
 * at the next restart). false when nothing is fixed yet or they are equal. Any thread. */
bool bw_metrics_bounds_differ(bw_server *srv, const double *le, size_t n);

/* The Prometheus text (caller frees); NULL on allocation failure (or past 64 MiB). Families and label values are
 * documented in docs/observability/metrics.md. Safe from any thread; costs the caller, not the request path. */
char *bw_metrics_render(bw_server *srv, size_t *len);
/* A compact snapshot for the status page and /events (new reference; NULL without metrics or memory):
 * {"ts_ms":N,"requests":{"total":N,"errors":N},"inflight":N,"sessions":N,"sse_streams":N,
 *  "tools":{"<name>":{"calls":N,"errors":N,"p50_ms":X,"p95_ms":X,"p99_ms":X}}, "breakers":{"<dep>":"closed"|...},
 *  "bulkheads":{"<name>":{"running":N,"queued":N,"max":N}}, "pools":{"<db>":{"in_use":N,"idle":N,"max":N}}}
 * ts_ms is wall-clock (Unix ms). Counters are cumulative since the server started (the page derives rates).
 * requests.errors and tools.*.errors count JSON-RPC errors and isError results (not cancelled requests).
 * Quantiles come from each series' fine histogram (metrics_lat.h: within 12.5%, linear within a bucket), not from
 * the Prometheus buckets; null before the first call.
 * bulkheads: tools with a limit of their own (max = max_concurrent) and dependencies whose bulkhead was used (their
 * limit is not in the policy snapshot: max is null). */
json_t *bw_metrics_summary(bw_server *srv);

#endif
