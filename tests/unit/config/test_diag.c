/* Unit tests for src/config/diag.c: the formatted text `bulwark check` prints and the same entry taken apart
 * (bw_diag_parts_of, used by the hot reload's structured log lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/diag.h"

static void test_parts_match_the_text(void **state)
{
    (void)state;
    bw_diag *d = bw_diag_new();
    assert_non_null(d);
    bw_diag_add(d, true, "demo.yaml", 12, 7, "unknown database '%s'", "shop2");
    bw_diag_add(d, false, "demo.yaml", 3, 0, "tls_verify is false");
    bw_diag_add(d, true, "demo.yaml", 0, 5, "cannot read: %s", "No such file");
    bw_diag_add(d, false, NULL, 4, 2, "no file at all");
    assert_int_equal(bw_diag_count(d), 4);

    assert_string_equal(bw_diag_text(d, 0), "demo.yaml:12:7: unknown database 'shop2'");
    assert_string_equal(bw_diag_text(d, 1), "demo.yaml:3:1: warning: tls_verify is false");
    assert_string_equal(bw_diag_text(d, 2), "demo.yaml: cannot read: No such file");
    assert_string_equal(bw_diag_text(d, 3), "warning: no file at all");

    bw_diag_parts p;
    assert_true(bw_diag_parts_of(d, 0, &p));
    assert_string_equal(p.file, "demo.yaml");
    assert_int_equal(p.line, 12);
    assert_int_equal(p.col, 7);
    assert_string_equal(p.message, "unknown database 'shop2'");
    assert_true(p.is_error);

    assert_true(bw_diag_parts_of(d, 1, &p));
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 1); /* as the text shows it */
    assert_string_equal(p.message, "tls_verify is false");
    assert_false(p.is_error);

    assert_true(bw_diag_parts_of(d, 2, &p));
    assert_string_equal(p.file, "demo.yaml");
    assert_int_equal(p.line, 0);
    assert_int_equal(p.col, 0);
    assert_string_equal(p.message, "cannot read: No such file");

    assert_true(bw_diag_parts_of(d, 3, &p));
    assert_null(p.file);
    assert_int_equal(p.line, 0); /* a position needs a file, as in the text */
    assert_string_equal(p.message, "no file at all");

    assert_false(bw_diag_parts_of(d, 4, &p));
    assert_false(bw_diag_parts_of(NULL, 0, &p));
    bw_diag_free(d);
}

static void test_long_file_name_is_kept_whole(void **state)
{
    (void)state;
    char file[1500];
    memset(file, 'f', sizeof file - 1);
    file[sizeof file - 1] = '\0';
    bw_diag *d = bw_diag_new();
    assert_non_null(d);
    bw_diag_add(d, true, file, 1, 2, "bad");
    bw_diag_parts p;
    assert_true(bw_diag_parts_of(d, 0, &p));
    assert_string_equal(p.file, file);
    assert_string_equal(p.message, "bad");
    bw_diag_free(d);
}

static void test_only_200_entries_are_kept(void **state)
{
    (void)state;
    bw_diag *d = bw_diag_new();
    assert_non_null(d);
    for (int i = 0; i < 250; i++)
        bw_diag_add(d, true, "x.yaml", i + 1, 1, "error %d", i);
    assert_int_equal(bw_diag_count(d), 200);
    assert_int_equal(bw_diag_errors(d), 250);
    bw_diag_parts p;
    assert_true(bw_diag_parts_of(d, 199, &p));
    assert_int_equal(p.line, 200);
    assert_string_equal(p.message, "error 199");
    assert_false(bw_diag_parts_of(d, 200, &p));
    bw_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_match_the_text),
        cmocka_unit_test(test_long_file_name_is_kept_whole),
        cmocka_unit_test(test_only_200_entries_are_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
