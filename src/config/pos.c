/* Position table: one open-addressing hash table keyed by (pointer, slot); node records use slot SIZE_MAX. */
#include "config/pos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NODE_SLOT SIZE_MAX

typedef struct pos_rec {
    const void *ptr; /* NULL: empty */
    size_t slot;
    bw_pos key, value;
} pos_rec;

struct bw_cfg_pos {
    pos_rec *v;
    size_t n, cap; /* cap: a power of two, kept at most half full */
};

bw_cfg_pos *bw_cfg_pos_new(void)
{
    return calloc(1, sizeof(bw_cfg_pos));
}

void bw_cfg_pos_free(bw_cfg_pos *t)
{
    if (!t)
        return;
    free(t->v);
    free(t);
}

static size_t hash(const void *ptr, size_t slot)
{
    uint64_t h = (uint64_t)(uintptr_t)ptr * 0x9E3779B97F4A7C15ull ^ (uint64_t)slot * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ (h >> 29));
}

static pos_rec *find(const bw_cfg_pos *t, const void *ptr, size_t slot)
{
    if (!t->cap)
        return NULL;
    for (size_t i = hash(ptr, slot) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        pos_rec *r = &t->v[i];
        if (!r->ptr || (r->ptr == ptr && r->slot == slot))
            return r;
    }
}

static bool grow(bw_cfg_pos *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 256;
    pos_rec *old = t->v, *nv = calloc(ncap, sizeof *nv);
    if (!nv)
        return false;
    size_t ocap = t->cap;
    t->v = nv;
    t->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].ptr)
            *find(t, old[i].ptr, old[i].slot) = old[i];
    free(old);
    return true;
}

static bool put(bw_cfg_pos *t, const void *ptr, size_t slot, bw_pos key, bw_pos value)
{
    if ((t->n + 1) * 2 > t->cap && !grow(t))
        return false;
    pos_rec *r = find(t, ptr, slot);
    if (!r->ptr)
        t->n++;
    *r = (pos_rec){ptr, slot, key, value};
    return true;
}

bool bw_cfg_pos_set_node(bw_cfg_pos *t, const json_t *node, bw_pos at)
{
    if (json_is_boolean(node) || json_is_null(node))
        return true;
    return put(t, node, NODE_SLOT, at, at);
}

bool bw_cfg_pos_set_member(bw_cfg_pos *t, const json_t *parent, size_t slot, bw_pos key, bw_pos value)
{
    return put(t, parent, slot, key, value);
}

bool bw_cfg_pos_node(const bw_cfg_pos *t, const json_t *node, bw_pos *out)
{
    const pos_rec *r = node ? find(t, node, NODE_SLOT) : NULL;
    if (!r || !r->ptr)
        return false;
    *out = r->value;
    return true;
}

bool bw_cfg_pos_member(const bw_cfg_pos *t, const json_t *parent, size_t slot, bw_pos *key, bw_pos *value)
{
    const pos_rec *r = parent && slot != NODE_SLOT ? find(t, parent, slot) : NULL;
    if (!r || !r->ptr)
        return false;
    if (key)
        *key = r->key;
    if (value)
        *value = r->value;
    return true;
}

size_t bw_cfg_object_slot(const json_t *obj, const char *key, size_t klen)
{
    const char *k;
    size_t kl, i = 0;
    json_t *v;
    json_object_keylen_foreach((json_t *)obj, k, kl, v)
    {
        if (kl == klen && !memcmp(k, key, klen))
            return i;
        i++;
    }
    return SIZE_MAX;
}
