/* The audit trail: one record per tools/call, resources/read, prompts/get and authentication/authorization
 * failure, appended to a hash chain (each record carries the SHA-256 of the previous record's hash and its own
 * canonical content) in SQLite (or PostgreSQL), by a writer thread fed through a bounded queue. Verification,
 * export and retention (pruning behind an HMAC-signed checkpoint) are in audit_verify.c / audit_export.c /
 * audit_retention.c and the `bulwark audit` command.
 *
 * Thread-safety: everything is safe from any thread. */
#ifndef BW_OBSERVABILITY_AUDIT_H
#define BW_OBSERVABILITY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "bulwark/observe.h"
#include "observability/observe.h"

typedef struct bw_audit bw_audit;

void bw_audit_free(bw_audit *a);
/* true when method is audited ("tools/call", "resources/read", "prompts/get"). */
bool bw_audit_method(const char *method);
/* Before an audited call runs: false when the trail is configured fail-closed and cannot take a record now (store
 * down, queue full); why gets the reason for the client's -32000 error. Always true without an audit trail. */
bool bw_audit_admit(struct bw_call *call, char *why, size_t whylen);
/* After an audited call ended: queues its record (never waits on the store). */
void bw_audit_call_end(struct bw_call *call, const bw_obs_outcome *o);

#endif
