/* argv rendering with typed expansion of exact placeholders. */
#include "providers/exec_argv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "providers/template.h"

void bw_argv_free(bw_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* Appends a copy of s[0..n); a NUL inside would silently cut the argument, so it is refused. */
static bw_status push(bw_argv *a, const char *s, size_t n, char *err, size_t errlen)
{
    if (memchr(s, '\0', n)) {
        snprintf(err, errlen, "an argument contains a NUL byte, which a program argument cannot hold");
        return BW_E_INVALID_ARG;
    }
    if (a->n >= BW_ARGV_MAX_ITEMS || n + 1 > BW_ARGV_MAX_BYTES - a->bytes) {
        snprintf(err, errlen, "the command line would exceed %u arguments or %u bytes", BW_ARGV_MAX_ITEMS,
                 BW_ARGV_MAX_BYTES);
        return BW_E_LIMIT;
    }
    if (a->n + 2 > a->alloc) {
        size_t na = a->alloc ? a->alloc * 2 : 16;
        char **nv = realloc(a->v, na * sizeof *nv);
        if (!nv)
            return BW_E_NOMEM;
        a->v = nv;
        a->alloc = na;
    }
    char *copy = strndup(s, n);
    if (!copy)
        return BW_E_NOMEM;
    a->v[a->n++] = copy;
    a->v[a->n] = NULL;
    a->bytes += n + 1;
    return BW_OK;
}

static bw_status push_value(bw_argv *a, const json_t *v, char *err, size_t errlen)
{
    if (json_is_string(v))
        return push(a, json_string_value(v), json_string_length(v), err, errlen);
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return BW_E_NOMEM;
    bw_status st = push(a, text, strlen(text), err, errlen);
    free(text);
    return st;
}

static bw_status push_exact(bw_argv *a, const json_t *v, char *err, size_t errlen)
{
    if (!v || json_is_null(v))
        return BW_OK; /* an optional argument that was not given: no element at all */
    if (!json_is_array(v))
        return push_value(a, v, err, errlen);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        bw_status st = push_value(a, item, err, errlen);
        if (st != BW_OK)
            return st;
    }
    return BW_OK;
}

static bw_status push_rendered(bw_argv *a, const char *tpl, const json_t *args, char *err, size_t errlen)
{
    bw_buf text;
    bw_buf_init(&text, BW_ARGV_MAX_BYTES);
    bw_status st = bw_tpl_render(tpl, args, &text, NULL);
    if (st == BW_OK)
        st = push(a, text.data ? text.data : "", text.len, err, errlen);
    else if (st == BW_E_LIMIT)
        snprintf(err, errlen, "an argument would be longer than %u bytes", BW_ARGV_MAX_BYTES);
    bw_buf_free(&text);
    return st;
}

bw_status bw_argv_render(const char *arg0, const json_t *templates, const json_t *args, bw_argv *out, char *err,
                         size_t errlen)
{
    char name[BW_TPL_NAME_MAX + 1];
    memset(out, 0, sizeof *out);
    bw_status st = push(out, arg0, strlen(arg0), err, errlen);
    size_t i;
    json_t *tpl;
    json_array_foreach(templates, i, tpl)
    {
        if (st != BW_OK)
            break;
        const char *s = json_string_value(tpl);
        st = bw_tpl_exact(s, name) ? push_exact(out, json_object_get(args, name), err, errlen)
                                   : push_rendered(out, s, args, err, errlen);
    }
    if (st != BW_OK)
        bw_argv_free(out);
    return st;
}
