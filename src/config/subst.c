/* ${...} substitution: a walk over the tree, rewriting only strings that contain "${". */
#include "config/subst.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/file.h"
#include "core/buf.h"

typedef struct subst {
    const char *dir, *file;
    const bw_cfg_pos *pos;
    bw_diag *diag;
    const json_t *node; /* the string being rewritten: where errors are reported */
    bool failed;
} subst;

__attribute__((format(printf, 2, 3))) static void serror(subst *s, const char *fmt, ...)
{
    bw_pos at = {0, 0};
    bw_cfg_pos_node(s->pos, s->node, &at);
    va_list ap;
    va_start(ap, fmt);
    bw_diag_addv(s->diag, true, s->file, at.line, at.col, fmt, ap);
    va_end(ap);
    s->failed = true;
}

static bool append(subst *s, bw_buf *out, const char *p, size_t n)
{
    bw_status st = bw_buf_append(out, p, n);
    if (st == BW_E_LIMIT)
        serror(s, "the text is longer than %u MiB after substitution", BW_SUBST_MAX_STRING >> 20);
    else if (st)
        serror(s, "out of memory during substitution");
    return st == BW_OK;
}

static bool file_ref(subst *s, bw_buf *out, const char *path, size_t plen)
{
    if (plen == 0) {
        serror(s, "${file:} needs a path, e.g. ${file:/run/secrets/db_password}");
        return false;
    }
    char full[4096];
    int k = path[0] == '/' ? snprintf(full, sizeof full, "%.*s", (int)plen, path)
                           : snprintf(full, sizeof full, "%s/%.*s", s->dir, (int)plen, path);
    if (k < 0 || (size_t)k >= sizeof full) {
        serror(s, "${file:...}: the path is too long");
        return false;
    }
    char why[128];
    size_t len;
    char *text = bw_read_file(full, BW_SUBST_MAX_FILE, &len, why, sizeof why);
    if (!text) {
        serror(s, "${file:%.*s}: cannot read %s: %s", (int)plen, path, full, why);
        return false;
    }
    bool ok = !memchr(text, '\0', len);
    if (!ok)
        serror(s, "${file:%.*s}: the file contains a NUL byte (binary files cannot be substituted)", (int)plen, path);
    if (len && text[len - 1] == '\n')
        len -= 1 + (len > 1 && text[len - 2] == '\r');
    ok = ok && append(s, out, text, len);
    free(text);
    return ok;
}

static bool is_name(const char *p, size_t n)
{
    if (n == 0 || n > 255 || !(p[0] == '_' || (p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
              (p[i] >= '0' && p[i] <= '9')))
            return false;
    return true;
}

/* ${NAME} or ${NAME:-default}; `ref` is the text between the braces. */
static bool env_ref(subst *s, bw_buf *out, const char *ref, size_t rlen)
{
    const char *dflt = NULL;
    size_t nlen = rlen;
    const char *sep = memchr(ref, ':', rlen);
    if (sep && (size_t)(sep - ref) + 1 < rlen && sep[1] == '-') {
        nlen = (size_t)(sep - ref);
        dflt = sep + 2;
    }
    if (!is_name(ref, nlen)) {
        serror(s, "invalid reference '${%.*s}' (expected ${NAME}, ${NAME:-default} or ${file:PATH}; write $${ for "
                  "a literal ${)", (int)(rlen > 80 ? 80 : rlen), ref);
        return false;
    }
    char name[256];
    memcpy(name, ref, nlen);
    name[nlen] = '\0';
    const char *v = getenv(name);
    if (dflt && (!v || !*v))
        return append(s, out, dflt, rlen - (size_t)(dflt - ref));
    if (!v) {
        serror(s, "environment variable '%s' is not set (use ${%s:-default} to give a default)", name, name);
        return false;
    }
    return append(s, out, v, strlen(v));
}

/* Every reference is tried (so each bad one is reported); a full or failed buffer ends at once. */
static bool expand(subst *s, const char *in, size_t n, bw_buf *out)
{
    bool ok = true;
    size_t i = 0;
    while (i < n) {
        const char *d = memchr(in + i, '$', n - i);
        size_t lit = d ? (size_t)(d - (in + i)) : n - i;
        if (!append(s, out, in + i, lit))
            return false;
        i += lit;
        if (i >= n)
            break;
        if (i + 2 < n && in[i + 1] == '$' && in[i + 2] == '{') { /* $${ -> ${ */
            if (!append(s, out, "${", 2))
                return false;
            i += 3;
        } else if (i + 1 < n && in[i + 1] == '{') {
            const char *close = memchr(in + i + 2, '}', n - i - 2);
            if (!close) {
                serror(s, "unterminated '${' (write $${ for a literal ${)");
                return false;
            }
            const char *ref = in + i + 2;
            size_t rlen = (size_t)(close - ref);
            ok = (rlen >= 5 && !memcmp(ref, "file:", 5) ? file_ref(s, out, ref + 5, rlen - 5)
                                                         : env_ref(s, out, ref, rlen)) && ok;
            i = (size_t)(close - in) + 1;
        } else {
            if (!append(s, out, "$", 1))
                return false;
            i++;
        }
    }
    return ok;
}

static void subst_string(subst *s, json_t *str)
{
    const char *v = json_string_value(str);
    size_t n = json_string_length(str);
    if (!memmem(v, n, "${", 2))
        return;
    s->node = str;
    bw_buf out;
    bw_buf_init(&out, BW_SUBST_MAX_STRING);
    /* Errors leave the string as written: later stages then see no half-substituted secret. */
    if (expand(s, v, n, &out) && json_string_setn(str, out.data ? out.data : "", out.len) != 0)
        serror(s, "the substituted text is not valid UTF-8");
    bw_buf_free(&out);
}

static void walk(subst *s, json_t *x)
{
    if (json_is_string(x)) {
        subst_string(s, x);
    } else if (json_is_array(x)) {
        for (size_t i = 0; i < json_array_size(x); i++)
            walk(s, json_array_get(x, i));
    } else if (json_is_object(x)) {
        const char *k;
        json_t *v;
        json_object_foreach(x, k, v)
        {
            walk(s, v);
        }
    }
}

bool bw_subst_tree(json_t *root, const char *dir, const char *file, const bw_cfg_pos *pos, bw_diag *diag)
{
    subst s = {.dir = dir && *dir ? dir : ".", .file = file, .pos = pos, .diag = diag};
    walk(&s, root);
    return !s.failed;
}
