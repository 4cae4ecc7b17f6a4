/* The libcurl side of the http provider: one transfer per call, on connections reused across calls.
 *
 * Each worker thread keeps its own curl multi + easy handle (created on first use, freed when the thread exits),
 * so a thread's consecutive calls to the same host reuse one keep-alive connection. DNS answers and TLS sessions
 * are shared by all threads through one CURLSH with a lock per kind of data. Connections themselves are not
 * shared between threads: libcurl does not support a connection cache used by concurrent threads.
 * The transfer loop polls in short slices so that cancellation stops it within ~50 ms. */
#ifndef BW_PROVIDERS_HTTP_CLIENT_H
#define BW_PROVIDERS_HTTP_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"
#include "core/buf.h"

typedef struct bw_http_request {
    const char *method;                /* GET POST PUT PATCH DELETE HEAD */
    const char *url;                   /* complete, already escaped */
    const struct curl_slist *headers;  /* "Name: value" lines; may be NULL */
    const char *body;                  /* NULL: none (POST/PUT/PATCH then send an empty body) */
    size_t body_len;
    long timeout_ms;                   /* whole transfer, > 0 */
    long connect_timeout_ms;           /* > 0 */
    size_t max_response_bytes;         /* body cap */
    bool tls_verify;
    const char *ca_file;               /* NULL: the system's CA bundle */
    bool follow_redirects;             /* up to 5, http/https only */
} bw_http_request;

typedef enum bw_http_outcome {
    BW_HTTP_DONE,      /* a response arrived (any status) */
    BW_HTTP_TOO_LARGE, /* the body exceeded max_response_bytes; the transfer was aborted */
    BW_HTTP_TIMEOUT,   /* timeout_ms (or connect_timeout_ms) passed */
    BW_HTTP_CANCELLED, /* cancelled() returned true */
    BW_HTTP_FAILED,    /* connection, TLS, protocol error: see error */
} bw_http_outcome;

typedef struct bw_http_response {
    long status;             /* 0 when no response arrived */
    char reason[64];         /* reason phrase of the last status line ("" on HTTP/2) */
    char content_type[256];  /* "" when absent */
    char redirect_url[1024]; /* where a redirect that was not followed points ("" when none) */
    bw_buf body;
    char error[CURL_ERROR_SIZE]; /* libcurl's description when BW_HTTP_FAILED */
    bool connection_error;       /* BW_HTTP_FAILED: the server could not be reached (name resolution, connect, TLS
                                  * handshake) or the connection broke while sending or receiving */
} bw_http_response;

/* Initializes libcurl and the shared caches once per process (safe to call from any thread, any number of times).
 * BW_E_INTERNAL when libcurl cannot be initialized or lacks what is needed. */
BW_NODISCARD bw_status bw_http_client_init(void);

void bw_http_response_init(bw_http_response *r, size_t max_body_bytes);
void bw_http_response_free(bw_http_response *r);

/* Runs one transfer on the calling thread's handles, checking cancelled(ctx) between slices.
 * bw_http_client_init must have succeeded. */
bw_http_outcome bw_http_perform(const bw_http_request *req, bool (*cancelled)(void *ctx), void *ctx,
                                bw_http_response *resp);

#endif
