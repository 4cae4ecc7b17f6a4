/* Percent-encoding and level-1 URI templates for the files provider. */
#include "providers/files_uri.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "providers/files_open.h"

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bw_status bw_files_uri_append_path(bw_buf *out, const char *rel)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        bw_status st = unreserved(*p) || *p == '/' ? bw_buf_append(out, p, 1) : bw_buf_append(out, esc, 3);
        if (st != BW_OK)
            return st;
    }
    return BW_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool bw_files_pct_decode(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0)
                return false;
            c = hi * 16 + lo;
            p += 2;
        }
        if (c == 0 || n + 1 >= outlen)
            return false;
        out[n++] = (char)c;
    }
    if (outlen == 0)
        return false;
    out[n] = '\0';
    return true;
}

/* A level-1 variable name: varchar *( ["."] varchar ) with varchar = ALPHA / DIGIT / "_" (no pct-encoded names). */
static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '_' || (c == '.' && s[i - 1] != '.')))
            return false;
    }
    return true;
}

static bool add_name(json_t *names, const char *s, size_t n, char *err, size_t errlen)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) {
        if (json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0) {
            snprintf(err, errlen, "variable {%.*s} is used twice", (int)n, s);
            return false;
        }
    }
    return json_array_append_new(names, json_stringn(s, n)) == 0;
}

json_t *bw_files_tpl_names(const char *tpl, char *err, size_t errlen)
{
    json_t *names = json_array();
    for (const char *p = tpl; names && *p; p++) {
        if (*p == '}') {
            snprintf(err, errlen, "unmatched '}' in template");
            goto fail;
        }
        if (*p != '{')
            continue;
        const char *close = strpbrk(p + 1, "{}");
        if (!close || *close == '{') {
            snprintf(err, errlen, "unterminated '{' in template (expected '}')");
            goto fail;
        }
        size_t n = (size_t)(close - p - 1);
        if (!valid_name(p + 1, n)) {
            snprintf(err, errlen,
                     "invalid template variable {%.*s}: only level-1 {name} variables (letters, digits, '_') are "
                     "supported",
                     (int)(n > 64 ? 64 : n), p + 1);
            goto fail;
        }
        if (!add_name(names, p + 1, n, err, errlen))
            goto fail;
        p = close;
    }
    return names;
fail:
    json_decref(names);
    return NULL;
}

/* Appends the decoded value of one variable; false when it is absent, malformed, or not one path component. */
static bool put_var(const json_t *vars, const char *name, size_t nlen, char *out, size_t outlen, size_t *pos)
{
    char key[128];
    if (nlen >= sizeof key)
        return false;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    const char *raw = json_string_value(json_object_get(vars, key));
    if (!raw || !bw_files_pct_decode(raw, out + *pos, outlen - *pos) || strchr(out + *pos, '/'))
        return false;
    *pos += strlen(out + *pos);
    return true;
}

bool bw_files_tpl_render_path(const char *tpl, const json_t *vars, char *out, size_t outlen)
{
    size_t pos = 0;
    for (const char *p = tpl; *p; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || !put_var(vars, p + 1, (size_t)(close - p - 1), out, outlen, &pos))
                return false;
            p = close;
        } else {
            if (pos + 1 >= outlen)
                return false;
            out[pos++] = *p;
        }
    }
    if (outlen == 0)
        return false;
    out[pos] = '\0';
    return bw_files_rel_ok(out);
}
