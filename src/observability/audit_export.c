/* `bulwark audit export`: the records of a time range as JSON lines, for a SIEM. Each line is the complete record
 * (keys sorted, compact), so a consumer can recompute every hash (see audit_record.h for the rule). */
#include "observability/audit.h"

#include <stdlib.h>

#include "observability/audit_record.h"
#include "observability/audit_store.h"

typedef struct out_ctx {
    FILE *out;
    int64_t n;
    bool failed;
} out_ctx;

static bool on_record(void *user, const json_t *rec, bool encoding_ok)
{
    (void)encoding_ok; /* export shows what is stored; verify judges it */
    out_ctx *o = user;
    char *line = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    if (!line || fprintf(o->out, "%s\n", line) < 0) {
        free(line);
        o->failed = true;
        return false;
    }
    free(line);
    o->n++;
    return true;
}

bw_status bw_audit_export(bw_audit_store *s, int64_t since_ms, int64_t until_ms, FILE *out, int64_t *n, char *err,
                          size_t errlen)
{
    char since[BW_AUDIT_TIME_LEN + 1], until[BW_AUDIT_TIME_LEN + 1];
    if (since_ms >= 0)
        bw_audit_time_format(since_ms, since);
    if (until_ms >= 0)
        bw_audit_time_format(until_ms, until);
    out_ctx o = {.out = out};
    bw_status st = s->ops->scan(s, since_ms >= 0 ? since : NULL, until_ms >= 0 ? until : NULL, on_record, &o, err,
                                errlen);
    *n = o.n;
    if (st == BW_OK && (o.failed || fflush(out) != 0)) {
        snprintf(err, errlen, "cannot write the export");
        return BW_E_IO;
    }
    return st;
}
