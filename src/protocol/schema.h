/* JSON Schema validation for tool arguments and configuration.
 *
 * A schema is compiled once into an immutable tree of C structs (types as bitmasks, regexes compiled
 * by PCRE2, $ref pointers resolved) and then validated against many instances, from many threads.
 * Dialects: JSON Schema 2020-12 (the default) and draft-07. See docs/internals/schema.md for the
 * keyword list, the error message format and the limits. */
#ifndef BW_PROTOCOL_SCHEMA_H
#define BW_PROTOCOL_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct bw_schema bw_schema;

/* Compile a JSON Schema (2020-12 by default; draft-07 when $schema says so; any other $schema value is an error
 * "unsupported $schema dialect: <uri>"). The schema json is borrowed; the compiled form keeps whatever it needs
 * (it json_increfs the schema, which must not be modified afterwards). On failure returns NULL and writes a
 * one-line reason into err (NUL-terminated, truncated to errlen), e.g.
 *   #/properties/age/minimum: minimum must be a number
 * Thread-safety: the result is immutable and may be used from many threads at once. */
bw_schema *bw_schema_compile(const json_t *schema, char *err, size_t errlen);

/* Release a compiled schema and its reference on the schema json. NULL is a no-op. */
void bw_schema_free(bw_schema *s);

/* true if valid. If not, writes the FIRST failure as "<path>: <reason>" into err, where path is like
 * $ , $.name , $.items[2].zip , $["odd key"] and reason is short English naming the keyword, e.g.
 *   $.age: expected integer, got string
 *   $.age: 5 is less than minimum 18
 *   $: missing required property "name"
 *   $.extra: additional property not allowed
 *   $.email: "x" is not a valid email
 *   $.tags: items are not unique
 *   $: does not match any schema in anyOf
 * On success err is set to "". err may be NULL or errlen 0 when the reason is not wanted.
 * Reentrant; no allocation visible to the caller; bounded recursion: "<path>: schema nesting too deep" is
 * returned rather than overflowing the stack on a deep instance or a $ref cycle (limit 128). */
bool bw_schema_validate(const bw_schema *s, const json_t *instance, char *err, size_t errlen);

/* One failure found by bw_schema_validate_all. Both strings are valid during the callback only. */
typedef struct bw_schema_error {
    const char *pointer; /* RFC 6901 JSON pointer to the failing instance location: "" (root), "/tools/0/name" */
    const char *message; /* the reason, without a path, e.g. "expected string, got integer" */
    bool at_key;         /* the failure concerns the member's name at `pointer`, not its value: an unknown key
                          * ("unknown key 'foo' (expected one of: a, b)") or a key rejected by propertyNames */
} bw_schema_error;

typedef void (*bw_schema_error_fn)(void *ctx, const bw_schema_error *e);

/* Validates like bw_schema_validate but reports every failure instead of the first: validation goes on across
 * sibling properties, array items and keywords. Per value, a wrong type, const or enum is reported alone (the
 * keywords that follow would only repeat it). Inside anyOf, oneOf, not, if, contains and propertyNames one message
 * per combinator is reported, as bw_schema_validate does (or the combinator's "x-message" annotation). Additional
 * properties read "unknown key 'foo' (expected one of: a, b, c)" with at_key set.
 * Calls each(ctx, error) per failure, in instance order, at most max_errors times (then validation stops).
 * Returns the number of failures reported (0: valid). Reentrant; for configuration files, not the hot path. */
size_t bw_schema_validate_all(const bw_schema *s, const json_t *instance, bw_schema_error_fn each, void *ctx,
                              size_t max_errors);

/* Fill missing top-level object properties of `instance` from `properties.<name>.default` (deep copy). Used to
 * apply defaults to tool arguments before the handler runs. No-op when the schema has none or instance is not an
 * object. Properties reached through a top-level $ref or allOf also contribute; the first default found wins.
 * Mutates instance, so the caller must own it exclusively. */
void bw_schema_apply_defaults(const bw_schema *s, json_t *instance);

#endif /* BW_PROTOCOL_SCHEMA_H */
