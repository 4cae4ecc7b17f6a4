/* A fine-grained latency histogram for quantiles people read (the status page's and /events' p50/p95/p99 per tool).
 *
 * The Prometheus histograms (metrics_hist.h) have the operator's buckets — 5 ms .. 60 s by default — which are right
 * for alerting and dashboards but say "p50 2.5 ms" for a tool answering in 20 µs. This one has fixed log-linear
 * buckets: 8 per doubling from 1.024 µs to 137 s (plus one below and one above), so a quantile is off by at most one
 * bucket width, 12.5% of the value. One relaxed atomic increment per observation; no lock, no allocation.
 *
 * Thread-safety: bw_lat_observe from any thread; bw_lat_snap reads each counter exactly, the set of them not at one
 * instant. */
#ifndef BW_OBSERVABILITY_METRICS_LAT_H
#define BW_OBSERVABILITY_METRICS_LAT_H

#include <stdatomic.h>
#include <stdint.h>

#define BW_LAT_SUB_BITS 3                     /* 2^3 = 8 buckets per doubling */
#define BW_LAT_MIN_EXP 10                     /* the first doubling starts at 2^10 ns (1.024 µs) */
#define BW_LAT_MAX_EXP 37                     /* the last ends at 2^37 ns (137 s); longer counts as overflow */
#define BW_LAT_BUCKETS (((BW_LAT_MAX_EXP - BW_LAT_MIN_EXP) << BW_LAT_SUB_BITS) + 2)

typedef struct bw_lat {
    atomic_uint_fast64_t counts[BW_LAT_BUCKETS]; /* [0]: below 1.024 µs; [BW_LAT_BUCKETS - 1]: 137 s and more */
} bw_lat;

/* Zeroes h (for memory not obtained zeroed). */
void bw_lat_init(bw_lat *h);
/* Counts one duration (negative or NaN count as 0). */
void bw_lat_observe(bw_lat *h, double seconds);

typedef struct bw_lat_snap {
    uint64_t counts[BW_LAT_BUCKETS];
    uint64_t count;
} bw_lat_snap;

/* Adds h's counters into s (s zeroed by the caller first). */
void bw_lat_snap_add(bw_lat_snap *s, const bw_lat *h);
/* The q-quantile (0 <= q <= 1) in seconds, interpolated linearly within the bucket holding rank q*count; -1 when
 * empty. In the overflow bucket: its lower bound (137 s). */
double bw_lat_quantile(const bw_lat_snap *s, double q);

#endif
