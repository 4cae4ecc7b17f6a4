/* Placeholder scanner and rewriter for configured SQL statements. */
#include "providers/sql_params.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define UNTERMINATED ((size_t)-1)

typedef struct scan {
    const char *s;
    size_t len;
    bw_sql_dialect dialect;
} scan;

static bool ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* After a quoted run opened at i (s[i] == q) that ends at an undoubled q; `backslash` honours \-escapes. */
static size_t skip_quoted(const scan *sc, size_t i, char close, bool backslash)
{
    for (size_t j = i + 1; j < sc->len; j++) {
        if (backslash && sc->s[j] == '\\') {
            j++;
            continue;
        }
        if (sc->s[j] != close)
            continue;
        if (close != ']' && j + 1 < sc->len && sc->s[j + 1] == close) {
            j++; /* a doubled quote is one quote character */
            continue;
        }
        return j + 1;
    }
    return UNTERMINATED;
}

/* PostgreSQL block comments nest; SQLite's do not. */
static size_t skip_block_comment(const scan *sc, size_t i)
{
    int depth = 0;
    for (size_t j = i; j + 1 < sc->len; j++) {
        if (sc->s[j] == '/' && sc->s[j + 1] == '*' && (depth == 0 || sc->dialect == BW_SQL_DIALECT_POSTGRES)) {
            depth++;
            j++;
        } else if (sc->s[j] == '*' && sc->s[j + 1] == '/') {
            j++;
            if (--depth == 0)
                return j + 1;
        }
    }
    return UNTERMINATED;
}

static size_t skip_line_comment(const scan *sc, size_t i)
{
    const char *nl = memchr(sc->s + i, '\n', sc->len - i);
    return nl ? (size_t)(nl - sc->s) + 1 : sc->len;
}

/* A PostgreSQL dollar quote `$tag$ ... $tag$` starting at i, or 0 when s[i] does not open one (e.g. `$1`). */
static size_t skip_dollar(const scan *sc, size_t i)
{
    if (i > 0 && ident_char(sc->s[i - 1]))
        return 0; /* `$` inside an identifier such as a$b */
    size_t t = i + 1;
    if (t < sc->len && ident_start(sc->s[t]))
        while (t < sc->len && ident_char(sc->s[t]))
            t++;
    if (t >= sc->len || sc->s[t] != '$')
        return 0;
    size_t taglen = t - i + 1;
    for (size_t j = t + 1; j + taglen <= sc->len; j++)
        if (sc->s[j] == '$' && !memcmp(sc->s + j, sc->s + i, taglen))
            return j + taglen;
    return UNTERMINATED;
}

/* The end of the literal, identifier or comment starting at i; i itself when none starts there. */
static size_t skip_opaque(const scan *sc, size_t i)
{
    char c = sc->s[i], n = i + 1 < sc->len ? sc->s[i + 1] : '\0';
    bool pg = sc->dialect == BW_SQL_DIALECT_POSTGRES;
    if (c == '\'') {
        bool escapes = pg && i > 0 && (sc->s[i - 1] == 'E' || sc->s[i - 1] == 'e') &&
                       (i < 2 || !ident_char(sc->s[i - 2]));
        return skip_quoted(sc, i, '\'', escapes);
    }
    if (c == '"')
        return skip_quoted(sc, i, '"', false);
    if (!pg && c == '`')
        return skip_quoted(sc, i, '`', false);
    if (!pg && c == '[')
        return skip_quoted(sc, i, ']', false);
    if (c == '-' && n == '-')
        return skip_line_comment(sc, i);
    if (c == '/' && n == '*')
        return skip_block_comment(sc, i);
    if (pg && c == '$') {
        size_t end = skip_dollar(sc, i);
        return end ? end : i;
    }
    return i;
}

static size_t ident_len(const scan *sc, size_t i)
{
    size_t j = i;
    if (j < sc->len && ident_start(sc->s[j]))
        while (j < sc->len && ident_char(sc->s[j]))
            j++;
    return j - i;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The 1-based number of the placeholder (name, column), adding it when new; 0 on failure (err set). */
static size_t ref_number(bw_sql_parsed *p, const char *name, size_t nlen, const char *col, size_t clen, char *err,
                         size_t errlen)
{
    for (size_t k = 0; k < p->n_refs; k++) {
        const bw_sql_ref *r = &p->refs[k];
        if (strlen(r->name) == nlen && !memcmp(r->name, name, nlen) && !r->column == !col &&
            (!col || (strlen(r->column) == clen && !memcmp(r->column, col, clen))))
            return k + 1;
    }
    if (p->n_refs == BW_SQL_PARAMS_MAX) {
        snprintf(err, errlen, "more than %d distinct placeholders in one statement", BW_SQL_PARAMS_MAX);
        return 0;
    }
    bw_sql_ref *nv = realloc(p->refs, (p->n_refs + 1) * sizeof *nv);
    if (!nv)
        return 0;
    p->refs = nv;
    bw_sql_ref r = {dupn(name, nlen), col ? dupn(col, clen) : NULL};
    if (!r.name || (col && !r.column)) {
        free(r.name);
        free(r.column);
        return 0;
    }
    p->refs[p->n_refs++] = r;
    return p->n_refs;
}

/* Rewrites the placeholder whose name starts at i (after the colon); returns the index after it, 0 on failure. */
static size_t placeholder(const scan *sc, size_t i, bw_sql_parsed *p, bw_buf *out, char *err, size_t errlen)
{
    size_t nlen = ident_len(sc, i), clen = 0;
    const char *col = NULL;
    if (i + nlen + 1 < sc->len && sc->s[i + nlen] == '.' && (clen = ident_len(sc, i + nlen + 1)) > 0)
        col = sc->s + i + nlen + 1;
    if (nlen > BW_SQL_NAME_MAX || clen > BW_SQL_NAME_MAX) {
        snprintf(err, errlen, "placeholder ':%.40s...' is longer than %d characters", sc->s + i, BW_SQL_NAME_MAX);
        return 0;
    }
    size_t num = ref_number(p, sc->s + i, nlen, col, clen, err, errlen);
    if (!num)
        return 0;
    char text[16];
    int n = snprintf(text, sizeof text, "%c%zu", sc->dialect == BW_SQL_DIALECT_POSTGRES ? '$' : '?', num);
    if (bw_buf_append(out, text, (size_t)n) != BW_OK)
        return 0;
    return i + nlen + (col ? 1 + clen : 0);
}

static bw_status rewrite(const scan *sc, bw_sql_parsed *p, bw_buf *out, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < sc->len) {
        size_t end = skip_opaque(sc, i);
        if (end == UNTERMINATED) {
            snprintf(err, errlen, "unterminated quoted text or comment at offset %zu", i);
            return BW_E_INVALID_ARG;
        }
        if (end == i && sc->s[i] == ':' && i + 1 < sc->len && sc->s[i + 1] == ':')
            end = i + 2; /* a `::type` cast */
        if (end == i && sc->s[i] == ':' && i + 1 < sc->len && ident_start(sc->s[i + 1])) {
            size_t next = placeholder(sc, i + 1, p, out, err, errlen);
            if (!next)
                return err[0] ? BW_E_INVALID_ARG : BW_E_NOMEM;
            i = next;
            continue;
        }
        if (end == i)
            end = i + 1;
        if (bw_buf_append(out, sc->s + i, end - i) != BW_OK)
            return BW_E_NOMEM;
        i = end;
    }
    return bw_buf_append(out, "", 0) == BW_OK ? BW_OK : BW_E_NOMEM;
}

bw_status bw_sql_parse(const char *sql, bw_sql_dialect dialect, bw_sql_parsed *out, char *err, size_t errlen)
{
    scan sc = {sql, strlen(sql), dialect};
    bw_buf buf;
    bw_buf_init(&buf, sc.len * 2 + 64);
    *out = (bw_sql_parsed){0};
    err[0] = '\0';
    bw_status st = rewrite(&sc, out, &buf, err, errlen);
    if (st != BW_OK) {
        bw_buf_free(&buf);
        bw_sql_parsed_free(out);
        return st;
    }
    out->sql = buf.data ? buf.data : strdup("");
    return out->sql ? BW_OK : BW_E_NOMEM;
}

void bw_sql_parsed_free(bw_sql_parsed *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_refs; i++) {
        free(p->refs[i].name);
        free(p->refs[i].column);
    }
    free(p->refs);
    free(p->sql);
    *p = (bw_sql_parsed){0};
}
