/* LRU statement cache. A linear scan over hashes: caches are small (default 64) and a scan of a few cache lines
 * costs less than maintaining a hash table and list on every hit. */
#include "providers/sql_cache.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void bw_sql_cache_init(bw_sql_cache *c, size_t cap)
{
    *c = (bw_sql_cache){.cap = cap};
}

void *bw_sql_cache_get(bw_sql_cache *c, const char *sql)
{
    uint64_t h = fnv1a(sql);
    for (size_t i = 0; i < c->n; i++) {
        if (c->e[i].hash == h && !strcmp(c->e[i].sql, sql)) {
            c->e[i].used = ++c->tick;
            return c->e[i].stmt;
        }
    }
    return NULL;
}

bw_status bw_sql_cache_put(bw_sql_cache *c, const char *sql, void *stmt, void **evicted)
{
    *evicted = NULL;
    if (c->cap == 0)
        return BW_E_NOMEM;
    char *copy = strdup(sql);
    if (!copy)
        return BW_E_NOMEM;
    size_t slot = c->n;
    if (c->n == c->cap) {
        slot = 0;
        for (size_t i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[slot].used)
                slot = i;
        *evicted = c->e[slot].stmt;
        free(c->e[slot].sql);
    } else {
        if (!c->e && !(c->e = calloc(c->cap, sizeof *c->e))) {
            free(copy);
            return BW_E_NOMEM;
        }
        c->n++;
    }
    c->e[slot] = (bw_sql_cache_entry){copy, fnv1a(sql), ++c->tick, stmt};
    return BW_OK;
}

void bw_sql_cache_clear(bw_sql_cache *c, void (*release)(void *ctx, void *stmt), void *ctx)
{
    for (size_t i = 0; i < c->n; i++) {
        release(ctx, c->e[i].stmt);
        free(c->e[i].sql);
    }
    free(c->e);
    c->e = NULL;
    c->n = 0;
}
