/* Shared by the SEP-2243 header checker's files (mcp_headers*.c) only: reading one header value (trim, character
 * check, base64 sentinel) and writing failure messages. Thread-safe; nothing here outlives a check. */
#ifndef BW_PROTOCOL_MCP_HEADERS_INTERNAL_H
#define BW_PROTOCOL_MCP_HEADERS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/mcp_headers.h"

/* One header value as the checker compares it: p[0..n) is the trimmed literal, or the decoded bytes of a
 * "=?base64?...?=" value (then held in `owned`, which bw_hval_release frees). `raw`/`raw_len` is the trimmed
 * value as received, visible ASCII, SP and HTAB only once bw_hval_read succeeded: safe to quote. */
typedef struct bw_hval {
    const char *p;
    size_t n;
    const char *raw;
    size_t raw_len;
    char *owned;
} bw_hval;

typedef enum bw_hval_status {
    BW_HVAL_OK,
    BW_HVAL_ABSENT,
    BW_HVAL_BAD_CHARS, /* a byte outside SP, HTAB and 0x21-0x7E after trimming */
    BW_HVAL_TOO_LONG, /* more than BW_MCP_HEADER_VALUE_MAX bytes after trimming */
    BW_HVAL_BAD_BASE64, /* exact sentinel form whose payload is not strict base64 */
    BW_HVAL_NOMEM,
} bw_hval_status;

/* Reads header `name`. With `sentinel` a value of the exact form "=?base64?<b64>?=" is decoded (Mcp-Name and
 * Mcp-Param-*); without it the value is always a literal (Mcp-Method). On BW_HVAL_OK the caller owns *out and
 * must call bw_hval_release; on any other status *out holds nothing to release. */
bw_hval_status bw_hval_read(bw_header_get get, void *ctx, const char *name, bool sentinel, bw_hval *out);
void bw_hval_release(bw_hval *v);

/* Writes the failure line for a status other than BW_HVAL_OK and BW_HVAL_ABSENT (whose message depends on the
 * caller) about header `name`; returns false so callers can `return bw_hval_fail(...)`. */
bool bw_hval_fail(bw_hval_status st, const char *name, const bw_hval *v, char *why, size_t whylen);

/* printf into why (if why and whylen), always NUL-terminated; returns false for `return bw_mcp_why(...)`. */
__attribute__((format(printf, 3, 4))) bool bw_mcp_why(char *why, size_t whylen, const char *fmt, ...);

/* Bytes of p[0..n) to quote: at most BW_MCP_HEADER_ECHO_MAX, never ending inside a UTF-8 character. */
int bw_mcp_echo_len(const char *p, size_t n);

/* Quote a value in a message: printf(BW_ECHO_FMT, BW_ECHO_ARGS(p, n)) prints 'value' or 'valu...'. */
#define BW_ECHO_FMT "'%.*s%s'"
#define BW_ECHO_ARGS(p, n) bw_mcp_echo_len((p), (n)), (p), ((n) > BW_MCP_HEADER_ECHO_MAX ? "..." : "")

/* The Mcp-Param-* part of bw_mcp_headers_check (mcp_headers_param.c): every annotation of `schema` reached through
 * "properties" chains against `args` (params.arguments; NULL or not an object means no arguments). */
bool bw_mcp_param_headers_check(const json_t *schema, const json_t *args, bw_header_get get, void *ctx, char *why,
                                size_t whylen);

#endif
