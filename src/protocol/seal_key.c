/* Parsing of configured seal keys (bw_seal_key_parse, declared in seal.h). Messages describe what is wrong with
 * the text but never quote it: it is a secret and they end up in logs. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/base64url.h"
#include "protocol/seal.h"

#define HEX_CHARS (2 * BW_SEAL_KEY_BYTES)
#define B64_CHARS 43 /* unpadded base64 of 32 bytes; 44 with its one '=' */
#define KEY_TEXT_MAX 256

static bw_status reject(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return BW_E_INVALID_ARG;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool hex_decode(const char *text, uint8_t *out)
{
    for (size_t i = 0; i < BW_SEAL_KEY_BYTES; i++) {
        int hi = hex_digit(text[2 * i]);
        int lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* Standard or URL alphabet, told apart by their two distinct characters; '=' padding only to a multiple of 4. */
static bool b64_decode_key(const char *text, size_t len, uint8_t *out)
{
    size_t pad = 0;
    while (pad < len && pad < 2 && text[len - 1 - pad] == '=')
        pad++;
    if (pad && len % 4 != 0)
        return false;
    size_t n = len - pad;
    bool url = memchr(text, '-', n) || memchr(text, '_', n);
    bw_b64_alphabet alphabet = url ? BW_B64_URL : BW_B64_STD;
    size_t got = 0;
    return n == B64_CHARS && bw_b64_unpadded_decode(text, n, alphabet, out, BW_SEAL_KEY_BYTES, &got) &&
           got == BW_SEAL_KEY_BYTES;
}

bw_status bw_seal_key_parse(const char *text, uint8_t out[BW_SEAL_KEY_BYTES], char *err, size_t errlen)
{
    if (!text || !out)
        return reject(err, errlen, "no key given");
    size_t len = strnlen(text, KEY_TEXT_MAX + 1);
    size_t unpadded = len;
    while (unpadded > 0 && text[unpadded - 1] == '=')
        unpadded--;
    if (len != HEX_CHARS && unpadded != B64_CHARS)
        return reject(err, errlen,
                      "key has the wrong length: 64 hex characters or 43 base64/base64url characters (44 with "
                      "padding) of 32 bytes are required");
    uint8_t key[BW_SEAL_KEY_BYTES];
    bool ok = len == HEX_CHARS ? hex_decode(text, key) : b64_decode_key(text, len, key);
    if (ok)
        memcpy(out, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return ok ? BW_OK : reject(err, errlen, "key is not valid hex, base64 or base64url (of exactly 32 bytes)");
}
