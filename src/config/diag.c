/* Diagnostics list: formatted once when added, so printing and tests see the same text. */
#include "config/diag.h"

#include <stdlib.h>
#include <string.h>

#define DIAG_MAX_KEPT 200

typedef struct diag_entry {
    char *text;
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

static char *format_entry(bool is_error, const char *file, int line, int col, const char *fmt, va_list ap)
{
    char msg[2048], pos[1200] = "";
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (file && line > 0)
        snprintf(pos, sizeof pos, "%s:%d:%d: ", file, line, col > 0 ? col : 1);
    else if (file)
        snprintf(pos, sizeof pos, "%s: ", file);
    size_t need = strlen(pos) + strlen(msg) + sizeof "warning: ";
    char *text = malloc(need);
    if (text)
        snprintf(text, need, "%s%s%s", pos, is_error ? "" : "warning: ", msg);
    return text;
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
    char *text = format_entry(is_error, file, line, col, fmt, ap);
    if (!text)
        return;
    d->v[d->n++] = (diag_entry){text, is_error};
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

void bw_diag_print(const bw_diag *d, FILE *out)
{
    for (size_t i = 0; i < bw_diag_count(d); i++)
        fprintf(out, "%s\n", d->v[i].text);
    size_t kept = bw_diag_count(d), total = bw_diag_errors(d) + bw_diag_warnings(d);
    if (total > kept)
        fprintf(out, "... and %zu more\n", total - kept);
}
