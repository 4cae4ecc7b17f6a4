/* The Prometheus text format writer (exposition format 0.0.4). */
#include "observability/metrics_text.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bw_mtext_init(bw_mtext *t)
{
    bw_buf_init(&t->buf, BW_METRICS_TEXT_MAX);
    t->failed = false;
}

char *bw_mtext_take(bw_mtext *t, size_t *len)
{
    if (t->failed || !t->buf.data) {
        bw_mtext_free(t);
        if (len)
            *len = 0;
        return NULL;
    }
    char *out = t->buf.data;
    if (len)
        *len = t->buf.len;
    bw_buf_init(&t->buf, BW_METRICS_TEXT_MAX);
    return out;
}

void bw_mtext_free(bw_mtext *t)
{
    bw_buf_free(&t->buf);
}

void bw_mtext_put(bw_mtext *t, const char *s, size_t n)
{
    if (!t->failed && bw_buf_append(&t->buf, s, n) != BW_OK)
        t->failed = true;
}

void bw_mtext_printf(bw_mtext *t, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        t->failed = true; /* callers format fixed-size pieces only; longer text would be a bug, not data */
        return;
    }
    bw_mtext_put(t, line, (size_t)n);
}

void bw_mtext_escaped(bw_mtext *t, const char *value)
{
    const char *run = value;
    for (const char *p = value; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        if (!esc)
            continue;
        bw_mtext_put(t, run, (size_t)(p - run));
        bw_mtext_put(t, esc, 2);
        run = p + 1;
    }
    bw_mtext_put(t, run, strlen(run));
}

void bw_mtext_family(bw_mtext *t, const char *name, const char *type, const char *help)
{
    bw_mtext_put(t, "# HELP ", 7);
    bw_mtext_put(t, name, strlen(name));
    bw_mtext_put(t, " ", 1);
    bw_mtext_put(t, help, strlen(help));
    bw_mtext_put(t, "\n# TYPE ", 8);
    bw_mtext_put(t, name, strlen(name));
    bw_mtext_put(t, " ", 1);
    bw_mtext_put(t, type, strlen(type));
    bw_mtext_put(t, "\n", 1);
}

/* name{a="x",b="y" + extra} — extra is an already formatted label ("le=\"0.5\"") or NULL. */
static void series_name(bw_mtext *t, const char *name, const char *suffix, const bw_mlabels *l, const char *extra)
{
    bw_mtext_put(t, name, strlen(name));
    if (suffix)
        bw_mtext_put(t, suffix, strlen(suffix));
    size_t n = 0;
    while (l && n < BW_MLABELS_MAX && l->name[n] && l->value[n])
        n++;
    if (n == 0 && !extra)
        return;
    bw_mtext_put(t, "{", 1);
    for (size_t i = 0; i < n; i++) {
        bw_mtext_printf(t, "%s%s=\"", i ? "," : "", l->name[i]);
        bw_mtext_escaped(t, l->value[i]);
        bw_mtext_put(t, "\"", 1);
    }
    if (extra)
        bw_mtext_printf(t, "%s%s", n ? "," : "", extra);
    bw_mtext_put(t, "}", 1);
}

/* The shortest of %.15g..%.17g that reads back as the same double (0.005, not 0.0050000000000000001), with the
 * spellings Prometheus parses for the special values (+Inf, -Inf, NaN). */
static void format_double(char *out, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, "%sInf", v > 0 ? "+" : "-");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static void value(bw_mtext *t, double v)
{
    char num[40];
    format_double(num, sizeof num, v);
    bw_mtext_printf(t, " %s\n", num);
}

void bw_mtext_sample(bw_mtext *t, const char *name, const bw_mlabels *labels, double v)
{
    series_name(t, name, NULL, labels, NULL);
    value(t, v);
}

void bw_mtext_sample_u(bw_mtext *t, const char *name, const bw_mlabels *labels, uint64_t v)
{
    series_name(t, name, NULL, labels, NULL);
    bw_mtext_printf(t, " %" PRIu64 "\n", v);
}

void bw_mtext_histogram(bw_mtext *t, const char *name, const bw_mlabels *labels, const bw_hist_snap *s)
{
    uint64_t cum = 0;
    size_t n = s->b ? s->b->n : 0;
    char num[40], le[64];
    for (size_t i = 0; i < n; i++) {
        cum += s->counts[i];
        format_double(num, sizeof num, s->b->le[i]);
        snprintf(le, sizeof le, "le=\"%s\"", num);
        series_name(t, name, "_bucket", labels, le);
        bw_mtext_printf(t, " %" PRIu64 "\n", cum);
    }
    cum += s->counts[n];
    series_name(t, name, "_bucket", labels, "le=\"+Inf\"");
    bw_mtext_printf(t, " %" PRIu64 "\n", cum);
    series_name(t, name, "_sum", labels, NULL);
    value(t, s->sum);
    series_name(t, name, "_count", labels, NULL);
    bw_mtext_printf(t, " %" PRIu64 "\n", cum);
}
