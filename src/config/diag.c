/* Diagnostics list: formatted once when added, so printing and tests see the same text. */
#include "config/diag.h"

#include <stdlib.h>
#include <string.h>

#define DIAG_MAX_KEPT 200

typedef struct diag_entry {
    char *text;     /* "FILE:LINE:COL: [warning: ]message"; one allocation also holding the file name after it */
    const char *file; /* inside text's allocation, or NULL */
    int line, col;  /* 0 without a position */
    size_t msg_off; /* the message part of text */
    bool is_error;
} diag_entry;

struct bw_diag {
    diag_entry *v;
    size_t n, alloc;
    size_t errors, warnings;
};

bw_diag *bw_diag_new(void)
{
    return calloc(1, sizeof(bw_diag));
}

void bw_diag_free(bw_diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].text);
    free(d->v);
    free(d);
}

/* Formats the entry's text and keeps its parts: the file name is copied after the text's NUL in the same block. */
static bool format_entry(diag_entry *e, const char *file, int line, int col, const char *fmt, va_list ap)
{
    char msg[2048], pos[1200] = "";
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (file && line > 0)
        snprintf(pos, sizeof pos, "%s:%d:%d: ", file, line, col > 0 ? col : 1);
    else if (file)
        snprintf(pos, sizeof pos, "%s: ", file);
    const char *prefix = e->is_error ? "" : "warning: ";
    size_t text_len = strlen(pos) + strlen(prefix) + strlen(msg);
    size_t file_len = file ? strlen(file) : 0;
    char *text = malloc(text_len + 1 + file_len + 1);
    if (!text)
        return false;
    snprintf(text, text_len + 1, "%s%s%s", pos, prefix, msg);
    e->text = text;
    e->msg_off = text_len - strlen(msg);
    e->file = NULL;
    if (file)
        e->file = memcpy(text + text_len + 1, file, file_len + 1);
    e->line = file && line > 0 ? line : 0;
    e->col = e->line ? (col > 0 ? col : 1) : 0;
    return true;
}

void bw_diag_addv(bw_diag *d, bool is_error, const char *file, int line, int col, const char *fmt, va_list ap)
{
    if (!d)
        return;
    if (is_error)
        d->errors++;
    else
        d->warnings++;
    if (d->n >= DIAG_MAX_KEPT)
        return;
    if (d->n == d->alloc) {
        size_t na = d->alloc ? d->alloc * 2 : 8;
        diag_entry *nv = realloc(d->v, na * sizeof *nv);
        if (!nv)
            return;
        d->v = nv;
        d->alloc = na;
    }
    diag_entry e = {.is_error = is_error};
    if (!format_entry(&e, file, line, col, fmt, ap))
        return;
    d->v[d->n++] = e;
}

void bw_diag_add(bw_diag *d, bool is_error, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bw_diag_addv(d, is_error, file, line, col, fmt, ap);
    va_end(ap);
}

size_t bw_diag_errors(const bw_diag *d)
{
    return d ? d->errors : 0;
}

size_t bw_diag_warnings(const bw_diag *d)
{
    return d ? d->warnings : 0;
}

size_t bw_diag_count(const bw_diag *d)
{
    return d ? d->n : 0;
}

const char *bw_diag_text(const bw_diag *d, size_t i)
{
    return d && i < d->n ? d->v[i].text : NULL;
}

bool bw_diag_is_error(const bw_diag *d, size_t i)
{
    return d && i < d->n && d->v[i].is_error;
}

bool bw_diag_parts_of(const bw_diag *d, size_t i, bw_diag_parts *out)
{
    if (!d || i >= d->n)
        return false;
    const diag_entry *e = &d->v[i];
    *out = (bw_diag_parts){
        .file = e->file, .line = e->line, .col = e->col, .message = e->text + e->msg_off, .is_error = e->is_error};
    return true;
}

void bw_diag_print(const bw_diag *d, FILE *out)
{
    for (size_t i = 0; i < bw_diag_count(d); i++)
        fprintf(out, "%s\n", d->v[i].text);
    size_t kept = bw_diag_count(d), total = bw_diag_errors(d) + bw_diag_warnings(d);
    if (total > kept)
        fprintf(out, "... and %zu more\n", total - kept);
}
