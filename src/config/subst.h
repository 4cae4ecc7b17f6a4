/* ${...} substitution in configuration strings, for secrets and per-environment values:
 *   ${NAME}            the environment variable NAME (unset: an error)
 *   ${NAME:-default}   NAME, or `default` when NAME is unset or empty
 *   ${file:PATH}       the contents of a file (at most 1 MiB; one trailing newline removed); a relative PATH is
 *                      relative to the configuration file's directory
 *   $${                a literal "${"
 * Applies to every string value (never to keys); the result is always a string. Messages name the variable or the
 * file, never a substituted value (they are often secrets). */
#ifndef BW_CONFIG_SUBST_H
#define BW_CONFIG_SUBST_H

#include <jansson.h>
#include <stdbool.h>

#include "config/diag.h"
#include "config/pos.h"

#define BW_SUBST_MAX_FILE (1u << 20)
#define BW_SUBST_MAX_STRING (16u << 20)

/* Substitutes in place throughout root (string nodes keep their identity, so positions stay valid). Each error is
 * reported at its string's position; substitution goes on with the next string. `dir` is the directory relative
 * ${file:} paths are resolved against. false if any error was reported. Not thread-safe (reads the environment). */
bool bw_subst_tree(json_t *root, const char *dir, const char *file, const bw_cfg_pos *pos, bw_diag *diag);

#endif
