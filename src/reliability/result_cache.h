/* The tool result cache: tool name + canonical arguments → the tools/call result object, bounded by bytes (LRU
 * eviction), with two ages: fresh (answers identical calls) and stale (kept for stale-if-error up to the entry's
 * max_stale_ms). Keys are hashed (SHA-256 of "tool\0canonical-json") and compared in full.
 *
 * Thread-safe: one mutex around a hash table + LRU list; values are deep-copied in and out so no JSON is shared
 * between threads. */
#ifndef BW_RELIABILITY_RESULT_CACHE_H
#define BW_RELIABILITY_RESULT_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bw_result_cache bw_result_cache;

/* max_bytes 0 → 64 MiB. NULL on allocation failure. */
bw_result_cache *bw_result_cache_new(size_t max_bytes);
void bw_result_cache_free(bw_result_cache *c);

/* The canonical text of a JSON value: compact, object keys sorted, no insignificant whitespace (jansson
 * JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY). malloc'ed; NULL on allocation failure. Also used for idempotency
 * argument hashes. */
char *bw_canonical_json(const json_t *value);

/* Stores `result` (deep-copied) for tool+args (NULL args: the same key as {}) at now_ms: fresh until
 * now_ms + ttl_ms, kept until now_ms + ttl_ms + max_stale_ms. An entry larger than an eighth of max_bytes is not
 * stored (returns false), nor one with ttl_ms and max_stale_ms both <= 0. */
bool bw_result_cache_put(bw_result_cache *c, const char *tool, const json_t *args, const json_t *result,
                         int64_t now_ms, int ttl_ms, int max_stale_ms);

typedef enum bw_cache_lookup { BW_CACHE_FRESH = 0, BW_CACHE_STALE_ONLY = 1 } bw_cache_lookup;
/* Looks up tool+args at now_ms. FRESH: only an entry still fresh. STALE_ONLY: any entry not yet expired (fresh or
 * stale). On a hit returns a new deep copy and sets *age_ms (may be NULL) to now_ms - stored time; else NULL. A hit
 * moves the entry to the front of the LRU. */
json_t *bw_result_cache_get(bw_result_cache *c, const char *tool, const json_t *args, int64_t now_ms,
                            bw_cache_lookup mode, int64_t *age_ms);

/* Drops every entry of `tool` (on reload, when its definition changed). */
void bw_result_cache_forget_tool(bw_result_cache *c, const char *tool);

typedef struct bw_result_cache_stats {
    size_t entries, bytes, max_bytes;
    uint64_t evictions;
} bw_result_cache_stats;
bw_result_cache_stats bw_result_cache_stats_of(bw_result_cache *c);

#endif
