/* A fixed pool of worker threads fed by one bounded FIFO queue.
 *
 * Submitting never blocks: a full queue answers BW_E_OVERLOADED at once, so the caller can reply with a fast,
 * explicit overload error instead of waiting. Thread-safe: submit from any thread. */
#ifndef BW_CORE_WORKPOOL_H
#define BW_CORE_WORKPOOL_H

#include <stdbool.h>

#include "bulwark/status.h"

typedef struct bw_workpool bw_workpool;
typedef void (*bw_job_fn)(void *arg);

/* Starts `threads` workers with room for `queue_depth` waiting jobs. NULL on failure. */
bw_workpool *bw_workpool_new(int threads, int queue_depth);
/* Queues fn(arg). BW_E_OVERLOADED when the queue is full, BW_E_CANCELLED after shutdown began. */
BW_NODISCARD bw_status bw_workpool_submit(bw_workpool *p, bw_job_fn fn, void *arg);
/* Jobs queued or running. */
int bw_workpool_busy(bw_workpool *p);
/* Jobs waiting for a worker (not yet running), for saturation checks. */
int bw_workpool_queued(bw_workpool *p);
/* Stops accepting jobs, runs what is queued, joins the workers and frees the pool. NULL is a no-op.
 * Blocks until every running job returned. */
void bw_workpool_free(bw_workpool *p);

#endif
