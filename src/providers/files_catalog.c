/* The catalog: every source of the configuration by URI (concrete URIs in a hash, templates in order). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocol/registry.h"
#include "providers/files_source.h"

struct bw_files_catalog {
    bw_files_source **v;
    size_t n, cap;
    json_t *by_uri; /* concrete URI -> index into v */
    int *roots;
    size_t n_roots, cap_roots;
};

static void catalog_free(void *p)
{
    bw_files_catalog *cat = p;
    for (size_t i = 0; i < cat->n; i++)
        bw_files_source_free(cat->v[i]);
    free(cat->v);
    for (size_t i = 0; i < cat->n_roots; i++)
        close(cat->roots[i]);
    free(cat->roots);
    json_decref(cat->by_uri);
    free(cat);
}

bw_files_catalog *bw_files_catalog_new(bw_build *b)
{
    bw_files_catalog *cat = calloc(1, sizeof *cat);
    if (!cat)
        return NULL;
    cat->by_uri = json_object();
    if (!cat->by_uri) {
        free(cat);
        return NULL;
    }
    return bw_build_own(b, catalog_free, cat) == BW_OK ? cat : NULL;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t want = *cap ? *cap * 2 : 16;
    void *grown = realloc(*v, want * size);
    if (!grown)
        return false;
    *v = grown;
    *cap = want;
    return true;
}

bw_status bw_files_catalog_add(bw_files_catalog *cat, bw_files_source *src)
{
    bool concrete = src->kind != BW_FILES_TEMPLATE;
    bw_status st = BW_OK;
    if (concrete && json_object_get(cat->by_uri, src->uri))
        st = BW_E_EXISTS;
    else if (!grow((void **)&cat->v, &cat->cap, cat->n, sizeof *cat->v))
        st = BW_E_NOMEM;
    else if (concrete && json_object_set_new(cat->by_uri, src->uri, json_integer((json_int_t)cat->n)) != 0)
        st = BW_E_NOMEM;
    if (st != BW_OK)
        return st;
    cat->v[cat->n++] = src;
    return BW_OK;
}

bw_status bw_files_catalog_add_root(bw_files_catalog *cat, int root)
{
    if (!grow((void **)&cat->roots, &cat->cap_roots, cat->n_roots, sizeof *cat->roots)) {
        close(root);
        return BW_E_NOMEM;
    }
    cat->roots[cat->n_roots++] = root;
    return BW_OK;
}

/* The source serving uri, or NULL; *vars gets the template variables (new object) for a template match. */
static const bw_files_source *find(const bw_files_catalog *cat, const char *uri, json_t **vars)
{
    *vars = NULL;
    json_t *at = json_object_get(cat->by_uri, uri);
    if (at)
        return cat->v[json_integer_value(at)];
    json_t *v = json_object();
    for (size_t i = 0; v && i < cat->n; i++) {
        json_object_clear(v);
        if (cat->v[i]->kind == BW_FILES_TEMPLATE && bw_uri_template_match(cat->v[i]->uri, uri, v)) {
            *vars = v;
            return cat->v[i];
        }
    }
    json_decref(v);
    return NULL;
}

bool bw_files_catalog_has(const bw_files_catalog *cat, const char *uri)
{
    json_t *vars;
    bool found = find(cat, uri, &vars) != NULL;
    json_decref(vars);
    return found;
}

json_t *bw_files_catalog_read(const bw_files_catalog *cat, const char *uri, char *err, size_t errlen)
{
    json_t *vars;
    const bw_files_source *src = find(cat, uri, &vars);
    if (!src) {
        snprintf(err, errlen, "resource %s: not served by this configuration", uri);
        return NULL;
    }
    bw_status st;
    char why[200];
    json_t *c = bw_files_source_read(src, uri, vars, &st, why, sizeof why);
    if (!c)
        snprintf(err, errlen, "resource %s: %s", uri, why);
    json_decref(vars);
    return c;
}
