/* RFC 6570 level-1 URL templates and RFC 3986 percent-encoding. */
#include "providers/http_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static bool is_varchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bw_status bw_url_encode(bw_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    bool dots_only = n > 0 && n <= 2 && strspn(s, ".") >= n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        bw_status st = is_unreserved(c) && !dots_only ? bw_buf_append(out, &s[i], 1) : bw_buf_append(out, enc, 3);
        if (st != BW_OK)
            return st;
    }
    return BW_OK;
}

/* Parses the expression starting at p (which points at '{'); stores the name, returns the position after '}', or
 * NULL with a reason in err. */
static const char *parse_expr(const char *p, char *name, char *err, size_t errlen)
{
    const char *q = p + 1;
    if (*q && strchr("+#./;?&=,!@|", *q)) {
        snprintf(err, errlen, "URL template operator '{%c' is not supported (only level 1: {name})", *q);
        return NULL;
    }
    size_t n = 0;
    while (is_varchar((unsigned char)q[n]))
        n++;
    if (q[n] != '}' || n == 0) {
        snprintf(err, errlen, "invalid URL template expression at '%.20s' (expected {name} with letters, digits, '_')",
                 p);
        return NULL;
    }
    if (n > BW_URL_VAR_MAX) {
        snprintf(err, errlen, "URL template variable longer than %d characters", BW_URL_VAR_MAX);
        return NULL;
    }
    memcpy(name, q, n);
    name[n] = '\0';
    return q + n + 1;
}

typedef bool (*literal_fn)(const char *s, size_t n, void *ctx);
typedef bool (*var_fn)(const char *name, void *ctx);

static bw_status walk(const char *tpl, literal_fn literal, var_fn each, void *ctx, char *err, size_t errlen)
{
    char name[BW_URL_VAR_MAX + 1];
    const char *p = tpl;
    for (;;) {
        size_t span = strcspn(p, "{}");
        if (literal && !literal(p, span, ctx))
            return BW_E_LIMIT;
        p += span;
        if (!*p)
            return BW_OK;
        if (*p == '}') {
            snprintf(err, errlen, "unbalanced '}' in URL template");
            return BW_E_INVALID_ARG;
        }
        p = parse_expr(p, name, err, errlen);
        if (!p)
            return BW_E_INVALID_ARG;
        if (!each(name, ctx))
            return BW_E_INVALID_ARG;
    }
}

bw_status bw_url_tpl_scan(const char *tpl, bool (*each)(const char *name, void *ctx), void *ctx, char *err,
                          size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    return walk(tpl, NULL, each, ctx, err, errlen);
}

typedef struct expand_ctx {
    const json_t *args;
    bool encode;
    bw_buf *out;
    bw_status st; /* why a callback stopped the walk */
    char *err;
    size_t errlen;
} expand_ctx;

static bool put_literal(const char *s, size_t n, void *vctx)
{
    expand_ctx *c = vctx;
    c->st = bw_buf_append(c->out, s, n);
    return c->st == BW_OK;
}

static bool put_value(const char *name, void *vctx)
{
    expand_ctx *c = vctx;
    const json_t *v = json_object_get(c->args, name);
    if (!v || json_is_null(v)) {
        c->st = BW_E_NOT_FOUND;
        snprintf(c->err, c->errlen, "%s", name);
        return false;
    }
    if (json_is_array(v) || json_is_object(v)) {
        c->st = BW_E_INVALID_ARG;
        snprintf(c->err, c->errlen, "%s", name);
        return false;
    }
    char *num = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
    if (!json_is_string(v) && !num) {
        c->st = BW_E_NOMEM;
        return false;
    }
    const char *s = num ? num : json_string_value(v);
    size_t n = num ? strlen(num) : json_string_length(v);
    c->st = c->encode ? bw_url_encode(c->out, s, n) : bw_buf_append(c->out, s, n);
    free(num);
    return c->st == BW_OK;
}

bw_status bw_url_tpl_expand(const char *tpl, const json_t *args, bool encode, bw_buf *out, char *err, size_t errlen)
{
    expand_ctx c = {.args = args, .encode = encode, .out = out, .st = BW_OK, .err = err, .errlen = errlen};
    if (errlen)
        err[0] = '\0';
    bw_status st = walk(tpl, put_literal, put_value, &c, err, errlen);
    return st == BW_OK ? BW_OK : c.st != BW_OK ? c.st : st;
}
