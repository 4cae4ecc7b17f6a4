/* Unit tests for src/core/clock.c: the RFC 3339 millisecond timestamps of log lines, audit records and tasks
 * (against gmtime_r + strftime, including the per-thread cache of the formatted second and times before 1970). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

/* The expected text, built the slow way. */
static void reference(int64_t wall_ms, char out[64])
{
    int64_t sec = wall_ms / 1000, ms = wall_ms % 1000;
    if (ms < 0) {
        sec--;
        ms += 1000;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 64, "%s.%03dZ", date, (int)ms);
}

static void check(int64_t wall_ms)
{
    char got[BW_RFC3339_MS_LEN + 1], want[64];
    memset(got, 'x', sizeof got);
    bw_rfc3339_ms(wall_ms, got);
    reference(wall_ms, want);
    assert_int_equal(strlen(got), BW_RFC3339_MS_LEN);
    assert_string_equal(got, want);
}

static void test_known_instants(void **state)
{
    (void)state;
    char t[BW_RFC3339_MS_LEN + 1];
    bw_rfc3339_ms(1735787045007LL, t);
    assert_string_equal(t, "2025-01-02T03:04:05.007Z");
    bw_rfc3339_ms(0, t);
    assert_string_equal(t, "1970-01-01T00:00:00.000Z");
    bw_rfc3339_ms(-1, t); /* the last millisecond before the epoch, not "-0.001" */
    assert_string_equal(t, "1969-12-31T23:59:59.999Z");
    bw_rfc3339_ms(253402300799999LL, t);
    assert_string_equal(t, "9999-12-31T23:59:59.999Z");
}

/* Consecutive calls within one second, across a second, a day and a year boundary, and going back in time: the
 * cached second never leaks into a different second. */
static void test_cache_follows_the_second(void **state)
{
    (void)state;
    const int64_t starts[] = {1735787045000LL, 1735689599990LL, 1735775999500LL, -2000, 1700000000000LL};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        for (int64_t ms = starts[i]; ms < starts[i] + 2500; ms += 7)
            check(ms);
    check(1735787045999LL);
    check(1735787044001LL); /* earlier second after a later one */
    check(1735787045999LL);
}

static void test_wall_clock_is_epoch_ms(void **state)
{
    (void)state;
    int64_t a = bw_wall_ms();
    int64_t b = (int64_t)time(NULL) * 1000;
    assert_true(a > 1600000000000LL);
    assert_true(a - b < 2000 && b - a < 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_cache_follows_the_second),
        cmocka_unit_test(test_wall_clock_is_epoch_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
