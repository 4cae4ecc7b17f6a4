/* Hot reload of a served configuration: re-read the file, validate and build it, and swap it into the running
 * application without failing a request (src/config/app.h, "hot reload").
 *
 * An invalid file changes nothing: the running configuration keeps serving and every problem is logged with its
 * FILE:LINE:COL position (the structured lines of reload_log.h, in the process log of observability/log.h). A valid one replaces tools, resources, templates and prompts atomically, keeps the
 * database pools whose settings did not change (same connections), and sends list_changed to the sessions for
 * each kind whose listing changed. The previous providers are retired: freed once no in-flight call, task or
 * reader holds one of their entries (checked at every reload, at every bw_reloader_sweep and at bw_reloader_free).
 *
 * Thread-safety: every function may be called from any thread; reloads and sweeps are serialized. */
#ifndef BW_CONFIG_RELOAD_H
#define BW_CONFIG_RELOAD_H

#include "config/app.h"

typedef struct bw_reloader bw_reloader;

/* live: the served application (borrowed; must outlive the reloader's use, see bw_reloader_free). path: the
 * configuration file (copied). Result lines go to the process log (observability/log.h). NULL on allocation
 * failure. */
bw_reloader *bw_reloader_new(bw_app *live, const char *path);

/* Reloads once. Logs config_reloaded (file, tools, resources (templates too), prompts, databases_kept,
 * databases_opened), preceded by a config_warning line per warning and config_restart_needed for sections that
 * cannot change live; or config_reload_failed (every error with its position, "serving": "previous configuration")
 * preceded by the warnings. See reload_log.h. BW_OK when the new configuration is served, BW_E_INVALID_ARG when it was invalid (nothing
 * changed), BW_E_NOMEM. */
BW_NODISCARD bw_status bw_reloader_run(bw_reloader *r);

/* Frees the retired configurations no call uses any more, oldest first. Returns how many stay retired. */
size_t bw_reloader_sweep(bw_reloader *r);

/* Frees every retired configuration and the reloader. Call after serving ended and after the live application
 * was freed (its server's workers may run handlers of retired providers until then). NULL is a no-op. */
void bw_reloader_free(bw_reloader *r);

#endif
