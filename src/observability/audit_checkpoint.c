/* Checkpoint signatures and the signing key (see audit_checkpoint.h). */
#include "observability/audit_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/seal.h"
#include "reliability/result_cache.h"

#define KEY_FILE_MAX 256 /* bytes read from a key file: a key is 64 hex digits */

static bool mac_hex(const bw_audit_checkpoint *cp, const uint8_t key[BW_AUDIT_KEY_BYTES],
                    char out[BW_AUDIT_HASH_HEX + 1])
{
    json_t *body = json_pack("{s:I, s:s, s:I, s:s}", "count", (json_int_t)cp->count, "hash", cp->hash, "seq",
                             (json_int_t)cp->seq, "time", cp->time);
    char *text = body ? bw_canonical_json(body) : NULL;
    json_decref(body);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    bool ok = text && HMAC(EVP_sha256(), key, BW_AUDIT_KEY_BYTES, (const unsigned char *)text, strlen(text), md,
                           &n) != NULL && n == 32;
    free(text);
    for (unsigned i = 0; ok && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return ok;
}

bool bw_audit_checkpoint_sign(bw_audit_checkpoint *cp, const uint8_t key[BW_AUDIT_KEY_BYTES])
{
    return mac_hex(cp, key, cp->signature);
}

bool bw_audit_checkpoint_valid(const bw_audit_checkpoint *cp, const uint8_t key[BW_AUDIT_KEY_BYTES])
{
    char want[BW_AUDIT_HASH_HEX + 1];
    if (!mac_hex(cp, key, want) || strlen(cp->signature) != BW_AUDIT_HASH_HEX)
        return false;
    return CRYPTO_memcmp(want, cp->signature, BW_AUDIT_HASH_HEX) == 0;
}

char *bw_audit_key_path(const char *trail_path)
{
    size_t n = strlen(trail_path);
    char *p = malloc(n + 5);
    if (p)
        snprintf(p, n + 5, "%s.key", trail_path);
    return p;
}

/* A new key file: O_EXCL so two processes never both write one (the loser reads the winner's key). */
static bw_status create_key_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0 && errno == EEXIST)
        return BW_OK;
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the checkpoint key file %s: %s", path, strerror(errno));
        return BW_E_IO;
    }
    unsigned char raw[BW_AUDIT_KEY_BYTES];
    char hex[2 * BW_AUDIT_KEY_BYTES + 2];
    bool ok = RAND_bytes(raw, sizeof raw) == 1;
    for (size_t i = 0; ok && i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    if (ok) {
        hex[2 * BW_AUDIT_KEY_BYTES] = '\n';
        ok = write(fd, hex, 2 * BW_AUDIT_KEY_BYTES + 1) == 2 * BW_AUDIT_KEY_BYTES + 1 && fsync(fd) == 0;
    }
    OPENSSL_cleanse(hex, sizeof hex);
    close(fd);
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write the checkpoint key file %s", path);
        return BW_E_IO;
    }
    return BW_OK;
}

static bw_status read_key_file(const char *path, char *text, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot read the checkpoint key file %s: %s", path, strerror(e));
        return e == ENOENT ? BW_E_NOT_FOUND : BW_E_IO;
    }
    size_t n = fread(text, 1, cap - 1, f);
    fclose(f);
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
        text[--n] = '\0';
    return BW_OK;
}

bw_status bw_audit_key_load(const char *configured, const char *key_file, bool create,
                            uint8_t out[BW_AUDIT_KEY_BYTES], char *err, size_t errlen)
{
    char why[160] = "";
    if (configured) {
        if (bw_seal_key_parse(configured, out, why, sizeof why) == BW_OK)
            return BW_OK;
        snprintf(err, errlen, "checkpoint_key: %s", why);
        return BW_E_INVALID_ARG;
    }
    if (!key_file) {
        snprintf(err, errlen, "no checkpoint key: set checkpoint_key or give a key file");
        return BW_E_NOT_FOUND;
    }
    bw_status st = create ? create_key_file(key_file, err, errlen) : BW_OK;
    char text[KEY_FILE_MAX];
    if (st == BW_OK)
        st = read_key_file(key_file, text, sizeof text, err, errlen);
    if (st != BW_OK)
        return st;
    st = bw_seal_key_parse(text, out, why, sizeof why);
    OPENSSL_cleanse(text, sizeof text);
    if (st != BW_OK) {
        snprintf(err, errlen, "checkpoint key file %s: %s", key_file, why);
        return BW_E_INVALID_ARG;
    }
    return BW_OK;
}
