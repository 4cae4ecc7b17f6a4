/* Listing a directory resource: the regular files below a root, found once at build time. */
#ifndef BW_PROVIDERS_FILES_LIST_H
#define BW_PROVIDERS_FILES_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"

/* At most this many files per directory resource, and this many directory levels. */
#define BW_FILES_LIST_MAX 10000
#define BW_FILES_DEPTH_MAX 32

typedef struct bw_files_entry {
    char *rel;    /* path relative to the root, '/'-separated (owned) */
    int64_t size; /* bytes when listed */
} bw_files_entry;

typedef struct bw_files_listing {
    bw_files_entry *v;
    size_t n, cap;
} bw_files_listing;

/* Called for an entry left out that the operator may want to hear about (a symlink leading outside the root or
 * to nothing, a directory level beyond BW_FILES_DEPTH_MAX). */
typedef void (*bw_files_skip_fn)(const char *rel, const char *why, void *ctx);

/* Lists the regular files below root (an O_PATH directory), sorted by relative path. Names starting with '.'
 * (hidden files and directories) are never listed. Subdirectories are entered when `recursive`; a symlink is listed
 * when it resolves to a regular file inside the root (symlinked directories are not entered). FIFOs, sockets and
 * devices are left out. BW_E_LIMIT with a reason in err beyond BW_FILES_LIST_MAX files; BW_E_IO when a directory
 * cannot be read; BW_E_NOMEM. On failure out is emptied. */
BW_NODISCARD bw_status bw_files_list(int root, bool recursive, bw_files_listing *out, bw_files_skip_fn skip,
                                     void *ctx, char *err, size_t errlen);

void bw_files_listing_free(bw_files_listing *l);

#endif
