/* Bounded whole-file reads. */
#include "config/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void size_text(char *out, size_t outlen, size_t n)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, outlen, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, outlen, "%zu KiB", n >> 10);
    else
        snprintf(out, outlen, "%zu bytes", n);
}

/* Reads up to cap + 1 bytes: one more than allowed tells "too large" apart from "exactly cap" without trusting
 * st_size (the file may grow while it is read). */
static char *read_capped(int fd, size_t cap, size_t *len, char *err, size_t errlen)
{
    size_t alloc = 4096, n = 0;
    char *buf = malloc(alloc + 1);
    for (;;) {
        if (!buf) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        if (n == alloc) {
            alloc = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
            char *nb = realloc(buf, alloc + 1);
            if (!nb)
                free(buf);
            buf = nb;
            continue;
        }
        ssize_t k = read(fd, buf + n, alloc - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            free(buf);
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > cap) {
            char sz[32];
            size_text(sz, sizeof sz, cap);
            snprintf(err, errlen, "larger than %s", sz);
            free(buf);
            return NULL;
        }
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *bw_read_file(const char *path, size_t cap, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    char *out = NULL;
    if (fstat(fd, &st) != 0)
        snprintf(err, errlen, "%s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, errlen, "not a regular file");
    else
        out = read_capped(fd, cap, len, err, errlen);
    close(fd);
    return out;
}
