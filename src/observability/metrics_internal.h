/* The metric state shared by metrics.c (updates), metrics_render.c, metrics_reliability.c, metrics_summary.c and
 * metrics_pools.c (reads).
 *
 * Series tables: a fixed-capacity open-addressing hash of series pointers. A new name takes the metrics' mutex once
 * (to allocate and publish its series with a release store); every later update finds it with acquire loads and
 * updates it with relaxed atomic increments — no lock on the request path. Series are never removed (counters must
 * not go backwards), so the number of names is the bound: past it a name shares the overflow series. */
#ifndef BW_OBSERVABILITY_METRICS_INTERNAL_H
#define BW_OBSERVABILITY_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "observability/metrics.h"
#include "observability/metrics_hist.h"
#include "observability/metrics_lat.h"
#include "observability/metrics_text.h"

/* The status label of mcp_requests_total / mcp_tool_calls_total (bw_obs_outcome.status). */
enum { BW_MST_OK, BW_MST_TOOL_ERROR, BW_MST_ERROR, BW_MST_CANCELLED, BW_MST_COUNT };
extern const char *const bw_metrics_status_names[BW_MST_COUNT];

/* The error_type label values (bw_obs_outcome.error_type; anything else counts as "other"). */
#define BW_MERR_COUNT 15
extern const char *const bw_metrics_error_names[BW_MERR_COUNT];
/* The index of an error type name; "other"'s for unknown or NULL. */
int bw_metrics_error_index(const char *name);

#define BW_TOOL_OTHER "_other"          /* the shared label of unknown tools and tools past max_tools */
#define BW_METRICS_TOOLS_CAP 4096       /* tool table slots (a power of two, at least twice the largest max_tools) */
#define BW_METRICS_MAX_TOOLS_LIMIT 2048 /* the largest max_tools accepted */
#define BW_METRICS_METHODS_CAP 64       /* method table slots; the method table has ~22 names plus "other" */
#define BW_METRICS_AUTH_REASONS 16      /* distinct auth failure reasons; more share "other" */

/* One label value's figures (a method or a tool). */
typedef struct bw_mseries {
    char *name;
    atomic_uint_fast64_t status[BW_MST_COUNT];
    bw_hist ok;                           /* durations of successful requests */
    _Atomic(bw_hist *) err[BW_MERR_COUNT]; /* durations of failed ones by error type (allocated on first use) */
    bw_lat lat;                           /* every duration, finely bucketed: the summary's quantiles */
} bw_mseries;

typedef struct bw_mtable {
    size_t cap;                   /* slots (a power of two) */
    _Atomic(bw_mseries *) *slots; /* hash → series; NULL: free */
    bw_mseries **order;           /* series in creation order (render order), count entries */
    atomic_size_t count;          /* published with release after order[count] is written */
} bw_mtable;

typedef struct bw_mcounter {
    _Atomic(char *) name;
    atomic_uint_fast64_t n;
} bw_mcounter;

struct bw_metrics {
    pthread_mutex_t mu;           /* serialises the creation of series (never held on the steady request path) */
    bw_hist_bounds bounds;        /* the duration buckets; fixed once the first series exists */
    atomic_bool bounds_fixed;
    atomic_int max_tools;
    atomic_bool disabled;         /* bw_metrics_options.disabled: nothing is counted */
    bw_mtable methods, tools;
    _Atomic(bw_mseries *) tool_other;
    bw_mcounter auth[BW_METRICS_AUTH_REASONS];
};

/* Series lookup without locking; NULL when the name has no series yet. */
bw_mseries *bw_mtable_find(const bw_mtable *t, const char *name);
size_t bw_mtable_count(const bw_mtable *t);
/* The merged duration histogram of a series (successful and failed requests). */
void bw_mseries_snap(const bw_mseries *s, bw_hist_snap *out);

/* Process-wide figures (relaxed atomics). */
typedef struct bw_mglobal {
    atomic_long sse_streams;
    atomic_uint_fast64_t spans_exported, spans_dropped;
    atomic_uint_fast64_t audit_written, audit_spooled, audit_dropped, audit_rejected;
    atomic_uint_fast64_t log_dropped;
} bw_mglobal;
extern bw_mglobal bw_mglobal_state;

/* Render parts (each writes complete families). */
void bw_metrics_render_calls(bw_mtext *t, bw_metrics *m);
void bw_metrics_render_reliability(bw_mtext *t, bw_server *srv);
void bw_metrics_render_pools(bw_mtext *t);
void bw_metrics_render_process(bw_mtext *t);
/* The server's metrics, or NULL (no observers). */
bw_metrics *bw_metrics_of(bw_server *srv);
/* Pools for the summary: {"<db>":{"in_use":N,"idle":N,"max":N}} (new reference). */
json_t *bw_metrics_pools_json(void);
/* Protocol sessions attached to the server (counts the list under its own lock; not a request-path lock). */
long bw_metrics_sessions(bw_server *srv);
/* The breaker state as its gauge value: 0 closed, 1 half_open, 2 open, -1 unknown. */
int bw_metrics_breaker_value(const char *state);

#endif
