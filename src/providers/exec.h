/* The exec provider: tools that run a program (argv, never a shell). Configuration: src/config/schema/exec.json. */
#ifndef BW_PROVIDERS_EXEC_H
#define BW_PROVIDERS_EXEC_H

#include <jansson.h>

#include "bulwark/server.h"
#include "config/build.h"

/* Compiles the `exec` section of tool entry `tool` into def->handler / def->user (see bw_sql_tool_build for the
 * contract). A command that cannot be found or is not executable, or a missing cwd, is a configuration error.
 * The handler is safe to run on many worker threads at once; it never leaves a zombie or orphan process. */
BW_NODISCARD bw_status bw_exec_tool_build(bw_build *b, const json_t *tool, const json_t *exec, bw_tool_def *def);

#endif
