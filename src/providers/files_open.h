/* Opening files confined to a root directory.
 *
 * A root is a directory opened once (O_PATH). Paths below it are resolved by the kernel with openat2(2)
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so "..", absolute paths and symlinks that lead outside the root fail
 * (EXDEV/ELOOP) while symlinks that stay inside work. Where openat2 is unusable (kernels before 5.6: ENOSYS; some
 * container seccomp profiles: EPERM, detected when a root is opened) a component-by-component openat(O_NOFOLLOW)
 * walk is used instead, which refuses every symlink.
 * All functions are thread-safe (they only read the root descriptor). */
#ifndef BW_PROVIDERS_FILES_OPEN_H
#define BW_PROVIDERS_FILES_OPEN_H

#include <stdbool.h>

/* Longest relative path served, in bytes. */
#define BW_FILES_PATH_MAX 4096

/* Opens `dir` as a root (O_PATH | O_DIRECTORY | O_CLOEXEC); -1 with errno on failure. */
int bw_files_root_open(const char *dir);

/* Opens `rel` beneath `root` with `flags` (O_CLOEXEC is added; with O_PATH only O_DIRECTORY/O_NOFOLLOW may be
 * given). Returns the descriptor, or -1 with errno (EXDEV/ELOOP for an escape attempt, ENOENT, ...). */
int bw_files_open_beneath(int root, const char *rel, int flags);

/* The fallback used when openat2 is missing; exposed so tests can exercise it on any kernel. */
int bw_files_open_beneath_walk(int root, const char *rel, int flags);

/* true when `rel` is a path this provider serves: relative, at most BW_FILES_PATH_MAX bytes, made of non-empty
 * components none of which starts with '.' (so no ".", "..", and no hidden files or directories). */
bool bw_files_rel_ok(const char *rel);

#endif
