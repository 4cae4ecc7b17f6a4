/* Server events for GET /events (SSE) and the status page: tool calls, health changes, audit records, and a stats
 * snapshot every second. Each subscriber has a bounded queue; a subscriber that falls behind loses the oldest events
 * (and is told how many with a "dropped" event), never slowing the publisher.
 *
 * Thread-safety: everything is safe from any thread. */
#ifndef BW_OBSERVABILITY_EVENTS_H
#define BW_OBSERVABILITY_EVENTS_H

#include <jansson.h>

#include "observability/observe.h"

typedef struct bw_events bw_events;

bw_events *bw_events_new(bw_server *srv);
void bw_events_free(bw_events *ev);
/* Publishes {"type":type,"ts_ms":N,"data":data} to every subscriber (data stolen; may be NULL). Cheap when nobody
 * subscribes (one atomic load). */
void bw_events_publish(bw_server *srv, const char *type, json_t *data);
/* Called by observe.c at the end of every tools/call, resources/read and prompts/get: a "call" event. */
void bw_events_call_end(struct bw_call *call, const bw_obs_outcome *o);

#endif
