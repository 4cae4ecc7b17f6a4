/* `bulwark audit verify`: walks the chain from its start (genesis, or the latest signed checkpoint) and names the
 * first record that breaks it:
 *   - a seq missing from the sequence                       → deleted
 *   - a record whose content does not hash to its hash      → modified
 *   - a record whose prev_hash is the hash of another record → reordered
 *   - a record whose prev_hash matches no record            → its predecessor was deleted (and the rest renumbered)
 *                                                             or modified and re-hashed
 * The hash deliberately leaves out "seq" (see audit_record.h), which is what tells a reordering apart from an edit.
 * Removing records at the end of the trail cannot be detected from the trail alone (as with any hash chain); see
 * docs/observability/audit.md. */
#include "observability/audit.h"

#include <stdio.h>
#include <string.h>

#include "observability/audit_checkpoint.h"
#include "observability/audit_store.h"

typedef struct walk {
    bw_audit_store *s;
    bw_audit_verify_result *r;
    int64_t expected;             /* the seq the next record must have */
    char prev[BW_AUDIT_HASH_HEX + 1];
} walk;

static void describe(const json_t *rec, char *out, size_t cap)
{
    const char *t = json_string_value(json_object_get(rec, "time"));
    const char *id = json_string_value(json_object_get(rec, "request_id"));
    snprintf(out, cap, "record seq %lld (time %s, request_id %s)", (long long)json_integer_value(json_object_get(rec, "seq")),
             t ? t : "?", id ? id : "none");
}

/* "<record>: <how>: <detail>" */
static bool broken(walk *w, const char *how, const json_t *rec, const char *detail)
{
    char who[200];
    describe(rec, who, sizeof who);
    snprintf(w->r->problem, sizeof w->r->problem, "%s: %s: %s", who, how, detail);
    w->r->intact = false;
    return false;
}

static bool check_link(walk *w, const json_t *rec, int64_t seq)
{
    const char *prev = json_string_value(json_object_get(rec, "prev_hash"));
    if (prev && !strcmp(prev, w->prev))
        return true;
    int64_t other = prev ? w->s->ops->seq_of_hash(w->s, prev) : -1;
    char detail[200];
    if (other >= 0 && other != seq) {
        snprintf(detail, sizeof detail, "its prev_hash is the hash of record seq %lld, not of the record before it",
                 (long long)other);
        return broken(w, "reordered", rec, detail);
    }
    snprintf(detail, sizeof detail, "its prev_hash matches no record: the record before it was deleted (and the "
                                    "records renumbered) or modified and re-hashed");
    return broken(w, "chain broken", rec, detail);
}

static bool on_record(void *user, const json_t *rec, bool encoding_ok)
{
    walk *w = user;
    int64_t seq = json_integer_value(json_object_get(rec, "seq"));
    if (seq != w->expected) {
        char detail[200];
        if (seq == w->expected + 1)
            snprintf(detail, sizeof detail, "record seq %lld is missing", (long long)w->expected);
        else
            snprintf(detail, sizeof detail, "records seq %lld..%lld are missing", (long long)w->expected,
                     (long long)seq - 1);
        return broken(w, "deleted", rec, detail);
    }
    char hash[BW_AUDIT_HASH_HEX + 1];
    const char *stored = json_string_value(json_object_get(rec, "hash"));
    if (!encoding_ok || !bw_audit_record_hash(rec, NULL, hash) || !stored || strcmp(hash, stored))
        return broken(w, "modified", rec, "its content does not match its hash");
    if (!check_link(w, rec, seq))
        return false;
    memcpy(w->prev, stored, sizeof w->prev);
    if (!w->r->records)
        w->r->first_seq = seq;
    w->r->last_seq = seq;
    w->r->records++;
    w->expected = seq + 1;
    return true;
}

/* The chain's start: the latest checkpoint (its signature checked) or the genesis. false: not intact / error. */
static bw_status start_of(walk *w, const uint8_t *key, bool *ok, char *err, size_t errlen)
{
    bw_audit_checkpoint cp;
    bool found = false;
    bw_status st = w->s->ops->checkpoint(w->s, &cp, &found, err, errlen);
    *ok = st == BW_OK;
    if (st != BW_OK || !found) {
        w->expected = 1;
        memcpy(w->prev, BW_AUDIT_GENESIS, sizeof w->prev);
        return st;
    }
    bw_audit_verify_result *r = w->r;
    r->from_checkpoint = true;
    r->checkpoint_seq = cp.seq;
    snprintf(r->checkpoint_time, sizeof r->checkpoint_time, "%s", cp.time);
    if (!key || !bw_audit_checkpoint_valid(&cp, key)) {
        snprintf(r->problem, sizeof r->problem, "checkpoint at seq %lld (%s): %s", (long long)cp.seq, cp.time,
                 key ? "bad signature: the checkpoint was forged or modified, or the key is not the one that signed it"
                     : "no key to check its signature (give --key-file, or the key file next to the trail)");
        *ok = false;
        return BW_OK;
    }
    w->expected = cp.seq + 1;
    memcpy(w->prev, cp.hash, sizeof w->prev);
    return BW_OK;
}

bw_status bw_audit_verify(bw_audit_store *s, const uint8_t *key, bw_audit_verify_result *r, char *err,
                          size_t errlen)
{
    memset(r, 0, sizeof *r);
    walk w = {.s = s, .r = r};
    bool ok = false;
    bw_status st = start_of(&w, key, &ok, err, errlen);
    if (st != BW_OK || !ok) {
        r->intact = false;
        return st;
    }
    r->intact = true;
    st = s->ops->scan(s, NULL, NULL, on_record, &w, err, errlen);
    memcpy(r->head, w.prev, sizeof r->head);
    return st;
}
