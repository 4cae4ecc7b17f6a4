/* The live status page (status_page.html), embedded into the library at build time by cmake/embed_file.cmake
 * (build/generated/status_page.c). Read-only, static storage; NUL-terminated (the NUL is not counted in the length).
 * Served by GET /status (src/transport/http_admin.c). */
#ifndef BW_OBSERVABILITY_STATUS_PAGE_H
#define BW_OBSERVABILITY_STATUS_PAGE_H

#include <stddef.h>

extern const unsigned char bw_status_page[];
extern const size_t bw_status_page_len;

#endif
