/* The stdio transport: newline-delimited JSON-RPC on a pair of file descriptors.
 *
 * Only protocol messages are written to out_fd; diagnostics go to stderr. */
#ifndef BULWARK_STDIO_H
#define BULWARK_STDIO_H

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Serves one session over in_fd/out_fd until EOF on in_fd or bw_stdio_stop, then gives in-flight work
 * limits.shutdown_grace_ms to finish and returns. Handlers run on the server's worker pool; the calling thread
 * reads. SIGPIPE is ignored process-wide (a vanished client must not kill the server).
 * Returns BW_OK on EOF/stop, BW_E_IO when reading fails, BW_E_NOMEM on allocation failure.
 * Not reentrant: one stdio session per process. */
BW_EXPORT BW_NODISCARD bw_status bw_serve_stdio(bw_server *srv, int in_fd, int out_fd);
/* Asks a running bw_serve_stdio to stop as on EOF. Async-signal-safe. */
BW_EXPORT void bw_stdio_stop(void);

#ifdef __cplusplus
}
#endif
#endif
