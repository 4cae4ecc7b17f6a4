/* Unit tests for src/observability/redact.c: built-in and configured names (any case, '_'/'-' ignored, any depth,
 * any value type), credential-shaped strings, JSON held in strings, what must stay readable, and the bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "observability/log.h"
#include "observability/log_cfg.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("bad test JSON (%s): %s", e.text, text);
    return v;
}

/* Asserts bw_redact(srv, in) serializes exactly as `want`. */
static void expect(bw_server *srv, const char *in, const char *want)
{
    json_t *v = parse(in);
    json_t *r = bw_redact(srv, v);
    assert_non_null(r);
    char *got = json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY);
    if (strcmp(got, want))
        fail_msg("bw_redact(%s)\n  got  %s\n  want %s", in, got, want);
    free(got);
    json_decref(r);
    json_decref(v);
}

static void test_builtin_names(void **state)
{
    (void)state;
    expect(NULL,
           "{\"password\":\"p\",\"Password\":1,\"db_password\":\"p\",\"API-Key\":\"k\",\"apiKey\":\"k\","
           "\"x_api_key\":\"k\",\"Authorization\":\"x\",\"access_token\":\"t\",\"refresh_token\":\"t\","
           "\"githubToken\":\"t\",\"client_secret\":\"s\",\"private_key\":\"-\",\"Cookie\":\"c\",\"passwd\":\"p\","
           "\"credentials\":{\"user\":\"u\"},\"secret\":[1,2],\"auth\":true}",
           "{\"password\":\"[REDACTED]\",\"Password\":\"[REDACTED]\",\"db_password\":\"[REDACTED]\","
           "\"API-Key\":\"[REDACTED]\",\"apiKey\":\"[REDACTED]\",\"x_api_key\":\"[REDACTED]\","
           "\"Authorization\":\"[REDACTED]\",\"access_token\":\"[REDACTED]\",\"refresh_token\":\"[REDACTED]\","
           "\"githubToken\":\"[REDACTED]\",\"client_secret\":\"[REDACTED]\",\"private_key\":\"[REDACTED]\","
           "\"Cookie\":\"[REDACTED]\",\"passwd\":\"[REDACTED]\",\"credentials\":\"[REDACTED]\","
           "\"secret\":\"[REDACTED]\",\"auth\":\"[REDACTED]\"}");
}

static void test_readable_names_stay(void **state)
{
    (void)state;
    expect(NULL, "{\"max_tokens\":256,\"author\":\"Ada\",\"query\":\"select 1\",\"tokens_used\":3,\"keyword\":\"k\"}",
           "{\"max_tokens\":256,\"author\":\"Ada\",\"query\":\"select 1\",\"tokens_used\":3,\"keyword\":\"k\"}");
}

static void test_nested_and_arrays(void **state)
{
    (void)state;
    expect(NULL, "{\"a\":[{\"token\":\"t\",\"n\":1},[{\"b\":{\"password\":\"p\"}}]],\"s\":\"ok\"}",
           "{\"a\":[{\"token\":\"[REDACTED]\",\"n\":1},[{\"b\":{\"password\":\"[REDACTED]\"}}]],\"s\":\"ok\"}");
    expect(NULL, "[1,\"two\",null,true,2.5]", "[1,\"two\",null,true,2.5]");
    expect(NULL, "\"plain\"", "\"plain\"");
}

static void test_configured_names(void **state)
{
    (void)state;
    bw_server_info info = {.name = "t", .version = "1"};
    bw_server *srv = bw_server_new(&info);
    const char *names[] = {"customer_email", "SSN-Number", NULL};
    bw_logging_options o = {.redact = names};
    char err[200];
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_OK);
    expect(srv, "{\"Customer-Email\":\"a@b\",\"customerEmail\":\"a@b\",\"ssn_number\":1,\"email\":\"kept\"}",
           "{\"Customer-Email\":\"[REDACTED]\",\"customerEmail\":\"[REDACTED]\",\"ssn_number\":\"[REDACTED]\","
           "\"email\":\"kept\"}");
    /* Without the server, only the built-in rules apply. */
    expect(NULL, "{\"customer_email\":\"a@b\"}", "{\"customer_email\":\"a@b\"}");
    bw_server_free(srv);
}

static void test_credential_strings(void **state)
{
    (void)state;
    expect(NULL,
           "[\"Bearer abc.DEF-123_xyz\",\"authorization: bearer 9f8e7d6c5b4a\",\"Basic dXNlcjpwYXNz\","
           "\"sk-abcdefghijklmnopqrstuvwxyz0123\",\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\","
           "\"AKIAIOSFODNN7EXAMPLE\",\"postgres://app:s3cret@db:5432/x\","
           "\"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\","
           "\"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\"]",
           "[\"[REDACTED]\",\"[REDACTED]\",\"[REDACTED]\",\"[REDACTED]\",\"[REDACTED]\",\"[REDACTED]\","
           "\"[REDACTED]\",\"[REDACTED]\",\"[REDACTED]\"]");
    /* Ordinary prose and URLs stay. */
    expect(NULL,
           "[\"Bearer authentication failed\",\"a basic question\",\"https://example.com/a:b@c\","
           "\"http://host:8080/path\",\"ask-me-anything\",\"the task list\"]",
           "[\"Bearer authentication failed\",\"a basic question\",\"https://example.com/a:b@c\","
           "\"http://host:8080/path\",\"ask-me-anything\",\"the task list\"]");
    assert_true(bw_redact_secret_text("error: upstream said Bearer 0123456789abcdef is invalid"));
    assert_false(bw_redact_secret_text("no such order"));
    assert_false(bw_redact_secret_text(NULL));
}

static void test_json_in_strings(void **state)
{
    (void)state;
    expect(NULL, "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"password\\\":\\\"p\\\",\\\"n\\\":1}\"}]}",
           "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"password\\\":\\\"[REDACTED]\\\",\\\"n\\\":1}\"}]}");
    /* Text that only starts like JSON stays as it is. */
    expect(NULL, "{\"text\":\"{not json\"}", "{\"text\":\"{not json\"}");
}

static void test_bounds(void **state)
{
    (void)state;
    /* 100 levels deep: below 64 the containers become a marker. */
    json_t *root = json_object(), *cur = root;
    for (int i = 0; i < 100; i++) {
        json_t *next = json_object();
        json_object_set_new(cur, "d", next);
        cur = next;
    }
    json_object_set_new(cur, "password", json_string("deep"));
    json_t *r = bw_redact(NULL, root);
    char *text = json_dumps(r, JSON_COMPACT);
    assert_null(strstr(text, "deep"));
    assert_non_null(strstr(text, "[TRUNCATED]"));
    free(text);
    json_decref(r);
    json_decref(root);
    /* Many values: past the node bound the rest is a marker, never unbounded work. */
    json_t *arr = json_array();
    for (int i = 0; i < 150000; i++)
        json_array_append_new(arr, json_integer(i));
    r = bw_redact(NULL, arr);
    assert_int_equal(json_array_size(r), 150000);
    assert_string_equal(json_string_value(json_array_get(r, 149999)), "[TRUNCATED]");
    assert_int_equal(json_integer_value(json_array_get(r, 100)), 100);
    json_decref(r);
    json_decref(arr);
    assert_null(bw_redact(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_names),    cmocka_unit_test(test_readable_names_stay),
        cmocka_unit_test(test_nested_and_arrays), cmocka_unit_test(test_configured_names),
        cmocka_unit_test(test_credential_strings), cmocka_unit_test(test_json_in_strings),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
