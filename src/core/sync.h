/* Small pthread helpers. */
#ifndef BW_CORE_SYNC_H
#define BW_CORE_SYNC_H

#include <pthread.h>
#include <stdint.h>

/* Initializes a condition variable that times out on CLOCK_MONOTONIC (immune to wall-clock jumps). */
int bw_cond_init_monotonic(pthread_cond_t *cv);
/* Waits on cv until signalled or the monotonic deadline (ms) passes. Returns 0 or ETIMEDOUT. */
int bw_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms);

#endif
