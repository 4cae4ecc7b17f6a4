/* One audit record: its fields, how it is built from a call's outcome or an authentication failure, and how it is
 * hashed into the chain.
 *
 * A record is a JSON object with exactly the members of bw_audit_fields (null when unknown), plus "seq" and "hash"
 * once the store appended it (and, between the call and the writer, BW_AUDIT_ARGS_TEXT_MEMBER). The chain rule (docs/observability/audit.md):
 *
 *     hash = lowercase hex SHA-256( prev_hash || canonical(record without "seq" and "hash") )
 *
 * where canonical is bw_canonical_json (compact, object keys sorted by their UTF-8 bytes) and prev_hash is the
 * previous record's hash (64 "0" for the first record, the checkpoint's hash after a prune). "seq" is only the
 * position: it is left out of the hash so that a reordering shows up as a broken link (a record whose prev_hash
 * is the hash of another record) rather than as a modification. There are no floating-point numbers among the
 * record's own fields (durations are integer microseconds), so any JSON library can recompute a hash from an
 * exported line.
 *
 * Thread-safety: pure functions over their arguments; safe from any thread. */
#ifndef BW_OBSERVABILITY_AUDIT_RECORD_H
#define BW_OBSERVABILITY_AUDIT_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/observe.h"
#include "observability/observe.h"

#define BW_AUDIT_HASH_HEX 64
#define BW_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* "2025-01-02T03:04:05.678Z" */
#define BW_AUDIT_TIME_LEN 24

typedef enum bw_audit_ftype { BW_AF_TEXT, BW_AF_INT, BW_AF_JSON } bw_audit_ftype;

typedef struct bw_audit_field {
    const char *name;             /* member name = column name */
    bw_audit_ftype type;          /* TEXT: string or null; INT: integer or null; JSON: any JSON value stored as its
                                   * canonical text, or null */
} bw_audit_field;

/* The hashed members of a record, in column order ("seq" and "hash" are not among them). */
extern const bw_audit_field bw_audit_fields[];
extern const size_t bw_audit_nfields;

struct bw_call;
/* The record of an audited call that ended (new reference; NULL on allocation failure). Arguments are stored per
 * mode (none: null; redacted: bw_redact(srv, args); full: as sent); args_sha256 is always the hash of the
 * canonical arguments ("{}" when a tools/call or prompts/get had none; null for resources/read). */
json_t *bw_audit_record_call(struct bw_call *call, const bw_obs_outcome *o, bw_audit_arguments mode);
/* The record of an authentication/authorization failure: event "auth_failure", outcome "denied", error_type the
 * reason (each string truncated to a bounded length). Any argument may be NULL. New reference or NULL. */
json_t *bw_audit_record_auth(const char *remote_addr, const char *user_agent, const char *identity,
                             const char *reason);

/* A member a record may carry from the call to the writer and no further: the canonical text of its "arguments",
 * computed on the call's thread for args_sha256 (when the stored arguments are the arguments as sent), so the writer
 * does not serialize them again. Never hashed, stored, spooled or exported. */
#define BW_AUDIT_ARGS_TEXT_MEMBER "arguments#text"
/* The canonical text of rec's "arguments" member (malloc'ed), or NULL when it is null/absent (or on allocation
 * failure); takes the BW_AUDIT_ARGS_TEXT_MEMBER text when present (and removes that member). A store calls it once
 * per record and hands the text to the seal and to its insert. */
char *bw_audit_arguments_text(json_t *rec);
/* Sets rec's prev_hash and computes its hash (out: 65 bytes) by the chain rule. arguments_text: the text
 * bw_audit_arguments_text(rec) returned, or NULL to have it computed. false on allocation failure. */
bool bw_audit_record_seal(json_t *rec, const char *prev_hash, const char *arguments_text,
                          char out[BW_AUDIT_HASH_HEX + 1]);
/* Recomputes the hash of a stored record (its prev_hash member is used as is); arguments_text as for the seal.
 * false on allocation failure. */
bool bw_audit_record_hash(const json_t *rec, const char *arguments_text, char out[BW_AUDIT_HASH_HEX + 1]);

/* Wall-clock time in ms formatted as RFC 3339 UTC with milliseconds (out: BW_AUDIT_TIME_LEN + 1 bytes). */
void bw_audit_time_format(int64_t wall_ms, char out[BW_AUDIT_TIME_LEN + 1]);
/* Parses an absolute RFC 3339 time ("2025-01-02T03:04:05Z", optional fraction, "Z" or "+hh:mm") or a duration
 * before now ("90s", "30m", "24h", "7d") into wall ms. false when it is neither. */
bool bw_audit_time_parse(const char *text, int64_t now_ms, int64_t *out_ms);

/* Lowercase hex of SHA-256(data[0..len)) into out (65 bytes). false only if libcrypto fails. */
bool bw_audit_sha256_hex(const void *data, size_t len, char out[BW_AUDIT_HASH_HEX + 1]);

#endif
