/* Event frames and subscriber queues (events_sub.c), shared by the bus (events_bus.c) and the ticker
 * (events_ticker.c). Not for other modules: the transport uses the subscriber API of events.h. */
#ifndef BW_OBSERVABILITY_EVENTS_SUB_H
#define BW_OBSERVABILITY_EVENTS_SUB_H

#include <stdatomic.h>
#include <stddef.h>

#include "observability/events_internal.h"

/* One framed event (`id: N\nevent: T\ndata: {...}\n\n`), shared read-only by every queue holding it. */
typedef struct bw_events_frame {
    atomic_int refs;
    size_t len;
    char text[];
} bw_events_frame;

/* Frames an event (data stolen; NULL → null) with the next id. NULL on allocation failure. */
bw_events_frame *bw_events_frame_new(bw_events *ev, const char *type, json_t *data);
void bw_events_frame_unref(bw_events_frame *f);

/* Queues f (a new reference is taken) on s, dropping the oldest queued frame when the queue is full (counted, and
 * announced to the subscriber by a "dropped" event before its next frame); wakes its connection. Any thread. */
void bw_events_sub_push(bw_events_sub *s, bw_events_frame *f);
/* Ends every subscriber's stream (queued frames are still delivered, then a retry hint, then the end) and refuses new
 * ones. detach: also take them out of the table and cut their link to the bus (bw_events_free). */
void bw_events_close_all(bw_events *ev, bool detach);

#endif
