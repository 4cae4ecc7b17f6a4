/* libbulwark: build production MCP servers in C. Umbrella header. */
#ifndef BULWARK_H
#define BULWARK_H

#include "bulwark/status.h"
#include "bulwark/server.h"
#include "bulwark/call.h"
#include "bulwark/stdio.h"
#include "bulwark/http.h"
#include "bulwark/skills.h"
#include "bulwark/policy.h"
#include "bulwark/health.h"
#include "bulwark/observe.h"

#define BW_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif
/* The library's version string ("0.1.0"). */
BW_EXPORT const char *bw_version(void);
/* The protocol revisions this build serves, newest first, NULL-terminated. */
BW_EXPORT const char *const *bw_supported_revisions(void);
#ifdef __cplusplus
}
#endif
#endif
