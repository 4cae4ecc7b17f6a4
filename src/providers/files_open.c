/* Confined opens: openat2(RESOLVE_BENEATH) with an O_NOFOLLOW walk as the fallback. */
#include "providers/files_open.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* openat2 may be absent at run time: kernels before 5.6 answer ENOSYS, and some container seccomp profiles
 * answer EPERM for system calls they do not know. Either way the fallback walk is used from then on. */
static int openat2_missing;

static long openat2_beneath(int root, const char *rel, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    return syscall(SYS_openat2, root, rel, &how, sizeof how);
}

int bw_files_root_open(const char *dir)
{
    int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || __atomic_load_n(&openat2_missing, __ATOMIC_RELAXED))
        return root;
    /* probe once per root: opening "." beneath a directory we just opened can only fail if openat2 is unusable */
    long probe = openat2_beneath(root, ".", O_PATH | O_DIRECTORY);
    if (probe >= 0)
        close((int)probe);
    else if (errno == ENOSYS || errno == EPERM)
        __atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
    return root;
}

bool bw_files_rel_ok(const char *rel)
{
    size_t len = strlen(rel);
    if (len == 0 || len > BW_FILES_PATH_MAX || rel[0] == '/')
        return false;
    for (const char *p = rel;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || p[0] == '.')
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

int bw_files_open_beneath(int root, const char *rel, int flags)
{
    if (!__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED)) {
        long fd = openat2_beneath(root, rel, flags);
        if (fd >= 0 || errno != ENOSYS)
            return (int)fd;
        __atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
    }
    return bw_files_open_beneath_walk(root, rel, flags);
}

/* Opens one component below dir, never following a symlink and never leaving through "." or "..". */
static int open_component(int dir, const char *name, int flags)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        errno = EXDEV;
        return -1;
    }
    return openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);
}

int bw_files_open_beneath_walk(int root, const char *rel, int flags)
{
    char copy[BW_FILES_PATH_MAX + 1];
    size_t len = strlen(rel);
    if (rel[0] == '/' || len == 0 || len > BW_FILES_PATH_MAX) {
        errno = len > BW_FILES_PATH_MAX ? ENAMETOOLONG : EXDEV;
        return -1;
    }
    memcpy(copy, rel, len + 1);
    int dir = root;
    char *name = copy;
    for (char *slash; (slash = strchr(name, '/')) != NULL; name = slash + 1) {
        *slash = '\0';
        int next = open_component(dir, name, O_PATH | O_DIRECTORY);
        int saved = errno;
        if (dir != root)
            close(dir);
        if (next < 0) {
            errno = saved;
            return -1;
        }
        dir = next;
    }
    int fd = open_component(dir, name, flags);
    int saved = errno;
    if (dir != root)
        close(dir);
    errno = saved;
    return fd;
}
