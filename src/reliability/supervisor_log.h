/* The supervisor's log: one line per event on stderr, "bulwark supervise: <message>". stderr is shared with the
 * child (it inherits it), so each line goes out in one write to stay whole next to the child's own lines. */
#ifndef BW_RELIABILITY_SUPERVISOR_LOG_H
#define BW_RELIABILITY_SUPERVISOR_LOG_H

#include <stdbool.h>

#include "bulwark/status.h"

/* Informational lines (starts) are dropped when quiet; warnings and errors never are. Not thread-safe. */
void bw_sup_log_quiet(bool quiet);
void bw_sup_info(const char *fmt, ...) BW_PRINTF(1, 2);
void bw_sup_warn(const char *fmt, ...) BW_PRINTF(1, 2);

#endif
