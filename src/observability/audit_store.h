/* Where the audit trail is kept: a small interface with one implementation per backend (audit_store_sqlite.c,
 * audit_store_pg.c), used by the writer thread (appends, retention) and by `bulwark audit` (verify, export,
 * prune).
 *
 * Appends happen inside begin/commit: begin takes the backend's write lock (SQLite BEGIN IMMEDIATE; PostgreSQL a
 * transaction holding the chain head row FOR UPDATE) and reads the chain head (the last record, else the latest
 * checkpoint, else seq 0 and the genesis hash), so several writers (processes sharing a SQLite file, replicas
 * sharing a PostgreSQL trail) append to one chain without forking it.
 *
 * Retention removes the oldest records behind a checkpoint {seq, hash of the last removed record, time, count}
 * signed with HMAC-SHA256 (audit_checkpoint.h); verification starts the chain from the latest checkpoint.
 *
 * Thread-safety: a store is used by one thread at a time (the writer, or the command); it may be handed between
 * threads. All failures return a bw_status with a reason in err. */
#ifndef BW_OBSERVABILITY_AUDIT_STORE_H
#define BW_OBSERVABILITY_AUDIT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"
#include "observability/audit_record.h"

#define BW_AUDIT_KEY_BYTES 32

typedef struct bw_audit_checkpoint {
    int64_t seq;                  /* the last record removed */
    char hash[BW_AUDIT_HASH_HEX + 1];   /* its hash: the prev_hash of record seq + 1 */
    char time[BW_AUDIT_TIME_LEN + 1];   /* when the prune ran */
    int64_t count;                /* records this prune removed */
    char signature[BW_AUDIT_HASH_HEX + 1]; /* HMAC-SHA256 (hex) of the canonical {count, hash, seq, time} */
} bw_audit_checkpoint;

/* Called per stored record in seq order: rec is the full record (the hashed members plus "seq" and "hash"; borrowed,
 * valid during the call). encoding_ok is false when a stored value is not in the form the writer stores (e.g. the
 * arguments column is not canonical JSON): the record was edited. Return false to stop the scan. */
typedef bool (*bw_audit_scan_fn)(void *user, const json_t *rec, bool encoding_ok);

typedef struct bw_audit_store bw_audit_store;

typedef struct bw_audit_store_ops {
    /* Opens a write transaction and reads the chain head into *seq / head (65 bytes). */
    bw_status (*begin)(bw_audit_store *s, int64_t *seq, char *head, char *err, size_t errlen);
    /* Inserts rec (already sealed: prev_hash set) as record seq with its hash; arguments_text is
     * bw_audit_arguments_text(rec) (NULL: the arguments are null). */
    bw_status (*insert)(bw_audit_store *s, int64_t seq, const json_t *rec, const char *arguments_text,
                        const char *hash, char *err, size_t errlen);
    bw_status (*commit)(bw_audit_store *s, char *err, size_t errlen);
    void (*rollback)(bw_audit_store *s);
    /* Records with since <= time < until (RFC 3339 text as bw_audit_time_format writes it; NULL: unbounded), in seq
     * order. */
    bw_status (*scan)(bw_audit_store *s, const char *since, const char *until, bw_audit_scan_fn fn, void *user,
                      char *err, size_t errlen);
    /* The seq of the record whose hash is `hash`, or -1. Unindexed (a scan): for explaining a broken link only. */
    int64_t (*seq_of_hash)(bw_audit_store *s, const char *hash);
    /* The latest checkpoint (*found false when none). */
    bw_status (*checkpoint)(bw_audit_store *s, bw_audit_checkpoint *cp, bool *found, char *err, size_t errlen);
    /* Removes the longest prefix of the chain whose records are all older than `before` and stores cp (whose seq,
     * hash and count it fills in; the caller signs it through sign()) — one transaction. *removed: records removed
     * (0: nothing to do, no checkpoint written). */
    bw_status (*prune)(bw_audit_store *s, const char *before, bw_audit_checkpoint *cp,
                       bool (*sign)(bw_audit_checkpoint *cp, void *user), void *sign_user, int64_t *removed,
                       char *err, size_t errlen);
    void (*close)(bw_audit_store *s);
} bw_audit_store_ops;

struct bw_audit_store {
    const bw_audit_store_ops *ops;
};

/* A SQLite trail at path: create true creates the file (mode 0600), the tables and the append-only triggers, and
 * turns on WAL; false opens an existing trail (for verify/export/prune). NULL with a reason in err. */
bw_audit_store *bw_audit_sqlite_open(const char *path, bool create, char *err, size_t errlen);
/* A PostgreSQL trail (libpq connection string; connect_timeout 5 s unless it says otherwise). create: creates the
 * tables, the head row and the append-only trigger when missing (serialised between replicas by an advisory
 * lock); false: the tables must exist. NULL with a reason in err (libpq's message, which never holds a password). */
bw_audit_store *bw_audit_pg_open(const char *conninfo, bool create, char *err, size_t errlen);

/* Appends recs[0..n) to the chain in one transaction: seals each (prev_hash), inserts it, and on success sets
 * their "seq" and "hash" members. On failure nothing is stored and the records are left as they were (without
 * seq/hash; prev_hash may have been set and is reset by the next attempt). */
bw_status bw_audit_store_append(bw_audit_store *s, json_t *const *recs, size_t n, char *err, size_t errlen);

/* A stored column's text back to the record member of field f (text NULL: SQL NULL → null). INT fields must be a
 * decimal integer and JSON fields canonical JSON text, as the writer stores them; otherwise *encoding_ok is set to
 * false (and the member is the text as a string). New reference; NULL on allocation failure. */
json_t *bw_audit_field_from_text(const bw_audit_field *f, const char *text, bool *encoding_ok);

static inline void bw_audit_store_close(bw_audit_store *s)
{
    if (s)
        s->ops->close(s);
}

#endif
