/* Unit tests for src/reliability/backoff.c: the cap doubles from base up to max without overflowing, every jittered
 * draw stays within [0, cap], the draws spread over the range, and n < 1 means no wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>

#include "reliability/backoff.h"

#define DRAWS 10000

static void test_cap_doubles_up_to_max(void **state)
{
    (void)state;
    const int64_t want[] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
    for (int n = 1; n <= 8; n++)
        assert_int_equal(bw_backoff_cap_ms(n, 100, 2000), want[n - 1]);
}

static void test_cap_no_overflow(void **state)
{
    (void)state;
    assert_int_equal(bw_backoff_cap_ms(1000, 1000000, 2000000000), 2000000000);
    assert_int_equal(bw_backoff_cap_ms(1000, 1000000, INT32_MAX), INT32_MAX);
    assert_int_equal(bw_backoff_cap_ms(31, 1, INT32_MAX), 1073741824);
    assert_int_equal(bw_backoff_cap_ms(33, 1, INT32_MAX), INT32_MAX);
    /* max below base: max wins from the first retry */
    assert_int_equal(bw_backoff_cap_ms(1, 500, 300), 300);
    assert_true(bw_backoff_delay_ms(1000, 1000000, 2000000000) <= 2000000000);
}

static void test_no_wait_for_bad_inputs(void **state)
{
    (void)state;
    assert_int_equal(bw_backoff_cap_ms(0, 100, 2000), 0);
    assert_int_equal(bw_backoff_cap_ms(-5, 100, 2000), 0);
    assert_int_equal(bw_backoff_cap_ms(1, 0, 2000), 0);
    assert_int_equal(bw_backoff_cap_ms(1, -1, 2000), 0);
    assert_int_equal(bw_backoff_delay_ms(0, 100, 2000), 0);
    assert_int_equal(bw_backoff_delay_ms(-1, 100, 2000), 0);
    assert_int_equal(bw_backoff_delay_ms(3, 0, 2000), 0);
}

static void test_draws_within_cap_and_spread(void **state)
{
    (void)state;
    const int64_t cap = bw_backoff_cap_ms(4, 100, 2000); /* 800 */
    int64_t sum = 0, lo = cap, hi = 0;
    for (int i = 0; i < DRAWS; i++) {
        int64_t d = bw_backoff_delay_ms(4, 100, 2000);
        assert_in_range(d, 0, cap);
        sum += d;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* Uniform on [0, 800]: the mean of 10,000 draws is 400 with a standard error of ~2.3, so ±40 never fails by
     * chance but catches a generator stuck at one end; the extremes land in the outer 5% of the range. */
    double mean = (double)sum / DRAWS;
    assert_true(mean > 360.0 && mean < 440.0);
    assert_true(lo < cap / 20);
    assert_true(hi > cap - cap / 20);
}

#define THREAD_CAP (INT64_C(1) << 29) /* bw_backoff_cap_ms(30, 1, INT32_MAX) */

/* Records the thread's first draw, or -1 when any of its draws leaves [0, cap] (cmocka asserts are not for threads). */
static void *draw_main(void *arg)
{
    int64_t *first = arg;
    *first = bw_backoff_delay_ms(30, 1, INT32_MAX);
    for (int i = 0; i < 1000; i++) {
        int64_t d = bw_backoff_delay_ms(30, 1, INT32_MAX);
        if (d < 0 || d > THREAD_CAP)
            *first = -1;
    }
    return NULL;
}

/* Each thread has its own generator, seeded independently: two threads do not replay the same sequence. */
static void test_threads_independent(void **state)
{
    (void)state;
    pthread_t t[4];
    int64_t first[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, draw_main, &first[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_true(first[i] >= 0);
    assert_int_equal(bw_backoff_cap_ms(30, 1, INT32_MAX), THREAD_CAP);
    /* first draws over [0, 2^29]: four equal ones would mean a shared or constant seed */
    assert_false(first[0] == first[1] && first[1] == first[2] && first[2] == first[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_doubles_up_to_max),
        cmocka_unit_test(test_cap_no_overflow),
        cmocka_unit_test(test_no_wait_for_bad_inputs),
        cmocka_unit_test(test_draws_within_cap_and_spread),
        cmocka_unit_test(test_threads_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
