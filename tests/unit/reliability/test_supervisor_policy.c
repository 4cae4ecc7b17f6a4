/* Unit tests for src/reliability/supervisor_policy.c: the supervisor's backoff doubles per consecutive short run up
 * to its maximum, a healthy run starts it over, and the crash-loop limit counts restarts in a sliding window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reliability/supervisor_policy.h"

static void backoff_doubles_up_to_the_maximum(void **state)
{
    (void)state;
    bw_sup_policy p;
    assert_int_equal(bw_sup_policy_init(&p, 10, 60, 100, 500, 5000), BW_OK);
    const int64_t expect[] = {100, 200, 400, 500, 500};
    for (int i = 0; i < 5; i++)
        assert_int_equal(bw_sup_policy_on_exit(&p, 1000 + i, 10), expect[i]);
    bw_sup_policy_free(&p);
}

static void a_healthy_run_resets_the_backoff(void **state)
{
    (void)state;
    bw_sup_policy p;
    assert_int_equal(bw_sup_policy_init(&p, 10, 60, 100, 10000, 5000), BW_OK);
    assert_int_equal(bw_sup_policy_on_exit(&p, 0, 10), 100);
    assert_int_equal(bw_sup_policy_on_exit(&p, 100, 10), 200);
    assert_int_equal(bw_sup_policy_on_exit(&p, 10000, 5000), 100); /* ran min_uptime: healthy */
    assert_int_equal(bw_sup_policy_on_exit(&p, 10100, 4999), 200);
    bw_sup_policy_free(&p);
}

static void the_crash_loop_limit_counts_restarts_within_the_window(void **state)
{
    (void)state;
    bw_sup_policy p;
    assert_int_equal(bw_sup_policy_init(&p, 3, 10, 1, 1, 0), BW_OK);
    assert_true(bw_sup_policy_on_exit(&p, 0, 0) >= 0);
    assert_true(bw_sup_policy_on_exit(&p, 1000, 0) >= 0);
    assert_true(bw_sup_policy_on_exit(&p, 2000, 0) >= 0);
    assert_int_equal(bw_sup_policy_recent(&p, 2000), 3);
    assert_int_equal(bw_sup_policy_on_exit(&p, 9999, 0), -1); /* a 4th restart within 10 s: give up */
    /* Had it come after the first restart left the window, it would have been allowed. */
    assert_int_equal(bw_sup_policy_recent(&p, 10000), 2);
    assert_true(bw_sup_policy_on_exit(&p, 10000, 0) >= 0);
    assert_int_equal(bw_sup_policy_recent(&p, 10000), 3);
    bw_sup_policy_free(&p);
}

static void zero_restarts_gives_up_at_the_first_crash(void **state)
{
    (void)state;
    bw_sup_policy p;
    assert_int_equal(bw_sup_policy_init(&p, 0, 60, 100, 1000, 0), BW_OK);
    assert_int_equal(bw_sup_policy_on_exit(&p, 0, 100000), -1);
    bw_sup_policy_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_up_to_the_maximum),
        cmocka_unit_test(a_healthy_run_resets_the_backoff),
        cmocka_unit_test(the_crash_loop_limit_counts_restarts_within_the_window),
        cmocka_unit_test(zero_restarts_gives_up_at_the_first_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
