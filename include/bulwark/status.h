/* Bulwark status codes and per-call error detail.
 *
 * Every fallible public function returns a bw_status. BW_OK is zero so `if (st)` reads naturally. Error detail
 * (a human-readable message) travels in a bw_error owned by the caller, never in a global. */
#ifndef BULWARK_STATUS_H
#define BULWARK_STATUS_H

#include <stddef.h>

#if defined(__GNUC__)
#define BW_EXPORT __attribute__((visibility("default")))
#define BW_NODISCARD __attribute__((warn_unused_result))
#define BW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BW_EXPORT
#define BW_NODISCARD
#define BW_PRINTF(a, b)
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_status {
    BW_OK = 0,
    BW_E_INVALID_ARG,   /* a caller passed a NULL/empty/malformed argument */
    BW_E_NOMEM,         /* allocation failed */
    BW_E_NOT_FOUND,     /* unknown tool/resource/prompt/id; resources/read maps this to -32002 */
    BW_E_EXISTS,        /* a name or URI is registered already */
    BW_E_LIMIT,         /* a configured bound (size, depth, count, queue) was hit */
    BW_E_TIMEOUT,       /* a deadline passed */
    BW_E_CANCELLED,     /* the client cancelled the request, or the server is shutting down */
    BW_E_UNSUPPORTED,   /* the peer did not declare the capability this needs */
    BW_E_PROTOCOL,      /* the peer sent something the protocol does not allow */
    BW_E_IO,            /* a read/write on the transport failed */
    BW_E_INTERNAL,      /* a bug or an unexpected library failure */
    BW_E_TOOL,          /* a tool failed; reported to the client as a result with isError:true */
    BW_E_REJECTED,      /* the client answered a server->client request with a JSON-RPC error */
    BW_E_INVALID_PARAMS,/* the request's params are wrong (JSON-RPC -32602) */
    BW_E_OVERLOADED,    /* a bounded queue is full; retry later */
    BW_INPUT_REQUIRED,  /* stateless era: the handler needs client input; return this status unchanged */
} bw_status;

/* A short static English name for a status ("ok", "not found", ...). Never NULL. Thread-safe. */
BW_EXPORT const char *bw_status_str(bw_status st);

#ifdef __cplusplus
}
#endif
#endif
