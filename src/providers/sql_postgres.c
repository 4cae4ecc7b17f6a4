/* The PostgreSQL driver of the sql provider (libpq).
 *
 * Every command is sent asynchronously and its results awaited with poll(), so a call's deadline and its
 * cancellation are honoured even when the server hangs: on cancellation (the call's wake descriptor becomes
 * readable) or a passed deadline the statement is cancelled with PQcancel; a server that then stays silent gets
 * the connection discarded. read_only is always enforced by the server: a call of one configured statement runs
 * in an implicit transaction under the session's default_transaction_read_only and statement_timeout (changed only
 * when a call needs other values, so the common call is one round trip); several statements, and client-written
 * SQL, run in an explicit BEGIN READ ONLY|READ WRITE; SET LOCAL statement_timeout transaction, which for client
 * SQL is always rolled back so nothing it SETs survives. Rows are read in single-row mode: memory stays bounded by max_rows. */
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "providers/sql_cache.h"
#include "providers/sql_driver.h"

#define CANCEL_GRACE_MS 3000  /* how long a cancelled statement may take to stop before the connection is dropped */
#define SERVER_GRACE_MS 500   /* the server's statement_timeout normally fires first; we cancel after this */
#define END_GRACE_MS 3000     /* time given to COMMIT/ROLLBACK after the call's own deadline */
#define POLL_SLICE_MS 100     /* also notices shutdown and deadline passing without a wake-up */

/* Type OIDs (src/include/catalog/pg_type.dat); stable across PostgreSQL versions. */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_JSON = 114, OID_FLOAT4 = 700,
       OID_FLOAT8 = 701, OID_NUMERIC = 1700, OID_JSONB = 3802 };

typedef struct pg_conn {
    PGconn *pg;
    PGcancel *cancel;
    bw_sql_cache cache; /* SQL -> malloc'd prepared statement name */
    unsigned next_name;
    bool broken;
    int session_read_only;      /* default_transaction_read_only as last SET (-1: not set yet) */
    long long session_timeout;  /* statement_timeout in ms as last SET (-1: not set yet) */
} pg_conn;

typedef bw_status (*result_fn)(pg_conn *c, bw_sql_ctx *ctx, PGresult *r, void *arg);

static void release_name(void *ctx, void *name)
{
    (void)ctx;
    free(name);
}

static void pg_close(void *vc)
{
    pg_conn *c = vc;
    if (!c)
        return;
    bw_sql_cache_clear(&c->cache, release_name, NULL);
    PQfreeCancel(c->cancel);
    PQfinish(c->pg);
    free(c);
}

/* Waits until fd is ready for `events` or deadline_ms passes; false on timeout. */
static bool wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - bw_clock_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > POLL_SLICE_MS ? POLL_SLICE_MS : (int)left);
        if (r > 0 || (r < 0 && errno != EINTR))
            return true; /* errors surface in the libpq call that follows */
    }
}

static bw_status pg_connect(const bw_sql_db *db, int64_t deadline_ms, void **out, char *err, size_t errlen)
{
    /* dbname is expanded from the configured conninfo, whose own settings override the two before it. */
    const char *const keys[] = {"application_name", "client_encoding", "dbname", NULL};
    const char *const vals[] = {"bulwark", "UTF8", db->target, NULL};
    pg_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->pg = PQconnectStartParams(keys, vals, 1))) {
        free(c);
        snprintf(err, errlen, "database '%s': out of memory", db->name);
        return BW_E_NOMEM;
    }
    bw_sql_cache_init(&c->cache, (size_t)db->statement_cache);
    c->session_read_only = -1;
    c->session_timeout = -1;
    PostgresPollingStatusType ps = PQstatus(c->pg) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
    while (ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
        if (!wait_fd(PQsocket(c->pg), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline_ms)) {
            snprintf(err, errlen, "database '%s': cannot connect: timed out", db->name);
            pg_close(c);
            return BW_E_TOOL;
        }
        ps = PQconnectPoll(c->pg);
    }
    if (ps == PGRES_POLLING_FAILED || !(c->cancel = PQgetCancel(c->pg))) {
        snprintf(err, errlen, "database '%s': cannot connect: %s", db->name, PQerrorMessage(c->pg));
        bw_sql_one_line(err);
        pg_close(c);
        return BW_E_TOOL;
    }
    *out = c;
    return BW_OK;
}

static bool pg_broken(const void *vc)
{
    const pg_conn *c = vc;
    return c->broken || PQstatus(c->pg) != CONNECTION_OK;
}

/* Decides, while a command runs, whether to cancel it: the call was cancelled or its deadline passed. */
static bool should_cancel(bw_sql_ctx *ctx, int64_t now)
{
    if (now >= ctx->deadline_ms + SERVER_GRACE_MS)
        ctx->timed_out = true;
    else if (ctx->call && bw_call_cancelled(ctx->call))
        *(now >= ctx->deadline_ms ? &ctx->timed_out : &ctx->cancelled) = true;
    return ctx->timed_out || ctx->cancelled;
}

static void drain_wake(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof v) > 0)
        ;
}

/* How long await may sleep: a slice, but waking exactly at the call's deadline, which passes without a wake-up
 * (only a client's cancellation writes the wake descriptor) and must cancel the statement at once. */
static int poll_ms(const bw_sql_ctx *ctx, int64_t hard, int64_t now)
{
    int64_t wait = POLL_SLICE_MS;
    int64_t until = ctx->call ? bw_call_deadline_ms(ctx->call) : ctx->deadline_ms;
    if (!hard && until > now && until - now < wait)
        wait = until - now;
    return (int)wait;
}

/* Waits until the command's next result can be read without blocking. */
static bw_status await(pg_conn *c, bw_sql_ctx *ctx)
{
    int64_t hard = 0;
    while (PQisBusy(c->pg)) {
        int64_t now = bw_clock_ms();
        if (!hard && should_cancel(ctx, now)) {
            char buf[256];
            PQcancel(c->cancel, buf, sizeof buf);
            hard = now + CANCEL_GRACE_MS;
        }
        if (hard && now >= hard) {
            c->broken = true;
            snprintf(ctx->err, sizeof ctx->err, "the database did not stop the statement; connection dropped");
            ctx->failure = ctx->cancelled ? BW_FAILURE_NONE : BW_FAILURE_TIMEOUT;
            return ctx->cancelled ? BW_E_CANCELLED : BW_E_TIMEOUT;
        }
        struct pollfd p[2] = {{.fd = PQsocket(c->pg), .events = POLLIN}, {.fd = ctx->wake_fd, .events = POLLIN}};
        int r = poll(p, ctx->wake_fd >= 0 ? 2 : 1, poll_ms(ctx, hard, now));
        if (r > 0 && (p[1].revents & POLLIN))
            drain_wake(ctx->wake_fd);
        if ((r > 0 && p[0].revents) && !PQconsumeInput(c->pg)) {
            c->broken = true;
            ctx->failure = BW_FAILURE_CONNECTION;
            bw_sql_fail(ctx, PQerrorMessage(c->pg));
            return BW_E_TOOL;
        }
    }
    return BW_OK;
}

static bool connection_sqlstate(const char *state)
{
    /* 08: connection exception; 57P01-03: the server is shutting down or cannot accept connections. */
    return state && (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3));
}

/* 40P01 deadlock_detected, 40001 serialization_failure: the transaction lost a race; running it again may work. */
static bool conflict_sqlstate(const char *state)
{
    return state && (!strcmp(state, "40P01") || !strcmp(state, "40001"));
}

static bw_status result_error(pg_conn *c, bw_sql_ctx *ctx, const PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(ctx->code, sizeof ctx->code, "%s", state ? state : "");
    if (state && !strcmp(state, "57014") && !ctx->cancelled) {
        snprintf(ctx->err, sizeof ctx->err, "statement timed out after %lld ms", (long long)ctx->timeout_ms);
        ctx->failure = BW_FAILURE_TIMEOUT;
        return BW_E_TIMEOUT;
    }
    if (state && !strcmp(state, "57014")) {
        snprintf(ctx->err, sizeof ctx->err, "statement cancelled");
        return BW_E_CANCELLED;
    }
    if (connection_sqlstate(state) || PQstatus(c->pg) != CONNECTION_OK)
        c->broken = true;
    ctx->failure = c->broken                  ? BW_FAILURE_CONNECTION
                   : conflict_sqlstate(state) ? BW_FAILURE_CONFLICT
                                              : BW_FAILURE_PERMANENT;
    const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    bw_sql_fail(ctx, primary ? primary : PQresultErrorMessage(r));
    return BW_E_TOOL;
}

/* Reads every result of the command just sent; `fn` sees each successful one. Returns the first failure. */
static bw_status collect(pg_conn *c, bw_sql_ctx *ctx, bw_status sent, result_fn fn, void *arg)
{
    if (sent != BW_OK) {
        c->broken = PQstatus(c->pg) != CONNECTION_OK;
        ctx->failure = c->broken ? BW_FAILURE_CONNECTION : BW_FAILURE_PERMANENT;
        bw_sql_fail(ctx, PQerrorMessage(c->pg));
        return BW_E_TOOL;
    }
    bw_status st = BW_OK;
    for (;;) {
        bw_status w = await(c, ctx);
        if (w != BW_OK)
            return w; /* the connection is abandoned mid-command */
        PGresult *r = PQgetResult(c->pg);
        if (!r)
            break;
        ExecStatusType es = PQresultStatus(r);
        if (es == PGRES_COPY_OUT || es == PGRES_COPY_IN || es == PGRES_COPY_BOTH) {
            /* libpq would return this state on every PQgetResult: the command cannot be finished, so the
             * connection is dropped. */
            PQclear(r);
            c->broken = true;
            if (st == BW_OK)
                snprintf(ctx->err, sizeof ctx->err, "COPY to or from the client is not supported");
            return st == BW_OK ? BW_E_TOOL : st;
        }
        if (st == BW_OK && (es == PGRES_FATAL_ERROR || es == PGRES_BAD_RESPONSE || es == PGRES_NONFATAL_ERROR))
            st = es == PGRES_NONFATAL_ERROR ? BW_OK : result_error(c, ctx, r);
        else if (st == BW_OK && fn)
            st = fn(c, ctx, r, arg);
        PQclear(r);
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        c->broken = true;
        if (st == BW_OK) {
            ctx->failure = BW_FAILURE_CONNECTION;
            bw_sql_fail(ctx, PQerrorMessage(c->pg));
            st = BW_E_TOOL;
        }
    }
    return st;
}

static bw_status simple(pg_conn *c, bw_sql_ctx *ctx, const char *sql)
{
    return collect(c, ctx, PQsendQuery(c->pg, sql) ? BW_OK : BW_E_IO, NULL, NULL);
}

static bool pg_ping(void *vc, int64_t deadline_ms)
{
    pg_conn *c = vc;
    bw_sql_ctx ctx = {.deadline_ms = deadline_ms, .timeout_ms = 0, .wake_fd = -1};
    return !pg_broken(c) && simple(c, &ctx, "SELECT 1") == BW_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

/* The session settings a lone configured statement runs under; one SET only when they differ from the last. */
static bw_status set_session(pg_conn *c, bw_sql_ctx *ctx, bool read_only, long long timeout_ms)
{
    if (c->session_read_only == (int)read_only && c->session_timeout == timeout_ms)
        return BW_OK;
    char sql[128];
    snprintf(sql, sizeof sql, "SET default_transaction_read_only = %s; SET statement_timeout = %lld",
             read_only ? "on" : "off", timeout_ms);
    bw_status st = simple(c, ctx, sql);
    c->session_read_only = st == BW_OK ? (int)read_only : -1;
    c->session_timeout = st == BW_OK ? timeout_ms : -1;
    return st;
}

static bw_status pg_begin(void *vc, bw_sql_ctx *ctx, const bw_sql_txn *txn)
{
    pg_conn *c = vc;
    /* The tool's own timeout (stable across calls) unless the call has less time left. */
    long long ms = ctx->timeout_ms > 0 ? (long long)ctx->timeout_ms : 1;
    if (!txn->multi && !txn->client)
        return set_session(c, ctx, txn->read_only, ms);
    char sql[128];
    snprintf(sql, sizeof sql, "BEGIN %s; SET LOCAL statement_timeout = %lld",
             txn->read_only ? "READ ONLY" : "READ WRITE", ms);
    return simple(c, ctx, sql);
}

static bw_status pg_end(void *vc, bw_sql_ctx *ctx, bool commit)
{
    pg_conn *c = vc;
    if (c->broken && commit) {
        snprintf(ctx->err, sizeof ctx->err, "the connection broke before COMMIT; nothing was committed");
        ctx->failure = BW_FAILURE_CONNECTION;
    }
    if (c->broken)
        return commit ? BW_E_TOOL : BW_OK;
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return BW_OK;
    /* Finishing must not be cancelled by the very deadline that may have ended the call. */
    bw_sql_ctx end = *ctx;
    end.call = NULL;
    end.deadline_ms = bw_clock_ms() + END_GRACE_MS;
    bw_status st = simple(c, &end, commit && PQtransactionStatus(c->pg) == PQTRANS_INTRANS ? "COMMIT" : "ROLLBACK");
    if (st != BW_OK) {
        memcpy(ctx->err, end.err, sizeof ctx->err);
        ctx->failure = end.failure;
    }
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        c->broken = true;
    return st;
}

/* ---- parameters ---- */

/* Text forms of the values (NULL for null), one malloc'd string each. */
static bw_status param_texts(bw_sql_ctx *ctx, const json_t *values, char **out)
{
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v)
    {
        char num[32];
        const char *text = NULL;
        char *dumped = NULL;
        if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(ctx->err, sizeof ctx->err, "parameter %zu contains a NUL character", i + 1);
            return BW_E_TOOL;
        }
        if (json_is_string(v))
            text = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), text = num;
        else if (json_is_real(v))
            snprintf(num, sizeof num, "%.17g", json_real_value(v)), text = num;
        else if (json_is_boolean(v))
            text = json_is_true(v) ? "true" : "false";
        else if (!json_is_null(v) && !(text = dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
            return BW_E_NOMEM;
        out[i] = text && !dumped ? strdup(text) : dumped;
        if (text && !out[i])
            return BW_E_NOMEM;
    }
    return BW_OK;
}

static void free_texts(char **texts, size_t n)
{
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
}

/* ---- values ---- */

static json_t *numeric_value(const char *s)
{
    char *end;
    errno = 0;
    long long ll = strtoll(s, &end, 10);
    if (end != s && !*end && errno == 0)
        return json_integer(ll);
    size_t digits = 0;
    bool nonzero = false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            continue;
        nonzero = nonzero || *p != '0';
        digits += nonzero;
    }
    double d = strtod(s, &end);
    /* A double holds 15 significant decimal digits exactly; beyond that the exact text is kept. */
    if (!*end && digits <= 15 && isfinite(d))
        return json_real(d);
    return json_string(s);
}

static json_t *cell_value(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    const char *s = PQgetvalue(r, row, col);
    size_t len = (size_t)PQgetlength(r, row, col);
    char *end;
    switch (PQftype(r, col)) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return json_integer(strtoll(s, &end, 10));
    case OID_FLOAT4:
    case OID_FLOAT8: {
        double d = strtod(s, &end);
        return isfinite(d) ? json_real(d) : json_string(s);
    }
    case OID_NUMERIC:
        return numeric_value(s);
    case OID_BOOL:
        return json_boolean(s[0] == 't');
    case OID_JSON:
    case OID_JSONB: {
        json_t *v = json_loadb(s, len, JSON_DECODE_ANY, NULL);
        return v ? v : bw_sql_text(s, len);
    }
    default:
        return bw_sql_text(s, len);
    }
}

typedef struct rows_state {
    bw_sql_exec *ex;
    size_t seen, bytes;
} rows_state;

static bw_status add_row(rows_state *rs, const PGresult *r)
{
    bw_sql_exec *ex = rs->ex;
    if (rs->seen++ < ex->skip)
        return BW_OK;
    if (json_array_size(ex->rows) >= ex->limit || rs->bytes > BW_SQL_RESULT_BYTES) {
        ex->more = true; /* the rest is read and dropped: the statement must complete (it may write) */
        return BW_OK;
    }
    json_t *row = json_object();
    for (int i = 0; row && i < PQnfields(r); i++) {
        json_t *v = cell_value(r, 0, i);
        rs->bytes += bw_sql_value_size(v);
        if (bw_sql_row_set(row, PQfname(r, i), v) != BW_OK) {
            json_decref(row);
            row = NULL;
        }
    }
    return json_array_append_new(ex->rows, row) ? BW_E_NOMEM : BW_OK;
}

static bool is_write_tag(const char *tag)
{
    static const char *const writes[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", NULL};
    for (const char *const *w = writes; *w; w++)
        if (!strncmp(tag, *w, strlen(*w)))
            return true;
    return false;
}

/* What a query reports. Anything else from client SQL (PREPARE, DEALLOCATE, COMMIT, SET ...) may have changed the
 * session beyond the reach of the ROLLBACK, e.g. replaced a cached prepared statement of a writing tool. */
static bool is_query_tag(const char *tag)
{
    static const char *const queries[] = {"SELECT", "SHOW", "EXPLAIN", NULL};
    for (const char *const *q = queries; *q; q++) {
        size_t n = strlen(*q);
        if (!strncmp(tag, *q, n) && (tag[n] == ' ' || tag[n] == '\0'))
            return true;
    }
    return false;
}

static bw_status on_rows(pg_conn *c, bw_sql_ctx *ctx, PGresult *r, void *arg)
{
    rows_state *rs = arg;
    bw_sql_exec *ex = rs->ex;
    ExecStatusType es = PQresultStatus(r);
    if (!json_array_size(ex->columns))
        for (int i = 0; i < PQnfields(r); i++)
            json_array_append_new(ex->columns, json_string(PQfname(r, i)));
    if (es == PGRES_SINGLE_TUPLE)
        return add_row(rs, r);
    if (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK) {
        const char *tag = PQcmdStatus(r);
        if (ex->client && !is_query_tag(tag)) {
            c->broken = true; /* the pool discards the connection, and the session with it */
            snprintf(ctx->err, sizeof ctx->err, "this tool runs read-only queries only; the statement would "
                                                "change the session");
            return BW_E_TOOL;
        }
        ex->writes = ex->writes || is_write_tag(tag);
        const char *n = PQcmdTuples(r);
        if (is_write_tag(tag) && *n)
            ex->affected = strtoll(n, NULL, 10);
    }
    return BW_OK;
}

/* The name of the server-side prepared statement for sql on this connection, preparing it when new; NULL when the
 * statement is not to be cached (then *st is BW_OK) or preparing failed (*st says why). */
static const char *prepared_name(pg_conn *c, bw_sql_ctx *ctx, const char *sql, bw_status *st)
{
    *st = BW_OK;
    const char *name = bw_sql_cache_get(&c->cache, sql);
    if (name || c->cache.cap == 0)
        return name;
    char *fresh = malloc(24);
    if (!fresh) {
        *st = BW_E_NOMEM;
        return NULL;
    }
    snprintf(fresh, 24, "bw_%u", ++c->next_name);
    *st = collect(c, ctx, PQsendPrepare(c->pg, fresh, sql, 0, NULL) ? BW_OK : BW_E_IO, NULL, NULL);
    void *evicted = NULL;
    if (*st != BW_OK || bw_sql_cache_put(&c->cache, sql, fresh, &evicted) != BW_OK) {
        free(fresh);
        return NULL;
    }
    if (evicted) {
        char dealloc[48];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", (char *)evicted);
        free(evicted);
        *st = simple(c, ctx, dealloc);
    }
    return *st == BW_OK ? fresh : NULL;
}

static bw_status send_exec(pg_conn *c, bw_sql_ctx *ctx, const bw_sql_exec *ex, char **texts, int n)
{
    int ok;
    if (ex->client) {
        /* The extended protocol runs exactly one statement: a string with several is refused by the server. */
        ok = PQsendQueryParams(c->pg, ex->sql, 0, NULL, NULL, NULL, NULL, 0);
    } else {
        bw_status st = BW_OK;
        const char *name = ex->cache ? prepared_name(c, ctx, ex->sql, &st) : NULL;
        if (st != BW_OK)
            return st;
        ok = name ? PQsendQueryPrepared(c->pg, name, n, (const char *const *)texts, NULL, NULL, 0)
                  : PQsendQueryParams(c->pg, ex->sql, n, NULL, (const char *const *)texts, NULL, NULL, 0);
    }
    if (ok)
        PQsetSingleRowMode(c->pg);
    return ok ? BW_OK : BW_E_IO;
}

static bw_status pg_exec(void *vc, bw_sql_ctx *ctx, bw_sql_exec *ex)
{
    pg_conn *c = vc;
    size_t n = json_array_size(ex->values);
    char **texts = calloc(n ? n : 1, sizeof *texts);
    ex->rows = json_array();
    ex->columns = json_array();
    if (!texts || !ex->rows || !ex->columns) {
        free(texts);
        return BW_E_NOMEM;
    }
    bw_status st = param_texts(ctx, ex->values, texts);
    if (st == BW_OK) {
        st = send_exec(c, ctx, ex, texts, (int)n);
        rows_state rs = {ex, 0, 0};
        if (st == BW_OK || st == BW_E_IO)
            st = collect(c, ctx, st, on_rows, &rs);
    }
    free_texts(texts, n);
    return st;
}

static bw_status on_describe(pg_conn *c, bw_sql_ctx *ctx, PGresult *r, void *arg)
{
    (void)c;
    (void)ctx;
    bw_sql_info *info = arg;
    info->n_params = PQnparams(r);
    for (int i = 0; i < PQnfields(r); i++)
        json_array_append_new(info->columns, json_string(PQfname(r, i)));
    return BW_OK;
}

static bw_status pg_describe(void *vc, const char *sql, bw_sql_info *info, char *err, size_t errlen)
{
    pg_conn *c = vc;
    bw_sql_ctx ctx = {.deadline_ms = bw_clock_ms() + 10000, .wake_fd = -1};
    *info = (bw_sql_info){.columns = json_array()};
    bw_status st = collect(c, &ctx, PQsendPrepare(c->pg, "", sql, 0, NULL) ? BW_OK : BW_E_IO, NULL, NULL);
    if (st == BW_OK)
        st = collect(c, &ctx, PQsendDescribePrepared(c->pg, "") ? BW_OK : BW_E_IO, on_describe, info);
    if (st != BW_OK)
        snprintf(err, errlen, "%s", ctx.err);
    return st;
}

const bw_sql_driver bw_sql_postgres_driver = {
    .connect = pg_connect,
    .close = pg_close,
    .ping = pg_ping,
    .broken = pg_broken,
    .begin = pg_begin,
    .exec = pg_exec,
    .end = pg_end,
    .describe = pg_describe,
};
