/* The files provider: resources from inline text, single files and directories, and resource templates mapped to
 * files; all reads confined to their configured root. Configuration: src/config/schema/resource.json and
 * resource_template.json. */
#ifndef BW_PROVIDERS_FILES_H
#define BW_PROVIDERS_FILES_H

#include <jansson.h>
#include <stddef.h>

#include "bulwark/server.h"
#include "config/build.h"

/* Every resource source of one configuration, by URI, so prompts can embed resources. */
typedef struct bw_files_catalog bw_files_catalog;

/* Creates an empty catalog owned by b (freed with it). NULL on allocation failure. */
bw_files_catalog *bw_files_catalog_new(bw_build *b);

/* Registers the resource(s) of one `resources` entry on bw_build_server(b) and records them in cat. A directory
 * is listed now (each regular file becomes one resource); a missing file or directory is a configuration error.
 * Returns BW_OK, or an error status after reporting. */
BW_NODISCARD bw_status bw_files_resource_build(bw_build *b, bw_files_catalog *cat, const json_t *entry);

/* Registers one `resource_templates` entry (and records it in cat). */
BW_NODISCARD bw_status bw_files_template_build(bw_build *b, bw_files_catalog *cat, const json_t *entry);

/* true if `uri` is served by an entry of the catalog (used to check prompt references while building). */
bool bw_files_catalog_has(const bw_files_catalog *cat, const char *uri);

/* Reads `uri` as a ResourceContents object ({uri, mimeType, text} or {uri, mimeType, blob}); caller owns the
 * result. NULL with a one-line reason in err when not served, refused (outside the root, special file), too large
 * or unreadable. Thread-safe. */
json_t *bw_files_catalog_read(const bw_files_catalog *cat, const char *uri, char *err, size_t errlen);

#endif
