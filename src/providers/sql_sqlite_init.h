/* Preparing an SQLite database before its pool opens (src/providers/sql_sqlite_init.c). */
#ifndef BW_PROVIDERS_SQL_SQLITE_INIT_H
#define BW_PROVIDERS_SQL_SQLITE_INIT_H

#include <jansson.h>
#include <stdbool.h>

#include "config/build.h"
#include "providers/sql_driver.h"

/* Sets db->target and db->sqlite_flags from the `databases.<name>` object cfg, switches the file to WAL and runs
 * init_script when the database has no tables (serve mode), or sets up a side-effect-free copy (check mode; then
 * *keepalive holds a handle to close with bw_sql_sqlite_keepalive_free after the pool). Reports problems at their
 * node; false when the database is unusable. */
bool bw_sql_sqlite_prepare(bw_build *b, bw_sql_db *db, const json_t *cfg, void **keepalive);
void bw_sql_sqlite_keepalive_free(void *keepalive);

#endif
