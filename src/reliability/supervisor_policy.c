/* Backoff and crash-loop accounting for the supervisor (see supervisor_policy.h). The backoff is deterministic,
 * without jitter: one supervisor restarts one child, so there is no herd to spread, and an operator reading the
 * log should see exactly the documented doubling. */
#include "reliability/supervisor_policy.h"

#include <stdlib.h>

bw_status bw_sup_policy_init(bw_sup_policy *p, int max_restarts, int window_s, int backoff_initial_ms,
                             int backoff_max_ms, int min_uptime_ms)
{
    *p = (bw_sup_policy){
        .backoff_initial_ms = backoff_initial_ms,
        .backoff_max_ms = backoff_max_ms,
        .min_uptime_ms = min_uptime_ms,
        .window_ms = (int64_t)window_s * 1000,
        .max_restarts = max_restarts,
    };
    if (max_restarts > 0 && !(p->restarts = calloc((size_t)max_restarts, sizeof *p->restarts)))
        return BW_E_NOMEM;
    return BW_OK;
}

void bw_sup_policy_free(bw_sup_policy *p)
{
    free(p->restarts);
    p->restarts = NULL;
    p->count = 0;
}

int bw_sup_policy_recent(const bw_sup_policy *p, int64_t now_ms)
{
    int n = 0;
    for (int i = 0; i < p->count; i++)
        if (now_ms - p->restarts[(p->head + i) % p->max_restarts] < p->window_ms)
            n++;
    return n;
}

/* min(max, initial * 2^(n-1)) for n >= 1, without overflow. */
static int64_t backoff_ms(const bw_sup_policy *p, int n)
{
    int64_t d = p->backoff_initial_ms;
    for (int i = 1; i < n && d < p->backoff_max_ms; i++)
        d *= 2;
    return d < p->backoff_max_ms ? d : p->backoff_max_ms;
}

static void record(bw_sup_policy *p, int64_t now_ms)
{
    if (p->count < p->max_restarts) {
        p->restarts[(p->head + p->count) % p->max_restarts] = now_ms;
        p->count++;
    } else { /* full: the newest replaces the oldest */
        p->restarts[p->head] = now_ms;
        p->head = (p->head + 1) % p->max_restarts;
    }
}

int64_t bw_sup_policy_on_exit(bw_sup_policy *p, int64_t now_ms, int64_t uptime_ms)
{
    if (uptime_ms >= p->min_uptime_ms)
        p->short_runs = 0;
    if (p->short_runs < 64) /* 2^63 ms is beyond any backoff_max_ms: stop counting there */
        p->short_runs++;
    if (bw_sup_policy_recent(p, now_ms) >= p->max_restarts)
        return -1;
    record(p, now_ms);
    return backoff_ms(p, p->short_runs);
}
