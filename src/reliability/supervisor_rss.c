/* /proc/<pid>/statm holds "size resident shared text lib data dt" in pages; resident is what the kernel charges to
 * the process and what an OOM killer looks at, so it is what the limit compares against. */
#include "reliability/supervisor_rss.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

int64_t bw_sup_rss_bytes(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char text[256];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    uint64_t size = 0, resident = 0;
    long page = sysconf(_SC_PAGESIZE);
    if (sscanf(text, "%" SCNu64 " %" SCNu64, &size, &resident) != 2 || page <= 0 || resident > INT64_MAX / (uint64_t)page)
        return -1;
    return (int64_t)(resident * (uint64_t)page);
}
