/* JSON Schema validator: walks the compiled bw_sc_node graph (see schema_compile.c) against an instance.
 *
 * Error reporting: the first failure is written straight into the caller's buffer and every caller
 * returns false at once, so nothing is overwritten. Branches that are only probed (anyOf, oneOf, not,
 * if, contains, propertyNames) run "silent": failures inside them are not written, and the combinator
 * writes its own reason. The depth guard is "fatal": it is written even when silent and stops every
 * probe, so a too-deep instance can never turn into a success through `not`.
 *
 * Collecting (bw_schema_validate_all): the same walk. A failure outside a probe is recorded and the failing check
 * returns true ("recorded, go on") instead of false, so the walk continues with the next keyword, property or
 * item without any change to the success path (which bw_schema_validate's speed depends on: measured, tracking an
 * "ok" flag through the walk cost ~3% there). Failure returns are therefore v_recorded(c), never a bare false. */
#include "protocol/schema_internal.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- message writer ---- */

void bw_sc_w_init(bw_sc_wbuf *w, char *buf, size_t cap)
{
    *w = (bw_sc_wbuf){.buf = buf, .cap = buf ? cap : 0};
    if (w->cap)
        buf[0] = '\0';
}

void bw_sc_w_mem(bw_sc_wbuf *w, const char *s, size_t n)
{
    if (w->full || w->cap == 0)
        return;
    size_t room = w->cap - 1 - w->len;
    if (n > room) {
        /* Back up to a character boundary so the message stays valid UTF-8 (it may end up in JSON). */
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        w->full = true;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

void bw_sc_w_str(bw_sc_wbuf *w, const char *s)
{
    bw_sc_w_mem(w, s, strlen(s));
}

void bw_sc_w_fmt(bw_sc_wbuf *w, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0)
        bw_sc_w_mem(w, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void w_escaped_char(bw_sc_wbuf *w, unsigned char ch)
{
    switch (ch) {
    case '"': bw_sc_w_str(w, "\\\""); break;
    case '\\': bw_sc_w_str(w, "\\\\"); break;
    case '\n': bw_sc_w_str(w, "\\n"); break;
    case '\r': bw_sc_w_str(w, "\\r"); break;
    case '\t': bw_sc_w_str(w, "\\t"); break;
    default:
        if (ch < 0x20 || ch == 0x7F)
            bw_sc_w_fmt(w, "\\u%04x", ch);
        else
            bw_sc_w_mem(w, (const char *)&ch, 1);
    }
}

void bw_sc_w_quoted(bw_sc_wbuf *w, const char *s, size_t len, size_t max)
{
    size_t n = len;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    bw_sc_w_str(w, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7F) {
            size_t run = i;
            while (run < n && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\' && s[run] != 0x7F)
                run++;
            bw_sc_w_mem(w, s + i, run - i);
            i = run - 1;
        } else {
            w_escaped_char(w, ch);
        }
    }
    bw_sc_w_str(w, n < len ? "...\"" : "\"");
}

/* ---- numbers ---- */

bool bw_schema_num_from_json(const json_t *j, bw_sc_num *out)
{
    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        *out = (bw_sc_num){.present = true, .is_int = true, .i = i, .d = (double)i};
        return true;
    }
    if (json_is_real(j)) {
        *out = (bw_sc_num){.present = true, .d = json_real_value(j)};
        return true;
    }
    return false;
}

/* Exact real-vs-integer order: converting a large integer to double would round it. */
static int cmp_real_int(double d, json_int_t i)
{
    if (d < -9223372036854775808.0)
        return -1;
    if (d >= 9223372036854775808.0)
        return 1;
    double t = trunc(d);
    json_int_t ti = (json_int_t)t;
    if (ti != i)
        return ti < i ? -1 : 1;
    return d > t ? 1 : d < t ? -1 : 0;
}

int bw_schema_num_cmp(const bw_sc_num *a, const bw_sc_num *b)
{
    if (a->is_int && b->is_int)
        return a->i < b->i ? -1 : a->i > b->i;
    if (!a->is_int && !b->is_int)
        return a->d < b->d ? -1 : a->d > b->d;
    if (a->is_int)
        return -cmp_real_int(b->d, a->i);
    return cmp_real_int(a->d, b->i);
}

static bool num_as_int(const bw_sc_num *x, json_int_t *out)
{
    if (x->is_int) {
        *out = x->i;
        return true;
    }
    if (x->d != trunc(x->d) || x->d < -9.2e18 || x->d > 9.2e18)
        return false;
    *out = (json_int_t)x->d;
    return true;
}

/* Integers divide exactly. Reals use the quotient and accept it as integral within a few ulps, so that
 * 0.3 is a multiple of 0.1 although 0.3/0.1 is 2.9999999999999996 in binary floating point. */
static bool is_multiple(const bw_sc_num *x, const bw_sc_num *m)
{
    json_int_t xi;
    if (m->is_int && num_as_int(x, &xi))
        return xi % m->i == 0;
    double q = x->d / m->d;
    if (!isfinite(q))
        return false;
    return fabs(q - nearbyint(q)) <= 8 * DBL_EPSILON * fmax(1.0, fabs(q));
}

static void w_num(bw_sc_wbuf *w, const bw_sc_num *x)
{
    if (x->is_int) {
        bw_sc_w_fmt(w, "%" JSON_INTEGER_FORMAT, x->i);
        return;
    }
    /* Shortest text that reads back as the same double: 0.1, not 0.10000000000000001. */
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, x->d);
        if (strtod(tmp, NULL) == x->d)
            break;
    }
    bw_sc_w_str(w, tmp);
}

/* ---- deep equality and hashing (numbers compare by value: 1 == 1.0) ---- */

/* 1 equal, 0 different, -1 nesting deeper than the limit. */
static int json_eq(const json_t *a, const json_t *b, unsigned depth);

static int array_eq(const json_t *a, const json_t *b, unsigned depth)
{
    size_t n = json_array_size(a);
    if (n != json_array_size(b))
        return 0;
    for (size_t i = 0; i < n; i++) {
        int r = json_eq(json_array_get(a, i), json_array_get(b, i), depth + 1);
        if (r != 1)
            return r;
    }
    return 1;
}

static int object_eq(const json_t *a, const json_t *b, unsigned depth)
{
    if (json_object_size(a) != json_object_size(b))
        return 0;
    const char *key;
    size_t klen;
    json_t *va;
    json_object_keylen_foreach((json_t *)a, key, klen, va)
    {
        const json_t *vb = json_object_getn(b, key, klen);
        int r = vb ? json_eq(va, vb, depth + 1) : 0;
        if (r != 1)
            return r;
    }
    return 1;
}

static int json_eq(const json_t *a, const json_t *b, unsigned depth)
{
    if (a == b)
        return 1;
    if (depth >= BW_SCHEMA_MAX_DEPTH)
        return -1;
    bw_sc_num x, y;
    if (bw_schema_num_from_json(a, &x) && bw_schema_num_from_json(b, &y))
        return bw_schema_num_cmp(&x, &y) == 0;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY: return array_eq(a, b, depth);
    case JSON_OBJECT: return object_eq(a, b, depth);
    default: return 1; /* true, false, null: the type is the value */
    }
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

static uint64_t bytes_hash(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
    return h;
}

/* Consistent with json_eq: equal values hash equal (numbers via their double value, objects
 * independently of key order). Collisions are resolved by json_eq. */
static uint64_t json_hash(const json_t *x, unsigned depth)
{
    if (depth >= BW_SCHEMA_MAX_DEPTH)
        return 0;
    uint64_t h = (uint64_t)json_typeof(x);
    if (json_is_number(x)) {
        double d = json_number_value(x);
        d = d == 0 ? 0 : d; /* -0.0 == 0 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix64(bits ^ 0x51);
    }
    if (json_is_string(x))
        return mix64(bytes_hash(json_string_value(x), json_string_length(x)));
    if (json_is_array(x)) {
        for (size_t i = 0; i < json_array_size(x); i++)
            h = mix64(h * 31 + json_hash(json_array_get(x, i), depth + 1));
        return h;
    }
    if (json_is_object(x)) {
        const char *key;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach((json_t *)x, key, klen, v)
        {
            h += mix64(bytes_hash(key, klen) ^ json_hash(v, depth + 1));
        }
        return mix64(h);
    }
    return mix64(h);
}

/* ---- validation context and paths ---- */

typedef enum { P_ROOT, P_KEY, P_INDEX } pkind;

/* A location in the instance, on the C stack; rendered only when a failure is written. */
typedef struct vpath {
    const struct vpath *up;
    pkind kind;
    const char *key;
    size_t len;
    size_t index;
} vpath;

/* bw_schema_validate_all's state. The failure being written is held here and handed to the callback when the next
 * one starts or the walk ends: each failure is written by a single function, so it is complete by then. */
typedef struct collector {
    bw_schema_error_fn each;
    void *ctx;
    size_t max, n; /* n: failures started (the pending one included) */
    bool pending, at_key;
    char ptr[1024];
    char msg[1024];
} collector;

typedef struct {
    const bw_schema *s;
    char *err;
    size_t errlen;
    unsigned silent;
    bool fatal;
    collector *col; /* NULL unless collecting */
} vctx;

/* What a failed check returns: true when the failure was recorded and the walk goes on (collecting, outside a
 * probe, below the error cap), false when the walk must end (first-failure mode, probes, the depth guard). */
static inline bool v_recorded(const vctx *c)
{
    return c->col && !c->silent && !c->fatal;
}

static bool is_ident(const char *k, size_t len)
{
    if (len == 0 || (k[0] >= '0' && k[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = k[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '$'))
            return false;
    }
    return true;
}

static void w_path(bw_sc_wbuf *w, const vpath *p)
{
    if (p->kind == P_ROOT) {
        bw_sc_w_str(w, "$");
        return;
    }
    w_path(w, p->up);
    if (p->kind == P_INDEX) {
        bw_sc_w_fmt(w, "[%zu]", p->index);
    } else if (is_ident(p->key, p->len)) {
        bw_sc_w_str(w, ".");
        bw_sc_w_mem(w, p->key, p->len);
    } else {
        bw_sc_w_str(w, "[");
        bw_sc_w_quoted(w, p->key, p->len, 64);
        bw_sc_w_str(w, "]");
    }
}

/* RFC 6901: "" for the root, "/a/0/b" below it, with ~ and / in keys written ~0 and ~1. */
static void w_pointer(bw_sc_wbuf *w, const vpath *p)
{
    if (p->kind == P_ROOT)
        return;
    w_pointer(w, p->up);
    if (p->kind == P_INDEX) {
        bw_sc_w_fmt(w, "/%zu", p->index);
        return;
    }
    bw_sc_w_str(w, "/");
    for (size_t i = 0; i < p->len; i++) {
        const char *esc = p->key[i] == '~' ? "~0" : p->key[i] == '/' ? "~1" : NULL;
        if (esc)
            bw_sc_w_str(w, esc);
        else
            bw_sc_w_mem(w, p->key + i, 1);
    }
}

static void col_flush(collector *col)
{
    if (!col->pending)
        return;
    col->pending = false;
    col->each(col->ctx, &(bw_schema_error){.pointer = col->ptr, .message = col->msg, .at_key = col->at_key});
}

/* Starts a collected failure at p; NULL (and the walk ends) once max failures were reported. */
static bw_sc_wbuf *col_begin(vctx *c, const vpath *p, bw_sc_wbuf *w)
{
    collector *col = c->col;
    col_flush(col);
    if (col->n >= col->max) {
        c->fatal = true;
        return NULL;
    }
    col->n++;
    col->pending = true;
    col->at_key = false;
    bw_sc_w_init(w, col->ptr, sizeof col->ptr);
    w_pointer(w, p);
    bw_sc_w_init(w, col->msg, sizeof col->msg);
    return w;
}

/* Short rendering of an instance value for messages: scalars in JSON, containers by kind. */
static void w_value(bw_sc_wbuf *w, const json_t *x)
{
    bw_sc_num num;
    if (json_is_string(x))
        bw_sc_w_quoted(w, json_string_value(x), json_string_length(x), 48);
    else if (bw_schema_num_from_json(x, &num))
        w_num(w, &num);
    else if (json_is_object(x))
        bw_sc_w_str(w, "object");
    else if (json_is_array(x))
        bw_sc_w_str(w, "array");
    else
        bw_sc_w_str(w, json_is_null(x) ? "null" : json_is_true(x) ? "true" : "false");
}

/* Starts the failure message, or returns NULL when it must not be written (silent probe, or no buffer). */
static bw_sc_wbuf *v_begin(vctx *c, const vpath *p, bw_sc_wbuf *w)
{
    if (c->silent || c->fatal)
        return NULL;
    if (c->col)
        return col_begin(c, p, w);
    if (!c->err || !c->errlen)
        return NULL;
    bw_sc_w_init(w, c->err, c->errlen);
    w_path(w, p);
    bw_sc_w_str(w, ": ");
    return w;
}

__attribute__((format(printf, 3, 4))) static bool v_fail(vctx *c, const vpath *p, const char *fmt, ...)
{
    bw_sc_wbuf w;
    if (!v_begin(c, p, &w))
        return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bw_sc_w_str(&w, msg);
    return v_recorded(c);
}

static bool v_fatal(vctx *c, const vpath *p, const char *msg)
{
    /* Written even inside a silent probe: the guard's reason must reach the caller. */
    bw_sc_wbuf w;
    if (!c->fatal && c->col) {
        if (col_begin(c, p, &w))
            bw_sc_w_str(&w, msg);
    } else if (!c->fatal && c->err && c->errlen) {
        bw_sc_w_init(&w, c->err, c->errlen);
        w_path(&w, p);
        bw_sc_w_str(&w, ": ");
        bw_sc_w_str(&w, msg);
    }
    c->fatal = true;
    return false;
}

static bool v_node(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth);

/* Runs n against x without writing failures; the caller reports. */
static bool v_probe(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    c->silent++;
    bool ok = v_node(c, n, x, p, depth);
    c->silent--;
    return ok;
}

/* ---- type, enum, const ---- */

static uint8_t type_bits(const json_t *x)
{
    switch (json_typeof(x)) {
    case JSON_OBJECT: return BW_SC_T_OBJECT;
    case JSON_ARRAY: return BW_SC_T_ARRAY;
    case JSON_STRING: return BW_SC_T_STRING;
    case JSON_INTEGER: return BW_SC_T_NUMBER | BW_SC_T_INTEGER;
    case JSON_REAL: {
        double d = json_real_value(x);
        return BW_SC_T_NUMBER | (d == trunc(d) ? BW_SC_T_INTEGER : 0);
    }
    case JSON_TRUE:
    case JSON_FALSE: return BW_SC_T_BOOLEAN;
    default: return BW_SC_T_NULL;
    }
}

static const char *type_name(const json_t *x)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "object", [JSON_ARRAY] = "array", [JSON_STRING] = "string", [JSON_INTEGER] = "integer",
        [JSON_REAL] = "number",   [JSON_TRUE] = "boolean", [JSON_FALSE] = "boolean", [JSON_NULL] = "null",
    };
    return names[json_typeof(x)];
}

static bool v_type(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p)
{
    if (type_bits(x) & n->types)
        return true;
    static const struct {
        uint8_t bit;
        const char *name;
    } order[] = {{BW_SC_T_STRING, "string"}, {BW_SC_T_NUMBER, "number"}, {BW_SC_T_INTEGER, "integer"},
                 {BW_SC_T_BOOLEAN, "boolean"}, {BW_SC_T_OBJECT, "object"}, {BW_SC_T_ARRAY, "array"},
                 {BW_SC_T_NULL, "null"}};
    bw_sc_wbuf w;
    if (!v_begin(c, p, &w))
        return false;
    bw_sc_w_str(&w, "expected ");
    unsigned left = (unsigned)__builtin_popcount(n->types);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(n->types & order[i].bit))
            continue;
        bw_sc_w_str(&w, order[i].name);
        left--;
        bw_sc_w_str(&w, left > 1 ? ", " : left == 1 ? " or " : "");
    }
    bw_sc_w_str(&w, ", got ");
    bw_sc_w_str(&w, type_name(x));
    return false;
}
/* v_type, v_const and v_enum return false on a mismatch in both modes: v_node then skips the value's other
 * keywords (they would only repeat the failure) and returns v_recorded. */

static bool v_const(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p)
{
    int eq = json_eq(x, n->const_val, 0);
    if (eq == 1)
        return true;
    if (eq < 0)
        return v_fatal(c, p, "value nesting too deep to compare");
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        w_value(&w, x);
        bw_sc_w_str(&w, " is not equal to const ");
        w_value(&w, n->const_val);
    }
    return false;
}

static bool v_enum(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p)
{
    size_t k = json_array_size(n->enum_vals);
    for (size_t i = 0; i < k; i++) {
        int eq = json_eq(x, json_array_get(n->enum_vals, i), 0);
        if (eq == 1)
            return true;
        if (eq < 0)
            return v_fatal(c, p, "value nesting too deep to compare");
    }
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        w_value(&w, x);
        bw_sc_w_str(&w, " is not one of the enum values ");
        for (size_t i = 0; i < k; i++) {
            bw_sc_w_str(&w, i ? ", " : "");
            w_value(&w, json_array_get(n->enum_vals, i));
        }
    }
    return false;
}

/* ---- numbers and strings ---- */

static bool fail_num(vctx *c, const vpath *p, const bw_sc_num *x, const char *what, const bw_sc_num *bound)
{
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        w_num(&w, x);
        bw_sc_w_str(&w, what);
        w_num(&w, bound);
    }
    return v_recorded(c);
}

static bool v_number(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p)
{
    bw_sc_num v;
    bw_schema_num_from_json(x, &v);
    if (n->minimum.present && bw_schema_num_cmp(&v, &n->minimum) < 0)
        return fail_num(c, p, &v, " is less than minimum ", &n->minimum);
    if (n->maximum.present && bw_schema_num_cmp(&v, &n->maximum) > 0)
        return fail_num(c, p, &v, " is greater than maximum ", &n->maximum);
    if (n->ex_minimum.present && bw_schema_num_cmp(&v, &n->ex_minimum) <= 0)
        return fail_num(c, p, &v, " is not greater than exclusiveMinimum ", &n->ex_minimum);
    if (n->ex_maximum.present && bw_schema_num_cmp(&v, &n->ex_maximum) >= 0)
        return fail_num(c, p, &v, " is not less than exclusiveMaximum ", &n->ex_maximum);
    if (n->multiple_of.present && !is_multiple(&v, &n->multiple_of))
        return fail_num(c, p, &v, " is not a multipleOf ", &n->multiple_of);
    return true;
}

static size_t utf8_code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* One match data per thread, reused: pcre2_match needs scratch space, and allocating it per call
 * would put malloc on the hot path. Size 1 suffices because only match/no-match is wanted. */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static bool md_key_ok;

static void md_destroy(void *md)
{
    pcre2_match_data_free(md);
}

static void md_init(void)
{
    md_key_ok = pthread_key_create(&md_key, md_destroy) == 0;
}

static pcre2_match_data *thread_match_data(void)
{
    pthread_once(&md_once, md_init);
    if (!md_key_ok)
        return NULL;
    pcre2_match_data *md = pthread_getspecific(md_key);
    if (!md && (md = pcre2_match_data_create(1, NULL)) && pthread_setspecific(md_key, md) != 0) {
        pcre2_match_data_free(md);
        md = NULL;
    }
    return md;
}

/* 1 match, 0 no match, -1 the match could not be decided (resource limit, no memory). */
static int re_search(const vctx *c, const bw_sc_regex *re, const char *s, size_t len)
{
    pcre2_match_data *md = thread_match_data();
    if (!md)
        return -1;
    int rc = pcre2_match(re->re, (PCRE2_SPTR)s, len, 0, 0, md, c->s->mctx);
    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static bool fail_regex(vctx *c, const vpath *p, const json_t *x, const bw_sc_regex *re, int r)
{
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        w_value(&w, x);
        bw_sc_w_str(&w, r < 0 ? " could not be matched against pattern " : " does not match pattern ");
        bw_sc_w_quoted(&w, re->src.s, re->src.len, 80);
        bw_sc_w_str(&w, r < 0 ? " (match limit exceeded)" : "");
    }
    return v_recorded(c);
}

static bool v_string(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p)
{
    const char *s = json_string_value(x);
    size_t len = json_string_length(x);
    if (n->min_length || n->max_length != SIZE_MAX) {
        size_t cp = utf8_code_points(s, len);
        if (cp < n->min_length)
            return v_fail(c, p, "length %zu is less than minLength %zu", cp, n->min_length);
        if (cp > n->max_length)
            return v_fail(c, p, "length %zu is greater than maxLength %zu", cp, n->max_length);
    }
    if (n->pattern.re) {
        int r = re_search(c, &n->pattern, s, len);
        if (r != 1)
            return fail_regex(c, p, x, &n->pattern, r);
    }
    if (n->format && !n->format(s, len)) {
        bw_sc_wbuf w;
        if (v_begin(c, p, &w)) {
            w_value(&w, x);
            bw_sc_w_str(&w, " is not a valid ");
            bw_sc_w_mem(&w, n->format_name.s, n->format_name.len);
        }
        return v_recorded(c);
    }
    return true;
}

/* ---- arrays ---- */

typedef struct {
    uint64_t h;
    size_t i;
} hashed_item;

static int hashed_cmp(const void *a, const void *b)
{
    const hashed_item *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* 1 unique, 0 a duplicate, -1 too deep. Quadratic for short arrays; hashing keeps long ones near n log n. */
static int items_unique(const json_t *x)
{
    size_t n = json_array_size(x);
    hashed_item *t = n > 16 ? malloc(n * sizeof *t) : NULL;
    if (!t) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                int eq = json_eq(json_array_get(x, i), json_array_get(x, j), 1);
                if (eq != 0)
                    return eq < 0 ? -1 : 0;
            }
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        t[i] = (hashed_item){json_hash(json_array_get(x, i), 1), i};
    qsort(t, n, sizeof *t, hashed_cmp);
    int r = 1;
    for (size_t a = 0; a < n && r == 1; a++)
        for (size_t b = a + 1; b < n && t[b].h == t[a].h && r == 1; b++) {
            int eq = json_eq(json_array_get(x, t[a].i), json_array_get(x, t[b].i), 1);
            r = eq < 0 ? -1 : eq ? 0 : 1;
        }
    free(t);
    return r;
}

static bool v_items(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    size_t k = json_array_size(x);
    for (size_t i = 0; i < k; i++) {
        const bw_sc_node *sub = i < n->prefix.n ? n->prefix.v[i] : n->items;
        if (!sub)
            break;
        vpath ip = {.up = p, .kind = P_INDEX, .index = i};
        if (sub == n->items && sub->boolean == 0) {
            if (!v_fail(c, &ip, "additional item not allowed"))
                return false;
            continue;
        }
        if (!v_node(c, sub, json_array_get(x, i), &ip, depth + 1))
            return false;
    }
    return true;
}

static bool v_contains(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    size_t k = json_array_size(x), hits = 0;
    for (size_t i = 0; i < k; i++) {
        vpath ip = {.up = p, .kind = P_INDEX, .index = i};
        hits += v_probe(c, n->contains, json_array_get(x, i), &ip, depth + 1);
        if (c->fatal)
            return false;
        if (hits > n->max_contains || (hits >= n->min_contains && n->max_contains == SIZE_MAX))
            break;
    }
    if (hits < n->min_contains) {
        if (n->min_contains == 1)
            return v_fail(c, p, "no items match contains");
        return v_fail(c, p, "%zu items match contains, fewer than minContains %zu", hits, n->min_contains);
    }
    if (hits > n->max_contains)
        return v_fail(c, p, "more than maxContains %zu items match contains", n->max_contains);
    return true;
}

static bool v_array(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    size_t k = json_array_size(x);
    if (k < n->min_items && !v_fail(c, p, "has %zu items, fewer than minItems %zu", k, n->min_items))
        return false;
    if (k > n->max_items && !v_fail(c, p, "has %zu items, more than maxItems %zu", k, n->max_items))
        return false;
    if ((n->prefix.n || n->items) && !v_items(c, n, x, p, depth))
        return false;
    if (n->contains && !v_contains(c, n, x, p, depth))
        return false;
    if (n->unique_items && k > 1) {
        int r = items_unique(x);
        if (r < 0)
            return v_fatal(c, p, "value nesting too deep to compare");
        if (r == 0 && !v_fail(c, p, "items are not unique"))
            return false;
    }
    return true;
}

/* ---- objects ---- */

static bool has_key(const json_t *x, const bw_sc_str *k)
{
    return json_object_getn(x, k->s, k->len) != NULL;
}

static bool fail_missing(vctx *c, const vpath *p, const bw_sc_str *need, const bw_sc_str *by)
{
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        bw_sc_w_str(&w, by ? "missing property " : "missing required property ");
        bw_sc_w_quoted(&w, need->s, need->len, 64);
        if (by) {
            bw_sc_w_str(&w, " required by ");
            bw_sc_w_quoted(&w, by->s, by->len, 64);
            bw_sc_w_str(&w, " (dependentRequired)");
        }
    }
    return v_recorded(c);
}

static bool v_required(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p)
{
    for (size_t i = 0; i < n->n_required; i++)
        if (!has_key(x, &n->required[i]) && !fail_missing(c, p, &n->required[i], NULL))
            return false;
    for (size_t i = 0; i < n->n_dep_required; i++) {
        const bw_sc_dep_required *d = &n->dep_required[i];
        if (!has_key(x, &d->name))
            continue;
        for (size_t j = 0; j < d->n_needs; j++)
            if (!has_key(x, &d->needs[j]) && !fail_missing(c, p, &d->needs[j], &d->name))
                return false;
    }
    return true;
}

static bool is_declared(const bw_sc_node *n, const char *key, size_t klen)
{
    size_t lo = 0, hi = n->n_props;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const bw_sc_str *name = &n->props_sorted[mid]->name;
        int r = bw_sc_str_cmp(key, klen, name->s, name->len);
        if (r == 0)
            return true;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/* A key in a collected message: single-quoted, cut at 64 bytes, control characters shown as '?'. */
static void w_key(bw_sc_wbuf *w, const char *key, size_t klen)
{
    size_t n = klen > 64 ? 64 : klen;
    while (n < klen && n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80)
        n--;
    bw_sc_w_str(w, "'");
    for (size_t i = 0; i < n; i++)
        bw_sc_w_mem(w, (unsigned char)key[i] < 0x20 || key[i] == 0x7F ? "?" : key + i, 1);
    bw_sc_w_str(w, n < klen ? "...'" : "'");
}

/* Collecting: a key rejected by propertyNames, reported at the key. */
static bool fail_key_name(vctx *c, const bw_sc_node *n, const char *key, size_t klen, const vpath *kp)
{
    bw_sc_wbuf w;
    if (!v_begin(c, kp, &w))
        return false;
    c->col->at_key = true;
    bw_sc_w_str(&w, "invalid key ");
    w_key(&w, key, klen);
    if (n->prop_names->pattern.re) {
        bw_sc_w_str(&w, " (must match ");
        bw_sc_w_quoted(&w, n->prop_names->pattern.src.s, n->prop_names->pattern.src.len, 80);
        bw_sc_w_str(&w, ")");
    }
    return v_recorded(c);
}

/* An additional property under additionalProperties: false. Collecting, the message lists the declared keys. */
static bool fail_unknown_key(vctx *c, const bw_sc_node *n, const char *key, size_t klen, const vpath *kp)
{
    if (!c->col)
        return v_fail(c, kp, "additional property not allowed");
    bw_sc_wbuf w;
    if (!v_begin(c, kp, &w))
        return false;
    c->col->at_key = true;
    bw_sc_w_str(&w, "unknown key ");
    w_key(&w, key, klen);
    for (size_t i = 0; i < n->n_props; i++) {
        bw_sc_w_str(&w, i ? ", " : " (expected one of: ");
        bw_sc_w_mem(&w, n->props[i].name.s, n->props[i].name.len);
    }
    bw_sc_w_str(&w, n->n_props ? ")" : " (no keys are allowed here)");
    return v_recorded(c);
}

static bool v_property_name(vctx *c, const bw_sc_node *n, const char *key, size_t klen, const vpath *p,
                            unsigned depth)
{
    /* propertyNames validates the key as a string instance; keys are not json values, so wrap one. */
    json_t *name = json_stringn_nocheck(key, klen);
    if (!name)
        return v_fail(c, p, "out of memory");
    bool ok = v_probe(c, n->prop_names, name, p, depth + 1);
    json_decref(name);
    if (ok || c->fatal)
        return ok;
    if (c->col) {
        vpath kp = {.up = p, .kind = P_KEY, .key = key, .len = klen};
        return fail_key_name(c, n, key, klen, &kp);
    }
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        bw_sc_w_str(&w, "property name ");
        bw_sc_w_quoted(&w, key, klen, 64);
        bw_sc_w_str(&w, " does not match propertyNames");
    }
    return false;
}

/* One instance member against patternProperties and additionalProperties. */
static bool v_member(vctx *c, const bw_sc_node *n, const char *key, size_t klen, const json_t *v,
                     const vpath *kp, unsigned depth)
{
    bool matched = n->n_props && is_declared(n, key, klen);
    for (size_t i = 0; i < n->n_pattern_props; i++) {
        const bw_sc_pattern_prop *pp = &n->pattern_props[i];
        int r = re_search(c, &pp->re, key, klen);
        if (r < 0)
            return v_fail(c, kp, "property name could not be matched against patternProperties (match limit)");
        if (r && !v_node(c, pp->schema, v, kp, depth + 1))
            return false;
        matched |= r == 1;
    }
    if (matched || !n->additional)
        return true;
    if (n->additional->boolean == 0)
        return fail_unknown_key(c, n, key, klen, kp);
    return v_node(c, n->additional, v, kp, depth + 1);
}

static bool v_members(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)x, key, klen, v)
    {
        if (n->prop_names && !v_property_name(c, n, key, klen, p, depth))
            return false;
        vpath kp = {.up = p, .kind = P_KEY, .key = key, .len = klen};
        if ((n->n_pattern_props || n->additional) && !v_member(c, n, key, klen, v, &kp, depth))
            return false;
    }
    return true;
}

static bool v_object(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    size_t k = json_object_size(x);
    if (k < n->min_props && !v_fail(c, p, "has %zu properties, fewer than minProperties %zu", k, n->min_props))
        return false;
    if (k > n->max_props && !v_fail(c, p, "has %zu properties, more than maxProperties %zu", k, n->max_props))
        return false;
    if (!v_required(c, n, x, p))
        return false;
    for (size_t i = 0; i < n->n_props; i++) {
        const bw_sc_prop *pr = &n->props[i];
        const json_t *v = json_object_getn(x, pr->name.s, pr->name.len);
        vpath kp = {.up = p, .kind = P_KEY, .key = pr->name.s, .len = pr->name.len};
        if (v && !v_node(c, pr->schema, v, &kp, depth + 1))
            return false;
    }
    if ((n->prop_names || n->n_pattern_props || n->additional) && !v_members(c, n, x, p, depth))
        return false;
    for (size_t i = 0; i < n->n_dep_schemas; i++) {
        const bw_sc_dep_schema *d = &n->dep_schemas[i];
        if (has_key(x, &d->name) && !v_node(c, d->schema, x, p, depth + 1))
            return false;
    }
    return true;
}

/* ---- applicators ---- */

/* The combinator's x-message when the schema has one, else the generic reason. */
static bool fail_combinator(vctx *c, const bw_sc_node *n, const vpath *p, const char *generic)
{
    bw_sc_wbuf w;
    if (v_begin(c, p, &w)) {
        if (n->x_message.s)
            bw_sc_w_mem(&w, n->x_message.s, n->x_message.len);
        else
            bw_sc_w_str(&w, generic);
    }
    return v_recorded(c);
}

static bool v_any_of(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    for (size_t i = 0; i < n->any_of.n; i++) {
        if (v_probe(c, n->any_of.v[i], x, p, depth + 1))
            return true;
        if (c->fatal)
            return false;
    }
    return fail_combinator(c, n, p, "does not match any schema in anyOf");
}

static bool v_one_of(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    size_t first = SIZE_MAX;
    for (size_t i = 0; i < n->one_of.n; i++) {
        bool ok = v_probe(c, n->one_of.v[i], x, p, depth + 1);
        if (c->fatal)
            return false;
        if (ok && first != SIZE_MAX) {
            char why[96];
            snprintf(why, sizeof why, "matches more than one schema in oneOf (%zu and %zu)", first, i);
            return fail_combinator(c, n, p, why);
        }
        if (ok)
            first = i;
    }
    return first != SIZE_MAX || fail_combinator(c, n, p, "does not match any schema in oneOf");
}

static bool v_conditional(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    bool ok = v_probe(c, n->if_s, x, p, depth + 1);
    if (c->fatal)
        return false;
    const bw_sc_node *branch = ok ? n->then_s : n->else_s;
    return !branch || v_node(c, branch, x, p, depth + 1);
}

static bool v_applicators(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    if (n->ref && !v_node(c, n->ref, x, p, depth + 1))
        return false;
    for (size_t i = 0; i < n->all_of.n; i++)
        if (!v_node(c, n->all_of.v[i], x, p, depth + 1))
            return false;
    if (n->any_of.n && !v_any_of(c, n, x, p, depth))
        return false;
    if (n->one_of.n && !v_one_of(c, n, x, p, depth))
        return false;
    if (n->not_s) {
        bool matched = v_probe(c, n->not_s, x, p, depth + 1);
        if (c->fatal)
            return false;
        if (matched && !v_fail(c, p, "must not match the schema in not"))
            return false;
    }
    return !n->if_s || v_conditional(c, n, x, p, depth);
}

static bool v_node(vctx *c, const bw_sc_node *n, const json_t *x, const vpath *p, unsigned depth)
{
    if (n->boolean >= 0)
        return n->boolean == 1 || v_fail(c, p, "no value is allowed here (schema is false)");
    if (depth >= BW_SCHEMA_MAX_DEPTH)
        return v_fatal(c, p, "schema nesting too deep");
    if ((n->types && !v_type(c, n, x, p)) || (n->const_val && !v_const(c, n, x, p)) ||
        (n->enum_vals && !v_enum(c, n, x, p)))
        return v_recorded(c);
    bool ok = true;
    switch (json_typeof(x)) {
    case JSON_INTEGER:
    case JSON_REAL: ok = v_number(c, n, x, p); break;
    case JSON_STRING: ok = v_string(c, n, x, p); break;
    case JSON_ARRAY: ok = v_array(c, n, x, p, depth); break;
    case JSON_OBJECT: ok = v_object(c, n, x, p, depth); break;
    default: break;
    }
    return ok && v_applicators(c, n, x, p, depth);
}

bool bw_schema_validate(const bw_schema *s, const json_t *instance, char *err, size_t errlen)
{
    vctx c = {.s = s, .err = err, .errlen = err ? errlen : 0};
    if (c.errlen)
        err[0] = '\0';
    vpath root = {.kind = P_ROOT};
    if (!s || !instance)
        return v_fail(&c, &root, "no schema or no instance to validate");
    /* A guard hit inside a probe must never end as success, whatever the probes around it concluded. */
    bool ok = v_node(&c, s->root, instance, &root, 0);
    return ok && !c.fatal;
}

size_t bw_schema_validate_all(const bw_schema *s, const json_t *instance, bw_schema_error_fn each, void *ctx,
                              size_t max_errors)
{
    if (!s || !instance || !each || max_errors == 0)
        return 0;
    collector col = {.each = each, .ctx = ctx, .max = max_errors};
    vctx c = {.s = s, .col = &col};
    vpath root = {.kind = P_ROOT};
    v_node(&c, s->root, instance, &root, 0);
    col_flush(&col);
    return col.n;
}

/* ---- defaults ---- */

static void apply_node_defaults(const bw_sc_node *n, json_t *instance)
{
    for (size_t i = 0; i < n->n_props; i++) {
        const bw_sc_prop *pr = &n->props[i];
        if (!pr->def || json_object_getn(instance, pr->name.s, pr->name.len))
            continue;
        json_t *copy = json_deep_copy(pr->def);
        if (copy)
            json_object_setn_new(instance, pr->name.s, pr->name.len, copy);
    }
}

#define DEFAULT_SOURCES 32

/* The root and what it pulls in at the same instance level ($ref, allOf), breadth-first, each node once. */
void bw_schema_apply_defaults(const bw_schema *s, json_t *instance)
{
    if (!s || !json_is_object(instance))
        return;
    const bw_sc_node *queue[DEFAULT_SOURCES];
    size_t n = 0;
    queue[n++] = s->root;
    for (size_t i = 0; i < n; i++) {
        const bw_sc_node *cur = queue[i];
        apply_node_defaults(cur, instance);
        for (size_t j = 0; j <= cur->all_of.n && n < DEFAULT_SOURCES; j++) {
            const bw_sc_node *next = j == 0 ? cur->ref : cur->all_of.v[j - 1];
            bool seen = !next;
            for (size_t k = 0; k < n && !seen; k++)
                seen = queue[k] == next;
            if (!seen)
                queue[n++] = next;
        }
    }
}
