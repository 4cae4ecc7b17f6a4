/* Audit records: building them from a call's outcome, and the chain hash (see audit_record.h). */
#include "observability/audit_record.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
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

/* SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up (under a lock) at every use, and
 * this runs twice per audited call. Kept for the process's life. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *sha256(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_md ? sha256_md : EVP_sha256();
}

bool bw_audit_sha256_hex(const void *data, size_t len, char out[BW_AUDIT_HASH_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_Digest(len ? data : "", len, md, &n, sha256(), NULL) != 1 || n != 32)
        return false;
    hex_of(md, out);
    return true;
}

void bw_audit_time_format(int64_t wall_ms, char out[BW_AUDIT_TIME_LEN + 1])
{
    bw_rfc3339_ms(wall_ms, out);
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
    bw_rfc3339_ms(bw_wall_ms(), t);
    set(rec, "time", json_string(t));
    set(rec, "event", json_string(event));
    return rec;
}

/* ---- records ---- */

/* The SHA-256 of the arguments' canonical text; *canon gets that text (malloc'ed; NULL on failure). */
static json_t *args_hash(const bw_obs_outcome *o, char **canon)
{
    const json_t *args = o->arguments;
    *canon = args ? bw_canonical_json(args) : strdup("{}"); /* left out and {} are the same call */
    char hex[BW_AUDIT_HASH_HEX + 1];
    bool ok = *canon && bw_audit_sha256_hex(*canon, strlen(*canon), hex);
    return ok ? json_string(hex) : NULL;
}

/* Arguments longer than this (canonical JSON) are stored as {"truncated_bytes": N}: a record stays small enough to
 * spool and export line by line; args_sha256 still covers the whole arguments. */
#define ARGS_STORED_MAX (64u << 10)

/* What a record keeps of the arguments. canon: their canonical text (NULL: unknown). When the stored value is the
 * arguments themselves (full, or redacted with nothing to mask — the common case), they are shared rather than
 * copied and *text_used is set: canon is then also the stored value's canonical text, handed to the writer. A
 * redacted copy stays under 4 times canon's length ("[REDACTED]" with its quotes replaces a value of at least one
 * character in a member of at least five: 3.2x at worst), so its size is measured only when it could be over. */
static json_t *stored_args(bw_server *srv, const json_t *args, bw_audit_arguments mode, const char *canon,
                           bool *text_used)
{
    *text_used = false;
    if (!args || mode == BW_AUDIT_ARGS_NONE)
        return json_null();
    size_t canon_len = canon ? strlen(canon) : 0;
    if (mode == BW_AUDIT_ARGS_FULL || !bw_redact_changes(srv, args)) {
        if (canon && canon_len <= ARGS_STORED_MAX) {
            *text_used = true;
            return json_incref((json_t *)args); /* immutable from here: the call is over */
        }
        if (!canon)
            return NULL;
        return json_pack("{s:I}", "truncated_bytes", (json_int_t)canon_len);
    }
    json_t *v = bw_redact(srv, args);
    size_t bound = canon_len * 4;
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
    char *canon = NULL;
    bool text_used = false;
    set(rec, "args_sha256", has_args ? args_hash(o, &canon) : json_null());
    set(rec, "arguments", has_args ? stored_args(call->srv, o->arguments, mode, canon, &text_used) : json_null());
    if (text_used) /* the writer hashes and stores this text instead of serializing the arguments again */
        set(rec, BW_AUDIT_ARGS_TEXT_MEMBER, json_string(canon));
    free(canon);
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

/* The digest's input gathered in a buffer: a record's canonical text is ~60 small pieces, and one update per piece
 * costs more than the hashing itself. */
typedef struct digest_sink {
    EVP_MD_CTX *md;
    bool ok;
    size_t n;
    char buf[2048];
} digest_sink;

static void sink_flush(digest_sink *d)
{
    if (d->n && d->ok)
        d->ok = EVP_DigestUpdate(d->md, d->buf, d->n) == 1;
    d->n = 0;
}

static void sink_put(digest_sink *d, const char *p, size_t len)
{
    if (len > sizeof d->buf - d->n) {
        sink_flush(d);
        if (len > sizeof d->buf) {
            d->ok = d->ok && EVP_DigestUpdate(d->md, p, len) == 1;
            return;
        }
    }
    memcpy(d->buf + d->n, p, len);
    d->n += len;
}

/* A JSON string exactly as jansson dumps it without JSON_ENSURE_ASCII / JSON_ESCAPE_SLASH (so the bytes equal
 * bw_canonical_json's): '"' and '\\' and control characters escaped (\b \f \n \r \t, else \u00XX in upper case),
 * everything else — DEL and non-ASCII included — as is. A record's strings are valid UTF-8 (jansson checked them),
 * so going byte by byte is the same as going by code point. */
static void sink_string(digest_sink *d, const char *s, size_t len)
{
    static const char hexdig[] = "0123456789ABCDEF";
    sink_put(d, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sink_put(d, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', (char)c};
        size_t k = 2;
        switch (c) {
        case '"': case '\\': break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hexdig[c >> 4];
            esc[5] = hexdig[c & 15];
            k = 6;
        }
        sink_put(d, esc, k);
    }
    sink_put(d, s + run, len - run);
    sink_put(d, "\"", 1);
}

/* v's canonical text into the digest: strings, integers and null directly; anything else (the arguments) through
 * jansson's own canonical dump, unless its text is given. */
static void sink_value(digest_sink *d, const json_t *v, const char *given_text)
{
    if (given_text) {
        sink_put(d, given_text, strlen(given_text));
    } else if (!v || json_is_null(v)) {
        sink_put(d, "null", 4);
    } else if (json_is_string(v)) {
        sink_string(d, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        char num[24];
        int k = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        sink_put(d, num, k > 0 ? (size_t)k : 0);
    } else {
        char *text = bw_canonical_json(v);
        if (text)
            sink_put(d, text, strlen(text));
        else
            d->ok = false;
        free(text);
    }
}

char *bw_audit_arguments_text(json_t *rec)
{
    const json_t *v = json_object_get(rec, "arguments");
    const char *given = json_string_value(json_object_get(rec, BW_AUDIT_ARGS_TEXT_MEMBER));
    char *text = !v || json_is_null(v) ? NULL : given ? strdup(given) : bw_canonical_json(v);
    json_object_del(rec, BW_AUDIT_ARGS_TEXT_MEMBER);
    return text;
}

/* SHA-256(prev_hash || canonical JSON of the fields), streamed: the same bytes bw_canonical_json would produce for an
 * object of exactly these members ({"k":v,...} in strcmp key order, compact), without building that object, sorting
 * it and copying the text (this runs once per record on the writer thread, and again per record in verify). */
bool bw_audit_record_hash(const json_t *rec, const char *arguments_text, char out[BW_AUDIT_HASH_HEX + 1])
{
    pthread_once(&sorted_once, sort_fields);
    digest_sink d = {.md = EVP_MD_CTX_new()};
    d.ok = d.md && EVP_DigestInit_ex(d.md, sha256(), NULL) == 1;
    const char *prev = json_string_value(json_object_get(rec, "prev_hash"));
    if (prev)
        sink_put(&d, prev, strlen(prev));
    for (size_t i = 0; d.ok && i < bw_audit_nfields; i++) {
        const bw_audit_field *f = sorted_fields[i];
        sink_put(&d, i ? ",\"" : "{\"", 2);
        sink_put(&d, f->name, strlen(f->name));
        sink_put(&d, "\":", 2);
        const json_t *v = json_object_get(rec, f->name);
        sink_value(&d, v, f->type == BW_AF_JSON && v && !json_is_null(v) ? arguments_text : NULL);
    }
    sink_put(&d, "}", 1);
    sink_flush(&d);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    bool ok = d.ok && EVP_DigestFinal_ex(d.md, digest, &n) == 1 && n == 32;
    EVP_MD_CTX_free(d.md);
    if (ok)
        hex_of(digest, out);
    return ok;
}

bool bw_audit_record_seal(json_t *rec, const char *prev_hash, const char *arguments_text,
                          char out[BW_AUDIT_HASH_HEX + 1])
{
    if (json_object_set_new(rec, "prev_hash", json_string(prev_hash)) != 0)
        return false;
    return bw_audit_record_hash(rec, arguments_text, out);
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
