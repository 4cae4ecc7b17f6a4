/* UTF-8 helpers for turning bytes from the outside world (program output, HTTP bodies) into JSON strings, which
 * must be valid UTF-8. Pure functions; thread-safe. */
#ifndef BW_CORE_UTF8_H
#define BW_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"
#include "core/buf.h"

/* Length of the well-formed UTF-8 sequence at p[0..n) (1..4), or 0 when p starts an invalid or truncated one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). n must be > 0. */
size_t bw_utf8_seq_len(const unsigned char *p, size_t n);

/* true when p[0..n) is well-formed UTF-8 without NUL bytes. */
bool bw_utf8_valid(const char *p, size_t n);

/* Appends p[0..n) to out with every invalid byte and every NUL replaced by U+FFFD. BW_E_LIMIT / BW_E_NOMEM from
 * the buffer (out then holds a valid prefix). */
BW_NODISCARD bw_status bw_utf8_sanitize(const char *p, size_t n, bw_buf *out);

/* The largest length <= max of a prefix of p[0..n) that does not end inside a multi-byte character. */
size_t bw_utf8_prefix(const char *p, size_t n, size_t max);

#endif
