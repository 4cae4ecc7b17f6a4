/* The hot reload's log lines (reload.c, reload_watch.c): structured events in the process log (observability/log.h),
 * so a reloading server's stderr keeps one schema. Every line carries `file` (the configuration file as given to
 * `bulwark serve -c`); problems keep their FILE:LINE:COL position as fields, so an operator can find them:
 *
 *   config_reloaded        info   file, tools, resources (templates included), prompts, databases_kept,
 *                                 databases_opened. Written at every level but off, like the start-up
 *                                 announcement: it is the result operators and scripts wait for.
 *   config_reload_failed   error  file, serving ("previous configuration": nothing changed), errors: [{file, line,
 *                                 col, message}] (line/col absent without a position), errors_omitted when some did
 *                                 not fit the line; or error ("out of memory") when no configuration error caused it.
 *   config_warning         warn   file, line, col, message: one line per warning (a successful or a failed reload).
 *   config_restart_needed  warn   file, sections: [...], kept ("running values until a restart").
 *   config_retire_failed   error  file, error: out of memory; the previous configuration stays allocated.
 *   reload_watch_failed    error  file, error: the watch could not start (hot reload then needs a restart).
 *   reload_watch_stopped   error  file, error: the watch thread ended on an error (no more reloads).
 *
 * Thread-safety: any thread (lines are written whole, see log.h). Failure modes: an allocation failure while building
 * the fields still writes the line, with error "out of memory" in place of the fields it could not build. */
#ifndef BW_CONFIG_RELOAD_LOG_H
#define BW_CONFIG_RELOAD_LOG_H

#include <stddef.h>

#include "config/app.h"
#include "config/diag.h"

void bw_reload_log_reloaded(const char *path, const bw_app_counts *c);
/* diag: the failed rebuild's diagnostics (warnings become config_warning lines first); NULL or no error: the
 * failure was an allocation failure. */
void bw_reload_log_failed(const char *path, const bw_diag *diag);
/* The warnings (not the errors) in diag, one config_warning line each. */
void bw_reload_log_warnings(const char *path, const bw_diag *diag);
/* sections: the n configuration sections whose changes were not applied (n > 0). */
void bw_reload_log_restart_needed(const char *path, const char *const *sections, size_t n);
/* An error line msg (one of the names above) with file and error (borrowed text). */
void bw_reload_log_error(const char *msg, const char *path, const char *error);

#endif
