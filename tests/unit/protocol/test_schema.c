/* Unit tests for src/protocol/schema*.c: JSON Schema compile, validate, defaults, limits, threads.
 *
 * Tables use single quotes for JSON text to stay readable: every ' becomes " before parsing (and in
 * expected messages), so a literal apostrophe must be written as \u0027 inside JSON strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/schema.h"

#define D07 "'$schema':'http://json-schema.org/draft-07/schema#',"

typedef struct {
    const char *schema;
    const char *instance;
    bool valid;
    const char *msg; /* substring expected in the error when !valid */
} row;

typedef struct {
    const char *schema;
    const char *msg; /* substring expected in the compile error */
} bad_schema;

static char *dq(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    assert_non_null(out);
    for (size_t i = 0; i <= n; i++)
        out[i] = s[i] == '\'' ? '"' : s[i];
    return out;
}

static json_t *parse(const char *text)
{
    char *t = dq(text);
    json_error_t je;
    json_t *j = json_loads(t, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", t, je.text);
    free(t);
    return j;
}

/* Compiles and drops the caller's reference at once: the compiled schema must hold its own. */
static bw_schema *compile(const char *text)
{
    json_t *j = parse(text);
    char err[256];
    bw_schema *s = bw_schema_compile(j, err, sizeof err);
    json_decref(j);
    if (!s)
        fail_msg("schema %s does not compile: %s", text, err);
    return s;
}

static void check_row(const row *r)
{
    bw_schema *s = compile(r->schema);
    json_t *inst = parse(r->instance);
    char err[512];
    bool ok = bw_schema_validate(s, inst, err, sizeof err);
    if (ok != r->valid)
        fail_msg("schema %s, instance %s: expected %s, got %s (%s)", r->schema, r->instance,
                 r->valid ? "valid" : "invalid", ok ? "valid" : "invalid", err);
    if (r->valid && err[0])
        fail_msg("valid instance left an error: %s", err);
    if (!r->valid && r->msg) {
        char *want = dq(r->msg);
        if (!strstr(err, want))
            fail_msg("schema %s, instance %s: error \"%s\" lacks \"%s\"", r->schema, r->instance, err, want);
        free(want);
    }
    json_decref(inst);
    bw_schema_free(s);
}

#define RUN(rows)                                                                                                \
    do {                                                                                                         \
        for (size_t i_ = 0; i_ < sizeof(rows) / sizeof((rows)[0]); i_++)                                         \
            check_row(&(rows)[i_]);                                                                              \
    } while (0)

/* Exact message, not a substring: pins the "<path>: <reason>" format. */
static void expect_error(const char *schema, const char *instance, const char *exact)
{
    bw_schema *s = compile(schema);
    json_t *inst = parse(instance);
    char err[512];
    assert_false(bw_schema_validate(s, inst, err, sizeof err));
    char *want = dq(exact);
    assert_string_equal(err, want);
    free(want);
    json_decref(inst);
    bw_schema_free(s);
}

/* ---- keyword tables ---- */

static void test_type(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'type':'integer'}", "5", true, NULL},
        {"{'type':'integer'}", "1.0", true, NULL},
        {"{'type':'integer'}", "-0.0", true, NULL},
        {"{'type':'integer'}", "1.5", false, "$: expected integer, got number"},
        {"{'type':'integer'}", "'5'", false, "$: expected integer, got string"},
        {"{'type':'number'}", "7", true, NULL},
        {"{'type':'number'}", "7.25", true, NULL},
        {"{'type':'number'}", "true", false, "$: expected number, got boolean"},
        {"{'type':'string'}", "''", true, NULL},
        {"{'type':'string'}", "null", false, "$: expected string, got null"},
        {"{'type':'object'}", "[]", false, "$: expected object, got array"},
        {"{'type':'array'}", "{}", false, "$: expected array, got object"},
        {"{'type':'boolean'}", "false", true, NULL},
        {"{'type':'boolean'}", "0", false, "expected boolean, got integer"},
        {"{'type':'null'}", "null", true, NULL},
        {"{'type':['string','null']}", "null", true, NULL},
        {"{'type':['string','null']}", "3", false, "$: expected string or null, got integer"},
        {"{'type':['null','number','string']}", "{}", false, "$: expected string, number or null, got object"},
    };
    RUN(rows);
}

static void test_enum_const(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'enum':['red','green',1]}", "'red'", true, NULL},
        {"{'enum':['red','green',1]}", "1.0", true, NULL},
        {"{'enum':['red','green',1]}", "'blue'", false, "$: 'blue' is not one of the enum values 'red', 'green', 1"},
        {"{'enum':['red','green',1]}", "'Red'", false, "is not one of the enum values"},
        {"{'enum':[{'a':[1,2]}]}", "{'a':[1.0,2]}", true, NULL},
        {"{'enum':[{'a':[1,2]}]}", "{'a':[2,1]}", false, "object is not one of the enum values object"},
        {"{'enum':[null]}", "false", false, "false is not one of the enum values null"},
        {"{'const':1}", "1.0", true, NULL},
        {"{'const':1}", "2", false, "$: 2 is not equal to const 1"},
        {"{'const':1}", "'1'", false, "$: '1' is not equal to const 1"},
        {"{'const':{'a':null,'b':[true]}}", "{'b':[true],'a':null}", true, NULL},
        {"{'const':{'a':null}}", "{'a':null,'b':1}", false, "is not equal to const"},
        {"{'const':null}", "null", true, NULL},
        {"{'const':null}", "false", false, "false is not equal to const null"},
        {"{'const':9007199254740993}", "9007199254740992", false, "is not equal to const"},
    };
    RUN(rows);
}

static void test_numbers(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'minimum':18}", "18", true, NULL},
        {"{'minimum':18}", "17", false, "$: 17 is less than minimum 18"},
        {"{'minimum':18}", "17.5", false, "$: 17.5 is less than minimum 18"},
        {"{'minimum':18}", "'x'", true, NULL},
        {"{'minimum':0.1}", "0.05", false, "0.05 is less than minimum 0.1"},
        {"{'maximum':10}", "10.0", true, NULL},
        {"{'maximum':10}", "10.5", false, "$: 10.5 is greater than maximum 10"},
        {"{'exclusiveMinimum':0}", "0", false, "$: 0 is not greater than exclusiveMinimum 0"},
        {"{'exclusiveMinimum':0}", "0.0001", true, NULL},
        {"{'exclusiveMaximum':1.5}", "1.5", false, "$: 1.5 is not less than exclusiveMaximum 1.5"},
        {"{'exclusiveMaximum':1.5}", "1", true, NULL},
        {"{" D07 "'exclusiveMinimum':5}", "5", false, "is not greater than exclusiveMinimum 5"},
        {"{" D07 "'exclusiveMaximum':5}", "4.9", true, NULL},
        /* beyond 2^53: a double comparison would call these equal */
        {"{'maximum':9007199254740993}", "9007199254740993", true, NULL},
        {"{'maximum':9007199254740993}", "9007199254740994", false, "greater than maximum 9007199254740993"},
        {"{'minimum':9007199254740993}", "9007199254740992.0", false, "is less than minimum"},
        {"{'multipleOf':2}", "4", true, NULL},
        {"{'multipleOf':2}", "4.0", true, NULL},
        {"{'multipleOf':2}", "7", false, "$: 7 is not a multipleOf 2"},
        {"{'multipleOf':0.1}", "0.3", true, NULL},
        {"{'multipleOf':0.1}", "0.35", false, "0.35 is not a multipleOf 0.1"},
        {"{'multipleOf':0.01}", "19.99", true, NULL},
        {"{'multipleOf':1.5}", "4.5", true, NULL},
        {"{'multipleOf':1.5}", "4", false, "4 is not a multipleOf 1.5"},
        {"{'multipleOf':3}", "-9223372036854775807", false, "not a multipleOf 3"},
    };
    RUN(rows);
}

static void test_strings(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'minLength':3}", "'abc'", true, NULL},
        {"{'minLength':3}", "'ab'", false, "$: length 2 is less than minLength 3"},
        {"{'maxLength':3}", "'abcd'", false, "$: length 4 is greater than maxLength 3"},
        {"{'maxLength':3}", "12345", true, NULL},
        /* code points, not bytes: é is 2 bytes, € 3, 😀 4 */
        {"{'maxLength':2}", "'\xc3\xa9\xe2\x82\xac'", true, NULL},
        {"{'maxLength':2}", "'\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'", false, "length 3 is greater than maxLength 2"},
        {"{'minLength':2}", "'\xf0\x9f\x98\x80'", false, "length 1 is less than minLength 2"},
        {"{'minLength':1}", "'\\u0000'", true, NULL},
        {"{'pattern':'^[a-z]+$'}", "'abc'", true, NULL},
        {"{'pattern':'^[a-z]+$'}", "'ab1'", false, "$: 'ab1' does not match pattern '^[a-z]+$'"},
        {"{'pattern':'b'}", "'abc'", true, NULL}, /* unanchored search */
        {"{'pattern':'^a$'}", "'a\\n'", false, "does not match pattern"}, /* ECMA: $ is end of input */
        {"{'pattern':'^\\\\u00e9$'}", "'\xc3\xa9'", true, NULL},        /* ECMA \\uXXXX escape */
        {"{'pattern':'^.{2}$'}", "'\xc3\xa9\xe2\x82\xac'", true, NULL},  /* UTF mode: . is a code point */
        {"{'pattern':'^\\\\d+$'}", "'\xd9\xa1\xd9\xa2'", false, "does not match"}, /* \\d is ASCII only */
        {"{'pattern':'^\\\\p{L}+$'}", "'\xc3\xa9t\xc3\xa9'", true, NULL},
        {"{'pattern':'x'}", "5", true, NULL},
        /* catastrophic backtracking is cut off by the match limit instead of pinning a worker */
        {"{'pattern':'^(a|aa)+$'}", "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'", false,
         "could not be matched against pattern '^(a|aa)+$' (match limit exceeded)"},
    };
    RUN(rows);
}

static void test_formats(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'format':'email'}", "'a@b.com'", true, NULL},
        {"{'format':'email'}", "'first.last+tag@sub.example.org'", true, NULL},
        {"{'format':'email'}", "'user@localhost'", true, NULL},
        {"{'format':'email'}", "'a@[127.0.0.1]'", true, NULL},
        {"{'format':'email'}", "'x'", false, "$: 'x' is not a valid email"},
        {"{'format':'email'}", "'a b@c.com'", false, "is not a valid email"},
        {"{'format':'email'}", "'a@'", false, "is not a valid email"},
        {"{'format':'email'}", "'.a@b.com'", false, "is not a valid email"},
        {"{'format':'email'}", "'a..b@c.com'", false, "is not a valid email"},
        {"{'format':'email'}", "'a@b@c.com'", false, "is not a valid email"},
        {"{'format':'email'}", "'a@-b.com'", false, "is not a valid email"},
        {"{'format':'email'}", "5", true, NULL},
        {"{'format':'date-time'}", "'2024-02-29T12:00:00Z'", true, NULL},
        {"{'format':'date-time'}", "'2024-01-01t00:00:00.123+05:30'", true, NULL},
        {"{'format':'date-time'}", "'2016-12-31T23:59:60Z'", true, NULL},
        {"{'format':'date-time'}", "'2016-12-31T15:59:60-08:00'", true, NULL},
        {"{'format':'date-time'}", "'2016-12-31T23:58:60Z'", false, "is not a valid date-time"},
        {"{'format':'date-time'}", "'2023-02-29T12:00:00Z'", false, "is not a valid date-time"},
        {"{'format':'date-time'}", "'2024-01-01 00:00:00Z'", false, "is not a valid date-time"},
        {"{'format':'date-time'}", "'2024-01-01T24:00:00Z'", false, "is not a valid date-time"},
        {"{'format':'date-time'}", "'2024-01-01T00:00:00'", false, "is not a valid date-time"},
        {"{'format':'date-time'}", "'2024-01-01T00:00:00.Z'", false, "is not a valid date-time"},
        {"{'format':'date-time'}", "'2024-01-01T00:00:00+24:00'", false, "is not a valid date-time"},
        {"{'format':'date'}", "'2000-02-29'", true, NULL},
        {"{'format':'date'}", "'1900-02-29'", false, "is not a valid date"},
        {"{'format':'date'}", "'2024-13-01'", false, "is not a valid date"},
        {"{'format':'date'}", "'2024-1-01'", false, "is not a valid date"},
        {"{'format':'time'}", "'08:30:00Z'", true, NULL},
        {"{'format':'time'}", "'08:30:00'", false, "is not a valid time"},
        {"{'format':'uri'}", "'https://example.com/a?b=c#d'", true, NULL},
        {"{'format':'uri'}", "'urn:isbn:0451450523'", true, NULL},
        {"{'format':'uri'}", "'mailto:a@b.c'", true, NULL},
        {"{'format':'uri'}", "'http://[::1]:8080/x%20y'", true, NULL},
        {"{'format':'uri'}", "'//example.com/x'", false, "is not a valid uri"},
        {"{'format':'uri'}", "'example.com'", false, "is not a valid uri"},
        {"{'format':'uri'}", "'http://exa mple.com/'", false, "is not a valid uri"},
        {"{'format':'uri'}", "'http://host:80a/'", false, "is not a valid uri"},
        {"{'format':'uri'}", "'http://a/%zz'", false, "is not a valid uri"},
        {"{'format':'uri'}", "'http://a/b#c#d'", false, "is not a valid uri"},
        {"{'format':'uuid'}", "'123e4567-e89b-12d3-a456-426614174000'", true, NULL},
        {"{'format':'uuid'}", "'123e4567e89b12d3a456426614174000'", false, "is not a valid uuid"},
        {"{'format':'uuid'}", "'123e4567-e89b-12d3-a456-42661417400g'", false, "is not a valid uuid"},
        {"{'format':'ipv4'}", "'192.168.0.1'", true, NULL},
        {"{'format':'ipv4'}", "'0.0.0.0'", true, NULL},
        {"{'format':'ipv4'}", "'192.168.00.1'", false, "is not a valid ipv4"},
        {"{'format':'ipv4'}", "'256.1.1.1'", false, "is not a valid ipv4"},
        {"{'format':'ipv4'}", "'1.2.3'", false, "is not a valid ipv4"},
        {"{'format':'ipv4'}", "'1.2.3.4.5'", false, "is not a valid ipv4"},
        {"{'format':'ipv4'}", "'1.2.3.4 '", false, "is not a valid ipv4"},
        {"{'format':'ipv6'}", "'::1'", true, NULL},
        {"{'format':'ipv6'}", "'2001:db8::8a2e:370:7334'", true, NULL},
        {"{'format':'ipv6'}", "'::ffff:192.0.2.1'", true, NULL},
        {"{'format':'ipv6'}", "'12345::'", false, "is not a valid ipv6"},
        {"{'format':'ipv6'}", "'1.2.3.4'", false, "is not a valid ipv6"},
        {"{'format':'ipv6'}", "'fe80::1%eth0'", false, "is not a valid ipv6"},
        {"{'format':'hostname'}", "'api.example.com'", true, NULL},
        {"{'format':'hostname'}", "'-bad.example.com'", false, "is not a valid hostname"},
        {"{'format':'x-unknown'}", "'anything at all'", true, NULL},
    };
    RUN(rows);
}

static void test_arrays(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'items':{'type':'integer'}}", "[1,2,3]", true, NULL},
        {"{'items':{'type':'integer'}}", "[1,2,'x']", false, "$[2]: expected integer, got string"},
        {"{'prefixItems':[{'type':'string'},{'type':'integer'}]}", "['a',1,true]", true, NULL},
        {"{'prefixItems':[{'type':'string'},{'type':'integer'}]}", "['a','b']", false, "$[1]: expected integer"},
        {"{'prefixItems':[{'type':'string'}],'items':false}", "['a']", true, NULL},
        {"{'prefixItems':[{'type':'string'}],'items':false}", "['a',1]", false, "$[1]: additional item not allowed"},
        {"{'prefixItems':[{}],'items':{'type':'integer'}}", "[true,1,'x']", false, "$[2]: expected integer"},
        {"{" D07 "'items':[{'type':'string'}],'additionalItems':false}", "['a']", true, NULL},
        {"{" D07 "'items':[{'type':'string'}],'additionalItems':false}", "['a',1]", false,
         "$[1]: additional item not allowed"},
        {"{" D07 "'items':[{'type':'string'}]}", "['a',1]", true, NULL},
        {"{" D07 "'items':{'type':'string'}}", "['a',1]", false, "$[1]: expected string"},
        {"{" D07 "'prefixItems':[{'type':'string'}]}", "[1]", true, NULL}, /* not a draft-07 keyword */
        {"{'minItems':2}", "[1]", false, "$: has 1 items, fewer than minItems 2"},
        {"{'maxItems':1}", "[1,2]", false, "$: has 2 items, more than maxItems 1"},
        {"{'maxItems':1}", "'not an array'", true, NULL},
        {"{'uniqueItems':true}", "[1,2,3]", true, NULL},
        {"{'uniqueItems':true}", "[1,2,1]", false, "$: items are not unique"},
        {"{'uniqueItems':true}", "[1,1.0]", false, "items are not unique"},
        {"{'uniqueItems':true}", "[{'a':1,'b':2},{'b':2,'a':1}]", false, "items are not unique"},
        {"{'uniqueItems':true}", "[[1],[2],[1,2]]", true, NULL},
        {"{'uniqueItems':true}", "[true,1,'1',null,false,0]", true, NULL},
        {"{'uniqueItems':false}", "[1,1]", true, NULL},
        {"{'contains':{'type':'string'}}", "[1,'a']", true, NULL},
        {"{'contains':{'type':'string'}}", "[1,2]", false, "$: no items match contains"},
        {"{'contains':{'type':'string'}}", "[]", false, "no items match contains"},
        {"{'contains':{'type':'string'},'minContains':2}", "['a',1]", false,
         "1 items match contains, fewer than minContains 2"},
        {"{'contains':{'type':'string'},'minContains':2}", "['a',1,'b']", true, NULL},
        {"{'contains':{'type':'string'},'maxContains':1}", "['a','b']", false, "more than maxContains 1"},
        {"{'contains':{'type':'string'},'minContains':0}", "[]", true, NULL},
        {"{" D07 "'contains':{'type':'string'},'maxContains':1}", "['a','b']", true, NULL},
    };
    RUN(rows);
}

static void test_objects(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'properties':{'age':{'type':'integer'}}}", "{'age':'x'}", false, "$.age: expected integer, got string"},
        {"{'properties':{'age':{'type':'integer'}}}", "{'other':'x'}", true, NULL},
        {"{'required':['name']}", "{'name':1}", true, NULL},
        {"{'required':['name']}", "{}", false, "$: missing required property 'name'"},
        {"{'required':['name']}", "[]", true, NULL},
        {"{'properties':{'a':{}},'additionalProperties':false}", "{'a':1}", true, NULL},
        {"{'properties':{'a':{}},'additionalProperties':false}", "{'a':1,'extra':2}", false,
         "$.extra: additional property not allowed"},
        {"{'additionalProperties':{'type':'string'}}", "{'x':1}", false, "$.x: expected string, got integer"},
        {"{'patternProperties':{'^s_':{'type':'string'}},'additionalProperties':false}", "{'s_a':'x'}", true, NULL},
        {"{'patternProperties':{'^s_':{'type':'string'}},'additionalProperties':false}", "{'s_a':1}", false,
         "$.s_a: expected string"},
        {"{'patternProperties':{'^s_':{'type':'string'}},'additionalProperties':false}", "{'b':1}", false,
         "$.b: additional property not allowed"},
        {"{'patternProperties':{'n':{'minimum':5}}}", "{'xnx':4}", false, "$.xnx: 4 is less than minimum 5"},
        {"{'minProperties':1}", "{}", false, "$: has 0 properties, fewer than minProperties 1"},
        {"{'maxProperties':1}", "{'a':1,'b':2}", false, "$: has 2 properties, more than maxProperties 1"},
        {"{'dependentRequired':{'card':['billing']}}", "{}", true, NULL},
        {"{'dependentRequired':{'card':['billing']}}", "{'card':1,'billing':2}", true, NULL},
        {"{'dependentRequired':{'card':['billing']}}", "{'card':1}", false,
         "$: missing property 'billing' required by 'card' (dependentRequired)"},
        {"{'dependentSchemas':{'a':{'required':['b']}}}", "{'a':1}", false, "$: missing required property 'b'"},
        {"{" D07 "'dependencies':{'a':['b'],'c':{'required':['d']}}}", "{'a':1}", false, "missing property 'b'"},
        {"{" D07 "'dependencies':{'a':['b'],'c':{'required':['d']}}}", "{'c':1}", false,
         "missing required property 'd'"},
        {"{" D07 "'dependencies':{'a':['b'],'c':{'required':['d']}}}", "{'a':1,'b':1,'c':1,'d':1}", true, NULL},
        {"{'propertyNames':{'maxLength':3}}", "{'abc':1}", true, NULL},
        {"{'propertyNames':{'maxLength':3}}", "{'abcd':1}", false,
         "$: property name 'abcd' does not match propertyNames"},
    };
    RUN(rows);
}

static void test_applicators(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'allOf':[{'type':'integer'},{'minimum':3}]}", "3", true, NULL},
        {"{'allOf':[{'type':'integer'},{'minimum':3}]}", "2", false, "$: 2 is less than minimum 3"},
        {"{'anyOf':[{'type':'string'},{'type':'integer'}]}", "1", true, NULL},
        {"{'anyOf':[{'type':'string'},{'type':'integer'}]}", "true", false, "$: does not match any schema in anyOf"},
        {"{'oneOf':[{'type':'integer'},{'minimum':0}]}", "-1", true, NULL},
        {"{'oneOf':[{'type':'integer'},{'minimum':0}]}", "1.5", true, NULL},
        {"{'oneOf':[{'type':'integer'},{'minimum':0}]}", "5", false,
         "$: matches more than one schema in oneOf (0 and 1)"},
        {"{'oneOf':[{'type':'integer'},{'minimum':0}]}", "-1.5", false, "$: does not match any schema in oneOf"},
        {"{'not':{'type':'string'}}", "1", true, NULL},
        {"{'not':{'type':'string'}}", "'x'", false, "$: must not match the schema in not"},
        {"{'if':{'properties':{'kind':{'const':'a'}}},'then':{'required':['x']},'else':{'required':['y']}}",
         "{'kind':'a','x':1}", true, NULL},
        {"{'if':{'properties':{'kind':{'const':'a'}}},'then':{'required':['x']},'else':{'required':['y']}}",
         "{'kind':'a'}", false, "$: missing required property 'x'"},
        {"{'if':{'properties':{'kind':{'const':'a'}}},'then':{'required':['x']},'else':{'required':['y']}}",
         "{'kind':'b'}", false, "$: missing required property 'y'"},
        {"{'if':{'type':'string'},'then':{'minLength':2}}", "5", true, NULL},
        {"{'then':{'minLength':2}}", "'x'", true, NULL}, /* then without if has no effect */
        {"true", "{'anything':[1]}", true, NULL},
        {"false", "null", false, "$: no value is allowed here (schema is false)"},
        {"{'properties':{'a':false}}", "{'a':1}", false, "$.a: no value is allowed here"},
        {"{'properties':{'a':true}}", "{'a':1}", true, NULL},
        {"{'x-vendor':{'type':'string'},'unknownKeyword':5,'type':'integer'}", "5", true, NULL},
    };
    RUN(rows);
}

static void test_refs(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'$defs':{'pos':{'type':'integer','minimum':1}},'properties':{'n':{'$ref':'#/$defs/pos'}}}", "{'n':1}",
         true, NULL},
        {"{'$defs':{'pos':{'type':'integer','minimum':1}},'properties':{'n':{'$ref':'#/$defs/pos'}}}", "{'n':0}",
         false, "$.n: 0 is less than minimum 1"},
        {"{'definitions':{'s':{'type':'string'}},'properties':{'n':{'$ref':'#/definitions/s'}}}", "{'n':1}", false,
         "$.n: expected string, got integer"},
        {"{" D07 "'definitions':{'s':{'type':'string'}},'properties':{'n':{'$ref':'#/definitions/s'}}}",
         "{'n':1}", false, "$.n: expected string"},
        {"{'properties':{'a':{'type':'string'},'b':{'$ref':'#/properties/a'}}}", "{'b':1}", false,
         "$.b: expected string"},
        {"{'prefixItems':[{'type':'string'}],'properties':{'a':{'$ref':'#/prefixItems/0'}}}", "{'a':1}", false,
         "$.a: expected string"},
        /* JSON pointer escapes and URI percent-encoding */
        {"{'$defs':{'a/b':{'type':'string'}},'properties':{'x':{'$ref':'#/$defs/a~1b'}}}", "{'x':1}", false,
         "$.x: expected string"},
        {"{'$defs':{'c~d':{'type':'string'}},'properties':{'x':{'$ref':'#/$defs/c~0d'}}}", "{'x':1}", false,
         "$.x: expected string"},
        {"{'$defs':{'e f':{'type':'string'}},'properties':{'x':{'$ref':'#/$defs/e%20f'}}}", "{'x':1}", false,
         "$.x: expected string"},
        {"{'$defs':{'s':{'$anchor':'str','type':'string'}},'properties':{'a':{'$ref':'#str'}}}", "{'a':1}", false,
         "$.a: expected string"},
        {"{'$id':'https://example.com/s.json','$defs':{'s':{'type':'string'}},"
         "'properties':{'a':{'$ref':'https://example.com/s.json#/$defs/s'}}}",
         "{'a':1}", false, "$.a: expected string"},
        /* siblings of $ref: applied in 2020-12, ignored in draft-07 */
        {"{'$defs':{'s':{'type':'string'}},'$ref':'#/$defs/s','maxLength':2}", "'abc'", false,
         "$: length 3 is greater than maxLength 2"},
        {"{" D07 "'definitions':{'s':{'type':'string'}},'$ref':'#/definitions/s','maxLength':2}", "'abc'", true,
         NULL},
        {"{" D07 "'definitions':{'s':{'type':'string'}},'$ref':'#/definitions/s','maxLength':2}", "5", false,
         "$: expected string"},
    };
    RUN(rows);
}

static const char tree_schema[] = "{'type':'object','required':['value'],'properties':{'value':{'type':'integer'},"
                                  "'children':{'type':'array','items':{'$ref':'#'}}},'additionalProperties':false}";

static const char defs_tree_schema[] =
    "{'$ref':'#/$defs/node','$defs':{'node':{'type':'object','properties':{'name':{'type':'string'},"
    "'kids':{'type':'array','items':{'$ref':'#/$defs/node'}}},'required':['name']}}}";

static void test_recursive_ref(void **state)
{
    (void)state;
    static const row rows[] = {
        {tree_schema, "{'value':1}", true, NULL},
        {tree_schema, "{'value':1,'children':[{'value':2,'children':[{'value':3},{'value':4}]}]}", true, NULL},
        {tree_schema, "{'value':1,'children':[{'value':2,'children':[{'value':3},{'value':'x'}]}]}", false,
         "$.children[0].children[1].value: expected integer, got string"},
        {tree_schema, "{'value':1,'children':[{'children':[]}]}", false,
         "$.children[0]: missing required property 'value'"},
        {tree_schema, "{'value':1,'children':[{'value':2,'junk':1}]}", false,
         "$.children[0].junk: additional property not allowed"},
        {defs_tree_schema, "{'name':'a','kids':[{'name':'b','kids':[{'name':'c'}]}]}", true, NULL},
        {defs_tree_schema, "{'name':'a','kids':[{'name':'b','kids':[{'name':5}]}]}", false,
         "$.kids[0].kids[0].name: expected string"},
    };
    RUN(rows);
}

/* ---- limits ---- */

static json_t *nested_arrays(int depth, int leaf)
{
    json_t *v = json_integer(leaf);
    for (int i = 0; i < depth; i++) {
        json_t *a = json_array();
        json_array_append_new(a, v);
        v = a;
    }
    return v;
}

static void test_depth_guards(void **state)
{
    (void)state;
    char err[512];
    /* deep instance against a recursive schema */
    bw_schema *s = compile("{'type':['array','integer'],'items':{'$ref':'#'}}");
    json_t *deep = nested_arrays(300, 1);
    assert_false(bw_schema_validate(s, deep, err, sizeof err));
    assert_string_equal(err + strlen(err) - strlen(": schema nesting too deep"), ": schema nesting too deep");
    assert_memory_equal(err, "$[0][0][0][0]", 13);
    json_t *shallow = nested_arrays(20, 1);
    assert_true(bw_schema_validate(s, shallow, err, sizeof err));
    bw_schema_free(s);

    /* a deep instance is fine when the schema does not descend into it */
    s = compile("{'type':'array'}");
    assert_true(bw_schema_validate(s, deep, err, sizeof err));
    bw_schema_free(s);

    /* comparing a deep instance with const reports instead of recursing without bound */
    json_t *schema = json_pack("{s:o}", "const", nested_arrays(300, 2));
    s = bw_schema_compile(schema, err, sizeof err);
    json_decref(schema);
    assert_non_null(s);
    assert_false(bw_schema_validate(s, deep, err, sizeof err));
    assert_string_equal(err, "$: value nesting too deep to compare");
    bw_schema_free(s);
    json_decref(deep);
    json_decref(shallow);
}

static void test_ref_cycles(void **state)
{
    (void)state;
    static const row rows[] = {
        {"{'$defs':{'a':{'$ref':'#/$defs/b'},'b':{'$ref':'#/$defs/a'}},'$ref':'#/$defs/a'}", "1", false,
         "$: schema nesting too deep"},
        {"{'$ref':'#'}", "{}", false, "$: schema nesting too deep"},
        /* the guard is not a failure that `not` or anyOf could turn into a success */
        {"{'not':{'$ref':'#'}}", "1", false, "$: schema nesting too deep"},
        {"{'not':{'not':{'$ref':'#'}}}", "1", false, "$: schema nesting too deep"},
        {"{'$defs':{'x':{'not':{'$ref':'#/$defs/x'}}},'$ref':'#/$defs/x'}", "1", false, "$: schema nesting too deep"},
        {"{'anyOf':[{'$ref':'#'},true]}", "1", false, "$: schema nesting too deep"},
    };
    RUN(rows);
}

/* ---- compile errors ---- */

static void test_compile_errors(void **state)
{
    (void)state;
    static const bad_schema rows[] = {
        {"{'type':5}", "#/type: type must be a string or an array of strings"},
        {"{'type':'strin'}", "#/type: unknown type 'strin'"},
        {"{'type':[]}", "#/type: type must not be an empty array"},
        {"{'type':['string',1]}", "#/type/1: type must be a string"},
        {"{'minimum':'x'}", "#/minimum: minimum must be a number"},
        {"{'multipleOf':0}", "#/multipleOf: multipleOf must be greater than 0"},
        {"{'minLength':-1}", "#/minLength: minLength must be a non-negative integer"},
        {"{'maxItems':1.5}", "#/maxItems: maxItems must be a non-negative integer"},
        {"{'pattern':'('}", "#/pattern: invalid regular expression '(': missing closing parenthesis"},
        {"{'properties':{'a':{'pattern':'[a-'}}}", "#/properties/a/pattern: invalid regular expression"},
        {"{'patternProperties':{'a(':{}}}", "#/patternProperties/a(: invalid regular expression"},
        {"{'pattern':5}", "#/pattern: pattern must be a string"},
        {"{'properties':{'a':5}}", "#/properties/a: schema must be an object or a boolean"},
        {"{'properties':{'a/b':{'type':1}}}", "#/properties/a~1b/type: type must be"},
        {"{'items':[{'type':'nope'}]}", "#/items/0/type: unknown type 'nope'"},
        {"{'allOf':[]}", "#/allOf: allOf must be a non-empty array of schemas"},
        {"{'anyOf':{}}", "#/anyOf: anyOf must be a non-empty array of schemas"},
        {"{'required':'a'}", "#/required: required must be an array of strings"},
        {"{'required':[1]}", "#/required: required must be an array of strings"},
        {"{'enum':5}", "#/enum: enum must be an array"},
        {"{'uniqueItems':1}", "#/uniqueItems: uniqueItems must be a boolean"},
        {"{'format':1}", "#/format: format must be a string"},
        {"{'$defs':{'unused':{'type':'nope'}}}", "#/$defs/unused/type: unknown type 'nope'"},
        {"{'$ref':'#/$defs/missing'}", "#/$ref: unresolvable $ref '#/$defs/missing'"},
        {"{'$ref':'#/$defs/a%zz','$defs':{'a':{}}}", "#/$ref: invalid percent-encoding in $ref"},
        {"{'$ref':'#/$defs/a~2','$defs':{'a':{}}}", "unresolvable $ref"},
        {"{'$ref':'other.json#/x'}", "#/$ref: unsupported $ref"},
        {"{'$ref':5}", "#/$ref: $ref must be a string"},
        {"{'$defs':{'a':5},'$ref':'#/$defs/a'}", "#/$defs/a: schema must be an object or a boolean"},
        {"{'$schema':5}", "$schema must be a string"},
        {"5", "#: schema must be an object or a boolean"},
        {"{'dependentRequired':{'a':'b'}}",
         "#/dependentRequired/a: dependentRequired values must be arrays of strings"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *j = parse(rows[i].schema);
        char err[256] = "sentinel";
        bw_schema *s = bw_schema_compile(j, err, sizeof err);
        json_decref(j);
        if (s)
            fail_msg("schema %s compiled but should not", rows[i].schema);
        char *want = dq(rows[i].msg);
        if (!strstr(err, want))
            fail_msg("schema %s: error \"%s\" lacks \"%s\"", rows[i].schema, err, want);
        free(want);
    }
}

static void test_dialects(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{'$schema':'https://json-schema.org/draft/2020-12/schema'}",
        "{'$schema':'https://json-schema.org/draft/2020-12/schema#'}",
        "{'$schema':'http://json-schema.org/draft-07/schema#'}",
        "{'$schema':'http://json-schema.org/draft-07/schema'}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        bw_schema_free(compile(ok[i]));

    char err[256];
    json_t *j = parse("{'$schema':'http://json-schema.org/draft-04/schema#','type':'string'}");
    assert_null(bw_schema_compile(j, err, sizeof err));
    assert_string_equal(err, "unsupported $schema dialect: http://json-schema.org/draft-04/schema#");
    json_decref(j);
    j = parse("{'$schema':'https://json-schema.org/draft/2019-09/schema'}");
    assert_null(bw_schema_compile(j, err, sizeof err));
    assert_string_equal(err, "unsupported $schema dialect: https://json-schema.org/draft/2019-09/schema");
    json_decref(j);
    assert_null(bw_schema_compile(NULL, err, sizeof err));
    j = parse("{'type':'nope'}");
    assert_null(bw_schema_compile(j, NULL, 0)); /* no error buffer wanted */
    json_decref(j);
}

static void test_compile_depth_limit(void **state)
{
    (void)state;
    json_t *schema = json_true();
    for (int i = 0; i < 200; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "not", schema);
        schema = o;
    }
    char err[4096];
    assert_null(bw_schema_compile(schema, err, sizeof err));
    assert_non_null(strstr(err, ": schema nesting too deep"));
    assert_memory_equal(err, "#/not/not/not", 13);
    json_decref(schema);
}

/* ---- message format ---- */

static void test_error_format(void **state)
{
    (void)state;
    expect_error("{'properties':{'items':{'type':'array','items':{'properties':{'zip':{'pattern':'^[0-9]{5}$'}}}}}}",
                 "{'items':[{'zip':'12345'},{'zip':'1234'}]}",
                 "$.items[1].zip: '1234' does not match pattern '^[0-9]{5}$'");
    expect_error("{'properties':{'odd key':{'items':{'type':'string'}}}}", "{'odd key':['a',2]}",
                 "$['odd key'][1]: expected string, got integer");
    expect_error("{'additionalProperties':false}", "{'say \\'hi\\'\\n':1}",
                 "$['say \\'hi\\'\\n']: additional property not allowed");
    expect_error("{'properties':{'_ok$1':{'type':'null'},'1st':{'type':'null'}}}", "{'_ok$1':0}",
                 "$._ok$1: expected null, got integer");
    expect_error("{'properties':{'1st':{'type':'null'}}}", "{'1st':0}", "$['1st']: expected null, got integer");
    expect_error("{'properties':{'age':{'type':'integer','minimum':18}}}", "{'age':5}",
                 "$.age: 5 is less than minimum 18");
    expect_error("{'items':{'format':'email'}}", "['a@b.co','x']", "$[1]: 'x' is not a valid email");
}

static void test_error_buffer(void **state)
{
    (void)state;
    bw_schema *s = compile("{'properties':{'name':{'type':'string'}}}");
    json_t *inst = parse("{'name':1}");
    char small[10];
    memset(small, 'X', sizeof small);
    assert_false(bw_schema_validate(s, inst, small, sizeof small));
    assert_string_equal(small, "$.name: e"); /* truncated, NUL-terminated */
    assert_false(bw_schema_validate(s, inst, NULL, 0));
    char one[1] = {'X'};
    assert_false(bw_schema_validate(s, inst, one, sizeof one));
    assert_int_equal(one[0], '\0');
    json_t *good = parse("{'name':'n'}");
    char err[64] = "stale";
    assert_true(bw_schema_validate(s, good, err, sizeof err));
    assert_string_equal(err, "");
    /* truncation never splits a UTF-8 character */
    json_t *utf = parse("{'name':['\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac']}");
    bw_schema *s2 = compile("{'properties':{'name':{'const':'x'}}}");
    char cut[12];
    assert_false(bw_schema_validate(s2, utf, cut, sizeof cut));
    assert_string_equal(cut, "$.name: arr");
    json_decref(utf);
    json_decref(good);
    json_decref(inst);
    bw_schema_free(s);
    bw_schema_free(s2);
}

static void test_utf8_safe_truncation(void **state)
{
    (void)state;
    bw_schema *s = compile("{'const':'x'}");
    json_t *inst = parse("'\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac'");
    char cut[9]; /* '$: "' is 4 bytes; room for 4 more: one euro sign (3) fits, the second does not */
    assert_false(bw_schema_validate(s, inst, cut, sizeof cut));
    assert_string_equal(cut, "$: \"\xe2\x82\xac");
    json_decref(inst);
    bw_schema_free(s);
}

/* ---- uniqueness on long arrays (hashed path) ---- */

static void test_unique_long(void **state)
{
    (void)state;
    bw_schema *s = compile("{'uniqueItems':true}");
    json_t *a = json_array();
    for (int i = 0; i < 200; i++)
        json_array_append_new(a, i % 2 ? json_integer(i) : json_real(i + 0.5));
    char err[128];
    assert_true(bw_schema_validate(s, a, err, sizeof err));
    json_array_append_new(a, json_real(7.0)); /* equals integer 7 */
    assert_false(bw_schema_validate(s, a, err, sizeof err));
    assert_string_equal(err, "$: items are not unique");
    json_decref(a);

    json_t *objs = json_array();
    for (int i = 0; i < 50; i++)
        json_array_append_new(objs, json_pack("{s:i, s:[i]}", "k", i, "v", i));
    assert_true(bw_schema_validate(s, objs, err, sizeof err));
    json_array_append_new(objs, json_pack("{s:[i], s:i}", "v", 3, "k", 3));
    assert_false(bw_schema_validate(s, objs, err, sizeof err));
    json_decref(objs);
    bw_schema_free(s);
}

/* ---- defaults ---- */

static void test_apply_defaults(void **state)
{
    (void)state;
    bw_schema *s = compile("{'properties':{'a':{'default':1},'b':{'default':{'x':[1]}},'c':{'type':'string'}}}");
    json_t *inst = parse("{'a':5}");
    bw_schema_apply_defaults(s, inst);
    json_t *want = parse("{'a':5,'b':{'x':[1]}}");
    assert_true(json_equal(inst, want));
    /* a deep copy: changing the filled value must not change the next default */
    json_array_append_new(json_object_get(json_object_get(inst, "b"), "x"), json_integer(2));
    json_t *again = json_object();
    bw_schema_apply_defaults(s, again);
    json_t *want2 = parse("{'a':1,'b':{'x':[1]}}");
    assert_true(json_equal(again, want2));
    json_t *arr = parse("[1]");
    bw_schema_apply_defaults(s, arr); /* not an object: no-op */
    assert_int_equal(json_array_size(arr), 1);
    bw_schema_apply_defaults(NULL, inst);
    json_decref(arr);
    json_decref(want2);
    json_decref(again);
    json_decref(want);
    json_decref(inst);
    bw_schema_free(s);
}

static void test_apply_defaults_through_ref(void **state)
{
    (void)state;
    bw_schema *s = compile("{'$ref':'#/$defs/args','allOf':[{'properties':{'mode':{'default':'fast'}}}],"
                           "'$defs':{'args':{'properties':{'limit':{'default':10},'mode':{'default':'slow'}}}}}");
    json_t *inst = json_object();
    bw_schema_apply_defaults(s, inst);
    json_t *want = parse("{'limit':10,'mode':'slow'}");
    assert_true(json_equal(inst, want));
    json_decref(want);
    json_decref(inst);
    bw_schema_free(s);

    s = compile("{'type':'object','properties':{'q':{'type':'string'}}}");
    inst = parse("{'q':'x'}");
    bw_schema_apply_defaults(s, inst);
    assert_int_equal(json_object_size(inst), 1);
    json_decref(inst);
    bw_schema_free(s);
}

/* ---- concurrency ---- */

#define THREADS 4
#define ROUNDS 5000

typedef struct {
    const bw_schema *s;
    json_t *const *inst; /* [0] valid, [1] invalid pattern, [2] invalid email */
    int mismatches;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    char err[256];
    for (int i = 0; i < ROUNDS; i++) {
        int k = i % 3;
        bool ok = bw_schema_validate(a->s, a->inst[k], err, sizeof err);
        bool expect_ok = k == 0;
        const char *expect = k == 0 ? "" : k == 1 ? "$.code: \"abc-12\" does not match pattern" : "$.email: ";
        if (ok != expect_ok || strncmp(err, expect, strlen(expect)) != 0)
            a->mismatches++;
    }
    return NULL;
}

static void test_concurrent_validation(void **state)
{
    (void)state;
    bw_schema *s = compile("{'type':'object','required':['code'],'properties':{"
                           "'code':{'type':'string','pattern':'^[A-Z]{3}-[0-9]{4}$'},"
                           "'email':{'type':'string','format':'email'},"
                           "'tags':{'type':'array','uniqueItems':true,'items':{'pattern':'^[a-z]+$'}}}}");
    json_t *inst[3] = {
        parse("{'code':'ABC-1234','email':'a@b.c','tags':['x','y']}"),
        parse("{'code':'abc-12','email':'a@b.c'}"),
        parse("{'code':'ABC-1234','email':'not an email'}"),
    };
    pthread_t t[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){s, inst, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(args[i].mismatches, 0);
    }
    for (int i = 0; i < 3; i++)
        json_decref(inst[i]);
    bw_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type),
        cmocka_unit_test(test_enum_const),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_applicators),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_recursive_ref),
        cmocka_unit_test(test_depth_guards),
        cmocka_unit_test(test_ref_cycles),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_dialects),
        cmocka_unit_test(test_compile_depth_limit),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_utf8_safe_truncation),
        cmocka_unit_test(test_unique_long),
        cmocka_unit_test(test_apply_defaults),
        cmocka_unit_test(test_apply_defaults_through_ref),
        cmocka_unit_test(test_concurrent_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
