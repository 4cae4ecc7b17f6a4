/* `:name` and `:step.column` placeholders in configured SQL: found outside string literals, quoted identifiers,
 * comments and PostgreSQL dollar quotes (a `::` cast is not a placeholder), and rewritten into the driver's own
 * numbered parameters (`?1` for SQLite, `$1` for PostgreSQL). Values are then bound, never spliced.
 * Pure functions; thread-safe. */
#ifndef BW_PROVIDERS_SQL_PARAMS_H
#define BW_PROVIDERS_SQL_PARAMS_H

#include <stddef.h>

#include "bulwark/status.h"

#define BW_SQL_NAME_MAX 128   /* longest argument, step or column name in a placeholder */
#define BW_SQL_PARAMS_MAX 999 /* distinct placeholders in one statement */

typedef enum bw_sql_dialect { BW_SQL_DIALECT_SQLITE, BW_SQL_DIALECT_POSTGRES } bw_sql_dialect;

/* One distinct placeholder; parameter number i + 1 in the rewritten statement. */
typedef struct bw_sql_ref {
    char *name;   /* the argument, or the step for `:step.column` */
    char *column; /* NULL for `:name` */
} bw_sql_ref;

typedef struct bw_sql_parsed {
    char *sql;        /* the rewritten statement */
    bw_sql_ref *refs; /* distinct placeholders in order of first use */
    size_t n_refs;
} bw_sql_parsed;

/* Parses `sql`. The same placeholder used twice binds one parameter. On failure (unterminated literal or comment,
 * a name longer than BW_SQL_NAME_MAX, more than BW_SQL_PARAMS_MAX placeholders) returns BW_E_INVALID_ARG with a
 * reason in err; BW_E_NOMEM on allocation failure. On success free `out` with bw_sql_parsed_free. */
BW_NODISCARD bw_status bw_sql_parse(const char *sql, bw_sql_dialect dialect, bw_sql_parsed *out, char *err,
                                    size_t errlen);
void bw_sql_parsed_free(bw_sql_parsed *p);

#endif
