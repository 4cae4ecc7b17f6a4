/* Durable idempotency records in SQLite (WAL mode): (identity, tool, key) → the SHA-256 of the canonical arguments,
 * the state (in progress / done) and, when done, the stored tools/call result. Survives restarts; an in-progress
 * record left by a previous process (a crash) is treated as abandoned and may be taken over.
 *
 * Thread-safe: one connection guarded by a mutex (each operation is one short transaction); busy_timeout 2000 ms.
 * Expired records are deleted lazily (on begin) and by bw_idem_purge. */
#ifndef BW_RELIABILITY_IDEMPOTENCY_H
#define BW_RELIABILITY_IDEMPOTENCY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"

typedef struct bw_idem_store bw_idem_store;

/* Opens or creates the database at path (table created if missing, journal_mode=WAL, synchronous=NORMAL).
 * NULL with a reason in err (errlen bytes) on failure. */
bw_idem_store *bw_idem_open(const char *path, char *err, size_t errlen);
void bw_idem_close(bw_idem_store *s);

typedef enum bw_idem_outcome {
    BW_IDEM_PROCEED = 0, /* no live record: one is now in progress for this process; run the tool, then finish */
    BW_IDEM_REPLAY,      /* a stored result for the same arguments: *stored (new reference) answers the call */
    BW_IDEM_MISMATCH,    /* the key was used with different arguments: reject */
    BW_IDEM_IN_PROGRESS, /* a call with this key is running in this process right now */
    BW_IDEM_ERROR,       /* the store failed (reason in err): the caller decides (the policy refuses the call) */
} bw_idem_outcome;

/* Looks the key up at wall-clock now_ms (epoch ms; records expire by wall time so they survive restarts) and, if
 * there is no live record, inserts an in-progress one. args_sha256 is 32 bytes. */
bw_idem_outcome bw_idem_begin(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                              const unsigned char args_sha256[32], int64_t now_ms, int ttl_ms, json_t **stored,
                              char *err, size_t errlen);
/* Completes a PROCEED: result non-NULL stores it (done, expires at now_ms + ttl_ms); result NULL deletes the record
 * (the call failed: a retry with the key runs again). */
bw_status bw_idem_finish(bw_idem_store *s, const char *identity, const char *tool, const char *key,
                         const json_t *result, int64_t now_ms, int ttl_ms);
/* Deletes expired records; returns how many (or -1 on error). */
long bw_idem_purge(bw_idem_store *s, int64_t now_ms);

#endif
