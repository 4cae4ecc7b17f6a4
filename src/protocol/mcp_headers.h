/* SEP-2243 request headers of the 2026-07-28 Streamable HTTP transport: Mcp-Method, Mcp-Name and the
 * Mcp-Param-{Name} headers a tool asks for with "x-mcp-header" annotations in its inputSchema. The headers mirror
 * the body so intermediaries can route without parsing JSON; the server must reject any disagreement, because a
 * load balancer acting on the header and the server acting on the body would otherwise see different requests.
 *
 * Only for modern-era (2026-07-28) HTTP requests; legacy-era traffic and stdio never carry these headers.
 * Spec: 2026-07-28 basic/transports/streamable-http ("Standard Request Headers", "Custom Headers from Tool
 * Parameters", "Server Validation"), server/tools ("x-mcp-header"), extensions/2663 (Mcp-Name for tasks/ *). */
#ifndef BW_PROTOCOL_MCP_HEADERS_H
#define BW_PROTOCOL_MCP_HEADERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest x-mcp-header value accepted at registration, so "Mcp-Param-" + name always fits a small buffer. */
#define BW_MCP_HEADER_NAME_MAX 64
/* Bytes of a header or body value quoted in a failure message; longer values are cut and end in "...". */
#define BW_MCP_HEADER_ECHO_MAX 64
/* Longest header value accepted (after trimming); the HTTP layer normally bounds headers well below this. */
#define BW_MCP_HEADER_VALUE_MAX 8192
/* Deepest chain of "properties" an annotation may sit at (the root's own properties are depth 1). */
#define BW_MCP_HEADER_MAX_DEPTH 16

/* Returns the value of request header `name` (case-insensitive name) or NULL when absent. The string must stay
 * valid until bw_mcp_headers_check returns. Repeated headers are the lookup's business (it returns one value). */
typedef const char *(*bw_header_get)(void *ctx, const char *name);

/* Checks the SEP-2243 headers of one modern-era request against its body. Header values have their surrounding
 * optional whitespace (SP, HTAB) trimmed, and must then consist of SP, HTAB and visible ASCII only, at most
 * BW_MCP_HEADER_VALUE_MAX bytes (counted before trailing whitespace is trimmed).
 *  - Mcp-Method must be present and equal `method` exactly (values are case-sensitive; no base64 form).
 *  - Mcp-Name must be present and equal params.name (tools/call, prompts/get), params.uri (resources/read) or
 *    params.taskId (tasks/get, tasks/update, tasks/cancel); other methods need none. A value of the exact form
 *    "=?base64?<b64>?=" is decoded with strict base64 first (bw_base64_decode_strict); anything that is not
 *    exactly prefix + suffix is a literal. When the body field itself is absent or not a string there is nothing
 *    to mirror: the check passes and parameter validation answers the request with -32602.
 *  - tools/call only, when tool_input_schema (the called tool's inputSchema) is given: for every property reached
 *    from the root through a chain of "properties" keys that carries "x-mcp-header": "<Name>", with the argument
 *    at that path in params.arguments:
 *      present and not null -> header "Mcp-Param-<Name>" must be present and, decoded as above, match it:
 *                              strings byte for byte, integers numerically ("42", "042", "42.0", "4.2e1" all
 *                              match 42; the integer must lie within +-(2^53-1)), booleans as "true"/"false";
 *                              an object, array or non-integral number argument can never match;
 *      absent or null       -> the header must be absent too (a stray header would let an intermediary act on
 *                              a value the server never sees).
 * Returns true when consistent; otherwise false with one complete human-readable line in why (NUL-terminated,
 * truncated to whylen; why may be NULL or whylen 0), meant to be sent as the message of error -32020, e.g.
 *   Header mismatch: Mcp-Name header value 'x' does not match body value 'y'
 *   Header mismatch: missing Mcp-Param-Region header for argument 'region'
 * Quoted values are cut at BW_MCP_HEADER_ECHO_MAX bytes; a value with invalid characters is never quoted.
 * method must not be NULL; params and tool_input_schema may be NULL. Thread-safe and reentrant; allocates only
 * scratch memory freed before returning (a failed allocation is reported as a failed check). */
bool bw_mcp_headers_check(const char *method, const json_t *params, const json_t *tool_input_schema,
                          bw_header_get get, void *ctx, char *why, size_t whylen);

/* Registration-time check of a tool inputSchema's x-mcp-header annotations (the rules a client applies before it
 * will call the tool): the value is a string of 1..BW_MCP_HEADER_NAME_MAX RFC 9110 tchar characters
 * (A-Z a-z 0-9 and !#$%&'*+-.^_`|~); it sits only on a property schema reached from the root through a chain of
 * "properties" keys at most BW_MCP_HEADER_MAX_DEPTH long (never under items, prefixItems, contains,
 * additionalProperties, patternProperties, dependentSchemas, propertyNames, unevaluated*, allOf/anyOf/oneOf/not,
 * if/then/else, $defs/definitions, and never on the root itself); that property's "type" is exactly "string",
 * "integer" or "boolean" (not "number", not an array of types, not absent); names are unique case-insensitively.
 * true when fine (also when there are no annotations, and for a NULL or non-object schema, which the schema
 * compiler rejects on its own); else false with a line in why such as
 *   inputSchema.properties.score: x-mcp-header is only allowed on a property of type string, integer or boolean
 * Thread-safe; no allocation. */
bool bw_mcp_headers_schema_ok(const json_t *input_schema, char *why, size_t whylen);

#endif
