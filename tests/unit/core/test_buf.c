/* Unit tests for src/core/buf.c: the capped byte buffer (append, consume, reset, cap, NUL termination). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/buf.h"

/* The buffer holds exactly `want` (len bytes) and a NUL right after them. */
static void assert_holds(const bw_buf *b, const char *want, size_t len)
{
    assert_int_equal(b->len, len);
    assert_non_null(b->data);
    assert_memory_equal(b->data, want, len);
    assert_int_equal(b->data[len], '\0');
    assert_true(b->alloc >= len + 1);
    assert_true(b->len <= b->cap);
}

static void test_init_is_empty(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 123);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
    assert_int_equal(b.cap, 123);
    bw_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 123);
}

static void test_append_concatenates_and_terminates(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 64);
    assert_int_equal(bw_buf_append(&b, "abc", 3), BW_OK);
    assert_holds(&b, "abc", 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(bw_buf_append(&b, "defgh", 2), BW_OK); /* only n bytes are copied */
    assert_holds(&b, "abcde", 5);
    assert_string_equal(b.data, "abcde");
    /* zero-length appends change nothing */
    assert_int_equal(bw_buf_append(&b, "zzz", 0), BW_OK);
    assert_holds(&b, "abcde", 5);
    /* embedded NUL bytes are data, not terminators */
    assert_int_equal(bw_buf_append(&b, "x\0y", 3), BW_OK);
    assert_holds(&b, "abcdex\0y", 8);
    bw_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
}

static void test_empty_append_allocates_terminator(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 16);
    assert_int_equal(bw_buf_append(&b, "", 0), BW_OK);
    assert_holds(&b, "", 0);
    assert_string_equal(b.data, "");
    bw_buf_free(&b);
}

/* Table: a sequence of appends against a cap; each step's expected status and the length after it. */
typedef struct {
    size_t n;
    bw_status want;
    size_t len_after;
} step;

typedef struct {
    const char *name;
    size_t cap;
    step steps[6];
    size_t nsteps;
} cap_case;

static const cap_case cap_cases[] = {
    {"exactly cap in one append", 8, {{8, BW_OK, 8}, {1, BW_E_LIMIT, 8}, {0, BW_OK, 8}}, 3},
    {"cap+1 in one append", 8, {{9, BW_E_LIMIT, 0}, {8, BW_OK, 8}}, 2},
    {"fill in pieces to the byte", 8, {{5, BW_OK, 5}, {4, BW_E_LIMIT, 5}, {3, BW_OK, 8}, {1, BW_E_LIMIT, 8}}, 4},
    {"cap zero", 0, {{0, BW_OK, 0}, {1, BW_E_LIMIT, 0}}, 2},
    {"cap one", 1, {{1, BW_OK, 1}, {1, BW_E_LIMIT, 1}}, 2},
    {"huge n never wraps", 8, {{3, BW_OK, 3}, {SIZE_MAX, BW_E_LIMIT, 3}, {SIZE_MAX - 2, BW_E_LIMIT, 3}}, 3},
    {"past the first growth", 1000, {{255, BW_OK, 255}, {1, BW_OK, 256}, {600, BW_OK, 856}, {145, BW_E_LIMIT, 856},
                                     {144, BW_OK, 1000}, {1, BW_E_LIMIT, 1000}}, 6},
};

static void test_cap_boundaries(void **state)
{
    (void)state;
    static char src[2048];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (char)('a' + i % 26);
    for (size_t c = 0; c < sizeof cap_cases / sizeof cap_cases[0]; c++) {
        const cap_case *k = &cap_cases[c];
        bw_buf b;
        bw_buf_init(&b, k->cap);
        for (size_t s = 0; s < k->nsteps; s++) {
            const step *st = &k->steps[s];
            size_t before = b.len;
            char *data_before = b.data;
            size_t alloc_before = b.alloc;
            /* huge sizes point at src too: they must be refused before a byte is read */
            const char *from = st->n > sizeof src - 26 ? src : src + before % 26;
            bw_status got = bw_buf_append(&b, from, st->n);
            if (got != st->want || b.len != st->len_after)
                fail_msg("%s, step %zu (n=%zu): status %d len %zu, want status %d len %zu", k->name, s, st->n, got,
                         b.len, st->want, st->len_after);
            if (got == BW_E_LIMIT) {
                /* nothing appended, nothing reallocated */
                assert_ptr_equal(b.data, data_before);
                assert_int_equal(b.alloc, alloc_before);
            }
        }
        /* whatever was accepted is intact, in order, and terminated */
        if (b.data) {
            assert_int_equal(b.data[b.len], '\0');
            size_t off = 0;
            for (size_t s = 0; s < k->nsteps; s++) {
                const step *st = &k->steps[s];
                if (st->want != BW_OK || st->n == 0 || st->n > sizeof src)
                    continue;
                size_t start = off % 26;
                if (memcmp(b.data + off, src + start, st->n) != 0)
                    fail_msg("%s: bytes of step %zu corrupted", k->name, s);
                off += st->n;
            }
            assert_int_equal(off, b.len);
        } else {
            assert_int_equal(b.len, 0);
        }
        bw_buf_free(&b);
    }
}

static void test_huge_sizes_refused_before_reading(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, SIZE_MAX);
    assert_int_equal(bw_buf_append(&b, "ab", 2), BW_OK);
    /* len + n overflows size_t: must not wrap into a small allocation */
    assert_int_equal(bw_buf_append(&b, "x", SIZE_MAX), BW_E_LIMIT);
    assert_holds(&b, "ab", 2);
    bw_buf_free(&b);
}

static void test_consume(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 64);
    assert_int_equal(bw_buf_append(&b, "hello world", 11), BW_OK);
    bw_buf_consume(&b, 0);
    assert_holds(&b, "hello world", 11);
    bw_buf_consume(&b, 6);
    assert_holds(&b, "world", 5);
    assert_string_equal(b.data, "world");
    bw_buf_consume(&b, 1);
    assert_holds(&b, "orld", 4);
    /* appending after a consume continues from the remaining bytes */
    assert_int_equal(bw_buf_append(&b, "!", 1), BW_OK);
    assert_holds(&b, "orld!", 5);
    size_t alloc = b.alloc;
    bw_buf_consume(&b, 5);
    assert_holds(&b, "", 0);
    assert_int_equal(b.alloc, alloc);
    bw_buf_free(&b);
}

static void test_consume_frees_room_under_the_cap(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 4);
    assert_int_equal(bw_buf_append(&b, "abcd", 4), BW_OK);
    assert_int_equal(bw_buf_append(&b, "e", 1), BW_E_LIMIT);
    bw_buf_consume(&b, 2);
    assert_holds(&b, "cd", 2);
    assert_int_equal(bw_buf_append(&b, "efg", 3), BW_E_LIMIT);
    assert_holds(&b, "cd", 2);
    assert_int_equal(bw_buf_append(&b, "ef", 2), BW_OK);
    assert_holds(&b, "cdef", 4);
    bw_buf_free(&b);
}

static void test_consume_on_empty(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 8);
    bw_buf_consume(&b, 0); /* no memory yet: must not touch data */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    bw_buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 600);
    char big[500];
    memset(big, 'q', sizeof big);
    assert_int_equal(bw_buf_append(&b, big, sizeof big), BW_OK);
    char *data = b.data;
    size_t alloc = b.alloc;
    assert_true(alloc >= 501);
    bw_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.alloc, alloc);
    assert_int_equal(b.data[0], '\0');
    assert_int_equal(b.cap, 600);
    /* the whole cap is available again */
    assert_int_equal(bw_buf_append(&b, big, sizeof big), BW_OK);
    assert_int_equal(bw_buf_append(&b, big, 100), BW_OK);
    assert_int_equal(b.len, 600);
    assert_int_equal(bw_buf_append(&b, "x", 1), BW_E_LIMIT);
    assert_int_equal(b.data[600], '\0');
    bw_buf_reset(&b);
    assert_holds(&b, "", 0);
    bw_buf_free(&b);

    bw_buf_init(&b, 8);
    bw_buf_reset(&b); /* never allocated: stays NULL */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    bw_buf_free(&b);
}

static void test_growth_keeps_content(void **state)
{
    (void)state;
    bw_buf b;
    bw_buf_init(&b, 1 << 20);
    char expect[10000];
    for (size_t i = 0; i < sizeof expect; i++)
        expect[i] = (char)('A' + (i * 7) % 26);
    /* odd-sized chunks cross several doublings (256, 512, ... 16384) */
    size_t off = 0;
    while (off < sizeof expect) {
        size_t n = sizeof expect - off < 37 ? sizeof expect - off : 37;
        assert_int_equal(bw_buf_append(&b, expect + off, n), BW_OK);
        off += n;
        assert_int_equal(b.len, off);
        assert_int_equal(b.data[b.len], '\0');
    }
    assert_holds(&b, expect, sizeof expect);
    assert_true(b.alloc < 2 * (sizeof expect + 1) + 256); /* grows by doubling, not wildly */
    bw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_append_concatenates_and_terminates),
        cmocka_unit_test(test_empty_append_allocates_terminator),
        cmocka_unit_test(test_cap_boundaries),
        cmocka_unit_test(test_huge_sizes_refused_before_reading),
        cmocka_unit_test(test_consume),
        cmocka_unit_test(test_consume_frees_room_under_the_cap),
        cmocka_unit_test(test_consume_on_empty),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_growth_keeps_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
