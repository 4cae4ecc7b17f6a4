#include "protocol/pagination.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A check value ties the offset to its list, so an edited or foreign cursor is caught rather than served. */
static uint32_t check(size_t offset, int list_id)
{
    uint32_t h = 2166136261u;
    uint64_t v = ((uint64_t)offset << 8) ^ (uint64_t)(unsigned)list_id ^ 0x62776375u;
    for (int i = 0; i < 8; i++) {
        h ^= (uint8_t)(v >> (i * 8));
        h *= 16777619u;
    }
    return h;
}

void bw_cursor_encode(size_t offset, int list_id, char *out)
{
    snprintf(out, BW_CURSOR_MAX, "bw1.%zx.%08" PRIx32, offset, check(offset, list_id));
}

bool bw_cursor_decode(const char *cursor, int list_id, size_t *offset)
{
    size_t off = 0;
    uint32_t sum = 0;
    int used = 0;
    if (!cursor || strlen(cursor) >= BW_CURSOR_MAX)
        return false;
    if (sscanf(cursor, "bw1.%zx.%8" SCNx32 "%n", &off, &sum, &used) != 2 || cursor[used] != '\0')
        return false;
    if (sum != check(off, list_id))
        return false;
    /* Only the exact spelling we write is ours ("bw1.00.x", "bw1.+0.x" are not). */
    char canonical[BW_CURSOR_MAX];
    bw_cursor_encode(off, list_id, canonical);
    if (strcmp(canonical, cursor) != 0)
        return false;
    *offset = off;
    return true;
}
