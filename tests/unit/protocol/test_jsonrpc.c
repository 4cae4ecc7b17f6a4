/* Unit tests for src/protocol/jsonrpc.c: nesting depth scan, decode (parse errors, invalid UTF-8, depth limit),
 * classification of every message shape, and the exact bytes of the reply builders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/jsonrpc.h"

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

/* Dumps compactly in insertion order, checks, and releases msg. */
static void assert_dump(json_t *msg, const char *want)
{
    assert_non_null(msg);
    char *got = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got, want);
    free(got);
    json_decref(msg);
}

/* ---- bw_json_depth ---- */

typedef struct {
    const char *text;
    int depth;
} depth_row;

static const depth_row depth_rows[] = {
    {"", 0},
    {"1", 0},
    {"\"plain\"", 0},
    {"[]", 1},
    {"{}", 1},
    {"[[]]", 2},
    {"[{},{}]", 2},
    {"[[],[[]],[]]", 3},
    {"{\"a\":[1,{\"b\":[]}]}", 4},
    /* brackets inside strings never count */
    {"\"[[[[{{{{\"", 0},
    {"[\"]]]]\",[]]", 2},
    {"{\"k[\":{\"v{\":\"}}}\"}}", 2},
    /* an escaped quote does not end the string: the brackets after it are still inside */
    {"[\"a\\\"[[[{{\"]", 1},
    {"[\"\\\"\",\"\\\"[\"]", 1},
    /* an escaped backslash does end before the quote: the brackets after the string count */
    {"[\"\\\\\",[[]]]", 3},
    {"[\"\\\\\\\"[[\"]", 1},
    /* unicode escapes are just characters */
    {"[\"\\u005b\\u007b\",[]]", 2},
    /* closers below zero are ignored, not negative depth */
    {"]]}}[[", 2},
    {"[]]][[[]]]", 3},
};

static void test_depth_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof depth_rows / sizeof depth_rows[0]; i++) {
        const depth_row *r = &depth_rows[i];
        int got = bw_json_depth(r->text, strlen(r->text), 1000);
        if (got != r->depth)
            fail_msg("bw_json_depth(%s) = %d, want %d", r->text, got, r->depth);
    }
}

static void test_depth_stops_above_limit_and_respects_len(void **state)
{
    (void)state;
    const char *deep = "[[[[[[[[[[]]]]]]]]]]"; /* 10 */
    assert_int_equal(bw_json_depth(deep, strlen(deep), 100), 10);
    assert_int_equal(bw_json_depth(deep, strlen(deep), 10), 10);
    /* above the limit it reports limit+1 and stops scanning */
    assert_int_equal(bw_json_depth(deep, strlen(deep), 9), 10);
    assert_int_equal(bw_json_depth(deep, strlen(deep), 3), 4);
    assert_int_equal(bw_json_depth(deep, strlen(deep), 0), 1);
    /* only len bytes are read */
    assert_int_equal(bw_json_depth(deep, 3, 100), 3);
    assert_int_equal(bw_json_depth(deep, 0, 100), 0);
    /* a string whose closing quote is beyond len: the rest is inside the string */
    const char *cut = "[\"[[[\"]";
    assert_int_equal(bw_json_depth(cut, 4, 100), 1);
    /* a trailing backslash at the end of the input must not read past it */
    char tail[3] = {'"', '\\', 'X'};
    assert_int_equal(bw_json_depth(tail, 2, 100), 0);
}

/* ---- bw_rpc_decode ---- */

typedef struct {
    const char *name;
    const char *text;
    size_t len; /* 0: strlen */
    int max_depth;
    int code;   /* 0: decodes */
    const char *why; /* exact reason, or NULL: only the prefix for the code is checked */
} decode_row;

static const decode_row decode_rows[] = {
    {"object", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", 0, 64, 0, NULL},
    {"batch array", "[{\"a\":1},{\"b\":2}]", 0, 64, 0, NULL},
    {"scalar (classified later)", "42", 0, 64, 0, NULL},
    {"escaped NUL refused (C strings would truncate it)", "{\"a\":\"x\\u0000y\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"valid multi-byte UTF-8", "{\"a\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}", 0, 64, 0, NULL},
    {"len bounds the text", "{}garbage", 2, 64, 0, NULL},
    {"exact depth limit passes", "[[[1]]]", 0, 3, 0, NULL},
    {"exact depth limit passes (objects)", "{\"a\":{\"b\":{\"c\":[]}}}", 0, 4, 0, NULL},
    {"brackets in strings do not count", "[\"[[[[[[[[[[\"]", 0, 1, 0, NULL},
    {"one over the depth limit", "[[[[1]]]]", 0, 3, BW_RPC_INVALID_REQUEST,
     "message nests deeper than the limit of 3 levels"},
    {"far over the depth limit", "{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}", 0, 5, BW_RPC_INVALID_REQUEST,
     "message nests deeper than the limit of 5 levels"},
    {"empty", "", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"unterminated object", "{", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"missing value", "{\"a\":}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"trailing comma", "[1,]", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"single quotes", "{'a':1}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"bare word", "nul", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"trailing garbage", "{\"a\":1}x", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"two messages", "{}{}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"unterminated string", "{\"a\":\"abc}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"raw control char in string", "{\"a\":\"x\ny\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"invalid UTF-8 0xff in a string", "{\"a\":\"\xff\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"invalid UTF-8 0xfe in a key", "{\"\xfe\":1}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"overlong NUL", "{\"a\":\"\xc0\x80\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"truncated sequence", "{\"a\":\"\xe2\x82\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"lone surrogate escape", "{\"a\":\"\\ud800\"}", 0, 64, BW_RPC_PARSE_ERROR, NULL},
    {"raw NUL byte", "{\"a\":\"x\0y\"}", 11, 64, BW_RPC_PARSE_ERROR, NULL},
};

static void test_decode_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof decode_rows / sizeof decode_rows[0]; i++) {
        const decode_row *r = &decode_rows[i];
        size_t len = r->len ? r->len : strlen(r->text);
        int code = 12345;
        char why[200] = "untouched";
        json_t *v = bw_rpc_decode(r->text, len, r->max_depth, &code, why, sizeof why);
        if (r->code == 0) {
            if (!v)
                fail_msg("%s: decode failed with %d (%s)", r->name, code, why);
            json_decref(v);
            continue;
        }
        if (v) {
            json_decref(v);
            fail_msg("%s: decoded, want error %d", r->name, r->code);
        }
        if (code != r->code)
            fail_msg("%s: code %d, want %d (%s)", r->name, code, r->code, why);
        if (r->why && strcmp(why, r->why) != 0)
            fail_msg("%s: why \"%s\", want \"%s\"", r->name, why, r->why);
        if (r->code == BW_RPC_PARSE_ERROR && strncmp(why, "Parse error: ", 13) != 0)
            fail_msg("%s: why \"%s\" lacks the parse error prefix", r->name, why);
    }
}

static void test_decode_parse_error_detail(void **state)
{
    (void)state;
    int code = 0;
    char why[200];
    json_t *v = bw_rpc_decode("{\"a\":\"\xff\"}", 9, 64, &code, why, sizeof why);
    assert_null(v);
    assert_int_equal(code, -32700);
    assert_string_equal(why, "Parse error: unable to decode byte 0xff near '\"' at position 6");
    v = bw_rpc_decode("{\"a\":1}x", 8, 64, &code, why, sizeof why);
    assert_null(v);
    assert_string_equal(why, "Parse error: end of file expected near 'x' at position 8");
}

static void test_decode_why_is_bounded(void **state)
{
    (void)state;
    int code = 0;
    char why[9];
    memset(why, 'Z', sizeof why);
    assert_null(bw_rpc_decode("{", 1, 64, &code, why, sizeof why));
    assert_int_equal(code, BW_RPC_PARSE_ERROR);
    assert_string_equal(why, "Parse er");
    memset(why, 'Z', sizeof why);
    assert_null(bw_rpc_decode("[[", 2, 1, &code, why, sizeof why));
    assert_int_equal(code, BW_RPC_INVALID_REQUEST);
    assert_string_equal(why, "message ");
}

static void test_decode_result_is_owned(void **state)
{
    (void)state;
    int code = 0;
    char why[64];
    const char *text = "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"params\":{\"s\":\"a\\u00e9b\"}}";
    json_t *v = bw_rpc_decode(text, strlen(text), 64, &code, why, sizeof why);
    assert_non_null(v);
    assert_int_equal(v->refcount, 1);
    assert_string_equal(json_string_value(json_object_get(v, "id")), "x");
    const json_t *s = json_object_get(json_object_get(v, "params"), "s");
    assert_int_equal(json_string_length(s), 4);
    assert_memory_equal(json_string_value(s), "a\xc3\xa9" "b", 4);
    json_decref(v);
}

/* ---- bw_rpc_classify ---- */

#define WHY_OBJECT "Invalid Request: a message must be a JSON object"
#define WHY_VERSION "Invalid Request: \"jsonrpc\" must be \"2.0\""
#define WHY_METHOD "Invalid Request: \"method\" must be a string"
#define WHY_ID "Invalid Request: \"id\" must be a string or an integer"
#define WHY_NEITHER "Invalid Request: neither a request, a notification nor a response"

typedef struct {
    const char *text;
    bw_msg_kind kind;
    const char *id;  /* JSON of *id_out, or NULL when it must be NULL */
    const char *why; /* exact, for BW_MSG_INVALID */
} classify_row;

static const classify_row classify_rows[] = {
    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", BW_MSG_REQUEST, "1", NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"ping\",\"params\":{}}", BW_MSG_REQUEST, "0", NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":-5,\"method\":\"ping\"}", BW_MSG_REQUEST, "-5", NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}", BW_MSG_REQUEST, "\"abc\"", NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"ping\"}", BW_MSG_REQUEST, "\"\"", NULL},
    {"{\"method\":\"ping\",\"id\":\"7\",\"jsonrpc\":\"2.0\"}", BW_MSG_REQUEST, "\"7\"", NULL},
    {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", BW_MSG_NOTIFICATION, NULL, NULL},
    {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}", BW_MSG_NOTIFICATION,
     NULL, NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}", BW_MSG_RESPONSE, "3", NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"result\":null}", BW_MSG_RESPONSE, "\"s\"", NULL},
    {"{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-1,\"message\":\"x\"}}", BW_MSG_RESPONSE, "4", NULL},
    /* an error answer to a message whose id could not be read */
    {"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}", BW_MSG_RESPONSE, NULL, NULL},
    /* invalid ids on requests */
    {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    {"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    {"{\"jsonrpc\":\"2.0\",\"id\":false,\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    {"{\"jsonrpc\":\"2.0\",\"id\":1.0,\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    {"{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    {"{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_ID},
    /* version; a usable id is still reported so the error can carry it */
    {"{\"id\":7,\"method\":\"ping\"}", BW_MSG_INVALID, "7", WHY_VERSION},
    {"{\"jsonrpc\":\"1.0\",\"id\":8,\"method\":\"ping\"}", BW_MSG_INVALID, "8", WHY_VERSION},
    {"{\"jsonrpc\":2.0,\"id\":\"q\",\"method\":\"ping\"}", BW_MSG_INVALID, "\"q\"", WHY_VERSION},
    {"{\"jsonrpc\":\"2.0 \",\"id\":1,\"method\":\"ping\"}", BW_MSG_INVALID, "1", WHY_VERSION},
    {"{\"jsonrpc\":null,\"method\":\"ping\"}", BW_MSG_INVALID, NULL, WHY_VERSION},
    {"{}", BW_MSG_INVALID, NULL, WHY_VERSION},
    /* method */
    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", BW_MSG_INVALID, "1", WHY_METHOD},
    {"{\"jsonrpc\":\"2.0\",\"method\":null}", BW_MSG_INVALID, NULL, WHY_METHOD},
    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":{}}", BW_MSG_INVALID, "1", WHY_METHOD},
    /* neither */
    {"{\"jsonrpc\":\"2.0\"}", BW_MSG_INVALID, NULL, WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"id\":1}", BW_MSG_INVALID, "1", WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}", BW_MSG_INVALID, NULL, WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"result\":{}}", BW_MSG_INVALID, NULL, WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"id\":true,\"result\":{}}", BW_MSG_INVALID, NULL, WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}", BW_MSG_INVALID, "1",
     WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}", BW_MSG_INVALID, "1", WHY_NEITHER},
    {"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"m\"}}", BW_MSG_INVALID, NULL, WHY_NEITHER},
    /* not objects */
    {"[]", BW_MSG_INVALID, NULL, WHY_OBJECT},
    {"\"ping\"", BW_MSG_INVALID, NULL, WHY_OBJECT},
    {"1", BW_MSG_INVALID, NULL, WHY_OBJECT},
    {"null", BW_MSG_INVALID, NULL, WHY_OBJECT},
};

static const char *kind_name(bw_msg_kind k)
{
    switch (k) {
    case BW_MSG_REQUEST: return "request";
    case BW_MSG_NOTIFICATION: return "notification";
    case BW_MSG_RESPONSE: return "response";
    case BW_MSG_INVALID: return "invalid";
    }
    return "?";
}

static void test_classify_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof classify_rows / sizeof classify_rows[0]; i++) {
        const classify_row *r = &classify_rows[i];
        json_t *msg = parse(r->text);
        const json_t *id = (const json_t *)&id; /* poison: must be overwritten */
        const char *why = "poison";
        bw_msg_kind k = bw_rpc_classify(msg, &id, &why);
        if (k != r->kind)
            fail_msg("%s: %s, want %s (%s)", r->text, kind_name(k), kind_name(r->kind), why ? why : "");
        if (r->id) {
            if (!id)
                fail_msg("%s: no id, want %s", r->text, r->id);
            /* borrowed from the message itself, type preserved */
            assert_ptr_equal(id, json_object_get(msg, "id"));
            char *got = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
            if (strcmp(got, r->id) != 0)
                fail_msg("%s: id %s, want %s", r->text, got, r->id);
            free(got);
        } else if (id) {
            fail_msg("%s: id set, want NULL", r->text);
        }
        if (r->kind == BW_MSG_INVALID) {
            if (!why || strcmp(why, r->why) != 0)
                fail_msg("%s: why \"%s\", want \"%s\"", r->text, why ? why : "(null)", r->why);
        } else if (why) {
            fail_msg("%s: why \"%s\" set for a valid message", r->text, why);
        }
        json_decref(msg);
    }
}

typedef struct {
    const char *text;
    bool valid;
} id_row;

static void test_valid_id(void **state)
{
    (void)state;
    static const id_row rows[] = {
        {"1", true}, {"0", true}, {"-9007199254740993", true}, {"\"x\"", true}, {"\"\"", true},
        {"null", false}, {"true", false}, {"false", false}, {"1.5", false}, {"2.0", false},
        {"{}", false}, {"[]", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *v = parse(rows[i].text);
        if (bw_rpc_valid_id(v) != rows[i].valid)
            fail_msg("bw_rpc_valid_id(%s) should be %s", rows[i].text, rows[i].valid ? "true" : "false");
        json_decref(v);
    }
    assert_false(bw_rpc_valid_id(NULL));
}

/* ---- builders ---- */

static void test_result_shapes(void **state)
{
    (void)state;
    json_t *id = json_integer(7);
    assert_dump(bw_rpc_result(id, json_pack("{s:i}", "a", 1)), "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"a\":1}}");
    json_decref(id);

    id = json_string("7");
    assert_dump(bw_rpc_result(id, NULL), "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":{}}");
    json_decref(id);

    assert_dump(bw_rpc_result(NULL, json_array()), "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":[]}");

    /* large ids keep every digit */
    id = json_integer(9007199254740993LL);
    assert_dump(bw_rpc_result(id, json_object()), "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{}}");
    json_decref(id);
}

static void test_result_ownership(void **state)
{
    (void)state;
    /* id is borrowed: the caller's reference is untouched and the message does not share it */
    json_t *id = json_string("abc");
    json_t *result = json_object();
    json_incref(result); /* keep one reference to watch the steal */
    json_t *m = bw_rpc_result(id, result);
    assert_int_equal(id->refcount, 1);
    assert_int_equal(result->refcount, 2); /* ours + the message's (stolen, not copied) */
    assert_ptr_equal(json_object_get(m, "result"), result);
    json_string_set(id, "changed");
    assert_string_equal(json_string_value(json_object_get(m, "id")), "abc");
    json_decref(m);
    assert_int_equal(result->refcount, 1);
    json_decref(result);
    json_decref(id);
}

static void test_error_shapes(void **state)
{
    (void)state;
    json_t *id = json_integer(1);
    assert_dump(bw_rpc_error(id, BW_RPC_METHOD_NOT_FOUND, "Method not found: x", NULL),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"Method not found: x\"}}");
    assert_dump(bw_rpc_error(id, BW_RPC_INVALID_PARAMS, "bad", json_pack("{s:s}", "field", "name")),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,\"message\":\"bad\",\"data\":{\"field\":"
                "\"name\"}}}");
    json_decref(id);

    id = json_string("1");
    assert_dump(bw_rpc_error(id, BW_RPC_INVALID_REQUEST, "dup", NULL),
                "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"error\":{\"code\":-32600,\"message\":\"dup\"}}");
    json_decref(id);

    assert_dump(bw_rpc_error(NULL, BW_RPC_PARSE_ERROR, "Parse error", NULL),
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}");
    assert_dump(bw_rpc_error(NULL, BW_RPC_SERVER_OVERLOADED, NULL, NULL),
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"error\"}}");
    /* a message cut mid-character must not drop the message member */
    assert_dump(bw_rpc_error(NULL, BW_RPC_INTERNAL_ERROR, "caf\xc3", NULL),
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"error (message was not "
                "valid UTF-8)\"}}");
    /* non-ASCII text survives as is */
    assert_dump(bw_rpc_error(NULL, -1, "caf\xc3\xa9", NULL),
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-1,\"message\":\"caf\xc3\xa9\"}}");
}

static void test_built_messages_classify(void **state)
{
    (void)state;
    const json_t *id;
    const char *why;
    json_t *m = bw_rpc_error(NULL, BW_RPC_PARSE_ERROR, "x", NULL);
    assert_int_equal(bw_rpc_classify(m, &id, &why), BW_MSG_RESPONSE);
    json_decref(m);
    m = bw_rpc_notification("notifications/progress", NULL);
    assert_int_equal(bw_rpc_classify(m, &id, &why), BW_MSG_NOTIFICATION);
    json_decref(m);
    m = bw_rpc_request(12, "roots/list", NULL);
    assert_int_equal(bw_rpc_classify(m, &id, &why), BW_MSG_REQUEST);
    assert_int_equal(json_integer_value(id), 12);
    json_decref(m);
}

static void test_notification_shapes(void **state)
{
    (void)state;
    assert_dump(bw_rpc_notification("notifications/tools/list_changed", NULL),
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
    assert_dump(bw_rpc_notification("notifications/progress",
                                    json_pack("{s:s,s:i,s:i}", "progressToken", "t", "progress", 1, "total", 2)),
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\","
                "\"progress\":1,\"total\":2}}");
    json_t *params = json_object();
    json_incref(params);
    json_t *m = bw_rpc_notification("n", params);
    assert_ptr_equal(json_object_get(m, "params"), params); /* stolen */
    json_decref(m);
    assert_int_equal(params->refcount, 1);
    json_decref(params);
}

static void test_request_shapes(void **state)
{
    (void)state;
    assert_dump(bw_rpc_request(5, "ping", NULL), "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":{}}");
    assert_dump(bw_rpc_request(-1, "sampling/createMessage", json_pack("{s:i}", "maxTokens", 10)),
                "{\"jsonrpc\":\"2.0\",\"id\":-1,\"method\":\"sampling/createMessage\",\"params\":{\"maxTokens\":10}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_table),
        cmocka_unit_test(test_depth_stops_above_limit_and_respects_len),
        cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_decode_parse_error_detail),
        cmocka_unit_test(test_decode_why_is_bounded),
        cmocka_unit_test(test_decode_result_is_owned),
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_result_shapes),
        cmocka_unit_test(test_result_ownership),
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_built_messages_classify),
        cmocka_unit_test(test_notification_shapes),
        cmocka_unit_test(test_request_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
