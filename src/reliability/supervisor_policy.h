/* The restart policy of `bulwark supervise`, free of processes and clocks so it can be tested alone: the backoff
 * before a restart (doubling per consecutive short run, reset by a healthy one) and the crash-loop cut-off (at most
 * max_restarts restarts within a sliding window). Not thread-safe; owned by the supervisor loop. */
#ifndef BW_RELIABILITY_SUPERVISOR_POLICY_H
#define BW_RELIABILITY_SUPERVISOR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/status.h"

typedef struct bw_sup_policy {
    int backoff_initial_ms;
    int backoff_max_ms;
    int min_uptime_ms;
    int64_t window_ms;
    int max_restarts;
    int short_runs;     /* consecutive runs shorter than min_uptime_ms, this one included */
    int64_t *restarts;  /* ring of the times (ms) of the last max_restarts restarts; owned */
    int count;          /* entries in the ring */
    int head;           /* index of the oldest entry */
} bw_sup_policy;

/* max_restarts >= 0 (the ring is allocated for it); BW_E_NOMEM on failure. */
BW_NODISCARD bw_status bw_sup_policy_init(bw_sup_policy *p, int max_restarts, int window_s, int backoff_initial_ms,
                                          int backoff_max_ms, int min_uptime_ms);
void bw_sup_policy_free(bw_sup_policy *p);

/* The child ended at now_ms after running uptime_ms. Returns the wait in ms before the restart, or -1 when that
 * restart would be the (max_restarts + 1)-th within the window: the crash loop, give up. A restart that is allowed
 * is recorded at now_ms. */
int64_t bw_sup_policy_on_exit(bw_sup_policy *p, int64_t now_ms, int64_t uptime_ms);

/* The number of restarts recorded within the window ending at now_ms. */
int bw_sup_policy_recent(const bw_sup_policy *p, int64_t now_ms);

#endif
