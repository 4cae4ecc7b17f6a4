/* The `observability` section (schema: src/config/schema/observability.json, observe_*.json) and each tool's
 * `log`, turned into the settings of bulwark/observe.h.
 *
 * Each part lives in its own file (app_observe_metrics.c, _logging.c, _tracing.c, _audit.c, _status.c) with one
 * entry point of the shape below. `apply` false: only check the values (bulwark check, and the staging build of a
 * reload: nothing is opened, started or changed process-wide); true: configure srv (the first build of a served
 * configuration, and the live server when a reload is adopted — so every setter must be safe on a running server
 * and keep what did not change). Errors are reported at their YAML node through the build context.
 *
 * Thread-safety: building thread only. */
#ifndef BW_CONFIG_APP_OBSERVE_H
#define BW_CONFIG_APP_OBSERVE_H

#include <jansson.h>
#include <stdbool.h>

#include "config/build.h"

/* All parts, from the configuration's root (observability may be absent: defaults). */
void bw_app_observe_apply(bw_build *b, bw_server *srv, const json_t *root, bool apply);

void bw_app_observe_metrics(bw_build *b, bw_server *srv, const json_t *root, bool apply);
void bw_app_observe_logging(bw_build *b, bw_server *srv, const json_t *root, bool apply);
void bw_app_observe_tracing(bw_build *b, bw_server *srv, const json_t *root, bool apply);
void bw_app_observe_audit(bw_build *b, bw_server *srv, const json_t *root, bool apply);
void bw_app_observe_status(bw_build *b, bw_server *srv, const json_t *root, bool apply);

#endif
