/* A built prompt: what prompts/get needs, immutable after building and shared by every worker thread. */
#ifndef BW_PROVIDERS_PROMPTS_DEF_H
#define BW_PROVIDERS_PROMPTS_DEF_H

#include <jansson.h>
#include <stddef.h>

#include "bulwark/server.h"
#include "providers/files.h"
#include "providers/prompts_args.h"

typedef struct bw_prompt {
    json_t *spec;                 /* deep copy of the configuration entry; every string below points into it */
    const char *name;
    const char *description;      /* or NULL */
    bw_parg *args;
    size_t n_args;
    const json_t *messages;       /* the entry's messages: {role, text} or {role, resource} */
    const bw_files_catalog *cat;  /* serves `resource:` messages; lives as long as the build */
    size_t max_text;              /* largest rendered message text, in bytes */
} bw_prompt;

/* The prompts/get handler (user: the bw_prompt). Unknown or ill-typed arguments answer -32602 with the reason;
 * an embedded resource that cannot be read answers -32603 with the reason. */
bw_status bw_prompt_get(bw_call *call, const json_t *args, void *user);

#endif
