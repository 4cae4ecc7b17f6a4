/* PLACEHOLDER (lead): replaced by the events implementation. */
#include "observability/events.h"

#include <stdlib.h>

struct bw_events { int unused; };
bw_events *bw_events_new(bw_server *srv) { (void)srv; return calloc(1, sizeof(bw_events)); }
void bw_events_free(bw_events *ev) { free(ev); }
void bw_events_publish(bw_server *srv, const char *type, json_t *data) { (void)srv; (void)type; json_decref(data); }
void bw_events_call_end(struct bw_call *call, const bw_obs_outcome *o) { (void)call; (void)o; }
