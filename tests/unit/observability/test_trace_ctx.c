/* Unit tests for src/observability/trace_ctx.c: W3C traceparent parsing (version 00 exactly, future versions' first
 * four fields, rejection of bad hex, upper case, all-zero ids, version ff, wrong lengths and separators), formatting
 * round trips, tracestate bounding, and random ids that are never zero and do not repeat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "observability/trace_ctx.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void test_parse_valid(void **state)
{
    (void)state;
    bw_trace_ctx c;
    assert_true(bw_traceparent_parse(TP, &c));
    assert_true(c.valid);
    assert_int_equal(c.trace_id[0], 0x4b);
    assert_int_equal(c.trace_id[15], 0x36);
    assert_int_equal(c.span_id[0], 0x00);
    assert_int_equal(c.span_id[7], 0xb7);
    assert_int_equal(c.flags, 1);
    assert_string_equal(c.tracestate, "");
    char hex[33];
    bw_trace_id_hex(&c, hex);
    assert_string_equal(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
    /* Blanks around a header value are not part of it. */
    assert_true(bw_traceparent_parse("  " TP "\t", &c));
    /* Unsampled, and unknown flag bits are kept as received. */
    assert_true(bw_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &c));
    assert_int_equal(c.flags, 0);
    assert_true(bw_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", &c));
    assert_int_equal(c.flags, 3);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",            /* no flags */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",          /* short flags */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",   /* version 00 has four fields */
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",          /* short trace id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",         /* upper case */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",         /* upper case */
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",         /* not hex */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",         /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",         /* zero span id */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         /* version ff */
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         /* version not hex */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         /* separator */
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",        /* a later field needs a dash */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bw_trace_ctx c;
        memset(&c, 0x55, sizeof c);
        if (bw_traceparent_parse(bad[i], &c))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_false(c.valid);
    }
    bw_trace_ctx c;
    assert_false(bw_traceparent_parse(NULL, &c));
}

static void test_future_version(void **state)
{
    (void)state;
    bw_trace_ctx c;
    /* A later version is read by its first four fields, whatever follows them after a dash. */
    assert_true(bw_traceparent_parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", &c));
    assert_int_equal(c.flags, 1);
    assert_int_equal(c.span_id[7], 0xb7);
    assert_true(bw_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &c));
}

static void test_format_round_trip(void **state)
{
    (void)state;
    bw_trace_ctx c;
    assert_true(bw_traceparent_parse(TP, &c));
    char out[BW_TRACEPARENT_LEN + 1];
    bw_traceparent_format(&c, out);
    assert_string_equal(out, TP);
    /* A future version is passed on as version 00 (the only one we can vouch for). */
    assert_true(bw_traceparent_parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", &c));
    bw_traceparent_format(&c, out);
    assert_string_equal(out, TP);
}

static void test_tracestate(void **state)
{
    (void)state;
    bw_trace_ctx c = {0};
    bw_tracestate_set(&c, " congo=t61rcWkgMzE, rojo=00f067aa0ba902b7 ");
    assert_string_equal(c.tracestate, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7");
    bw_tracestate_set(&c, NULL);
    assert_string_equal(c.tracestate, "");
    bw_tracestate_set(&c, "a=1\nb=2"); /* a control character: refused whole */
    assert_string_equal(c.tracestate, "");
    /* Too long: whole leading members that fit are kept. */
    char big[2000] = "";
    for (int i = 0; i < 60; i++) {
        char m[32];
        snprintf(m, sizeof m, "%svendor%02d=value%02d", i ? "," : "", i, i);
        strcat(big, m);
    }
    bw_tracestate_set(&c, big);
    size_t n = strlen(c.tracestate);
    assert_true(n > 0 && n <= BW_TRACESTATE_MAX);
    assert_memory_equal(c.tracestate, big, n);
    assert_true(big[n] == ',');
    assert_true(c.tracestate[n - 1] != ',');
}

static void test_new_ids(void **state)
{
    (void)state;
    uint8_t a[16], b[16], s1[8], s2[8];
    static const uint8_t zero[16];
    for (int i = 0; i < 1000; i++) {
        bw_trace_new_trace_id(a);
        bw_trace_new_trace_id(b);
        bw_trace_new_span_id(s1);
        bw_trace_new_span_id(s2);
        assert_memory_not_equal(a, zero, 16);
        assert_memory_not_equal(s1, zero, 8);
        assert_memory_not_equal(a, b, 16);
        assert_memory_not_equal(s1, s2, 8);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),     cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_future_version),  cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_tracestate),      cmocka_unit_test(test_new_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
