/* Strict base64 decoding (RFC 4648 section 4, standard alphabet), for values whose meaning must not depend on
 * how lenient a decoder is: an HTTP header an intermediary routed on must decode to exactly one byte string, or
 * be rejected. Pure functions; thread-safe; no allocation. */
#ifndef BW_CORE_BASE64_H
#define BW_CORE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Room the decoder may need for n input characters (an upper bound: padding makes the real length smaller). */
#define BW_BASE64_DECODED_MAX(n) ((n) / 4 * 3)

/* Decodes in[0..n) into out, which has room for BW_BASE64_DECODED_MAX(n) bytes; *out_len receives the decoded
 * length. Accepted input, and nothing else: a length that is a multiple of 4; characters of A-Z a-z 0-9 + / only;
 * '=' only as the last one or two characters, completing the final quantum; zero in the bits a padded final
 * quantum leaves unused (so every byte string has exactly one accepted encoding). No whitespace, no line breaks,
 * no URL-safe alphabet. The empty input decodes to zero bytes. Returns false when the input is not accepted (out
 * may then hold a partial result, *out_len is unspecified). */
bool bw_base64_decode_strict(const char *in, size_t n, unsigned char *out, size_t *out_len);

#endif
