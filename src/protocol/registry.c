#include "protocol/registry.h"

#include <stdlib.h>
#include <string.h>

#include "reliability/reliability_internal.h"

bw_entry *bw_entry_new(const char *key)
{
    bw_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    atomic_init(&e->refs, 1);
    e->key = strdup(key);
    if (!e->key) {
        free(e);
        return NULL;
    }
    return e;
}

void bw_entry_unref(bw_entry *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    free(e->key);
    json_decref(e->listing);
    json_decref(e->required);
    bw_schema_free(e->input);
    bw_schema_free(e->output);
    bw_policy_free(e->policy);
    free(e);
}

void bw_registry_init(bw_registry *r)
{
    memset(r, 0, sizeof *r);
    pthread_rwlock_init(&r->lock, NULL);
}

void bw_registry_destroy(bw_registry *r)
{
    for (int k = 0; k < BW_KIND_COUNT; k++) {
        for (size_t i = 0; i < r->len[k]; i++)
            bw_entry_unref(r->items[k][i]);
        free(r->items[k]);
    }
    pthread_rwlock_destroy(&r->lock);
}

static ssize_t find_locked(bw_registry *r, bw_kind k, const char *key)
{
    for (size_t i = 0; i < r->len[k]; i++)
        if (strcmp(r->items[k][i]->key, key) == 0)
            return (ssize_t)i;
    return -1;
}

bw_status bw_registry_add(bw_registry *r, bw_kind k, bw_entry *e)
{
    bw_status st = BW_OK;
    pthread_rwlock_wrlock(&r->lock);
    if (find_locked(r, k, e->key) >= 0) {
        st = BW_E_EXISTS;
        goto out;
    }
    if (r->len[k] == r->cap[k]) {
        size_t cap = r->cap[k] ? r->cap[k] * 2 : 16;
        bw_entry **grown = realloc(r->items[k], cap * sizeof *grown);
        if (!grown) {
            st = BW_E_NOMEM;
            goto out;
        }
        r->items[k] = grown;
        r->cap[k] = cap;
    }
    r->items[k][r->len[k]++] = e;
    e = NULL;
out:
    pthread_rwlock_unlock(&r->lock);
    bw_entry_unref(e);
    return st;
}

bw_status bw_registry_remove(bw_registry *r, bw_kind k, const char *key)
{
    bw_entry *gone = NULL;
    pthread_rwlock_wrlock(&r->lock);
    ssize_t i = find_locked(r, k, key);
    if (i >= 0) {
        gone = r->items[k][i];
        memmove(&r->items[k][i], &r->items[k][i + 1], (r->len[k] - (size_t)i - 1) * sizeof(bw_entry *));
        r->len[k]--;
    }
    pthread_rwlock_unlock(&r->lock);
    bw_entry_unref(gone);
    return gone ? BW_OK : BW_E_NOT_FOUND;
}

bw_entry *bw_registry_get(bw_registry *r, bw_kind k, const char *key)
{
    bw_entry *e = NULL;
    pthread_rwlock_rdlock(&r->lock);
    ssize_t i = find_locked(r, k, key);
    if (i >= 0) {
        e = r->items[k][i];
        atomic_fetch_add(&e->refs, 1);
    }
    pthread_rwlock_unlock(&r->lock);
    return e;
}

bw_entry *bw_registry_match_template(bw_registry *r, const char *uri, json_t **vars)
{
    bw_entry *e = NULL;
    json_t *v = json_object();
    pthread_rwlock_rdlock(&r->lock);
    for (size_t i = 0; i < r->len[BW_KIND_TEMPLATE] && !e; i++) {
        json_object_clear(v);
        if (bw_uri_template_match(r->items[BW_KIND_TEMPLATE][i]->key, uri, v)) {
            e = r->items[BW_KIND_TEMPLATE][i];
            atomic_fetch_add(&e->refs, 1);
        }
    }
    pthread_rwlock_unlock(&r->lock);
    if (e)
        *vars = v;
    else
        json_decref(v);
    return e;
}

size_t bw_registry_count(bw_registry *r, bw_kind k)
{
    pthread_rwlock_rdlock(&r->lock);
    size_t n = r->len[k];
    pthread_rwlock_unlock(&r->lock);
    return n;
}

/* Drops the fields an older revision's schema does not have, so strict clients never see unknown members. */
static json_t *shape_for(const json_t *listing, bw_revision rev)
{
    json_t *o = json_object();
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)listing, key, val) {
        if (!bw_revision_has_titles(rev) && (!strcmp(key, "title") || !strcmp(key, "outputSchema")))
            continue;
        if (!bw_revision_has_icons(rev) && !strcmp(key, "icons"))
            continue;
        if (rev < BW_REV_2025_03_26 && !strcmp(key, "annotations") && json_object_get(listing, "inputSchema"))
            continue;
        json_object_set(o, key, val);
    }
    return o;
}

size_t bw_registry_list(bw_registry *r, bw_kind k, bw_revision rev, size_t offset, size_t limit, json_t *arr)
{
    pthread_rwlock_rdlock(&r->lock);
    size_t total = r->len[k];
    for (size_t i = offset; i < total && i - offset < limit; i++)
        json_array_append_new(arr, shape_for(r->items[k][i]->listing, rev));
    pthread_rwlock_unlock(&r->lock);
    return total;
}

/* Matches template t against u from these positions on. A variable takes the shortest run of characters that
 * lets the rest match: a level-1 value never contains '/' (it would be percent-encoded) but may contain any
 * unreserved character, including the literal that follows it ("{name}.txt" matches "a.b.txt"). */
static bool match_from(const char *t, const char *u, json_t *vars, int depth)
{
    while (*t && *t != '{') {
        if (*t++ != *u++)
            return false;
    }
    if (!*t)
        return *u == '\0';
    const char *close = strchr(t, '}');
    size_t nlen = close ? (size_t)(close - t - 1) : 0;
    char name[128];
    if (!close || nlen == 0 || nlen >= sizeof name || depth > 16)
        return false;
    memcpy(name, t + 1, nlen);
    name[nlen] = '\0';
    for (const char *end = u + 1; end[-1] && end[-1] != '/'; end++) {
        json_object_set_new(vars, name, json_stringn(u, (size_t)(end - u)));
        if (match_from(close + 1, end, vars, depth + 1))
            return true;
        json_object_del(vars, name);
        if (!*end)
            break;
    }
    return false;
}

bool bw_uri_template_match(const char *tmpl, const char *uri, json_t *vars)
{
    return match_from(tmpl, uri, vars, 0);
}
