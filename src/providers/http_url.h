/* URL building for the http provider: RFC 6570 level-1 templates ("https://api.example.com/users/{id}") and
 * percent-encoding. Every byte of an argument outside RFC 3986 "unreserved" (A-Z a-z 0-9 - . _ ~) is
 * percent-encoded, so an argument can never add a path segment, a query parameter or a fragment. Pure functions;
 * thread-safe. */
#ifndef BW_PROVIDERS_HTTP_URL_H
#define BW_PROVIDERS_HTTP_URL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"
#include "core/buf.h"

#define BW_URL_VAR_MAX 64

/* Checks a template and calls each(name, ctx) for every `{name}` (name: [A-Za-z0-9_]{1,64}). Operators of
 * higher levels ("{+x}", "{?x}", ...), unbalanced braces and bad names are BW_E_INVALID_ARG with a reason in err;
 * each() returning false stops with BW_E_INVALID_ARG (each writes err). */
BW_NODISCARD bw_status bw_url_tpl_scan(const char *tpl, bool (*each)(const char *name, void *ctx), void *ctx,
                                       char *err, size_t errlen);

/* Expands tpl with values from the object args: strings as they are, numbers and booleans as their JSON text.
 * encode: percent-encode each value (URL templates) or insert it raw (query values, encoded whole afterwards).
 * BW_E_NOT_FOUND: a variable is missing or null; BW_E_INVALID_ARG: its value is an array or object (err names
 * the variable in both cases); BW_E_LIMIT when out's cap is exceeded. */
BW_NODISCARD bw_status bw_url_tpl_expand(const char *tpl, const json_t *args, bool encode, bw_buf *out, char *err,
                                         size_t errlen);

/* Appends the percent-encoding of s[0..n) to out. A value that is exactly "." or ".." has its dots encoded too,
 * so that it cannot act as a dot-segment ("/files/{name}" with name ".." must not reach "/"). */
BW_NODISCARD bw_status bw_url_encode(bw_buf *out, const char *s, size_t n);

#endif
