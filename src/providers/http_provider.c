/* PLACEHOLDER while the provider is being written (replaced before the declarative-config issue is resolved). */
#include "providers/http_provider.h"

bw_status bw_http_tool_build(bw_build *b, const json_t *tool, const json_t *section, bw_tool_def *def)
{
    (void)tool;
    (void)def;
    bw_build_error(b, section, "the http provider is not available in this build yet");
    return BW_E_UNSUPPORTED;
}
