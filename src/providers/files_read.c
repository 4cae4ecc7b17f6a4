/* Safe whole-file reads and text/blob contents. */
#include "providers/files_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/files_mime.h"
#include "providers/files_open.h"

static int open_path(int dir, const char *path, bool beneath, int flags)
{
    return beneath ? bw_files_open_beneath(dir, path, flags) : openat(dir, path, flags | O_CLOEXEC);
}

/* Checks what `path` is without opening it for reading: a regular file of at most max bytes. */
static bw_status probe(int dir, const char *path, bool beneath, size_t max, struct stat *st, char *err,
                       size_t errlen)
{
    int fd = open_path(dir, path, beneath, O_PATH);
    if (fd < 0 || fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "not found");
        if (fd >= 0)
            close(fd);
        return BW_E_NOT_FOUND;
    }
    close(fd);
    if ((uintmax_t)st->st_size > max) {
        snprintf(err, errlen, "the file is larger than max_file_bytes (%zu bytes)", max);
        return BW_E_LIMIT;
    }
    return BW_OK;
}

/* Reads fd to its end into a buffer that grows up to max + 1 bytes (one more than allowed detects a file that grew
 * past the limit after it was checked). */
static bw_status read_all(int fd, size_t hint, size_t max, bw_files_bytes *out, char *err, size_t errlen)
{
    size_t cap = hint < max ? hint + 1 : max + 1, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            snprintf(err, errlen, "out of memory");
            return BW_E_NOMEM;
        }
        if (len == cap) {
            if (cap > max) {
                free(buf);
                snprintf(err, errlen, "the file is larger than max_file_bytes (%zu bytes)", max);
                return BW_E_LIMIT;
            }
            cap = cap > max / 2 ? max + 1 : cap * 2;
            char *grown = realloc(buf, cap + 1);
            if (!grown)
                free(buf);
            buf = grown;
            continue;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "read failed: %s", strerror(errno));
            free(buf);
            return BW_E_IO;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = (bw_files_bytes){buf, len};
    return BW_OK;
}

bw_status bw_files_read_file(int dir, const char *path, bool beneath, size_t max, bw_files_bytes *out, char *err,
                             size_t errlen)
{
    struct stat probed, st;
    bw_status rc = probe(dir, path, beneath, max, &probed, err, errlen);
    if (rc != BW_OK)
        return rc;
    int fd = open_path(dir, path, beneath, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    /* the same file as probed, or it was swapped in between: then it is treated as gone */
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != probed.st_ino ||
        st.st_dev != probed.st_dev) {
        snprintf(err, errlen, "not found");
        rc = BW_E_NOT_FOUND;
    } else {
        rc = read_all(fd, (size_t)st.st_size, max, out, err, errlen);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

static char *base64(const unsigned char *in, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    char *o = out;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        *o++ = abc[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

json_t *bw_files_contents(const char *uri, const char *mime, const char *data, size_t len)
{
    /* json_stringn validates UTF-8, so text types that are not UTF-8 fall back to a blob */
    json_t *text = bw_files_mime_is_text(mime) ? json_stringn(data, len) : NULL;
    if (text)
        return json_pack("{s:s,s:s,s:o}", "uri", uri, "mimeType", mime, "text", text);
    char *b64 = base64((const unsigned char *)data, len);
    json_t *c = b64 ? json_pack("{s:s,s:s,s:s}", "uri", uri, "mimeType", mime, "blob", b64) : NULL;
    free(b64);
    return c;
}
