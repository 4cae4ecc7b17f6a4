/* Whole-registry replacement for hot reload: the lists of two registries are exchanged under both write locks, so a
 * reader of either sees the complete old lists or the complete new ones — there is no instant where a tool that
 * exists in both is missing. Entries are not copied: in-flight calls keep their references to the old ones. */
#include "protocol/registry.h"

/* Both write locks, always in address order so two concurrent swaps of the same pair cannot deadlock. */
static void lock_pair(bw_registry *a, bw_registry *b)
{
    bw_registry *first = a < b ? a : b, *second = a < b ? b : a;
    pthread_rwlock_wrlock(&first->lock);
    pthread_rwlock_wrlock(&second->lock);
}

static void unlock_pair(bw_registry *a, bw_registry *b)
{
    pthread_rwlock_unlock(&a->lock);
    pthread_rwlock_unlock(&b->lock);
}

void bw_registry_swap(bw_registry *a, bw_registry *b)
{
    if (a == b)
        return;
    lock_pair(a, b);
    for (int k = 0; k < BW_KIND_COUNT; k++) {
        bw_entry **items = a->items[k];
        size_t len = a->len[k], cap = a->cap[k];
        a->items[k] = b->items[k];
        a->len[k] = b->len[k];
        a->cap[k] = b->cap[k];
        b->items[k] = items;
        b->len[k] = len;
        b->cap[k] = cap;
    }
    unlock_pair(a, b);
}

/* Same keys with equal listings in the same order. */
static bool same_locked(const bw_registry *a, const bw_registry *b, bw_kind k)
{
    if (a->len[k] != b->len[k])
        return false;
    for (size_t i = 0; i < a->len[k]; i++)
        if (!json_equal(a->items[k][i]->listing, b->items[k][i]->listing))
            return false;
    return true;
}

bool bw_registry_same_listings(bw_registry *a, bw_registry *b, bw_kind k)
{
    if (a == b)
        return true;
    bw_registry *first = a < b ? a : b, *second = a < b ? b : a;
    pthread_rwlock_rdlock(&first->lock);
    pthread_rwlock_rdlock(&second->lock);
    bool same = same_locked(a, b, k);
    pthread_rwlock_unlock(&second->lock);
    pthread_rwlock_unlock(&first->lock);
    return same;
}

bool bw_registry_idle(bw_registry *r)
{
    bool idle = true;
    pthread_rwlock_rdlock(&r->lock);
    for (int k = 0; k < BW_KIND_COUNT && idle; k++)
        for (size_t i = 0; i < r->len[k] && idle; i++)
            idle = atomic_load(&r->items[k][i]->refs) == 1;
    pthread_rwlock_unlock(&r->lock);
    return idle;
}
