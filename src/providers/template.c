/* {{name}} templates: one scanner drives checking, rendering and exact-match detection. */
#include "providers/template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a placeholder starting at p (which points at "{{"). On success stores the name and returns the position
 * after "}}"; NULL with a reason when malformed. */
static const char *parse_placeholder(const char *p, char *name, char *err, size_t errlen)
{
    const char *q = p + 2;
    while (*q == ' ')
        q++;
    size_t n = 0;
    if (!(isalpha((unsigned char)*q) || *q == '_')) {
        snprintf(err, errlen, "invalid placeholder name after '{{' (expected a letter or '_')");
        return NULL;
    }
    while (isalnum((unsigned char)q[n]) || q[n] == '_')
        n++;
    if (n > BW_TPL_NAME_MAX) {
        snprintf(err, errlen, "placeholder name longer than %d characters", BW_TPL_NAME_MAX);
        return NULL;
    }
    memcpy(name, q, n);
    name[n] = '\0';
    q += n;
    while (*q == ' ')
        q++;
    if (q[0] != '}' || q[1] != '}') {
        snprintf(err, errlen, "unterminated placeholder '{{%s' (expected '}}')", name);
        return NULL;
    }
    return q + 2;
}

typedef bool (*text_fn)(const char *s, size_t n, void *ctx);
typedef bool (*name_fn)(const char *name, void *ctx);

static bw_status walk(const char *tpl, text_fn text, name_fn each, void *ctx, char *err, size_t errlen)
{
    char name[BW_TPL_NAME_MAX + 1];
    const char *p = tpl;
    for (;;) {
        const char *open = strstr(p, "{{");
        if (!open)
            return text && !text(p, strlen(p), ctx) ? BW_E_LIMIT : BW_OK;
        if (text && !text(p, (size_t)(open - p), ctx))
            return BW_E_LIMIT;
        const char *after = parse_placeholder(open, name, err, errlen);
        if (!after)
            return BW_E_INVALID_ARG;
        if (!each(name, ctx))
            return BW_E_INVALID_ARG;
        p = after;
    }
}

bw_status bw_tpl_scan(const char *tpl, bool (*each)(const char *name, void *ctx), void *ctx, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    char scratch[160];
    return walk(tpl, NULL, each, ctx, err ? err : scratch, err ? errlen : sizeof scratch);
}

typedef struct render_ctx {
    const json_t *args;
    bw_buf *out;
    bool *missing;
    bool over;
} render_ctx;

static bool render_text(const char *s, size_t n, void *vctx)
{
    render_ctx *c = vctx;
    if (n && bw_buf_append(c->out, s, n) != BW_OK) {
        c->over = true;
        return false;
    }
    return true;
}

static bool render_value(const char *name, void *vctx)
{
    render_ctx *c = vctx;
    const json_t *v = json_is_object(c->args) ? json_object_get(c->args, name) : NULL;
    if (!v) {
        if (c->missing)
            *c->missing = true;
        return true;
    }
    if (json_is_string(v))
        return render_text(json_string_value(v), json_string_length(v), c);
    if (json_is_null(v))
        return true;
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    bool ok = s && render_text(s, strlen(s), c);
    free(s);
    return ok;
}

bw_status bw_tpl_render(const char *tpl, const json_t *args, bw_buf *out, bool *missing)
{
    render_ctx c = {.args = args, .out = out, .missing = missing};
    char err[160];
    bw_status st = walk(tpl, render_text, render_value, &c, err, sizeof err);
    if (st == BW_E_INVALID_ARG && c.over)
        return BW_E_LIMIT;
    return st;
}

bool bw_tpl_exact(const char *tpl, char *name)
{
    char err[160];
    if (strncmp(tpl, "{{", 2) != 0)
        return false;
    const char *after = parse_placeholder(tpl, name, err, sizeof err);
    return after && *after == '\0';
}
