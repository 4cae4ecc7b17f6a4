/* Retention checkpoints: signing and checking them (HMAC-SHA256 over the canonical JSON
 * {"count":N,"hash":"..","seq":N,"time":".."}), and the key that signs them — configured (observability.audit.
 * checkpoint_key: 64 hex digits or base64 of 32 bytes), or a key file next to the trail ("<trail>.key", 64 hex
 * digits, created 0600 with random bytes the first time a checkpoint is written).
 *
 * Thread-safety: pure functions / plain file operations; safe from any thread. */
#ifndef BW_OBSERVABILITY_AUDIT_CHECKPOINT_H
#define BW_OBSERVABILITY_AUDIT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"
#include "observability/audit_store.h"

/* Fills cp->signature. false only if libcrypto fails. */
bool bw_audit_checkpoint_sign(bw_audit_checkpoint *cp, const uint8_t key[BW_AUDIT_KEY_BYTES]);
/* true when cp->signature is the signature of cp's other fields under key (compared in constant time). */
bool bw_audit_checkpoint_valid(const bw_audit_checkpoint *cp, const uint8_t key[BW_AUDIT_KEY_BYTES]);

/* The default key file of a SQLite trail: "<path>.key" (malloc'd; NULL on allocation failure). */
char *bw_audit_key_path(const char *trail_path);
/* The signing key: `configured` (key text) when not NULL, else the content of key_file (trailing whitespace
 * ignored). create: a missing key_file is created (0600, O_EXCL) with a fresh random key. BW_E_NOT_FOUND when
 * there is no key (no configured key, key file missing and !create); BW_E_INVALID_ARG for a malformed key;
 * BW_E_IO when the file cannot be read or created — each with a reason in err that never shows key bytes. */
bw_status bw_audit_key_load(const char *configured, const char *key_file, bool create,
                            uint8_t out[BW_AUDIT_KEY_BYTES], char *err, size_t errlen);

#endif
