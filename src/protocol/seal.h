/* Sealed MRTR requestState: authenticated encryption of a JSON object under a server key, so the state a client
 * carries between rounds of a multi round-trip request cannot be read, forged, altered or replayed past its
 * expiry, and any replica holding the keys can resume it.
 *
 * Token: "v1.<kid>.<b64url(nonce|ciphertext|tag)>", unpadded base64url, at most BW_SEAL_MAX_TOKEN characters.
 * kid is 8 lowercase hex characters of SHA-256(key): it picks the key without revealing it. The cipher is
 * AES-256-GCM with a random 96-bit nonce and the additional data "v1.<kid>"; the plaintext is the compact JSON
 * {"exp":<unix ms>,"p":<payload>}. Random nonces stay safe for about 2^32 seals per key: rotate well before.
 *
 * Key rotation: a ring holds the current key (seals and opens) and optionally the previous one (opens only), so
 * tokens issued just before a rotation still open while replicas roll over.
 *
 * Thread-safety: a ring is immutable once built and may be shared by any number of threads; every function here
 * keeps its state on the stack or in memory it returns. Errors never echo key or token bytes. */
#ifndef BW_PROTOCOL_SEAL_H
#define BW_PROTOCOL_SEAL_H

#include <jansson.h>
#include <stdint.h>

#include "bulwark/status.h"

#define BW_SEAL_KEY_BYTES 32
#define BW_SEAL_MAX_TOKEN 65536 /* longer tokens are refused before any work */
/* bw_seal accepts every payload whose compact JSON (json_dumps JSON_COMPACT) is at most this many bytes; the exact
 * limit is a few bytes higher and depends on the digits of exp (49,089 with today's 13-digit milliseconds). */
#define BW_SEAL_MAX_PAYLOAD 49083

typedef struct bw_seal_keys bw_seal_keys; /* immutable once built; thread-safe to share */

/* A ring with `current` (sealing + opening) and optionally `previous` (opening only; NULL/0 for none). Keys are
 * exactly 32 bytes (copied). NULL on a wrong length or no memory. The caller owns the ring. */
bw_seal_keys *bw_seal_keys_new(const uint8_t *current, size_t current_len, const uint8_t *previous,
                               size_t previous_len);
/* A ring with one random current key (per-process default when no key is configured: tokens then open only in
 * this process). NULL on RNG failure or no memory. */
bw_seal_keys *bw_seal_keys_random(void);
/* NULL is a no-op; wipes the key bytes (OPENSSL_cleanse). */
void bw_seal_keys_free(bw_seal_keys *k);

/* Decodes a configured key: 64 hex chars (either case), or base64 / base64url (padded or not, one alphabet) of
 * exactly 32 bytes, canonically encoded. No whitespace is trimmed. BW_E_INVALID_ARG with a reason in err
 * (never echoing the key text; err may be NULL) otherwise, and out is left untouched. */
bw_status bw_seal_key_parse(const char *text, uint8_t out[BW_SEAL_KEY_BYTES], char *err, size_t errlen);

/* Seals `payload` (a JSON object, borrowed, not modified) with the current key, valid until now + ttl_ms (wall
 * clock, so replicas agree). Returns a malloc'd NUL-terminated token the caller frees; NULL when payload is not
 * an object, ttl_ms <= 0, the token would exceed BW_SEAL_MAX_TOKEN (see BW_SEAL_MAX_PAYLOAD), or on no memory /
 * RNG / OpenSSL failure. */
char *bw_seal(const bw_seal_keys *k, const json_t *payload, int64_t ttl_ms);

/* Opens a token at wall-clock time now_ms (pass bw_wall_ms()). On BW_OK *payload is a new reference to the sealed
 * payload object. Failures (all leave *payload NULL; why, which may be NULL, says which without echoing token
 * bytes):
 * BW_E_INVALID_ARG: malformed (wrong prefix, unknown kid, bad/padded/non-alphabet base64url, trailing bytes,
 *                   too short/long), authentication failure (tampered / foreign key), not a JSON object;
 * BW_E_TIMEOUT:     authentic but expired (now_ms > exp; a token is valid through its exp millisecond);
 * BW_E_NOMEM:       no memory to open it (the token may be fine). */
bw_status bw_unseal(const bw_seal_keys *k, const char *token, int64_t now_ms, json_t **payload, char *why,
                    size_t whylen);

/* now_ms above is bw_wall_ms() (core/clock.h) in production. */
#include "core/clock.h"

#endif
