/* What triggers a hot reload: SIGHUP (through a self-pipe: the signal handler only writes one byte) and, when
 * enabled, changes to the configuration file (inotify on its directory, because editors and Kubernetes replace
 * files rather than rewrite them; debounced). The reload itself runs on the watch thread, never in the handler.
 *
 * One watch per process (the signal handler needs a process-wide descriptor). */
#ifndef BW_CONFIG_RELOAD_WATCH_H
#define BW_CONFIG_RELOAD_WATCH_H

#include <stdbool.h>

#include "config/reload.h"

/* Changes to the file closer together than this make one reload. */
#define BW_RELOAD_DEBOUNCE_MS 200

typedef struct bw_reload_watch bw_reload_watch;

/* Starts the thread that runs bw_reloader_run(r) (borrowed) on bw_reload_watch_signal and, with watch_file, when
 * the file at path changes (its device, inode, size or modification time differ from the last ones seen); it also
 * sweeps r's retired configurations every second while some remain. NULL (reason on log) when the thread, the
 * pipe or the inotify watch cannot be set up, or when a watch is running already; the reason is logged as
 * reload_watch_failed (reload_log.h), and an error that ends the thread later as reload_watch_stopped. */
bw_reload_watch *bw_reload_watch_start(bw_reloader *r, const char *path, bool watch_file);

/* Asks the running watch for a reload. Async-signal-safe (a signal handler's call); a no-op without a watch.
 * Requests made while a reload runs are coalesced into one more reload. */
void bw_reload_watch_signal(void);

/* Stops and joins the thread (a running reload finishes first), then frees w. NULL is a no-op. */
void bw_reload_watch_stop(bw_reload_watch *w);

#endif
