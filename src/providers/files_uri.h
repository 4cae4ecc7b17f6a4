/* URIs of served files: percent-encoding relative paths into URIs, and RFC 6570 level-1 templates ("{name}")
 * on both sides of a resource template (the URI template and the file path template). Pure and thread-safe. */
#ifndef BW_PROVIDERS_FILES_URI_H
#define BW_PROVIDERS_FILES_URI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"
#include "core/buf.h"

/* Appends rel to out with every byte outside RFC 3986 "unreserved" percent-encoded, except the '/' separators.
 * BW_E_LIMIT / BW_E_NOMEM from the buffer. */
BW_NODISCARD bw_status bw_files_uri_append_path(bw_buf *out, const char *rel);

/* Percent-decodes in into out (outlen bytes, NUL-terminated). false on a malformed escape, a decoded NUL, or when
 * the result does not fit. */
bool bw_files_pct_decode(const char *in, char *out, size_t outlen);

/* Checks a level-1 template and returns the array of its variable names in order (new reference). NULL with a
 * reason in err for unbalanced braces, an empty or invalid name, an operator or modifier ({+x}, {x*}, {x:3}), or a
 * name used twice. */
json_t *bw_files_tpl_names(const char *tpl, char *err, size_t errlen);

/* Renders a checked path template with the matched URI variables (strings, still percent-encoded) into out.
 * false when a variable is missing or malformed, decodes to something containing '/' (a variable names one path
 * component at most) or NUL, or when the result is not a servable relative path (bw_files_rel_ok). */
bool bw_files_tpl_render_path(const char *tpl, const json_t *vars, char *out, size_t outlen);

#endif
