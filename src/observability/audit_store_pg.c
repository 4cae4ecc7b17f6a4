/* The PostgreSQL audit trail (see audit_store.h): several replicas append to one chain. The chain head lives in a
 * one-row table; every append transaction locks that row (SELECT ... FOR UPDATE) before reading the head, so
 * appends from all replicas are serialised and the chain never forks. Tables are created on first use under a
 * transaction-level advisory lock (replicas starting together do not race on CREATE TABLE).
 *
 * A trigger refuses UPDATE and DELETE unless the transaction set bulwark.audit_prune (the retention path): a guard
 * against accidents, not a security boundary — verification never relies on it. Only bound parameters reach SQL.
 * Reading (verify, export) goes through a cursor, so a large trail is never held in memory at once. */
#include "observability/audit_store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errf.h"

#define FETCH_SQL "FETCH 500 FROM bulwark_audit_scan"
/* The advisory lock key serialising schema creation between replicas ("bulwark audit"). */
#define SCHEMA_LOCK_SQL "SELECT pg_advisory_xact_lock(7238915)"
#define CONNECT_TIMEOUT_S "5" /* unless the connection string says otherwise */

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS bulwark_audit ("
    " seq BIGINT PRIMARY KEY, time TEXT NOT NULL, event TEXT NOT NULL, request_id TEXT, session_id TEXT,"
    " identity TEXT, client_name TEXT, client_version TEXT, remote_addr TEXT, user_agent TEXT, method TEXT,"
    " target TEXT, args_sha256 TEXT, arguments TEXT, outcome TEXT, error_type TEXT, duration_us BIGINT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS bulwark_audit_time ON bulwark_audit (time);"
    /* No index on hash (random keys, a random page per append); it is looked up only to explain a broken link. */
    "DROP INDEX IF EXISTS bulwark_audit_hash;"
    "CREATE TABLE IF NOT EXISTS bulwark_audit_checkpoint ("
    " seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, time TEXT NOT NULL, count BIGINT NOT NULL,"
    " signature TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS bulwark_audit_head ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);"
    "INSERT INTO bulwark_audit_head VALUES (1, 0, '" BW_AUDIT_GENESIS "') ON CONFLICT DO NOTHING;"
    "CREATE OR REPLACE FUNCTION bulwark_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  IF TG_OP = 'DELETE' AND current_setting('bulwark.audit_prune', true) = 'on' THEN RETURN OLD; END IF;"
    "  RAISE EXCEPTION 'audit records are append-only (removed only by retention: bulwark audit prune)';"
    " END $$;"
    "CREATE OR REPLACE TRIGGER bulwark_audit_append_only BEFORE UPDATE OR DELETE ON bulwark_audit"
    " FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();"
    "CREATE OR REPLACE TRIGGER bulwark_audit_checkpoint_append_only BEFORE UPDATE OR DELETE"
    " ON bulwark_audit_checkpoint FOR EACH ROW EXECUTE FUNCTION bulwark_audit_append_only();";

typedef struct pg_store {
    bw_audit_store base;
    PGconn *conn;
    char *insert_sql;
    char *select_sql;
    int64_t last_seq;             /* the head after the inserts of the open transaction */
    char last_hash[BW_AUDIT_HASH_HEX + 1];
} pg_store;

/* libpq's message without its trailing newline (it never contains the password). */
static bw_status pg_fail(pg_store *s, const char *what, char *err, size_t errlen)
{
    const char *m = PQerrorMessage(s->conn);
    int n = (int)strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    bw_errf(err, errlen, "audit trail (PostgreSQL): %s: %.*s", what, n, m);
    return BW_E_IO;
}

/* Runs a statement with text parameters; true when it returned `want`. The result is cleared unless out. */
static bool exec_params(pg_store *s, const char *sql, int n, const char *const *params, ExecStatusType want,
                        PGresult **out)
{
    PGresult *r = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
    bool ok = r && PQresultStatus(r) == want;
    if (out && ok)
        *out = r;
    else
        PQclear(r);
    return ok;
}

static bool run(pg_store *s, const char *sql)
{
    return exec_params(s, sql, 0, NULL, PGRES_COMMAND_OK, NULL);
}

static void pg_close(bw_audit_store *base)
{
    pg_store *s = (pg_store *)base;
    PQfinish(s->conn);
    free(s->insert_sql);
    free(s->select_sql);
    free(s);
}

/* ---- appending ---- */

static bw_status pg_begin(bw_audit_store *base, int64_t *seq, char *head, char *err, size_t errlen)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    if (!run(s, "BEGIN") ||
        !exec_params(s, "SELECT seq, hash FROM bulwark_audit_head WHERE id = 1 FOR UPDATE", 0, NULL,
                     PGRES_TUPLES_OK, &r) || PQntuples(r) != 1) {
        bw_status e = pg_fail(s, "cannot lock the chain head", err, errlen);
        PQclear(r);
        run(s, "ROLLBACK");
        return e;
    }
    *seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(head, BW_AUDIT_HASH_HEX + 1, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    s->last_seq = *seq;
    memcpy(s->last_hash, head, sizeof s->last_hash);
    return BW_OK;
}

/* The text of a member as stored (NULL for null); *owned is set when the caller must free it. */
/* json_text: the canonical text of v for a JSON field (computed once by the store's caller). */
static const char *member_text(const bw_audit_field *f, const json_t *v, const char *json_text, char *num,
                               size_t numcap)
{
    if (!v || json_is_null(v))
        return NULL;
    if (f->type == BW_AF_TEXT)
        return json_string_value(v);
    if (f->type == BW_AF_INT) {
        snprintf(num, numcap, "%lld", (long long)json_integer_value(v));
        return num;
    }
    return json_text;
}

static bw_status pg_insert(bw_audit_store *base, int64_t seq, const json_t *rec, const char *arguments_text,
                           const char *hash, char *err, size_t errlen)
{
    pg_store *s = (pg_store *)base;
    enum { MAXF = 32 };
    const char *params[MAXF + 2];
    char nums[MAXF][24], seqtext[24];
    snprintf(seqtext, sizeof seqtext, "%lld", (long long)seq);
    params[0] = seqtext;
    for (size_t i = 0; i < bw_audit_nfields && i < MAXF; i++) {
        const bw_audit_field *f = &bw_audit_fields[i];
        params[i + 1] = member_text(f, json_object_get(rec, f->name), f->type == BW_AF_JSON ? arguments_text : NULL,
                                    nums[i], sizeof nums[i]);
    }
    params[bw_audit_nfields + 1] = hash;
    bool ok = exec_params(s, s->insert_sql, (int)bw_audit_nfields + 2, params, PGRES_COMMAND_OK, NULL);
    if (!ok)
        return pg_fail(s, "cannot insert a record", err, errlen);
    s->last_seq = seq;
    snprintf(s->last_hash, sizeof s->last_hash, "%s", hash);
    return BW_OK;
}

static bw_status pg_commit(bw_audit_store *base, char *err, size_t errlen)
{
    pg_store *s = (pg_store *)base;
    char seqtext[24];
    snprintf(seqtext, sizeof seqtext, "%lld", (long long)s->last_seq);
    const char *params[2] = {seqtext, s->last_hash};
    if (exec_params(s, "UPDATE bulwark_audit_head SET seq = $1::bigint, hash = $2 WHERE id = 1", 2, params,
                    PGRES_COMMAND_OK, NULL) && run(s, "COMMIT"))
        return BW_OK;
    bw_status e = pg_fail(s, "cannot commit", err, errlen);
    run(s, "ROLLBACK");
    return e;
}

static void pg_rollback(bw_audit_store *base)
{
    run((pg_store *)base, "ROLLBACK");
}

/* ---- reading ---- */

static json_t *row_record(PGresult *r, int row, bool *encoding_ok)
{
    json_t *rec = json_object();
    if (!rec)
        return NULL;
    *encoding_ok = true;
    json_object_set_new(rec, "seq", json_integer(strtoll(PQgetvalue(r, row, 0), NULL, 10)));
    for (size_t i = 0; i < bw_audit_nfields; i++) {
        int col = (int)i + 1;
        const char *text = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
        json_object_set_new(rec, bw_audit_fields[i].name, bw_audit_field_from_text(&bw_audit_fields[i], text,
                                                                                   encoding_ok));
    }
    json_object_set_new(rec, "hash", json_string(PQgetvalue(r, row, (int)bw_audit_nfields + 1)));
    return rec;
}

/* Feeds one fetched block to fn. false: stop (fn said so, or no memory: *st set). */
static bool feed(PGresult *r, bw_audit_scan_fn fn, void *user, bw_status *st)
{
    for (int i = 0; i < PQntuples(r); i++) {
        bool ok;
        json_t *rec = row_record(r, i, &ok);
        if (!rec) {
            *st = BW_E_NOMEM;
            return false;
        }
        bool more = fn(user, rec, ok);
        json_decref(rec);
        if (!more)
            return false;
    }
    return true;
}

static bw_status pg_scan(bw_audit_store *base, const char *since, const char *until, bw_audit_scan_fn fn,
                         void *user, char *err, size_t errlen)
{
    pg_store *s = (pg_store *)base;
    const char *params[2] = {since, until};
    if (!run(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") ||
        !exec_params(s, s->select_sql, 2, params, PGRES_COMMAND_OK, NULL)) {
        bw_status e = pg_fail(s, "cannot read the records", err, errlen);
        run(s, "ROLLBACK");
        return e;
    }
    bw_status st = BW_OK;
    for (;;) {
        PGresult *r = NULL;
        if (!exec_params(s, FETCH_SQL, 0, NULL, PGRES_TUPLES_OK, &r)) {
            st = pg_fail(s, "cannot read the records", err, errlen);
            break;
        }
        bool more = PQntuples(r) > 0 && feed(r, fn, user, &st);
        PQclear(r);
        if (!more)
            break;
    }
    run(s, "ROLLBACK"); /* read only: nothing to keep; closes the cursor */
    return st;
}

static int64_t pg_seq_of_hash(bw_audit_store *base, const char *hash)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    const char *params[1] = {hash};
    int64_t seq = -1;
    if (exec_params(s, "SELECT seq FROM bulwark_audit WHERE hash = $1 ORDER BY seq LIMIT 1", 1, params,
                    PGRES_TUPLES_OK, &r) && PQntuples(r) == 1)
        seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return seq;
}

static bw_status pg_checkpoint(bw_audit_store *base, bw_audit_checkpoint *cp, bool *found, char *err, size_t errlen)
{
    pg_store *s = (pg_store *)base;
    PGresult *r = NULL;
    if (!exec_params(s, "SELECT seq, hash, time, count, signature FROM bulwark_audit_checkpoint "
                        "ORDER BY seq DESC LIMIT 1", 0, NULL, PGRES_TUPLES_OK, &r))
        return pg_fail(s, "cannot read the checkpoint", err, errlen);
    *found = PQntuples(r) == 1;
    if (*found) {
        memset(cp, 0, sizeof *cp);
        cp->seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(cp->hash, sizeof cp->hash, "%s", PQgetvalue(r, 0, 1));
        snprintf(cp->time, sizeof cp->time, "%s", PQgetvalue(r, 0, 2));
        cp->count = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        snprintf(cp->signature, sizeof cp->signature, "%s", PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return BW_OK;
}

/* ---- retention ---- */

static bool prune_bound(pg_store *s, const char *before, bw_audit_checkpoint *cp)
{
    PGresult *r = NULL;
    const char *params[1] = {before};
    const char *sql = "SELECT seq, hash, (SELECT count(*) FROM bulwark_audit a2 WHERE a2.seq <= a.seq) "
                      "FROM bulwark_audit a WHERE seq < coalesce((SELECT min(seq) FROM bulwark_audit "
                      "WHERE time >= $1), (SELECT max(seq) + 1 FROM bulwark_audit)) ORDER BY seq DESC LIMIT 1";
    if (!exec_params(s, sql, 1, params, PGRES_TUPLES_OK, &r))
        return false;
    cp->seq = 0;
    if (PQntuples(r) == 1) {
        cp->seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(cp->hash, sizeof cp->hash, "%s", PQgetvalue(r, 0, 1));
        cp->count = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    }
    PQclear(r);
    return true;
}

static bool remove_and_record(pg_store *s, const bw_audit_checkpoint *cp)
{
    char seqtext[24], counttext[24];
    snprintf(seqtext, sizeof seqtext, "%lld", (long long)cp->seq);
    snprintf(counttext, sizeof counttext, "%lld", (long long)cp->count);
    const char *del[1] = {seqtext};
    const char *ins[5] = {seqtext, cp->hash, cp->time, counttext, cp->signature};
    return run(s, "SET LOCAL bulwark.audit_prune = 'on'") &&
           exec_params(s, "DELETE FROM bulwark_audit WHERE seq <= $1::bigint", 1, del, PGRES_COMMAND_OK, NULL) &&
           exec_params(s, "INSERT INTO bulwark_audit_checkpoint (seq, hash, time, count, signature) "
                          "VALUES ($1::bigint, $2, $3, $4::bigint, $5)", 5, ins, PGRES_COMMAND_OK, NULL);
}

static bw_status pg_prune(bw_audit_store *base, const char *before, bw_audit_checkpoint *cp,
                          bool (*sign)(bw_audit_checkpoint *, void *), void *sign_user, int64_t *removed, char *err,
                          size_t errlen)
{
    pg_store *s = (pg_store *)base;
    *removed = 0;
    int64_t seq;
    char head[BW_AUDIT_HASH_HEX + 1];
    bw_status st = pg_begin(base, &seq, head, err, errlen); /* serialised with every appending replica */
    if (st != BW_OK)
        return st;
    if (!prune_bound(s, before, cp)) {
        st = pg_fail(s, "cannot find the records to prune", err, errlen);
    } else if (cp->seq == 0) {
        run(s, "ROLLBACK");
        return BW_OK;
    } else if (!sign(cp, sign_user)) {
        bw_errf(err, errlen, "audit trail: cannot sign the checkpoint");
        st = BW_E_INTERNAL;
    } else if (!remove_and_record(s, cp) || !run(s, "COMMIT")) {
        st = pg_fail(s, "cannot prune", err, errlen);
    } else {
        *removed = cp->count;
        return BW_OK;
    }
    run(s, "ROLLBACK");
    return st;
}

/* ---- opening ---- */

static const bw_audit_store_ops pg_ops = {
    .begin = pg_begin, .insert = pg_insert, .commit = pg_commit, .rollback = pg_rollback, .scan = pg_scan,
    .seq_of_hash = pg_seq_of_hash, .checkpoint = pg_checkpoint, .prune = pg_prune, .close = pg_close,
};

/* "INSERT INTO bulwark_audit (seq, <fields>, hash) VALUES ($1::bigint, ..., $N)" and the cursor of a scan. */
static bool build_sql(pg_store *s)
{
    size_t cap = 2048;
    s->insert_sql = malloc(cap);
    s->select_sql = malloc(cap);
    if (!s->insert_sql || !s->select_sql)
        return false;
    size_t n = (size_t)snprintf(s->insert_sql, cap, "INSERT INTO bulwark_audit (seq");
    size_t m = (size_t)snprintf(s->select_sql, cap, "DECLARE bulwark_audit_scan NO SCROLL CURSOR FOR SELECT seq");
    for (size_t i = 0; i < bw_audit_nfields; i++) {
        n += (size_t)snprintf(s->insert_sql + n, cap - n, ", %s", bw_audit_fields[i].name);
        m += (size_t)snprintf(s->select_sql + m, cap - m, ", %s", bw_audit_fields[i].name);
    }
    n += (size_t)snprintf(s->insert_sql + n, cap - n, ", hash) VALUES ($1::bigint");
    for (size_t i = 0; i < bw_audit_nfields; i++)
        n += (size_t)snprintf(s->insert_sql + n, cap - n, bw_audit_fields[i].type == BW_AF_INT ? ", $%zu::bigint"
                                                                                                : ", $%zu", i + 2);
    snprintf(s->insert_sql + n, cap - n, ", $%zu)", bw_audit_nfields + 2);
    snprintf(s->select_sql + m, cap - m, ", hash FROM bulwark_audit WHERE ($1::text IS NULL OR time >= $1) "
                                         "AND ($2::text IS NULL OR time < $2) ORDER BY seq");
    return true;
}

static bool create_schema(pg_store *s)
{
    if (!run(s, "BEGIN") || !exec_params(s, SCHEMA_LOCK_SQL, 0, NULL, PGRES_TUPLES_OK, NULL)) {
        run(s, "ROLLBACK");
        return false;
    }
    PGresult *r = PQexec(s->conn, schema);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok && run(s, "COMMIT"))
        return true;
    run(s, "ROLLBACK");
    return false;
}

/* Server notices (e.g. "relation already exists, skipping") would go to stderr as free text, breaking the JSON log
 * lines: they carry nothing an operator needs. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static bool is_trail(pg_store *s)
{
    PGresult *r = NULL;
    bool ok = exec_params(s, "SELECT to_regclass('bulwark_audit') IS NOT NULL AND "
                             "to_regclass('bulwark_audit_checkpoint') IS NOT NULL", 0, NULL, PGRES_TUPLES_OK, &r) &&
              PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    return ok;
}

bw_audit_store *bw_audit_pg_open(const char *conninfo, bool create, char *err, size_t errlen)
{
    pg_store *s = calloc(1, sizeof *s);
    if (!s) {
        bw_errf(err, errlen, "audit trail: out of memory");
        return NULL;
    }
    s->base.ops = &pg_ops;
    /* connect_timeout first: a value in the connection string, expanded after it, wins. */
    const char *const keys[] = {"connect_timeout", "dbname", NULL};
    const char *const values[] = {CONNECT_TIMEOUT_S, conninfo, NULL};
    s->conn = PQconnectdbParams(keys, values, 1);
    bool ok = s->conn && PQstatus(s->conn) == CONNECTION_OK;
    if (ok)
        PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    if (!ok)
        pg_fail(s, "cannot connect", err, errlen);
    else if (!build_sql(s))
        bw_errf(err, errlen, "audit trail: out of memory");
    else if (create && !create_schema(s))
        pg_fail(s, "cannot create the tables", err, errlen);
    else if (!create && !is_trail(s))
        bw_errf(err, errlen, "audit trail (PostgreSQL): the database has no audit trail (table bulwark_audit)");
    else
        return &s->base;
    pg_close(&s->base);
    return NULL;
}
