/* Hot reload of a served configuration: re-read the file, validate and build it, and swap it into the running
 * application without failing a request (src/config/app.h, "hot reload").
 *
 * An invalid file changes nothing: the running configuration keeps serving and every problem is logged as
 * `bulwark check` prints it. A valid one replaces tools, resources, templates and prompts atomically, keeps the
 * database pools whose settings did not change (same connections), and sends list_changed to the sessions for
 * each kind whose listing changed. The previous providers are retired: freed once no in-flight call, task or
 * reader holds one of their entries (checked at every reload, at every bw_reloader_sweep and at bw_reloader_free).
 *
 * Thread-safety: every function may be called from any thread; reloads and sweeps are serialized. */
#ifndef BW_CONFIG_RELOAD_H
#define BW_CONFIG_RELOAD_H

#include <stdio.h>

#include "config/app.h"

typedef struct bw_reloader bw_reloader;

/* live: the served application (borrowed; must outlive the reloader's use, see bw_reloader_free). path: the
 * configuration file (copied). log: where result lines go (borrowed; stderr in bulwark serve). NULL on allocation
 * failure. */
bw_reloader *bw_reloader_new(bw_app *live, const char *path, FILE *log);

/* Reloads once. Logs "bulwark: reloaded FILE: N tools, N resources, N prompts (M databases kept, K opened)"
 * (resources count resource templates too), preceded by any warnings and a "restart needed" line for sections that
 * cannot change live; or "bulwark: reload of FILE failed; still serving the previous configuration:" followed by
 * every error line. BW_OK when the new configuration is served, BW_E_INVALID_ARG when it was invalid (nothing
 * changed), BW_E_NOMEM. */
BW_NODISCARD bw_status bw_reloader_run(bw_reloader *r);

/* Frees the retired configurations no call uses any more, oldest first. Returns how many stay retired. */
size_t bw_reloader_sweep(bw_reloader *r);

/* Frees every retired configuration and the reloader. Call after serving ended and after the live application
 * was freed (its server's workers may run handlers of retired providers until then). NULL is a no-op. */
void bw_reloader_free(bw_reloader *r);

#endif
