#include "core/base64url.h"

static const char url_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void bw_b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = url_digits[v >> 18];
        out[o++] = url_digits[v >> 12 & 63];
        out[o++] = url_digits[v >> 6 & 63];
        out[o++] = url_digits[v & 63];
    }
    if (n - i == 1) {
        out[o++] = url_digits[in[i] >> 2];
        out[o++] = url_digits[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = url_digits[v >> 10];
        out[o++] = url_digits[v >> 4 & 63];
        out[o++] = url_digits[(v & 15) << 2];
    }
    out[o] = '\0';
}

/* The 6-bit value of c in the alphabet, or -1. */
static int sextet(char c, bw_b64_alphabet alphabet)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (alphabet == BW_B64_URL ? '-' : '+'))
        return 62;
    if (c == (alphabet == BW_B64_URL ? '_' : '/'))
        return 63;
    return -1;
}

bool bw_b64_unpadded_decode(const char *text, size_t len, bw_b64_alphabet alphabet, uint8_t *out, size_t cap,
                            size_t *outlen)
{
    /* One leftover character carries 6 bits: less than a byte, so no encoder writes it. */
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
        return false;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int s = sextet(text[i], alphabet);
        if (s < 0)
            return false;
        acc = acc << 6 | (uint32_t)s;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* The bits left over pad the last character; a canonical encoding leaves them zero. */
    if (acc != 0)
        return false;
    *outlen = o;
    return true;
}
