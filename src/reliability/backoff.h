/* Exponential backoff with full jitter (the AWS architecture blog's "full jitter"): the wait before retry n (n >= 1)
 * is uniform in [0, min(max_ms, base_ms * 2^(n-1))]. Thread-safe (a per-thread random state, seeded from
 * getrandom). */
#ifndef BW_RELIABILITY_BACKOFF_H
#define BW_RELIABILITY_BACKOFF_H

#include <stdint.h>

/* The upper bound of the wait before retry n: min(max_ms, base_ms * 2^(n-1)), without overflow; 0 when n < 1 or
 * base_ms <= 0. */
int64_t bw_backoff_cap_ms(int n, int base_ms, int max_ms);

/* A jittered wait before retry n, uniform in [0, bw_backoff_cap_ms(n, base_ms, max_ms)]. */
int64_t bw_backoff_delay_ms(int n, int base_ms, int max_ms);

#endif
