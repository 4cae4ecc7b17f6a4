/* The small interface each database driver (SQLite, PostgreSQL) implements for the sql provider, and the state
 * shared by the provider's files. Private to src/providers/sql*.c. */
#ifndef BW_PROVIDERS_SQL_DRIVER_H
#define BW_PROVIDERS_SQL_DRIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulwark/call.h"
#include "bulwark/policy.h"
#include "providers/sql.h"
#include "providers/sql_params.h"

#define BW_SQL_ERRLEN 512
/* Bytes of row data one statement may return; beyond it rows are cut off as if max_rows was reached. */
#define BW_SQL_RESULT_BYTES (16u * 1024 * 1024)

typedef struct bw_sql_pool bw_sql_pool;
typedef struct bw_sql_driver bw_sql_driver;

typedef struct bw_sql_pool_cfg {
    int min, max;
    int64_t acquire_timeout_ms, idle_timeout_ms, max_lifetime_ms, health_check_idle_ms;
} bw_sql_pool_cfg;

struct bw_sql_db {
    char *name;
    const bw_sql_driver *drv;
    bw_sql_dialect dialect;
    char *target;         /* sqlite: file name or URI; postgres: conninfo */
    int sqlite_flags;     /* sqlite: sqlite3_open_v2 flags (read-only or an in-memory URI in check mode) */
    int busy_timeout_ms;  /* sqlite */
    int statement_cache;  /* prepared statements kept per connection */
    uint64_t cursor_key;  /* makes pagination cursors of this process unforgeable by accident */
    bw_sql_pool_cfg pool_cfg;
    bw_sql_pool *pool;
    bool reachable;       /* a connection could be opened while building (statements were checked on it) */
    void *keepalive;      /* sqlite, check mode: holds the in-memory database open */
};

/* One call's execution state, handed to every driver operation. */
typedef struct bw_sql_ctx {
    bw_call *call;       /* NULL at build time */
    int64_t deadline_ms; /* the statement deadline: min(timeout_ms, what the call has left) */
    int64_t timeout_ms;  /* that timeout, for messages */
    int wake_fd;         /* readable when the call may have been cancelled (-1: none) */
    bool timed_out;      /* set by the driver when it stopped a statement at the deadline */
    bool cancelled;      /* ... or because the call was cancelled */
    bw_failure failure;  /* what kind of failure the driver met, for the reliability policy (NONE: not known) */
    const json_t *redact; /* bound values kept out of error messages (array; may be NULL) */
    char err[BW_SQL_ERRLEN];
    char code[16];       /* the database's code for the last failure (SQLSTATE; SQLite's extended result code), or ""
                          * (traced as db.response.status_code) */
} bw_sql_ctx;

/* How a call's statements run together. */
typedef struct bw_sql_txn {
    bool read_only; /* the database refuses writes */
    bool writes;    /* some statement writes (sqlite: BEGIN IMMEDIATE) */
    bool multi;     /* several statements: one explicit transaction */
    bool client;    /* the SQL was written by the client: never committed (postgres), checked (sqlite) */
} bw_sql_txn;

/* One statement execution. */
typedef struct bw_sql_exec {
    const char *sql;       /* in the driver's parameter syntax */
    bool cache;            /* keep it prepared in the connection's statement cache */
    bool client;           /* client-written: authorizer, one read-only statement, no parameters */
    const json_t *values;  /* array: parameter i + 1 binds element i (null: NULL) */
    size_t skip, limit;    /* rows skipped, then kept; one more is looked for to set `more` */
    json_t *rows;          /* out: array of row objects (new reference, set by the driver) */
    json_t *columns;       /* out: array of column names in order (new reference) */
    bool more;             /* out: rows remain beyond skip + limit (or the byte cap was hit) */
    bool writes;           /* out: the statement changed (or could change) data */
    int64_t affected;      /* out: rows changed by a writing statement */
} bw_sql_exec;

/* What the build step learns about a configured statement. */
typedef struct bw_sql_info {
    bool known_read_only; /* the driver can tell (sqlite) */
    bool read_only;
    int n_params;
    json_t *columns; /* array of result column names (new reference) */
} bw_sql_info;

/* Operations return BW_OK, BW_E_TOOL (message in ctx->err), BW_E_TIMEOUT or BW_E_CANCELLED, and classify a failure
 * in ctx->failure when they can (a lost connection, a deadlock, ...). A connection that an operation found broken
 * reports it through broken(), and the pool discards it. connect failures are BW_E_TOOL (or BW_E_NOMEM). */
struct bw_sql_driver {
    bw_status (*connect)(const bw_sql_db *db, int64_t deadline_ms, void **conn, char *err, size_t errlen);
    void (*close)(void *conn);
    bool (*ping)(void *conn, int64_t deadline_ms);
    bool (*broken)(const void *conn);
    bw_status (*begin)(void *conn, bw_sql_ctx *ctx, const bw_sql_txn *txn);
    bw_status (*exec)(void *conn, bw_sql_ctx *ctx, bw_sql_exec *ex);
    bw_status (*end)(void *conn, bw_sql_ctx *ctx, bool commit);
    bw_status (*describe)(void *conn, const char *sql, bw_sql_info *info, char *err, size_t errlen);
};

extern const bw_sql_driver bw_sql_sqlite_driver;
extern const bw_sql_driver bw_sql_postgres_driver;

/* ---- helpers shared by the drivers (sql_value.c) ---- */

/* ctx->err = message on one line, with every bound string value in ctx->redact replaced by "...". */
void bw_sql_fail(bw_sql_ctx *ctx, const char *message);
/* Joins a multi-line message (libpq's) into one line, in place. */
void bw_sql_one_line(char *s);
/* A JSON string of `len` bytes of text, invalid UTF-8 replaced by U+FFFD. NULL on allocation failure. */
json_t *bw_sql_text(const char *s, size_t len);
/* A JSON string holding the base64 form of `len` bytes. */
json_t *bw_sql_base64(const void *data, size_t len);
/* Adds `value` (stolen) to `row` under `name`, suffixing _2, _3 ... when the name is taken. */
bw_status bw_sql_row_set(json_t *row, const char *name, json_t *value);
/* An approximate size of a value in bytes, for BW_SQL_RESULT_BYTES. */
size_t bw_sql_value_size(const json_t *v);
/* true when the remaining text (after a statement) is only whitespace, comments and semicolons. */
bool bw_sql_blank_tail(const char *s);

#endif
