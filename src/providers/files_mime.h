/* MIME types of served files: a built-in table by file extension, and which types are served as text. Pure and
 * thread-safe. */
#ifndef BW_PROVIDERS_FILES_MIME_H
#define BW_PROVIDERS_FILES_MIME_H

#include <stdbool.h>

/* The MIME type for a file name by its extension (case-insensitive), "application/octet-stream" when unknown.
 * Never NULL; static storage. */
const char *bw_files_mime_of(const char *path);

/* true when contents of this type are text (text/..., JSON, XML, YAML, SQL, ... and +json/+xml/+yaml types):
 * such contents are served as "text" when they are valid UTF-8, everything else as a base64 "blob". */
bool bw_files_mime_is_text(const char *mime);

#endif
