/* A bulkhead: at most max_concurrent holders at once, at most max_queue waiters (FIFO), each waiting at most
 * queue_timeout_ms (and never past its own deadline); anything beyond is refused at once. max_concurrent 0: no limit
 * (acquire always succeeds at once, running still counted).
 *
 * Thread-safe (a mutex and one condition variable per waiter, so a release wakes exactly the oldest waiter). */
#ifndef BW_RELIABILITY_BULKHEAD_H
#define BW_RELIABILITY_BULKHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/policy.h"
#include "bulwark/status.h"

typedef struct bw_bulkhead bw_bulkhead;

bw_bulkhead *bw_bulkhead_new(const bw_bulkhead_policy *cfg);
/* Must not be called while holders or waiters exist. NULL is a no-op. */
void bw_bulkhead_free(bw_bulkhead *b);
/* New limits (reload): later acquires see them; current holders are not evicted. */
void bw_bulkhead_configure(bw_bulkhead *b, const bw_bulkhead_policy *cfg);

/* Takes a slot, waiting in the queue if allowed, until min(now + queue_timeout_ms, deadline_ms) (monotonic ms;
 * deadline_ms <= 0: no deadline of the caller's own). A free slot is taken even when deadline_ms has passed.
 * `cancelled(ctx)` (may be NULL) is polled while waiting (at least every 50 ms) so a cancelled call leaves the queue.
 * BW_OK: holds a slot (give it back with bw_bulkhead_release). BW_E_OVERLOADED: the queue is full (refused at once).
 * BW_E_TIMEOUT: waited queue_timeout_ms or reached deadline_ms. BW_E_CANCELLED: cancelled while waiting. */
bw_status bw_bulkhead_acquire(bw_bulkhead *b, int64_t deadline_ms, bool (*cancelled)(void *ctx), void *ctx);
void bw_bulkhead_release(bw_bulkhead *b);

typedef struct bw_bulkhead_stats {
    int running, queued;
    uint64_t rejections; /* refused (full) or timed out in the queue */
} bw_bulkhead_stats;
bw_bulkhead_stats bw_bulkhead_stats_of(bw_bulkhead *b);

#endif
