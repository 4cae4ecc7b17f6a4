/* Mcp-Param-{Name} headers (SEP-2243 "Custom Headers from Tool Parameters"): each argument a tool's inputSchema
 * annotates with "x-mcp-header" must be mirrored in its header, and the header must hold the same value. */
#include <stdio.h>
#include <string.h>

#include "core/decimal.h"
#include "protocol/mcp_headers_internal.h"

#define PARAM_PREFIX "Mcp-Param-"
/* Integers must stay within what an IEEE 754 double holds exactly, so JavaScript intermediaries agree. */
#define SAFE_INT_MAX 9007199254740991LL

typedef struct pctx {
    bw_header_get get;
    void *ctx;
    char *why;
    size_t whylen;
} pctx;

/* Writes a body value as it is quoted in messages into buf. */
static void body_text(const json_t *arg, char *buf, size_t len)
{
    if (json_is_string(arg))
        snprintf(buf, len, BW_ECHO_FMT, BW_ECHO_ARGS(json_string_value(arg), json_string_length(arg)));
    else if (json_is_integer(arg))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(arg));
    else if (json_is_boolean(arg))
        snprintf(buf, len, "%s", json_is_true(arg) ? "true" : "false");
    else
        snprintf(buf, len, "%.17g", json_real_value(arg));
}

/* The integer a body value mirrors, when it is one a header can carry: an integer, or an integral real (42.0),
 * within the safe range. */
static bool body_integer(const json_t *arg, long long *out)
{
    if (json_is_integer(arg)) {
        *out = json_integer_value(arg);
        return *out >= -SAFE_INT_MAX && *out <= SAFE_INT_MAX;
    }
    double r = json_real_value(arg); /* 0.0 when arg is not a real */
    if (!json_is_real(arg) || r < (double)-SAFE_INT_MAX || r > (double)SAFE_INT_MAX || r != (double)(long long)r)
        return false;
    *out = (long long)r;
    return true;
}

static bool value_matches(const json_t *arg, const bw_hval *v)
{
    long long i;
    if (json_is_string(arg))
        return v->n == json_string_length(arg) && memcmp(v->p, json_string_value(arg), v->n) == 0;
    if (json_is_boolean(arg)) {
        const char *want = json_is_true(arg) ? "true" : "false";
        return v->n == strlen(want) && memcmp(v->p, want, v->n) == 0;
    }
    return body_integer(arg, &i) && bw_decimal_equals_int(v->p, v->n, i);
}

static bool can_mirror(const json_t *arg)
{
    long long i;
    return json_is_string(arg) || json_is_boolean(arg) || body_integer(arg, &i);
}

static bool compare(const pctx *c, const char *hname, const char *key, const json_t *arg, const bw_hval *v)
{
    size_t klen = strlen(key);
    if (!can_mirror(arg))
        return bw_mcp_why(c->why, c->whylen,
                          "Header mismatch: argument " BW_ECHO_FMT " cannot be mirrored in the %s header (only "
                          "strings, booleans and integers within +-(2^53-1) can)",
                          BW_ECHO_ARGS(key, klen), hname);
    if (value_matches(arg, v))
        return true;
    char body[BW_MCP_HEADER_ECHO_MAX + 8];
    body_text(arg, body, sizeof body);
    return bw_mcp_why(c->why, c->whylen,
                      "Header mismatch: %s header value " BW_ECHO_FMT " does not match argument " BW_ECHO_FMT
                      " value %s",
                      hname, BW_ECHO_ARGS(v->raw, v->raw_len), BW_ECHO_ARGS(key, klen), body);
}

/* One annotated property: `name` its x-mcp-header value, `key` its property name, `arg` the argument or NULL. */
static bool check_param(const pctx *c, const char *name, const char *key, const json_t *arg)
{
    char hname[sizeof PARAM_PREFIX + BW_MCP_HEADER_NAME_MAX];
    size_t klen = strlen(key);
    if (!name[0] || strlen(name) > BW_MCP_HEADER_NAME_MAX)
        return bw_mcp_why(c->why, c->whylen, "Header mismatch: the tool's x-mcp-header for argument " BW_ECHO_FMT
                          " is not a valid header name", BW_ECHO_ARGS(key, klen));
    snprintf(hname, sizeof hname, PARAM_PREFIX "%s", name);
    bw_hval v;
    bw_hval_status st = bw_hval_read(c->get, c->ctx, hname, true, &v);
    if (!arg || json_is_null(arg)) {
        bw_hval_release(&v);
        if (st == BW_HVAL_ABSENT)
            return true;
        return bw_mcp_why(c->why, c->whylen,
                          "Header mismatch: %s header sent but argument " BW_ECHO_FMT " is absent or null", hname,
                          BW_ECHO_ARGS(key, klen));
    }
    if (st == BW_HVAL_ABSENT)
        return bw_mcp_why(c->why, c->whylen, "Header mismatch: missing %s header for argument " BW_ECHO_FMT, hname,
                          BW_ECHO_ARGS(key, klen));
    if (st != BW_HVAL_OK)
        return bw_hval_fail(st, hname, &v, c->why, c->whylen);
    bool ok = compare(c, hname, key, arg, &v);
    bw_hval_release(&v);
    return ok;
}

static bool check_props(const pctx *c, const json_t *schema, const json_t *args, unsigned depth)
{
    const json_t *props = json_object_get(schema, "properties");
    if (!json_is_object(props) || depth > BW_MCP_HEADER_MAX_DEPTH)
        return true; /* deeper annotations are refused at registration (bw_mcp_headers_schema_ok) */
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)props, key, sub) {
        const json_t *arg = json_object_get(args, key);
        const json_t *ann = json_object_get(sub, "x-mcp-header");
        if (json_is_string(ann) && !check_param(c, json_string_value(ann), key, arg))
            return false;
        if (!check_props(c, sub, arg, depth + 1))
            return false;
    }
    return true;
}

bool bw_mcp_param_headers_check(const json_t *schema, const json_t *args, bw_header_get get, void *ctx, char *why,
                                size_t whylen)
{
    pctx c = {.get = get, .ctx = ctx, .why = why, .whylen = whylen};
    return check_props(&c, schema, args, 1);
}
