/* The prompts provider: prompt templates with typed arguments and embedded resources.
 * Configuration: src/config/schema/prompt.json. */
#ifndef BW_PROVIDERS_PROMPTS_H
#define BW_PROVIDERS_PROMPTS_H

#include <jansson.h>

#include "config/build.h"
#include "providers/files.h"

/* Registers the prompt of one `prompts` entry on bw_build_server(b). `resource:` messages must name a URI served
 * by cat (checked now; read on every prompts/get). Placeholders naming no declared argument are configuration
 * errors. Returns BW_OK, or an error status after reporting. */
BW_NODISCARD bw_status bw_prompt_build(bw_build *b, const bw_files_catalog *cat, const json_t *entry);

#endif
