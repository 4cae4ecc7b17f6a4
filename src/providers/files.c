/* PLACEHOLDER while the provider is being written (replaced before the declarative-config issue is resolved). */
#include "providers/files.h"

#include <stdio.h>
#include <stdlib.h>

struct bw_files_catalog {
    int unused;
};

bw_files_catalog *bw_files_catalog_new(bw_build *b)
{
    bw_files_catalog *c = calloc(1, sizeof *c);
    if (c && bw_build_own(b, free, c) != BW_OK)
        return NULL;
    return c;
}

bw_status bw_files_resource_build(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    (void)cat;
    bw_build_error(b, entry, "the files provider is not available in this build yet");
    return BW_E_UNSUPPORTED;
}

bw_status bw_files_template_build(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    (void)cat;
    bw_build_error(b, entry, "the files provider is not available in this build yet");
    return BW_E_UNSUPPORTED;
}

bool bw_files_catalog_has(const bw_files_catalog *cat, const char *uri)
{
    (void)cat;
    (void)uri;
    return false;
}

json_t *bw_files_catalog_read(const bw_files_catalog *cat, const char *uri, char *err, size_t errlen)
{
    (void)cat;
    snprintf(err, errlen, "resource %s: the files provider is not available in this build yet", uri);
    return NULL;
}
