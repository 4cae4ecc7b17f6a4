/* Registration-time rules for "x-mcp-header" annotations in a tool's inputSchema (2026-07-28 streamable-http
 * "Schema Extension"). Clients drop a tool that breaks them, so a server must never publish one. The whole schema
 * is walked, not only the "properties" chains, because an annotation anywhere else makes the tool invalid. */
#include <stdio.h>
#include <string.h>

#include "protocol/mcp_headers_internal.h"

/* Annotations per schema: enough for any real tool, and the bound that keeps the uniqueness check allocation-free. */
#define MAX_ANNOTATIONS 64
/* Nesting of subschemas walked; matches the schema compiler's guard against deep or hostile documents. */
#define MAX_WALK_DEPTH 128

/* Where a schema node sits: the root, a property reached from the root through "properties" only, or elsewhere. */
typedef enum node_kind { NODE_ROOT, NODE_PROPERTY, NODE_OTHER } node_kind;

typedef struct sctx {
    const char *names[MAX_ANNOTATIONS];
    size_t count;
    char path[256]; /* e.g. inputSchema.properties.region; cut (not wrapped) when longer */
    size_t plen;
    char *why;
    size_t whylen;
} sctx;

static bool walk(sctx *c, const json_t *node, node_kind kind, unsigned pdepth, unsigned depth);

static size_t push(sctx *c, const char *fmt_kw, const char *key)
{
    size_t saved = c->plen;
    int r = snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s", fmt_kw, key);
    if (r > 0)
        c->plen = strlen(c->path);
    return saved;
}

static void pop(sctx *c, size_t saved)
{
    c->plen = saved;
    c->path[saved] = '\0';
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_token(const char *s)
{
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

static bool ascii_case_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
            return false;
    }
    return *a == *b;
}

static bool primitive_type(const json_t *node)
{
    const char *t = json_string_value(json_object_get(node, "type"));
    return t && (strcmp(t, "string") == 0 || strcmp(t, "integer") == 0 || strcmp(t, "boolean") == 0);
}

static bool check_name(sctx *c, const json_t *ann)
{
    const char *name = json_string_value(ann);
    size_t len = name ? json_string_length(ann) : 0;
    if (!name || len == 0 || len > BW_MCP_HEADER_NAME_MAX || strlen(name) != len || !is_token(name))
        return bw_mcp_why(c->why, c->whylen,
                          "%s: x-mcp-header must be a string of 1 to %d characters A-Z a-z 0-9 !#$%%&'*+-.^_`|~",
                          c->path, BW_MCP_HEADER_NAME_MAX);
    for (size_t i = 0; i < c->count; i++)
        if (ascii_case_equal(c->names[i], name))
            return bw_mcp_why(c->why, c->whylen, "%s: x-mcp-header '%s' is not unique (also '%s', ignoring case)",
                              c->path, name, c->names[i]);
    if (c->count == MAX_ANNOTATIONS)
        return bw_mcp_why(c->why, c->whylen, "%s: more than %d x-mcp-header annotations", c->path, MAX_ANNOTATIONS);
    c->names[c->count++] = name;
    return true;
}

static bool check_annotation(sctx *c, const json_t *node, const json_t *ann, node_kind kind, unsigned pdepth)
{
    if (kind != NODE_PROPERTY)
        return bw_mcp_why(c->why, c->whylen,
                          "%s: x-mcp-header is only allowed on a property reached from the root through "
                          "'properties' keys alone",
                          c->path);
    if (pdepth > BW_MCP_HEADER_MAX_DEPTH)
        return bw_mcp_why(c->why, c->whylen, "%s: x-mcp-header is nested deeper than %d properties", c->path,
                          BW_MCP_HEADER_MAX_DEPTH);
    if (!primitive_type(node))
        return bw_mcp_why(c->why, c->whylen,
                          "%s: x-mcp-header is only allowed on a property of type string, integer or boolean",
                          c->path);
    return check_name(c, ann);
}

static bool walk_properties(sctx *c, const json_t *node, node_kind kind, unsigned pdepth, unsigned depth)
{
    const json_t *props = json_object_get(node, "properties");
    if (!json_is_object(props))
        return true;
    node_kind child = kind == NODE_OTHER ? NODE_OTHER : NODE_PROPERTY;
    const char *key;
    json_t *sub;
    json_object_foreach((json_t *)props, key, sub) {
        size_t saved = push(c, ".properties.", key);
        bool ok = walk(c, sub, child, pdepth + 1, depth + 1);
        pop(c, saved);
        if (!ok)
            return false;
    }
    return true;
}

/* A keyword's value: one schema, or an array of them (allOf, prefixItems, draft-07 tuple items, ...). */
static bool walk_value(sctx *c, const json_t *v, unsigned depth)
{
    if (!json_is_array(v))
        return walk(c, v, NODE_OTHER, 0, depth + 1);
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!walk(c, json_array_get(v, i), NODE_OTHER, 0, depth + 1))
            return false;
    return true;
}

/* Every subschema keyword other than "properties": annotations under any of them are invalid, so they are
 * walked to be found. Keywords holding data (enum, const, default, examples) are not schemas and are skipped. */
static bool walk_subschemas(sctx *c, const json_t *node, unsigned depth)
{
    static const char *const single[] = {
        "items", "prefixItems", "additionalItems", "contains", "additionalProperties", "unevaluatedProperties",
        "unevaluatedItems", "propertyNames", "not", "if", "then", "else", "allOf", "anyOf", "oneOf", "contentSchema",
    };
    static const char *const maps[] = {"patternProperties", "dependentSchemas", "dependencies", "$defs", "definitions"};
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof single / sizeof single[0]; i++) {
        const json_t *v = json_object_get(node, single[i]);
        if (!v)
            continue;
        size_t saved = push(c, ".", single[i]);
        ok = walk_value(c, v, depth);
        pop(c, saved);
    }
    for (size_t i = 0; ok && i < sizeof maps / sizeof maps[0]; i++) {
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(node, maps[i]), key, v) {
            size_t saved = push(c, ".", maps[i]);
            push(c, ".", key);
            ok = walk_value(c, v, depth);
            pop(c, saved);
            if (!ok)
                break;
        }
    }
    return ok;
}

static bool walk(sctx *c, const json_t *node, node_kind kind, unsigned pdepth, unsigned depth)
{
    if (!json_is_object(node))
        return true;
    if (depth > MAX_WALK_DEPTH)
        return bw_mcp_why(c->why, c->whylen, "%s: inputSchema nests deeper than %d subschemas", c->path,
                          MAX_WALK_DEPTH);
    const json_t *ann = json_object_get(node, "x-mcp-header");
    if (ann && !check_annotation(c, node, ann, kind, pdepth))
        return false;
    return walk_properties(c, node, kind, pdepth, depth) && walk_subschemas(c, node, depth);
}

bool bw_mcp_headers_schema_ok(const json_t *input_schema, char *why, size_t whylen)
{
    sctx c = {.why = why, .whylen = whylen};
    snprintf(c.path, sizeof c.path, "inputSchema");
    c.plen = strlen(c.path);
    if (why && whylen)
        why[0] = '\0';
    return walk(&c, input_schema, NODE_ROOT, 0, 0);
}
