/* Named databases of the sql provider: configuration, driver choice and the connection pool. */
#include "providers/sql.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "providers/sql_driver.h"
#include "providers/sql_pool.h"
#include "providers/sql_sqlite_init.h"

#define OPEN_TIMEOUT_MS 10000 /* connecting while building; a server slower than this is "unreachable" */

static int64_t int_or(const json_t *obj, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static bool read_pool_cfg(bw_build *b, bw_sql_db *db, const json_t *cfg)
{
    const json_t *pool = json_object_get(cfg, "pool");
    db->pool_cfg = (bw_sql_pool_cfg){
        .min = (int)int_or(pool, "min", 1),
        .max = (int)int_or(pool, "max", 8),
        .acquire_timeout_ms = int_or(pool, "acquire_timeout_ms", 5000),
        .idle_timeout_ms = int_or(pool, "idle_timeout_ms", 300000),
        .max_lifetime_ms = int_or(pool, "max_lifetime_ms", 3600000),
        .health_check_idle_ms = int_or(pool, "health_check_idle_ms", 30000),
    };
    db->statement_cache = (int)int_or(pool, "statement_cache", 64);
    db->busy_timeout_ms = (int)int_or(cfg, "busy_timeout_ms", 5000);
    if (db->pool_cfg.min <= db->pool_cfg.max)
        return true;
    bw_build_error(b, json_object_get(pool, "min"), "database '%s': pool.min (%d) is larger than pool.max (%d)",
                   db->name, db->pool_cfg.min, db->pool_cfg.max);
    return false;
}

/* Opens the first connections. An unreachable PostgreSQL server is an error only when checking. */
static bool connect_now(bw_build *b, bw_sql_db *db, const json_t *cfg)
{
    char err[BW_SQL_ERRLEN];
    int64_t deadline = bw_clock_ms() + OPEN_TIMEOUT_MS;
    bw_sql_lease lease;
    bw_status st = bw_sql_pool_acquire(db->pool, deadline, &lease, err, sizeof err);
    if (st == BW_OK) {
        bw_sql_pool_release(db->pool, &lease);
        st = bw_sql_pool_fill(db->pool, deadline, err, sizeof err);
    }
    db->reachable = st == BW_OK;
    if (st == BW_OK)
        return true;
    bool is_pg = db->drv == &bw_sql_postgres_driver;
    const json_t *node = json_object_get(cfg, is_pg ? "conninfo" : "path");
    if (is_pg && bw_build_mode_of(b) == BW_BUILD_SERVE) {
        bw_build_warn(b, node, "%s; the pool will connect on demand", err);
        return true;
    }
    bw_build_error(b, node, "%s", err);
    return false;
}

bw_sql_db *bw_sql_db_open(bw_build *b, const char *name, const json_t *cfg)
{
    bw_sql_db *db = calloc(1, sizeof *db);
    if (!db || !(db->name = strdup(name))) {
        free(db);
        bw_build_error(b, cfg, "database '%s': out of memory", name);
        return NULL;
    }
    bool is_pg = !strcmp(json_string_value(json_object_get(cfg, "driver")), "postgres");
    db->drv = is_pg ? &bw_sql_postgres_driver : &bw_sql_sqlite_driver;
    db->dialect = is_pg ? BW_SQL_DIALECT_POSTGRES : BW_SQL_DIALECT_SQLITE;
    if (getrandom(&db->cursor_key, sizeof db->cursor_key, 0) != (ssize_t)sizeof db->cursor_key)
        db->cursor_key = (uint64_t)bw_clock_ms() ^ (uint64_t)(uintptr_t)db;
    bool ok = read_pool_cfg(b, db, cfg);
    if (ok && is_pg)
        ok = (db->target = strdup(json_string_value(json_object_get(cfg, "conninfo")))) != NULL;
    else if (ok)
        ok = bw_sql_sqlite_prepare(b, db, cfg, &db->keepalive);
    if (ok)
        ok = (db->pool = bw_sql_pool_new(db)) != NULL;
    if (ok)
        ok = connect_now(b, db, cfg);
    if (!ok) {
        bw_sql_db_free(db);
        return NULL;
    }
    return db;
}

void bw_sql_db_free(bw_sql_db *db)
{
    if (!db)
        return;
    bw_sql_pool_free(db->pool);
    bw_sql_sqlite_keepalive_free(db->keepalive);
    free(db->target);
    free(db->name);
    free(db);
}
