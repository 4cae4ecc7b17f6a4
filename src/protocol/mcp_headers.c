/* SEP-2243 request header check: Mcp-Method and Mcp-Name against the body here, Mcp-Param-* in
 * mcp_headers_param.c. */
#include <string.h>

#include "protocol/mcp_headers_internal.h"

/* The params member Mcp-Name mirrors for `method`, or NULL when the method has no Mcp-Name. */
static const char *name_source(const char *method)
{
    static const struct {
        const char *method;
        const char *member;
    } sources[] = {
        {"tools/call", "name"},   {"prompts/get", "name"},   {"resources/read", "uri"},
        {"tasks/get", "taskId"},  {"tasks/update", "taskId"}, {"tasks/cancel", "taskId"},
    };
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(method, sources[i].method) == 0)
            return sources[i].member;
    return NULL;
}

static bool check_method(const char *method, bw_header_get get, void *ctx, char *why, size_t whylen)
{
    bw_hval v;
    size_t mlen = strlen(method);
    bw_hval_status st = bw_hval_read(get, ctx, "Mcp-Method", false, &v);
    if (st == BW_HVAL_ABSENT)
        return bw_mcp_why(why, whylen, "Header mismatch: missing Mcp-Method header (body method " BW_ECHO_FMT ")",
                          BW_ECHO_ARGS(method, mlen));
    if (st != BW_HVAL_OK)
        return bw_hval_fail(st, "Mcp-Method", &v, why, whylen);
    bool same = v.n == mlen && memcmp(v.p, method, mlen) == 0;
    if (!same)
        bw_mcp_why(why, whylen,
                   "Header mismatch: Mcp-Method header value " BW_ECHO_FMT " does not match body method " BW_ECHO_FMT,
                   BW_ECHO_ARGS(v.raw, v.raw_len), BW_ECHO_ARGS(method, mlen));
    bw_hval_release(&v);
    return same;
}

static bool check_name(const char *method, const json_t *params, bw_header_get get, void *ctx, char *why,
                       size_t whylen)
{
    const char *member = name_source(method);
    const json_t *body = member ? json_object_get(params, member) : NULL;
    if (!json_is_string(body))
        return true; /* no Mcp-Name for this method, or an invalid body that parameter validation rejects */
    const char *want = json_string_value(body);
    size_t wlen = json_string_length(body);
    bw_hval v;
    bw_hval_status st = bw_hval_read(get, ctx, "Mcp-Name", true, &v);
    if (st == BW_HVAL_ABSENT)
        return bw_mcp_why(why, whylen, "Header mismatch: missing Mcp-Name header (body %s " BW_ECHO_FMT ")", member,
                          BW_ECHO_ARGS(want, wlen));
    if (st != BW_HVAL_OK)
        return bw_hval_fail(st, "Mcp-Name", &v, why, whylen);
    bool same = v.n == wlen && memcmp(v.p, want, wlen) == 0;
    if (!same)
        bw_mcp_why(why, whylen,
                   "Header mismatch: Mcp-Name header value " BW_ECHO_FMT " does not match body %s " BW_ECHO_FMT,
                   BW_ECHO_ARGS(v.raw, v.raw_len), member, BW_ECHO_ARGS(want, wlen));
    bw_hval_release(&v);
    return same;
}

bool bw_mcp_headers_check(const char *method, const json_t *params, const json_t *tool_input_schema,
                          bw_header_get get, void *ctx, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    if (!check_method(method, get, ctx, why, whylen) || !check_name(method, params, get, ctx, why, whylen))
        return false;
    if (tool_input_schema && strcmp(method, "tools/call") == 0)
        return bw_mcp_param_headers_check(tool_input_schema, json_object_get(params, "arguments"), get, ctx, why,
                                          whylen);
    return true;
}
