/* Build context: diagnostics at YAML positions, path resolution, and ownership of provider state. */
#include "config/build.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "providers/sql.h"

typedef struct owned {
    void (*free_fn)(void *);
    void *obj;
} owned;

/* A database's ownership cell: the own-list frees *cell (when set) and the cell. A lent database has an empty
 * cell until bw_build_transfer_database fills it, so ownership moves without changing the freeing order. */
typedef struct named_db {
    char *name;
    bw_sql_db *db;
    bw_sql_db **cell;
} named_db;

struct bw_build {
    bw_server *srv;
    bw_diag *diag;
    bw_build_mode mode;
    char *file, *dir;
    bw_build_locate_fn locate;
    const void *locate_ctx;
    owned *own;
    size_t n_own, alloc_own;
    named_db *dbs;
    size_t n_dbs;
    size_t errors;
};

bw_build *bw_build_new(bw_server *srv, bw_diag *diag, bw_build_mode mode, const char *file, const char *dir,
                       bw_build_locate_fn locate, const void *locate_ctx)
{
    bw_build *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    *b = (bw_build){.srv = srv, .diag = diag, .mode = mode, .locate = locate, .locate_ctx = locate_ctx};
    b->file = file ? strdup(file) : NULL;
    b->dir = strdup(dir && *dir ? dir : ".");
    if ((file && !b->file) || !b->dir) {
        bw_build_free(b);
        return NULL;
    }
    return b;
}

void bw_build_free(bw_build *b)
{
    if (!b)
        return;
    for (size_t i = b->n_own; i-- > 0;)
        b->own[i].free_fn(b->own[i].obj);
    free(b->own);
    free(b->dbs);
    free(b->file);
    free(b->dir);
    free(b);
}

static void report(bw_build *b, bool is_error, const json_t *node, const char *fmt, va_list ap)
{
    int line = 0, col = 0;
    if (node && b->locate && !b->locate(b->locate_ctx, node, &line, &col))
        line = col = 0;
    if (is_error)
        b->errors++;
    bw_diag_addv(b->diag, is_error, b->file, line, col, fmt, ap);
}

void bw_build_error(bw_build *b, const json_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(b, true, node, fmt, ap);
    va_end(ap);
}

void bw_build_warn(bw_build *b, const json_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(b, false, node, fmt, ap);
    va_end(ap);
}

bool bw_build_failed(const bw_build *b)
{
    return b->errors > 0;
}

bw_build_mode bw_build_mode_of(const bw_build *b)
{
    return b->mode;
}

bw_server *bw_build_server(const bw_build *b)
{
    return b->srv;
}

bw_diag *bw_build_diag(const bw_build *b)
{
    return b->diag;
}

bw_status bw_build_own(bw_build *b, void (*free_fn)(void *), void *obj)
{
    if (b->n_own == b->alloc_own) {
        size_t na = b->alloc_own ? b->alloc_own * 2 : 16;
        owned *nv = realloc(b->own, na * sizeof *nv);
        if (!nv) {
            free_fn(obj);
            return BW_E_NOMEM;
        }
        b->own = nv;
        b->alloc_own = na;
    }
    b->own[b->n_own++] = (owned){free_fn, obj};
    return BW_OK;
}

const char *bw_build_path(bw_build *b, const char *path)
{
    char *out;
    if (path[0] == '/') {
        out = strdup(path);
    } else {
        size_t n = strlen(b->dir) + 1 + strlen(path) + 1;
        out = malloc(n);
        if (out)
            snprintf(out, n, "%s/%s", b->dir, path);
    }
    if (!out || bw_build_own(b, free, out) != BW_OK)
        return NULL;
    return out;
}

static void free_db_cell(void *cell)
{
    bw_sql_db **c = cell;
    bw_sql_db_free(*c);
    free(c);
}

/* Registers name -> db; the context owns db when `take`, else it is lent (the cell stays empty). On failure an
 * owned db is freed. */
static bw_status add_database(bw_build *b, const char *name, bw_sql_db *db, bool take)
{
    char *copy = strdup(name);
    bw_sql_db **cell = copy ? calloc(1, sizeof *cell) : NULL;
    named_db *nv = cell ? realloc(b->dbs, (b->n_dbs + 1) * sizeof *nv) : NULL;
    if (!nv) {
        free(cell);
        free(copy);
        if (take)
            bw_sql_db_free(db);
        return BW_E_NOMEM;
    }
    b->dbs = nv;
    *cell = take ? db : NULL;
    /* The name is owned first so that it is freed after the pool (reverse order). */
    if (bw_build_own(b, free, copy) != BW_OK) {
        free(cell);
        if (take)
            bw_sql_db_free(db);
        return BW_E_NOMEM;
    }
    if (bw_build_own(b, free_db_cell, cell) != BW_OK)
        return BW_E_NOMEM;
    b->dbs[b->n_dbs++] = (named_db){copy, db, cell};
    return BW_OK;
}

bw_status bw_build_add_database(bw_build *b, const char *name, bw_sql_db *db)
{
    return add_database(b, name, db, true);
}

bw_status bw_build_lend_database(bw_build *b, const char *name, bw_sql_db *db)
{
    return add_database(b, name, db, false);
}

static named_db *find_db(const bw_build *b, const char *name)
{
    for (size_t i = 0; i < b->n_dbs; i++)
        if (!strcmp(b->dbs[i].name, name))
            return &b->dbs[i];
    return NULL;
}

bw_status bw_build_transfer_database(bw_build *from, bw_build *to, const char *name)
{
    named_db *src = find_db(from, name), *dst = find_db(to, name);
    if (!src || !dst || src->db != dst->db || !*src->cell || *dst->cell)
        return BW_E_INVALID_ARG;
    *dst->cell = *src->cell;
    *src->cell = NULL;
    return BW_OK;
}

bw_sql_db *bw_build_database(const bw_build *b, const char *name)
{
    const named_db *d = find_db(b, name);
    return d ? d->db : NULL;
}
