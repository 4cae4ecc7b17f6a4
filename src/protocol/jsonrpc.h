/* JSON-RPC 2.0 framing: decoding one message with size/depth limits, classifying it, and building replies.
 * All functions are thread-safe (no shared state). */
#ifndef BW_PROTOCOL_JSONRPC_H
#define BW_PROTOCOL_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    BW_RPC_PARSE_ERROR = -32700,
    BW_RPC_INVALID_REQUEST = -32600,
    BW_RPC_METHOD_NOT_FOUND = -32601,
    BW_RPC_INVALID_PARAMS = -32602,
    BW_RPC_INTERNAL_ERROR = -32603,
    BW_RPC_SERVER_OVERLOADED = -32000,
    BW_RPC_SESSION_NOT_FOUND = -32001,
    BW_RPC_RESOURCE_NOT_FOUND = -32002,
    /* 2026-07-28 */
    BW_RPC_HEADER_MISMATCH = -32020,        /* HTTP headers disagree with the body (HTTP 400) */
    BW_RPC_MISSING_CAPABILITY = -32021,     /* data.requiredCapabilities: the client capabilities needed */
    BW_RPC_UNSUPPORTED_VERSION = -32022,    /* data.supported, data.requested */
};

typedef enum bw_msg_kind {
    BW_MSG_REQUEST,
    BW_MSG_NOTIFICATION,
    BW_MSG_RESPONSE,   /* has id and result or error: an answer to a server->client request */
    BW_MSG_INVALID,    /* not a valid JSON-RPC message; *why says how, *id_out may hold a usable id */
} bw_msg_kind;

/* Deepest [ / { nesting in text (strings are skipped), stopping early once above `limit`. */
int bw_json_depth(const char *text, size_t len, int limit);

/* Decodes one message. On failure returns NULL and sets *code (-32700 parse error, -32600 too deep) and writes a
 * reason into why. Invalid UTF-8 is a parse error. Caller owns the result. */
json_t *bw_rpc_decode(const char *text, size_t len, int max_depth, int *code, char *why, size_t whylen);

/* Classifies a decoded value (must be an object; arrays are batches and handled by the caller).
 * For BW_MSG_INVALID, *id_out is the request's id when it is a valid id (borrowed), else NULL. */
bw_msg_kind bw_rpc_classify(const json_t *msg, const json_t **id_out, const char **why);

/* true for a valid request id: a string or an integer (not null, bool, real, object, array). */
bool bw_rpc_valid_id(const json_t *id);

/* {"jsonrpc":"2.0","id":id,"result":result}. id borrowed (copied ref), result stolen. */
json_t *bw_rpc_result(const json_t *id, json_t *result);
/* {"jsonrpc":"2.0","id":id|null,"error":{"code","message","data"?}}. id borrowed, data stolen (may be NULL). */
json_t *bw_rpc_error(const json_t *id, int code, const char *message, json_t *data);
/* {"jsonrpc":"2.0","id":id|null,"error":error}. id borrowed, error object stolen. */
json_t *bw_rpc_error_object(const json_t *id, json_t *error);
/* {"jsonrpc":"2.0","method":method,"params":params}. params stolen (may be NULL). */
json_t *bw_rpc_notification(const char *method, json_t *params);
/* {"jsonrpc":"2.0","id":id,"method":method,"params":params}. params stolen. */
json_t *bw_rpc_request(json_int_t id, const char *method, json_t *params);

#endif
