/* The sql provider: named databases (SQLite, PostgreSQL) with connection pools, and tools that run SQL on them.
 * Configuration keys: src/config/schema/database.json and sql.json (docs/config.md). */
#ifndef BW_PROVIDERS_SQL_H
#define BW_PROVIDERS_SQL_H

#include <jansson.h>

#include "bulwark/server.h"
#include "config/build.h"

/* Opens the database `name` described by `cfg` (a validated `databases.<name>` object): creates its pool with
 * `min` connections (SQLite: creating the file and running init_script when it has no tables). Problems are
 * reported with bw_build_error/bw_build_warn at the offending node. In BW_BUILD_SERVE mode an unreachable
 * PostgreSQL server is a warning (the pool connects on demand); in BW_BUILD_CHECK mode it is an error.
 * Returns NULL only on an error that makes the database unusable. The caller passes the result to
 * bw_build_add_database. Thread-safety: the pool is safe to use from any number of worker threads. */
bw_sql_db *bw_sql_db_open(bw_build *b, const char *name, const json_t *cfg);

/* Closes every connection (waiting for none: call only when no handler runs). NULL is a no-op. */
void bw_sql_db_free(bw_sql_db *db);

/* Compiles the `sql` section of tool entry `tool` into def->handler / def->user (the caller has filled def's other
 * fields from the entry and registers it afterwards). Statements are prepared against the database now, so a
 * bad statement, an unknown `:parameter` source or a writing statement under read_only is a configuration error
 * at its YAML node. May replace def->input_schema (e.g. adding `cursor` for page_size), keeping the replacement
 * alive with bw_build_own. Returns BW_OK, or an error status after reporting. */
BW_NODISCARD bw_status bw_sql_tool_build(bw_build *b, const json_t *tool, const json_t *sql, bw_tool_def *def);

#endif
