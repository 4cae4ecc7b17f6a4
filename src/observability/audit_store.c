/* The backend-independent part of appending to the chain (see audit_store.h). */
#include "observability/audit_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reliability/result_cache.h"

static void unplace(json_t *const *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_object_del(recs[i], "hash");
        json_object_del(recs[i], "seq");
    }
}

bw_status bw_audit_store_append(bw_audit_store *s, json_t *const *recs, size_t n, char *err, size_t errlen)
{
    int64_t seq = 0;
    char head[BW_AUDIT_HASH_HEX + 1];
    bw_status st = s->ops->begin(s, &seq, head, err, errlen);
    if (st != BW_OK)
        return st;
    for (size_t i = 0; i < n && st == BW_OK; i++) {
        char hash[BW_AUDIT_HASH_HEX + 1] = "";
        const json_t *arguments = json_object_get(recs[i], "arguments");
        char *args = bw_audit_arguments_text(recs[i]); /* once: hashed and stored */
        if ((arguments && !json_is_null(arguments) && !args) || !bw_audit_record_seal(recs[i], head, args, hash) ||
            json_object_set_new(recs[i], "hash", json_string(hash)))
            st = BW_E_NOMEM;
        else
            st = s->ops->insert(s, seq + 1 + (int64_t)i, recs[i], args, hash, err, errlen);
        free(args);
        memcpy(head, hash, sizeof head);
    }
    if (st != BW_OK)
        s->ops->rollback(s);
    else
        st = s->ops->commit(s, err, errlen);
    if (st != BW_OK) {
        unplace(recs, n); /* not stored: the next attempt seals them again at the then head */
        return st;
    }
    for (size_t i = 0; i < n; i++)
        json_object_set_new(recs[i], "seq", json_integer(seq + 1 + (json_int_t)i));
    return BW_OK;
}

json_t *bw_audit_field_from_text(const bw_audit_field *f, const char *text, bool *encoding_ok)
{
    if (!text)
        return json_null();
    if (f->type == BW_AF_TEXT)
        return json_string(text);
    if (f->type == BW_AF_INT) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (end != text && !*end && !errno)
            return json_integer(v);
        *encoding_ok = false;
        return json_string(text);
    }
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    char *canon = v ? bw_canonical_json(v) : NULL;
    if (!canon || strcmp(canon, text)) /* the writer stores canonical text only */
        *encoding_ok = false;
    free(canon);
    if (v && *encoding_ok)
        return v;
    json_decref(v);
    return json_string(text);
}
