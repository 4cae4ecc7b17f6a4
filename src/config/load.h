/* Loading a configuration file: read (at most 4 MiB) -> YAML to JSON with positions -> ${...} substitution ->
 * validation against the embedded schema with every error reported -> a validated tree whose nodes can be mapped
 * back to FILE:LINE:COL. Turning the tree into a running server is app.h's job.
 * A loaded configuration is immutable; reading it from several threads is safe. */
#ifndef BW_CONFIG_LOAD_H
#define BW_CONFIG_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/diag.h"

#define BW_CONFIG_MAX_FILE (4u << 20)
/* Schema errors reported at most per load (validation stops there). */
#define BW_CONFIG_MAX_SCHEMA_ERRORS 100

typedef struct bw_config bw_config;

/* Loads `path` (shown as written in messages; relative paths in the file resolve against its directory).
 * Returns NULL when any error was found; every error is in diag. Warnings do not fail a load. */
bw_config *bw_config_load(const char *path, bw_diag *diag);

/* The same from text already in memory: `name` is shown in messages, `dir` resolves relative paths (NULL: "."). */
bw_config *bw_config_load_text(const char *text, size_t len, const char *name, const char *dir, bw_diag *diag);

void bw_config_free(bw_config *cfg);

/* The validated tree (borrowed; lives as long as cfg). Defaults are not filled in: absent keys are absent. */
const json_t *bw_config_root(const bw_config *cfg);
/* The name given at load time, and the directory relative paths resolve against. */
const char *bw_config_name(const bw_config *cfg);
const char *bw_config_dir(const bw_config *cfg);

/* A bw_build_locate_fn over cfg (pass cfg as the context): where `node` was written. Every node has a position
 * except the shared true/false/null values, which jansson does not keep apart (false is returned for those). */
bool bw_config_locate(const void *cfg, const json_t *node, int *line, int *col);

/* Where member `key` of `obj` was written: its key when at_key, else its value. false when unknown. */
bool bw_config_locate_member(const bw_config *cfg, const json_t *obj, const char *key, bool at_key, int *line,
                             int *col);

#endif
