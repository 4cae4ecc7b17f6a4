/* Reading whole files of bounded size: the configuration, ${file:...} secrets, TLS certificates and keys. */
#ifndef BW_CONFIG_FILE_H
#define BW_CONFIG_FILE_H

#include <stddef.h>

/* Reads the regular file `path` (at most cap bytes) into a NUL-terminated buffer the caller frees; *len gets its
 * size (may be NULL). On failure returns NULL and writes a short reason without the path into err, e.g.
 * "No such file or directory", "not a regular file", "larger than 1 MiB". Thread-safe. */
char *bw_read_file(const char *path, size_t cap, size_t *len, char *err, size_t errlen);

#endif
