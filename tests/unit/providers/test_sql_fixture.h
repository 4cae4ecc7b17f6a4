/* Shared fixture of the sql provider's unit tests: a server, a build context whose locate function maps the JSON
 * nodes a test marks to positions, databases and tools built from JSON configuration, and the in-process client.
 * Header-only (each test_*.c file is its own program). */
#ifndef BW_TEST_SQL_FIXTURE_H
#define BW_TEST_SQL_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/harness.h"
#include "config/build.h"
#include "config/diag.h"
#include "failure_probe.h"
#include "providers/sql.h"

#define FX_MARKS 32

typedef struct fx_mark {
    const json_t *node;
    int line, col;
} fx_mark;

typedef struct fx {
    char dir[64];
    bw_server *srv;
    bw_diag *diag;
    bw_build *b;
    harness *h;
    json_t *configs; /* every configuration object handed to the builder, kept alive until the end */
    fx_mark marks[FX_MARKS];
    int n_marks;
} fx;

static inline bool fx_locate(const void *ctx, const json_t *node, int *line, int *col)
{
    const fx *f = ctx;
    for (int i = 0; i < f->n_marks; i++) {
        if (f->marks[i].node == node) {
            *line = f->marks[i].line;
            *col = f->marks[i].col;
            return true;
        }
    }
    return false;
}

static inline void fx_init(fx *f, bw_build_mode mode)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-sql-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bw_server_info info = {.name = "sql-test", .version = "1.0.0"};
    f->srv = bw_server_new(&info);
    f->diag = bw_diag_new();
    f->b = bw_build_new(f->srv, f->diag, mode, "test.yaml", f->dir, fx_locate, f);
    f->configs = json_array();
    assert_non_null(f->srv);
    assert_non_null(f->b);
}

/* Marks node as being at line:col of test.yaml. */
static inline void fx_mark_node(fx *f, const json_t *node, int line, int col)
{
    assert_non_null(node);
    assert_true(f->n_marks < FX_MARKS);
    f->marks[f->n_marks++] = (fx_mark){node, line, col};
}

/* Opens database `name` from cfg (stolen). Returns the database or NULL (diagnostics tell why). */
static inline bw_sql_db *fx_db(fx *f, const char *name, json_t *cfg)
{
    json_array_append_new(f->configs, cfg);
    bw_sql_db *db = bw_sql_db_open(f->b, name, cfg);
    if (db)
        assert_int_equal(bw_build_add_database(f->b, name, db), BW_OK);
    return db;
}

/* Builds and registers tool `name` with input schema `schema` and sql section `sql` (both stolen), under a probe
 * (failure_probe.h: probe_failure(name), probe_dependency(name)). */
static inline bw_status fx_tool(fx *f, const char *name, json_t *schema, json_t *sql)
{
    json_t *tool = json_pack("{s:s,s:o,s:o}", "name", name, "input_schema", schema, "sql", sql);
    json_array_append_new(f->configs, tool);
    bw_tool_def def = {.name = name, .input_schema = schema, .handler = NULL};
    bw_status st = bw_sql_tool_build(f->b, tool, sql, &def);
    if (st != BW_OK)
        return st;
    char err[256];
    probe_wrap(&def);
    assert_int_equal(bw_server_add_tool(f->srv, &def, err, sizeof err), BW_OK);
    return BW_OK;
}

static inline void fx_start(fx *f)
{
    assert_int_equal(bw_server_start_pool(f->srv), BW_OK);
    f->h = harness_new(f->srv);
    assert_non_null(f->h);
}

/* tools/call; returns the result object (owned by the caller through *resp). */
static inline const json_t *fx_call(fx *f, json_t **resp, const char *tool, json_t *args)
{
    *resp = harness_call_tool(f->h, tool, args);
    assert_non_null(*resp);
    const json_t *result = json_object_get(*resp, "result");
    if (!result) {
        char *text = json_dumps(*resp, 0);
        fprintf(stderr, "no result: %s\n", text);
        free(text);
    }
    assert_non_null(result);
    return result;
}

/* The text of a tool error (fails the test when the call did not fail). */
static inline char *fx_call_error(fx *f, const char *tool, json_t *args)
{
    json_t *resp;
    const json_t *result = fx_call(f, &resp, tool, args);
    assert_true(json_is_true(json_object_get(result, "isError")));
    char *text = strdup(harness_text(resp));
    json_decref(resp);
    return text;
}

/* The structuredContent of a successful call (caller decrefs). */
static inline json_t *fx_call_ok(fx *f, const char *tool, json_t *args)
{
    json_t *resp;
    const json_t *result = fx_call(f, &resp, tool, args);
    if (json_is_true(json_object_get(result, "isError")))
        fprintf(stderr, "tool error: %s\n", harness_text(resp));
    assert_false(json_is_true(json_object_get(result, "isError")));
    json_t *sc = json_incref(json_object_get(result, "structuredContent"));
    json_decref(resp);
    assert_non_null(sc);
    return sc;
}

/* true when some diagnostic is exactly `text`. Prints them all otherwise, to show what came instead. */
static inline bool fx_diag_has(const fx *f, const char *text)
{
    for (size_t i = 0; i < bw_diag_count(f->diag); i++)
        if (!strcmp(bw_diag_text(f->diag, i), text))
            return true;
    for (size_t i = 0; i < bw_diag_count(f->diag); i++)
        fprintf(stderr, "diag: %s\n", bw_diag_text(f->diag, i));
    return false;
}

static inline int fx_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void fx_free(fx *f)
{
    harness_free(f->h);
    bw_server_free(f->srv);
    bw_build_free(f->b);
    bw_diag_free(f->diag);
    json_decref(f->configs);
    nftw(f->dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
    probe_reset();
}

static inline void fx_write(const fx *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

#endif
