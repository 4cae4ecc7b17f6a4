/* One SEP-2243 header value: optional whitespace trimmed, characters checked against RFC 9110 field-value rules,
 * the base64 sentinel form decoded strictly; plus the message helpers the checker's files share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/utf8.h"
#include "protocol/mcp_headers_internal.h"

static const char PREFIX[] = "=?base64?";
static const char SUFFIX[] = "?=";
#define PREFIX_LEN (sizeof PREFIX - 1)
#define SUFFIX_LEN (sizeof SUFFIX - 1)

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 field-value characters, minus obs-text: a non-ASCII byte in a header is never something a conforming
 * client sends (it must use the base64 form), so it is rejected rather than guessed at. */
static bool field_chars_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7E)))
            return false;
    }
    return true;
}

/* The exact sentinel: prefix and suffix both present and not overlapping ("=?base64?=" is a literal). */
static bool is_sentinel(const char *p, size_t n)
{
    return n >= PREFIX_LEN + SUFFIX_LEN && memcmp(p, PREFIX, PREFIX_LEN) == 0 &&
           memcmp(p + n - SUFFIX_LEN, SUFFIX, SUFFIX_LEN) == 0;
}

static bw_hval_status decode_sentinel(bw_hval *v)
{
    const char *b64 = v->raw + PREFIX_LEN;
    size_t b64_len = v->raw_len - PREFIX_LEN - SUFFIX_LEN;
    /* +1 so that an empty payload still gets a non-NULL buffer. */
    char *buf = malloc(BW_BASE64_DECODED_MAX(b64_len) + 1);
    if (!buf)
        return BW_HVAL_NOMEM;
    size_t len;
    if (!bw_base64_decode_strict(b64, b64_len, (unsigned char *)buf, &len)) {
        free(buf);
        return BW_HVAL_BAD_BASE64;
    }
    v->owned = buf;
    v->p = buf;
    v->n = len;
    return BW_HVAL_OK;
}

bw_hval_status bw_hval_read(bw_header_get get, void *ctx, const char *name, bool sentinel, bw_hval *out)
{
    *out = (bw_hval){0};
    const char *s = get(ctx, name);
    if (!s)
        return BW_HVAL_ABSENT;
    while (is_ows(s[0]))
        s++;
    /* Bounded: the value comes from the network. Measured before trailing whitespace is trimmed, so that a cut
     * can never hide what follows it. */
    size_t n = strnlen(s, BW_MCP_HEADER_VALUE_MAX + 1);
    if (n > BW_MCP_HEADER_VALUE_MAX)
        return BW_HVAL_TOO_LONG;
    while (n > 0 && is_ows(s[n - 1]))
        n--;
    out->raw = s;
    out->raw_len = n;
    if (!field_chars_ok(s, n))
        return BW_HVAL_BAD_CHARS;
    if (sentinel && is_sentinel(s, n))
        return decode_sentinel(out);
    out->p = s;
    out->n = n;
    return BW_HVAL_OK;
}

void bw_hval_release(bw_hval *v)
{
    free(v->owned);
    *v = (bw_hval){0};
}

bool bw_hval_fail(bw_hval_status st, const char *name, const bw_hval *v, char *why, size_t whylen)
{
    switch (st) {
    case BW_HVAL_BAD_CHARS:
        return bw_mcp_why(why, whylen, "Header mismatch: %s header value contains characters not allowed in a header",
                          name);
    case BW_HVAL_TOO_LONG:
        return bw_mcp_why(why, whylen, "Header mismatch: %s header value is longer than %d bytes", name,
                          BW_MCP_HEADER_VALUE_MAX);
    case BW_HVAL_BAD_BASE64:
        return bw_mcp_why(why, whylen, "Header mismatch: %s header value " BW_ECHO_FMT " is not valid base64", name,
                          BW_ECHO_ARGS(v->raw, v->raw_len));
    case BW_HVAL_NOMEM:
        return bw_mcp_why(why, whylen, "Header mismatch: out of memory decoding the %s header", name);
    case BW_HVAL_OK:
    case BW_HVAL_ABSENT:
        break;
    }
    return bw_mcp_why(why, whylen, "Header mismatch: %s header is missing", name);
}

bool bw_mcp_why(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        int r = vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
        if (r < 0)
            why[0] = '\0';
    }
    return false;
}

int bw_mcp_echo_len(const char *p, size_t n)
{
    return (int)bw_utf8_prefix(p, n, BW_MCP_HEADER_ECHO_MAX);
}
