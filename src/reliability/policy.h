/* The policy layer's internal entry points (the public side is bulwark/policy.h). */
#ifndef BW_RELIABILITY_POLICY_H
#define BW_RELIABILITY_POLICY_H

#include <stdbool.h>

#include "bulwark/server.h"

/* true when the server-wide tools/call cap (bw_reliability_options.max_in_flight) is reached: the transport answers
 * HTTP 503 with Retry-After: *retry_after_s (may be NULL) before dispatching a tools/call. Lock-free; any thread. */
bool bw_policy_overloaded(bw_server *srv, int *retry_after_s);

#endif
