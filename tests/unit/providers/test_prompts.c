/* Unit tests for the prompts provider (src/providers/prompts*.c): listing, rendering with typed arguments, argument
 * errors (missing, wrong type, bad enum, unknown), embedded resources read through the files catalog, completion of
 * enum arguments, and configuration errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "providers/files.h"
#include "providers/prompts.h"
#include "providers/prompts_args.h"
#include "test_files_fixture.h"

static const char *analyze_json =
    "{\"name\":\"analyze\",\"title\":\"Analyze\",\"description\":\"Analyze a customer\","
    "\"arguments\":["
    "{\"name\":\"customer_id\",\"type\":\"integer\",\"required\":true,\"description\":\"Customer id\"},"
    "{\"name\":\"period\",\"enum\":[\"week\",\"month\",\"quarter\"]},"
    "{\"name\":\"verbose\",\"type\":\"boolean\"},"
    "{\"name\":\"ratio\",\"type\":\"number\",\"title\":\"Ratio\"},"
    "{\"name\":\"note\"}],"
    "\"messages\":["
    "{\"role\":\"user\",\"text\":\"Analyze customer {{customer_id}} over the last {{ period }} (verbose: "
    "{{verbose}}, ratio {{ratio}}).\"},"
    "{\"role\":\"user\",\"resource\":\"notes://schema\"},"
    "{\"role\":\"assistant\",\"text\":\"Noted: {{note}}\"}]}";

static bw_files_catalog *setup_catalog(fixture *f)
{
    put_text(f, "docs/schema.md", "# Schema\n");
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    assert_non_null(cat);
    const char *entries[] = {"{\"uri\":\"notes://schema\",\"text\":\"customers(id, name)\"}",
                             "{\"uri\":\"file://schema\",\"file\":\"docs/schema.md\"}"};
    for (size_t i = 0; i < 2; i++) {
        json_t *e = parse_json(entries[i]);
        assert_int_equal(bw_files_resource_build(f->b, cat, e), BW_OK);
        json_decref(e);
    }
    json_t *t =
        parse_json("{\"uri_template\":\"doc://{n}\",\"name\":\"d\",\"directory\":\"docs\",\"path\":\"{n}.md\"}");
    assert_int_equal(bw_files_template_build(f->b, cat, t), BW_OK);
    json_decref(t);
    return cat;
}

static void build_prompt(fixture *f, const bw_files_catalog *cat, const char *json)
{
    json_t *entry = parse_json(json);
    if (bw_prompt_build(f->b, cat, entry) != BW_OK)
        fail_msg("prompt build failed:\n%s", diag_all(f));
    json_decref(entry);
}

/* prompts/get with arguments given as a JSON object text; the whole response (caller owns). */
static json_t *get_prompt(fixture *f, const char *name, const char *args)
{
    json_t *params = json_pack("{s:s}", "name", name);
    if (args)
        json_object_set_new(params, "arguments", parse_json(args));
    return harness_request(f->h, "prompts/get", params);
}

static void test_listing(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    build_prompt(f, setup_catalog(f), analyze_json);
    fixture_serve(f);
    json_t *resp = harness_request(f->h, "prompts/list", json_object());
    assert_json_eq(json_object_get(json_object_get(resp, "result"), "prompts"),
                   "[{\"name\":\"analyze\",\"title\":\"Analyze\",\"description\":\"Analyze a customer\","
                   "\"arguments\":[{\"name\":\"customer_id\",\"description\":\"Customer id\",\"required\":true},"
                   "{\"name\":\"period\",\"required\":false},{\"name\":\"verbose\",\"required\":false},"
                   "{\"name\":\"ratio\",\"title\":\"Ratio\",\"required\":false},"
                   "{\"name\":\"note\",\"required\":false}]}]",
                   "prompts/list");
    json_decref(resp);
    fixture_free(f);
}

static void test_render_with_embedded_resource(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    build_prompt(f, setup_catalog(f), analyze_json);
    fixture_serve(f);
    json_t *resp = get_prompt(f, "analyze", "{\"customer_id\":\"-42\",\"period\":\"month\",\"verbose\":\"true\","
                                            "\"ratio\":\"1.5e3\",\"note\":\"{{customer_id}} stays literal\"}");
    assert_json_eq(json_object_get(resp, "result"),
                   "{\"description\":\"Analyze a customer\",\"messages\":["
                   "{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"Analyze customer -42 over the last "
                   "month (verbose: true, ratio 1.5e3).\"}},"
                   "{\"role\":\"user\",\"content\":{\"type\":\"resource\",\"resource\":{\"uri\":\"notes://schema\","
                   "\"mimeType\":\"text/plain\",\"text\":\"customers(id, name)\"}}},"
                   "{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"Noted: {{customer_id}} stays "
                   "literal\"}}]}",
                   "prompts/get");
    json_decref(resp);
    /* optional arguments left out (or sent empty by a form) render as "" */
    resp = get_prompt(f, "analyze", "{\"customer_id\":\"7\",\"ratio\":\"\"}");
    json_t *first = json_array_get(json_object_get(json_object_get(resp, "result"), "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "content"), "text")),
                        "Analyze customer 7 over the last  (verbose: , ratio ).");
    json_decref(resp);
    fixture_free(f);
}

static void expect_invalid(fixture *f, const char *args, const char *message)
{
    json_t *resp = get_prompt(f, "analyze", args);
    if (error_code(resp) != -32602 || strcmp(error_message(resp), message) != 0)
        fail_msg("arguments %s:\n got  %s\n want -32602 %s", args, json_dumps(resp, JSON_COMPACT), message);
    json_decref(resp);
}

static void test_argument_errors(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    build_prompt(f, setup_catalog(f), analyze_json);
    fixture_serve(f);
    expect_invalid(f, "{}", "Invalid params: prompt analyze is missing required argument \"customer_id\"");
    expect_invalid(f, "{\"customer_id\":\"\"}", "Invalid params: argument \"customer_id\" must be an integer");
    const char *not_integers[] = {"12a", "1.5", " 1", "+1", "1e3", "99999999999999999999", "0x10", "-"};
    for (size_t i = 0; i < sizeof not_integers / sizeof not_integers[0]; i++) {
        char args[128];
        snprintf(args, sizeof args, "{\"customer_id\":\"%s\"}", not_integers[i]);
        expect_invalid(f, args, "Invalid params: argument \"customer_id\" must be an integer");
    }
    expect_invalid(f, "{\"customer_id\":\"1\",\"period\":\"year\"}",
                   "Invalid params: argument \"period\" must be one of: week, month, quarter");
    expect_invalid(f, "{\"customer_id\":\"1\",\"period\":\"Month\"}",
                   "Invalid params: argument \"period\" must be one of: week, month, quarter");
    expect_invalid(f, "{\"customer_id\":\"1\",\"verbose\":\"yes\"}",
                   "Invalid params: argument \"verbose\" must be true or false");
    expect_invalid(f, "{\"customer_id\":\"1\",\"ratio\":\"1e999\"}",
                   "Invalid params: argument \"ratio\" must be a number");
    expect_invalid(f, "{\"customer_id\":\"1\",\"ratio\":\"nan\"}",
                   "Invalid params: argument \"ratio\" must be a number");
    expect_invalid(f, "{\"customer_id\":\"1\",\"bogus\":\"x\"}",
                   "Invalid params: prompt analyze has no argument \"bogus\"");
    expect_invalid(f, "{\"customer_id\":1}", "Invalid params: prompt argument \"customer_id\" must be a string");
    fixture_free(f);
}

static void test_types(void **state)
{
    (void)state;
    static const struct {
        bw_parg_type type;
        const char *value;
        bool ok;
    } rows[] = {
        {BW_PARG_INTEGER, "0", true},          {BW_PARG_INTEGER, "-9223372036854775808", true},
        {BW_PARG_INTEGER, "9223372036854775808", false}, {BW_PARG_INTEGER, "", false},
        {BW_PARG_INTEGER, "1 ", false},        {BW_PARG_NUMBER, "3", true},
        {BW_PARG_NUMBER, "-0.25", true},       {BW_PARG_NUMBER, "6.02E23", true},
        {BW_PARG_NUMBER, "1e-5", true},        {BW_PARG_NUMBER, ".5", false},
        {BW_PARG_NUMBER, "5.", false},         {BW_PARG_NUMBER, "inf", false},
        {BW_PARG_NUMBER, "0x1p3", false},      {BW_PARG_NUMBER, "1e", false},
        {BW_PARG_BOOLEAN, "true", true},       {BW_PARG_BOOLEAN, "false", true},
        {BW_PARG_BOOLEAN, "True", false},      {BW_PARG_BOOLEAN, "1", false},
        {BW_PARG_STRING, "", true},            {BW_PARG_STRING, "anything", true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (bw_parg_type_ok(rows[i].type, rows[i].value) != rows[i].ok)
            fail_msg("type %d, value '%s': expected %s", rows[i].type, rows[i].value, rows[i].ok ? "ok" : "refused");
}

static void test_embedded_resource_read_at_get_time(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    build_prompt(f, setup_catalog(f),
                 "{\"name\":\"schema\",\"messages\":[{\"role\":\"user\",\"resource\":\"file://schema\"},"
                 "{\"role\":\"user\",\"resource\":\"doc://schema\"}]}");
    fixture_serve(f);
    json_t *resp = get_prompt(f, "schema", NULL);
    assert_json_eq(json_object_get(resp, "result"),
                   "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"resource\",\"resource\":{\"uri\":"
                   "\"file://schema\",\"mimeType\":\"text/markdown\",\"text\":\"# Schema\\n\"}}},"
                   "{\"role\":\"user\",\"content\":{\"type\":\"resource\",\"resource\":{\"uri\":\"doc://schema\","
                   "\"mimeType\":\"text/markdown\",\"text\":\"# Schema\\n\"}}}]}",
                   "embedded file and template resources");
    json_decref(resp);
    put_text(f, "docs/schema.md", "# Schema v2\n"); /* read on every get */
    resp = get_prompt(f, "schema", NULL);
    json_t *first = json_array_get(json_object_get(json_object_get(resp, "result"), "messages"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(first, "content"), "resource"), "text")),
        "# Schema v2\n");
    json_decref(resp);
    assert_int_equal(unlink(fixture_path(f, "docs/schema.md")), 0);
    resp = get_prompt(f, "schema", NULL);
    assert_int_equal(error_code(resp), -32603);
    assert_string_equal(error_message(resp),
                        "Internal error: prompt schema failed: embedded resource file://schema: not found");
    json_decref(resp);
    fixture_free(f);
}

static void test_rendered_size_is_bounded(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    bw_limits limits = {.max_message_bytes = 1024};
    assert_int_equal(bw_server_set_limits(f->srv, &limits), BW_OK);
    build_prompt(f, setup_catalog(f),
                 "{\"name\":\"echo\",\"arguments\":[{\"name\":\"a\"}],\"messages\":[{\"role\":\"user\","
                 "\"text\":\"{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}\"}]}");
    fixture_serve(f);
    char args[256];
    snprintf(args, sizeof args, "{\"a\":\"%0100d\"}", 0);
    json_t *resp = get_prompt(f, "echo", args);
    assert_int_equal(error_code(resp), -32602);
    assert_string_equal(error_message(resp),
                        "Invalid params: message 1 of prompt echo would exceed 1024 bytes with these arguments");
    json_decref(resp);
    resp = get_prompt(f, "echo", "{\"a\":\"ab\"}");
    json_t *first = json_array_get(json_object_get(json_object_get(resp, "result"), "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "content"), "text")),
                        "abababababababababababab");
    json_decref(resp);
    fixture_free(f);
}

static json_t *complete(fixture *f, const char *prompt, const char *arg, const char *value)
{
    json_t *params = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "ref", "type", "ref/prompt", "name", prompt, "argument",
                               "name", arg, "value", value);
    return harness_request(f->h, "completion/complete", params);
}

static void test_completion(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    bw_files_catalog *cat = setup_catalog(f);
    build_prompt(f, cat, analyze_json);
    build_prompt(f, cat,
                 "{\"name\":\"tone\",\"arguments\":[{\"name\":\"style\",\"enum\":[\"formal\",\"friendly\",\"terse\"]}],"
                 "\"messages\":[{\"role\":\"user\",\"text\":\"Be {{style}}.\"}]}");
    fixture_serve(f);
    static const struct {
        const char *prompt, *arg, *value, *want;
    } rows[] = {
        {"analyze", "period", "m", "{\"completion\":{\"values\":[\"month\"],\"total\":1}}"},
        {"analyze", "period", "", "{\"completion\":{\"values\":[\"week\",\"month\",\"quarter\"],\"total\":3}}"},
        {"analyze", "period", "Q", "{\"completion\":{\"values\":[\"quarter\"],\"total\":1}}"},
        {"analyze", "period", "x", "{\"completion\":{\"values\":[],\"total\":0}}"},
        {"analyze", "customer_id", "1", "{\"completion\":{\"values\":[]}}"},
        {"tone", "style", "f", "{\"completion\":{\"values\":[\"formal\",\"friendly\"],\"total\":2}}"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *resp = complete(f, rows[i].prompt, rows[i].arg, rows[i].value);
        assert_json_eq(json_object_get(resp, "result"), rows[i].want, rows[i].value);
        json_decref(resp);
    }
    json_t *resp = complete(f, "nope", "period", "");
    assert_int_equal(error_code(resp), -32602);
    json_decref(resp);
    fixture_free(f);
}

static void expect_build_error(const char *json, const char *message)
{
    fixture *f = fixture_new();
    bw_files_catalog *cat = setup_catalog(f);
    json_t *entry = parse_json(json);
    assert_int_not_equal(bw_prompt_build(f->b, cat, entry), BW_OK);
    assert_diag_has(f, message);
    json_decref(entry);
    fixture_free(f);
}

static void test_config_errors(void **state)
{
    (void)state;
    expect_build_error("{\"name\":\"p\",\"arguments\":[{\"name\":\"a\"}],\"messages\":[{\"role\":\"user\","
                       "\"text\":\"{{a}} and {{b}}\"}]}",
                       "test.yaml: placeholder {{b}} names no declared argument (expected one of the prompt's "
                       "arguments)");
    expect_build_error("{\"name\":\"p\",\"messages\":[{\"role\":\"user\",\"text\":\"{{1x}}\"}]}",
                       "test.yaml: invalid placeholder name after '{{' (expected a letter or '_')");
    expect_build_error("{\"name\":\"p\",\"messages\":[{\"role\":\"user\",\"resource\":\"notes://nope\"}]}",
                       "test.yaml: resource 'notes://nope' is not defined by resources or resource_templates");
    expect_build_error("{\"name\":\"p\",\"arguments\":[{\"name\":\"n\",\"type\":\"integer\",\"enum\":[\"1\",\"x\"]}],"
                       "\"messages\":[{\"role\":\"user\",\"text\":\"{{n}}\"}]}",
                       "test.yaml: enum value 'x' of argument 'n' is not of its type integer");
    expect_build_error("{\"name\":\"p\",\"arguments\":[{\"name\":\"a\"},{\"name\":\"a\"}],"
                       "\"messages\":[{\"role\":\"user\",\"text\":\"x\"}]}",
                       "test.yaml: argument 'a' is declared twice");
    fixture *f = fixture_new();
    bw_files_catalog *cat = setup_catalog(f);
    json_t *entry = parse_json("{\"name\":\"p\",\"messages\":[{\"role\":\"user\",\"text\":\"x\"}]}");
    assert_int_equal(bw_prompt_build(f->b, cat, entry), BW_OK);
    assert_int_equal(bw_prompt_build(f->b, cat, entry), BW_E_EXISTS);
    assert_diag_has(f, "test.yaml: prompt 'p' is defined twice");
    json_decref(entry);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_render_with_embedded_resource),
        cmocka_unit_test(test_argument_errors),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_embedded_resource_read_at_get_time),
        cmocka_unit_test(test_rendered_size_is_bounded),
        cmocka_unit_test(test_completion),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
