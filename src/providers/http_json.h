/* JSON helpers of the http provider: RFC 6901 JSON pointers (for `extract`) and JSON body templates (`body`).
 * Pure functions; thread-safe. */
#ifndef BW_PROVIDERS_HTTP_JSON_H
#define BW_PROVIDERS_HTTP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"

/* true when ptr is "" or a well-formed pointer ("/a/b~1c/0": '~' only in "~0" or "~1"); else a reason in err. */
bool bw_json_pointer_check(const char *ptr, char *err, size_t errlen);

/* The value ptr designates in root (borrowed), or NULL when there is none (a missing member, an index out of
 * range or not a number, "-", or a step into a scalar). ptr must have passed bw_json_pointer_check. */
const json_t *bw_json_pointer_get(const json_t *root, const char *ptr);

/* Calls each(name, ctx) for every {{name}} in the string values of body (object keys are literal). A malformed
 * placeholder is BW_E_INVALID_ARG with a reason in err; *where is set to the offending string node. each()
 * returning false stops with BW_E_INVALID_ARG (each writes err). */
BW_NODISCARD bw_status bw_http_body_scan(const json_t *body, bool (*each)(const char *name, void *ctx), void *ctx,
                                         const json_t **where, char *err, size_t errlen);

/* Renders body with values from args into a new value. A string that is exactly "{{name}}" becomes a copy of the
 * argument's JSON value (type kept); when the argument is missing the object member or array element is left out
 * (a whole body that is exactly "{{name}}" becomes null). Other strings are rendered as text ({{name}} of a missing
 * argument renders as ""). Returns NULL on allocation failure or when a rendered string exceeds max_bytes. */
json_t *bw_http_body_render(const json_t *body, const json_t *args, size_t max_bytes);

#endif
