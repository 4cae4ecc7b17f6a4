/* Markdown reference from the schema: a depth-first walk in the order keys are written in the fragments, so the
 * reference reads in the same order as the schema (and as a typical configuration file). */
#include "config/reference.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_schema.h"
#include "config/file.h"
#include "core/buf.h"

#define REFERENCE_MAX (1u << 20)
#define REF_HOPS 8

typedef struct gen {
    const json_t *root;
    bw_buf out;
    bool failed;
} gen;

__attribute__((format(printf, 2, 3))) static void put(gen *g, const char *fmt, ...)
{
    char tmp[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp || bw_buf_append(&g->out, tmp, (size_t)n) != BW_OK)
        g->failed = true;
}

/* Table cells: one line, no unescaped '|'. */
static void put_cell(gen *g, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            put(g, "\\|");
        else if (*s == '\n')
            put(g, " ");
        else if (bw_buf_append(&g->out, s, 1) != BW_OK)
            g->failed = true;
    }
}

/* Follows "#/$defs/<name>" references (the only kind the configuration schema uses). */
static const json_t *resolve(const gen *g, const json_t *s)
{
    for (int i = 0; i < REF_HOPS && json_is_object(s); i++) {
        const char *ref = json_string_value(json_object_get(s, "$ref"));
        if (!ref || strncmp(ref, "#/$defs/", 8))
            break;
        s = json_object_get(json_object_get(g->root, "$defs"), ref + 8);
    }
    return s;
}

static const char *type_of(const json_t *s)
{
    return json_string_value(json_object_get(s, "type"));
}

/* ---- the type column ---- */

static void put_json(gen *g, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!text) {
        g->failed = true;
        return;
    }
    put(g, "`");
    put_cell(g, text);
    put(g, "`");
    free(text);
}

static void put_bounds(gen *g, const json_t *s, const char *lo_key, const char *hi_key, const char *unit)
{
    const json_t *lo = json_object_get(s, lo_key), *hi = json_object_get(s, hi_key);
    if (lo && hi)
        put(g, ", %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT "%s", json_integer_value(lo),
            json_integer_value(hi), unit);
    else if (lo && json_integer_value(lo) == 1 && !strcmp(unit, " items"))
        put(g, ", non-empty");
    else if (lo)
        put(g, ", at least %" JSON_INTEGER_FORMAT "%s", json_integer_value(lo), unit);
    else if (hi)
        put(g, ", at most %" JSON_INTEGER_FORMAT "%s", json_integer_value(hi), unit);
}

static bool has_keys(const json_t *s)
{
    return json_is_object(json_object_get(s, "properties"));
}

static void put_type(gen *g, const json_t *s, const char *sub_path, bool plural);

static void put_enum(gen *g, const json_t *vals)
{
    put(g, "one of ");
    for (size_t i = 0; i < json_array_size(vals); i++) {
        put(g, i ? ", " : "");
        put_json(g, json_array_get(vals, i));
    }
}

/* "integer, 1..1000", "non-empty string", "strings, at most 256 characters". */
static void put_scalar_type(gen *g, const json_t *s, const char *t, bool plural)
{
    const json_t *min_len = json_object_get(s, "minLength"), *max_len = json_object_get(s, "maxLength");
    bool non_empty = !strcmp(t, "string") && json_integer_value(min_len) == 1 && !max_len;
    put(g, "%s%s%s", non_empty ? "non-empty " : "", t, plural ? "s" : "");
    if (!strcmp(t, "integer") || !strcmp(t, "number"))
        put_bounds(g, s, "minimum", "maximum", "");
    else if (!strcmp(t, "string") && !non_empty)
        put_bounds(g, s, "minLength", "maxLength", " characters");
    const char *pattern = json_string_value(json_object_get(s, "pattern"));
    if (pattern) {
        put(g, ", matching `");
        put_cell(g, pattern);
        put(g, "`");
    }
    const char *format = json_string_value(json_object_get(s, "format"));
    if (format)
        put(g, " (%s)", format);
}

static void put_type(gen *g, const json_t *s, const char *sub_path, bool plural)
{
    s = resolve(g, s);
    const char *t = type_of(s);
    const json_t *items = resolve(g, json_object_get(s, "items"));
    const json_t *add = resolve(g, json_object_get(s, "additionalProperties"));
    if (json_object_get(s, "const")) {
        put_json(g, json_object_get(s, "const"));
    } else if (json_object_get(s, "enum")) {
        put_enum(g, json_object_get(s, "enum"));
    } else if (t && !strcmp(t, "array")) {
        put(g, "list of ");
        if (has_keys(items))
            put(g, "objects (`%s`)", sub_path);
        else
            put_type(g, items, sub_path, true);
        put_bounds(g, s, "minItems", "maxItems", " items");
    } else if (t && !strcmp(t, "object") && has_keys(s)) {
        put(g, "object (`%s`)", sub_path);
    } else if (t && !strcmp(t, "object") && json_is_object(add)) {
        put(g, "map of name to ");
        if (has_keys(add))
            put(g, "object (`%s`)", sub_path);
        else
            put_type(g, add, sub_path, false);
    } else if (t) {
        put_scalar_type(g, s, t, plural);
    } else {
        put(g, "any JSON value");
    }
}

/* ---- the default column ---- */

static bool is_required(const json_t *parent, const char *key)
{
    const json_t *req = json_object_get(parent, "required");
    for (size_t i = 0; i < json_array_size(req); i++)
        if (!strcmp(json_string_value(json_array_get(req, i)), key))
            return true;
    return false;
}

/* A string default with a space in it is prose ("the bulwark version"), shown in italics; any other default is a
 * value, shown as JSON (strings without their quotes). */
static void put_default(gen *g, const json_t *parent, const char *key, const json_t *s)
{
    const json_t *d = json_object_get(s, "default");
    if (is_required(parent, key))
        put(g, "**required**");
    else if (json_is_string(d) && strchr(json_string_value(d), ' ')) {
        put(g, "*");
        put_cell(g, json_string_value(d));
        put(g, "*");
    } else if (json_is_string(d)) {
        put(g, "`");
        put_cell(g, json_string_value(d));
        put(g, "`");
    } else if (d) {
        put_json(g, d);
    } else {
        put(g, "—");
    }
}

/* ---- sections ---- */

/* The object schema a key opens a section for, with the section's path; NULL for a leaf. */
static const json_t *child_object(gen *g, const char *path, const char *key, const json_t *s, char *sub,
                                  size_t sublen)
{
    s = resolve(g, s);
    const char *t = type_of(s);
    const char *dot = *path ? "." : "";
    const json_t *items = resolve(g, json_object_get(s, "items"));
    const json_t *add = resolve(g, json_object_get(s, "additionalProperties"));
    if (t && !strcmp(t, "array") && has_keys(items)) {
        snprintf(sub, sublen, "%s%s%s[]", path, dot, key);
        return items;
    }
    if (t && !strcmp(t, "object") && has_keys(s)) {
        snprintf(sub, sublen, "%s%s%s", path, dot, key);
        return s;
    }
    if (t && !strcmp(t, "object") && has_keys(add)) {
        snprintf(sub, sublen, "%s%s%s.<name>", path, dot, key);
        return add;
    }
    snprintf(sub, sublen, "%s%s%s", path, dot, key);
    return NULL;
}

static void put_row(gen *g, const char *path, const json_t *obj, const char *key, const json_t *s)
{
    char sub[256];
    child_object(g, path, key, s, sub, sizeof sub);
    const json_t *r = resolve(g, s);
    const char *desc = json_string_value(json_object_get(s, "description"));
    if (!desc)
        desc = json_string_value(json_object_get(r, "description"));
    put(g, "| `%s` | ", key);
    put_type(g, s, sub, false);
    put(g, " | ");
    put_default(g, obj, key, r);
    put(g, " | ");
    put_cell(g, desc ? desc : "");
    put(g, " |\n");
}

static void section(gen *g, const char *path, const json_t *obj, const char *desc);

static void section_children(gen *g, const char *path, const json_t *props)
{
    const char *key;
    json_t *s;
    json_object_foreach((json_t *)props, key, s)
    {
        char sub[256];
        const json_t *child = child_object(g, path, key, s, sub, sizeof sub);
        if (!child)
            continue;
        const char *desc = json_string_value(json_object_get(resolve(g, s), "description"));
        section(g, sub, child, desc ? desc : json_string_value(json_object_get(s, "description")));
    }
}

static void section(gen *g, const char *path, const json_t *obj, const char *desc)
{
    put(g, "\n### %s%s%s\n\n", *path ? "`" : "", *path ? path : "Top level", *path ? "`" : "");
    if (desc)
        put(g, "%s\n\n", desc);
    const char *rule = json_string_value(json_object_get(obj, "x-message"));
    if (rule)
        put(g, "Rule: %s.\n\n", rule);
    put(g, "| key | type | default | description |\n|---|---|---|---|\n");
    const char *key;
    json_t *s;
    const json_t *props = json_object_get(obj, "properties");
    json_object_foreach((json_t *)props, key, s)
    {
        put_row(g, path, obj, key, s);
    }
    section_children(g, path, props);
}

char *bw_config_reference(char *err, size_t errlen)
{
    json_t *schema = bw_config_schema_json(err, errlen);
    if (!schema)
        return NULL;
    gen g = {.root = schema};
    bw_buf_init(&g.out, REFERENCE_MAX);
    put(&g, "<!-- Generated from src/config/schema/*.json: do not edit by hand. -->\n");
    section(&g, "", schema, NULL);
    json_decref(schema);
    if (g.failed) {
        snprintf(err, errlen, "the reference does not fit in %u bytes", REFERENCE_MAX);
        bw_buf_free(&g.out);
        return NULL;
    }
    return g.out.data;
}

/* ---- --write ---- */

static bool write_file(const char *path, const char *head, size_t headlen, const char *body, const char *tail,
                       char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return false;
    }
    FILE *f = fopen(tmp, "w");
    bool ok = f && fwrite(head, 1, headlen, f) == headlen && fprintf(f, "%s\n", body) >= 0 &&
              fputs(tail, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write", path);
        remove(tmp);
        return false;
    }
    return true;
}

bool bw_config_reference_write(const char *path, char *err, size_t errlen)
{
    char why[128];
    char *doc = bw_read_file(path, 4u << 20, NULL, why, sizeof why);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, why);
        return false;
    }
    char *begin = strstr(doc, BW_REFERENCE_BEGIN "\n");
    char *end = begin ? strstr(begin, BW_REFERENCE_END) : NULL;
    char *ref = end ? bw_config_reference(err, errlen) : NULL;
    bool ok = false;
    if (!end)
        snprintf(err, errlen, "%s: the marker lines %s and %s are missing", path, BW_REFERENCE_BEGIN,
                 BW_REFERENCE_END);
    else if (ref)
        ok = write_file(path, doc, (size_t)(begin - doc) + strlen(BW_REFERENCE_BEGIN "\n"), ref, end, err, errlen);
    free(ref);
    free(doc);
    return ok;
}
