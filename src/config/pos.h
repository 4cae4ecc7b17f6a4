/* Where each node of a configuration tree was written in its YAML file, so that messages about a json_t node can
 * say FILE:LINE:COL.
 *
 * Two kinds of record: a node's own position (by pointer), and a member's position (by parent container and slot:
 * the index in an array, the insertion index of the key in an object), which also holds where the KEY was written.
 * jansson shares one object for every true, false and null, so those have member records only.
 * Not thread-safe; filled once by the YAML reader, then read-only. Lookups are O(1). */
#ifndef BW_CONFIG_POS_H
#define BW_CONFIG_POS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct bw_pos {
    int line, col; /* 1-based */
} bw_pos;

typedef struct bw_cfg_pos bw_cfg_pos;

/* NULL on allocation failure. */
bw_cfg_pos *bw_cfg_pos_new(void);
void bw_cfg_pos_free(bw_cfg_pos *t);

/* Records where `node` was written (ignored for the shared true/false/null). false on allocation failure. */
bool bw_cfg_pos_set_node(bw_cfg_pos *t, const json_t *node, bw_pos at);
/* Records member `slot` of container `parent`: where its key (arrays: the item) and its value were written. */
bool bw_cfg_pos_set_member(bw_cfg_pos *t, const json_t *parent, size_t slot, bw_pos key, bw_pos value);

bool bw_cfg_pos_node(const bw_cfg_pos *t, const json_t *node, bw_pos *out);
bool bw_cfg_pos_member(const bw_cfg_pos *t, const json_t *parent, size_t slot, bw_pos *key, bw_pos *value);

/* The insertion index of `key` in object `obj` (jansson keeps insertion order), or SIZE_MAX when absent. */
size_t bw_cfg_object_slot(const json_t *obj, const char *key, size_t klen);

#endif
