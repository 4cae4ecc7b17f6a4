/* Opaque pagination cursors for the list methods. A cursor names a position in one list; anything else (a cursor
 * from another list, garbage, a position past the end) is rejected so the client gets -32602. Thread-safe. */
#ifndef BW_PROTOCOL_PAGINATION_H
#define BW_PROTOCOL_PAGINATION_H

#include <stdbool.h>
#include <stddef.h>

#define BW_CURSOR_MAX 48

/* Writes the cursor for position `offset` of list `list_id` into out (BW_CURSOR_MAX bytes). */
void bw_cursor_encode(size_t offset, int list_id, char *out);
/* Parses a cursor of list `list_id`. false when it is not one of ours. */
bool bw_cursor_decode(const char *cursor, int list_id, size_t *offset);

#endif
