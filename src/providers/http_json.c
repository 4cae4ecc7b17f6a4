/* RFC 6901 JSON pointers and typed JSON body templates. */
#include "providers/http_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "providers/template.h"

#define BODY_MAX_DEPTH 64

bool bw_json_pointer_check(const char *ptr, char *err, size_t errlen)
{
    if (*ptr && *ptr != '/') {
        snprintf(err, errlen, "a JSON pointer is empty or starts with '/'");
        return false;
    }
    for (const char *p = ptr; (p = strchr(p, '~')) != NULL; p += 2) {
        if (p[1] != '0' && p[1] != '1') {
            snprintf(err, errlen, "'~' in a JSON pointer must be followed by 0 or 1 (\"~0\" is '~', \"~1\" is '/')");
            return false;
        }
    }
    return true;
}

/* Decodes the reference token starting at p (up to the next '/' or the end) into tok; returns its end. */
static const char *next_token(const char *p, char *tok, size_t cap, bool *too_long)
{
    size_t n = 0;
    *too_long = false;
    for (; *p && *p != '/'; p++) {
        char c = *p;
        if (c == '~') {
            c = p[1] == '1' ? '/' : '~';
            p++;
        }
        if (n + 1 >= cap) {
            *too_long = true;
            continue;
        }
        tok[n++] = c;
    }
    tok[n] = '\0';
    return p;
}

/* An array index per RFC 6901: "0" or digits without a leading zero. */
static bool parse_index(const char *tok, size_t *index)
{
    if (!*tok || (tok[0] == '0' && tok[1]) || strspn(tok, "0123456789") != strlen(tok) || strlen(tok) > 18)
        return false;
    *index = (size_t)strtoull(tok, NULL, 10);
    return true;
}

const json_t *bw_json_pointer_get(const json_t *root, const char *ptr)
{
    char tok[1024];
    const json_t *cur = root;
    const char *p = ptr;
    while (cur && *p == '/') {
        bool too_long;
        p = next_token(p + 1, tok, sizeof tok, &too_long);
        size_t index;
        if (too_long)
            return NULL; /* longer than any key we accept to look up */
        if (json_is_object(cur))
            cur = json_object_get(cur, tok);
        else if (json_is_array(cur) && parse_index(tok, &index))
            cur = json_array_get(cur, index);
        else
            return NULL;
    }
    return cur;
}

static bw_status scan_value(const json_t *v, int depth, bool (*each)(const char *, void *), void *ctx,
                            const json_t **where, char *err, size_t errlen)
{
    if (depth > BODY_MAX_DEPTH) {
        *where = v;
        snprintf(err, errlen, "body template nested deeper than %d levels", BODY_MAX_DEPTH);
        return BW_E_INVALID_ARG;
    }
    if (json_is_string(v)) {
        bw_status st = bw_tpl_scan(json_string_value(v), each, ctx, err, errlen);
        if (st != BW_OK)
            *where = v;
        return st;
    }
    const char *key;
    size_t i;
    json_t *item;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item)
        {
            bw_status st = scan_value(item, depth + 1, each, ctx, where, err, errlen);
            if (st != BW_OK)
                return st;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            bw_status st = scan_value(item, depth + 1, each, ctx, where, err, errlen);
            if (st != BW_OK)
                return st;
        }
    }
    return BW_OK;
}

bw_status bw_http_body_scan(const json_t *body, bool (*each)(const char *name, void *ctx), void *ctx,
                            const json_t **where, char *err, size_t errlen)
{
    *where = NULL;
    return scan_value(body, 0, each, ctx, where, err, errlen);
}

/* Sentinel for "leave this member/element out" (an exact placeholder whose argument is missing). */
static char omit_tag;
#define OMIT ((json_t *)&omit_tag)

static json_t *render_value(const json_t *v, const json_t *args, size_t max_bytes);

static json_t *render_string(const json_t *v, const json_t *args, size_t max_bytes)
{
    char name[BW_TPL_NAME_MAX + 1];
    const char *tpl = json_string_value(v);
    if (bw_tpl_exact(tpl, name)) {
        json_t *arg = json_object_get(args, name);
        return arg ? json_deep_copy(arg) : OMIT;
    }
    bw_buf out;
    bw_buf_init(&out, max_bytes);
    json_t *s = NULL;
    if (bw_tpl_render(tpl, args, &out, NULL) == BW_OK)
        s = json_stringn(out.data ? out.data : "", out.len);
    bw_buf_free(&out);
    return s;
}

static json_t *render_object(const json_t *v, const json_t *args, size_t max_bytes)
{
    json_t *obj = json_object();
    const char *key;
    json_t *item;
    json_object_foreach((json_t *)v, key, item)
    {
        json_t *r = obj ? render_value(item, args, max_bytes) : NULL;
        if (r == OMIT)
            continue;
        if (!r || json_object_set_new(obj, key, r) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *render_array(const json_t *v, const json_t *args, size_t max_bytes)
{
    json_t *arr = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        json_t *r = arr ? render_value(item, args, max_bytes) : NULL;
        if (r == OMIT)
            continue;
        if (!r || json_array_append_new(arr, r) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *render_value(const json_t *v, const json_t *args, size_t max_bytes)
{
    if (json_is_string(v))
        return render_string(v, args, max_bytes);
    if (json_is_object(v))
        return render_object(v, args, max_bytes);
    if (json_is_array(v))
        return render_array(v, args, max_bytes);
    return json_deep_copy(v);
}

json_t *bw_http_body_render(const json_t *body, const json_t *args, size_t max_bytes)
{
    json_t *r = render_value(body, args, max_bytes);
    return r == OMIT ? json_null() : r;
}
