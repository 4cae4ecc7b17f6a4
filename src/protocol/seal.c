/* Key ring, sealing and opening of requestState tokens (see seal.h for the format). */
#include "protocol/seal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/base64url.h"

#define NONCE_BYTES 12
#define TAG_BYTES 16
#define KID_CHARS 8
#define VERSION "v1."
#define AAD_CHARS (sizeof VERSION - 1 + KID_CHARS) /* "v1.<kid>" */
#define HEAD_CHARS (AAD_CHARS + 1)                 /* "v1.<kid>." */
/* The largest nonce|ciphertext|tag whose encoding keeps the token within BW_SEAL_MAX_TOKEN. */
#define MAX_BLOB ((BW_SEAL_MAX_TOKEN - HEAD_CHARS) / 4 * 3)
#define MIN_BLOB (NONCE_BYTES + 1 + TAG_BYTES)
#define MAX_PLAIN (MAX_BLOB - NONCE_BYTES - TAG_BYTES)
#define PLAIN_FORMAT "{\"exp\":%" PRId64 ",\"p\":%s}"
/* PLAIN_FORMAT around the payload adds its 13 characters and at most 19 digits of a positive int64. */
_Static_assert(BW_SEAL_MAX_PAYLOAD + 13 + 19 <= MAX_PLAIN, "BW_SEAL_MAX_PAYLOAD does not fit a token");

typedef struct seal_key {
    uint8_t bytes[BW_SEAL_KEY_BYTES];
    char kid[KID_CHARS + 1];
} seal_key;

/* keys[0] is the current key; keys[1], when count is 2, the previous one. */
struct bw_seal_keys {
    seal_key keys[2];
    size_t count;
};

typedef enum open_result { OPEN_OK, OPEN_FORGED, OPEN_NOMEM } open_result;

/* Copies the key and names it by the first 4 bytes of its SHA-256. */
static bool key_init(seal_key *key, const uint8_t *bytes)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(bytes, BW_SEAL_KEY_BYTES, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < KID_CHARS / 2)
        return false;
    memcpy(key->bytes, bytes, BW_SEAL_KEY_BYTES);
    snprintf(key->kid, sizeof key->kid, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
    return true;
}

void bw_seal_keys_free(bw_seal_keys *k)
{
    if (!k)
        return;
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}

bw_seal_keys *bw_seal_keys_new(const uint8_t *current, size_t current_len, const uint8_t *previous,
                               size_t previous_len)
{
    bool has_previous = previous || previous_len;
    if (!current || current_len != BW_SEAL_KEY_BYTES)
        return NULL;
    if (has_previous && (!previous || previous_len != BW_SEAL_KEY_BYTES))
        return NULL;
    bw_seal_keys *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->count = has_previous ? 2 : 1;
    if (!key_init(&k->keys[0], current) || (has_previous && !key_init(&k->keys[1], previous))) {
        bw_seal_keys_free(k);
        return NULL;
    }
    return k;
}

bw_seal_keys *bw_seal_keys_random(void)
{
    uint8_t key[BW_SEAL_KEY_BYTES];
    bw_seal_keys *k = NULL;
    if (RAND_bytes(key, sizeof key) == 1)
        k = bw_seal_keys_new(key, sizeof key, NULL, 0);
    OPENSSL_cleanse(key, sizeof key);
    return k;
}

/* The plaintext may hold what a user typed in answer to an input request: wipe it before release. */
static void wipe_free(void *p, size_t len)
{
    if (p)
        OPENSSL_cleanse(p, len);
    free(p);
}

/* Encrypts pt under a fresh random nonce into blob = nonce | ciphertext | tag (ptlen + NONCE_BYTES + TAG_BYTES
 * bytes). ptlen is at most MAX_PLAIN, so it fits OpenSSL's int lengths. */
static bool gcm_seal(const seal_key *key, const char *aad, const uint8_t *pt, size_t ptlen, uint8_t *blob)
{
    uint8_t *ct = blob + NONCE_BYTES;
    int n = 0;
    int fin = 0;
    if (RAND_bytes(blob, NONCE_BYTES) != 1)
        return false;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, blob) == 1 &&
              EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)AAD_CHARS) == 1 &&
              EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) == 1 && EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1 &&
              (size_t)n + (size_t)fin == ptlen &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, ct + ptlen) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Decrypts blob (nonce | ciphertext | tag, at least MIN_BLOB bytes) into pt (bloblen - NONCE_BYTES - TAG_BYTES
 * bytes). OpenSSL compares the tag in constant time; pt must not be used unless this returns OPEN_OK. */
static open_result gcm_open(const seal_key *key, const char *aad, uint8_t *blob, size_t bloblen, uint8_t *pt)
{
    size_t ctlen = bloblen - NONCE_BYTES - TAG_BYTES;
    uint8_t *ct = blob + NONCE_BYTES;
    int n = 0;
    int fin = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return OPEN_NOMEM;
    bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, blob) == 1 &&
              EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)AAD_CHARS) == 1 &&
              EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, ct + ctlen) == 1 &&
              EVP_DecryptFinal_ex(ctx, pt + n, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? OPEN_OK : OPEN_FORGED;
}

/* The compact JSON {"exp":<exp>,"p":<payload>} (malloc'd, length in *len), or NULL. Built as text so the
 * borrowed payload is only read, never referenced from a new container. */
static char *plaintext_build(const json_t *payload, int64_t exp, size_t *len)
{
    char *body = json_dumps(payload, JSON_COMPACT);
    if (!body)
        return NULL;
    size_t bodylen = strlen(body);
    char *pt = NULL;
    int n = snprintf(NULL, 0, PLAIN_FORMAT, exp, body);
    if (n > 0 && (size_t)n <= MAX_PLAIN && (pt = malloc((size_t)n + 1)))
        *len = (size_t)snprintf(pt, (size_t)n + 1, PLAIN_FORMAT, exp, body);
    wipe_free(body, bodylen);
    return pt;
}

/* "v1.<kid>.<b64url(blob)>" (malloc'd) or NULL. */
static char *token_format(const seal_key *key, const uint8_t *blob, size_t bloblen)
{
    size_t len = HEAD_CHARS + bw_b64url_len(bloblen);
    if (len > BW_SEAL_MAX_TOKEN)
        return NULL;
    char *token = malloc(len + 1);
    if (!token)
        return NULL;
    memcpy(token, VERSION, sizeof VERSION - 1);
    memcpy(token + sizeof VERSION - 1, key->kid, KID_CHARS);
    token[AAD_CHARS] = '.';
    bw_b64url_encode(blob, bloblen, token + HEAD_CHARS);
    return token;
}

char *bw_seal(const bw_seal_keys *k, const json_t *payload, int64_t ttl_ms)
{
    int64_t now = bw_wall_ms();
    if (!k || !json_is_object(payload) || ttl_ms <= 0 || ttl_ms > INT64_MAX - now)
        return NULL;
    const seal_key *key = &k->keys[0];
    char aad[AAD_CHARS + 1];
    snprintf(aad, sizeof aad, VERSION "%s", key->kid);
    size_t ptlen = 0;
    char *pt = plaintext_build(payload, now + ttl_ms, &ptlen);
    if (!pt)
        return NULL;
    size_t bloblen = NONCE_BYTES + ptlen + TAG_BYTES;
    uint8_t *blob = malloc(bloblen);
    char *token = NULL;
    if (blob && gcm_seal(key, aad, (const uint8_t *)pt, ptlen, blob))
        token = token_format(key, blob, bloblen);
    free(blob);
    wipe_free(pt, ptlen);
    return token;
}

static bw_status fail(bw_status st, char *why, size_t whylen, const char *msg)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", msg);
    return st;
}

/* Decodes the base64url part of a token into a new buffer (*blob, *bloblen). */
static bw_status blob_decode(const char *text, size_t len, uint8_t **blob, size_t *bloblen, char *why,
                             size_t whylen)
{
    uint8_t *buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        return fail(BW_E_NOMEM, why, whylen, "out of memory");
    if (!bw_b64_unpadded_decode(text, len, BW_B64_URL, buf, len / 4 * 3 + 3, bloblen)) {
        free(buf);
        return fail(BW_E_INVALID_ARG, why, whylen, "malformed token: bad base64url");
    }
    if (*bloblen < MIN_BLOB) {
        free(buf);
        return fail(BW_E_INVALID_ARG, why, whylen, "malformed token: too short");
    }
    *blob = buf;
    return BW_OK;
}

/* Whether some key of the ring has the token's kid (kids are public: no constant-time compare needed). */
static bool kid_known(const bw_seal_keys *k, const char *token)
{
    for (size_t i = 0; i < k->count; i++)
        if (memcmp(k->keys[i].kid, token + sizeof VERSION - 1, KID_CHARS) == 0)
            return true;
    return false;
}

/* Tries every key with the token's kid: two keys share one only by a 2^-32 accident, or when the same key is
 * configured as current and previous. */
static bw_status blob_open(const bw_seal_keys *k, const char *token, uint8_t *blob, size_t bloblen, uint8_t *pt,
                           char *why, size_t whylen)
{
    char aad[AAD_CHARS + 1];
    memcpy(aad, token, AAD_CHARS);
    aad[AAD_CHARS] = '\0';
    for (size_t i = 0; i < k->count; i++) {
        if (memcmp(k->keys[i].kid, token + sizeof VERSION - 1, KID_CHARS) != 0)
            continue;
        open_result r = gcm_open(&k->keys[i], aad, blob, bloblen, pt);
        if (r == OPEN_OK)
            return BW_OK;
        if (r == OPEN_NOMEM)
            return fail(BW_E_NOMEM, why, whylen, "out of memory");
    }
    return fail(BW_E_INVALID_ARG, why, whylen, "token failed authentication");
}

/* The payload of an authentic plaintext, if it has not expired at now_ms. */
static bw_status plaintext_parse(const uint8_t *pt, size_t ptlen, int64_t now_ms, json_t **payload, char *why,
                                 size_t whylen)
{
    json_t *root = json_loadb((const char *)pt, ptlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    json_t *exp = json_object_get(root, "exp");
    json_t *p = json_object_get(root, "p");
    bw_status st = BW_OK;
    if (!json_is_object(root) || json_object_size(root) != 2 || !json_is_integer(exp) || !json_is_object(p))
        st = fail(BW_E_INVALID_ARG, why, whylen, "sealed state is not a JSON object");
    else if (now_ms > json_integer_value(exp))
        st = fail(BW_E_TIMEOUT, why, whylen, "token expired");
    else
        *payload = json_incref(p);
    json_decref(root);
    return st;
}

bw_status bw_unseal(const bw_seal_keys *k, const char *token, int64_t now_ms, json_t **payload, char *why,
                    size_t whylen)
{
    if (!payload)
        return fail(BW_E_INVALID_ARG, why, whylen, "no payload out-parameter");
    *payload = NULL;
    if (!k || !token)
        return fail(BW_E_INVALID_ARG, why, whylen, "no token or keys");
    size_t len = strnlen(token, BW_SEAL_MAX_TOKEN + 1);
    if (len > BW_SEAL_MAX_TOKEN)
        return fail(BW_E_INVALID_ARG, why, whylen, "malformed token: too long");
    if (len < HEAD_CHARS || memcmp(token, VERSION, sizeof VERSION - 1) != 0 || token[AAD_CHARS] != '.')
        return fail(BW_E_INVALID_ARG, why, whylen, "malformed token: not a v1 sealed state");
    if (!kid_known(k, token))
        return fail(BW_E_INVALID_ARG, why, whylen, "token names an unknown key");
    uint8_t *blob = NULL;
    size_t bloblen = 0;
    bw_status st = blob_decode(token + HEAD_CHARS, len - HEAD_CHARS, &blob, &bloblen, why, whylen);
    if (st)
        return st;
    size_t ptlen = bloblen - NONCE_BYTES - TAG_BYTES;
    uint8_t *pt = malloc(ptlen);
    if (!pt)
        st = fail(BW_E_NOMEM, why, whylen, "out of memory");
    if (!st)
        st = blob_open(k, token, blob, bloblen, pt, why, whylen);
    if (!st)
        st = plaintext_parse(pt, ptlen, now_ms, payload, why, whylen);
    wipe_free(pt, ptlen);
    free(blob);
    return st;
}
