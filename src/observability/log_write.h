/* The log's writer: complete lines to stderr (or the descriptor bw_log_set_fd names), each with a single write, and
 * never an unbounded wait on the request path.
 *
 * What happens when the reader falls behind depends on what stderr is:
 *  - a socket (systemd's journal, Node's child processes, most supervisors): send(MSG_DONTWAIT). When the socket
 *    buffer is full, the writer waits up to 100 ms for room, then drops the line and counts it
 *    (bulwark_log_lines_dropped_total). While lines are being dropped, the next ones do not wait at all, so a
 *    stalled reader costs each request one failed send, not 100 ms; the first line that fits ends that state.
 *  - a pipe (docker, shell pipelines): the same, through a private non-blocking descriptor of the same pipe
 *    (/proc/self/fd/N reopened), so the shared file description (and whoever else writes to it) stays blocking.
 *  - a regular file, a terminal or anything else: plain blocking writes (they do not stall for long).
 * A line longer than the room left may be written in parts; if the rest cannot be written within 250 ms the line is cut
 * (counted as dropped) and the next line starts with a newline so that it still parses.
 *
 * Thread-safety: bw_log_write may be called from any thread. */
#ifndef BW_OBSERVABILITY_LOG_WRITE_H
#define BW_OBSERVABILITY_LOG_WRITE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes one complete line (ending with '\n'). false when it was dropped (already counted). */
bool bw_log_write(const char *line, size_t len);

/* Lines dropped since the process started (also fed to bw_metrics_log_lines_dropped). */
long bw_log_lines_dropped(void);

#endif
