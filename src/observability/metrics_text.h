/* Writing the Prometheus text exposition format 0.0.4: family headers (# HELP / # TYPE), samples with escaped label
 * values, and whole histograms (cumulative _bucket{le} with +Inf, _sum, _count).
 *
 * A writer accumulates into a capped buffer and remembers the first failure (allocation or cap): the caller checks
 * once at the end. Not thread-safe; one writer per render. */
#ifndef BW_OBSERVABILITY_METRICS_TEXT_H
#define BW_OBSERVABILITY_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "observability/metrics_hist.h"

#define BW_METRICS_TEXT_MAX (64u << 20) /* an exposition larger than this fails (NULL) rather than grows */

typedef struct bw_mtext {
    bw_buf buf;
    bool failed;
} bw_mtext;

/* At most this many labels per sample (histograms add "le"). */
#define BW_MLABELS_MAX 4

/* Label pairs of one sample: names are fixed identifiers, values any text (escaped on output). A NULL value ends the
 * list early (an absent optional label). */
typedef struct bw_mlabels {
    const char *name[BW_MLABELS_MAX];
    const char *value[BW_MLABELS_MAX];
} bw_mlabels;

void bw_mtext_init(bw_mtext *t);
/* The text (NUL-terminated, caller frees) and its length; NULL when any write failed. Resets the writer. */
char *bw_mtext_take(bw_mtext *t, size_t *len);
void bw_mtext_free(bw_mtext *t);

/* Raw bytes, and formatted text (bounded: one sample line). */
void bw_mtext_put(bw_mtext *t, const char *s, size_t n);
void bw_mtext_printf(bw_mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A label value with \ " and newline escaped as the format requires. */
void bw_mtext_escaped(bw_mtext *t, const char *value);

/* "# HELP name help\n# TYPE name type\n" (help must not hold a newline or backslash). */
void bw_mtext_family(bw_mtext *t, const char *name, const char *type, const char *help);
/* One sample "name{labels} value\n" (labels may be NULL). Integers are written exactly. */
void bw_mtext_sample(bw_mtext *t, const char *name, const bw_mlabels *labels, double value);
void bw_mtext_sample_u(bw_mtext *t, const char *name, const bw_mlabels *labels, uint64_t value);
/* The samples of one histogram series: name_bucket{labels,le="..."} (cumulative, ending with +Inf), name_sum and
 * name_count (equal to the +Inf bucket). */
void bw_mtext_histogram(bw_mtext *t, const char *name, const bw_mlabels *labels, const bw_hist_snap *s);

#endif
