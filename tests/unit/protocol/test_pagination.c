/* Unit tests for src/protocol/pagination.c: opaque list cursors round-trip, are tied to their list, and reject
 * anything that is not exactly what bw_cursor_encode wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "protocol/pagination.h"

#define SENTINEL ((size_t)0xdeadbeef)

static const size_t offsets[] = {0, 1, 50, 1000000, 4294967296u, SIZE_MAX};
static const int lists[] = {0, 1, 2, 3};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(offsets); i++) {
        for (size_t l = 0; l < N(lists); l++) {
            char c[BW_CURSOR_MAX];
            memset(c, 0x7f, sizeof c);
            bw_cursor_encode(offsets[i], lists[l], c);
            size_t len = strnlen(c, sizeof c);
            if (len == 0 || len >= BW_CURSOR_MAX)
                fail_msg("cursor for %zu/%d has length %zu", offsets[i], lists[l], len);
            for (size_t k = 0; k < len; k++)
                if (c[k] < 0x21 || c[k] > 0x7e)
                    fail_msg("cursor %s has a non-printable or space byte", c);
            size_t got = SENTINEL;
            if (!bw_cursor_decode(c, lists[l], &got))
                fail_msg("cursor %s (offset %zu, list %d) does not decode", c, offsets[i], lists[l]);
            if (got != offsets[i])
                fail_msg("cursor %s decodes to %zu, want %zu", c, got, offsets[i]);
        }
    }
}

static void test_encoding_is_stable_and_distinct(void **state)
{
    (void)state;
    char a[BW_CURSOR_MAX], b[BW_CURSOR_MAX];
    bw_cursor_encode(50, 0, a);
    bw_cursor_encode(50, 0, b);
    assert_string_equal(a, b);
    /* every (offset, list) pair has its own cursor */
    char all[N(offsets) * N(lists)][BW_CURSOR_MAX];
    size_t n = 0;
    for (size_t i = 0; i < N(offsets); i++)
        for (size_t l = 0; l < N(lists); l++)
            bw_cursor_encode(offsets[i], lists[l], all[n++]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(all[i], all[j]) == 0)
                fail_msg("two positions share cursor %s", all[i]);
}

static void test_foreign_list_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(offsets); i++) {
        for (size_t from = 0; from < N(lists); from++) {
            char c[BW_CURSOR_MAX];
            bw_cursor_encode(offsets[i], lists[from], c);
            for (size_t to = 0; to < N(lists); to++) {
                if (to == from)
                    continue;
                size_t got = SENTINEL;
                if (bw_cursor_decode(c, lists[to], &got))
                    fail_msg("cursor %s of list %d accepted by list %d (offset %zu)", c, lists[from], lists[to],
                             got);
                assert_int_equal(got, SENTINEL); /* untouched on failure */
            }
        }
    }
}

static void test_garbage_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "garbage", "bw1", "bw1.", "bw1.0", "bw1.0.", "bw1..", "bw1..00000000", "bw2.0.00000000",
        "BW1.0.00000000", "bw1.zz.00000000", "bw1.0.zzzzzzzz", "0", "null", "{\"offset\":0}", "bw1.0.00000000",
        "bw1.1.00000000", "bw1.ffffffffffffffffffffffff.00000000",
    };
    for (size_t i = 0; i < N(bad); i++) {
        size_t got = SENTINEL;
        for (size_t l = 0; l < N(lists); l++)
            if (bw_cursor_decode(bad[i], lists[l], &got))
                fail_msg("garbage cursor \"%s\" accepted by list %d as %zu", bad[i], lists[l], got);
        assert_int_equal(got, SENTINEL);
    }
    size_t got = SENTINEL;
    assert_false(bw_cursor_decode(NULL, 0, &got));
    assert_int_equal(got, SENTINEL);
}

static void test_truncated_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(offsets); i++) {
        char c[BW_CURSOR_MAX];
        bw_cursor_encode(offsets[i], 0, c);
        size_t len = strlen(c);
        for (size_t cut = 0; cut < len; cut++) {
            char t[BW_CURSOR_MAX];
            memcpy(t, c, cut);
            t[cut] = '\0';
            size_t got = SENTINEL;
            if (bw_cursor_decode(t, 0, &got))
                fail_msg("truncated cursor \"%s\" (of %s) accepted as %zu", t, c, got);
        }
    }
}

static void test_trailing_characters_rejected(void **state)
{
    (void)state;
    static const char *const tails[] = {"x", "0", "f", " ", "\n", ".", ".0", "%"};
    for (size_t i = 0; i < N(offsets); i++) {
        char c[BW_CURSOR_MAX];
        bw_cursor_encode(offsets[i], 2, c);
        for (size_t k = 0; k < N(tails); k++) {
            char t[2 * BW_CURSOR_MAX];
            snprintf(t, sizeof t, "%s%s", c, tails[k]);
            size_t got = SENTINEL;
            if (bw_cursor_decode(t, 2, &got))
                fail_msg("cursor with trailing \"%s\" (\"%s\") accepted as %zu", tails[k], t, got);
        }
    }
}

static void test_edited_rejected(void **state)
{
    (void)state;
    /* Change each character of a valid cursor to another hex digit: the check value must catch it. Only offsets
     * below 2^56: the check covers the low 56 bits of the offset (edits above them yield a position past the end
     * of any list, which the list methods reject on their own). */
    for (size_t i = 0; i < N(offsets); i++) {
        if (offsets[i] >> 56)
            continue;
        char c[BW_CURSOR_MAX];
        bw_cursor_encode(offsets[i], 1, c);
        size_t len = strlen(c);
        for (size_t pos = 0; pos < len; pos++) {
            char t[BW_CURSOR_MAX];
            memcpy(t, c, len + 1);
            t[pos] = t[pos] == '1' ? '2' : '1';
            size_t got = SENTINEL;
            if (bw_cursor_decode(t, 1, &got))
                fail_msg("edited cursor \"%s\" (from %s) accepted as %zu", t, c, got);
        }
    }
}

static void test_overlong_rejected(void **state)
{
    (void)state;
    char c[BW_CURSOR_MAX];
    bw_cursor_encode(7, 0, c);
    char t[4096];
    /* a valid cursor padded past the maximum */
    size_t len = strlen(c);
    memcpy(t, c, len);
    memset(t + len, '0', sizeof t - len - 1);
    t[sizeof t - 1] = '\0';
    size_t got = SENTINEL;
    assert_false(bw_cursor_decode(t, 0, &got));
    /* exactly BW_CURSOR_MAX characters of anything */
    memset(t, 'a', BW_CURSOR_MAX);
    t[BW_CURSOR_MAX] = '\0';
    assert_false(bw_cursor_decode(t, 0, &got));
    memset(t, 'a', sizeof t - 1);
    t[sizeof t - 1] = '\0';
    assert_false(bw_cursor_decode(t, 0, &got));
    assert_int_equal(got, SENTINEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encoding_is_stable_and_distinct),
        cmocka_unit_test(test_foreign_list_rejected),
        cmocka_unit_test(test_garbage_rejected),
        cmocka_unit_test(test_truncated_rejected),
        cmocka_unit_test(test_trailing_characters_rejected),
        cmocka_unit_test(test_edited_rejected),
        cmocka_unit_test(test_overlong_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
