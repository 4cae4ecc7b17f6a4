/* Text templates with `{{name}}` placeholders, shared by the exec (args), http (headers, body) and prompts
 * (message text) providers. A name is [A-Za-z_][A-Za-z0-9_]* with optional spaces inside the braces
 * ("{{ name }}"). Text outside placeholders is copied as is; a lone "{" or "}" is plain text.
 * All functions are pure and thread-safe. */
#ifndef BW_PROVIDERS_TEMPLATE_H
#define BW_PROVIDERS_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulwark/status.h"
#include "core/buf.h"

#define BW_TPL_NAME_MAX 64

/* Calls each(name, ctx) for every placeholder, in order. BW_E_INVALID_ARG with a reason in err for an unterminated
 * "{{" or an invalid name (e.g. "{{1x}}"); each() returning false stops with BW_E_INVALID_ARG (each writes err). */
BW_NODISCARD bw_status bw_tpl_scan(const char *tpl, bool (*each)(const char *name, void *ctx), void *ctx, char *err,
                                   size_t errlen);

/* Renders tpl with values from the object args: strings are inserted as they are, numbers and booleans as their
 * JSON text, null as "", arrays and objects as compact JSON. A name missing from args renders as "" and sets
 * *missing (when missing is non-NULL). BW_E_LIMIT when out's cap is exceeded, BW_E_INVALID_ARG on a malformed
 * template (see bw_tpl_scan). */
BW_NODISCARD bw_status bw_tpl_render(const char *tpl, const json_t *args, bw_buf *out, bool *missing);

/* true when the whole string is one placeholder ("{{name}}"); copies the name into name[BW_TPL_NAME_MAX + 1]. */
bool bw_tpl_exact(const char *tpl, char *name);

#endif
