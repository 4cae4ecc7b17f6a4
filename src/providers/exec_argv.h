/* argv for the exec provider, rendered from `args` templates for each call (never through a shell):
 *   an element that is exactly "{{name}}"  -> nothing when the argument is missing or null, one element per item
 *                                            when it is an array, else the value's text
 *   any other element                      -> one element, {{name}} rendered as text ("" when missing)
 * Text of a value: strings as they are, numbers and booleans as JSON text, objects (and nested arrays) as compact
 * JSON. Pure functions; thread-safe. */
#ifndef BW_PROVIDERS_EXEC_ARGV_H
#define BW_PROVIDERS_EXEC_ARGV_H

#include <jansson.h>
#include <stddef.h>

#include "bulwark/status.h"

#define BW_ARGV_MAX_ITEMS 4096
#define BW_ARGV_MAX_BYTES (1u << 20) /* the kernel's limit (ARG_MAX) also counts the environment */

typedef struct bw_argv {
    char **v; /* NULL-terminated */
    size_t n, alloc, bytes;
} bw_argv;

/* Renders argv[0] = arg0 followed by the templates (a JSON array of strings). BW_E_INVALID_ARG when an argument
 * holds a NUL byte, BW_E_LIMIT over BW_ARGV_MAX_ITEMS / BW_ARGV_MAX_BYTES (err says which, in both cases),
 * BW_E_NOMEM. out is empty on failure. */
BW_NODISCARD bw_status bw_argv_render(const char *arg0, const json_t *templates, const json_t *args, bw_argv *out,
                                      char *err, size_t errlen);
void bw_argv_free(bw_argv *a);

#endif
