/* Durable idempotency records (see idempotency.h): one SQLite connection in WAL mode, guarded by a mutex, with its
 * statements prepared once. Every operation is one short transaction; begin takes the write lock first (BEGIN
 * IMMEDIATE) so that two processes sharing the file cannot both insert the same key.
 *
 * A record in progress carries the `boot` id of the store that inserted it (random per bw_idem_open). A store
 * that finds an in-progress record of another boot knows the process that ran the call is gone (or another
 * process shares the file and crashed) and takes the record over. Only bound parameters reach SQL. */
#include "reliability/idempotency.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/errf.h"
#include "core/sqlite_wal.h"

#define IDENTITY_MAX 256
#define TOOL_MAX 128
#define KEY_MAX 256
#define RESULT_MAX (1024 * 1024) /* bytes of a stored result (compact JSON) */
#define DEFAULT_TTL_MS 86400000  /* a ttl_ms <= 0 means the policy's default, 24 h */
#define BUSY_TIMEOUT_MS 2000

enum { STATE_RUNNING = 0, STATE_DONE = 1 };

enum { Q_SELECT, Q_UPSERT, Q_DONE, Q_DELETE, Q_PURGE, Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_COUNT };

static const char *const queries[Q_COUNT] = {
    [Q_SELECT] = "SELECT args_sha256, state, boot, result, expires_ms FROM idempotency "
                 "WHERE identity = ?1 AND tool = ?2 AND key = ?3",
    [Q_UPSERT] = "INSERT OR REPLACE INTO idempotency (identity, tool, key, args_sha256, state, boot, result, "
                 "created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, 0, ?5, NULL, ?6, ?7)",
    [Q_DONE] = "UPDATE idempotency SET state = 1, result = ?5, expires_ms = ?6 "
               "WHERE identity = ?1 AND tool = ?2 AND key = ?3 AND boot = ?4 AND state = 0",
    [Q_DELETE] = "DELETE FROM idempotency WHERE identity = ?1 AND tool = ?2 AND key = ?3 AND boot = ?4 "
                 "AND state = 0",
    [Q_PURGE] = "DELETE FROM idempotency WHERE expires_ms <= ?1",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS idempotency ("
    " identity TEXT NOT NULL, tool TEXT NOT NULL, key TEXT NOT NULL, args_sha256 BLOB NOT NULL,"
    " state INTEGER NOT NULL, boot TEXT NOT NULL, result TEXT, created_ms INTEGER NOT NULL,"
    " expires_ms INTEGER NOT NULL, PRIMARY KEY (identity, tool, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS idempotency_expiry ON idempotency (expires_ms);";

struct bw_idem_store {
    pthread_mutex_t mu; /* guards db and every statement */
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    char boot[33]; /* 128 random bits, hex */
};

/* The record a begin found (pointers valid until the select statement is reset). */
typedef struct record {
    bool found;
    bool same_args;
    int state;
    bool ours; /* inserted by this store (this process) */
    const char *result;
    int64_t expires_ms;
} record;

static int64_t expiry(int64_t now_ms, int ttl_ms)
{
    return now_ms + (ttl_ms > 0 ? ttl_ms : DEFAULT_TTL_MS);
}

/* ---------------------------------------------------------------- opening */

/* Creates the file with mode 0600 when missing, so records (tool results) are private to bulwark's user; SQLite
 * gives the -wal and -shm files the database file's mode. An existing file keeps the mode its owner chose. */
static bool create_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        bw_errf(err, errlen, "cannot create the state database: %s", strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

static bool make_boot_id(char out[33])
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return false;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return true;
}

static bool configure(bw_idem_store *s, char *err, size_t errlen)
{
    sqlite3_extended_result_codes(s->db, 1);
    if (sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS) != SQLITE_OK || !bw_sqlite_enable_wal(s->db)) {
        bw_errf(err, errlen, "cannot enable WAL mode on the state database: %s", sqlite3_errmsg(s->db));
        return false;
    }
    if (sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        bw_errf(err, errlen, "cannot prepare the state database: %s", sqlite3_errmsg(s->db));
        return false;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL) != SQLITE_OK) {
            bw_errf(err, errlen, "cannot prepare the state database: %s", sqlite3_errmsg(s->db));
            return false;
        }
    }
    return true;
}

bw_idem_store *bw_idem_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        bw_errf(err, errlen, "%s", "the state database needs a file name");
        return NULL;
    }
    bw_idem_store *s = calloc(1, sizeof *s);
    if (!s) {
        bw_errf(err, errlen, "%s", "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    if (!make_boot_id(s->boot)) {
        bw_errf(err, errlen, "cannot draw a random id: %s", strerror(errno));
    } else if (create_private(path, err, errlen)) {
        /* NOMUTEX: the store's own mutex serializes every use of the connection. */
        int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK)
            bw_errf(err, errlen, "cannot open the state database: %s",
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        else if (configure(s, err, errlen))
            return s;
    }
    bw_idem_close(s);
    return NULL;
}

void bw_idem_close(bw_idem_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close_v2(s->db); /* the last connection checkpoints the WAL into the database file */
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---------------------------------------------------------------- statements */

/* Binds identity, tool and key as parameters 1..3 of q. */
static int bind_id(sqlite3_stmt *q, const char *identity, const char *tool, const char *key)
{
    int rc = sqlite3_bind_text(q, 1, identity, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 2, tool, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 3, key, -1, SQLITE_STATIC);
    return rc;
}

/* Steps a statement that returns no row and resets it. */
static int run(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Reads the key's record (the select statement stays positioned on it until reset by the caller). */
static int load(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                const unsigned char sha[32], record *r)
{
    sqlite3_stmt *q = s->q[Q_SELECT];
    *r = (record){0};
    int rc = bind_id(q, identity, tool, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    if (rc == SQLITE_DONE)
        return SQLITE_OK;
    if (rc != SQLITE_ROW)
        return rc;
    const void *stored = sqlite3_column_blob(q, 0);
    const char *boot = (const char *)sqlite3_column_text(q, 2);
    r->found = true;
    r->same_args = sqlite3_column_bytes(q, 0) == 32 && stored && !memcmp(stored, sha, 32);
    r->state = sqlite3_column_int(q, 1);
    r->ours = boot && !strcmp(boot, s->boot);
    r->result = (const char *)sqlite3_column_text(q, 3);
    r->expires_ms = sqlite3_column_int64(q, 4);
    return SQLITE_OK;
}

/* Inserts (or replaces an expired or abandoned record with) an in-progress record of this store. */
static int insert_running(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                          const unsigned char sha[32], int64_t now_ms, int ttl_ms)
{
    sqlite3_stmt *q = s->q[Q_UPSERT];
    int rc = bind_id(q, identity, tool, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(q, 4, sha, 32, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 5, s->boot, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(q, 6, now_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(q, 7, expiry(now_ms, ttl_ms));
    return rc == SQLITE_OK ? run(q) : rc;
}

/* ---------------------------------------------------------------- begin */

static bool check_sizes(const char *identity, const char *tool, const char *key, char *err, size_t errlen)
{
    if (!identity || !tool || !key || !*key) {
        bw_errf(err, errlen, "%s", "an idempotency key, a tool and an identity are required");
        return false;
    }
    const char *what = strlen(key) > KEY_MAX             ? "the idempotency key is longer than 256 bytes"
                       : strlen(identity) > IDENTITY_MAX ? "the caller's identity is longer than 256 bytes"
                       : strlen(tool) > TOOL_MAX         ? "the tool name is longer than 128 bytes"
                                                         : NULL;
    if (what)
        bw_errf(err, errlen, "%s", what);
    return what == NULL;
}

/* What a live record of the key means for this call (*stored set for a replay). */
static bw_idem_outcome judge(const record *r, json_t **stored, char *err, size_t errlen)
{
    if (!r->same_args)
        return BW_IDEM_MISMATCH;
    if (r->state == STATE_RUNNING)
        return BW_IDEM_IN_PROGRESS;
    json_error_t je;
    *stored = r->result ? json_loads(r->result, 0, &je) : NULL;
    if (!*stored) {
        bw_errf(err, errlen, "%s", "the stored result of the key cannot be read");
        return BW_IDEM_ERROR;
    }
    return BW_IDEM_REPLAY;
}

/* The body of begin's transaction. *write: a record must be (re)inserted for this call. */
static bw_idem_outcome decide(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                              const unsigned char sha[32], int64_t now_ms, json_t **stored, bool *write,
                              char *err, size_t errlen)
{
    record r;
    int rc = load(s, identity, tool, key, sha, &r);
    bw_idem_outcome out = BW_IDEM_PROCEED;
    if (rc != SQLITE_OK) {
        bw_errf(err, errlen, "state database: %s", sqlite3_errstr(rc));
        out = BW_IDEM_ERROR;
    } else if (r.found && r.expires_ms > now_ms && !(r.state == STATE_RUNNING && !r.ours)) {
        out = judge(&r, stored, err, errlen);
    }
    /* Missing, expired, or in progress for a process that is gone: this call runs. */
    *write = out == BW_IDEM_PROCEED;
    sqlite3_reset(s->q[Q_SELECT]);
    sqlite3_clear_bindings(s->q[Q_SELECT]);
    return out;
}

bw_idem_outcome bw_idem_begin(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                              const unsigned char args_sha256[32], int64_t now_ms, int ttl_ms, json_t **stored,
                              char *err, size_t errlen)
{
    *stored = NULL;
    if (!check_sizes(identity, tool, key, err, errlen))
        return BW_IDEM_ERROR;
    pthread_mutex_lock(&s->mu);
    bool write = false;
    bw_idem_outcome out = BW_IDEM_ERROR;
    int rc = run(s->q[Q_BEGIN]);
    if (rc == SQLITE_OK) {
        out = decide(s, identity, tool, key, args_sha256, now_ms, stored, &write, err, errlen);
        if (write)
            rc = insert_running(s, identity, tool, key, args_sha256, now_ms, ttl_ms);
        if (rc == SQLITE_OK)
            rc = run(s->q[Q_COMMIT]);
    }
    if (rc != SQLITE_OK) {
        bw_errf(err, errlen, "state database: %s", sqlite3_errmsg(s->db));
        (void)run(s->q[Q_ROLLBACK]); /* fails harmlessly when BEGIN did */
        json_decref(*stored);
        *stored = NULL;
        out = BW_IDEM_ERROR;
    }
    pthread_mutex_unlock(&s->mu);
    return out;
}

/* ---------------------------------------------------------------- finish and purge */

static int delete_running(bw_idem_store *s, const char *identity, const char *tool, const char *key)
{
    sqlite3_stmt *q = s->q[Q_DELETE];
    int rc = bind_id(q, identity, tool, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 4, s->boot, -1, SQLITE_STATIC);
    return rc == SQLITE_OK ? run(q) : rc;
}

static int store_done(bw_idem_store *s, const char *identity, const char *tool, const char *key, const char *text,
                      int64_t expires_ms)
{
    sqlite3_stmt *q = s->q[Q_DONE];
    int rc = bind_id(q, identity, tool, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 4, s->boot, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(q, 6, expires_ms);
    return rc == SQLITE_OK ? run(q) : rc;
}

bw_status bw_idem_finish(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                         const json_t *result, int64_t now_ms, int ttl_ms)
{
    if (!check_sizes(identity, tool, key, NULL, 0))
        return BW_E_INVALID_ARG;
    char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    if (result && !text)
        return BW_E_NOMEM;
    bool too_big = text && strlen(text) > RESULT_MAX;
    pthread_mutex_lock(&s->mu);
    int rc = text && !too_big ? store_done(s, identity, tool, key, text, expiry(now_ms, ttl_ms))
                              : delete_running(s, identity, tool, key);
    /* No row changed: the record was taken over (it expired while the call ran) or never begun. */
    bool changed = rc == SQLITE_OK && sqlite3_changes(s->db) > 0;
    pthread_mutex_unlock(&s->mu);
    free(text);
    if (rc != SQLITE_OK)
        return BW_E_IO;
    if (too_big)
        return BW_E_LIMIT;
    return changed ? BW_OK : BW_E_NOT_FOUND;
}

long bw_idem_purge(bw_idem_store *s, int64_t now_ms)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *q = s->q[Q_PURGE];
    int rc = sqlite3_bind_int64(q, 1, now_ms);
    if (rc == SQLITE_OK)
        rc = run(q);
    long n = rc == SQLITE_OK ? (long)sqlite3_changes(s->db) : -1;
    pthread_mutex_unlock(&s->mu);
    return n;
}
