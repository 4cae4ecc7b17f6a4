/* The audit trail: one record per tools/call, resources/read, prompts/get and authentication/authorization
 * failure, appended to a hash chain (each record carries the SHA-256 of the previous record's hash and its own
 * canonical content; audit_record.h) in SQLite or PostgreSQL (audit_store.h), by a writer thread fed through a
 * bounded lock-free queue (audit_writer.c, audit_queue.h), with a fail-open spool (audit_spool.h) or fail-closed
 * admission. Verification and export (audit_verify.c, audit_export.c) and retention behind HMAC-signed checkpoints
 * (audit_checkpoint.h, the stores' prune) serve the writer and the `bulwark audit` command.
 *
 * Thread-safety: everything is safe from any thread. bw_audit_admit and bw_audit_call_end never wait on the store
 * and take no lock (a full queue in fail-open mode appends to the spool under its own mutex). */
#ifndef BW_OBSERVABILITY_AUDIT_H
#define BW_OBSERVABILITY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bulwark/observe.h"
#include "observability/observe.h"

typedef struct bw_audit bw_audit;

/* Stops the writer after it wrote (or spooled) everything queued, then frees. Call after the last call ended.
 * NULL is a no-op. */
void bw_audit_free(bw_audit *a);
/* true when method is audited ("tools/call", "resources/read", "prompts/get"). */
bool bw_audit_method(const char *method);
/* Before an audited call runs: false when the trail is configured fail-closed and cannot take a record now (store
 * down, queue full); why gets the reason for the client's -32000 error. Always true without an audit trail. */
bool bw_audit_admit(struct bw_call *call, char *why, size_t whylen);
/* After an audited call ended: queues its record (never waits on the store). */
void bw_audit_call_end(struct bw_call *call, const bw_obs_outcome *o);

/* ---- reading a trail (bulwark audit; audit_verify.c, audit_export.c) ---- */

struct bw_audit_store;
typedef struct bw_audit_verify_result {
    int64_t records;              /* records checked */
    int64_t first_seq, last_seq;  /* of the records checked (0 when none) */
    char head[65];                /* the last record's hash (or the checkpoint's / genesis when none) */
    bool from_checkpoint;         /* the chain starts at a checkpoint (records before it were pruned) */
    int64_t checkpoint_seq;
    char checkpoint_time[32];
    bool intact;
    char problem[512];            /* when !intact: the first broken record and how (modified, deleted,
                                   * reordered, or a bad checkpoint) */
} bw_audit_verify_result;

/* Walks the whole chain of store s in seq order. key: the checkpoint key (NULL when none is available: a trail
 * with a checkpoint then fails verification, saying so). BW_OK when the walk completed (r->intact says whether the
 * chain is intact); an error status with a reason in err when the store could not be read. */
bw_status bw_audit_verify(struct bw_audit_store *s, const uint8_t *key, bw_audit_verify_result *r, char *err,
                          size_t errlen);

/* Writes the records with since <= time < until (wall ms; < 0: unbounded) to out as JSON lines (every member,
 * keys sorted, compact), in seq order. *n: lines written. */
bw_status bw_audit_export(struct bw_audit_store *s, int64_t since_ms, int64_t until_ms, FILE *out, int64_t *n,
                          char *err, size_t errlen);

#endif
