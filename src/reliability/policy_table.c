/* A grow-only table of named objects: chained hash buckets under a read-write lock. Items are never removed before
 * the table is freed, so a pointer handed out stays valid for the table's lifetime. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reliability/reliability_internal.h"

typedef struct node {
    struct node *next;
    void *item;
    char name[]; /* NUL-terminated */
} node;

struct bw_name_table {
    pthread_rwlock_t lock;
    node **buckets;
    size_t n_buckets, count;
    void (*free_item)(void *item);
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

bw_name_table *bw_name_table_new(void (*free_item)(void *item))
{
    bw_name_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_buckets = 16;
    t->buckets = calloc(t->n_buckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->free_item = free_item;
    pthread_rwlock_init(&t->lock, NULL);
    return t;
}

void bw_name_table_free(bw_name_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_buckets; i++) {
        for (node *n = t->buckets[i], *next; n; n = next) {
            next = n->next;
            t->free_item(n->item);
            free(n);
        }
    }
    free(t->buckets);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

static node *find_locked(const bw_name_table *t, const char *name)
{
    for (node *n = t->buckets[hash_name(name) % t->n_buckets]; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

void *bw_name_table_find(bw_name_table *t, const char *name)
{
    pthread_rwlock_rdlock(&t->lock);
    node *n = find_locked(t, name);
    pthread_rwlock_unlock(&t->lock);
    return n ? n->item : NULL;
}

/* Doubles the buckets when the table is fuller than one item per bucket; on allocation failure it stays as is
 * (lookups just get slower). Write lock held. */
static void grow_locked(bw_name_table *t)
{
    if (t->count < t->n_buckets)
        return;
    size_t nb = t->n_buckets * 2;
    node **b = calloc(nb, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->n_buckets; i++) {
        for (node *n = t->buckets[i], *next; n; n = next) {
            next = n->next;
            size_t h = hash_name(n->name) % nb;
            n->next = b[h];
            b[h] = n;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = nb;
}

void *bw_name_table_get(bw_name_table *t, const char *name, void *(*make)(const char *name, void *ctx), void *ctx)
{
    void *found = bw_name_table_find(t, name);
    if (found)
        return found;
    /* Made outside the lock (it may allocate a breaker, a bulkhead...); a racing creator wins and ours is freed. */
    size_t len = strlen(name);
    node *fresh = malloc(sizeof *fresh + len + 1);
    void *item = fresh ? make(name, ctx) : NULL;
    if (!item) {
        free(fresh);
        return NULL;
    }
    memcpy(fresh->name, name, len + 1);
    fresh->item = item;
    pthread_rwlock_wrlock(&t->lock);
    node *n = find_locked(t, name);
    if (!n) {
        grow_locked(t);
        size_t h = hash_name(name) % t->n_buckets;
        fresh->next = t->buckets[h];
        t->buckets[h] = fresh;
        t->count++;
        n = fresh;
        fresh = NULL;
    }
    pthread_rwlock_unlock(&t->lock);
    if (fresh) {
        t->free_item(fresh->item);
        free(fresh);
    }
    return n->item;
}

void bw_name_table_each(bw_name_table *t, void (*fn)(const char *name, void *item, void *ctx), void *ctx)
{
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < t->n_buckets; i++)
        for (node *n = t->buckets[i]; n; n = n->next)
            fn(n->name, n->item, ctx);
    pthread_rwlock_unlock(&t->lock);
}
