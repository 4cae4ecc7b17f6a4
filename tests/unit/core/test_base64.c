/* Unit tests for src/core/base64.c: strict RFC 4648 decoding accepts exactly the canonical encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/base64.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct b64_case {
    const char *in;
    const char *out; /* NULL: must be rejected */
    size_t out_len;
} b64_case;

static const b64_case cases[] = {
    {"", "", 0},
    {"Zg==", "f", 1},
    {"Zm8=", "fo", 2},
    {"Zm9v", "foo", 3},
    {"Zm9vYg==", "foob", 4},
    {"Zm9vYmE=", "fooba", 5},
    {"Zm9vYmFy", "foobar", 6},
    {"SGVsbG8=", "Hello", 5},
    {"AAA=", "\0\0", 2},
    {"+/+/", "\xfb\xff\xbf", 3},
    {"SGVsbG8", NULL, 0},      /* length not a multiple of 4 */
    {"SGVsbG8==", NULL, 0},    /* too much padding */
    {"SGVs!!!bG8=", NULL, 0},  /* outside the alphabet */
    {"SGVsbG9=", NULL, 0},     /* nonzero unused bits (canonical form is SGVsbG8=) */
    {"Zh==", NULL, 0},         /* nonzero unused bits in a one-byte quantum */
    {"Zg=a", NULL, 0},         /* data after padding */
    {"Zg==Zg==", NULL, 0},     /* padding before the last quantum */
    {"Zm8=Zm9v", NULL, 0},     /* padding before the last quantum */
    {"====", NULL, 0},         /* padding only */
    {"Z===", NULL, 0},         /* three padding characters */
    {"SGVs bG8=", NULL, 0},    /* whitespace */
    {"SGVs\nbG8=", NULL, 0},   /* line break */
    {"__8=", NULL, 0},         /* URL-safe alphabet */
    {"-_8=", NULL, 0},         /* URL-safe alphabet */
    {"Zm9v\xc3\xa9===", NULL, 0}, /* non-ASCII */
};

static void test_strict_decoding(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        const b64_case *c = &cases[i];
        size_t n = strlen(c->in);
        unsigned char out[32];
        size_t len = 999;
        bool ok = bw_base64_decode_strict(c->in, n, out, &len);
        if (!c->out && ok)
            fail_msg("'%s' decoded, want rejected", c->in);
        if (c->out && !ok)
            fail_msg("'%s' rejected, want decoded", c->in);
        if (c->out && (len != c->out_len || memcmp(out, c->out, len) != 0))
            fail_msg("'%s' decoded to %zu bytes, want %zu", c->in, len, c->out_len);
        if (c->out)
            assert_true(len <= BW_BASE64_DECODED_MAX(n));
    }
}

/* An embedded NUL in the input is just a character outside the alphabet. */
static void test_embedded_nul(void **state)
{
    (void)state;
    unsigned char out[8];
    size_t len;
    assert_false(bw_base64_decode_strict("Zm\0v", 4, out, &len));
    assert_true(bw_base64_decode_strict("Zm9vXXXX", 4, out, &len)); /* only n characters are read */
    assert_int_equal(len, 3);
    assert_memory_equal(out, "foo", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_decoding),
        cmocka_unit_test(test_embedded_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
