/* YAML to JSON for the configuration: libyaml's event parser builds a jansson tree and records where every node
 * was written (config/pos.h).
 *
 * Rules (docs/config.md, "YAML"):
 * - one document; mappings become objects in the order written (duplicate keys are an error), sequences arrays;
 * - plain scalars are typed by the YAML 1.2 core schema: null (null, Null, NULL, ~, empty), booleans (true/false
 *   in three casings), integers (decimal, 0o octal, 0x hex), floats; `.inf` and `.nan` are refused (JSON has no
 *   such numbers); anything else is a string. Quoted and block scalars, and `!!str`, are always strings;
 * - anchors and aliases are refused (no billion-laughs expansion), as are other tags and non-scalar keys;
 * - nesting is bounded by BW_YAML_MAX_DEPTH.
 * Errors go to diag as "FILE:LINE:COL: message". Thread-safe (no shared state). */
#ifndef BW_CONFIG_YAML_H
#define BW_CONFIG_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "config/diag.h"
#include "config/pos.h"

#define BW_YAML_MAX_DEPTH 64

/* Parses text (len bytes, need not be NUL-terminated). file names the text in messages (may be NULL).
 * Returns the tree (caller owns it), or NULL when any error was reported (or on allocation failure, which is
 * reported too). Positions go into pos. */
json_t *bw_yaml_parse(const char *text, size_t len, const char *file, bw_cfg_pos *pos, bw_diag *diag);

#endif
