/* YAML events -> jansson tree, with an explicit stack so that nesting depth is bounded by a counter, not by the
 * C stack. Errors that leave the tree consistent (a duplicate key, a bad scalar, an anchor) are reported and
 * parsing goes on, so one run shows them all; a syntax error ends it. */
#include "config/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct frame {
    json_t *node;     /* the object or array being filled */
    bool discard;     /* this container hangs under a duplicate key: dropped when it ends */
    char *key;        /* objects: the key whose value comes next (owned), NULL when a key comes next */
    size_t klen;
    bw_pos key_pos;
    bool dup_key;     /* the pending key is a duplicate: its value is parsed and dropped */
} frame;

typedef struct reader {
    const char *file;
    bw_cfg_pos *pos;
    bw_diag *diag;
    frame stack[BW_YAML_MAX_DEPTH];
    int depth;
    json_t *root;
    int documents;
    bool errors;
    bool stop;
} reader;

static bw_pos mark_pos(yaml_mark_t m)
{
    return (bw_pos){(int)m.line + 1, (int)m.column + 1};
}

__attribute__((format(printf, 3, 4))) static void rerror(reader *r, bw_pos at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bw_diag_addv(r->diag, true, r->file, at.line, at.col, fmt, ap);
    va_end(ap);
    r->errors = true;
}

static void oom(reader *r, bw_pos at)
{
    rerror(r, at, "out of memory while reading the configuration");
    r->stop = true;
}

/* ---- scalars: the YAML 1.2 core schema ---- */

static bool all_in(const char *s, size_t n, const char *set)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(set, s[i]))
            return false;
    return true;
}

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words))
            return true;
    return false;
}

/* [-+]? ( \.[0-9]+ | [0-9]+ (\.[0-9]*)? ) ([eE][-+]?[0-9]+)? */
static bool is_float(const char *s)
{
    size_t i = (s[0] == '-' || s[0] == '+'), digits = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return false;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        i += (s[i] == '-' || s[i] == '+');
        if (!(s[i] >= '0' && s[i] <= '9'))
            return false;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return s[i] == '\0';
}

static json_t *int_value(reader *r, bw_pos at, const char *s, const char *digits, int base)
{
    errno = 0;
    char *end;
    long long v = strtoll(digits, &end, base);
    if (errno == ERANGE) {
        rerror(r, at, "integer %s is out of range (64-bit signed integers only)", s);
        return json_null();
    }
    return json_integer(v);
}

static json_t *plain_value(reader *r, bw_pos at, const char *s, size_t n)
{
    static const char *const nulls[] = {"null", "Null", "NULL", "~", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                                           "-.INF", ".nan", ".NaN", ".NAN", NULL};
    if (n == 0 || is_one_of(s, nulls))
        return json_null();
    if (is_one_of(s, trues))
        return json_true();
    if (is_one_of(s, falses))
        return json_false();
    size_t sign = (s[0] == '-' || s[0] == '+');
    if (all_in(s + sign, n - sign, "0123456789"))
        return int_value(r, at, s, s, 10);
    if (n > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, n - 2, "01234567"))
        return int_value(r, at, s, s + 2, 8);
    if (n > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, n - 2, "0123456789abcdefABCDEF"))
        return int_value(r, at, s, s + 2, 16);
    if (is_float(s)) {
        double d = strtod(s, NULL);
        if (isfinite(d))
            return json_real(d);
        rerror(r, at, "number %s is out of range", s);
        return json_null();
    }
    if (is_one_of(s, specials)) {
        rerror(r, at, "%s is not supported: JSON has no infinity or NaN (quote it for a string)", s);
        return json_null();
    }
    return json_stringn(s, n);
}

static json_t *scalar_value(reader *r, const yaml_event_t *ev)
{
    bw_pos at = mark_pos(ev->start_mark);
    const char *s = (const char *)ev->data.scalar.value, *tag = (const char *)ev->data.scalar.tag;
    size_t n = ev->data.scalar.length;
    if (tag && strcmp(tag, "!") && strcmp(tag, YAML_STR_TAG))
        rerror(r, at, "YAML tag '%s' is not supported (only !!str)", tag);
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;
    /* A plain scalar never holds NUL (only escapes in double quotes can), so the C-string tests above see it all. */
    json_t *v = plain ? plain_value(r, at, s, n) : json_stringn(s, n);
    if (!v && !r->stop)
        rerror(r, at, "text is not valid UTF-8");
    return v ? v : json_null();
}

/* ---- building the tree ---- */

static frame *top(reader *r)
{
    return r->depth ? &r->stack[r->depth - 1] : NULL;
}

static bool expects_key(const reader *r)
{
    const frame *f = r->depth ? &r->stack[r->depth - 1] : NULL;
    return f && json_is_object(f->node) && !f->key;
}

/* Stores a new value in its parent (or as the root) and records its position. The parent takes a reference of its
 * own (the caller keeps its one); a value under a duplicate key is not stored, only positioned. */
static void attach(reader *r, json_t *v, bw_pos at)
{
    frame *f = top(r);
    bool ok = true;
    if (!f) {
        r->root = json_incref(v);
    } else if (json_is_array(f->node)) {
        size_t slot = json_array_size(f->node);
        if (!f->discard)
            ok = json_array_append(f->node, v) == 0 && bw_cfg_pos_set_member(r->pos, f->node, slot, at, at);
    } else {
        size_t slot = json_object_size(f->node);
        if (!f->discard && !f->dup_key)
            ok = json_object_setn(f->node, f->key, f->klen, v) == 0 &&
                 bw_cfg_pos_set_member(r->pos, f->node, slot, f->key_pos, at);
        free(f->key);
        f->key = NULL;
        f->dup_key = false;
    }
    if (!ok || !bw_cfg_pos_set_node(r->pos, v, at))
        oom(r, at);
}

static void on_key(reader *r, const yaml_event_t *ev)
{
    frame *f = top(r);
    bw_pos at = mark_pos(ev->start_mark);
    const char *k = (const char *)ev->data.scalar.value;
    size_t klen = ev->data.scalar.length;
    if (memchr(k, '\0', klen))
        rerror(r, at, "a key must not contain a NUL character");
    f->key = malloc(klen + 1);
    if (!f->key) {
        oom(r, at);
        return;
    }
    memcpy(f->key, k, klen + 1);
    f->klen = klen;
    f->key_pos = at;
    f->dup_key = false;
    if (f->discard || !json_object_getn(f->node, k, klen))
        return;
    bw_pos first = {0, 0};
    bw_cfg_pos_member(r->pos, f->node, bw_cfg_object_slot(f->node, k, klen), &first, NULL);
    rerror(r, at, "duplicate key '%s' (first written at line %d)", f->key, first.line);
    f->dup_key = true;
}

static void on_scalar(reader *r, const yaml_event_t *ev)
{
    if (ev->data.scalar.anchor)
        rerror(r, mark_pos(ev->start_mark), "YAML anchors (&%s) are not supported", ev->data.scalar.anchor);
    if (expects_key(r)) {
        on_key(r, ev);
        return;
    }
    json_t *v = scalar_value(r, ev);
    attach(r, v, mark_pos(ev->start_mark));
    json_decref(v);
}

static void on_start(reader *r, const yaml_event_t *ev, bool mapping)
{
    bw_pos at = mark_pos(ev->start_mark);
    const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (anchor)
        rerror(r, at, "YAML anchors (&%s) are not supported", anchor);
    if (expects_key(r)) {
        rerror(r, at, "a key must be a plain value, not a %s", mapping ? "mapping" : "list");
        r->stop = true;
        return;
    }
    if (r->depth == BW_YAML_MAX_DEPTH) {
        rerror(r, at, "nesting deeper than %d levels", BW_YAML_MAX_DEPTH);
        r->stop = true;
        return;
    }
    frame *parent = top(r);
    bool discard = parent && (parent->discard || (json_is_object(parent->node) && parent->dup_key));
    json_t *c = mapping ? json_object() : json_array();
    if (!c) {
        oom(r, at);
        return;
    }
    attach(r, c, at);
    /* The frame keeps the creation reference until the container ends, so a dropped one stays valid meanwhile. */
    r->stack[r->depth++] = (frame){.node = c, .discard = discard};
}

static void on_end(reader *r)
{
    frame *f = top(r);
    free(f->key);
    json_decref(f->node);
    r->depth--;
}

static void on_event(reader *r, const yaml_event_t *ev)
{
    bw_pos at = mark_pos(ev->start_mark);
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++r->documents > 1) {
            rerror(r, at, "only one YAML document is allowed (remove the second '---')");
            r->stop = true;
        }
        break;
    case YAML_ALIAS_EVENT: {
        rerror(r, at, "YAML aliases (*%s) are not supported: write the value out", ev->data.alias.anchor);
        if (expects_key(r))
            r->stop = true;
        else
            attach(r, json_null(), at);
        break;
    }
    case YAML_SCALAR_EVENT: on_scalar(r, ev); break;
    case YAML_SEQUENCE_START_EVENT: on_start(r, ev, false); break;
    case YAML_MAPPING_START_EVENT: on_start(r, ev, true); break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: on_end(r); break;
    default: break;
    }
}

/* ---- libyaml errors ---- */

static bw_pos offset_pos(const char *text, size_t len, size_t offset)
{
    bw_pos p = {1, 1};
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n')
            p = (bw_pos){p.line + 1, 1};
        else if (((unsigned char)text[i] & 0xC0) != 0x80)
            p.col++;
    }
    return p;
}

static void syntax_error(reader *r, const yaml_parser_t *p, const char *text, size_t len)
{
    const char *problem = p->problem ? p->problem : "cannot be parsed";
    if (p->error == YAML_READER_ERROR) {
        rerror(r, offset_pos(text, len, p->problem_offset), "invalid YAML: %s", problem);
    } else if (p->context) {
        rerror(r, mark_pos(p->problem_mark), "invalid YAML: %s (%s started at line %d)", problem, p->context,
               (int)p->context_mark.line + 1);
    } else {
        rerror(r, mark_pos(p->problem_mark), "invalid YAML: %s", problem);
    }
    r->stop = true;
}

static void unwind(reader *r)
{
    while (r->depth)
        on_end(r);
}

json_t *bw_yaml_parse(const char *text, size_t len, const char *file, bw_cfg_pos *pos, bw_diag *diag)
{
    reader r = {.file = file, .pos = pos, .diag = diag};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        oom(&r, (bw_pos){0, 0});
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    bool done = false;
    while (!done && !r.stop) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(&r, &p, text, len);
            break;
        }
        on_event(&r, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    unwind(&r);
    if (!r.errors && !r.root)
        rerror(&r, (bw_pos){0, 0}, "the configuration is empty");
    if (r.errors) {
        json_decref(r.root);
        return NULL;
    }
    return r.root;
}
