/* The configuration reference (docs/config.md) generated from the embedded schema: one section per object of the
 * configuration, one table row per key with its type, default and description. docs/config.md holds this text
 * between the two marker lines below; tests/unit/config/test_reference.c fails when it differs.
 * Regenerate with: build/bulwark config-reference --write docs/config.md */
#ifndef BW_CONFIG_REFERENCE_H
#define BW_CONFIG_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#define BW_REFERENCE_BEGIN "<!-- BEGIN GENERATED REFERENCE (bulwark config-reference --write docs/config.md) -->"
#define BW_REFERENCE_END "<!-- END GENERATED REFERENCE -->"

/* The Markdown text (without the markers), malloc'ed; NULL on failure with a reason in err. Deterministic. */
char *bw_config_reference(char *err, size_t errlen);

/* Replaces the text between the markers of the Markdown file `path` with the reference (the rest of the file is
 * kept). false with a reason in err when the file cannot be read or written or lacks the markers. */
bool bw_config_reference_write(const char *path, char *err, size_t errlen);

#endif
