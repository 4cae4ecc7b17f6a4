/* Preparing an SQLite database file before its pool opens: WAL mode, and the init_script that seeds a database
 * with no tables. In check mode nothing on disk changes: an existing file is opened read-only, and a database
 * still to be seeded is built in memory from the init_script so statements can be checked against it. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "providers/sql_driver.h"
#include "providers/sql_sqlite_init.h"

#define INIT_SCRIPT_MAX (64u * 1024 * 1024)

/* The whole file as a NUL-terminated string (caller frees), or NULL with a reason in err. */
static char *read_script(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %m", path);
        return NULL;
    }
    char *text = NULL;
    struct stat stbuf;
    if (fstat(fileno(f), &stbuf) != 0 || !S_ISREG(stbuf.st_mode) || (size_t)stbuf.st_size > INIT_SCRIPT_MAX)
        snprintf(err, errlen, "%s is not a regular file of at most %u bytes", path, INIT_SCRIPT_MAX);
    else if (!(text = malloc((size_t)stbuf.st_size + 1)))
        snprintf(err, errlen, "out of memory");
    else if (fread(text, 1, (size_t)stbuf.st_size, f) != (size_t)stbuf.st_size) {
        snprintf(err, errlen, "cannot read %s", path);
        free(text);
        text = NULL;
    } else {
        text[stbuf.st_size] = '\0';
    }
    fclose(f);
    return text;
}

static int count_tables(sqlite3 *h, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *n = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Runs the script in one transaction when the database has no tables. The write lock is taken first, so two
 * processes starting together seed the file once. */
static bool seed(bw_build *b, const json_t *node, sqlite3 *h, const char *script_path)
{
    char err[512] = "";
    int tables = 0;
    int rc = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = count_tables(h, &tables);
    if (rc == SQLITE_OK && tables == 0) {
        char *script = read_script(script_path, err, sizeof err);
        rc = script ? sqlite3_exec(h, script, NULL, NULL, NULL) : SQLITE_ERROR;
        free(script);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return true;
    bw_build_error(b, node, "init_script %s failed: %s", script_path, err[0] ? err : sqlite3_errmsg(h));
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    return false;
}

static bool file_has_tables(const char *path)
{
    sqlite3 *h = NULL;
    int tables = 0;
    bool yes = sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK && count_tables(h, &tables) ==
                                                                                         SQLITE_OK && tables > 0;
    sqlite3_close_v2(h);
    return yes;
}

/* Check mode: the existing file read-only, or an in-memory database seeded from the script (kept alive by *keep). */
static bool prepare_check(bw_build *b, bw_sql_db *db, const json_t *cfg, const char *path, const char *script,
                          sqlite3 **keep)
{
    struct stat stbuf;
    bool exists = stat(path, &stbuf) == 0;
    if (exists && (!script || file_has_tables(path))) {
        db->sqlite_flags = SQLITE_OPEN_READONLY;
        return (db->target = strdup(path)) != NULL;
    }
    char uri[300];
    snprintf(uri, sizeof uri, "file:bulwark-check-%p?mode=memory&cache=shared", (void *)db);
    db->sqlite_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;
    if (!(db->target = strdup(uri)))
        return false;
    if (sqlite3_open_v2(uri, keep, db->sqlite_flags, NULL) != SQLITE_OK) {
        bw_build_error(b, json_object_get(cfg, "path"), "database '%s': cannot open an in-memory copy: %s", db->name,
                       *keep ? sqlite3_errmsg(*keep) : "out of memory");
        return false;
    }
    return !script || seed(b, json_object_get(cfg, "init_script"), *keep, script);
}

static bool prepare_serve(bw_build *b, bw_sql_db *db, const json_t *cfg, const char *path, const char *script)
{
    sqlite3 *h = NULL;
    db->sqlite_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (!(db->target = strdup(path)))
        return false;
    int rc = sqlite3_open_v2(path, &h, db->sqlite_flags, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(h, db->busy_timeout_ms);
        /* WAL: readers never block the writer; the mode is stored in the file, so once is enough. */
        rc = sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    }
    bool ok = rc == SQLITE_OK;
    if (!ok)
        bw_build_error(b, json_object_get(cfg, "path"), "database '%s': cannot open %s: %s", db->name, path,
                       h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
    else if (script)
        ok = seed(b, json_object_get(cfg, "init_script"), h, script);
    sqlite3_close_v2(h);
    return ok;
}

bool bw_sql_sqlite_prepare(bw_build *b, bw_sql_db *db, const json_t *cfg, void **keepalive)
{
    const char *path = bw_build_path(b, json_string_value(json_object_get(cfg, "path")));
    const json_t *script_node = json_object_get(cfg, "init_script");
    const char *script = script_node ? bw_build_path(b, json_string_value(script_node)) : NULL;
    if (!path || (script_node && !script))
        return false;
    if (bw_build_mode_of(b) == BW_BUILD_CHECK)
        return prepare_check(b, db, cfg, path, script, (sqlite3 **)keepalive);
    return prepare_serve(b, db, cfg, path, script);
}

void bw_sql_sqlite_keepalive_free(void *keepalive)
{
    sqlite3_close_v2(keepalive);
}
