/* The fail-open spool: when the audit store cannot be written (or the queue is full), records are appended to a
 * local file (JSON lines, mode 0600, bounded in size) and later replayed, in file order, into the chain.
 *
 * Replay moves the file aside first ("<spool>.replay", an atomic rename), so records spooled meanwhile go to a new
 * file, then appends every line in one store transaction and removes the moved file. A crash between the commit
 * and the removal replays those records again at the next start (at-least-once); nothing is lost.
 *
 * Thread-safety: every function is safe from any thread (one mutex, taken only on these degraded paths). */
#ifndef BW_OBSERVABILITY_AUDIT_SPOOL_H
#define BW_OBSERVABILITY_AUDIT_SPOOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"
#include "observability/audit_store.h"

#define BW_AUDIT_SPOOL_MAX_BYTES (64u << 20) /* beyond it records are dropped (and counted) */
#define BW_AUDIT_RECORD_LINE_MAX (256u << 10) /* a spooled line longer than this is not a record we wrote */

typedef struct bw_audit_spool bw_audit_spool;

/* A spool at path (copied; nothing is opened yet). NULL on allocation failure. */
bw_audit_spool *bw_audit_spool_new(const char *path, size_t max_bytes);
void bw_audit_spool_free(bw_audit_spool *sp);
const char *bw_audit_spool_path(const bw_audit_spool *sp);
/* Appends rec as one line (one write(2)). false when the spool is full or cannot be written. */
bool bw_audit_spool_append(bw_audit_spool *sp, const json_t *rec);
/* true when there is something to replay (a moved file left by an earlier attempt or run, or records spooled
 * since), after moving the current spool aside. */
bool bw_audit_spool_take(bw_audit_spool *sp);
/* Appends every record of the moved file to the chain in one transaction, then removes the file. *replayed:
 * records appended; *skipped: lines that were not records. The file stays when the store fails. */
bw_status bw_audit_spool_replay(bw_audit_spool *sp, bw_audit_store *store, int64_t *replayed, int64_t *skipped,
                                char *err, size_t errlen);
/* Bytes waiting in the spool (not counting a moved file). */
size_t bw_audit_spool_bytes(bw_audit_spool *sp);

#endif
