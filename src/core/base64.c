/* Strict padded base64: the padding is checked here, the characters and the unused bits by the one strict
 * decoder (core/base64url.c). */
#include "core/base64.h"

#include "core/base64url.h"

bool bw_base64_decode_strict(const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    if (n % 4 != 0)
        return false;
    /* '=' may only complete the final quantum: "xx==" or "xxx=". */
    size_t pad = n >= 1 && in[n - 1] == '=' ? (n >= 2 && in[n - 2] == '=' ? 2 : 1) : 0;
    return bw_b64_unpadded_decode(in, n - pad, BW_B64_STD, out, BW_BASE64_DECODED_MAX(n), out_len);
}
