/* Unpadded base64 (RFC 4648 section 5 base64url, and the section 4 alphabet for configured keys), decoded
 * strictly: every byte string has exactly one accepted spelling, so a token cannot be altered (a character
 * appended, trailing bits flipped, padding added) and still decode. Pure functions on caller buffers;
 * thread-safe; no allocation. (core/base64.h adds the padded form, for HTTP headers, on top of this decoder.) */
#ifndef BW_CORE_BASE64URL_H
#define BW_CORE_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum bw_b64_alphabet {
    BW_B64_STD, /* A-Z a-z 0-9 + / */
    BW_B64_URL, /* A-Z a-z 0-9 - _ */
} bw_b64_alphabet;

/* Characters bw_b64url_encode writes for n bytes, not counting the NUL. */
static inline size_t bw_b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Writes the unpadded base64url form of in[0..n) and a NUL into out, which holds bw_b64url_len(n) + 1 bytes. */
void bw_b64url_encode(const uint8_t *in, size_t n, char *out);

/* Decodes exactly `len` characters of unpadded `alphabet` text into out (capacity cap), setting *outlen.
 * false, with out's contents unspecified, when a character is outside the alphabet ('=' included), len % 4 == 1,
 * the unused low bits of the last character are not zero, or the bytes do not fit in cap. */
bool bw_b64_unpadded_decode(const char *text, size_t len, bw_b64_alphabet alphabet, uint8_t *out, size_t cap,
                            size_t *outlen);

#endif
