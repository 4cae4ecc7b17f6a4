/* UTF-8 validation and repair (RFC 3629), byte by byte: outside text is never trusted to be well-formed. */
#include "core/utf8.h"

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

size_t bw_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte (RFC 3629 table) */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

bool bw_utf8_valid(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        size_t len = u[i] ? bw_utf8_seq_len(u + i, n - i) : 0;
        if (!len)
            return false;
        i += len;
    }
    return true;
}

bw_status bw_utf8_sanitize(const char *p, size_t n, bw_buf *out)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t run = 0; /* start of the current run of valid bytes */
    for (size_t i = 0; i < n;) {
        size_t len = u[i] ? bw_utf8_seq_len(u + i, n - i) : 0;
        if (len) {
            i += len;
            continue;
        }
        bw_status st = bw_buf_append(out, p + run, i - run);
        if (st == BW_OK)
            st = bw_buf_append(out, REPLACEMENT, sizeof REPLACEMENT - 1);
        if (st != BW_OK)
            return st;
        run = ++i;
    }
    return bw_buf_append(out, p + run, n - run);
}

size_t bw_utf8_prefix(const char *p, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t cut = max;
    /* Step back over continuation bytes (at most 3) to the start of the character that the cut would split. */
    for (size_t back = 0; back < 3 && cut > 0 && ((unsigned char)p[cut] & 0xC0) == 0x80; back++)
        cut--;
    return cut;
}
