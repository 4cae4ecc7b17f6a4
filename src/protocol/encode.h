/* Encoding outgoing messages into a per-thread buffer, so sending costs no allocation in the common case.
 * The returned text is valid until the next bw_encode* call on the same thread. Thread-safe. */
#ifndef BW_PROTOCOL_ENCODE_H
#define BW_PROTOCOL_ENCODE_H

#include <jansson.h>
#include <stddef.h>

/* Compact JSON of msg (no newline). NULL on allocation failure. */
const char *bw_encode(const json_t *msg, size_t *len);
/* A JSON-RPC response written straight from its parts, without building the envelope object:
 * {"jsonrpc":"2.0","id":<id|null>,"result":<result>} or ..."error":<error>. Exactly one of result/error is set. */
const char *bw_encode_reply(const json_t *id, const json_t *result, const json_t *error, size_t *len);

#endif
