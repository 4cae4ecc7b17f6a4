/* The event bus's insides, shared by events_bus.c (subscribers, queues, publishing) and events_ticker.c (the thread
 * that publishes "stats"/"health", sends keep-alives and ends the streams at shutdown). Not for other modules.
 *
 * Locks: ev->ctl guards the settings, the subscriber count changes, `closing` and the ticker's life; each slot's mu
 * guards which subscriber sits in it; each subscriber's mu guards its queue. Order: ctl → slot.mu → sub.mu (the
 * publishing path takes only slot.mu → sub.mu). */
#ifndef BW_OBSERVABILITY_EVENTS_INTERNAL_H
#define BW_OBSERVABILITY_EVENTS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "observability/events.h"

/* One slot of the subscriber table. mask is the subscriber's type mask (0: empty), readable without the lock so a
 * publisher skips empty slots and unwanted types with one atomic load. */
typedef struct bw_events_slot {
    pthread_mutex_t mu;
    bw_events_sub *sub;           /* a reference, or NULL */
    atomic_uint mask;
} bw_events_slot;

struct bw_events {
    bw_server *srv;
    atomic_int n_subs;            /* open subscribers: the publisher's fast "nobody listens" test */
    atomic_int high;              /* slots in use lie below this index (publishers scan only that far) */
    atomic_ulong next_id;         /* SSE event ids */
    atomic_long dropped_total;
    atomic_bool enabled;
    pthread_mutex_t ctl;
    bw_events_options opt;        /* guarded by ctl */
    bool closing;                 /* shutdown: no new subscribers; guarded by ctl */
    bw_events_slot *slots;        /* BW_EVENTS_SLOTS, allocated with the first subscriber (guarded by ctl) */
    /* the ticker (guarded by ctl) */
    pthread_cond_t wake;
    pthread_cond_t idle;          /* signalled when a tick ends (closing waits for the one in progress) */
    pthread_t thread;
    bool ticker_running;
    bool ticker_stop;
    bool ticking;                 /* the ticker is inside a tick (reading the server's state) */
};

/* Caller holds ev->ctl: waits until the ticker is not inside a tick (unless called from the ticker itself). Once
 * ev->closing is set and this returned, the ticker never reads the server's state again. */
void bw_events_ticker_quiesce_locked(bw_events *ev);
/* Starts the ticker thread if it is not running. Caller holds ev->ctl. false when it cannot be created. */
bool bw_events_ticker_start_locked(bw_events *ev);
/* Stops and joins the ticker (bw_events_free). */
void bw_events_ticker_stop(bw_events *ev);
/* The "stats" data: bw_metrics_summary plus "health" (the readiness document). New reference, NULL on failure. */
json_t *bw_events_stats_data(bw_server *srv);
/* Queues a keep-alive comment on every subscriber with no output for keepalive_ms. */
void bw_events_keepalive(bw_events *ev, int64_t now_ms, int keepalive_ms);
/* Whether an open subscriber wants a type in mask (one atomic load per used slot). */
bool bw_events_wanted(bw_events *ev, unsigned mask);
/* The bus of srv, or NULL. */
bw_events *bw_events_of(bw_server *srv);

#endif
