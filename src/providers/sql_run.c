/* Running an sql tool call: borrow a connection, bind the arguments, run the statements in one transaction,
 * shape the result. A connection found stale at the first command (e.g. after a database restart) is replaced and
 * the call retried once: nothing had run on it yet. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/policy.h"
#include "core/clock.h"
#include "observability/trace.h"
#include "providers/sql_pool.h"
#include "providers/sql_tool.h"

#define CLIENT_SQL_MAX (1024u * 1024)

typedef struct run {
    const bw_sql_tool *t;
    bw_call *call;
    const json_t *args;
    const char *client_sql;
    bw_sql_page page;
    bw_sql_ctx ctx;
    json_t **steps;    /* first row of each named step (NULL when none) */
    bw_sql_exec last;  /* the result of the last statement */
    bool retry_safe;    /* a failure on a stale connection changed nothing: one retry on a fresh one is safe */
    bool no_connection; /* the pool gave none: ctx.err is the pool's message, which names the database */
} run;

/* Runs on the cancelling thread: wakes the handler's wait (see bw_sql_pool_wake_fd for the descriptor's life). */
static void wake(void *user)
{
    uint64_t one = 1;
    ssize_t n = write((int)(intptr_t)user, &one, sizeof one);
    (void)n; /* a full counter already wakes the reader */
}

static void clear_results(run *r)
{
    for (size_t i = 0; r->steps && i < r->t->n_stmts; i++) {
        json_decref(r->steps[i]);
        r->steps[i] = NULL;
    }
    json_decref(r->last.rows);
    json_decref(r->last.columns);
    r->last = (bw_sql_exec){0};
}

static void set_error(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(run *r, const char *fmt, ...)
{
    char text[BW_SQL_ERRLEN + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    bw_result_set_error(bw_call_result(r->call), text);
}

/* The page, the client's SQL and the step table; false with a tool error set when the arguments do not fit. */
static bool prepare_run(run *r)
{
    const bw_sql_tool *t = r->t;
    if (t->page_size && !bw_sql_cursor_decode(t, json_object_get(r->args, "cursor"), &r->page.offset)) {
        set_error(r, "invalid cursor: pass the next_cursor value of the previous page unchanged, or no cursor for "
                     "the first page");
        return false;
    }
    size_t room = r->page.offset < (size_t)t->max_rows ? (size_t)t->max_rows - r->page.offset : 0;
    r->page.limit = t->mode == BW_SQL_RESULT_ROW        ? 1
                    : t->mode == BW_SQL_RESULT_AFFECTED ? 0
                    : t->page_size && (size_t)t->page_size < room ? (size_t)t->page_size
                                                                  : room;
    if (t->query_arg) {
        const json_t *q = json_object_get(r->args, t->query_arg);
        r->client_sql = json_string_value(q);
        if (!r->client_sql || !*r->client_sql || json_string_length(q) > CLIENT_SQL_MAX ||
            strlen(r->client_sql) != json_string_length(q)) {
            set_error(r, "argument '%s' must be one SQL statement (a non-empty string of at most %u bytes)",
                      t->query_arg, CLIENT_SQL_MAX);
            return false;
        }
    }
    r->steps = calloc(t->n_stmts ? t->n_stmts : 1, sizeof *r->steps);
    if (!r->steps)
        set_error(r, "out of memory");
    return r->steps != NULL;
}

/* The values of statement s's placeholders, in parameter order (missing arguments and columns bind NULL). */
static json_t *bind_values(const run *r, const bw_sql_stmt *s)
{
    json_t *vals = json_array();
    for (size_t k = 0; vals && k < s->parsed.n_refs; k++) {
        const bw_sql_ref *ref = &s->parsed.refs[k];
        json_t *v = s->ref_step[k] < 0 ? json_object_get(r->args, ref->name)
                                       : json_object_get(r->steps[s->ref_step[k]], ref->column);
        if (json_array_append(vals, v ? v : json_null()) != 0) {
            json_decref(vals);
            vals = NULL;
        }
    }
    return vals;
}

/* ---- a CLIENT span per statement (OpenTelemetry database conventions) ---- */

/* The statement's first keyword, upper-cased (SELECT, INSERT, WITH ...), or "" when it does not start with one. */
static void operation_of(const char *sql, char out[16])
{
    while (isspace((unsigned char)*sql) || *sql == '(')
        sql++;
    size_t n = 0;
    while (n < 15 && isalpha((unsigned char)sql[n])) {
        out[n] = (char)toupper((unsigned char)sql[n]);
        n++;
    }
    out[isalpha((unsigned char)sql[n]) ? 0 : n] = '\0'; /* a longer word is no keyword we know */
}

/* Starts the statement's span (NULL when the request is not recorded). The text of a configured statement is
 * recorded as written, with its placeholders (the bound values never are); SQL written by the client is not: it may
 * hold literal values, so only its operation is. */
static bw_span *stmt_begin(run *r, const char *sql, bool client)
{
    bw_span *parent = bw_call_span(r->call);
    if (!parent)
        return NULL;
    char op[16], name[200];
    operation_of(sql, op);
    snprintf(name, sizeof name, "%s %s", op[0] ? op : "SQL", r->t->db->name);
    bw_span *s = bw_span_child(parent, name, BW_SPAN_CLIENT);
    const char *system = r->t->db->dialect == BW_SQL_DIALECT_POSTGRES ? "postgresql" : "sqlite";
    bw_span_set_str(s, "db.system.name", system);
    bw_span_set_str(s, "db.system", system); /* the name before semantic conventions 1.30, still widely read */
    bw_span_set_str(s, "db.namespace", r->t->db->name);
    if (op[0])
        bw_span_set_str(s, "db.operation.name", op);
    if (!client)
        bw_span_set_str(s, "db.query.text", sql);
    r->ctx.code[0] = '\0';
    return s;
}

static void stmt_end(run *r, bw_span *s, bw_status st, const bw_sql_exec *ex)
{
    if (!s)
        return;
    if (st == BW_OK) {
        if (ex->rows)
            bw_span_set_int(s, "db.response.returned_rows", (int64_t)json_array_size(ex->rows));
        if (ex->writes)
            bw_span_set_int(s, "bulwark.db.affected_rows", ex->affected);
    } else {
        if (r->ctx.code[0])
            bw_span_set_str(s, "db.response.status_code", r->ctx.code);
        const char *type = st == BW_E_TIMEOUT ? "timeout" : st == BW_E_CANCELLED ? "cancelled" : r->ctx.code[0] ? r->ctx.code : "_OTHER";
        bw_span_set_error(s, type, r->ctx.err); /* the driver's message, with bound values already masked */
    }
    bw_span_end(s);
}

static bw_status exec_stmt(run *r, void *conn, size_t i)
{
    const bw_sql_stmt *s = &r->t->stmts[i];
    bool last = i + 1 == r->t->n_stmts;
    json_t *vals = bind_values(r, s);
    if (!vals)
        return BW_E_NOMEM;
    bw_sql_exec ex = {.sql = s->parsed.sql, .cache = true, .values = vals, .skip = last ? r->page.offset : 0,
                      .limit = last ? r->page.limit : 1};
    r->ctx.redact = vals;
    bw_span *span = stmt_begin(r, s->parsed.sql, false);
    bw_status st = r->t->db->drv->exec(conn, &r->ctx, &ex);
    stmt_end(r, span, st, &ex);
    r->ctx.redact = NULL;
    json_decref(vals);
    if (last) {
        r->last = ex;
        return st;
    }
    if (s->step)
        r->steps[i] = json_incref(json_array_get(ex.rows, 0));
    json_decref(ex.rows);
    json_decref(ex.columns);
    return st;
}

static bw_status run_statements(run *r, void *conn)
{
    const bw_sql_tool *t = r->t;
    const bw_sql_driver *drv = t->db->drv;
    bw_sql_txn txn = {.read_only = t->read_only, .writes = t->writes, .multi = t->n_stmts > 1,
                      .client = t->query_arg != NULL};
    bw_status st = drv->begin(conn, &r->ctx, &txn);
    if (st != BW_OK) {
        r->retry_safe = true;
        (void)drv->end(conn, &r->ctx, false);
        return st;
    }
    if (r->client_sql) {
        r->last = (bw_sql_exec){.sql = r->client_sql, .client = true, .skip = r->page.offset,
                                .limit = r->page.limit};
        bw_span *span = stmt_begin(r, r->client_sql, true);
        st = drv->exec(conn, &r->ctx, &r->last);
        stmt_end(r, span, st, &r->last);
    }
    for (size_t i = 0; st == BW_OK && i < t->n_stmts; i++)
        st = exec_stmt(r, conn, i);
    /* A lone read-only statement that failed on a broken connection changed nothing: safe to run again. */
    if (st != BW_OK && t->read_only && !r->client_sql && t->n_stmts == 1)
        r->retry_safe = true;
    /* Client-written SQL is never committed: whatever it changed in the session (SET ...) is rolled back too. */
    bw_sql_ctx keep = r->ctx;
    bw_status end = drv->end(conn, &r->ctx, st == BW_OK && !r->client_sql);
    if (st != BW_OK)
        r->ctx = keep; /* report the statement's failure, not the rollback's */
    return st != BW_OK ? st : end;
}

/* One attempt on one borrowed connection. *retry: the connection was stale before anything ran. */
static bw_status attempt(run *r, bool *retry)
{
    const bw_sql_tool *t = r->t;
    bw_sql_pool *pool = t->db->pool;
    bw_sql_lease lease;
    bw_status st = bw_sql_pool_acquire(pool, bw_call_deadline_ms(r->call), &lease, r->ctx.err, sizeof r->ctx.err);
    if (st != BW_OK) {
        r->no_connection = true;
        return st;
    }
    int64_t left = bw_call_remaining_ms(r->call);
    r->ctx.timeout_ms = t->timeout_ms < left ? t->timeout_ms : left;
    r->ctx.deadline_ms = bw_clock_ms() + r->ctx.timeout_ms;
    r->ctx.wake_fd = bw_sql_pool_wake_fd(pool, &lease);
    if (r->ctx.wake_fd >= 0) {
        uint64_t stale;
        while (read(r->ctx.wake_fd, &stale, sizeof stale) > 0)
            ; /* a late wake-up meant for an earlier call on this slot */
        bw_call_on_cancel(r->call, wake, (void *)(intptr_t)r->ctx.wake_fd);
    }
    st = run_statements(r, lease.conn);
    if (r->ctx.wake_fd >= 0)
        bw_call_on_cancel(r->call, NULL, NULL);
    *retry = st != BW_OK && r->retry_safe && lease.reused && t->db->drv->broken(lease.conn);
    bw_sql_pool_release(pool, &lease);
    return st;
}

/* What kind of failure ended the call, for the reliability policy (bulwark/policy.h). */
static bw_failure failure_of(const run *r, bw_status st)
{
    if (r->no_connection) /* the pool had none free (its wait timed out), or a new one could not be opened */
        return st == BW_E_TIMEOUT ? BW_FAILURE_UNAVAILABLE : st == BW_E_TOOL ? BW_FAILURE_CONNECTION
                                                                             : BW_FAILURE_PERMANENT;
    if (r->ctx.failure != BW_FAILURE_NONE)
        return r->ctx.failure;
    if (st == BW_E_TIMEOUT || (st == BW_E_CANCELLED && bw_call_remaining_ms(r->call) == 0))
        return BW_FAILURE_TIMEOUT;
    /* A client's cancellation is nobody's fault: the call gets no answer anyway. */
    return st == BW_E_CANCELLED ? BW_FAILURE_NONE : BW_FAILURE_PERMANENT;
}

bw_status bw_sql_tool_call(bw_call *call, const json_t *args, void *user)
{
    run r = {.t = user, .call = call, .args = args, .ctx = {.call = call, .wake_fd = -1}};
    if (!prepare_run(&r)) {
        bw_call_set_failure(call, BW_FAILURE_PERMANENT);
        free(r.steps);
        return BW_OK;
    }
    bool retry = false;
    bw_status st = attempt(&r, &retry);
    if (retry) {
        clear_results(&r);
        r.ctx = (bw_sql_ctx){.call = call, .wake_fd = -1};
        r.retry_safe = false;
        st = attempt(&r, &retry);
    }
    if (st != BW_OK)
        bw_call_set_failure(call, failure_of(&r, st));
    if (st == BW_OK)
        bw_sql_respond(call, r.t, &r.page, &r.last);
    else if (r.no_connection)
        set_error(&r, "%s", r.ctx.err);
    else if (st == BW_E_NOMEM)
        set_error(&r, "database '%s': out of memory", r.t->db->name);
    else
        set_error(&r, "database '%s': %s", r.t->db->name, r.ctx.err);
    clear_results(&r);
    free(r.steps);
    return BW_OK;
}
