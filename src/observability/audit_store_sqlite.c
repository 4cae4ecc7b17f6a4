/* The SQLite audit trail (see audit_store.h): one table of records keyed by seq, one of checkpoints, WAL mode, a
 * file created 0600. Triggers refuse UPDATE and DELETE except the retention path (which flips a guard row inside
 * its own transaction) — a guard against accidents, not a security boundary: verification never relies on them. */
#include "observability/audit_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/errf.h"
#include "core/sqlite_wal.h"
#include "reliability/result_cache.h"

#define BUSY_TIMEOUT_MS 5000

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS audit ("
    " seq INTEGER PRIMARY KEY, time TEXT NOT NULL, event TEXT NOT NULL, request_id TEXT, session_id TEXT,"
    " identity TEXT, client_name TEXT, client_version TEXT, remote_addr TEXT, user_agent TEXT, method TEXT,"
    " target TEXT, args_sha256 TEXT, arguments TEXT, outcome TEXT, error_type TEXT, duration_us INTEGER,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit (time);"
    /* No index on hash: its keys are random, so every append dirtied (and often re-read) a random index page; the
     * hash is looked up only to explain a broken link in `audit verify` (one scan). Trails made before drop it. */
    "DROP INDEX IF EXISTS audit_hash;"
    "CREATE TABLE IF NOT EXISTS audit_checkpoint ("
    " seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, time TEXT NOT NULL, count INTEGER NOT NULL,"
    " signature TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit_guard (id INTEGER PRIMARY KEY CHECK (id = 1), pruning INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO audit_guard VALUES (1, 0);"
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
    " WHEN (SELECT pruning FROM audit_guard WHERE id = 1) = 0"
    " BEGIN SELECT RAISE(ABORT, 'audit records are removed only by retention (bulwark audit prune)'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_change BEFORE UPDATE ON audit_checkpoint"
    " BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint"
    " BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;";

enum { Q_INSERT, Q_HEAD, Q_CP_LATEST, Q_SEQ_OF_HASH, Q_COUNT };

typedef struct sqlite_store {
    bw_audit_store base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
} sqlite_store;

static bw_status db_fail(sqlite_store *s, const char *what, char *err, size_t errlen)
{
    bw_errf(err, errlen, "audit trail: %s: %s", what, sqlite3_errmsg(s->db));
    return BW_E_IO;
}

/* "INSERT INTO audit (seq, <fields>, hash) VALUES (?1, ..., ?N)" built from the field table. */
static char *insert_sql(void)
{
    size_t cap = 1024;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(sql, cap, "INSERT INTO audit (seq");
    for (size_t i = 0; i < bw_audit_nfields; i++)
        n += (size_t)snprintf(sql + n, cap - n, ", %s", bw_audit_fields[i].name);
    n += (size_t)snprintf(sql + n, cap - n, ", hash) VALUES (?1");
    for (size_t i = 0; i < bw_audit_nfields + 1; i++)
        n += (size_t)snprintf(sql + n, cap - n, ", ?%zu", i + 2);
    snprintf(sql + n, cap - n, ")");
    return sql;
}

static bool prepare_all(sqlite_store *s)
{
    char *ins = insert_sql();
    const char *sql[Q_COUNT] = {
        [Q_INSERT] = ins,
        [Q_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
        [Q_CP_LATEST] = "SELECT seq, hash, time, count, signature FROM audit_checkpoint ORDER BY seq DESC LIMIT 1",
        [Q_SEQ_OF_HASH] = "SELECT seq FROM audit WHERE hash = ?1 ORDER BY seq LIMIT 1",
    };
    bool ok = ins != NULL;
    for (int i = 0; ok && i < Q_COUNT; i++)
        ok = sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL) == SQLITE_OK;
    free(ins);
    return ok;
}

static void sqlite_close(bw_audit_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    free(s);
}

/* ---- appending ---- */

static bool run(sqlite_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

static bw_status latest_checkpoint(sqlite_store *s, bw_audit_checkpoint *cp, bool *found, char *err, size_t errlen);

static bw_status sqlite_begin(bw_audit_store *base, int64_t *seq, char *head, char *err, size_t errlen)
{
    sqlite_store *s = (sqlite_store *)base;
    if (!run(s, "BEGIN IMMEDIATE"))
        return db_fail(s, "cannot begin a write", err, errlen);
    sqlite3_stmt *st = s->q[Q_HEAD];
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        snprintf(head, BW_AUDIT_HASH_HEX + 1, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return BW_OK;
    if (rc != SQLITE_DONE) {
        bw_status e = db_fail(s, "cannot read the chain head", err, errlen);
        run(s, "ROLLBACK");
        return e;
    }
    bw_audit_checkpoint cp;
    bool found = false;
    bw_status st2 = latest_checkpoint(s, &cp, &found, err, errlen);
    if (st2 != BW_OK) {
        run(s, "ROLLBACK");
        return st2;
    }
    *seq = found ? cp.seq : 0;
    snprintf(head, BW_AUDIT_HASH_HEX + 1, "%s", found ? cp.hash : BW_AUDIT_GENESIS);
    return BW_OK;
}

/* json_text: the canonical text of v for a JSON field (the store's caller computed it once). The texts stay valid
 * until the step: bound without a copy. */
static int bind_field(sqlite3_stmt *st, int idx, const bw_audit_field *f, const json_t *v, const char *json_text)
{
    if (!v || json_is_null(v))
        return sqlite3_bind_null(st, idx);
    if (f->type == BW_AF_INT)
        return sqlite3_bind_int64(st, idx, json_integer_value(v));
    if (f->type == BW_AF_TEXT)
        return sqlite3_bind_text(st, idx, json_string_value(v), (int)json_string_length(v), SQLITE_STATIC);
    return json_text ? sqlite3_bind_text(st, idx, json_text, -1, SQLITE_STATIC) : SQLITE_NOMEM;
}

static bw_status sqlite_insert(bw_audit_store *base, int64_t seq, const json_t *rec, const char *arguments_text,
                               const char *hash, char *err, size_t errlen)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->q[Q_INSERT];
    int rc = sqlite3_bind_int64(st, 1, seq);
    for (size_t i = 0; rc == SQLITE_OK && i < bw_audit_nfields; i++)
        rc = bind_field(st, (int)i + 2, &bw_audit_fields[i], json_object_get(rec, bw_audit_fields[i].name),
                        bw_audit_fields[i].type == BW_AF_JSON ? arguments_text : NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, (int)bw_audit_nfields + 2, hash, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? BW_OK : db_fail(s, "cannot insert a record", err, errlen);
}

static bw_status sqlite_commit(bw_audit_store *base, char *err, size_t errlen)
{
    sqlite_store *s = (sqlite_store *)base;
    if (run(s, "COMMIT"))
        return BW_OK;
    bw_status e = db_fail(s, "cannot commit", err, errlen);
    run(s, "ROLLBACK");
    return e;
}

static void sqlite_rollback(bw_audit_store *base)
{
    run((sqlite_store *)base, "ROLLBACK");
}

/* ---- reading ---- */

static json_t *column_value(sqlite3_stmt *st, int col, const bw_audit_field *f, bool *encoding_ok)
{
    int type = sqlite3_column_type(st, col);
    if (type == SQLITE_NULL)
        return json_null();
    /* The writer binds integers as INTEGER and everything else as TEXT: another storage class is an edit. */
    if (type != (f->type == BW_AF_INT ? SQLITE_INTEGER : SQLITE_TEXT))
        *encoding_ok = false;
    const char *text = (const char *)sqlite3_column_text(st, col);
    return bw_audit_field_from_text(f, text ? text : "", encoding_ok);
}

/* Columns: seq, fields..., hash. */
static json_t *row_record(sqlite3_stmt *st, bool *encoding_ok)
{
    json_t *rec = json_object();
    if (!rec)
        return NULL;
    *encoding_ok = true;
    json_object_set_new(rec, "seq", json_integer(sqlite3_column_int64(st, 0)));
    for (size_t i = 0; i < bw_audit_nfields; i++)
        json_object_set_new(rec, bw_audit_fields[i].name, column_value(st, (int)i + 1, &bw_audit_fields[i], encoding_ok));
    const char *hash = (const char *)sqlite3_column_text(st, (int)bw_audit_nfields + 1);
    json_object_set_new(rec, "hash", hash ? json_string(hash) : json_null());
    return rec;
}

static char *select_sql(void)
{
    size_t cap = 1024;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(sql, cap, "SELECT seq");
    for (size_t i = 0; i < bw_audit_nfields; i++)
        n += (size_t)snprintf(sql + n, cap - n, ", %s", bw_audit_fields[i].name);
    snprintf(sql + n, cap - n, ", hash FROM audit WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time < ?2) "
                               "ORDER BY seq");
    return sql;
}

static bw_status sqlite_scan(bw_audit_store *base, const char *since, const char *until, bw_audit_scan_fn fn,
                             void *user, char *err, size_t errlen)
{
    sqlite_store *s = (sqlite_store *)base;
    char *sql = select_sql();
    sqlite3_stmt *st = NULL;
    if (!sql || sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        free(sql);
        return db_fail(s, "cannot read the records", err, errlen);
    }
    free(sql);
    sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, until, -1, SQLITE_STATIC);
    bw_status result = BW_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool ok;
        json_t *rec = row_record(st, &ok);
        if (!rec) {
            result = BW_E_NOMEM;
            break;
        }
        bool more = fn(user, rec, ok);
        json_decref(rec);
        if (!more)
            break;
    }
    if (result == BW_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        result = db_fail(s, "cannot read the records", err, errlen);
    sqlite3_finalize(st);
    return result;
}

static int64_t sqlite_seq_of_hash(bw_audit_store *base, const char *hash)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = s->q[Q_SEQ_OF_HASH];
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    int64_t seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return seq;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t ? t : "");
}

static bw_status latest_checkpoint(sqlite_store *s, bw_audit_checkpoint *cp, bool *found, char *err, size_t errlen)
{
    sqlite3_stmt *st = s->q[Q_CP_LATEST];
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        memset(cp, 0, sizeof *cp);
        cp->seq = sqlite3_column_int64(st, 0);
        copy_col(cp->hash, sizeof cp->hash, st, 1);
        copy_col(cp->time, sizeof cp->time, st, 2);
        cp->count = sqlite3_column_int64(st, 3);
        copy_col(cp->signature, sizeof cp->signature, st, 4);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? BW_OK : db_fail(s, "cannot read the checkpoint", err, errlen);
}

static bw_status sqlite_checkpoint(bw_audit_store *base, bw_audit_checkpoint *cp, bool *found, char *err,
                                   size_t errlen)
{
    return latest_checkpoint((sqlite_store *)base, cp, found, err, errlen);
}

/* ---- retention ---- */

/* The last seq of the prefix to remove: every record up to it is older than `before`. 0 when none. */
static bool prune_bound(sqlite_store *s, const char *before, int64_t *last, int64_t *count, char *hash)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT seq, hash, (SELECT count(*) FROM audit a2 WHERE a2.seq <= a.seq) FROM audit a "
                      "WHERE seq < coalesce((SELECT min(seq) FROM audit WHERE time >= ?1), "
                      "(SELECT max(seq) + 1 FROM audit)) ORDER BY seq DESC LIMIT 1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, before, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *last = 0;
    if (rc == SQLITE_ROW) {
        *last = sqlite3_column_int64(st, 0);
        copy_col(hash, BW_AUDIT_HASH_HEX + 1, st, 1);
        *count = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static bool remove_and_record(sqlite_store *s, const bw_audit_checkpoint *cp)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    bool ok = run(s, "UPDATE audit_guard SET pruning = 1 WHERE id = 1") &&
              sqlite3_prepare_v2(s->db, "DELETE FROM audit WHERE seq <= ?1", -1, &del, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(s->db, "INSERT INTO audit_checkpoint (seq, hash, time, count, signature) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_int64(del, 1, cp->seq);
        sqlite3_bind_int64(ins, 1, cp->seq);
        sqlite3_bind_text(ins, 2, cp->hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, cp->time, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, cp->count);
        sqlite3_bind_text(ins, 5, cp->signature, -1, SQLITE_STATIC);
        ok = sqlite3_step(del) == SQLITE_DONE && sqlite3_step(ins) == SQLITE_DONE;
    }
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return ok && run(s, "UPDATE audit_guard SET pruning = 0 WHERE id = 1");
}

static bw_status sqlite_prune(bw_audit_store *base, const char *before, bw_audit_checkpoint *cp,
                              bool (*sign)(bw_audit_checkpoint *, void *), void *sign_user, int64_t *removed,
                              char *err, size_t errlen)
{
    sqlite_store *s = (sqlite_store *)base;
    *removed = 0;
    if (!run(s, "BEGIN IMMEDIATE"))
        return db_fail(s, "cannot begin the prune", err, errlen);
    int64_t last = 0, count = 0;
    if (!prune_bound(s, before, &last, &count, cp->hash)) {
        bw_status e = db_fail(s, "cannot find the records to prune", err, errlen);
        run(s, "ROLLBACK");
        return e;
    }
    if (last == 0) {
        run(s, "ROLLBACK");
        return BW_OK;
    }
    cp->seq = last;
    cp->count = count;
    if (!sign(cp, sign_user)) {
        run(s, "ROLLBACK");
        bw_errf(err, errlen, "audit trail: cannot sign the checkpoint");
        return BW_E_INTERNAL;
    }
    if (!remove_and_record(s, cp) || !run(s, "COMMIT")) {
        bw_status e = db_fail(s, "cannot prune", err, errlen);
        run(s, "ROLLBACK");
        return e;
    }
    *removed = count;
    return BW_OK;
}

/* ---- opening ---- */

static const bw_audit_store_ops sqlite_ops = {
    .begin = sqlite_begin, .insert = sqlite_insert, .commit = sqlite_commit, .rollback = sqlite_rollback,
    .scan = sqlite_scan, .seq_of_hash = sqlite_seq_of_hash, .checkpoint = sqlite_checkpoint,
    .prune = sqlite_prune, .close = sqlite_close,
};

/* Creates the file 0600 when missing so the trail (which names callers and may hold arguments) is private to
 * bulwark's user; SQLite gives the -wal and -shm files the same mode. */
static bool create_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        bw_errf(err, errlen, "audit trail: cannot create %s: %s", path, strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

static bool setup(sqlite_store *s, bool create, char *err, size_t errlen)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (create && (!bw_sqlite_enable_wal(s->db) || !run(s, "PRAGMA synchronous = NORMAL") || !run(s, schema))) {
        db_fail(s, "cannot prepare the database", err, errlen);
        return false;
    }
    if (!prepare_all(s)) {
        db_fail(s, create ? "cannot prepare statements" : "not an audit trail", err, errlen);
        return false;
    }
    return true;
}

bw_audit_store *bw_audit_sqlite_open(const char *path, bool create, char *err, size_t errlen)
{
    if (create && !create_private(path, err, errlen))
        return NULL;
    if (!create && access(path, F_OK) != 0) {
        bw_errf(err, errlen, "audit trail: %s: %s", path, strerror(errno));
        return NULL;
    }
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s) {
        bw_errf(err, errlen, "audit trail: out of memory");
        return NULL;
    }
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        bw_errf(err, errlen, "audit trail: cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite_close(&s->base);
        return NULL;
    }
    if (!setup(s, create, err, errlen)) {
        sqlite_close(&s->base);
        return NULL;
    }
    return &s->base;
}
