/* Audit records: building them from a call's outcome, and the chain hash (see audit_record.h). */
#include "observability/audit_record.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "observability/log.h"
#include "protocol/call_internal.h"
#include "reliability/result_cache.h"

const bw_audit_field bw_audit_fields[] = {
    {"time", BW_AF_TEXT},        {"event", BW_AF_TEXT},      {"request_id", BW_AF_TEXT},
    {"session_id", BW_AF_TEXT},  {"identity", BW_AF_TEXT},   {"client_name", BW_AF_TEXT},
    {"client_version", BW_AF_TEXT}, {"remote_addr", BW_AF_TEXT}, {"user_agent", BW_AF_TEXT},
    {"method", BW_AF_TEXT},      {"target", BW_AF_TEXT},     {"args_sha256", BW_AF_TEXT},
    {"arguments", BW_AF_JSON},   {"outcome", BW_AF_TEXT},    {"error_type", BW_AF_TEXT},
    {"duration_us", BW_AF_INT},  {"prev_hash", BW_AF_TEXT},
};
const size_t bw_audit_nfields = sizeof bw_audit_fields / sizeof bw_audit_fields[0];

/* Bounds of the free-text members a client controls (the rest are bounded by their producers). */
#define TARGET_MAX 1024
#define SHORT_MAX 256

/* ---- small pieces ---- */

/* Lower-case hex of a 32-byte digest (twice per record: no printf machinery). */
static void hex_of(const unsigned char md[32], char out[BW_AUDIT_HASH_HEX + 1])
{
    static const char hexdig[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hexdig[md[i] >> 4];
        out[2 * i + 1] = hexdig[md[i] & 15];
    }
    out[64] = '\0';
}

bool bw_audit_sha256_hex(const void *data, size_t len, char out[BW_AUDIT_HASH_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_Digest(len ? data : "", len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return false;
    hex_of(md, out);
    return true;
}

void bw_audit_time_format(int64_t wall_ms, char out[BW_AUDIT_TIME_LEN + 1])
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm); /* 19 characters for years 1000..9999 */
    int ms = (int)(wall_ms % 1000);
    memcpy(out, date, 19);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A string member truncated to max bytes (at a UTF-8 character boundary), or null for NULL/"" . */
static json_t *bounded_str(const char *s, size_t max)
{
    if (!s || !*s)
        return json_null();
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    json_t *v = json_stringn(s, n);
    return v ? v : json_null(); /* invalid UTF-8 is not recorded as text */
}

static void set(json_t *rec, const char *key, json_t *v)
{
    json_object_set_new(rec, key, v ? v : json_null());
}

/* Every field null, time set to now: the members of every record. */
static json_t *record_new(const char *event)
{
    json_t *rec = json_object();
    if (!rec)
        return NULL;
    for (size_t i = 0; i < bw_audit_nfields; i++)
        json_object_set_new(rec, bw_audit_fields[i].name, json_null());
    char t[BW_AUDIT_TIME_LEN + 1];
    bw_audit_time_format(wall_now_ms(), t);
    set(rec, "time", json_string(t));
    set(rec, "event", json_string(event));
    return rec;
}

/* ---- records ---- */

/* The SHA-256 of the arguments' canonical text; *canon_len gets that text's length (0 on failure). */
static json_t *args_hash(const bw_obs_outcome *o, size_t *canon_len)
{
    const json_t *args = o->arguments;
    char *canon = args ? bw_canonical_json(args) : strdup("{}"); /* left out and {} are the same call */
    char hex[BW_AUDIT_HASH_HEX + 1];
    *canon_len = canon ? strlen(canon) : 0;
    bool ok = canon && bw_audit_sha256_hex(canon, *canon_len, hex);
    free(canon);
    return ok ? json_string(hex) : NULL;
}

/* Arguments longer than this (canonical JSON) are stored as {"truncated_bytes": N}: a record stays small enough to
 * spool and export line by line; args_sha256 still covers the whole arguments. */
#define ARGS_STORED_MAX (64u << 10)

/* canon_len: the length of the arguments' canonical text (0: unknown). The full copy has exactly that length; a
 * redacted one stays under 4 times it ("[REDACTED]" with its quotes replaces a value of at least one character in a
 * member of at least five: 3.2x at worst), so the size is measured only when it could be over the bound. */
static json_t *stored_args(bw_server *srv, const json_t *args, bw_audit_arguments mode, size_t canon_len)
{
    if (!args || mode == BW_AUDIT_ARGS_NONE)
        return json_null();
    json_t *v = mode == BW_AUDIT_ARGS_FULL ? json_deep_copy(args) : bw_redact(srv, args);
    size_t bound = mode == BW_AUDIT_ARGS_FULL ? canon_len : canon_len * 4;
    size_t n = !v ? 0 : canon_len && bound <= ARGS_STORED_MAX ? bound
                                                             : json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n <= ARGS_STORED_MAX)
        return v;
    json_decref(v);
    return json_pack("{s:I}", "truncated_bytes", (json_int_t)n);
}

json_t *bw_audit_record_call(bw_call *call, const bw_obs_outcome *o, bw_audit_arguments mode)
{
    json_t *rec = record_new("call");
    if (!rec)
        return NULL;
    const bw_obs_call *ob = &call->obs;
    set(rec, "request_id", bounded_str(ob->request_id, SHORT_MAX));
    set(rec, "session_id", bounded_str(ob->session_id, SHORT_MAX));
    set(rec, "client_name", bounded_str(json_string_value(json_object_get(call->client_info, "name")), SHORT_MAX));
    set(rec, "client_version",
        bounded_str(json_string_value(json_object_get(call->client_info, "version")), SHORT_MAX));
    set(rec, "remote_addr", bounded_str(ob->remote_addr, SHORT_MAX));
    set(rec, "user_agent", bounded_str(ob->user_agent, SHORT_MAX));
    set(rec, "method", bounded_str(o->method, SHORT_MAX));
    set(rec, "target", bounded_str(o->target, TARGET_MAX));
    bool has_args = strcmp(o->method, "resources/read") != 0;
    size_t canon_len = 0;
    set(rec, "args_sha256", has_args ? args_hash(o, &canon_len) : json_null());
    set(rec, "arguments", has_args ? stored_args(call->srv, o->arguments, mode, canon_len) : json_null());
    set(rec, "outcome", bounded_str(o->status, SHORT_MAX));
    set(rec, "error_type", bounded_str(o->error_type, SHORT_MAX));
    double us = o->duration_s * 1e6;
    set(rec, "duration_us", json_integer(us > 0 ? (json_int_t)(us + 0.5) : 0));
    return rec;
}

json_t *bw_audit_record_auth(const char *remote_addr, const char *user_agent, const char *identity,
                             const char *reason)
{
    json_t *rec = record_new("auth_failure");
    if (!rec)
        return NULL;
    set(rec, "identity", bounded_str(identity, SHORT_MAX));
    set(rec, "remote_addr", bounded_str(remote_addr, SHORT_MAX));
    set(rec, "user_agent", bounded_str(user_agent, SHORT_MAX));
    set(rec, "outcome", json_string("denied"));
    set(rec, "error_type", bounded_str(reason ? reason : "unknown", SHORT_MAX));
    return rec;
}

/* ---- the chain ---- */

/* The record's fields in the order a canonical (sorted-keys) dump puts them: strcmp order, computed once. */
static const bw_audit_field *sorted_fields[32];
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const bw_audit_field *const *)a)->name, (*(const bw_audit_field *const *)b)->name);
}

static void sort_fields(void)
{
    for (size_t i = 0; i < bw_audit_nfields; i++)
        sorted_fields[i] = &bw_audit_fields[i];
    qsort(sorted_fields, bw_audit_nfields, sizeof sorted_fields[0], by_name);
}

/* Feeds v's canonical text (jansson's own dump, so escapes are exactly those of bw_canonical_json) to the digest. */
static bool digest_value(EVP_MD_CTX *md, const json_t *v)
{
    char small[1024];
    const size_t flags = JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY;
    size_t n = json_dumpb(v, small, sizeof small, flags);
    if (n == 0)
        return false;
    if (n <= sizeof small)
        return EVP_DigestUpdate(md, small, n) == 1;
    char *big = malloc(n);
    bool ok = big && json_dumpb(v, big, n, flags) == n && EVP_DigestUpdate(md, big, n) == 1;
    free(big);
    return ok;
}

/* SHA-256(prev_hash || canonical JSON of the fields), streamed: the same bytes bw_canonical_json would produce for an
 * object of exactly these members ({"k":v,...} in strcmp key order, compact), without building that object, sorting
 * it and copying the text (this runs once per record on the writer thread, and again per record in verify). */
bool bw_audit_record_hash(const json_t *rec, char out[BW_AUDIT_HASH_HEX + 1])
{
    pthread_once(&sorted_once, sort_fields);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const char *prev = json_string_value(json_object_get(rec, "prev_hash"));
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              (!prev || EVP_DigestUpdate(md, prev, strlen(prev)) == 1);
    for (size_t i = 0; ok && i < bw_audit_nfields; i++) {
        const char *name = sorted_fields[i]->name;
        const json_t *v = json_object_get(rec, name);
        ok = EVP_DigestUpdate(md, i ? ",\"" : "{\"", 2) == 1 && EVP_DigestUpdate(md, name, strlen(name)) == 1 &&
             EVP_DigestUpdate(md, "\":", 2) == 1 && digest_value(md, v ? v : json_null());
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    ok = ok && EVP_DigestUpdate(md, "}", 1) == 1 && EVP_DigestFinal_ex(md, digest, &n) == 1 && n == 32;
    EVP_MD_CTX_free(md);
    if (ok)
        hex_of(digest, out);
    return ok;
}

bool bw_audit_record_seal(json_t *rec, const char *prev_hash, char out[BW_AUDIT_HASH_HEX + 1])
{
    if (json_object_set_new(rec, "prev_hash", json_string(prev_hash)) != 0)
        return false;
    return bw_audit_record_hash(rec, out);
}

/* ---- times given on the command line ---- */

static bool parse_duration(const char *s, int64_t *ms)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0 || n > 100LL * 365 * 86400)
        return false;
    int64_t unit = !strcmp(end, "s") ? 1000 : !strcmp(end, "m") ? 60000 : !strcmp(end, "h") ? 3600000
                 : !strcmp(end, "d") ? 86400000 : 0;
    if (!unit || !isdigit((unsigned char)*s))
        return false;
    *ms = (int64_t)n * unit;
    return true;
}

/* "hh:mm" offset after a sign: seconds east of UTC. */
static bool parse_offset(const char *s, long *secs)
{
    int hh, mm, used = 0;
    if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 || used != 5 ||
        s[6] != '\0' || hh > 23 || mm > 59)
        return false;
    *secs = (s[0] == '-' ? -1 : 1) * (long)(hh * 3600 + mm * 60);
    return true;
}

static bool parse_rfc3339(const char *s, int64_t *out_ms)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return false;
    int frac_ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        if (!digits)
            return false;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    long off = 0;
    if (!((*p == 'Z' || *p == 'z') && p[1] == '\0') && !parse_offset(p, &off))
        return false;
    time_t t = timegm(&tm);
    *out_ms = ((int64_t)t - off) * 1000 + frac_ms;
    return true;
}

bool bw_audit_time_parse(const char *text, int64_t now_ms, int64_t *out_ms)
{
    if (!text || !*text)
        return false;
    int64_t d;
    if (parse_duration(text, &d)) {
        *out_ms = now_ms - d;
        return true;
    }
    return parse_rfc3339(text, out_ms);
}
