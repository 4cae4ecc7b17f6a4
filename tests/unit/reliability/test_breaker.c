/* Unit tests for src/reliability/breaker.c. Time is passed in, so every transition is driven explicitly: consecutive
 * and rate thresholds, min_calls, the sliding window, open → half-open after open_ms with the right retry_after,
 * the half-open probe limit, probe success/failure, the disabled breaker, reconfiguration, and 4 threads hammering
 * one breaker without leaking a probe slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "reliability/breaker.h"

#define T0 INT64_C(1000000)

static bw_breaker *make(bw_breaker_policy cfg)
{
    bw_breaker *b = bw_breaker_new(&cfg);
    assert_non_null(b);
    return b;
}

/* One admitted call with the given outcome. */
static void call(bw_breaker *b, int64_t now, bool ok)
{
    assert_true(bw_breaker_allow(b, now, NULL));
    bw_breaker_record(b, now, ok);
}

static void assert_state(bw_breaker *b, int64_t now, bw_breaker_state want)
{
    bw_breaker_state got = bw_breaker_state_at(b, now);
    if (got != want)
        fail_msg("state %s, want %s", bw_breaker_state_name(got), bw_breaker_state_name(want));
}

/* Opens b at `now` with consecutive failures (threshold n). */
static void open_it(bw_breaker *b, int64_t now, int n)
{
    for (int i = 0; i < n; i++)
        call(b, now, false);
    assert_state(b, now, BW_BREAKER_OPEN);
}

static void test_defaults(void **state)
{
    (void)state;
    bw_breaker *b = bw_breaker_new(NULL); /* all defaults: threshold 5, min_calls 10, open 30 s */
    assert_non_null(b);
    for (int i = 0; i < 4; i++)
        call(b, T0, false);
    assert_state(b, T0, BW_BREAKER_CLOSED);
    call(b, T0, false);
    int64_t retry = 0;
    assert_false(bw_breaker_allow(b, T0, &retry));
    assert_int_equal(retry, 30000);
    bw_breaker_free(b);
    bw_breaker_free(NULL);
}

static void test_consecutive_threshold_opens(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 3, .min_calls = 1000});
    call(b, T0, false);
    call(b, T0, false);
    call(b, T0, true); /* a success breaks the run */
    call(b, T0, false);
    call(b, T0, false);
    assert_state(b, T0, BW_BREAKER_CLOSED);
    call(b, T0, false);
    assert_state(b, T0, BW_BREAKER_OPEN);
    bw_breaker_stats s = bw_breaker_stats_at(b, T0);
    assert_int_equal(s.opened, 1);
    assert_int_equal(s.transitions, 1);
    bw_breaker_free(b);
}

static void test_rate_threshold_needs_min_calls(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 100, .failure_rate = 0.5, .min_calls = 10});
    for (int i = 0; i < 9; i++) /* f o f o f o f o f: 5 of 9 failed, but fewer than min_calls */
        call(b, T0 + i, i % 2 != 0);
    assert_state(b, T0 + 9, BW_BREAKER_CLOSED);
    call(b, T0 + 9, true); /* 5 of 10: the rate is reached, yet a success never opens it */
    assert_state(b, T0 + 9, BW_BREAKER_CLOSED);
    call(b, T0 + 10, false); /* 6 of 11 */
    assert_state(b, T0 + 10, BW_BREAKER_OPEN);
    bw_breaker_free(b);
}

static void test_rate_window_slides(void **state)
{
    (void)state;
    bw_breaker *b =
        make((bw_breaker_policy){.failure_threshold = 100, .failure_rate = 0.5, .min_calls = 4, .window_ms = 1000});
    for (int i = 0; i < 3; i++)
        call(b, T0, false);
    call(b, T0 + 2000, false); /* the three earlier failures left the window: 1 call */
    assert_state(b, T0 + 2000, BW_BREAKER_CLOSED);
    call(b, T0 + 2100, false);
    call(b, T0 + 2200, false);
    assert_state(b, T0 + 2200, BW_BREAKER_CLOSED);
    call(b, T0 + 2300, false);
    assert_state(b, T0 + 2300, BW_BREAKER_OPEN);
    bw_breaker_free(b);
}

static void test_open_rejects_then_half_opens(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 2, .open_ms = 5000});
    open_it(b, T0, 2);
    int64_t retry = -1;
    assert_false(bw_breaker_allow(b, T0 + 1200, &retry));
    assert_int_equal(retry, 3800);
    bw_breaker_stats s = bw_breaker_stats_at(b, T0 + 1200);
    assert_int_equal(s.state, BW_BREAKER_OPEN);
    assert_int_equal(s.retry_after_ms, 3800);
    assert_false(bw_breaker_allow(b, T0 + 4999, NULL));
    assert_state(b, T0 + 5000, BW_BREAKER_HALF_OPEN);
    s = bw_breaker_stats_at(b, T0 + 5000);
    assert_int_equal(s.retry_after_ms, 0);
    assert_int_equal(s.transitions, 2);
    bw_breaker_free(b);
}

static void test_half_open_admits_exactly_half_open_calls(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 1, .open_ms = 5000, .half_open_calls = 2,
                                             .success_threshold = 5});
    open_it(b, T0, 1);
    int64_t t = T0 + 5000, retry = 0;
    assert_true(bw_breaker_allow(b, t, NULL));
    assert_true(bw_breaker_allow(b, t, NULL));
    assert_false(bw_breaker_allow(b, t, &retry));
    assert_true(retry > 0 && retry <= 5000);
    bw_breaker_release(b); /* a probe that said nothing gives its slot back */
    assert_true(bw_breaker_allow(b, t, NULL));
    assert_false(bw_breaker_allow(b, t, NULL));
    bw_breaker_record(b, t, true); /* one success of five: still half-open, slot freed */
    assert_state(b, t, BW_BREAKER_HALF_OPEN);
    assert_true(bw_breaker_allow(b, t, NULL));
    assert_false(bw_breaker_allow(b, t, NULL));
    bw_breaker_free(b);
}

static void test_probe_success_closes_and_resets(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 3, .open_ms = 1000, .success_threshold = 2,
                                             .min_calls = 1000});
    open_it(b, T0, 3);
    int64_t t = T0 + 1000;
    call(b, t, true);
    assert_state(b, t, BW_BREAKER_HALF_OPEN);
    call(b, t, true);
    assert_state(b, t, BW_BREAKER_CLOSED);
    assert_int_equal(bw_breaker_stats_at(b, t).transitions, 3); /* closed→open→half_open→closed */
    call(b, t, false);                                          /* counters started over: 2 of 3 */
    call(b, t, false);
    assert_state(b, t, BW_BREAKER_CLOSED);
    call(b, t, false);
    assert_state(b, t, BW_BREAKER_OPEN);
    bw_breaker_free(b);
}

static void test_probe_failure_reopens(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 1, .open_ms = 1000});
    open_it(b, T0, 1);
    int64_t t = T0 + 1500;
    call(b, t, false);
    int64_t retry = 0;
    assert_false(bw_breaker_allow(b, t + 10, &retry));
    assert_int_equal(retry, 990); /* a fresh open_ms from the failed probe */
    bw_breaker_stats s = bw_breaker_stats_at(b, t + 10);
    assert_int_equal(s.opened, 2);
    assert_int_equal(s.transitions, 3);
    bw_breaker_free(b);
}

/* Outcomes of calls admitted before the breaker opened change nothing once it is open or half-open. */
static void test_late_outcomes_ignored(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 1, .open_ms = 1000});
    assert_true(bw_breaker_allow(b, T0, NULL)); /* the straggler */
    call(b, T0, false);
    bw_breaker_record(b, T0 + 10, true); /* while open */
    assert_state(b, T0 + 10, BW_BREAKER_OPEN);
    bw_breaker_record(b, T0 + 1000, false); /* half-open, no probe outstanding */
    assert_state(b, T0 + 1000, BW_BREAKER_HALF_OPEN);
    assert_true(bw_breaker_allow(b, T0 + 1000, NULL));
    bw_breaker_free(b);
}

static void test_disabled_never_opens(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = -1, .min_calls = 1});
    for (int i = 0; i < 1000; i++)
        call(b, T0 + i, false);
    assert_state(b, T0 + 1000, BW_BREAKER_CLOSED);
    assert_int_equal(bw_breaker_stats_at(b, T0 + 1000).opened, 0);
    bw_breaker_free(b);
}

static void test_configure_keeps_state(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 3, .open_ms = 5000, .min_calls = 1000});
    call(b, T0, false);
    call(b, T0, false);
    bw_breaker_configure(b, &(bw_breaker_policy){.failure_threshold = 3, .open_ms = 9000, .min_calls = 1000});
    call(b, T0, false); /* the two earlier failures still count */
    int64_t retry = 0;
    assert_false(bw_breaker_allow(b, T0 + 100, &retry));
    assert_int_equal(retry, 8900);
    bw_breaker_configure(b, &(bw_breaker_policy){.failure_threshold = 10, .open_ms = 1000});
    assert_state(b, T0 + 100, BW_BREAKER_OPEN); /* still open until the time it was given */
    assert_false(bw_breaker_allow(b, T0 + 8000, NULL));
    /* Disabling it closes it: it admits everything and must not report open. */
    bw_breaker_configure(b, &(bw_breaker_policy){.failure_threshold = -1});
    assert_state(b, T0 + 8000, BW_BREAKER_CLOSED);
    assert_true(bw_breaker_allow(b, T0 + 8000, NULL));
    bw_breaker_free(b);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(bw_breaker_state_name(BW_BREAKER_CLOSED), "closed");
    assert_string_equal(bw_breaker_state_name(BW_BREAKER_HALF_OPEN), "half_open");
    assert_string_equal(bw_breaker_state_name(BW_BREAKER_OPEN), "open");
}

/* ---- 4 threads ---- */

#define THREADS 4
#define ROUNDS 20000

typedef struct {
    bw_breaker *b;
    atomic_llong *clock; /* shared fake time, advanced by every call */
    unsigned seed;
} hammer_arg;

static void *hammer_main(void *arg)
{
    hammer_arg *h = arg;
    for (int i = 0; i < ROUNDS; i++) {
        int64_t now = atomic_fetch_add(h->clock, 1);
        h->seed = h->seed * 1103515245u + 12345u;
        unsigned r = (h->seed >> 16) % 10;
        if (!bw_breaker_allow(h->b, now, NULL))
            continue;
        if (r == 0)
            bw_breaker_release(h->b);
        else
            bw_breaker_record(h->b, atomic_load(h->clock), r > 4); /* 40% failures */
    }
    return NULL;
}

/* Every admitted call records or releases exactly once, so afterwards no probe slot may be left taken: far in the
 * future the breaker admits again. */
static void test_threads_hammer(void **state)
{
    (void)state;
    bw_breaker *b = make((bw_breaker_policy){.failure_threshold = 4, .min_calls = 20, .window_ms = 500,
                                             .open_ms = 50, .half_open_calls = 2, .success_threshold = 2});
    atomic_llong clock = T0;
    pthread_t t[THREADS];
    hammer_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (hammer_arg){.b = b, .clock = &clock, .seed = (unsigned)i * 7919u + 1u};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    int64_t later = atomic_load(&clock) + 1000;
    bw_breaker_stats s = bw_breaker_stats_at(b, later);
    assert_true(s.opened > 0);
    assert_int_not_equal(s.state, BW_BREAKER_OPEN);
    assert_true(bw_breaker_allow(b, later, NULL));
    bw_breaker_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_consecutive_threshold_opens),
        cmocka_unit_test(test_rate_threshold_needs_min_calls),
        cmocka_unit_test(test_rate_window_slides),
        cmocka_unit_test(test_open_rejects_then_half_opens),
        cmocka_unit_test(test_half_open_admits_exactly_half_open_calls),
        cmocka_unit_test(test_probe_success_closes_and_resets),
        cmocka_unit_test(test_probe_failure_reopens),
        cmocka_unit_test(test_late_outcomes_ignored),
        cmocka_unit_test(test_disabled_never_opens),
        cmocka_unit_test(test_configure_keeps_state),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_threads_hammer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
