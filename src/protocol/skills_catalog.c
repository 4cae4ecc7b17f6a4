/* The server's skills catalog: owns every registered skill, and indexes the published ones for the methods.
 *
 * Locking: `adds` serializes registrations (so "is this name free?" and "publish it" cannot interleave with another
 * registration); `lock` guards the owned array and the JSON indexes, read-locked by the methods. Skills are never
 * removed before bw_skills_free, so their parts stay put for the resource handlers without any lock. */
#include <pthread.h>
#include <stdlib.h>

#include "protocol/server_internal.h"
#include "protocol/skills_internal.h"

struct bw_skills {
    pthread_mutex_t adds;
    pthread_rwlock_t lock;
    bw_skill **owned;  /* adopted skills, published or not (see bw_skills_adopt) */
    size_t n_owned, cap_owned;
    json_t *entries;   /* published entries, in registration order (skills/list pages through it) */
    json_t *by_uri;    /* SKILL.md URI → entry */
    json_t *dirs;      /* directory URI → children */
};

static struct bw_skills *skills_new(void)
{
    struct bw_skills *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->entries = json_array();
    s->by_uri = json_object();
    s->dirs = json_object();
    if (!s->entries || !s->by_uri || !s->dirs) {
        json_decref(s->entries);
        json_decref(s->by_uri);
        json_decref(s->dirs);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->adds, NULL);
    pthread_rwlock_init(&s->lock, NULL);
    return s;
}

void bw_skills_free(struct bw_skills *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_owned; i++)
        bw_skill_free(s->owned[i]);
    free(s->owned);
    json_decref(s->entries);
    json_decref(s->by_uri);
    json_decref(s->dirs);
    pthread_rwlock_destroy(&s->lock);
    pthread_mutex_destroy(&s->adds);
    free(s);
}

/* srv->skills is a plain pointer shared with the core; the GCC atomics make its lazy creation race-free when two
 * threads register their first skills at once (the loser frees its copy). */
struct bw_skills *bw_skills_of(bw_server *srv, bool create)
{
    struct bw_skills *cur = __atomic_load_n(&srv->skills, __ATOMIC_ACQUIRE);
    if (cur || !create)
        return cur;
    struct bw_skills *fresh = skills_new();
    if (!fresh)
        return NULL;
    if (__atomic_compare_exchange_n(&srv->skills, &cur, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    bw_skills_free(fresh);
    return cur;
}

void bw_skills_lock_adds(struct bw_skills *cat) { pthread_mutex_lock(&cat->adds); }
void bw_skills_unlock_adds(struct bw_skills *cat) { pthread_mutex_unlock(&cat->adds); }

bool bw_skills_has(struct bw_skills *cat, const char *uri)
{
    pthread_rwlock_rdlock(&cat->lock);
    bool found = json_object_get(cat->by_uri, uri) != NULL;
    pthread_rwlock_unlock(&cat->lock);
    return found;
}

bw_status bw_skills_adopt(struct bw_skills *cat, bw_skill *sk)
{
    bw_status st = BW_OK;
    pthread_rwlock_wrlock(&cat->lock);
    if (cat->n_owned == cat->cap_owned) {
        size_t cap = cat->cap_owned ? cat->cap_owned * 2 : 8;
        bw_skill **grown = realloc(cat->owned, cap * sizeof *grown);
        if (grown) {
            cat->owned = grown;
            cat->cap_owned = cap;
        } else {
            st = BW_E_NOMEM;
        }
    }
    if (!st)
        cat->owned[cat->n_owned++] = sk;
    pthread_rwlock_unlock(&cat->lock);
    return st;
}

bw_skill *bw_skills_unadopt(struct bw_skills *cat)
{
    pthread_rwlock_wrlock(&cat->lock);
    bw_skill *sk = cat->n_owned ? cat->owned[--cat->n_owned] : NULL;
    pthread_rwlock_unlock(&cat->lock);
    return sk;
}

/* Indexes sk's directories; on failure removes the ones it added. */
static bool index_dirs(struct bw_skills *cat, bw_skill *sk)
{
    const char *uri;
    json_t *children;
    size_t added = 0;
    json_object_foreach(sk->dirs, uri, children) {
        if (json_object_set(cat->dirs, uri, children) != 0)
            break;
        added++;
    }
    if (added == json_object_size(sk->dirs))
        return true;
    json_object_foreach(sk->dirs, uri, children) {
        if (added-- == 0)
            break;
        json_object_del(cat->dirs, uri);
    }
    return false;
}

bw_status bw_skills_publish(struct bw_skills *cat, bw_skill *sk)
{
    bw_status st = BW_E_NOMEM;
    pthread_rwlock_wrlock(&cat->lock);
    if (json_object_set(cat->by_uri, sk->uri, sk->entry) == 0) {
        if (!index_dirs(cat, sk))
            json_object_del(cat->by_uri, sk->uri);
        else if (json_array_append(cat->entries, sk->entry) != 0) {
            json_object_del(cat->by_uri, sk->uri);
            const char *uri;
            json_t *children;
            json_object_foreach(sk->dirs, uri, children)
                json_object_del(cat->dirs, uri);
        } else {
            st = BW_OK;
        }
    }
    pthread_rwlock_unlock(&cat->lock);
    return st;
}

size_t bw_skills_count(struct bw_skills *cat)
{
    pthread_rwlock_rdlock(&cat->lock);
    size_t n = json_array_size(cat->entries);
    pthread_rwlock_unlock(&cat->lock);
    return n;
}

size_t bw_skills_page(struct bw_skills *cat, size_t offset, size_t limit, json_t *arr)
{
    pthread_rwlock_rdlock(&cat->lock);
    size_t total = json_array_size(cat->entries);
    for (size_t i = offset; i < total && i - offset < limit; i++)
        json_array_append(arr, json_array_get(cat->entries, i));
    pthread_rwlock_unlock(&cat->lock);
    return total;
}

static json_t *lookup(struct bw_skills *cat, json_t *index, const char *uri)
{
    pthread_rwlock_rdlock(&cat->lock);
    json_t *v = json_incref(json_object_get(index, uri));
    pthread_rwlock_unlock(&cat->lock);
    return v;
}

json_t *bw_skills_entry(struct bw_skills *cat, const char *uri) { return lookup(cat, cat->by_uri, uri); }
json_t *bw_skills_directory(struct bw_skills *cat, const char *uri) { return lookup(cat, cat->dirs, uri); }
