/* The stdio relay of `bulwark supervise --stdio`: the client's stdin goes to the child's stdin and the child's
 * stdout to the client's stdout, one whole line at a time, so that a restart never splices half a JSON-RPC message
 * into the stream. A line the client sent stays queued until a child has taken all of it; a line the child left
 * unfinished when it died is dropped. Requests in flight on a dying child are answered with a -32000 "server
 * restarted" error, and a restarted child is re-initialized with the client's own handshake first
 * (supervisor_track.h). Every buffer is bounded by max_line: when one is full, the relay stops reading its source
 * (back-pressure) instead of growing. Not thread-safe; owned by the supervisor loop. */
#ifndef BW_RELIABILITY_SUPERVISOR_RELAY_H
#define BW_RELIABILITY_SUPERVISOR_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"

typedef struct bw_sup_relay bw_sup_relay;

/* NULL on allocation failure. */
bw_sup_relay *bw_sup_relay_new(size_t max_line);
void bw_sup_relay_free(bw_sup_relay *r);

/* Poll interests. */
bool bw_sup_relay_want_client_read(const bw_sup_relay *r);  /* stdin open and the queue to the child not full */
bool bw_sup_relay_want_client_write(const bw_sup_relay *r); /* output for the client waits */
bool bw_sup_relay_want_child_write(const bw_sup_relay *r);  /* input for the child waits */
bool bw_sup_relay_want_child_read(const bw_sup_relay *r);   /* room for the child's output */
/* The client closed stdin. */
bool bw_sup_relay_client_ended(const bw_sup_relay *r);
/* The client closed stdin and every line it sent has reached a child: close the child's stdin now. */
bool bw_sup_relay_input_done(const bw_sup_relay *r);

/* One read from the client's fd (a readable descriptor). BW_E_NOMEM on allocation failure; EOF and read errors
 * end the client's input. */
BW_NODISCARD bw_status bw_sup_relay_read_client(bw_sup_relay *r, int fd);
/* Writes queued client lines to the child's (non-blocking) stdin until it would block. BW_E_IO when the child no
 * longer reads (EPIPE and other errors): stop writing to this child. */
BW_NODISCARD bw_status bw_sup_relay_write_child(bw_sup_relay *r, int fd);
/* One read from the child's (non-blocking) stdout. Returns 1 after data, 0 at EOF or on an error (stop reading this
 * child), -1 when nothing is available now. BW_E_NOMEM is logged and counts as EOF. */
int bw_sup_relay_read_child(bw_sup_relay *r, int fd);
/* Writes queued output to the client's (non-blocking) stdout until it would block. When the client is gone
 * (EPIPE), output is discarded from then on. */
void bw_sup_relay_write_client(bw_sup_relay *r, int fd);

/* The child died (its stdout drained as far as possible): drops its unfinished output line and the rest of a line
 * it was half-fed, answers its in-flight requests with errors. */
void bw_sup_relay_child_ended(bw_sup_relay *r);
/* A child (re)started: queues the replayed handshake ahead of the client's lines when there was one before. */
BW_NODISCARD bw_status bw_sup_relay_child_started(bw_sup_relay *r);

#endif
