/* completion/complete for prompt arguments that declare an `enum`.
 *
 * A server has one completion callback. The prompts provider keeps one table per build context: the first prompt
 * argument with an enum creates it, hands it to the build (freed with it) and installs it with
 * bw_server_set_completion; later ones add to it. The table is filled while building and read-only afterwards. */
#ifndef BW_PROVIDERS_PROMPTS_COMPLETE_H
#define BW_PROVIDERS_PROMPTS_COMPLETE_H

#include <jansson.h>

#include "config/build.h"

/* Offers `values` (an array of strings, copied) for argument `arg` of prompt `prompt`. Completion answers the values
 * that start with what the client typed (case-insensitively), in configuration order, at most 100, with
 * total/hasMore. References to other prompts, other arguments and resource templates get no values.
 * BW_E_NOMEM on allocation failure. */
BW_NODISCARD bw_status bw_prompts_complete_add(bw_build *b, const char *prompt, const char *arg,
                                               const json_t *values);

#endif
