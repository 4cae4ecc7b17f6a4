/* Maps an HTTP response to a tool result (the rules are documented in src/config/schema/http.json):
 *   status >= 400           isError "HTTP 404 Not Found: <first 512 bytes of the body>"
 *   3xx not followed        isError naming the redirect target
 *   JSON (application/json, application/<x>+json)
 *                           structuredContent = the value at `extract` when it is an object, else {"result": value};
 *                           plus a text block with that value as JSON
 *   empty body              text "HTTP 204 No Content"
 *   text                    a text block (invalid UTF-8 in a text body is replaced by U+FFFD)
 *   anything else (binary)  isError: binary responses are not returned
 * Thread-safe (no shared state). */
#ifndef BW_PROVIDERS_HTTP_RESPONSE_H
#define BW_PROVIDERS_HTTP_RESPONSE_H

#include "bulwark/call.h"
#include "providers/http_client.h"

#define BW_HTTP_EXCERPT_BYTES 512

/* Fills r from resp. extract: a checked JSON pointer, or NULL. BW_OK (also for isError results), BW_E_NOMEM. */
BW_NODISCARD bw_status bw_http_result(bw_result *r, const bw_http_response *resp, const char *extract);

/* true when a Content-Type names JSON ("application/json", "application/problem+json; charset=utf-8"). */
bool bw_http_is_json_type(const char *content_type);

#endif
