/* Cache hints of the 2026-07-28 revision: `ttlMs` and `cacheScope` on the results of server/discover, the list
 * methods, resources/read (and the skills extension's skills/list and skills/get).
 *
 * The server keeps one hint per method (set with bw_server_set_cache_hint; default ttlMs 0, "private": always
 * re-fetch, never share across callers); a resource may override the hint for its own reads. Legacy-era results
 * never get hints. */
#ifndef BW_PROTOCOL_CACHE_HINTS_H
#define BW_PROTOCOL_CACHE_HINTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/call.h"

typedef struct bw_cache_hint {
    int64_t ttl_ms;   /* >= 0; < 0 means "not set" (use the method's hint) */
    bool public_scope;
} bw_cache_hint;

/* The methods that carry hints, in the order of the server's table. */
typedef enum bw_cache_method {
    BW_CACHE_DISCOVER, BW_CACHE_TOOLS_LIST, BW_CACHE_PROMPTS_LIST, BW_CACHE_RESOURCES_LIST,
    BW_CACHE_TEMPLATES_LIST, BW_CACHE_RESOURCES_READ, BW_CACHE_SKILLS_LIST, BW_CACHE_SKILLS_GET, BW_CACHE_COUNT
} bw_cache_method;

/* The table entry for a method name ("tools/list", ...); -1 when the method carries no hints. */
int bw_cache_method_of(const char *method);
/* Adds ttlMs/cacheScope to `result` (borrowed, modified) when the call is in the modern era; `override` (may be
 * NULL or unset) wins over the server's hint for the call's method. A no-op for legacy calls and for methods
 * without hints. Thread-safe (the table is read with relaxed atomics; set before serving). */
void bw_cache_hints_add(bw_call *call, json_t *result, const bw_cache_hint *override);

#endif
