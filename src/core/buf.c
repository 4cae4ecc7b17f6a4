#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void bw_buf_init(bw_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void bw_buf_free(bw_buf *b)
{
    free(b->data);
    bw_buf_init(b, b->cap);
}

void bw_buf_reset(bw_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

bw_status bw_buf_append(bw_buf *b, const void *p, size_t n)
{
    if (n > b->cap || b->len > b->cap - n)
        return BW_E_LIMIT;
    if (b->len + n + 1 > b->alloc) {
        size_t want = b->alloc ? b->alloc : 256;
        while (want < b->len + n + 1)
            want *= 2;
        char *grown = realloc(b->data, want);
        if (!grown)
            return BW_E_NOMEM;
        b->data = grown;
        b->alloc = want;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BW_OK;
}

void bw_buf_consume(bw_buf *b, size_t n)
{
    if (n >= b->len) {
        bw_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}
