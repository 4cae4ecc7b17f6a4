/* The configuration's JSON Schema: src/config/schema/root.json with every other fragment of that directory placed
 * under $defs/<file name>, as embedded in the binary by cmake/embed_schema.cmake. The same schema validates
 * configuration files and generates docs/config.md, so the two cannot drift. */
#ifndef BW_CONFIG_CONFIG_SCHEMA_H
#define BW_CONFIG_CONFIG_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

/* Defined in the generated build/generated/config_schema.c: {name, json text} pairs ending with {NULL, NULL}. */
typedef struct bw_schema_fragment {
    const char *name;
    const char *json;
} bw_schema_fragment;
extern const bw_schema_fragment bw_config_schema_fragments[];

/* The assembled schema (a new reference; keys keep the order they are written in). NULL with a reason in err when
 * a fragment does not parse (a build defect) or on allocation failure. */
json_t *bw_config_schema_json(char *err, size_t errlen);

#endif
