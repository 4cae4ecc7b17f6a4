/* Unit tests for src/protocol/seal.{h,c}, seal_key.c and core/base64url.c: the sealed MRTR requestState.
 * Round trip, the exact token format (checked by decrypting with OpenSSL directly), key rotation, rejection of
 * every single-character edit, appended bytes, truncation, foreign keys and expiry, the size bound, key parsing,
 * and that no error message echoes key or token text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/base64url.h"
#include "protocol/seal.h"

#define TTL_MS 60000
#define HEAD 12 /* "v1.<kid>." */

static const uint8_t key_a[BW_SEAL_KEY_BYTES] = {0}; /* SHA-256(32 zero bytes) = 66687aad... */
static const uint8_t key_b[BW_SEAL_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

static bw_seal_keys *ring(const uint8_t *current, const uint8_t *previous)
{
    bw_seal_keys *k = bw_seal_keys_new(current, BW_SEAL_KEY_BYTES, previous, previous ? BW_SEAL_KEY_BYTES : 0);
    assert_non_null(k);
    return k;
}

static char *seal_sample(const bw_seal_keys *k)
{
    json_t *p = parse("{\"tool\":\"deploy\",\"answers\":{\"confirm\":{\"action\":\"accept\"}},\"round\":2}");
    char *token = bw_seal(k, p, TTL_MS);
    assert_non_null(token);
    json_decref(p);
    return token;
}

/* Opens token with k now, expecting failure st; checks the reason names `want` and does not echo the token. */
static void assert_refused(const bw_seal_keys *k, const char *token, bw_status st, const char *want)
{
    json_t *out = (json_t *)&out; /* must come back NULL */
    char why[160] = "";
    bw_status got = bw_unseal(k, token, bw_wall_ms(), &out, why, sizeof why);
    if (got != st)
        fail_msg("token %.80s...: status %d (%s), want %d", token, got, why, st);
    assert_null(out);
    if (want && !strstr(why, want))
        fail_msg("why \"%s\" does not contain \"%s\"", why, want);
    size_t len = strlen(token);
    if (len > HEAD + 8) {
        char probe[9];
        memcpy(probe, token + HEAD, 8);
        probe[8] = '\0';
        assert_null(strstr(why, probe));
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_a, NULL);
    json_t *p = parse("{\"tool\":\"deploy\",\"answers\":{\"confirm\":{\"action\":\"accept\"}},\"round\":2,"
                      "\"text\":\"h\\u00e9 \\u0000 \\\"q\\\"\"}");
    char *before = json_dumps(p, JSON_COMPACT);
    size_t refs = p->refcount;
    char *token = bw_seal(k, p, TTL_MS);
    assert_non_null(token);
    /* the payload is borrowed and left exactly as it was */
    assert_int_equal(p->refcount, refs);
    char *after = json_dumps(p, JSON_COMPACT);
    assert_string_equal(before, after);

    assert_int_equal(strncmp(token, "v1.66687aad.", HEAD), 0);
    for (const char *c = token + HEAD; *c; c++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *c));
    assert_true(strlen(token) <= BW_SEAL_MAX_TOKEN);

    json_t *out = NULL;
    char why[128] = "untouched";
    assert_int_equal(bw_unseal(k, token, bw_wall_ms(), &out, why, sizeof why), BW_OK);
    assert_non_null(out);
    assert_true(json_equal(out, p));
    assert_ptr_not_equal(out, p);
    json_decref(out);
    free(token);
    free(before);
    free(after);
    json_decref(p);
    bw_seal_keys_free(k);
}

/* Decrypts a token with OpenSSL directly: the documented format, not only a round trip through our own code. */
static char *open_by_hand(const uint8_t *key, const char *token, size_t *ptlen)
{
    uint8_t blob[4096];
    size_t bloblen = 0;
    assert_true(bw_b64_unpadded_decode(token + HEAD, strlen(token) - HEAD, BW_B64_URL, blob, sizeof blob,
                                       &bloblen));
    assert_true(bloblen > 28);
    size_t ctlen = bloblen - 28;
    char *pt = calloc(1, ctlen + 1);
    assert_non_null(pt);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int fin = 0;
    assert_non_null(ctx);
    assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, blob), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)token, HEAD - 1), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, (unsigned char *)pt, &n, blob + 12, (int)ctlen), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, blob + 12 + ctlen), 1);
    assert_int_equal(EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + n, &fin), 1);
    EVP_CIPHER_CTX_free(ctx);
    *ptlen = ctlen;
    return pt;
}

/* Seals arbitrary plaintext the way bw_seal does, to reach the checks that follow authentication. */
static char *seal_by_hand(const uint8_t *key, const char *kid, const char *plaintext)
{
    size_t ptlen = strlen(plaintext);
    uint8_t blob[4096];
    assert_true(ptlen + 28 <= sizeof blob);
    char aad[HEAD];
    snprintf(aad, sizeof aad, "v1.%s", kid);
    assert_int_equal(RAND_bytes(blob, 12), 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int fin = 0;
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, blob), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, HEAD - 1), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, blob + 12, &n, (const unsigned char *)plaintext, (int)ptlen), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, blob + 12 + n, &fin), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, blob + 12 + ptlen), 1);
    EVP_CIPHER_CTX_free(ctx);
    char *token = malloc(HEAD + bw_b64url_len(ptlen + 28) + 1);
    assert_non_null(token);
    snprintf(token, HEAD + 1, "%s.", aad);
    bw_b64url_encode(blob, ptlen + 28, token + HEAD);
    return token;
}

static void test_format_matches_spec(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_a, NULL);
    json_t *p = parse("{\"b\":[1,2],\"a\":\"x\"}");
    int64_t lo = bw_wall_ms() + TTL_MS;
    char *token = bw_seal(k, p, TTL_MS);
    int64_t hi = bw_wall_ms() + TTL_MS;
    assert_non_null(token);
    size_t ptlen = 0;
    char *pt = open_by_hand(key_a, token, &ptlen);
    long long exp = 0;
    int used = 0;
    assert_int_equal(sscanf(pt, "{\"exp\":%lld,%n", &exp, &used), 1);
    assert_true(exp >= lo && exp <= hi);
    assert_string_equal(pt + used, "\"p\":{\"b\":[1,2],\"a\":\"x\"}}");
    assert_int_equal(strlen(pt), ptlen);

    /* and a token built by hand in that format opens */
    char text[128];
    snprintf(text, sizeof text, "{\"exp\":%lld,\"p\":{\"z\":true}}", (long long)hi);
    char *forged_ok = seal_by_hand(key_a, "66687aad", text);
    json_t *out = NULL;
    assert_int_equal(bw_unseal(k, forged_ok, bw_wall_ms(), &out, NULL, 0), BW_OK);
    assert_true(json_is_true(json_object_get(out, "z")));
    json_decref(out);
    free(forged_ok);
    free(pt);
    free(token);
    json_decref(p);
    bw_seal_keys_free(k);
}

static void test_nonce_makes_seals_differ(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_a, NULL);
    char *t1 = seal_sample(k);
    char *t2 = seal_sample(k);
    assert_string_not_equal(t1, t2);
    assert_int_equal(strncmp(t1, t2, HEAD), 0); /* same key, same kid */
    free(t1);
    free(t2);
    bw_seal_keys_free(k);
}

static void test_rotation_and_foreign_keys(void **state)
{
    (void)state;
    bw_seal_keys *a = ring(key_a, NULL);
    bw_seal_keys *b = ring(key_b, NULL);
    bw_seal_keys *ba = ring(key_b, key_a);
    char *old = seal_sample(a);

    /* after rotation the previous key still opens */
    json_t *out = NULL;
    assert_int_equal(bw_unseal(ba, old, bw_wall_ms(), &out, NULL, 0), BW_OK);
    assert_int_equal(json_integer_value(json_object_get(out, "round")), 2);
    json_decref(out);
    /* but the ring seals with the current key: the new token does not open with A alone */
    char *fresh = seal_sample(ba);
    char *b_only = seal_sample(b);
    assert_int_equal(strncmp(fresh, b_only, HEAD), 0);
    assert_refused(a, fresh, BW_E_INVALID_ARG, "unknown key");

    /* a ring without A refuses it */
    assert_refused(b, old, BW_E_INVALID_ARG, "unknown key");
    /* a token relabelled with B's kid fails authentication under B */
    memcpy(old + 3, b_only + 3, 8);
    assert_refused(b, old, BW_E_INVALID_ARG, "failed authentication");
    assert_refused(ba, old, BW_E_INVALID_ARG, "failed authentication");
    free(old);
    free(fresh);
    free(b_only);
    bw_seal_keys_free(a);
    bw_seal_keys_free(b);
    bw_seal_keys_free(ba);
}

static void test_every_single_character_edit_fails(void **state)
{
    (void)state;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. v";
    bw_seal_keys *k = ring(key_a, key_b);
    char *token = seal_sample(k);
    size_t len = strlen(token);
    size_t tried = 0;
    for (size_t i = 0; i < len; i++) {
        char orig = token[i];
        for (const char *c = alphabet; *c; c++) {
            if (*c == orig)
                continue;
            token[i] = *c;
            assert_refused(k, token, BW_E_INVALID_ARG, NULL);
            tried++;
        }
        token[i] = orig;
    }
    assert_true(tried > 60 * len);
    json_t *out = NULL;
    assert_int_equal(bw_unseal(k, token, bw_wall_ms(), &out, NULL, 0), BW_OK);
    json_decref(out);
    free(token);
    bw_seal_keys_free(k);
}

static void test_appended_and_truncated_fail(void **state)
{
    (void)state;
    static const char *const tails[] = {"-TAMPERED", "=", "==", "A", "AA", "AAA", "AAAA", ".", "\n", " "};
    bw_seal_keys *k = ring(key_a, NULL);
    char *token = seal_sample(k);
    size_t len = strlen(token);
    char *longer = malloc(len + 16);
    assert_non_null(longer);
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
        snprintf(longer, len + 16, "%s%s", token, tails[i]);
        assert_refused(k, longer, BW_E_INVALID_ARG, NULL); /* bad base64url, or forged */
    }
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(longer, token, cut);
        longer[cut] = '\0';
        assert_refused(k, longer, BW_E_INVALID_ARG, NULL);
    }
    free(longer);
    free(token);
    bw_seal_keys_free(k);
}

static void test_prefix_and_kid(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_a, NULL);
    char *token = seal_sample(k);
    size_t len = strlen(token);
    char *edited = malloc(len + 2);
    assert_non_null(edited);
    static const char *const heads[] = {"v2.", "V1.", "v0.", "x1."};
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        memcpy(edited, token, len + 1);
        memcpy(edited, heads[i], 3);
        assert_refused(k, edited, BW_E_INVALID_ARG, "not a v1 sealed state");
    }
    memcpy(edited, token, len + 1);
    edited[11] = '-'; /* "v1.<kid>-" */
    assert_refused(k, edited, BW_E_INVALID_ARG, "not a v1 sealed state");
    memcpy(edited, token, len + 1);
    memcpy(edited + 3, "66687AAD", 8); /* kids are lowercase */
    assert_refused(k, edited, BW_E_INVALID_ARG, "unknown key");
    memcpy(edited + 3, "00000000", 8);
    assert_refused(k, edited, BW_E_INVALID_ARG, "unknown key");
    assert_refused(k, "", BW_E_INVALID_ARG, "not a v1 sealed state");
    assert_refused(k, "v1.66687aad.", BW_E_INVALID_ARG, "too short");
    free(edited);
    free(token);
    bw_seal_keys_free(k);
}

static void test_authentic_but_not_ours_shape(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "[1]", "{\"exp\":99999999999999}", "{\"exp\":\"x\",\"p\":{}}", "{\"exp\":99999999999999,\"p\":[1]}",
        "not json", "{\"exp\":99999999999999,\"p\":{},\"extra\":1}", "{\"exp\":1,\"exp\":99999999999999,\"p\":{}}",
    };
    bw_seal_keys *k = ring(key_a, NULL);
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        char *token = seal_by_hand(key_a, "66687aad", bodies[i]);
        assert_refused(k, token, BW_E_INVALID_ARG, "not a JSON object");
        free(token);
    }
    bw_seal_keys_free(k);
}

static void test_expiry(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_a, NULL);
    json_t *p = parse("{\"x\":1}");
    char *token = bw_seal(k, p, 1000);
    assert_non_null(token);
    json_t *out = NULL;
    char why[64] = "";
    assert_int_equal(bw_unseal(k, token, bw_wall_ms(), &out, why, sizeof why), BW_OK);
    json_decref(out);
    out = NULL;
    assert_int_equal(bw_unseal(k, token, bw_wall_ms() + 5000, &out, why, sizeof why), BW_E_TIMEOUT);
    assert_null(out);
    assert_string_equal(why, "token expired");

    /* the edge, on a hand-made token with a known exp: valid through exp, expired after */
    char *edge = seal_by_hand(key_a, "66687aad", "{\"exp\":1000,\"p\":{}}");
    assert_int_equal(bw_unseal(k, edge, 1000, &out, NULL, 0), BW_OK);
    json_decref(out);
    out = NULL;
    assert_int_equal(bw_unseal(k, edge, 1001, &out, NULL, 0), BW_E_TIMEOUT);
    assert_null(out);
    /* a tampered expired token is reported as forged, not as expired */
    token[strlen(token) - 5] ^= 1;
    assert_int_equal(bw_unseal(k, token, bw_wall_ms() + 5000, &out, NULL, 0), BW_E_INVALID_ARG);
    free(edge);
    free(token);
    json_decref(p);
    bw_seal_keys_free(k);
}

static void test_size_bounds(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_a, NULL);
    /* longer than BW_SEAL_MAX_TOKEN: refused as such, whatever follows */
    char *huge = malloc(BW_SEAL_MAX_TOKEN + 2);
    assert_non_null(huge);
    memset(huge, 'A', BW_SEAL_MAX_TOKEN + 1);
    memcpy(huge, "v1.66687aad.", HEAD);
    huge[BW_SEAL_MAX_TOKEN + 1] = '\0';
    assert_refused(k, huge, BW_E_INVALID_ARG, "too long");
    /* exactly the bound is read (and fails later, on authentication) */
    huge[BW_SEAL_MAX_TOKEN] = '\0';
    assert_refused(k, huge, BW_E_INVALID_ARG, "failed authentication");

    /* a payload whose token would pass the bound is not sealed; one that fits round-trips */
    memset(huge, 'x', BW_SEAL_MAX_TOKEN);
    huge[BW_SEAL_MAX_TOKEN] = '\0';
    json_t *big = json_pack("{s:s}", "v", huge);
    assert_null(bw_seal(k, big, TTL_MS));
    /* {"v":"..."} is 8 bytes around the string: exactly BW_SEAL_MAX_PAYLOAD seals; the real limit (13-digit exp)
     * is 6 bytes more */
    huge[BW_SEAL_MAX_PAYLOAD - 8 + 7] = '\0';
    json_object_set_new(big, "v", json_string(huge));
    assert_null(bw_seal(k, big, TTL_MS));
    huge[BW_SEAL_MAX_PAYLOAD - 8 + 6] = '\0';
    json_object_set_new(big, "v", json_string(huge));
    char *edge = bw_seal(k, big, TTL_MS);
    assert_non_null(edge);
    assert_int_equal(strlen(edge), BW_SEAL_MAX_TOKEN);
    free(edge);
    huge[BW_SEAL_MAX_PAYLOAD - 8] = '\0';
    json_object_set_new(big, "v", json_string(huge));
    char *token = bw_seal(k, big, TTL_MS);
    assert_non_null(token);
    assert_true(strlen(token) <= BW_SEAL_MAX_TOKEN);
    json_t *out = NULL;
    assert_int_equal(bw_unseal(k, token, bw_wall_ms(), &out, NULL, 0), BW_OK);
    assert_true(json_equal(out, big));
    json_decref(out);
    free(token);
    json_decref(big);
    free(huge);
    bw_seal_keys_free(k);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_null(bw_seal_keys_new(key_a, 31, NULL, 0));
    assert_null(bw_seal_keys_new(key_a, 33, NULL, 0));
    assert_null(bw_seal_keys_new(NULL, 32, NULL, 0));
    assert_null(bw_seal_keys_new(key_a, 32, key_b, 16));
    assert_null(bw_seal_keys_new(key_a, 32, NULL, 32));
    assert_null(bw_seal_keys_new(key_a, 32, key_b, 0));
    bw_seal_keys_free(NULL);

    bw_seal_keys *k = ring(key_a, NULL);
    json_t *arr = parse("[1]");
    json_t *obj = parse("{}");
    assert_null(bw_seal(k, arr, TTL_MS));
    assert_null(bw_seal(k, NULL, TTL_MS));
    assert_null(bw_seal(k, obj, 0));
    assert_null(bw_seal(k, obj, -5));
    assert_null(bw_seal(k, obj, INT64_MAX));
    assert_null(bw_seal(NULL, obj, TTL_MS));
    json_t *out = NULL;
    assert_int_equal(bw_unseal(k, NULL, 0, &out, NULL, 0), BW_E_INVALID_ARG);
    assert_int_equal(bw_unseal(NULL, "v1.66687aad.AAAA", 0, &out, NULL, 0), BW_E_INVALID_ARG);
    assert_int_equal(bw_unseal(k, "v1.66687aad.AAAA", 0, NULL, NULL, 0), BW_E_INVALID_ARG);
    json_decref(arr);
    json_decref(obj);
    bw_seal_keys_free(k);
}

static void test_random_ring(void **state)
{
    (void)state;
    bw_seal_keys *r1 = bw_seal_keys_random();
    bw_seal_keys *r2 = bw_seal_keys_random();
    assert_non_null(r1);
    assert_non_null(r2);
    char *token = seal_sample(r1);
    json_t *out = NULL;
    assert_int_equal(bw_unseal(r1, token, bw_wall_ms(), &out, NULL, 0), BW_OK);
    json_decref(out);
    assert_refused(r2, token, BW_E_INVALID_ARG, "unknown key");
    free(token);
    bw_seal_keys_free(r1);
    bw_seal_keys_free(r2);
}

/* ---- bw_seal_key_parse ---- */

static void assert_key(const char *text, const uint8_t *want)
{
    uint8_t out[BW_SEAL_KEY_BYTES];
    char err[160] = "";
    if (bw_seal_key_parse(text, out, err, sizeof err) != BW_OK)
        fail_msg("key %s refused: %s", text, err);
    assert_memory_equal(out, want, BW_SEAL_KEY_BYTES);
}

static void assert_bad_key(const char *text, const char *want)
{
    uint8_t out[BW_SEAL_KEY_BYTES];
    memset(out, 0xA5, sizeof out);
    char err[160] = "";
    if (bw_seal_key_parse(text, out, err, sizeof err) != BW_E_INVALID_ARG)
        fail_msg("key \"%s\" accepted", text ? text : "(null)");
    if (!strstr(err, want))
        fail_msg("key \"%s\": err \"%s\" does not contain \"%s\"", text ? text : "(null)", err, want);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xA5);
    /* no run of 6 characters of the key text appears in the message */
    for (size_t i = 0; text && i + 6 <= strlen(text); i++) {
        char probe[7];
        memcpy(probe, text + i, 6);
        probe[6] = '\0';
        if (strstr(err, probe))
            fail_msg("err \"%s\" echoes key text \"%s\"", err, probe);
    }
}

static void test_key_parse_accepts(void **state)
{
    (void)state;
    assert_key("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", key_b);
    assert_key("0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20", key_b);
    assert_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", key_b);
    assert_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA", key_b);
    assert_key("0000000000000000000000000000000000000000000000000000000000000000", key_a);
    /* bytes that need the two alphabet-specific characters: 0xfb 0xff ... */
    uint8_t hi[BW_SEAL_KEY_BYTES];
    memset(hi, 0xff, sizeof hi);
    hi[0] = 0xfb;
    assert_key("+/////////////////////////////////////////8=", hi);
    assert_key("+/////////////////////////////////////////8", hi);
    assert_key("-_________________________________________8=", hi);
    assert_key("-_________________________________________8", hi);
}

static void test_key_parse_rejects(void **state)
{
    (void)state;
    assert_bad_key(NULL, "no key");
    assert_bad_key("", "wrong length");
    assert_bad_key("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2", "wrong length");
    assert_bad_key("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2000", "wrong length");
    assert_bad_key("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fzz", "not valid");
    assert_bad_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw", "wrong length");     /* 31 bytes */
    assert_bad_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh", "wrong length");   /* 33 bytes */
    assert_bad_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyB=", "not valid");      /* low bits set */
    assert_bad_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA==", "not valid");     /* too much padding */
    assert_bad_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH A=", "not valid");      /* space */
    assert_bad_key("+_________________________________________8=", "not valid");     /* mixed alphabets */
    assert_bad_key("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n", "wrong length"); /* not trimmed */
    assert_bad_key("correct horse battery staple", "wrong length");
    char long_text[400];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_bad_key(long_text, "wrong length");
    uint8_t out[BW_SEAL_KEY_BYTES];
    assert_int_equal(bw_seal_key_parse("", out, NULL, 0), BW_E_INVALID_ARG);
}

/* ---- shared ring across threads ---- */

static void *worker(void *arg)
{
    const bw_seal_keys *k = arg;
    json_t *p = json_pack("{s:i}", "n", 7);
    for (int i = 0; p && i < 300; i++) {
        char *token = bw_seal(k, p, TTL_MS);
        json_t *out = NULL;
        bw_status st = token ? bw_unseal(k, token, bw_wall_ms(), &out, NULL, 0) : BW_E_INTERNAL;
        bool same = st == BW_OK && json_equal(out, p);
        json_decref(out);
        free(token);
        if (!same) {
            json_decref(p);
            return (void *)1;
        }
    }
    json_decref(p);
    return NULL;
}

static void test_threads_share_a_ring(void **state)
{
    (void)state;
    bw_seal_keys *k = ring(key_b, key_a);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, k), 0);
    for (int i = 0; i < 4; i++) {
        void *rc = (void *)1;
        assert_int_equal(pthread_join(th[i], &rc), 0);
        assert_null(rc);
    }
    bw_seal_keys_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_matches_spec),
        cmocka_unit_test(test_nonce_makes_seals_differ),
        cmocka_unit_test(test_rotation_and_foreign_keys),
        cmocka_unit_test(test_every_single_character_edit_fails),
        cmocka_unit_test(test_appended_and_truncated_fail),
        cmocka_unit_test(test_prefix_and_kid),
        cmocka_unit_test(test_authentic_but_not_ours_shape),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_size_bounds),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_random_ring),
        cmocka_unit_test(test_key_parse_accepts),
        cmocka_unit_test(test_key_parse_rejects),
        cmocka_unit_test(test_threads_share_a_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
