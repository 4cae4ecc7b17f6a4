/* Unit tests for src/protocol/mcp_headers*.c: the SEP-2243 header check (Mcp-Method, Mcp-Name, Mcp-Param-*)
 * against request bodies, with every case of the conformance scenarios http-header-validation and
 * http-custom-header-server-validation, and the registration-time x-mcp-header rules. Messages are asserted
 * exactly: they are what a client sees in error -32020. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protocol/mcp_headers.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_HDRS 6

/* ---- fake request headers: names compared case-insensitively, like the HTTP layer's lookup ---- */

typedef struct hdr {
    const char *name;
    const char *value;
} hdr;

typedef struct fake_req {
    const hdr *hdrs;
    size_t n;
} fake_req;

static const char *fake_get(void *ctx, const char *name)
{
    const fake_req *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (r->hdrs[i].name && strcasecmp(r->hdrs[i].name, name) == 0)
            return r->hdrs[i].value;
    return NULL;
}

/* JSON written with ' for " so the tables stay readable. */
static json_t *j(const char *text)
{
    if (!text)
        return NULL;
    char buf[4096];
    size_t len = strlen(text);
    assert_true(len < sizeof buf);
    for (size_t i = 0; i <= len; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    json_error_t err;
    json_t *v = json_loads(buf, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, err.text);
    return v;
}

/* The conformance fixture test_x_mcp_header, plus annotated integer, boolean and nested properties. */
#define FIXTURE "{'type':'object','properties':{'region':{'type':'string','x-mcp-header':'Region'},"            \
                "'level':{'type':'integer'}}}"
#define TYPED                                                                                                   \
    "{'type':'object','properties':{'region':{'type':'string','x-mcp-header':'Region'},"                      \
    "'priority':{'type':'integer','x-mcp-header':'Priority'},'verbose':{'type':'boolean','x-mcp-header':'Verbose'}," \
    "'query':{'type':'string'},"                                                                                \
    "'target':{'type':'object','properties':{'zone':{'type':'string','x-mcp-header':'Zone'}}}}}"

typedef struct check_case {
    const char *label;
    const char *method;
    const char *params; /* JSON with ' for ", or NULL */
    const char *schema; /* the called tool's inputSchema, or NULL */
    hdr hdrs[MAX_HDRS];
    const char *why; /* NULL: must pass; else the exact failure message */
} check_case;

#define CALL(args) "{'name':'test_x_mcp_header','arguments':" args ",'_meta':{}}"
#define M_CALL {"Mcp-Method", "tools/call"}
#define N_FIX {"Mcp-Name", "test_x_mcp_header"}

static void run_checks(const check_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const check_case *c = &cases[i];
        json_t *params = j(c->params), *schema = j(c->schema);
        fake_req req = {c->hdrs, MAX_HDRS};
        char why[512];
        memset(why, 'x', sizeof why);
        bool ok = bw_mcp_headers_check(c->method, params, schema, fake_get, &req, why, sizeof why);
        if (!c->why && !ok)
            fail_msg("case '%s': rejected with \"%s\", want accepted", c->label, why);
        if (c->why && ok)
            fail_msg("case '%s': accepted, want \"%s\"", c->label, c->why);
        if (c->why && strcmp(why, c->why) != 0)
            fail_msg("case '%s':\n  got  \"%s\"\n  want \"%s\"", c->label, why, c->why);
        if (!c->why && why[0] != '\0')
            fail_msg("case '%s': accepted but why is \"%s\", want empty", c->label, why);
        json_decref(params);
        json_decref(schema);
    }
}

/* §3.10 http-header-validation, case by case. */
static const check_case conformance_standard[] = {
    {"setup: plain tools/list", "tools/list", "{'_meta':{}}", NULL, {{"Mcp-Method", "tools/list"}}, NULL},
    {"mismatched method", "tools/list", "{'_meta':{}}", NULL, {{"Mcp-Method", "prompts/list"}},
     "Header mismatch: Mcp-Method header value 'prompts/list' does not match body method 'tools/list'"},
    {"missing method", "tools/list", "{'_meta':{}}", NULL, {{"Content-Type", "application/json"}},
     "Header mismatch: missing Mcp-Method header (body method 'tools/list')"},
    {"wrong tool name", "tools/call", CALL("{}"), FIXTURE, {M_CALL, {"Mcp-Name", "wrong_tool_name"}},
     "Header mismatch: Mcp-Name header value 'wrong_tool_name' does not match body name 'test_x_mcp_header'"},
    {"padded tool name is trimmed", "tools/call", CALL("{}"), FIXTURE, {M_CALL, {"Mcp-Name", "  test_x_mcp_header  "}},
     NULL},
    {"tab-padded tool name is trimmed", "tools/call", CALL("{}"), FIXTURE,
     {{"Mcp-Method", "\ttools/call "}, {"Mcp-Name", "\t test_x_mcp_header\t"}}, NULL},
    {"missing tool name", "tools/call", CALL("{}"), FIXTURE, {M_CALL},
     "Header mismatch: missing Mcp-Name header (body name 'test_x_mcp_header')"},
    {"lower-case header name", "tools/list", "{'_meta':{}}", NULL, {{"mcp-method", "tools/list"}}, NULL},
    {"upper-case header name", "tools/list", "{'_meta':{}}", NULL, {{"MCP-METHOD", "tools/list"}}, NULL},
    {"value case matters", "tools/list", "{'_meta':{}}", NULL, {{"Mcp-Method", "TOOLS/LIST"}},
     "Header mismatch: Mcp-Method header value 'TOOLS/LIST' does not match body method 'tools/list'"},
};

/* §3.10 http-custom-header-server-validation, case by case (fixture test_x_mcp_header). */
static const check_case conformance_custom[] = {
    {"decode base64", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG8=?="}}, NULL},
    {"invalid padding", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG8?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?SGVsbG8?=' is not valid base64"},
    {"non-alphabet characters", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVs!!!bG8=?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?SGVs!!!bG8=?=' is not valid base64"},
    {"no prefix is a literal", "tools/call", CALL("{'region':'SGVsbG8='}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "SGVsbG8="}}, NULL},
    {"no suffix is a literal", "tools/call", CALL("{'region':'=?base64?SGVsbG8='}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG8="}}, NULL},
    {"header missing, value in body", "tools/call", CALL("{'region':'test-value'}"), FIXTURE, {M_CALL, N_FIX},
     "Header mismatch: missing Mcp-Param-Region header for argument 'region'"},
    /* the same tool called with {} (http-header-validation's padded-name case) needs no Mcp-Param header */
    {"empty arguments", "tools/call", CALL("{}"), FIXTURE, {M_CALL, N_FIX}, NULL},
};

/* Base64 sentinel and literal details beyond the suite. */
static const check_case encoding[] = {
    {"decoded value differs", "tools/call", CALL("{'region':'World'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG8=?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?SGVsbG8=?=' does not match argument 'region' value "
     "'World'"},
    {"literal differs", "tools/call", CALL("{'region':'us-west1'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "us-east1"}},
     "Header mismatch: Mcp-Param-Region header value 'us-east1' does not match argument 'region' value 'us-west1'"},
    {"literal matches", "tools/call", CALL("{'region':'us-west1'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "us-west1"}}, NULL},
    {"literal is case-sensitive", "tools/call", CALL("{'region':'us-west1'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "US-WEST1"}},
     "Header mismatch: Mcp-Param-Region header value 'US-WEST1' does not match argument 'region' value 'us-west1'"},
    {"header name case-insensitive", "tools/call", CALL("{'region':'us-west1'}"), FIXTURE,
     {M_CALL, N_FIX, {"mcp-param-region", "us-west1"}}, NULL},
    {"non-ASCII via base64", "tools/call", CALL("{'region':'Hello, \xe4\xb8\x96\xe7\x95\x8c'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG8sIOS4lueVjA==?="}}, NULL},
    {"padded value via base64", "tools/call", CALL("{'region':' padded '}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?IHBhZGRlZCA=?="}}, NULL},
    {"padded literal is trimmed, so it differs", "tools/call", CALL("{'region':' padded '}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", " padded "}},
     "Header mismatch: Mcp-Param-Region header value 'padded' does not match argument 'region' value ' padded '"},
    {"sentinel-looking value via base64", "tools/call", CALL("{'region':'=?base64?literal?='}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="}}, NULL},
    {"empty payload is the empty string", "tools/call", CALL("{'region':''}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?" "?="}}, NULL},
    {"overlapping prefix and suffix is a literal", "tools/call", CALL("{'region':'=?base64?='}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?="}}, NULL},
    {"upper-case sentinel is a literal", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?BASE64?SGVsbG8=?="}},
     "Header mismatch: Mcp-Param-Region header value '=?BASE64?SGVsbG8=?=' does not match argument 'region' value "
     "'Hello'"},
    {"too much padding", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG8==?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?SGVsbG8==?=' is not valid base64"},
    {"nonzero unused bits", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVsbG9=?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?SGVsbG9=?=' is not valid base64"},
    {"space inside base64", "tools/call", CALL("{'region':'Hello'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?SGVs bG8=?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?SGVs bG8=?=' is not valid base64"},
    {"url-safe alphabet", "tools/call", CALL("{'region':'x'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "=?base64?__8=?="}},
     "Header mismatch: Mcp-Param-Region header value '=?base64?__8=?=' is not valid base64"},
    {"non-ASCII bytes in a header", "tools/call", CALL("{'region':'caf\xc3\xa9'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "caf\xc3\xa9"}},
     "Header mismatch: Mcp-Param-Region header value contains characters not allowed in a header"},
    {"control character in a header", "tools/call", CALL("{'region':'a\\u0001b'}"), FIXTURE,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "a\x01" "b"}},
     "Header mismatch: Mcp-Param-Region header value contains characters not allowed in a header"},
    {"Mcp-Name via base64", "tools/call", CALL("{}"), FIXTURE,
     {M_CALL, {"Mcp-Name", "=?base64?dGVzdF94X21jcF9oZWFkZXI=?="}}, NULL},
    {"Mcp-Name bad base64", "tools/call", CALL("{}"), FIXTURE, {M_CALL, {"Mcp-Name", "=?base64?dGVzd?="}},
     "Header mismatch: Mcp-Name header value '=?base64?dGVzd?=' is not valid base64"},
    {"Mcp-Method has no base64 form", "tools/list", "{}", NULL, {{"Mcp-Method", "=?base64?dG9vbHMvbGlzdA==?="}},
     "Header mismatch: Mcp-Method header value '=?base64?dG9vbHMvbGlzdA==?=' does not match body method 'tools/list'"},
    {"Mcp-Method with a control character", "tools/list", "{}", NULL, {{"Mcp-Method", "tools/list\r\n"}},
     "Header mismatch: Mcp-Method header value contains characters not allowed in a header"},
    {"empty Mcp-Method", "tools/list", "{}", NULL, {{"Mcp-Method", "  "}},
     "Header mismatch: Mcp-Method header value '' does not match body method 'tools/list'"},
};

/* Integers compare numerically and exactly; booleans as true/false. */
#define PRIO(v) CALL("{'priority':" v "}")
#define HP(v) {M_CALL, N_FIX, {"Mcp-Param-Priority", v}}
#define PRIO_BAD(h, body) \
    "Header mismatch: Mcp-Param-Priority header value '" h "' does not match argument 'priority' value " body
static const check_case typed[] = {
    {"42 = 42", "tools/call", PRIO("42"), TYPED, HP("42"), NULL},
    {"042 = 42", "tools/call", PRIO("42"), TYPED, HP("042"), NULL},
    {"42.0 = 42", "tools/call", PRIO("42"), TYPED, HP("42.0"), NULL},
    {"4.2e1 = 42", "tools/call", PRIO("42"), TYPED, HP("4.2e1"), NULL},
    {"4200E-2 = 42", "tools/call", PRIO("42"), TYPED, HP("4200E-2"), NULL},
    {"0.042e+3 = 42", "tools/call", PRIO("42"), TYPED, HP("0.042e+3"), NULL},
    {"trimmed ' 42 ' = 42", "tools/call", PRIO("42"), TYPED, HP(" 42 "), NULL},
    {"base64 of 42", "tools/call", PRIO("42"), TYPED, HP("=?base64?NDI=?="), NULL},
    {"-7 = -7", "tools/call", PRIO("-7"), TYPED, HP("-7"), NULL},
    {"-0 = 0", "tools/call", PRIO("0"), TYPED, HP("-0"), NULL},
    {"0e999999 = 0", "tools/call", PRIO("0"), TYPED, HP("0e999999"), NULL},
    {"max safe integer", "tools/call", PRIO("9007199254740991"), TYPED, HP("9007199254740991"), NULL},
    {"min safe integer", "tools/call", PRIO("-9007199254740991"), TYPED, HP("-9007199254740991"), NULL},
    {"integral real body 42.0", "tools/call", PRIO("42.0"), TYPED, HP("42"), NULL},
    {"43 != 42", "tools/call", PRIO("42"), TYPED, HP("43"), PRIO_BAD("43", "42")},
    {"-42 != 42", "tools/call", PRIO("42"), TYPED, HP("-42"), PRIO_BAD("-42", "42")},
    {"4.2 != 42 (same digits, a fraction)", "tools/call", PRIO("42"), TYPED, HP("4.2"), PRIO_BAD("4.2", "42")},
    {"420e-1 = 42", "tools/call", PRIO("42"), TYPED, HP("420e-1"), NULL},
    {"0 != 5", "tools/call", PRIO("5"), TYPED, HP("0.000"), PRIO_BAD("0.000", "5")},
    {"42.5 != 42", "tools/call", PRIO("42"), TYPED, HP("42.5"), PRIO_BAD("42.5", "42")},
    {"no float rounding", "tools/call", PRIO("42"), TYPED, HP("42.0000000000000001"),
     PRIO_BAD("42.0000000000000001", "42")},
    {"no float rounding near 2^53", "tools/call", PRIO("9007199254740990"), TYPED, HP("9007199254740990.5"),
     PRIO_BAD("9007199254740990.5", "9007199254740990")},
    {"huge header", "tools/call", PRIO("1"), TYPED, HP("100000000000000000000000000000000000000001"),
     PRIO_BAD("100000000000000000000000000000000000000001", "1")},
    {"huge exponent", "tools/call", PRIO("1"), TYPED, HP("1e999999999999"), PRIO_BAD("1e999999999999", "1")},
    {"tiny exponent", "tools/call", PRIO("0"), TYPED, HP("1e-999999999999"), PRIO_BAD("1e-999999999999", "0")},
    {"+42 is not JSON number syntax", "tools/call", PRIO("42"), TYPED, HP("+42"), PRIO_BAD("+42", "42")},
    {"hex is not decimal", "tools/call", PRIO("42"), TYPED, HP("0x2A"), PRIO_BAD("0x2A", "42")},
    {"42. is malformed", "tools/call", PRIO("42"), TYPED, HP("42."), PRIO_BAD("42.", "42")},
    {".5e2 is malformed", "tools/call", PRIO("50"), TYPED, HP(".5e2"), PRIO_BAD(".5e2", "50")},
    {"42e is malformed", "tools/call", PRIO("42"), TYPED, HP("42e"), PRIO_BAD("42e", "42")},
    {"lone minus", "tools/call", PRIO("0"), TYPED, HP("-"), PRIO_BAD("-", "0")},
    {"empty value", "tools/call", PRIO("0"), TYPED, HP(""), PRIO_BAD("", "0")},
    {"words", "tools/call", PRIO("42"), TYPED, HP("forty-two"), PRIO_BAD("forty-two", "42")},
    {"beyond the safe range", "tools/call", PRIO("9007199254740992"), TYPED, HP("9007199254740992"),
     "Header mismatch: argument 'priority' cannot be mirrored in the Mcp-Param-Priority header (only strings, "
     "booleans and integers within +-(2^53-1) can)"},
    {"non-integral real", "tools/call", PRIO("42.5"), TYPED, HP("42.5"),
     "Header mismatch: argument 'priority' cannot be mirrored in the Mcp-Param-Priority header (only strings, "
     "booleans and integers within +-(2^53-1) can)"},
    {"integer header for a string argument", "tools/call", PRIO("'42'"), TYPED, HP("42.0"),
     PRIO_BAD("42.0", "'42'")},
    {"true", "tools/call", CALL("{'verbose':true}"), TYPED, {M_CALL, N_FIX, {"Mcp-Param-Verbose", "true"}}, NULL},
    {"false", "tools/call", CALL("{'verbose':false}"), TYPED, {M_CALL, N_FIX, {"Mcp-Param-Verbose", "false"}}, NULL},
    {"True is not true", "tools/call", CALL("{'verbose':true}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Verbose", "True"}},
     "Header mismatch: Mcp-Param-Verbose header value 'True' does not match argument 'verbose' value true"},
    {"1 is not true", "tools/call", CALL("{'verbose':true}"), TYPED, {M_CALL, N_FIX, {"Mcp-Param-Verbose", "1"}},
     "Header mismatch: Mcp-Param-Verbose header value '1' does not match argument 'verbose' value true"},
    {"object argument", "tools/call", CALL("{'region':{'a':1}}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "x"}},
     "Header mismatch: argument 'region' cannot be mirrored in the Mcp-Param-Region header (only strings, "
     "booleans and integers within +-(2^53-1) can)"},
    {"all together", "tools/call",
     CALL("{'region':'eu','priority':3,'verbose':false,'query':'q','target':{'zone':'z1'}}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "eu"}, {"Mcp-Param-Priority", "3"}, {"Mcp-Param-Verbose", "false"},
      {"Mcp-Param-Zone", "z1"}},
     NULL},
};

/* Absent and null arguments need no header, and must not have one; nested properties; other methods. */
static const check_case presence[] = {
    {"null argument, no header", "tools/call", CALL("{'region':'eu','verbose':null}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Region", "eu"}}, NULL},
    {"absent argument, no header", "tools/call", CALL("{'query':'q'}"), TYPED, {M_CALL, N_FIX}, NULL},
    {"no arguments member", "tools/call", "{'name':'test_x_mcp_header'}", TYPED, {M_CALL, N_FIX}, NULL},
    {"arguments not an object", "tools/call", "{'name':'test_x_mcp_header','arguments':[1]}", TYPED,
     {M_CALL, N_FIX}, NULL},
    {"null argument with a header", "tools/call", CALL("{'verbose':null}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Verbose", "true"}},
     "Header mismatch: Mcp-Param-Verbose header sent but argument 'verbose' is absent or null"},
    {"absent argument with a header", "tools/call", CALL("{}"), TYPED, {M_CALL, N_FIX, {"Mcp-Param-Priority", "1"}},
     "Header mismatch: Mcp-Param-Priority header sent but argument 'priority' is absent or null"},
    {"unannotated argument needs no header", "tools/call", CALL("{'query':'select 1'}"), TYPED, {M_CALL, N_FIX},
     NULL},
    {"unknown Mcp-Param header is ignored", "tools/call", CALL("{}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Query", "select 1"}}, NULL},
    {"nested argument", "tools/call", CALL("{'target':{'zone':'z1'}}"), TYPED,
     {M_CALL, N_FIX, {"Mcp-Param-Zone", "z1"}}, NULL},
    {"nested argument without header", "tools/call", CALL("{'target':{'zone':'z1'}}"), TYPED, {M_CALL, N_FIX},
     "Header mismatch: missing Mcp-Param-Zone header for argument 'zone'"},
    {"nested parent null", "tools/call", CALL("{'target':null}"), TYPED, {M_CALL, N_FIX}, NULL},
    {"nested parent a string", "tools/call", CALL("{'target':'z1'}"), TYPED, {M_CALL, N_FIX}, NULL},
    {"no schema: no param check", "tools/call", CALL("{'region':'eu'}"), NULL, {M_CALL, N_FIX}, NULL},
    {"params checked for tools/call only", "prompts/get", "{'name':'p','arguments':{'region':'eu'}}", FIXTURE,
     {{"Mcp-Method", "prompts/get"}, {"Mcp-Name", "p"}}, NULL},
    {"prompts/get name", "prompts/get", "{'name':'greet'}", NULL, {{"Mcp-Method", "prompts/get"}, {"Mcp-Name", "grt"}},
     "Header mismatch: Mcp-Name header value 'grt' does not match body name 'greet'"},
    {"resources/read uri", "resources/read", "{'uri':'file:///projects/myapp/config.json'}", NULL,
     {{"Mcp-Method", "resources/read"}, {"Mcp-Name", "file:///projects/myapp/config.json"}}, NULL},
    {"resources/read other uri", "resources/read", "{'uri':'file:///a'}", NULL,
     {{"Mcp-Method", "resources/read"}, {"Mcp-Name", "file:///b"}},
     "Header mismatch: Mcp-Name header value 'file:///b' does not match body uri 'file:///a'"},
    {"resources/read without Mcp-Name", "resources/read", "{'uri':'file:///a'}", NULL,
     {{"Mcp-Method", "resources/read"}}, "Header mismatch: missing Mcp-Name header (body uri 'file:///a')"},
    {"tasks/get taskId", "tasks/get", "{'taskId':'t-1'}", NULL, {{"Mcp-Method", "tasks/get"}, {"Mcp-Name", "t-1"}},
     NULL},
    {"tasks/update taskId differs", "tasks/update", "{'taskId':'t-1'}", NULL,
     {{"Mcp-Method", "tasks/update"}, {"Mcp-Name", "t-2"}},
     "Header mismatch: Mcp-Name header value 't-2' does not match body taskId 't-1'"},
    {"tasks/cancel without Mcp-Name", "tasks/cancel", "{'taskId':'t-1'}", NULL, {{"Mcp-Method", "tasks/cancel"}},
     "Header mismatch: missing Mcp-Name header (body taskId 't-1')"},
    {"tools/list needs no Mcp-Name", "tools/list", "{}", NULL, {{"Mcp-Method", "tools/list"}}, NULL},
    {"server/discover needs no Mcp-Name", "server/discover", NULL, NULL, {{"Mcp-Method", "server/discover"}}, NULL},
    {"Mcp-Name on other methods is not checked", "ping", "{}", NULL, {{"Mcp-Method", "ping"}, {"Mcp-Name", "x"}},
     NULL},
    {"body without name: left to -32602", "tools/call", "{'arguments':{}}", NULL, {M_CALL}, NULL},
    {"body name not a string: left to -32602", "tools/call", "{'name':7}", NULL, {M_CALL}, NULL},
    {"method checked before name", "tools/call", CALL("{}"), NULL, {{"Mcp-Method", "tools/list"}},
     "Header mismatch: Mcp-Method header value 'tools/list' does not match body method 'tools/call'"},
};

static void test_conformance_standard_headers(void **state)
{
    (void)state;
    run_checks(conformance_standard, N(conformance_standard));
}

static void test_conformance_custom_headers(void **state)
{
    (void)state;
    run_checks(conformance_custom, N(conformance_custom));
}

static void test_encoding(void **state)
{
    (void)state;
    run_checks(encoding, N(encoding));
}

static void test_typed_values(void **state)
{
    (void)state;
    run_checks(typed, N(typed));
}

static void test_presence_and_methods(void **state)
{
    (void)state;
    run_checks(presence, N(presence));
}

/* Quoted values stop at 64 bytes (plus "..."), never inside a UTF-8 character; why may be NULL or short. */
static void test_messages_are_bounded(void **state)
{
    (void)state;
    char long_value[201], body_name[160], params[256], why[512], want[512];
    memset(long_value, 'a', 200);
    long_value[200] = '\0';
    hdr hs[] = {{"Mcp-Method", long_value}};
    fake_req req = {hs, 1};
    assert_false(bw_mcp_headers_check("tools/list", NULL, NULL, fake_get, &req, why, sizeof why));
    snprintf(want, sizeof want,
             "Header mismatch: Mcp-Method header value '%.64s...' does not match body method 'tools/list'",
             long_value);
    assert_string_equal(why, want);

    /* body name: 63 ASCII bytes then U+00E9 (2 bytes) straddling the 64-byte cut */
    memset(body_name, 'b', 63);
    strcpy(body_name + 63, "\xc3\xa9tail");
    snprintf(params, sizeof params, "{\"name\":\"%s\"}", body_name);
    json_t *p = json_loads(params, 0, NULL);
    assert_non_null(p);
    hdr hn[] = {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "short"}};
    fake_req rn = {hn, 2};
    assert_false(bw_mcp_headers_check("tools/call", p, NULL, fake_get, &rn, why, sizeof why));
    snprintf(want, sizeof want, "Header mismatch: Mcp-Name header value 'short' does not match body name '%.63s...'",
             body_name);
    assert_string_equal(why, want);

    /* values longer than BW_MCP_HEADER_VALUE_MAX are refused without being read further */
    static char huge[BW_MCP_HEADER_VALUE_MAX + 2];
    memset(huge, 'c', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    hdr hh[] = {{"Mcp-Method", "tools/call"}, {"Mcp-Name", huge}};
    fake_req rh = {hh, 2};
    json_t *hp = json_pack("{s:s#}", "name", huge, (int)(sizeof huge - 2));
    assert_false(bw_mcp_headers_check("tools/call", hp, NULL, fake_get, &rh, why, sizeof why));
    assert_string_equal(why, "Header mismatch: Mcp-Name header value is longer than 8192 bytes");
    huge[sizeof huge - 2] = ' '; /* the limit counts trailing whitespace too */
    assert_false(bw_mcp_headers_check("tools/call", hp, NULL, fake_get, &rh, why, sizeof why));
    huge[sizeof huge - 2] = '\0'; /* exactly the limit is fine */
    assert_true(bw_mcp_headers_check("tools/call", hp, NULL, fake_get, &rh, why, sizeof why));
    json_decref(hp);

    /* a short buffer truncates but stays terminated; NULL why is allowed */
    char tiny[8];
    assert_false(bw_mcp_headers_check("tools/call", p, NULL, fake_get, &rn, tiny, sizeof tiny));
    assert_string_equal(tiny, "Header ");
    assert_false(bw_mcp_headers_check("tools/call", p, NULL, fake_get, &rn, NULL, 0));
    assert_false(bw_mcp_headers_check("tools/call", p, NULL, fake_get, &rn, why, 0));
    json_decref(p);
}

/* ---- registration-time rules ---- */

typedef struct schema_case {
    const char *label;
    const char *schema;
    const char *why; /* NULL: accepted */
} schema_case;

#define PROP(type, name) "{'type':'object','properties':{'v':{'type':" type ",'x-mcp-header':" name "}}}"
#define NAME_MSG(path)                                                                                             \
    path ": x-mcp-header must be a string of 1 to 64 characters A-Z a-z 0-9 !#$%&'*+-.^_`|~"
#define TYPE_MSG "inputSchema.properties.v: x-mcp-header is only allowed on a property of type string, integer or " \
                 "boolean"
#define PLACE_MSG(path)                                                                                            \
    path ": x-mcp-header is only allowed on a property reached from the root through 'properties' keys alone"

static const schema_case schemas[] = {
    {"the conformance fixture", FIXTURE, NULL},
    {"string, integer, boolean and nested", TYPED, NULL},
    {"no annotations", "{'type':'object','properties':{'a':{'type':'number'}}}", NULL},
    {"no properties", "{'type':'object'}", NULL},
    {"not an object", "true", NULL},
    {"a property named x-mcp-header",
     "{'type':'object','properties':{'x-mcp-header':{'type':'object','properties':{}}}}", NULL},
    {"x-mcp-header inside data keywords",
     "{'type':'object','properties':{'a':{'type':'object','default':{'x-mcp-header':'A'},"
     "'enum':[{'x-mcp-header':1}],'examples':[{'x-mcp-header':''}]}}}",
     NULL},
    {"64-character name", PROP("'string'", "'" "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234" "'"),
     NULL},
    {"empty name", PROP("'string'", "''"), NAME_MSG("inputSchema.properties.v")},
    {"65-character name", PROP("'string'", "'abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345'"),
     NAME_MSG("inputSchema.properties.v")},
    {"space in name", PROP("'string'", "'My Region'"), NAME_MSG("inputSchema.properties.v")},
    {"colon in name", PROP("'string'", "'Region:Primary'"), NAME_MSG("inputSchema.properties.v")},
    {"non-ASCII name", PROP("'string'", "'R\xc3\xa9gion'"), NAME_MSG("inputSchema.properties.v")},
    {"tab in name", PROP("'string'", "'Region\\t1'"), NAME_MSG("inputSchema.properties.v")},
    {"NUL in name", PROP("'string'", "'Re\\u0000gion'"), NAME_MSG("inputSchema.properties.v")},
    {"name not a string", PROP("'string'", "42"), NAME_MSG("inputSchema.properties.v")},
    {"number type", PROP("'number'", "'Score'"), TYPE_MSG},
    {"object type", PROP("'object'", "'Data'"), TYPE_MSG},
    {"array type", PROP("'array'", "'Items'"), TYPE_MSG},
    {"null type", PROP("'null'", "'Nil'"), TYPE_MSG},
    {"type list", PROP("['string','null']", "'Region'"), TYPE_MSG},
    {"no type", "{'type':'object','properties':{'v':{'enum':['a'],'x-mcp-header':'V'}}}", TYPE_MSG},
    {"duplicate, same case",
     "{'type':'object','properties':{'f1':{'type':'string','x-mcp-header':'Region'},"
     "'f2':{'type':'string','x-mcp-header':'Region'}}}",
     "inputSchema.properties.f2: x-mcp-header 'Region' is not unique (also 'Region', ignoring case)"},
    {"duplicate, other case",
     "{'type':'object','properties':{'f1':{'type':'string','x-mcp-header':'MyField'},"
     "'f2':{'type':'string','x-mcp-header':'myfield'}}}",
     "inputSchema.properties.f2: x-mcp-header 'myfield' is not unique (also 'MyField', ignoring case)"},
    {"duplicate across nesting",
     "{'type':'object','properties':{'f1':{'type':'string','x-mcp-header':'Zone'},"
     "'t':{'type':'object','properties':{'zone':{'type':'string','x-mcp-header':'ZONE'}}}}}",
     "inputSchema.properties.t.properties.zone: x-mcp-header 'ZONE' is not unique (also 'Zone', ignoring case)"},
    {"on the root", "{'type':'string','x-mcp-header':'Root'}", PLACE_MSG("inputSchema")},
    {"under items",
     "{'type':'object','properties':{'a':{'type':'array','items':{'type':'string','x-mcp-header':'A'}}}}",
     PLACE_MSG("inputSchema.properties.a.items")},
    {"under tuple items",
     "{'type':'object','properties':{'a':{'type':'array','items':[{'type':'string','x-mcp-header':'A'}]}}}",
     PLACE_MSG("inputSchema.properties.a.items")},
    {"under oneOf", "{'type':'object','oneOf':[{'type':'string','x-mcp-header':'A'}]}", PLACE_MSG("inputSchema.oneOf")},
    {"properties under anyOf",
     "{'type':'object','anyOf':[{'properties':{'a':{'type':'string','x-mcp-header':'A'}}}]}",
     PLACE_MSG("inputSchema.anyOf.properties.a")},
    {"under if/then", "{'type':'object','if':{},'then':{'properties':{'a':{'type':'string','x-mcp-header':'A'}}}}",
     PLACE_MSG("inputSchema.then.properties.a")},
    {"under $defs reached by $ref",
     "{'type':'object','properties':{'a':{'$ref':'#/$defs/s'}},'$defs':{'s':{'type':'string','x-mcp-header':'A'}}}",
     PLACE_MSG("inputSchema.$defs.s")},
    {"under additionalProperties",
     "{'type':'object','additionalProperties':{'type':'string','x-mcp-header':'A'}}",
     PLACE_MSG("inputSchema.additionalProperties")},
    {"under patternProperties",
     "{'type':'object','patternProperties':{'^a':{'type':'string','x-mcp-header':'A'}}}",
     PLACE_MSG("inputSchema.patternProperties.^a")},
    {"under not", "{'type':'object','not':{'type':'string','x-mcp-header':'A'}}", PLACE_MSG("inputSchema.not")},
};

static void test_schema_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(schemas); i++) {
        const schema_case *c = &schemas[i];
        json_t *s = j(c->schema);
        char why[512];
        memset(why, 'x', sizeof why);
        bool ok = bw_mcp_headers_schema_ok(s, why, sizeof why);
        if (!c->why && !ok)
            fail_msg("schema '%s': rejected with \"%s\", want accepted", c->label, why);
        if (c->why && ok)
            fail_msg("schema '%s': accepted, want \"%s\"", c->label, c->why);
        if (c->why && strcmp(why, c->why) != 0)
            fail_msg("schema '%s':\n  got  \"%s\"\n  want \"%s\"", c->label, why, c->why);
        json_decref(s);
    }
    assert_true(bw_mcp_headers_schema_ok(NULL, NULL, 0));
}

/* The name may use every RFC 9110 tchar, including ' (which the ' -> " tables cannot write). */
static void test_schema_all_tchars(void **state)
{
    (void)state;
    json_t *s = json_pack("{s:s,s:{s:{s:s,s:s}}}", "type", "object", "properties", "v", "type", "string",
                          "x-mcp-header", "Az09!#$%&'*+-.^_`|~");
    assert_non_null(s);
    char why[256];
    assert_true(bw_mcp_headers_schema_ok(s, why, sizeof why));
    assert_string_equal(why, "");
    json_decref(s);
}

/* Chains of "properties" up to 16 long are fine, 17 is not; nesting beyond the walk guard is refused. */
static json_t *nested(unsigned levels, bool annotate)
{
    json_t *leaf = json_pack("{s:s}", "type", "string");
    if (annotate)
        json_object_set_new(leaf, "x-mcp-header", json_string("Deep"));
    json_t *node = leaf;
    for (unsigned i = 0; i < levels; i++)
        node = json_pack("{s:s,s:{s:o}}", "type", "object", "properties", "p", node);
    return node;
}

static void test_schema_depth(void **state)
{
    (void)state;
    char why[512];
    json_t *ok16 = nested(16, true), *bad17 = nested(17, true), *deep = nested(200, false);
    assert_true(bw_mcp_headers_schema_ok(ok16, why, sizeof why));
    assert_false(bw_mcp_headers_schema_ok(bad17, why, sizeof why));
    assert_non_null(strstr(why, ": x-mcp-header is nested deeper than 16 properties"));
    assert_false(bw_mcp_headers_schema_ok(deep, why, sizeof why));
    assert_non_null(strstr(why, ": inputSchema nests deeper than 128 subschemas"));
    /* the request check walks the same chains: the 16-deep annotation is enforced */
    json_t *args = json_pack("{s:s}", "p", "v");
    for (unsigned i = 1; i < 16; i++)
        args = json_pack("{s:o}", "p", args);
    json_t *params = json_pack("{s:s,s:o}", "name", "t", "arguments", args);
    hdr hs[] = {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "t"}};
    fake_req req = {hs, 2};
    assert_false(bw_mcp_headers_check("tools/call", params, ok16, fake_get, &req, why, sizeof why));
    assert_string_equal(why, "Header mismatch: missing Mcp-Param-Deep header for argument 'p'");
    json_decref(params);
    json_decref(ok16);
    json_decref(bad17);
    json_decref(deep);
}

static void test_schema_annotation_count(void **state)
{
    (void)state;
    json_t *props = json_object();
    for (int i = 0; i < 65; i++) {
        char key[16];
        snprintf(key, sizeof key, "H%d", i);
        json_object_set_new(props, key, json_pack("{s:s,s:s}", "type", "string", "x-mcp-header", key));
    }
    json_t *s = json_pack("{s:s,s:o}", "type", "object", "properties", props);
    char why[256];
    assert_false(bw_mcp_headers_schema_ok(s, why, sizeof why));
    assert_string_equal(why, "inputSchema.properties.H64: more than 64 x-mcp-header annotations");
    json_object_del(props, "H64");
    assert_true(bw_mcp_headers_schema_ok(s, why, sizeof why));
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_standard_headers),
        cmocka_unit_test(test_conformance_custom_headers),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_typed_values),
        cmocka_unit_test(test_presence_and_methods),
        cmocka_unit_test(test_messages_are_bounded),
        cmocka_unit_test(test_schema_rules),
        cmocka_unit_test(test_schema_all_tchars),
        cmocka_unit_test(test_schema_depth),
        cmocka_unit_test(test_schema_annotation_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
