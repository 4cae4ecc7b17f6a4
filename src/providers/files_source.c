/* Reading one source: inline text, a file, a listed file below a root, or a template's file. */
#include "providers/files_source.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "providers/files_mime.h"
#include "providers/files_open.h"
#include "providers/files_read.h"
#include "providers/files_uri.h"

void bw_files_source_free(bw_files_source *src)
{
    if (!src)
        return;
    free(src->uri);
    free(src->mime);
    json_decref(src->text);
    free(src->path);
    free(src);
}

static json_t *read_bytes(const char *uri, const char *mime, int dir, const char *path, bool beneath, size_t max,
                          bw_status *st, char *err, size_t errlen)
{
    bw_files_bytes bytes;
    *st = bw_files_read_file(dir, path, beneath, max, &bytes, err, errlen);
    if (*st != BW_OK)
        return NULL;
    json_t *c = bw_files_contents(uri, mime, bytes.data, bytes.len);
    free(bytes.data);
    if (!c) {
        *st = BW_E_NOMEM;
        snprintf(err, errlen, "out of memory");
    }
    return c;
}

/* A template's file: its variables are decoded and checked (one path component each, nothing hidden), so a
 * request can only name a file the template's path could produce; the kernel keeps it below the root. */
static json_t *read_template(const bw_files_source *src, const char *uri, const json_t *vars, bw_status *st,
                             char *err, size_t errlen)
{
    char rel[BW_FILES_PATH_MAX + 1];
    if (!bw_files_tpl_render_path(src->path, vars, rel, sizeof rel)) {
        *st = BW_E_NOT_FOUND;
        snprintf(err, errlen, "not found");
        return NULL;
    }
    const char *mime = src->mime ? src->mime : bw_files_mime_of(rel);
    return read_bytes(uri, mime, src->root, rel, true, src->max_bytes, st, err, errlen);
}

json_t *bw_files_source_read(const bw_files_source *src, const char *uri, const json_t *vars, bw_status *st,
                             char *err, size_t errlen)
{
    json_t *c = NULL;
    *st = BW_OK;
    switch (src->kind) {
    case BW_FILES_TEXT:
        /* a copy, not a shared reference: many workers read the same source at once */
        c = json_pack("{s:s,s:s,s:s%}", "uri", uri, "mimeType", src->mime, "text", json_string_value(src->text),
                      json_string_length(src->text));
        if (!c) {
            *st = BW_E_NOMEM;
            snprintf(err, errlen, "out of memory");
        }
        return c;
    case BW_FILES_FILE:
        return read_bytes(uri, src->mime, AT_FDCWD, src->path, false, src->max_bytes, st, err, errlen);
    case BW_FILES_DIR_FILE:
        return read_bytes(uri, src->mime, src->root, src->path, true, src->max_bytes, st, err, errlen);
    case BW_FILES_TEMPLATE:
        return read_template(src, uri, vars, st, err, errlen);
    }
    *st = BW_E_INTERNAL;
    snprintf(err, errlen, "unknown source kind");
    return NULL;
}
