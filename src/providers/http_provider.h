/* The http provider: tools that call an HTTP API with libcurl. Configuration: src/config/schema/http.json. */
#ifndef BW_PROVIDERS_HTTP_PROVIDER_H
#define BW_PROVIDERS_HTTP_PROVIDER_H

#include <jansson.h>

#include "bulwark/server.h"
#include "config/build.h"

/* Compiles the `http` section of tool entry `tool` into def->handler / def->user (see bw_sql_tool_build for the
 * contract). URL templates that do not parse, placeholders naming no declared argument, and unreadable ca_file
 * are configuration errors. The handler is safe to run on many worker threads at once; connections are reused. */
BW_NODISCARD bw_status bw_http_tool_build(bw_build *b, const json_t *tool, const json_t *http, bw_tool_def *def);

#endif
