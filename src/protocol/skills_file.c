/* Per-file rules of a skill: which relative paths are acceptable, the MIME type by extension, text or blob, and
 * the sha256 digest the extension's manifest carries. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protocol/skills_internal.h"

/* Path bytes that need no percent-encoding in a URI path (RFC 3986 unreserved plus a few sub-delims), so the
 * file's URI is the path itself and clients resolve relative references exactly as on a filesystem. */
static bool path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("._-~+,=@", c) != NULL);
}

static bool segment_valid(const char *seg, size_t n, char *why, size_t whylen)
{
    if (n == 0) {
        snprintf(why, whylen, "empty path segment (leading, trailing or double '/')");
        return false;
    }
    if (n > BW_SKILL_SEGMENT_MAX) {
        snprintf(why, whylen, "a path segment is longer than %d bytes", BW_SKILL_SEGMENT_MAX);
        return false;
    }
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
        snprintf(why, whylen, "'.' and '..' segments are not allowed");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!path_char(seg[i])) {
            snprintf(why, whylen, "byte 0x%02x is not allowed (use A-Z a-z 0-9 . _ - ~ + , = @)",
                     (unsigned char)seg[i]);
            return false;
        }
    }
    return true;
}

bool bw_skill_path_valid(const char *path, char *why, size_t whylen)
{
    if (!path || !*path) {
        snprintf(why, whylen, "empty path");
        return false;
    }
    if (strlen(path) > BW_SKILL_PATH_MAX) {
        snprintf(why, whylen, "longer than %d bytes", BW_SKILL_PATH_MAX);
        return false;
    }
    for (const char *seg = path;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (!segment_valid(seg, n, why, whylen))
            return false;
        if (!slash)
            return true;
        seg = slash + 1;
    }
}

static const struct {
    const char *ext;
    const char *mime;
} mime_table[] = {
    {"md", "text/markdown"},        {"markdown", "text/markdown"},     {"txt", "text/plain"},
    {"sh", "text/x-shellscript"},   {"bash", "text/x-shellscript"},    {"py", "text/x-python"},
    {"js", "text/javascript"},      {"mjs", "text/javascript"},        {"ts", "text/x-typescript"},
    {"html", "text/html"},          {"htm", "text/html"},              {"css", "text/css"},
    {"csv", "text/csv"},            {"tsv", "text/tab-separated-values"}, {"json", "application/json"},
    {"yaml", "application/yaml"},   {"yml", "application/yaml"},       {"toml", "application/toml"},
    {"xml", "application/xml"},     {"svg", "image/svg+xml"},          {"png", "image/png"},
    {"jpg", "image/jpeg"},          {"jpeg", "image/jpeg"},            {"gif", "image/gif"},
    {"webp", "image/webp"},         {"pdf", "application/pdf"},        {"zip", "application/zip"},
};

const char *bw_skill_mime_for(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
            if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
                return mime_table[i].mime;
    }
    return "application/octet-stream";
}

bool bw_skill_mime_textual(const char *mime)
{
    static const char *const textual[] = {"application/json", "application/yaml", "application/toml",
                                          "application/xml", "image/svg+xml", "application/javascript",
                                          "application/x-sh"};
    if (strncasecmp(mime, "text/", 5) == 0)
        return true;
    for (size_t i = 0; i < sizeof textual / sizeof textual[0]; i++)
        if (strcasecmp(mime, textual[i]) == 0)
            return true;
    return false;
}

bool bw_skill_digest(const void *data, size_t len, char out[BW_SKILL_DIGEST_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    /* EVP_Digest wants a non-NULL pointer even for zero bytes. */
    if (EVP_Digest(len ? data : "", len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return false;
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < n; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[7 + 2 * n] = '\0';
    return true;
}
