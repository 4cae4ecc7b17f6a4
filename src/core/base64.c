/* Strict base64 decoding: one final quantum may be padded, everything else is four alphabet characters. */
#include "core/base64.h"

/* The 6-bit value of an alphabet character, or -1 for anything else ('=' included). */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes one quantum q[0..4) into out; returns the number of bytes written (1..3) or 0 when it is invalid.
 * Padding is allowed only when the quantum is the last one. */
static size_t decode_quantum(const unsigned char *q, bool last, unsigned char *out)
{
    int a = sextet(q[0]), b = sextet(q[1]), c = sextet(q[2]), d = sextet(q[3]);
    if (a < 0 || b < 0)
        return 0;
    out[0] = (unsigned char)(a << 2 | b >> 4);
    if (q[2] == '=') {
        /* "xx==": one byte; the low 4 bits of b are unused and must be zero. */
        return last && q[3] == '=' && (b & 0x0F) == 0 ? 1 : 0;
    }
    if (c < 0)
        return 0;
    out[1] = (unsigned char)((b & 0x0F) << 4 | c >> 2);
    if (q[3] == '=') {
        /* "xxx=": two bytes; the low 2 bits of c are unused and must be zero. */
        return last && (c & 0x03) == 0 ? 2 : 0;
    }
    if (d < 0)
        return 0;
    out[2] = (unsigned char)((c & 0x03) << 6 | d);
    return 3;
}

bool bw_base64_decode_strict(const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    if (n % 4 != 0)
        return false;
    const unsigned char *u = (const unsigned char *)in;
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        size_t got = decode_quantum(u + i, i + 4 == n, out + len);
        if (!got)
            return false;
        len += got;
    }
    *out_len = len;
    return true;
}
