/* Histogram updates (relaxed atomics) and reads (snapshots, quantile estimates). */
#include "observability/metrics_hist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const bw_hist_bounds bw_hist_default_bounds = {
    13, {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};

bool bw_hist_bounds_set(bw_hist_bounds *out, const double *le, size_t n, char *err, size_t errlen)
{
    if (n == 0 || n > BW_HIST_MAX_BOUNDS) {
        snprintf(err, errlen, "between 1 and %d buckets are allowed (got %zu)", BW_HIST_MAX_BOUNDS, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(le[i]) || le[i] <= 0) {
            snprintf(err, errlen, "bucket %zu: bounds must be finite and positive", i + 1);
            return false;
        }
        if (i > 0 && le[i] <= le[i - 1]) {
            snprintf(err, errlen, "bucket %zu: bounds must be strictly increasing (%g after %g)", i + 1, le[i],
                     le[i - 1]);
            return false;
        }
    }
    out->n = n;
    memcpy(out->le, le, n * sizeof *le);
    return true;
}

bool bw_hist_bounds_equal(const bw_hist_bounds *a, const bw_hist_bounds *b)
{
    return a->n == b->n && memcmp(a->le, b->le, a->n * sizeof a->le[0]) == 0;
}

void bw_hist_init(bw_hist *h, const bw_hist_bounds *b)
{
    h->b = b;
    for (size_t i = 0; i <= BW_HIST_MAX_BOUNDS; i++)
        atomic_init(&h->counts[i], 0);
    atomic_init(&h->sum_ns, 0);
}

/* The bucket of v: the first bound >= v (Prometheus' le is inclusive), else +Inf. Binary search: <= 5 steps. */
static size_t bucket_of(const bw_hist_bounds *b, double v)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= b->le[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void bw_hist_observe(bw_hist *h, double seconds)
{
    if (!(seconds > 0)) /* also NaN */
        seconds = 0;
    atomic_fetch_add_explicit(&h->counts[bucket_of(h->b, seconds)], 1, memory_order_relaxed);
    /* Integer nanoseconds: an atomic add, not a compare-and-swap loop on a double. 2^64 ns is 584 years. */
    double ns = seconds * 1e9;
    uint64_t add = ns >= 1.8e19 ? UINT64_MAX / 2 : (uint64_t)ns;
    atomic_fetch_add_explicit(&h->sum_ns, add, memory_order_relaxed);
}

void bw_hist_snap_add(bw_hist_snap *s, const bw_hist *h)
{
    if (!h)
        return;
    if (!s->b)
        s->b = h->b;
    else if (s->b != h->b && !bw_hist_bounds_equal(s->b, h->b))
        return;
    for (size_t i = 0; i <= h->b->n; i++) {
        uint64_t c = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        s->counts[i] += c;
        s->count += c;
    }
    s->sum += (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
}

double bw_hist_quantile(const bw_hist_snap *s, double q)
{
    if (!s->b || s->count == 0)
        return -1;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    double rank = q * (double)s->count;
    uint64_t below = 0;
    for (size_t i = 0; i < s->b->n; i++) {
        uint64_t c = s->counts[i];
        if (c > 0 && (double)(below + c) >= rank) {
            double lo = i == 0 ? 0 : s->b->le[i - 1], hi = s->b->le[i];
            double within = (rank - (double)below) / (double)c;
            return lo + (hi - lo) * (within < 0 ? 0 : within);
        }
        below += c;
    }
    return s->b->le[s->b->n - 1]; /* the rank is in +Inf: nothing better than the highest finite bound */
}
