/* The HTTP transports: Streamable HTTP at /mcp (revisions 2025-03-26 .. 2025-11-25) and the legacy HTTP+SSE pair
 * GET /sse + POST /messages (2024-11-05), served by libmicrohttpd on one listening socket. */
#ifndef BULWARK_HTTP_H
#define BULWARK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/server.h"
#include "bulwark/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_http_options {
    const char *host;               /* address to bind [127.0.0.1] */
    uint16_t port;                  /* 0 picks a free port */
    bool stateless;                 /* no sessions: every POST is self-contained (for horizontal scaling) */
    const char *const *allowed_hosts;   /* NULL-terminated Host names (port ignored) [loopback names when bound
                                         * to loopback; anything otherwise] */
    const char *const *allowed_origins; /* NULL-terminated origins ("http://localhost:3000"); [loopback origins,
                                         * any port, when bound to loopback; none otherwise] */
    size_t max_sessions;            /* concurrent sessions; initialize beyond it gets 503 [10000] */
    int session_idle_ms;            /* a session unused this long is ended [1800000] */
    int connection_timeout_s;       /* idle/slow connections are closed [30] */
    unsigned max_connections;       /* open connections [1024] */
    int keepalive_ms;               /* comment lines on idle SSE streams [15000] */
    int threads;                    /* libmicrohttpd polling threads [2] */
    /* HTTPS: the certificate chain and the private key as PEM text (not file names), both or neither; borrowed,
     * must stay valid while bw_serve_http runs. [NULL: plain HTTP] */
    const char *tls_cert_pem;
    const char *tls_key_pem;
    /* Called once the socket listens, with the URL of the MCP endpoint (e.g. to print a ready line). */
    void (*on_ready)(const char *url, void *user);
    void *user;
} bw_http_options;

/* Serves HTTP until bw_http_stop(). Handlers run on the server's worker pool; several sessions and several
 * requests per session proceed concurrently (a tool waiting for a sampling answer never blocks the POST that
 * carries the answer). On stop: new requests are refused, in-flight work gets limits.shutdown_grace_ms, open
 * streams are ended, then the function returns.
 * Returns BW_OK after a stop, BW_E_IO when the socket cannot be bound (the reason goes to stderr),
 * BW_E_INVALID_ARG for bad options. Not reentrant: one HTTP server per process. */
BW_EXPORT BW_NODISCARD bw_status bw_serve_http(bw_server *srv, const bw_http_options *opts);
/* Splits "HOST:PORT" ("127.0.0.1:8080", "[::1]:0", "localhost:3000") into host (copied into host_out, hostlen
 * bytes) and port. BW_E_INVALID_ARG when it is not of that form or the port is not 0..65535. */
BW_EXPORT BW_NODISCARD bw_status bw_http_parse_listen(const char *spec, char *host_out, size_t hostlen,
                                                      uint16_t *port);
/* Asks a running bw_serve_http to stop. Async-signal-safe. */
BW_EXPORT void bw_http_stop(void);

#ifdef __cplusplus
}
#endif
#endif
