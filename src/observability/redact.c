/* Redaction: a copy of a JSON value with secrets masked, for log lines and audit records.
 *
 * A member is masked (its whole value, whatever its type, becomes "[REDACTED]") when its name, compared in
 * normalized form (ASCII lower case without '_' and '-'), is in the server's list or matches a built-in rule:
 * it contains password, passwd, secret, apikey, privatekey, credential, authorization or cookie, or ends with token,
 * or is one of auth, jwt, sessionid, pin, otp, ssn. A string anywhere is masked when it looks like a credential on
 * its own: a bearer/basic authorization value, a JWT, a PEM private key, a URL with a password, or a well-known key
 * shape (sk-..., ghp_..., github_pat_..., xox?-..., AKIA..., AIza...). A string that holds a JSON object or array
 * (a result's text block is often its structured content serialized) is redacted inside by the same rules. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "observability/log.h"
#include "observability/log_cfg.h"

#define MASK "[REDACTED]"
#define MAX_DEPTH 64              /* deeper containers are replaced by a marker (inputs are depth-bounded anyway) */
#define MAX_NODES 100000          /* values copied; past it the rest is replaced by a marker */
#define CUT "[TRUNCATED]"
#define MAX_JSON_TEXT (1u << 20) /* strings holding JSON are redacted inside up to this size */

bool bw_redact_normalize(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = name ? name : ""; *p; p++) {
        char c = *p;
        if (c == '_' || c == '-')
            continue;
        if (n + 1 >= cap) {
            out[n] = '\0';
            return false;
        }
        out[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[n] = '\0';
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static bool builtin_name(const char *norm)
{
    static const char *const contains[] = {"password", "passwd", "secret", "apikey", "privatekey", "credential",
                                           "authorization", "cookie"};
    static const char *const exact[] = {"auth", "jwt", "sessionid", "pin", "otp", "ssn", "passphrase"};
    for (size_t i = 0; i < sizeof contains / sizeof *contains; i++)
        if (strstr(norm, contains[i]))
            return true;
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (!strcmp(norm, exact[i]))
            return true;
    return ends_with(norm, "token");
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* true when a member of this name is masked. */
static bool secret_name(const bw_logsnap *snap, const char *name)
{
    char norm[BW_LOG_MAX_NAME + 1];
    bool whole = bw_redact_normalize(name, norm, sizeof norm);
    if (builtin_name(norm))
        return true;
    const char *key = norm;
    return whole && snap && snap->n_redact &&
           bsearch(&key, snap->redact, snap->n_redact, sizeof *snap->redact, str_cmp) != NULL;
}

/* ---- strings that are credentials by their shape ---- */

static bool is_token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

/* Token characters starting at p: at least min of them. */
static bool token_at(const char *p, size_t min)
{
    size_t n = 0;
    while (is_token_char(p[n]))
        n++;
    return n >= min;
}

/* A credential after an authorization scheme: 8+ token characters with a digit, a symbol or both letter cases
 * (so that "Bearer authentication failed" stays readable). */
static bool credential_at(const char *p)
{
    size_t n = 0;
    bool digit = false, symbol = false, upper = false, lower = false;
    for (; is_token_char(p[n]); n++) {
        char c = p[n];
        digit |= c >= '0' && c <= '9';
        upper |= c >= 'A' && c <= 'Z';
        lower |= c >= 'a' && c <= 'z';
        symbol |= !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
    }
    return n >= 8 && (digit || symbol || (upper && lower));
}

/* "Bearer xxx" / "Basic xxx" (case-insensitive, anywhere in the string). */
static bool auth_scheme(const char *s)
{
    static const char *const schemes[] = {"bearer ", "basic "};
    for (const char *p = s; *p; p++) {
        if ((*p | 0x20) != 'b') /* both schemes start with b: most positions end here (this runs per string value) */
            continue;
        for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
            size_t k = strlen(schemes[i]);
            if ((p == s || !is_token_char(p[-1])) && !strncasecmp(p, schemes[i], k) && credential_at(p + k))
                return true;
        }
    }
    return false;
}

/* A prefix of a well-known key format followed by enough key characters, at a word start. */
static bool key_shape(const char *s)
{
    static const struct {
        const char *prefix;
        size_t min;
    } shapes[] = {{"sk-", 20}, {"sk_live_", 16}, {"rk_live_", 16}, {"ghp_", 30}, {"gho_", 30}, {"ghu_", 30},
                  {"ghs_", 30}, {"ghr_", 30}, {"github_pat_", 30}, {"xoxb-", 10}, {"xoxp-", 10}, {"xoxa-", 10},
                  {"xoxs-", 10}, {"xoxr-", 10}, {"AKIA", 16}, {"ASIA", 16}, {"AIza", 30}, {"glpat-", 20},
                  {"eyJ", 20}};
    for (const char *p = s; *p; p++) {
        if (p != s && is_token_char(p[-1]))
            continue;
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            if (*p != shapes[i].prefix[0])
                continue;
            size_t k = strlen(shapes[i].prefix);
            if (!strncmp(p, shapes[i].prefix, k) && token_at(p + k, shapes[i].min))
                return true;
        }
    }
    return false;
}

/* scheme://user:password@host */
static bool url_password(const char *s)
{
    const char *p = strstr(s, "://");
    if (!p)
        return false;
    const char *at = strchr(p + 3, '@'), *colon = strchr(p + 3, ':');
    const char *slash = strchr(p + 3, '/');
    return at && colon && colon < at && (!slash || at < slash);
}

bool bw_redact_secret_text(const char *s)
{
    if (!s || !*s)
        return false;
    return auth_scheme(s) || key_shape(s) || url_password(s) || strstr(s, "PRIVATE KEY-----") != NULL;
}

/* ---- the copy ---- */

typedef struct walk {
    const bw_logsnap *snap;
    size_t nodes;
} walk;

static json_t *copy(walk *w, const json_t *v, int depth);

static json_t *copy_object(walk *w, const json_t *v, int depth)
{
    json_t *out = json_object();
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m) {
        json_t *c = secret_name(w->snap, k) ? json_string(MASK) : copy(w, m, depth + 1);
        if (!out || !c || json_object_set_new(out, k, c)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *copy_array(walk *w, const json_t *v, int depth)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
        if (!out || json_array_append_new(out, copy(w, m, depth + 1))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* A string holding a JSON object or array (a tool's result text is often its structured result serialized): the
 * redacted copy, serialized again; NULL when it is not such a string. */
static json_t *json_text(walk *w, const char *s, size_t len, int depth)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == len || (s[i] != '{' && s[i] != '[') || len > MAX_JSON_TEXT)
        return NULL;
    json_t *parsed = json_loadb(s, len, JSON_DECODE_ANY, NULL);
    if (!json_is_object(parsed) && !json_is_array(parsed)) {
        json_decref(parsed);
        return NULL;
    }
    json_t *clean = copy(w, parsed, depth + 1);
    json_decref(parsed);
    char *text = clean ? json_dumps(clean, JSON_COMPACT) : NULL;
    json_decref(clean);
    json_t *out = json_string(text ? text : CUT);
    free(text);
    return out;
}

static json_t *copy(walk *w, const json_t *v, int depth)
{
    if (++w->nodes > MAX_NODES || ((json_is_object(v) || json_is_array(v)) && depth >= MAX_DEPTH))
        return json_string(CUT);
    if (json_is_object(v))
        return copy_object(w, v, depth);
    if (json_is_array(v))
        return copy_array(w, v, depth);
    if (json_is_string(v) && bw_redact_secret_text(json_string_value(v)))
        return json_string(MASK);
    json_t *inner = json_is_string(v) ? json_text(w, json_string_value(v), json_string_length(v), depth) : NULL;
    return inner ? inner : json_deep_copy(v);
}

/* A string bw_redact would replace or rewrite: a credential, or (conservatively) anything that may hold JSON. */
static bool string_changes(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return (i < len && (s[i] == '{' || s[i] == '[')) || bw_redact_secret_text(s);
}

static bool changes(walk *w, const json_t *v, int depth)
{
    if (++w->nodes > MAX_NODES || ((json_is_object(v) || json_is_array(v)) && depth >= MAX_DEPTH))
        return true;
    if (json_is_string(v))
        return string_changes(v);
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, m) {
            if (secret_name(w->snap, k) || changes(w, m, depth + 1))
                return true;
        }
    if (json_is_array(v))
        json_array_foreach(v, i, m) {
            if (changes(w, m, depth + 1))
                return true;
        }
    return false;
}

bool bw_redact_changes(bw_server *srv, const json_t *v)
{
    if (!v)
        return false;
    walk w = {.snap = bw_logcfg_snap(srv)};
    return changes(&w, v, 0);
}

json_t *bw_redact(bw_server *srv, const json_t *v)
{
    if (!v)
        return NULL;
    walk w = {.snap = bw_logcfg_snap(srv)};
    return copy(&w, v, 0);
}
