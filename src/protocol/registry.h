/* The server's registries of tools, resources (and templates) and prompts.
 *
 * Entries are reference counted and immutable once added: a call looks an entry up under the registry's read
 * lock, takes a reference and drops the lock, so removing a tool never pulls it from under a running call.
 * All functions are thread-safe. */
#ifndef BW_PROTOCOL_REGISTRY_H
#define BW_PROTOCOL_REGISTRY_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bulwark/server.h"
#include "protocol/cache_hints.h"
#include "protocol/revision.h"
#include "protocol/schema.h"

typedef struct bw_entry {
    atomic_int refs;
    char *key;          /* tool name, resource URI / template, prompt name */
    json_t *listing;    /* the object as listed to the newest revision (owned) */
    void *handler;      /* bw_tool_fn / bw_resource_fn / bw_prompt_fn */
    void *user;
    bw_schema *input;   /* tools: compiled inputSchema */
    bw_schema *output;  /* tools: compiled outputSchema or NULL */
    bool nonblocking;   /* tools: BW_TOOL_NONBLOCKING */
    bool has_defaults;  /* tools: some top-level property of inputSchema has a "default" */
    bool is_template;   /* resources */
    json_t *required;   /* prompts: array of required argument names (owned) */
    int task_support;   /* tools: BW_TASK_NONE / OPTIONAL / REQUIRED (the tasks extension) */
    bool task_manual;   /* tools: the handler begins its task itself (bw_call_task_begin) */
    bw_cache_hint hint; /* resources: cache hint for reads (ttl_ms < 0: the server's) */
    struct bw_policy *policy; /* tools: the compiled reliability policy (src/reliability), owned */
} bw_entry;

enum { BW_TASK_NONE, BW_TASK_OPTIONAL, BW_TASK_REQUIRED };

typedef enum bw_kind { BW_KIND_TOOL, BW_KIND_RESOURCE, BW_KIND_TEMPLATE, BW_KIND_PROMPT, BW_KIND_COUNT } bw_kind;

typedef struct bw_registry {
    pthread_rwlock_t lock;
    bw_entry **items[BW_KIND_COUNT];
    size_t len[BW_KIND_COUNT], cap[BW_KIND_COUNT];
} bw_registry;

void bw_registry_init(bw_registry *r);
void bw_registry_destroy(bw_registry *r);
/* Takes ownership of e (on failure too). BW_E_EXISTS when the key is taken in that kind. */
BW_NODISCARD bw_status bw_registry_add(bw_registry *r, bw_kind k, bw_entry *e);
BW_NODISCARD bw_status bw_registry_remove(bw_registry *r, bw_kind k, const char *key);
/* A new reference to the entry with that key, or NULL. */
bw_entry *bw_registry_get(bw_registry *r, bw_kind k, const char *key);
/* Finds the first template matching uri; fills *vars (new object of strings). New reference or NULL. */
bw_entry *bw_registry_match_template(bw_registry *r, const char *uri, json_t **vars);
size_t bw_registry_count(bw_registry *r, bw_kind k);
/* Appends listings [offset, offset+limit) of kind k, shaped for revision rev, to arr. Returns the total count. */
size_t bw_registry_list(bw_registry *r, bw_kind k, bw_revision rev, size_t offset, size_t limit, json_t *arr);

/* Hot reload (registry_swap.c). Exchanges every kind's entry list of a and b in one step under both write locks:
 * readers of either see all of the old lists or all of the new ones, never a mix or a gap. Entries are moved, not
 * copied; references held by in-flight calls stay valid. */
void bw_registry_swap(bw_registry *a, bw_registry *b);
/* true when kind k of a and b lists the same keys with equal listings, in the same order. */
bool bw_registry_same_listings(bw_registry *a, bw_registry *b, bw_kind k);
/* true when no entry of r is referenced from outside r (no call, task or reader holds one): its handlers' state may
 * be freed. Only meaningful for a registry no longer served (nothing can take a new reference). */
bool bw_registry_idle(bw_registry *r);

bw_entry *bw_entry_new(const char *key);
void bw_entry_unref(bw_entry *e);

/* RFC 6570 level-1 match of uri against tmpl ("test://t/{id}/data"); fills vars on success. */
bool bw_uri_template_match(const char *tmpl, const char *uri, json_t *vars);

#endif
