/* Private to src/protocol/schema*.c: the compiled schema tree shared by the compiler (schema_compile.c),
 * the validator (schema.c) and the format checkers (schema_format.c). Not for use elsewhere. */
#ifndef BW_PROTOCOL_SCHEMA_INTERNAL_H
#define BW_PROTOCOL_SCHEMA_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/schema.h"

/* Bounds schema nesting at compile time, and validation recursion ($ref hops included) at run time. */
#define BW_SCHEMA_MAX_DEPTH 128

typedef enum { BW_SC_DRAFT07, BW_SC_DRAFT2020 } bw_sc_dialect;

enum {
    BW_SC_T_NULL = 1u << 0,
    BW_SC_T_BOOLEAN = 1u << 1,
    BW_SC_T_OBJECT = 1u << 2,
    BW_SC_T_ARRAY = 1u << 3,
    BW_SC_T_NUMBER = 1u << 4, /* integers too */
    BW_SC_T_STRING = 1u << 5,
    BW_SC_T_INTEGER = 1u << 6, /* also reals with a zero fraction */
};

/* A JSON number kept in its own representation so that integer comparisons stay exact. */
typedef struct {
    bool present;
    bool is_int;
    json_int_t i;
    double d; /* always set, (double)i for integers */
} bw_sc_num;

/* Byte string borrowed from the schema json (which the compiled schema keeps a reference to). */
typedef struct {
    const char *s;
    size_t len;
} bw_sc_str;

typedef bool (*bw_sc_format_fn)(const char *s, size_t len);

typedef struct bw_sc_node bw_sc_node;

typedef struct {
    bw_sc_node **v;
    size_t n;
} bw_sc_list;

typedef struct {
    bw_sc_str name;
    bw_sc_node *schema;
    const json_t *def; /* "default" of the property schema, or NULL */
} bw_sc_prop;

typedef struct {
    pcre2_code *re;
    bw_sc_str src;
} bw_sc_regex;

typedef struct {
    bw_sc_regex re;
    bw_sc_node *schema;
} bw_sc_pattern_prop;

typedef struct {
    bw_sc_str name;
    bw_sc_str *needs;
    size_t n_needs;
} bw_sc_dep_required;

typedef struct {
    bw_sc_str name;
    bw_sc_node *schema;
} bw_sc_dep_schema;

/* One compiled (sub)schema. Absent keywords are NULL pointers, zero counts, present=false, or the
 * neutral bound (0 for min*, SIZE_MAX for max*), so the validator tests fields, never json keys. */
struct bw_sc_node {
    int8_t boolean; /* -1: an object schema; 0: the schema `false`; 1: the schema `true` */
    uint8_t types;  /* BW_SC_T_* bits; 0 means no "type" keyword */
    bool unique_items;
    bw_sc_num minimum, maximum, ex_minimum, ex_maximum, multiple_of;
    size_t min_length, max_length;
    size_t min_items, max_items;
    size_t min_props, max_props;
    size_t min_contains, max_contains; /* only consulted when contains != NULL */
    bw_sc_regex pattern;
    bw_sc_format_fn format;
    bw_sc_str format_name;
    const json_t *enum_vals; /* json array */
    const json_t *const_val;
    bw_sc_node *ref;
    bw_sc_list all_of, any_of, one_of;
    bw_sc_node *not_s, *if_s, *then_s, *else_s;
    bw_sc_list prefix;  /* prefixItems, or draft-07 array-form items */
    bw_sc_node *items;  /* applies to the items after the prefix */
    bw_sc_node *contains;
    bw_sc_prop *props;  /* schema order, for error order and defaults */
    bw_sc_prop **props_sorted; /* by (len, bytes), for membership tests */
    size_t n_props;
    bw_sc_pattern_prop *pattern_props;
    size_t n_pattern_props;
    bw_sc_node *additional; /* additionalProperties */
    bw_sc_node *prop_names; /* propertyNames */
    bw_sc_str *required;
    size_t n_required;
    bw_sc_dep_required *dep_required;
    size_t n_dep_required;
    bw_sc_dep_schema *dep_schemas;
    size_t n_dep_schemas;
    bw_sc_str x_message; /* "x-message": replaces the anyOf/oneOf failure text when set (last: only failures read it) */
};

struct bw_schema {
    json_t *json;        /* the borrowed schema, increfed: compiled nodes point into it */
    bw_sc_node *root;
    bw_sc_node **nodes;  /* every node, for freeing: $ref makes the tree a graph */
    size_t n_nodes, cap_nodes;
    pcre2_match_context *mctx; /* match/heap limits; read-only once built, so shareable */
    bw_sc_dialect dialect;
};

/* Format checker for a "format" name, or NULL when the format is not checked (unknown formats are ignored). */
bw_sc_format_fn bw_schema_format_lookup(const char *name);

/* Exact comparison of two numbers, integers and reals mixed. Returns -1, 0 or 1 like strcmp. */
int bw_schema_num_cmp(const bw_sc_num *a, const bw_sc_num *b);

/* Fills *out from a json number; false when j is not a number. */
bool bw_schema_num_from_json(const json_t *j, bw_sc_num *out);

/* Total order on byte strings used both to sort declared properties and to look instance keys up. */
static inline int bw_sc_str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return alen < blen ? -1 : 1;
    return alen ? memcmp(a, b, alen) : 0;
}

/* Bounded, UTF-8-safe text writer for error messages: never overflows, never splits a character, and
 * once something did not fit it stops, so a truncated message is a clean prefix. cap 0 writes nothing. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
} bw_sc_wbuf;

void bw_sc_w_init(bw_sc_wbuf *w, char *buf, size_t cap);
void bw_sc_w_mem(bw_sc_wbuf *w, const char *s, size_t n);
void bw_sc_w_str(bw_sc_wbuf *w, const char *s);
void bw_sc_w_fmt(bw_sc_wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes s as a JSON string literal (quotes, escapes), cut after about max bytes with "...". */
void bw_sc_w_quoted(bw_sc_wbuf *w, const char *s, size_t len, size_t max);

#endif /* BW_PROTOCOL_SCHEMA_INTERNAL_H */
