/* A per-connection cache of prepared statements keyed by their SQL text, evicting the least recently used.
 * Each driver stores its own handle (sqlite3_stmt *, a PostgreSQL statement name). Not thread-safe: a connection
 * is used by one thread at a time. */
#ifndef BW_PROVIDERS_SQL_CACHE_H
#define BW_PROVIDERS_SQL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"

typedef struct bw_sql_cache_entry {
    char *sql;
    uint64_t hash;
    uint64_t used; /* tick of the last use */
    void *stmt;
} bw_sql_cache_entry;

typedef struct bw_sql_cache {
    bw_sql_cache_entry *e;
    size_t n, cap;
    uint64_t tick;
} bw_sql_cache;

/* cap 0 caches nothing. */
void bw_sql_cache_init(bw_sql_cache *c, size_t cap);
/* The statement cached for `sql`, or NULL. Marks it used. */
void *bw_sql_cache_get(bw_sql_cache *c, const char *sql);
/* Caches stmt for sql. When the cache is full, the least recently used statement is removed and returned in
 * *evicted for the caller to release (else *evicted is NULL). BW_E_NOMEM: nothing cached (caller keeps stmt). */
BW_NODISCARD bw_status bw_sql_cache_put(bw_sql_cache *c, const char *sql, void *stmt, void **evicted);
/* Removes every entry, calling release(ctx, stmt) for each. */
void bw_sql_cache_clear(bw_sql_cache *c, void (*release)(void *ctx, void *stmt), void *ctx);

#endif
