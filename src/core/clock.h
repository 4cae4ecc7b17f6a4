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

#endif
