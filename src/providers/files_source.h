/* The sources behind the files provider's resources, and the catalog that finds them by URI.
 *
 * A source is immutable once added; the catalog is filled while building (one thread) and only read afterwards,
 * from any number of worker threads. Both are freed with the build context. */
#ifndef BW_PROVIDERS_FILES_SOURCE_H
#define BW_PROVIDERS_FILES_SOURCE_H

#include <jansson.h>
#include <stddef.h>

#include "providers/files.h"

typedef enum bw_files_kind {
    BW_FILES_TEXT,     /* inline text */
    BW_FILES_FILE,     /* one file, by absolute path */
    BW_FILES_DIR_FILE, /* one listed file of a directory, by path relative to its root */
    BW_FILES_TEMPLATE, /* a resource template: the URI's variables name a file below a root */
} bw_files_kind;

typedef struct bw_files_source {
    bw_files_kind kind;
    char *uri;        /* the URI, or the URI template */
    char *mime;       /* NULL: by the file's extension at read time (templates without mime_type) */
    json_t *text;     /* TEXT: the text (a JSON string, so it may hold any UTF-8) */
    char *path;       /* FILE: absolute path; DIR_FILE: relative path; TEMPLATE: path template */
    int root;         /* DIR_FILE, TEMPLATE: the directory (owned by the catalog); else -1 */
    size_t max_bytes; /* FILE, DIR_FILE, TEMPLATE */
} bw_files_source;

/* Adds a source; ownership passes to the catalog on success only. BW_E_EXISTS when the URI is taken, BW_E_NOMEM. */
BW_NODISCARD bw_status bw_files_catalog_add(bw_files_catalog *cat, bw_files_source *src);

/* Hands a root descriptor to the catalog, which closes it when freed (closed at once on failure). */
BW_NODISCARD bw_status bw_files_catalog_add_root(bw_files_catalog *cat, int root);

/* Frees a source that never reached the catalog. NULL is a no-op. */
void bw_files_source_free(bw_files_source *src);

/* Reads `uri` from a source. vars: the URI template's variables (TEMPLATE only, still percent-encoded).
 * NULL with *st set (BW_E_NOT_FOUND when missing or refused, BW_E_LIMIT, BW_E_IO, BW_E_NOMEM) and a one-line
 * reason in err. */
json_t *bw_files_source_read(const bw_files_source *src, const char *uri, const json_t *vars, bw_status *st,
                             char *err, size_t errlen);

#endif
