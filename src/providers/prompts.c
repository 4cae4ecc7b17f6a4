/* PLACEHOLDER while the provider is being written (replaced before the declarative-config issue is resolved). */
#include "providers/prompts.h"

bw_status bw_prompt_build(bw_build *b, const bw_files_catalog *cat, const json_t *entry)
{
    (void)cat;
    bw_build_error(b, entry, "the prompts provider is not available in this build yet");
    return BW_E_UNSUPPORTED;
}
