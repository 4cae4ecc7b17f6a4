/* Directory listing for directory resources: a bounded, sorted walk that stays inside the root. */
#include "providers/files_list.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/files_open.h"

typedef struct walk {
    int root;
    bool recursive;
    bw_files_listing *out;
    bw_files_skip_fn skip;
    void *ctx;
    char *err;
    size_t errlen;
} walk;

void bw_files_listing_free(bw_files_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].rel);
    free(l->v);
    *l = (bw_files_listing){0};
}

static bw_status add_file(walk *w, const char *rel, int64_t size)
{
    bw_files_listing *l = w->out;
    if (l->n == BW_FILES_LIST_MAX) {
        snprintf(w->err, w->errlen, "more than %d files (the limit of one directory resource)", BW_FILES_LIST_MAX);
        return BW_E_LIMIT;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        bw_files_entry *grown = realloc(l->v, cap * sizeof *grown);
        if (!grown)
            return BW_E_NOMEM;
        l->v = grown;
        l->cap = cap;
    }
    char *copy = strdup(rel);
    if (!copy)
        return BW_E_NOMEM;
    l->v[l->n++] = (bw_files_entry){copy, size};
    return BW_OK;
}

/* A symlink counts when the kernel resolves it to a regular file without leaving the root. */
static bw_status add_symlink(walk *w, const char *rel)
{
    int fd = bw_files_open_beneath(w->root, rel, O_PATH);
    struct stat st;
    bool ok = fd >= 0 && fstat(fd, &st) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && S_ISREG(st.st_mode))
        return add_file(w, rel, (int64_t)st.st_size);
    if (!ok && w->skip)
        w->skip(rel, "a symlink that leads outside the directory or to nothing", w->ctx);
    return BW_OK;
}

static bw_status walk_dir(walk *w, const char *reldir, int depth);

static bool utf8_name(const char *name)
{
    json_t *s = json_string(name); /* jansson validates UTF-8 */
    json_decref(s);
    return s != NULL;
}

static bw_status visit(walk *w, int dirfd, const char *reldir, const char *name, int depth)
{
    char rel[BW_FILES_PATH_MAX + 1];
    int n = snprintf(rel, sizeof rel, "%s%s%s", reldir, *reldir ? "/" : "", name);
    struct stat sb;
    if (n < 0 || (size_t)n >= sizeof rel || fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return BW_OK; /* vanished since readdir, or a path too long to serve */
    if (!utf8_name(name)) {
        if (w->skip)
            w->skip(rel, "its name is not valid UTF-8 (resource names and URIs must be)", w->ctx);
        return BW_OK;
    }
    if (S_ISREG(sb.st_mode))
        return add_file(w, rel, (int64_t)sb.st_size);
    if (S_ISLNK(sb.st_mode))
        return add_symlink(w, rel);
    if (S_ISDIR(sb.st_mode) && w->recursive) {
        bw_status st = depth < BW_FILES_DEPTH_MAX ? walk_dir(w, rel, depth + 1) : BW_E_IO;
        if (st != BW_E_IO)
            return st;
        /* an unreadable or too deep subdirectory is left out rather than failing the whole resource */
        if (w->skip)
            w->skip(rel, depth < BW_FILES_DEPTH_MAX ? "a directory that cannot be read"
                                                    : "deeper than the directory nesting limit",
                    w->ctx);
    }
    return BW_OK; /* FIFOs, sockets, devices */
}

static bw_status walk_dir(walk *w, const char *reldir, int depth)
{
    int fd = *reldir ? bw_files_open_beneath(w->root, reldir, O_RDONLY | O_DIRECTORY)
                     : openat(w->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        snprintf(w->err, w->errlen, "cannot read directory '%s': %s", *reldir ? reldir : ".", strerror(errno));
        if (fd >= 0)
            close(fd);
        return BW_E_IO;
    }
    bw_status st = BW_OK;
    struct dirent *de;
    while (st == BW_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.') /* hidden entries, "." and ".." */
            st = visit(w, dirfd(d), reldir, de->d_name, depth);
    }
    closedir(d);
    return st;
}

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const bw_files_entry *)a)->rel, ((const bw_files_entry *)b)->rel);
}

bw_status bw_files_list(int root, bool recursive, bw_files_listing *out, bw_files_skip_fn skip, void *ctx,
                        char *err, size_t errlen)
{
    walk w = {root, recursive, out, skip, ctx, err, errlen};
    *out = (bw_files_listing){0};
    bw_status st = walk_dir(&w, "", 0);
    if (st != BW_OK) {
        if (st == BW_E_NOMEM)
            snprintf(err, errlen, "out of memory");
        bw_files_listing_free(out);
        return st;
    }
    if (out->n > 1) /* qsort's array may not be NULL, which an empty directory's list is */
        qsort(out->v, out->n, sizeof *out->v, by_rel);
    return BW_OK;
}
