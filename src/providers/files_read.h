/* Reading a served file safely, and turning bytes into a ResourceContents object. Thread-safe. */
#ifndef BW_PROVIDERS_FILES_READ_H
#define BW_PROVIDERS_FILES_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"

/* Bytes read from a file (data is NUL-terminated after len bytes; free with free()). */
typedef struct bw_files_bytes {
    char *data;
    size_t len;
} bw_files_bytes;

/* Reads the whole regular file `path`: relative to dir and confined beneath it when `beneath` (dir is a root from
 * bw_files_root_open), else opened as given (dir may be AT_FDCWD). The file is first opened O_PATH and checked, so
 * FIFOs, sockets and devices are never opened for reading (no blocking, no side effects of opening a device).
 * BW_E_NOT_FOUND: missing, outside the root, or not a regular file; BW_E_LIMIT: more than max bytes; BW_E_IO: a
 * read error; BW_E_NOMEM. A one-line reason goes to err; out is untouched on failure. */
BW_NODISCARD bw_status bw_files_read_file(int dir, const char *path, bool beneath, size_t max, bw_files_bytes *out,
                                          char *err, size_t errlen);

/* {uri, mimeType, text} when mime is a text type (bw_files_mime_is_text) and data is valid UTF-8, else
 * {uri, mimeType, blob} with data in base64. New reference; NULL on allocation failure. */
json_t *bw_files_contents(const char *uri, const char *mime, const char *data, size_t len);

#endif
