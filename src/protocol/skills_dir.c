/* bw_server_add_skill_dir: read a skill from a directory tree, bounded while reading (files, bytes, depth), never
 * following a symbolic link below the root (every open is relative to an already opened directory, with
 * O_NOFOLLOW), then register it with bw_server_add_skill. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/skills_internal.h"

#define MAX_DEPTH 32

typedef struct loader {
    bw_skill_file *files;
    size_t n, cap;
    size_t total;     /* bytes read so far */
    char *err;
    size_t errlen;
} loader;

static bw_status lfail(loader *l, bw_status st, const char *fmt, ...) BW_PRINTF(3, 4);
static bw_status lfail(loader *l, bw_status st, const char *fmt, ...)
{
    if (l->err && l->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err, l->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

static char *child_path(const char *rel, const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s%s%s", rel ? rel : "", rel ? "/" : "", name) < 0 ? NULL : p;
}

/* Reads the regular file fd (at most `budget` bytes) into a new buffer. */
static bw_status slurp(loader *l, int fd, const char *rel, unsigned char **out, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return lfail(l, BW_E_IO, "%s: not a regular file", rel);
    size_t budget = BW_SKILL_MAX_BYTES - l->total;
    if (st.st_size < 0 || (unsigned long long)st.st_size > budget)
        return lfail(l, BW_E_LIMIT, "the skill's files exceed %u bytes (at %s)", BW_SKILL_MAX_BYTES, rel);
    size_t want = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(want + 1);
    if (!buf)
        return lfail(l, BW_E_NOMEM, "out of memory");
    /* One byte more than the size: a file that grew since the stat is caught rather than cut. */
    while (got < want + 1) {
        ssize_t r = read(fd, buf + got, want + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return lfail(l, BW_E_IO, "%s: %s", rel, strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got != want) {
        free(buf);
        return lfail(l, BW_E_IO, "%s: changed while being read", rel);
    }
    *out = buf;
    *len = got;
    return BW_OK;
}

static bw_status add_file(loader *l, int dfd, const char *name, char *rel)
{
    if (l->n == BW_SKILL_MAX_FILES)
        return lfail(l, BW_E_LIMIT, "a skill has at most %d files", BW_SKILL_MAX_FILES);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        bw_skill_file *grown = realloc(l->files, cap * sizeof *grown);
        if (!grown)
            return lfail(l, BW_E_NOMEM, "out of memory");
        l->files = grown;
        l->cap = cap;
    }
    /* O_NONBLOCK: a FIFO swapped in after the stat must not hang the open. */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return lfail(l, BW_E_IO, "%s: %s", rel, strerror(errno));
    unsigned char *data = NULL;
    size_t len = 0;
    bw_status st = slurp(l, fd, rel, &data, &len);
    close(fd);
    if (st)
        return st;
    l->files[l->n++] = (bw_skill_file){.path = rel, .data = data, .len = len};
    l->total += len;
    return BW_OK;
}

static bw_status walk(loader *l, int dfd, const char *rel, int depth);

/* One directory entry: recurse into directories, read regular files, skip the rest. Takes rel. */
static bw_status visit(loader *l, int dfd, const char *name, char *rel, int depth)
{
    struct stat st;
    bw_status res = BW_OK;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        res = lfail(l, BW_E_IO, "%s: %s", rel, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        int sub = depth + 1 > MAX_DEPTH ? -1 : openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            res = depth + 1 > MAX_DEPTH ? lfail(l, BW_E_LIMIT, "%s: deeper than %d levels", rel, MAX_DEPTH)
                                        : lfail(l, BW_E_IO, "%s: %s", rel, strerror(errno));
        else
            res = walk(l, sub, rel, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
        if ((res = add_file(l, dfd, name, rel)) == BW_OK)
            return BW_OK; /* rel now belongs to l->files */
    }
    free(rel);
    return res;
}

/* Reads directory dfd (closed here), whose path relative to the root is rel (NULL for the root). */
static bw_status walk(loader *l, int dfd, const char *rel, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return lfail(l, BW_E_IO, "%s: %s", rel ? rel : ".", strerror(errno));
    }
    bw_status st = BW_OK;
    struct dirent *e;
    while (!st && (errno = 0, e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", and hidden files such as .git or .DS_Store */
        char *path = child_path(rel, e->d_name);
        st = path ? visit(l, dirfd(d), e->d_name, path, depth) : lfail(l, BW_E_NOMEM, "out of memory");
    }
    if (!st && errno)
        st = lfail(l, BW_E_IO, "%s: %s", rel ? rel : ".", strerror(errno));
    closedir(d);
    return st;
}

static void loader_free(loader *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->files[i].path);
        free((void *)l->files[i].data);
    }
    free(l->files);
}

bw_status bw_server_add_skill_dir(bw_server *srv, const char *dir, char *err, size_t errlen)
{
    loader l = {.err = err, .errlen = errlen};
    if (!srv || !dir || !*dir)
        return lfail(&l, BW_E_INVALID_ARG, "no server or directory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lfail(&l, BW_E_IO, "%s: %s", dir, strerror(errno));
    bw_status st = walk(&l, fd, NULL, 0);
    if (!st) {
        bw_skill_def def = {.files = l.files, .n_files = l.n};
        st = bw_server_add_skill(srv, &def, err, errlen);
    }
    loader_free(&l);
    return st;
}
