/* Prometheus-style histograms with fixed upper bounds, updated with relaxed atomics (one bucket increment and one
 * sum increment per observation: no lock, no allocation), and the read side: snapshots that can be merged, and
 * quantiles estimated from the buckets the way Prometheus' histogram_quantile does.
 *
 * Thread-safety: bw_hist_observe from any thread at any time; a snapshot read concurrently with observations sees
 * each counter exactly, the set of them not at one instant (the snapshot's count is the sum of its buckets, so
 * _count and the +Inf bucket always agree). */
#ifndef BW_OBSERVABILITY_METRICS_HIST_H
#define BW_OBSERVABILITY_METRICS_HIST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_HIST_MAX_BOUNDS 32

/* Upper bounds in seconds, strictly increasing and finite; the +Inf bucket is implicit. Immutable once a histogram
 * uses it (histograms keep a pointer to it). */
typedef struct bw_hist_bounds {
    size_t n;
    double le[BW_HIST_MAX_BOUNDS];
} bw_hist_bounds;

/* The default request/tool-call bounds: 5 ms .. 60 s. */
extern const bw_hist_bounds bw_hist_default_bounds;

/* Fills out from n values; false (out untouched, reason in err) when n is 0 or above BW_HIST_MAX_BOUNDS, or the
 * values are not finite, positive and strictly increasing. */
bool bw_hist_bounds_set(bw_hist_bounds *out, const double *le, size_t n, char *err, size_t errlen);
bool bw_hist_bounds_equal(const bw_hist_bounds *a, const bw_hist_bounds *b);

typedef struct bw_hist {
    const bw_hist_bounds *b;                             /* borrowed; outlives the histogram */
    atomic_uint_fast64_t counts[BW_HIST_MAX_BOUNDS + 1]; /* per bucket (not cumulative); [b->n] is +Inf */
    atomic_uint_fast64_t sum_ns;                          /* sum of observations, nanoseconds */
} bw_hist;

void bw_hist_init(bw_hist *h, const bw_hist_bounds *b);
/* Counts one observation (negative or NaN values count as 0). */
void bw_hist_observe(bw_hist *h, double seconds);

/* A point-in-time copy; several histograms with the same bounds can be added into one. */
typedef struct bw_hist_snap {
    const bw_hist_bounds *b;                 /* NULL until the first add */
    uint64_t counts[BW_HIST_MAX_BOUNDS + 1]; /* per bucket (not cumulative) */
    uint64_t count;                          /* sum of counts */
    double sum;                              /* seconds */
} bw_hist_snap;

/* Adds h into s (s zeroed by the caller first). h == NULL is a no-op. Bounds must match (they do: one set per
 * bw_metrics); a mismatch is skipped. */
void bw_hist_snap_add(bw_hist_snap *s, const bw_hist *h);
/* The q-quantile (0 <= q <= 1) in seconds, linear within the bucket holding rank q*count (the first bucket starts
 * at 0; a rank in the +Inf bucket gives the highest finite bound). -1 when the snapshot is empty. */
double bw_hist_quantile(const bw_hist_snap *s, double q);

#endif
