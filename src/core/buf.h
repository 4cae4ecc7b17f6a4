/* A growable byte buffer with a hard size cap (after curl's dynbuf): appends past the cap fail instead of
 * growing without bound. Not thread-safe; owned by one user. */
#ifndef BW_CORE_BUF_H
#define BW_CORE_BUF_H

#include <stddef.h>

#include "bulwark/status.h"

typedef struct bw_buf {
    char *data;     /* NUL-terminated after every successful append (data may be NULL while len == 0) */
    size_t len;
    size_t alloc;
    size_t cap;     /* maximum len */
} bw_buf;

void bw_buf_init(bw_buf *b, size_t cap);
void bw_buf_free(bw_buf *b);
/* Empties the buffer, keeping its memory. */
void bw_buf_reset(bw_buf *b);
/* BW_E_LIMIT when len + n would exceed cap (nothing appended), BW_E_NOMEM on allocation failure. */
BW_NODISCARD bw_status bw_buf_append(bw_buf *b, const void *p, size_t n);
/* Removes the first n bytes (n <= len). */
void bw_buf_consume(bw_buf *b, size_t n);

#endif
