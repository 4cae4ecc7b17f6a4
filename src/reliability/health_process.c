/* Process figures for the memory check and the get-metrics tool, read from /proc and getrusage. */
#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "protocol/server_internal.h"
#include "reliability/health_internal.h"

int64_t bw_proc_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return -1;
    long long size = 0, resident = -1;
    int n = fscanf(f, "%lld %lld", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && resident >= 0 && page > 0 ? (int64_t)resident * page : -1;
}

int64_t bw_proc_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

double bw_proc_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

json_t *bw_proc_figures(bw_server *srv)
{
    return json_pack("{s:I,s:I,s:f,s:I}", "rss_bytes", (json_int_t)bw_proc_rss_bytes(), "open_fds",
                     (json_int_t)bw_proc_open_fds(), "cpu_seconds", bw_proc_cpu_seconds(), "uptime_s",
                     (json_int_t)((bw_clock_ms() - srv->created_ms) / 1000));
}
