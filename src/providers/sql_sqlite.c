/* The SQLite driver of the sql provider.
 *
 * A connection is used by one thread at a time (the pool guarantees it), so it is opened with SQLITE_OPEN_NOMUTEX.
 * Read-only use is enforced by SQLite itself: PRAGMA query_only on the connection, sqlite3_stmt_readonly on every
 * client-written statement, and an authorizer that allows client SQL to read and nothing else. A progress handler
 * interrupts a statement at its deadline or when the call is cancelled. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "providers/sql_cache.h"
#include "providers/sql_driver.h"

#define PROGRESS_OPS 1000 /* VM instructions between deadline checks (~10-50 us) */
#define BUSY_NAP_MAX_MS 10 /* longest sleep between two tries to take a lock */

typedef struct sq_conn {
    sqlite3 *db;
    bw_sql_cache cache;
    bool query_only; /* the connection's PRAGMA query_only */
    bool in_txn;
    bool broken;
    int busy_timeout_ms;
    int64_t busy_since_ms; /* when the current wait for a lock began */
    bw_sql_ctx *ctx;       /* the call using the connection, from begin to end (NULL otherwise) */
} sq_conn;

/* Error codes after which the connection is not trusted again. */
static bool fatal_code(int rc)
{
    int primary = rc & 0xFF;
    return primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ||
           primary == SQLITE_CANTOPEN;
}

/* Another connection holds the lock: waiting (or running again) may succeed. */
static bool conflict_code(int rc)
{
    return (rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED;
}

static bw_status fail_rc(sq_conn *c, bw_sql_ctx *ctx, int rc)
{
    /* The progress handler interrupts at the deadline; the busy handler gives up waiting for a lock there. */
    bool stopped = (rc & 0xFF) == SQLITE_INTERRUPT || conflict_code(rc);
    snprintf(ctx->code, sizeof ctx->code, "%d", rc);
    if (stopped && ctx->timed_out) {
        snprintf(ctx->err, sizeof ctx->err, "statement timed out after %lld ms", (long long)ctx->timeout_ms);
        ctx->failure = BW_FAILURE_TIMEOUT;
        return BW_E_TIMEOUT;
    }
    if (stopped && ctx->cancelled) {
        snprintf(ctx->err, sizeof ctx->err, "statement cancelled");
        return BW_E_CANCELLED;
    }
    if (fatal_code(rc))
        c->broken = true;
    ctx->failure = conflict_code(rc) ? BW_FAILURE_CONFLICT : fatal_code(rc) ? BW_FAILURE_CONNECTION
                                                                            : BW_FAILURE_PERMANENT;
    bw_sql_fail(ctx, sqlite3_errmsg(c->db));
    return BW_E_TOOL;
}

/* Waits for a lock another connection holds: up to busy_timeout_ms, and never past the call's deadline or its
 * cancellation (sqlite3_busy_timeout would sleep through both). Returning 0 makes the statement fail with BUSY. */
static int on_busy(void *arg, int count)
{
    sq_conn *c = arg;
    bw_sql_ctx *ctx = c->ctx;
    int64_t now = bw_clock_ms();
    if (count == 0)
        c->busy_since_ms = now;
    if (ctx && now >= ctx->deadline_ms)
        ctx->timed_out = true;
    else if (ctx && ctx->call && bw_call_cancelled(ctx->call))
        ctx->cancelled = true;
    int64_t left = c->busy_since_ms + c->busy_timeout_ms - now;
    if (ctx && ctx->deadline_ms - now < left)
        left = ctx->deadline_ms - now;
    if ((ctx && (ctx->timed_out || ctx->cancelled)) || left <= 0)
        return 0;
    int nap = count < 4 ? 1 << count : BUSY_NAP_MAX_MS;
    sqlite3_sleep(left < nap ? (int)left : nap);
    return 1;
}

static bw_status run_simple(sq_conn *c, bw_sql_ctx *ctx, const char *sql)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? BW_OK : fail_rc(c, ctx, rc);
}

static void finalize_cached(void *ctx, void *stmt)
{
    (void)ctx;
    sqlite3_finalize(stmt);
}

static void sq_close(void *vc)
{
    sq_conn *c = vc;
    if (!c)
        return;
    bw_sql_cache_clear(&c->cache, finalize_cached, NULL);
    sqlite3_close_v2(c->db);
    free(c);
}

static bw_status sq_connect(const bw_sql_db *db, int64_t deadline_ms, void **out, char *err, size_t errlen)
{
    (void)deadline_ms; /* opening a file does not wait on anything but the file system */
    sq_conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return BW_E_NOMEM;
    }
    bw_sql_cache_init(&c->cache, (size_t)db->statement_cache);
    int rc = sqlite3_open_v2(db->target, &c->db, db->sqlite_flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(c->db, 1);
        c->busy_timeout_ms = db->busy_timeout_ms;
        sqlite3_busy_handler(c->db, on_busy, c);
        /* Defensive mode: no writable_schema tricks that could corrupt the file from SQL. */
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
        rc = sqlite3_exec(c->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "database '%s': cannot open %s: %s", db->name, db->target,
                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sq_close(c);
        return BW_E_TOOL;
    }
    *out = c;
    return BW_OK;
}

static bool sq_ping(void *vc, int64_t deadline_ms)
{
    (void)deadline_ms;
    sq_conn *c = vc;
    return !c->broken && sqlite3_exec(c->db, "SELECT 1", NULL, NULL, NULL) == SQLITE_OK;
}

static bool sq_broken(const void *vc)
{
    return ((const sq_conn *)vc)->broken;
}

static bw_status set_query_only(sq_conn *c, bw_sql_ctx *ctx, bool on)
{
    if (c->query_only == on)
        return BW_OK;
    bw_status st = run_simple(c, ctx, on ? "PRAGMA query_only = 1" : "PRAGMA query_only = 0");
    if (st == BW_OK)
        c->query_only = on;
    return st;
}

static bw_status sq_begin(void *vc, bw_sql_ctx *ctx, const bw_sql_txn *txn)
{
    sq_conn *c = vc;
    c->ctx = ctx; /* until sq_end, which the caller runs whatever begin returns */
    bw_status st = set_query_only(c, ctx, txn->read_only);
    if (st != BW_OK || !txn->multi)
        return st;
    /* A writing transaction takes the write lock first, so it cannot deadlock upgrading a read lock later. */
    st = run_simple(c, ctx, txn->writes && !txn->read_only ? "BEGIN IMMEDIATE" : "BEGIN");
    c->in_txn = st == BW_OK;
    return st;
}

static bw_status sq_end(void *vc, bw_sql_ctx *ctx, bool commit)
{
    sq_conn *c = vc;
    bw_status st = BW_OK;
    if (c->in_txn && commit)
        st = run_simple(c, ctx, "COMMIT");
    /* Also after a failed COMMIT, and whenever SQLite left a transaction open (e.g. after an interrupt). */
    if (!sqlite3_get_autocommit(c->db) && sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        c->broken = true;
    c->in_txn = false;
    c->ctx = NULL;
    return st;
}

/* ---- client-written SQL: what the authorizer lets through ---- */

static bool in_list(const char *name, const char *const *list)
{
    for (; name && *list; list++)
        if (!sqlite3_stricmp(name, *list))
            return true;
    return false;
}

static int authorize_pragma(bw_sql_ctx *ctx, const char *pragma, const char *arg)
{
    static const char *const with_arg[] = {"table_info", "table_xinfo", "table_list", "index_list", "index_info",
                                           "index_xinfo", "foreign_key_list", NULL};
    static const char *const reads[] = {"collation_list", "database_list", "function_list", "module_list",
                                        "pragma_list", "compile_options", "encoding", "user_version",
                                        "schema_version", "application_id", "page_size", "page_count",
                                        "freelist_count", "foreign_keys", NULL};
    if (in_list(pragma, with_arg) || (!arg && in_list(pragma, reads)))
        return SQLITE_OK;
    snprintf(ctx->err, sizeof ctx->err, "PRAGMA %s is not allowed in a read-only query", pragma ? pragma : "");
    return SQLITE_DENY;
}

static int authorize(void *arg, int action, const char *a1, const char *a2, const char *db, const char *trigger)
{
    (void)db;
    (void)trigger;
    bw_sql_ctx *ctx = arg;
    static const char *const banned_functions[] = {"load_extension", "fts3_tokenizer", "readfile", "writefile",
                                                   "edit", NULL};
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (!in_list(a2, banned_functions))
            return SQLITE_OK;
        snprintf(ctx->err, sizeof ctx->err, "function %s() is not allowed in a query", a2);
        return SQLITE_DENY;
    case SQLITE_PRAGMA:
        return authorize_pragma(ctx, a1, a2);
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
        snprintf(ctx->err, sizeof ctx->err, "%s is not allowed in a query", action == SQLITE_ATTACH ? "ATTACH"
                                                                                                    : "DETACH");
        return SQLITE_DENY;
    default:
        snprintf(ctx->err, sizeof ctx->err, "this tool runs read-only queries only; the statement would change "
                                            "the database or its session");
        return SQLITE_DENY;
    }
}

/* Prepares one client-written statement under the authorizer and checks it is a single read-only query. */
static bw_status prepare_client(sq_conn *c, bw_sql_ctx *ctx, const char *sql, sqlite3_stmt **out)
{
    const char *tail = NULL;
    ctx->err[0] = '\0';
    sqlite3_set_authorizer(c->db, authorize, ctx);
    int rc = sqlite3_prepare_v2(c->db, sql, -1, out, &tail);
    sqlite3_set_authorizer(c->db, NULL, NULL);
    const char *why = NULL;
    if (rc != SQLITE_OK)
        return ctx->err[0] ? BW_E_TOOL : fail_rc(c, ctx, rc);
    if (!*out)
        why = "the query is empty";
    else if (!bw_sql_blank_tail(tail))
        why = "only one SQL statement is allowed per query";
    else if (!sqlite3_stmt_readonly(*out))
        why = "this tool runs read-only queries only; the statement would change the database";
    else if (sqlite3_bind_parameter_count(*out) > 0)
        why = "the query must not contain parameters (:name, ?, @name, $name)";
    if (!why)
        return BW_OK;
    sqlite3_finalize(*out);
    *out = NULL;
    snprintf(ctx->err, sizeof ctx->err, "%s", why);
    return BW_E_TOOL;
}

/* The prepared statement for ex (from the cache when it is there). *cached tells whether to keep it. */
static bw_status get_stmt(sq_conn *c, bw_sql_ctx *ctx, const bw_sql_exec *ex, sqlite3_stmt **st, bool *cached)
{
    *cached = false;
    if (ex->client)
        return prepare_client(c, ctx, ex->sql, st);
    if (ex->cache && (*st = bw_sql_cache_get(&c->cache, ex->sql)) != NULL) {
        *cached = true;
        return BW_OK;
    }
    int rc = sqlite3_prepare_v3(c->db, ex->sql, -1, ex->cache ? SQLITE_PREPARE_PERSISTENT : 0, st, NULL);
    if (rc != SQLITE_OK)
        return fail_rc(c, ctx, rc);
    void *evicted = NULL;
    if (ex->cache && bw_sql_cache_put(&c->cache, ex->sql, *st, &evicted) == BW_OK)
        *cached = true;
    sqlite3_finalize(evicted);
    return BW_OK;
}

static int bind_value(sqlite3_stmt *st, int i, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return sqlite3_bind_int64(st, i, json_integer_value(v));
    case JSON_REAL:
        return sqlite3_bind_double(st, i, json_real_value(v));
    case JSON_STRING:
        return sqlite3_bind_text64(st, i, json_string_value(v), json_string_length(v), SQLITE_STATIC, SQLITE_UTF8);
    case JSON_TRUE:
    case JSON_FALSE:
        return sqlite3_bind_int(st, i, json_is_true(v));
    case JSON_NULL:
        return sqlite3_bind_null(st, i);
    default: {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        return text ? sqlite3_bind_text(st, i, text, -1, free) : SQLITE_NOMEM;
    }
    }
}

static json_t *column_value(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, i);
        return isfinite(d) ? json_real(d) : json_string(isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
    case SQLITE_TEXT:
        return bw_sql_text((const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
    case SQLITE_BLOB:
        return bw_sql_base64(sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
    default:
        return json_null();
    }
}

static json_t *make_row(sqlite3_stmt *st, size_t *bytes)
{
    json_t *row = json_object();
    int n = sqlite3_column_count(st);
    for (int i = 0; row && i < n; i++) {
        json_t *v = column_value(st, i);
        *bytes += bw_sql_value_size(v);
        if (bw_sql_row_set(row, sqlite3_column_name(st, i), v) != BW_OK) {
            json_decref(row);
            row = NULL;
        }
    }
    return row;
}

static int progress(void *arg)
{
    bw_sql_ctx *ctx = arg;
    if (bw_clock_ms() >= ctx->deadline_ms)
        ctx->timed_out = true;
    else if (ctx->call && bw_call_cancelled(ctx->call))
        ctx->cancelled = true;
    return ctx->timed_out || ctx->cancelled;
}

static bw_status step_rows(sq_conn *c, bw_sql_ctx *ctx, sqlite3_stmt *st, bw_sql_exec *ex)
{
    size_t seen = 0, bytes = 0;
    int rc;
    sqlite3_progress_handler(c->db, PROGRESS_OPS, progress, ctx);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (seen++ < ex->skip)
            continue;
        if (json_array_size(ex->rows) >= ex->limit || bytes > BW_SQL_RESULT_BYTES) {
            ex->more = true;
            break;
        }
        if (json_array_append_new(ex->rows, make_row(st, &bytes))) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_progress_handler(c->db, 0, NULL, NULL);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail_rc(c, ctx, rc);
    return BW_OK;
}

static json_t *column_names(sqlite3_stmt *st)
{
    json_t *cols = json_array();
    for (int i = 0; cols && i < sqlite3_column_count(st); i++)
        json_array_append_new(cols, json_string(sqlite3_column_name(st, i)));
    return cols;
}

static bw_status exec_stmt(sq_conn *c, bw_sql_ctx *ctx, bw_sql_exec *ex)
{
    sqlite3_stmt *st = NULL;
    bool cached;
    bw_status status = get_stmt(c, ctx, ex, &st, &cached);
    if (status != BW_OK)
        return status;
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < json_array_size(ex->values); i++)
        rc = bind_value(st, (int)i + 1, json_array_get(ex->values, i));
    ex->rows = json_array();
    ex->columns = column_names(st);
    if (rc != SQLITE_OK)
        status = fail_rc(c, ctx, rc);
    else if (!ex->rows || !ex->columns)
        status = BW_E_NOMEM;
    else
        status = step_rows(c, ctx, st, ex);
    ex->writes = !sqlite3_stmt_readonly(st);
    /* Reset first: a writing statement's change count is final only once it has run to completion. */
    sqlite3_reset(st);
    ex->affected = ex->writes ? sqlite3_changes64(c->db) : 0;
    sqlite3_clear_bindings(st);
    if (!cached)
        sqlite3_finalize(st);
    return status;
}

/* Largest string or blob a client-written query may build: the result is capped far below this anyway, and
 * without it `SELECT randomblob(1e9)` would allocate a gigabyte (and more for its base64) per call. */
#define CLIENT_MAX_VALUE_BYTES (16 * 1024 * 1024)

static bw_status sq_exec(void *vc, bw_sql_ctx *ctx, bw_sql_exec *ex)
{
    sq_conn *c = vc;
    if (!ex->client)
        return exec_stmt(c, ctx, ex);
    int before = sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, CLIENT_MAX_VALUE_BYTES);
    bw_status status = exec_stmt(c, ctx, ex);
    sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, before);
    return status;
}

static bw_status sq_describe(void *vc, const char *sql, bw_sql_info *info, char *err, size_t errlen)
{
    sq_conn *c = vc;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK || !st) {
        snprintf(err, errlen, "%s", rc != SQLITE_OK ? sqlite3_errmsg(c->db) : "the statement is empty");
        return BW_E_TOOL;
    }
    bw_status status = BW_OK;
    if (!bw_sql_blank_tail(tail)) {
        snprintf(err, errlen, "only one SQL statement is allowed here (use `transaction` for several); found more "
                              "after the first");
        status = BW_E_TOOL;
    }
    *info = (bw_sql_info){.known_read_only = true, .read_only = sqlite3_stmt_readonly(st) != 0,
                          .n_params = sqlite3_bind_parameter_count(st), .columns = column_names(st)};
    sqlite3_finalize(st);
    return status;
}

const bw_sql_driver bw_sql_sqlite_driver = {
    .connect = sq_connect,
    .close = sq_close,
    .ping = sq_ping,
    .broken = sq_broken,
    .begin = sq_begin,
    .exec = sq_exec,
    .end = sq_end,
    .describe = sq_describe,
};
