/* Unit tests for bw_schema_validate_all (collect every failure) and the x-message annotation.
 * JSON texts use single quotes; every ' becomes " before parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/schema.h"

static json_t *parse(const char *text)
{
    char *t = strdup(text);
    assert_non_null(t);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t je;
    json_t *j = json_loads(t, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", t, je.text);
    free(t);
    return j;
}

static bw_schema *compile(const char *text)
{
    json_t *j = parse(text);
    char err[256];
    bw_schema *s = bw_schema_compile(j, err, sizeof err);
    json_decref(j);
    if (!s)
        fail_msg("schema does not compile: %s", err);
    return s;
}

/* Every failure as "pointer|message" or "pointer|KEY|message", one per line. */
typedef struct {
    char text[4096];
} collected;

static void collect(void *ctx, const bw_schema_error *e)
{
    collected *c = ctx;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof c->text - n, "%s|%s%s\n", e->pointer, e->at_key ? "KEY|" : "", e->message);
}

static size_t run(const char *schema, const char *instance, size_t max, collected *out)
{
    bw_schema *s = compile(schema);
    json_t *x = parse(instance);
    out->text[0] = '\0';
    size_t n = bw_schema_validate_all(s, x, collect, out, max);
    json_decref(x);
    bw_schema_free(s);
    return n;
}

static const char *OBJ = "{'type':'object','additionalProperties':false,'required':['name','port'],"
                         "'properties':{'name':{'type':'string'},'port':{'type':'integer','maximum':65535},"
                         "'tags':{'type':'array','items':{'type':'string','minLength':1}}}}";

static void test_valid_reports_nothing(void **state)
{
    (void)state;
    collected c;
    assert_int_equal(run(OBJ, "{'name':'a','port':1,'tags':['x']}", 100, &c), 0);
    assert_string_equal(c.text, "");
}

static void test_siblings_items_and_keywords_all_reported(void **state)
{
    (void)state;
    collected c;
    size_t n = run(OBJ, "{'name':5,'port':70000,'tags':['ok','',3],'extra':1,'zz':2}", 100, &c);
    assert_int_equal(n, 6);
    assert_string_equal(c.text, "/name|expected string, got integer\n"
                                "/port|70000 is greater than maximum 65535\n"
                                "/tags/1|length 0 is less than minLength 1\n"
                                "/tags/2|expected string, got integer\n"
                                "/extra|KEY|unknown key 'extra' (expected one of: name, port, tags)\n"
                                "/zz|KEY|unknown key 'zz' (expected one of: name, port, tags)\n");
}

static void test_every_missing_required(void **state)
{
    (void)state;
    collected c;
    assert_int_equal(run(OBJ, "{}", 100, &c), 2);
    assert_string_equal(c.text, "|missing required property \"name\"\n|missing required property \"port\"\n");
}

static void test_max_errors_caps_the_walk(void **state)
{
    (void)state;
    collected c;
    assert_int_equal(run("{'type':'array','items':{'type':'string'}}", "[1,2,3,4,5]", 3, &c), 3);
    assert_string_equal(c.text, "/0|expected string, got integer\n/1|expected string, got integer\n"
                                "/2|expected string, got integer\n");
}

static void test_pointer_escapes_keys(void **state)
{
    (void)state;
    collected c;
    assert_int_equal(run("{'additionalProperties':{'type':'integer'}}", "{'a/b~c':'x'}", 10, &c), 1);
    assert_string_equal(c.text, "/a~1b~0c|expected integer, got string\n");
}

static void test_combinators_report_once(void **state)
{
    (void)state;
    collected c;
    const char *schema = "{'properties':{'v':{'anyOf':[{'type':'string'},{'type':'integer','minimum':10}]}}}";
    assert_int_equal(run(schema, "{'v':3}", 10, &c), 1);
    assert_string_equal(c.text, "/v|does not match any schema in anyOf\n");
}

static void test_x_message_replaces_one_of_text(void **state)
{
    (void)state;
    const char *schema = "{'x-message':'needs exactly one of a, b','oneOf':[{'required':['a']},{'required':['b']}]}";
    collected c;
    assert_int_equal(run(schema, "{}", 10, &c), 1);
    assert_string_equal(c.text, "|needs exactly one of a, b\n");
    assert_int_equal(run(schema, "{'a':1,'b':2}", 10, &c), 1);
    assert_string_equal(c.text, "|needs exactly one of a, b\n");
    assert_int_equal(run(schema, "{'a':1}", 10, &c), 0);
    /* The first-failure validator uses it too. */
    bw_schema *s = compile(schema);
    json_t *x = parse("{}");
    char err[128];
    assert_false(bw_schema_validate(s, x, err, sizeof err));
    assert_string_equal(err, "$: needs exactly one of a, b");
    json_decref(x);
    bw_schema_free(s);
}

static void test_x_message_must_be_a_string(void **state)
{
    (void)state;
    json_t *j = parse("{'x-message':3,'oneOf':[true]}");
    char err[256];
    assert_null(bw_schema_compile(j, err, sizeof err));
    assert_string_equal(err, "#/x-message: x-message must be a non-empty string");
    json_decref(j);
}

static void test_property_names_reported_at_the_key(void **state)
{
    (void)state;
    collected c;
    const char *schema = "{'propertyNames':{'pattern':'^[a-z]+$'},'additionalProperties':{'type':'object'}}";
    assert_int_equal(run(schema, "{'ok':{},'Bad Name':{},'x':1}", 10, &c), 2);
    assert_string_equal(c.text, "/Bad Name|KEY|invalid key 'Bad Name' (must match \"^[a-z]+$\")\n"
                                "/x|expected object, got integer\n");
}

static void test_refs_and_nested_objects(void **state)
{
    (void)state;
    const char *schema = "{'$defs':{'item':{'type':'object','additionalProperties':false,'required':['id'],"
                         "'properties':{'id':{'type':'integer'}}}},"
                         "'type':'object','properties':{'items':{'type':'array','items':{'$ref':'#/$defs/item'}}}}";
    collected c;
    assert_int_equal(run(schema, "{'items':[{'id':1},{'idd':2},{'id':'x'}]}", 10, &c), 3);
    assert_string_equal(c.text, "/items/1|missing required property \"id\"\n"
                                "/items/1/idd|KEY|unknown key 'idd' (expected one of: id)\n"
                                "/items/2/id|expected integer, got string\n");
}

static void test_first_failure_unchanged(void **state)
{
    (void)state;
    bw_schema *s = compile(OBJ);
    json_t *x = parse("{'name':5,'port':70000,'extra':1}");
    char err[128];
    assert_false(bw_schema_validate(s, x, err, sizeof err));
    assert_string_equal(err, "$.name: expected string, got integer");
    json_decref(x);
    x = parse("{'name':'a','port':1,'extra':1}");
    assert_false(bw_schema_validate(s, x, err, sizeof err));
    assert_string_equal(err, "$.extra: additional property not allowed");
    json_decref(x);
    bw_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_reports_nothing),
        cmocka_unit_test(test_siblings_items_and_keywords_all_reported),
        cmocka_unit_test(test_every_missing_required),
        cmocka_unit_test(test_max_errors_caps_the_walk),
        cmocka_unit_test(test_pointer_escapes_keys),
        cmocka_unit_test(test_combinators_report_once),
        cmocka_unit_test(test_x_message_replaces_one_of_text),
        cmocka_unit_test(test_x_message_must_be_a_string),
        cmocka_unit_test(test_property_names_reported_at_the_key),
        cmocka_unit_test(test_refs_and_nested_objects),
        cmocka_unit_test(test_first_failure_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
