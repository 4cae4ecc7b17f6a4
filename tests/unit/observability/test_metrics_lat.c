/* Unit tests for src/observability/metrics_lat.c: the fine latency histogram behind the status page's per-tool
 * p50/p95/p99 — every quantile within one bucket (12.5%) of the true value from 1 µs to 100 s, sub-microsecond and
 * overflow durations, empty histograms, and monotonic quantiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "observability/metrics_lat.h"

static double quantile_of(const bw_lat *h, double q)
{
    bw_lat_snap s = {0};
    bw_lat_snap_add(&s, h);
    return bw_lat_quantile(&s, q);
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= want * 0.125)) {
        print_error("quantile %.9g s, true value %.9g s\n", got, want);
        fail();
    }
}

/* One duration observed many times: every quantile lands in its bucket, whatever the scale. */
static void test_single_values_across_the_range(void **state)
{
    (void)state;
    const double values[] = {1.1e-6, 2e-6, 7.3e-6, 20e-6, 99e-6, 250e-6, 1e-3, 2.5e-3, 4.999e-3, 0.05, 0.333, 1, 7.5,
                             60, 100};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        bw_lat h;
        bw_lat_init(&h);
        for (int k = 0; k < 1000; k++)
            bw_lat_observe(&h, values[i]);
        assert_near(quantile_of(&h, 0.5), values[i]);
        assert_near(quantile_of(&h, 0.99), values[i]);
        assert_near(quantile_of(&h, 0), values[i] * 0.95); /* the bucket's lower edge: within a bucket too */
    }
}

/* 1..1000 µs uniformly: p50 ≈ 500 µs, p95 ≈ 950 µs, p99 ≈ 990 µs. */
static void test_a_spread(void **state)
{
    (void)state;
    bw_lat h;
    bw_lat_init(&h);
    for (int us = 1; us <= 1000; us++)
        bw_lat_observe(&h, us * 1e-6);
    assert_near(quantile_of(&h, 0.5), 500e-6);
    assert_near(quantile_of(&h, 0.95), 950e-6);
    assert_near(quantile_of(&h, 0.99), 990e-6);
    double last = 0;
    for (double q = 0; q <= 1.0001; q += 0.01) {
        double v = quantile_of(&h, q);
        assert_true(v >= last);
        last = v;
    }
}

static void test_edges(void **state)
{
    (void)state;
    bw_lat h;
    bw_lat_init(&h);
    assert_true(quantile_of(&h, 0.5) < 0); /* empty */
    bw_lat_observe(&h, 0);
    bw_lat_observe(&h, -1);
    bw_lat_observe(&h, NAN);
    bw_lat_observe(&h, 300e-9);
    double v = quantile_of(&h, 1);
    assert_true(v >= 0 && v < 1.1e-6); /* all below the first doubling */
    bw_lat_init(&h);
    bw_lat_observe(&h, 1e6); /* 11 days: overflow */
    bw_lat_observe(&h, INFINITY);
    assert_true(fabs(quantile_of(&h, 0.5) - 137.438953472) < 1e-6); /* 2^37 ns: the overflow bucket's lower bound */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_values_across_the_range),
        cmocka_unit_test(test_a_spread),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
