/* Diagnostics of a configuration: every error and warning found while loading, validating and building it, each
 * already formatted "FILE:LINE:COL: message" (or "FILE: message" when no position applies), in the order found.
 * Not thread-safe; owned by one loader/builder. Bounded: after 200 entries further ones are counted, not kept. */
#ifndef BW_CONFIG_DIAG_H
#define BW_CONFIG_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct bw_diag bw_diag;

/* NULL on allocation failure. */
bw_diag *bw_diag_new(void);
void bw_diag_free(bw_diag *d);

/* Adds an entry. line/col are 1-based; line <= 0 means "no position". file may be NULL. */
void bw_diag_add(bw_diag *d, bool is_error, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void bw_diag_addv(bw_diag *d, bool is_error, const char *file, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

size_t bw_diag_errors(const bw_diag *d);
size_t bw_diag_warnings(const bw_diag *d);
/* Entry i (0-based, i < bw_diag_count) as formatted text, e.g. "demo.yaml:12:7: unknown database 'shop2'". */
size_t bw_diag_count(const bw_diag *d);
const char *bw_diag_text(const bw_diag *d, size_t i);
bool bw_diag_is_error(const bw_diag *d, size_t i);
/* Entry i taken apart, for structured output (the hot reload's log lines): the file as given to bw_diag_add (NULL
 * when none), line and col (both 0 when no position applies; col is 1 when the position had none), and the message
 * alone (no position, no "warning: " prefix). The strings are borrowed from d and live until bw_diag_free. false
 * (out untouched) when i >= bw_diag_count. */
typedef struct bw_diag_parts {
    const char *file;
    int line, col;
    const char *message;
    bool is_error;
} bw_diag_parts;
bool bw_diag_parts_of(const bw_diag *d, size_t i, bw_diag_parts *out);
/* Writes every entry, one per line, prefixing warnings with "warning: " after the position. */
void bw_diag_print(const bw_diag *d, FILE *out);

#endif
