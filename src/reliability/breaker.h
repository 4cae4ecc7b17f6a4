/* A circuit breaker for one dependency: closed → open (consecutive failures reach the threshold, or the failure
 * rate over a sliding window reaches its threshold once enough calls were seen) → half-open after open_ms (a limited
 * number of probe calls admitted at once) → closed after success_threshold successful probes, or open again on a
 * failed probe.
 *
 * Time is passed in (monotonic ms) so tests can drive it. Thread-safe: one small mutex per breaker, held only for
 * counter updates (never across a call). */
#ifndef BW_RELIABILITY_BREAKER_H
#define BW_RELIABILITY_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/policy.h"

typedef struct bw_breaker bw_breaker;

typedef enum bw_breaker_state { BW_BREAKER_CLOSED = 0, BW_BREAKER_HALF_OPEN = 1, BW_BREAKER_OPEN = 2 } bw_breaker_state;

/* A new closed breaker with cfg (zero fields → the defaults in policy.h). NULL on allocation failure. */
bw_breaker *bw_breaker_new(const bw_breaker_policy *cfg);
void bw_breaker_free(bw_breaker *b);
/* Replaces the settings (reload); the state and counters are kept. */
void bw_breaker_configure(bw_breaker *b, const bw_breaker_policy *cfg);

/* Asks to make a call at now_ms. true: go ahead, and report the outcome with bw_breaker_record exactly once (a
 * half-open probe slot is held until then). false: fail fast; *retry_after_ms (may be NULL) says when it may
 * half-open (half-open with every probe slot taken: min(1000, open_ms), as the probes' outcome is unknown). A disabled
 * breaker (failure_threshold -1) always admits; disabling an open breaker by bw_breaker_configure closes it. */
bool bw_breaker_allow(bw_breaker *b, int64_t now_ms, int64_t *retry_after_ms);
/* Reports an admitted call's outcome: ok false for a breaker fault (timeout, connection, unavailable). */
void bw_breaker_record(bw_breaker *b, int64_t now_ms, bool ok);
/* Gives back an admitted call's slot without counting it (e.g. the call failed for a reason that says nothing about
 * the dependency: bad arguments, a conflict, cancellation). */
void bw_breaker_release(bw_breaker *b);

/* The state at now_ms (an open breaker whose open_ms passed reports half-open). */
bw_breaker_state bw_breaker_state_at(bw_breaker *b, int64_t now_ms);
typedef struct bw_breaker_stats {
    bw_breaker_state state;
    uint64_t transitions; /* state changes since creation */
    uint64_t opened;      /* times it opened */
    int64_t retry_after_ms; /* when open: ms until half-open; else 0 */
} bw_breaker_stats;
bw_breaker_stats bw_breaker_stats_at(bw_breaker *b, int64_t now_ms);
const char *bw_breaker_state_name(bw_breaker_state s); /* "closed", "half_open", "open" */

#endif
