/* Monotonic time and absolute deadlines for condition waits. Thread-safe. */
#ifndef BW_CORE_CLOCK_H
#define BW_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

#include <stdbool.h>

int64_t bw_clock_ms(void);
/* true once the monotonic deadline (ms) has passed. */
static inline bool bw_clock_ms_passed(int64_t deadline_ms)
{
    return bw_clock_ms() >= deadline_ms;
}
/* The CLOCK_MONOTONIC timespec of the absolute time `deadline_ms` (bw_clock_ms scale), for
 * pthread_cond_timedwait on a condition created with bw_cond_init_monotonic. */
struct timespec bw_clock_abs(int64_t deadline_ms);

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME): timestamps people read, never for durations. */
int64_t bw_wall_ms(void);

/* "2025-01-02T03:04:05.678Z": RFC 3339 UTC with milliseconds (24 characters for years 1000..9999). */
#define BW_RFC3339_MS_LEN 24
/* Formats wall_ms (bw_wall_ms scale; before 1970 too) into out (BW_RFC3339_MS_LEN + 1 bytes). The formatted second
 * is cached per thread: log lines and audit records call this per request. */
void bw_rfc3339_ms(int64_t wall_ms, char out[BW_RFC3339_MS_LEN + 1]);

#endif
