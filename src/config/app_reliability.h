/* The `reliability` section and each tool's `policy` (schema: src/config/schema/reliability.json, policy*.json),
 * turned into the policy layer's settings (bulwark/policy.h, bulwark/health.h).
 *
 * Thread-safety: building thread only. Errors are reported at their YAML node through the build context. */
#ifndef BW_CONFIG_APP_RELIABILITY_H
#define BW_CONFIG_APP_RELIABILITY_H

#include <jansson.h>
#include <stdbool.h>

#include "bulwark/policy.h"
#include "config/build.h"

/* Applies the server-wide part of `section` (may be NULL: every setting back to its default) to srv: max_in_flight,
 * cache_max_bytes, state_db (relative to the configuration's directory; the database is opened now), the default
 * policy, the declared dependencies and the health options. Safe on a running server (a reload re-applies it to the
 * live server). Must run before the tools are registered (they compile against the defaults and the state
 * database). */
void bw_app_reliability_apply(bw_build *b, bw_server *srv, const json_t *section);

/* Registers the MCP tools health-check and get-metrics when reliability.health.tools is true. After the configured
 * tools (a name clash is reported at health.tools). */
void bw_app_reliability_tools(bw_build *b, bw_server *srv, const json_t *section);

/* The policy of tool entry `tool` of configuration `root`: its `policy` merged field by field over
 * reliability.defaults, into *out (strings borrowed from the configuration tree, valid while it lives). false when
 * the tool has no `policy` (it takes the server's default policy), and when the policy is invalid: a fallback not
 * naming another configured tool, idempotency without reliability.state_db (reported at the node, so the build
 * fails). */
bool bw_app_tool_policy(bw_build *b, const json_t *root, const json_t *tool, bw_tool_policy *out);

#endif
