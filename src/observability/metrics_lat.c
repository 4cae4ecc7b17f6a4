/* The fine latency histogram (see metrics_lat.h): bucket index from the duration's binary exponent and the next
 * three bits below its leading one. */
#include "observability/metrics_lat.h"

#include <stddef.h>

void bw_lat_init(bw_lat *h)
{
    for (size_t i = 0; i < BW_LAT_BUCKETS; i++)
        atomic_init(&h->counts[i], 0);
}

static size_t bucket_of(uint64_t ns)
{
    if (ns < (UINT64_C(1) << BW_LAT_MIN_EXP))
        return 0;
    int e = 63 - __builtin_clzll(ns); /* ns in [2^e, 2^(e+1)) */
    if (e >= BW_LAT_MAX_EXP)
        return BW_LAT_BUCKETS - 1;
    size_t sub = (size_t)(ns >> (e - BW_LAT_SUB_BITS)) & ((1u << BW_LAT_SUB_BITS) - 1);
    return 1 + ((size_t)(e - BW_LAT_MIN_EXP) << BW_LAT_SUB_BITS) + sub;
}

/* The lower bound of bucket i (1 .. BW_LAT_BUCKETS - 1) in ns. */
static double lower_ns(size_t i)
{
    size_t k = i - 1;
    int e = BW_LAT_MIN_EXP + (int)(k >> BW_LAT_SUB_BITS);
    double sub = (double)(k & ((1u << BW_LAT_SUB_BITS) - 1));
    return (double)(UINT64_C(1) << e) * (1.0 + sub / (double)(1u << BW_LAT_SUB_BITS));
}

void bw_lat_observe(bw_lat *h, double seconds)
{
    double ns = seconds > 0 ? seconds * 1e9 : 0; /* also NaN → 0 */
    uint64_t n = ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns;
    atomic_fetch_add_explicit(&h->counts[bucket_of(n)], 1, memory_order_relaxed);
}

void bw_lat_snap_add(bw_lat_snap *s, const bw_lat *h)
{
    for (size_t i = 0; i < BW_LAT_BUCKETS; i++) {
        uint64_t c = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        s->counts[i] += c;
        s->count += c;
    }
}

double bw_lat_quantile(const bw_lat_snap *s, double q)
{
    if (s->count == 0)
        return -1;
    q = q < 0 ? 0 : q > 1 ? 1 : q;
    double rank = q * (double)s->count;
    uint64_t below = 0;
    for (size_t i = 0; i + 1 < BW_LAT_BUCKETS; i++) {
        uint64_t c = s->counts[i];
        if (c > 0 && (double)(below + c) >= rank) {
            double lo = i == 0 ? 0 : lower_ns(i), hi = lower_ns(i + 1);
            double within = (rank - (double)below) / (double)c;
            return (lo + (hi - lo) * (within < 0 ? 0 : within)) / 1e9;
        }
        below += c;
    }
    return lower_ns(BW_LAT_BUCKETS - 1) / 1e9;
}
