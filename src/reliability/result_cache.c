#include "reliability/result_cache.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define MIN_BUCKETS 64
#define DIGEST_LEN 32 /* SHA-256 */

/* A stored result, serialized (compact JSON, key order kept). Immutable once made and reference counted, so a
 * lookup takes a reference under the lock and parses it outside: the lock is held O(1) whatever the result's size,
 * and an entry evicted meanwhile stays readable until its last reader lets go. */
typedef struct blob {
    atomic_uint refs;
    size_t len;
    char text[];
} blob;

/* The cache owns entries, their keys and one reference to their blob. */
typedef struct entry {
    unsigned char digest[DIGEST_LEN];
    char *key; /* "tool\0canonical-arguments" */
    size_t key_len;
    blob *value;
    size_t bytes;          /* key_len + value->len: what counts against max_bytes */
    int64_t stored_ms, fresh_until_ms, expires_ms;
    struct entry *chain;   /* next in the hash bucket */
    struct entry *newer, *older; /* LRU list */
} entry;

struct bw_result_cache {
    pthread_mutex_t mu;
    entry **buckets; /* chained hash table, power-of-two size, grows with the entry count */
    size_t nbuckets;
    entry *newest, *oldest;
    size_t entries, bytes, max_bytes;
    uint64_t evictions;
};

/* The lookup key of one call, computed outside the lock. */
typedef struct cache_key {
    unsigned char digest[DIGEST_LEN];
    char *text; /* malloc'ed "tool\0canonical" */
    size_t len;
} cache_key;

static void blob_unref(blob *v)
{
    if (v && atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
        free(v);
}

char *bw_canonical_json(const json_t *value)
{
    return json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* Arguments left out and an empty object are the same call to a tool. */
static bool key_make(cache_key *k, const char *tool, const json_t *args)
{
    char *canon = args ? bw_canonical_json(args) : strdup("{}");
    if (!canon)
        return false;
    size_t tool_len = strlen(tool), canon_len = strlen(canon);
    k->len = tool_len + 1 + canon_len;
    k->text = malloc(k->len);
    bool ok = k->text != NULL;
    if (ok) {
        memcpy(k->text, tool, tool_len + 1);
        memcpy(k->text + tool_len + 1, canon, canon_len);
        ok = EVP_Digest(k->text, k->len, k->digest, NULL, EVP_sha256(), NULL) == 1;
    }
    free(canon);
    if (!ok) {
        free(k->text);
        k->text = NULL;
    }
    return ok;
}

static size_t bucket_of(const unsigned char *digest, size_t nbuckets)
{
    uint64_t h;
    memcpy(&h, digest, sizeof h);
    return (size_t)(h & (nbuckets - 1));
}

/* The link that points at the entry of this key, or the NULL link ending its chain. Mutex held. */
static entry **find_slot(bw_result_cache *c, const unsigned char *digest, const char *key, size_t key_len)
{
    entry **p = &c->buckets[bucket_of(digest, c->nbuckets)];
    while (*p && !(memcmp((*p)->digest, digest, DIGEST_LEN) == 0 && (*p)->key_len == key_len &&
                   memcmp((*p)->key, key, key_len) == 0))
        p = &(*p)->chain;
    return p;
}

static void lru_unlink(bw_result_cache *c, entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push_newest(bw_result_cache *c, entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

static void entry_free(entry *e)
{
    blob_unref(e->value);
    free(e->key);
    free(e);
}

/* Unlinks e from the table and the list and frees it. Mutex held. */
static void remove_entry(bw_result_cache *c, entry *e)
{
    entry **p = &c->buckets[bucket_of(e->digest, c->nbuckets)];
    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    lru_unlink(c, e);
    c->entries--;
    c->bytes -= e->bytes;
    entry_free(e);
}

/* Doubles the table when it is as full as it is wide (average chain length stays under one). Best effort: on
 * allocation failure the chains just get longer. Mutex held. */
static void maybe_grow(bw_result_cache *c)
{
    if (c->entries < c->nbuckets)
        return;
    size_t n = c->nbuckets * 2;
    entry **nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (entry *e = c->buckets[i], *next; e; e = next) {
            next = e->chain;
            size_t j = bucket_of(e->digest, n);
            e->chain = nb[j];
            nb[j] = e;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->nbuckets = n;
}

bw_result_cache *bw_result_cache_new(size_t max_bytes)
{
    bw_result_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nbuckets = MIN_BUCKETS;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c->buckets);
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
    return c;
}

void bw_result_cache_free(bw_result_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->newest, *next; e; e = next) {
        next = e->older;
        entry_free(e);
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static blob *blob_make(const json_t *result)
{
    char *text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    blob *v = malloc(sizeof *v + len + 1);
    if (v) {
        atomic_init(&v->refs, 1);
        v->len = len;
        memcpy(v->text, text, len + 1);
    }
    free(text);
    return v;
}

/* A new entry taking over k's text (k->text becomes NULL) and one reference to v. */
static entry *entry_make(cache_key *k, blob *v, int64_t now_ms, int ttl_ms, int max_stale_ms)
{
    entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    memcpy(e->digest, k->digest, DIGEST_LEN);
    e->key = k->text;
    e->key_len = k->len;
    k->text = NULL;
    e->value = v;
    e->bytes = e->key_len + v->len;
    e->stored_ms = now_ms;
    e->fresh_until_ms = now_ms + ttl_ms;
    e->expires_ms = e->fresh_until_ms + max_stale_ms;
    return e;
}

/* Replaces any entry of the same key, evicts from the old end until e fits, links e as the newest. Mutex held. */
static void insert_entry(bw_result_cache *c, entry *e)
{
    entry *old = *find_slot(c, e->digest, e->key, e->key_len);
    if (old)
        remove_entry(c, old);
    while (c->oldest && c->bytes + e->bytes > c->max_bytes) {
        remove_entry(c, c->oldest);
        c->evictions++;
    }
    maybe_grow(c);
    size_t i = bucket_of(e->digest, c->nbuckets);
    e->chain = c->buckets[i];
    c->buckets[i] = e;
    lru_push_newest(c, e);
    c->entries++;
    c->bytes += e->bytes;
}

bool bw_result_cache_put(bw_result_cache *c, const char *tool, const json_t *args, const json_t *result,
                         int64_t now_ms, int ttl_ms, int max_stale_ms)
{
    if (!c || !tool || !result)
        return false;
    ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
    max_stale_ms = max_stale_ms > 0 ? max_stale_ms : 0;
    if (ttl_ms == 0 && max_stale_ms == 0)
        return false; /* it would never answer anything */
    cache_key k;
    if (!key_make(&k, tool, args))
        return false;
    blob *v = blob_make(result);
    entry *e = NULL;
    if (v && k.len + v->len <= c->max_bytes / 8)
        e = entry_make(&k, v, now_ms, ttl_ms, max_stale_ms);
    if (!e) {
        blob_unref(v);
        free(k.text);
        return false;
    }
    pthread_mutex_lock(&c->mu);
    insert_entry(c, e);
    pthread_mutex_unlock(&c->mu);
    return true;
}

/* Finds a usable entry (mutex held): drops it if wholly expired, promotes it on a hit, and returns a new reference
 * to its value. */
static blob *lookup(bw_result_cache *c, const cache_key *k, int64_t now_ms, bw_cache_lookup mode, int64_t *age_ms)
{
    entry *e = *find_slot(c, k->digest, k->text, k->len);
    if (!e)
        return NULL;
    if (now_ms >= e->expires_ms) {
        remove_entry(c, e);
        return NULL;
    }
    if (mode == BW_CACHE_FRESH && now_ms >= e->fresh_until_ms)
        return NULL;
    lru_unlink(c, e);
    lru_push_newest(c, e);
    *age_ms = now_ms - e->stored_ms;
    atomic_fetch_add_explicit(&e->value->refs, 1, memory_order_relaxed);
    return e->value;
}

json_t *bw_result_cache_get(bw_result_cache *c, const char *tool, const json_t *args, int64_t now_ms,
                            bw_cache_lookup mode, int64_t *age_ms)
{
    cache_key k;
    if (!c || !tool || !key_make(&k, tool, args))
        return NULL;
    int64_t age = 0;
    pthread_mutex_lock(&c->mu);
    blob *v = lookup(c, &k, now_ms, mode, &age);
    pthread_mutex_unlock(&c->mu);
    free(k.text);
    if (!v)
        return NULL;
    /* JSON_ALLOW_NUL: a string with an embedded NUL was stored as \u0000 and must come back the same. */
    json_t *out = json_loadb(v->text, v->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    blob_unref(v);
    if (out && age_ms)
        *age_ms = age;
    return out;
}

void bw_result_cache_forget_tool(bw_result_cache *c, const char *tool)
{
    if (!c || !tool)
        return;
    size_t prefix = strlen(tool) + 1; /* the tool name and its NUL separator */
    pthread_mutex_lock(&c->mu);
    for (entry *e = c->newest, *next; e; e = next) {
        next = e->older;
        if (e->key_len >= prefix && memcmp(e->key, tool, prefix) == 0)
            remove_entry(c, e);
    }
    pthread_mutex_unlock(&c->mu);
}

bw_result_cache_stats bw_result_cache_stats_of(bw_result_cache *c)
{
    pthread_mutex_lock(&c->mu);
    bw_result_cache_stats s = {
        .entries = c->entries, .bytes = c->bytes, .max_bytes = c->max_bytes, .evictions = c->evictions};
    pthread_mutex_unlock(&c->mu);
    return s;
}
