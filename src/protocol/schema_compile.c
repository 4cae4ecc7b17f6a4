/* JSON Schema compiler: turns schema json into the bw_sc_node graph described in schema_internal.h.
 * Each keyword has a small handler in a table; $ref targets are resolved after the main pass so that
 * reference chains never deepen the C stack, and every json subschema maps to exactly one node so
 * recursive schemas become cycles in the graph rather than infinite compilation. */
#include "protocol/schema_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCRE2 limits per match: keeps a pathological pattern (catastrophic backtracking) from pinning a worker. */
#define MATCH_LIMIT 1000000u
#define HEAP_LIMIT_KIB 2048u

/* A location in the schema json, kept on the C stack and rendered (as a JSON pointer) only for errors.
 * The root element's seg is printed verbatim: "#" for the schema root, the $ref text for a ref target. */
typedef struct cpath {
    const struct cpath *up;
    const char *seg;
    size_t seg_len;
    size_t index;
    bool is_index;
} cpath;

typedef struct {
    const json_t *json;
    bw_sc_node *node;
} reg_slot;

typedef struct {
    bw_sc_node *node;
    const char *ref;
    char *where; /* rendered path of the $ref keyword */
} pending_ref;

typedef struct {
    bw_schema *s;
    const json_t *root;
    bw_sc_wbuf err;
    bool failed;
    reg_slot *reg; /* open addressing, json pointer -> node */
    size_t reg_cap, reg_n;
    pending_ref *pend;
    size_t pend_n, pend_cap;
    bw_sc_str base; /* root $id without its fragment, so absolute refs to ourselves resolve */
} cctx;

typedef struct kw_entry kw_entry;
typedef bool (*kw_fn)(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                      const cpath *p, int depth);

enum { D07 = 1u << BW_SC_DRAFT07, D2020 = 1u << BW_SC_DRAFT2020, DBOTH = D07 | D2020 };

struct kw_entry {
    const char *name;
    kw_fn fn;
    unsigned dialects;
    size_t off;       /* field of bw_sc_node the generic handlers fill */
    bool beside_ref;  /* still compiled next to $ref in draft-07, where siblings of $ref are ignored */
};

static bw_sc_node *compile_node(cctx *c, const json_t *j, const cpath *p, int depth);

/* ---- errors ---- */

static void path_render(bw_sc_wbuf *w, const cpath *p)
{
    if (!p->up) {
        bw_sc_w_mem(w, p->seg, p->seg_len);
        return;
    }
    path_render(w, p->up);
    if (p->is_index) {
        bw_sc_w_fmt(w, "/%zu", p->index);
        return;
    }
    bw_sc_w_str(w, "/");
    for (size_t i = 0; i < p->seg_len; i++) {
        char ch = p->seg[i];
        if (ch == '~')
            bw_sc_w_str(w, "~0");
        else if (ch == '/')
            bw_sc_w_str(w, "~1");
        else
            bw_sc_w_mem(w, &ch, 1);
    }
}

/* Starts the one error message of a compile; NULL if one was already written. */
static bw_sc_wbuf *cbegin(cctx *c, const cpath *p, const char *where)
{
    if (c->failed)
        return NULL;
    c->failed = true;
    if (p)
        path_render(&c->err, p);
    else
        bw_sc_w_str(&c->err, where ? where : "#");
    bw_sc_w_str(&c->err, ": ");
    return &c->err;
}

__attribute__((format(printf, 3, 4))) static bool cfail(cctx *c, const cpath *p, const char *fmt, ...)
{
    bw_sc_wbuf *w = cbegin(c, p, NULL);
    if (w) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        bw_sc_w_str(w, msg);
    }
    return false;
}

/* "<where>: <what> <quoted s>" for messages that quote user text (refs, type names, patterns). */
static bool cfail_q(cctx *c, const cpath *p, const char *where, const char *what, const char *s, size_t len)
{
    bw_sc_wbuf *w = cbegin(c, p, where);
    if (w) {
        bw_sc_w_str(w, what);
        bw_sc_w_quoted(w, s, len, 120);
    }
    return false;
}

static bool coom(cctx *c, const cpath *p)
{
    return cfail(c, p, "out of memory");
}

/* ---- node registry ---- */

static size_t reg_hash(const json_t *j, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)j * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static bw_sc_node *reg_get(const cctx *c, const json_t *j)
{
    if (!c->reg_cap)
        return NULL;
    for (size_t i = reg_hash(j, c->reg_cap);; i = (i + 1) & (c->reg_cap - 1)) {
        if (!c->reg[i].json)
            return NULL;
        if (c->reg[i].json == j)
            return c->reg[i].node;
    }
}

static bool reg_grow(cctx *c)
{
    size_t cap = c->reg_cap ? c->reg_cap * 2 : 64;
    reg_slot *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t k = 0; k < c->reg_cap; k++) {
        if (!c->reg[k].json)
            continue;
        size_t i = reg_hash(c->reg[k].json, cap);
        while (t[i].json)
            i = (i + 1) & (cap - 1);
        t[i] = c->reg[k];
    }
    free(c->reg);
    c->reg = t;
    c->reg_cap = cap;
    return true;
}

static bool reg_put(cctx *c, const json_t *j, bw_sc_node *n)
{
    if ((c->reg_n + 1) * 2 > c->reg_cap && !reg_grow(c))
        return false;
    size_t i = reg_hash(j, c->reg_cap);
    while (c->reg[i].json)
        i = (i + 1) & (c->reg_cap - 1);
    c->reg[i] = (reg_slot){j, n};
    c->reg_n++;
    return true;
}

/* ---- nodes ---- */

static bw_sc_node *node_new(cctx *c)
{
    bw_schema *s = c->s;
    if (s->n_nodes == s->cap_nodes) {
        size_t cap = s->cap_nodes ? s->cap_nodes * 2 : 16;
        bw_sc_node **v = realloc(s->nodes, cap * sizeof *v);
        if (!v)
            return NULL;
        s->nodes = v;
        s->cap_nodes = cap;
    }
    bw_sc_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->boolean = -1;
    n->max_length = n->max_items = n->max_props = n->max_contains = SIZE_MAX;
    n->min_contains = 1;
    s->nodes[s->n_nodes++] = n;
    return n;
}

static void node_free(bw_sc_node *n)
{
    free(n->all_of.v);
    free(n->any_of.v);
    free(n->one_of.v);
    free(n->prefix.v);
    pcre2_code_free(n->pattern.re);
    for (size_t i = 0; i < n->n_pattern_props; i++)
        pcre2_code_free(n->pattern_props[i].re.re);
    free(n->pattern_props);
    free(n->props);
    free(n->props_sorted);
    free(n->required);
    for (size_t i = 0; i < n->n_dep_required; i++)
        free(n->dep_required[i].needs);
    free(n->dep_required);
    free(n->dep_schemas);
    free(n);
}

static bw_sc_node *compile_child(cctx *c, const json_t *j, const cpath *p, const char *key, size_t keylen,
                                 int depth)
{
    cpath cp = {.up = p, .seg = key, .seg_len = keylen};
    return compile_node(c, j, &cp, depth + 1);
}

static bw_sc_node *compile_index(cctx *c, const json_t *j, const cpath *p, size_t index, int depth)
{
    cpath cp = {.up = p, .index = index, .is_index = true};
    return compile_node(c, j, &cp, depth + 1);
}

/* ---- keyword handlers ---- */

#define FIELD(n, e, type) ((type *)(void *)((char *)(n) + (e)->off))

static const struct {
    const char *name;
    uint8_t bit;
} type_names[] = {
    {"null", BW_SC_T_NULL},     {"boolean", BW_SC_T_BOOLEAN}, {"object", BW_SC_T_OBJECT},
    {"array", BW_SC_T_ARRAY},   {"number", BW_SC_T_NUMBER},   {"string", BW_SC_T_STRING},
    {"integer", BW_SC_T_INTEGER},
};

static bool type_bit(cctx *c, const json_t *v, const cpath *p, uint8_t *bit)
{
    if (!json_is_string(v))
        return cfail(c, p, "type must be a string or an array of strings");
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcmp(json_string_value(v), type_names[i].name) == 0) {
            *bit = type_names[i].bit;
            return true;
        }
    }
    return cfail_q(c, p, NULL, "unknown type ", json_string_value(v), json_string_length(v));
}

static bool kw_type(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                    const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    uint8_t bit = 0;
    if (!json_is_array(v)) {
        if (!type_bit(c, v, p, &bit))
            return false;
        n->types = bit;
        return true;
    }
    if (json_array_size(v) == 0)
        return cfail(c, p, "type must not be an empty array");
    for (size_t i = 0; i < json_array_size(v); i++) {
        cpath ip = {.up = p, .index = i, .is_index = true};
        if (!type_bit(c, json_array_get(v, i), &ip, &bit))
            return false;
        n->types |= bit;
    }
    return true;
}

static bool kw_enum(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                    const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    if (!json_is_array(v))
        return cfail(c, p, "enum must be an array");
    n->enum_vals = v;
    return true;
}

static bool kw_const(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                     const cpath *p, int depth)
{
    (void)c, (void)e, (void)obj, (void)p, (void)depth;
    n->const_val = v;
    return true;
}

static bool kw_number(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                      const cpath *p, int depth)
{
    (void)obj, (void)depth;
    bw_sc_num *num = FIELD(n, e, bw_sc_num);
    if (!bw_schema_num_from_json(v, num))
        return cfail(c, p, "%s must be a number", e->name);
    if (strcmp(e->name, "multipleOf") == 0 && !(num->d > 0))
        return cfail(c, p, "multipleOf must be greater than 0");
    return true;
}

/* Non-negative integer keywords; 2.0 counts as an integer, as in the meta-schema. */
static bool kw_count(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                     const cpath *p, int depth)
{
    (void)obj, (void)depth;
    double d = json_is_integer(v) ? (double)json_integer_value(v) : json_is_real(v) ? json_real_value(v) : -1;
    if (d < 0 || d != floor(d))
        return cfail(c, p, "%s must be a non-negative integer", e->name);
    *FIELD(n, e, size_t) = d >= 9007199254740992.0 ? SIZE_MAX : (size_t)d;
    return true;
}

static bool kw_bool(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                    const cpath *p, int depth)
{
    (void)obj, (void)depth;
    if (!json_is_boolean(v))
        return cfail(c, p, "%s must be a boolean", e->name);
    *FIELD(n, e, bool) = json_is_true(v);
    return true;
}

/* ECMA-262 flavour: \uXXXX escapes, and "$" matches only at the very end (no final-newline slack). */
static bool compile_regex(cctx *c, const json_t *v, const cpath *p, bw_sc_regex *out)
{
    if (!json_is_string(v))
        return cfail(c, p, "pattern must be a string");
    const char *src = json_string_value(v);
    size_t len = json_string_length(v);
    int code;
    PCRE2_SIZE off;
    out->re = pcre2_compile((PCRE2_SPTR)src, len, PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY, &code,
                            &off, NULL);
    if (!out->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        bw_sc_wbuf *w = cbegin(c, p, NULL);
        if (w) {
            bw_sc_w_str(w, "invalid regular expression ");
            bw_sc_w_quoted(w, src, len, 80);
            bw_sc_w_fmt(w, ": %s at offset %zu", (const char *)msg, (size_t)off);
        }
        return false;
    }
    /* JIT is an optimisation only: without it pcre2_match falls back to the interpreter. */
    (void)pcre2_jit_compile(out->re, PCRE2_JIT_COMPLETE);
    out->src = (bw_sc_str){src, len};
    return true;
}

static bool kw_pattern(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                       const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    return compile_regex(c, v, p, &n->pattern);
}

static bool kw_format(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                      const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    if (!json_is_string(v))
        return cfail(c, p, "format must be a string");
    n->format = bw_schema_format_lookup(json_string_value(v));
    n->format_name = (bw_sc_str){json_string_value(v), json_string_length(v)};
    return true;
}

/* x-message: our annotation replacing the generic anyOf/oneOf failure text (see docs/internals/schema.md). */
static bool kw_message(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                       const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return cfail(c, p, "x-message must be a non-empty string");
    n->x_message = (bw_sc_str){json_string_value(v), json_string_length(v)};
    return true;
}

static bool kw_ref(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                   const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    if (!json_is_string(v))
        return cfail(c, p, "$ref must be a string");
    if (c->pend_n == c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap * 2 : 8;
        pending_ref *t = realloc(c->pend, cap * sizeof *t);
        if (!t)
            return coom(c, p);
        c->pend = t;
        c->pend_cap = cap;
    }
    char where[512];
    bw_sc_wbuf w;
    bw_sc_w_init(&w, where, sizeof where);
    path_render(&w, p);
    char *dup = malloc(w.len + 1);
    if (!dup)
        return coom(c, p);
    memcpy(dup, where, w.len + 1);
    c->pend[c->pend_n++] = (pending_ref){n, json_string_value(v), dup};
    return true;
}

static bool compile_list(cctx *c, const json_t *v, const cpath *p, int depth, bool allow_empty,
                         bw_sc_list *out)
{
    size_t k = json_array_size(v);
    if (!json_is_array(v) || (k == 0 && !allow_empty))
        return cfail(c, p, "%.*s must be a non-empty array of schemas", (int)p->seg_len, p->seg);
    out->v = calloc(k ? k : 1, sizeof *out->v);
    if (!out->v)
        return coom(c, p);
    for (size_t i = 0; i < k; i++) {
        out->v[i] = compile_index(c, json_array_get(v, i), p, i, depth);
        if (!out->v[i])
            return false;
        out->n = i + 1;
    }
    return true;
}

static bool kw_list(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                    const cpath *p, int depth)
{
    (void)obj;
    return compile_list(c, v, p, depth, false, FIELD(n, e, bw_sc_list));
}

static bool kw_sub(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                   const cpath *p, int depth)
{
    (void)obj;
    bw_sc_node *sub = compile_node(c, v, p, depth + 1);
    *FIELD(n, e, bw_sc_node *) = sub;
    return sub != NULL;
}

/* items: a schema for the items after the prefix; or the draft-07 tuple form (an array), with
 * additionalItems for the rest. The tuple form is also accepted under 2020-12 because many tool
 * schemas carry draft-07 idioms without a $schema. */
static bool kw_items(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                     const cpath *p, int depth)
{
    (void)e;
    if (!json_is_array(v)) {
        n->items = compile_node(c, v, p, depth + 1);
        return n->items != NULL;
    }
    if (n->prefix.v) /* prefixItems wins over a legacy tuple */
        return true;
    if (!compile_list(c, v, p, depth, true, &n->prefix))
        return false;
    const json_t *more = json_object_get(obj, "additionalItems");
    if (!more)
        return true;
    n->items = compile_child(c, more, p->up, "additionalItems", strlen("additionalItems"), depth);
    return n->items != NULL;
}

static int prop_sort_cmp(const void *a, const void *b)
{
    const bw_sc_prop *x = *(bw_sc_prop *const *)a, *y = *(bw_sc_prop *const *)b;
    return bw_sc_str_cmp(x->name.s, x->name.len, y->name.s, y->name.len);
}

static bool kw_properties(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                          const cpath *p, int depth)
{
    (void)e, (void)obj;
    if (!json_is_object(v))
        return cfail(c, p, "properties must be an object of schemas");
    size_t k = json_object_size(v);
    n->props = calloc(k ? k : 1, sizeof *n->props);
    n->props_sorted = calloc(k ? k : 1, sizeof *n->props_sorted);
    if (!n->props || !n->props_sorted)
        return coom(c, p);
    const char *key;
    size_t klen;
    json_t *sub;
    json_object_keylen_foreach((json_t *)v, key, klen, sub)
    {
        bw_sc_prop *pr = &n->props[n->n_props];
        pr->name = (bw_sc_str){key, klen};
        pr->schema = compile_child(c, sub, p, key, klen, depth);
        if (!pr->schema)
            return false;
        pr->def = json_is_object(sub) ? json_object_get(sub, "default") : NULL;
        n->props_sorted[n->n_props++] = pr;
    }
    qsort(n->props_sorted, n->n_props, sizeof *n->props_sorted, prop_sort_cmp);
    return true;
}

static bool kw_pattern_props(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                             const cpath *p, int depth)
{
    (void)e, (void)obj;
    if (!json_is_object(v))
        return cfail(c, p, "patternProperties must be an object of schemas");
    n->pattern_props = calloc(json_object_size(v) + 1, sizeof *n->pattern_props);
    if (!n->pattern_props)
        return coom(c, p);
    const char *key;
    size_t klen;
    json_t *sub;
    json_object_keylen_foreach((json_t *)v, key, klen, sub)
    {
        bw_sc_pattern_prop *pp = &n->pattern_props[n->n_pattern_props];
        cpath kp = {.up = p, .seg = key, .seg_len = klen};
        json_t *keystr = json_stringn_nocheck(key, klen);
        bool ok = keystr && compile_regex(c, keystr, &kp, &pp->re);
        json_decref(keystr);
        if (!ok)
            return keystr ? false : coom(c, p);
        n->n_pattern_props++;
        pp->re.src = (bw_sc_str){key, klen}; /* keystr is gone; the schema's key stays alive */
        pp->schema = compile_node(c, sub, &kp, depth + 1);
        if (!pp->schema)
            return false;
    }
    return true;
}

static bool string_array(cctx *c, const json_t *v, const cpath *p, const char *what, bw_sc_str **out,
                         size_t *n_out)
{
    if (!json_is_array(v))
        return cfail(c, p, "%s", what);
    size_t k = json_array_size(v);
    *out = calloc(k ? k : 1, sizeof **out);
    if (!*out)
        return coom(c, p);
    for (size_t i = 0; i < k; i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s))
            return cfail(c, p, "%s", what);
        (*out)[i] = (bw_sc_str){json_string_value(s), json_string_length(s)};
        *n_out = i + 1;
    }
    return true;
}

static bool kw_required(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                        const cpath *p, int depth)
{
    (void)e, (void)obj, (void)depth;
    return string_array(c, v, p, "required must be an array of strings", &n->required, &n->n_required);
}

static bool add_dep_required(cctx *c, bw_sc_node *n, const char *key, size_t klen, const json_t *v,
                             const cpath *kp)
{
    bw_sc_dep_required *d = &n->dep_required[n->n_dep_required++];
    d->name = (bw_sc_str){key, klen};
    return string_array(c, v, kp, "dependentRequired values must be arrays of strings", &d->needs, &d->n_needs);
}

static bool add_dep_schema(cctx *c, bw_sc_node *n, const char *key, size_t klen, const json_t *v,
                           const cpath *kp, int depth)
{
    bw_sc_dep_schema *d = &n->dep_schemas[n->n_dep_schemas++];
    d->name = (bw_sc_str){key, klen};
    d->schema = compile_node(c, v, kp, depth + 1);
    return d->schema != NULL;
}

/* dependentRequired (arrays), dependentSchemas (schemas) and draft-07 dependencies (either, per key). */
static bool kw_dependencies(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                            const cpath *p, int depth)
{
    (void)obj;
    if (!json_is_object(v))
        return cfail(c, p, "%s must be an object", e->name);
    size_t k = json_object_size(v) + 1;
    if ((!n->dep_required && !(n->dep_required = calloc(k, sizeof *n->dep_required))) ||
        (!n->dep_schemas && !(n->dep_schemas = calloc(k, sizeof *n->dep_schemas))))
        return coom(c, p);
    bool legacy = strcmp(e->name, "dependencies") == 0;
    bool arrays_only = strcmp(e->name, "dependentRequired") == 0;
    const char *key;
    size_t klen;
    json_t *sub;
    json_object_keylen_foreach((json_t *)v, key, klen, sub)
    {
        cpath kp = {.up = p, .seg = key, .seg_len = klen};
        bool ok = arrays_only || (legacy && json_is_array(sub)) ? add_dep_required(c, n, key, klen, sub, &kp)
                                                                : add_dep_schema(c, n, key, klen, sub, &kp, depth);
        if (!ok)
            return false;
    }
    return true;
}

/* $defs / definitions: compiled eagerly so that mistakes in them are reported even when unreferenced,
 * and so $ref targets are usually already in the registry. */
static bool kw_defs(cctx *c, bw_sc_node *n, const kw_entry *e, const json_t *obj, const json_t *v,
                    const cpath *p, int depth)
{
    (void)n, (void)obj;
    if (!json_is_object(v))
        return cfail(c, p, "%s must be an object of schemas", e->name);
    const char *key;
    size_t klen;
    json_t *sub;
    json_object_keylen_foreach((json_t *)v, key, klen, sub)
    {
        if (!compile_child(c, sub, p, key, klen, depth))
            return false;
    }
    return true;
}

#define OFF(field) offsetof(bw_sc_node, field)

static const kw_entry keywords[] = {
    {"$ref", kw_ref, DBOTH, 0, true},
    {"$defs", kw_defs, DBOTH, 0, true},
    {"definitions", kw_defs, DBOTH, 0, true},
    {"type", kw_type, DBOTH, 0, false},
    {"enum", kw_enum, DBOTH, 0, false},
    {"const", kw_const, DBOTH, 0, false},
    {"minimum", kw_number, DBOTH, OFF(minimum), false},
    {"maximum", kw_number, DBOTH, OFF(maximum), false},
    {"exclusiveMinimum", kw_number, DBOTH, OFF(ex_minimum), false},
    {"exclusiveMaximum", kw_number, DBOTH, OFF(ex_maximum), false},
    {"multipleOf", kw_number, DBOTH, OFF(multiple_of), false},
    {"minLength", kw_count, DBOTH, OFF(min_length), false},
    {"maxLength", kw_count, DBOTH, OFF(max_length), false},
    {"pattern", kw_pattern, DBOTH, 0, false},
    {"format", kw_format, DBOTH, 0, false},
    {"minItems", kw_count, DBOTH, OFF(min_items), false},
    {"maxItems", kw_count, DBOTH, OFF(max_items), false},
    {"uniqueItems", kw_bool, DBOTH, OFF(unique_items), false},
    {"prefixItems", kw_list, D2020, OFF(prefix), false},
    {"items", kw_items, DBOTH, 0, false},
    {"contains", kw_sub, DBOTH, OFF(contains), false},
    {"minContains", kw_count, D2020, OFF(min_contains), false},
    {"maxContains", kw_count, D2020, OFF(max_contains), false},
    {"minProperties", kw_count, DBOTH, OFF(min_props), false},
    {"maxProperties", kw_count, DBOTH, OFF(max_props), false},
    {"required", kw_required, DBOTH, 0, false},
    {"properties", kw_properties, DBOTH, 0, false},
    {"patternProperties", kw_pattern_props, DBOTH, 0, false},
    {"additionalProperties", kw_sub, DBOTH, OFF(additional), false},
    {"propertyNames", kw_sub, DBOTH, OFF(prop_names), false},
    {"dependentRequired", kw_dependencies, D2020, 0, false},
    {"dependentSchemas", kw_dependencies, D2020, 0, false},
    {"dependencies", kw_dependencies, D07, 0, false},
    {"allOf", kw_list, DBOTH, OFF(all_of), false},
    {"anyOf", kw_list, DBOTH, OFF(any_of), false},
    {"oneOf", kw_list, DBOTH, OFF(one_of), false},
    {"not", kw_sub, DBOTH, OFF(not_s), false},
    {"if", kw_sub, DBOTH, OFF(if_s), false},
    {"then", kw_sub, DBOTH, OFF(then_s), false},
    {"else", kw_sub, DBOTH, OFF(else_s), false},
    {"x-message", kw_message, DBOTH, 0, false},
};

static bool compile_keywords(cctx *c, bw_sc_node *n, const json_t *j, const cpath *p, int depth)
{
    unsigned mask = 1u << c->s->dialect;
    bool ref_only = c->s->dialect == BW_SC_DRAFT07 && json_object_get(j, "$ref");
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        const kw_entry *e = &keywords[i];
        if (!(e->dialects & mask) || (ref_only && !e->beside_ref))
            continue;
        const json_t *v = json_object_get(j, e->name);
        if (!v)
            continue;
        cpath kp = {.up = p, .seg = e->name, .seg_len = strlen(e->name)};
        if (!e->fn(c, n, e, j, v, &kp, depth))
            return false;
    }
    return true;
}

static bw_sc_node *compile_node(cctx *c, const json_t *j, const cpath *p, int depth)
{
    bw_sc_node *n = reg_get(c, j);
    if (n)
        return n;
    if (depth > BW_SCHEMA_MAX_DEPTH) {
        cfail(c, p, "schema nesting too deep");
        return NULL;
    }
    if (!json_is_object(j) && !json_is_boolean(j)) {
        cfail(c, p, "schema must be an object or a boolean");
        return NULL;
    }
    /* Registered before its keywords are compiled, so a subschema reached again through a cycle
     * resolves to this node instead of recursing. */
    n = node_new(c);
    if (!n || !reg_put(c, j, n)) {
        coom(c, p);
        return NULL;
    }
    if (json_is_boolean(j)) {
        n->boolean = json_is_true(j) ? 1 : 0;
        return n;
    }
    return compile_keywords(c, n, j, p, depth) ? n : NULL;
}

/* ---- $ref resolution ---- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* URI fragments are percent-encoded; JSON pointer escapes (~0 ~1) are undone later, per RFC 6901 §6. */
static bool percent_decode(const char *in, char *out, size_t *out_len)
{
    size_t k = 0;
    for (size_t i = 0; in[i]; i++) {
        if (in[i] != '%') {
            out[k++] = in[i];
            continue;
        }
        int hi = hexval(in[i + 1]), lo = hi < 0 ? -1 : hexval(in[i + 2]);
        if (lo < 0)
            return false;
        out[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    *out_len = k;
    return true;
}

static const json_t *pointer_step(const json_t *cur, const char *tok, size_t len)
{
    if (json_is_object(cur))
        return json_object_getn(cur, tok, len);
    if (!json_is_array(cur) || len == 0 || len > 9 || (len > 1 && tok[0] == '0'))
        return NULL;
    size_t idx = 0;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return NULL;
        idx = idx * 10 + (size_t)(tok[i] - '0');
    }
    return json_array_get(cur, idx);
}

/* Walks a decoded JSON pointer ("/a/b~1c/0"); tok is scratch space at least len bytes long. */
static const json_t *pointer_get(const json_t *root, const char *ptr, size_t len, char *tok)
{
    const json_t *cur = root;
    size_t i = 0;
    while (cur && i < len) {
        size_t t = 0;
        for (i++; i < len && ptr[i] != '/'; i++) {
            if (ptr[i] != '~') {
                tok[t++] = ptr[i];
                continue;
            }
            if (i + 1 >= len || (ptr[i + 1] != '0' && ptr[i + 1] != '1'))
                return NULL;
            tok[t++] = ptr[++i] == '0' ? '~' : '/';
        }
        cur = pointer_step(cur, tok, t);
    }
    return cur;
}

/* "$anchor": "name" (2020-12) or "$id": "#name" (draft-07) anywhere in the document. */
static const json_t *find_anchor(const json_t *j, const char *name, size_t len, int depth)
{
    if (depth > BW_SCHEMA_MAX_DEPTH || (!json_is_object(j) && !json_is_array(j)))
        return NULL;
    if (json_is_object(j)) {
        const json_t *a = json_object_get(j, "$anchor"), *id = json_object_get(j, "$id");
        if (json_is_string(a) && json_string_length(a) == len && memcmp(json_string_value(a), name, len) == 0)
            return j;
        if (json_is_string(id) && json_string_length(id) == len + 1 && json_string_value(id)[0] == '#' &&
            memcmp(json_string_value(id) + 1, name, len) == 0)
            return j;
    }
    const json_t *hit = NULL;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j) && !hit; i++)
            hit = find_anchor(json_array_get(j, i), name, len, depth + 1);
        return hit;
    }
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)j, key, sub)
    {
        if ((hit = find_anchor(sub, name, len, depth + 1)))
            return hit;
    }
    return NULL;
}

static const json_t *resolve_target(cctx *c, const char *ref, const char *where)
{
    if (c->base.len && strncmp(ref, c->base.s, c->base.len) == 0 &&
        (ref[c->base.len] == '#' || ref[c->base.len] == '\0'))
        ref += c->base.len;
    if (ref[0] != '#' && ref[0] != '\0') {
        cfail_q(c, NULL, where, "unsupported $ref (only references into this schema resolve): ", ref,
                strlen(ref));
        return NULL;
    }
    size_t len = strlen(ref);
    char *buf = malloc(2 * len + 2);
    if (!buf) {
        coom(c, NULL);
        return NULL;
    }
    size_t dlen = 0;
    const json_t *t = NULL;
    bool decoded = percent_decode(ref[0] ? ref + 1 : ref, buf, &dlen);
    if (decoded && dlen == 0)
        t = c->root;
    else if (decoded && buf[0] == '/')
        t = pointer_get(c->root, buf, dlen, buf + len + 1);
    else if (decoded)
        t = find_anchor(c->root, buf, dlen, 0);
    free(buf);
    if (!t)
        cfail_q(c, NULL, where, decoded ? "unresolvable $ref " : "invalid percent-encoding in $ref ", ref,
                strlen(ref));
    return t;
}

/* The pending list may grow while we walk it: compiling a target can meet further $refs. */
static bool resolve_refs(cctx *c)
{
    for (size_t i = 0; i < c->pend_n; i++) {
        bw_sc_node *n = c->pend[i].node;
        const char *ref = c->pend[i].ref;
        const json_t *t = resolve_target(c, ref, c->pend[i].where);
        if (!t)
            return false;
        cpath tp = {.seg = ref, .seg_len = strlen(ref)};
        n->ref = compile_node(c, t, &tp, 0);
        if (!n->ref)
            return false;
    }
    return true;
}

/* ---- dialect and entry points ---- */

static bool same_uri(const char *a, const char *b)
{
    if (strncmp(a, "https://", 8) == 0)
        a += 8;
    else if (strncmp(a, "http://", 7) == 0)
        a += 7;
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '#')
        la--;
    return la == lb && memcmp(a, b, la) == 0;
}

static bool detect_dialect(cctx *c, const json_t *schema)
{
    const json_t *v = json_is_object(schema) ? json_object_get(schema, "$schema") : NULL;
    c->s->dialect = BW_SC_DRAFT2020;
    if (!v)
        return true;
    if (!json_is_string(v))
        return cfail(c, NULL, "$schema must be a string");
    const char *uri = json_string_value(v);
    if (same_uri(uri, "json-schema.org/draft/2020-12/schema"))
        return true;
    if (same_uri(uri, "json-schema.org/draft-07/schema")) {
        c->s->dialect = BW_SC_DRAFT07;
        return true;
    }
    c->failed = true;
    bw_sc_w_str(&c->err, "unsupported $schema dialect: ");
    bw_sc_w_str(&c->err, uri);
    return false;
}

static void set_base(cctx *c, const json_t *schema)
{
    const json_t *id = json_is_object(schema) ? json_object_get(schema, "$id") : NULL;
    if (!json_is_string(id))
        return;
    const char *s = json_string_value(id);
    const char *hash = strchr(s, '#');
    c->base = (bw_sc_str){s, hash ? (size_t)(hash - s) : strlen(s)};
}

static pcre2_match_context *make_match_context(void)
{
    pcre2_match_context *m = pcre2_match_context_create(NULL);
    if (m) {
        pcre2_set_match_limit(m, MATCH_LIMIT);
        pcre2_set_heap_limit(m, HEAP_LIMIT_KIB);
    }
    return m;
}

static void cctx_release(cctx *c)
{
    for (size_t i = 0; i < c->pend_n; i++)
        free(c->pend[i].where);
    free(c->pend);
    free(c->reg);
}

bw_schema *bw_schema_compile(const json_t *schema, char *err, size_t errlen)
{
    cctx c = {0};
    bw_sc_w_init(&c.err, err, errlen);
    bw_schema *s = schema ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        bw_sc_w_str(&c.err, schema ? "#: out of memory" : "#: no schema given");
        return NULL;
    }
    s->json = json_incref((json_t *)schema);
    c.s = s;
    c.root = schema;
    s->mctx = make_match_context();
    bool ok = s->mctx ? detect_dialect(&c, schema) : coom(&c, NULL);
    if (ok) {
        set_base(&c, schema);
        cpath root = {.seg = "#", .seg_len = 1};
        s->root = compile_node(&c, schema, &root, 0);
        ok = s->root && resolve_refs(&c);
    }
    cctx_release(&c);
    if (!ok) {
        bw_schema_free(s);
        return NULL;
    }
    return s;
}

void bw_schema_free(bw_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_nodes; i++)
        node_free(s->nodes[i]);
    free(s->nodes);
    pcre2_match_context_free(s->mctx);
    json_decref(s->json);
    free(s);
}
