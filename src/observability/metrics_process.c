/* The process_* families of the Prometheus client conventions. The figures come from the health module's readers
 * (src/reliability/health_process.c); the start time is computed here from /proc once. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "observability/metrics_internal.h"
#include "reliability/health_internal.h"

/* Boot time (/proc/stat btime) plus the process' start in clock ticks after boot (/proc/self/stat field 22). */
static double start_from_proc(void)
{
    FILE *f = fopen("/proc/stat", "re");
    long long btime = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lld", &btime) == 1)
            break;
    if (f)
        fclose(f);
    f = fopen("/proc/self/stat", "re");
    char buf[1024] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    unsigned long long ticks = 0;
    long hz = sysconf(_SC_CLK_TCK);
    if (btime < 0 || !p || hz <= 0 ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
        return -1;
    return (double)btime + (double)ticks / (double)hz;
}

static double start_time(void)
{
    static _Atomic double cached = 0;
    double v = atomic_load(&cached);
    if (v > 0)
        return v;
    v = start_from_proc();
    if (v <= 0)
        v = (double)time(NULL); /* no /proc: the first scrape's time is the best left */
    atomic_store(&cached, v);
    return v;
}

static void one(bw_mtext *t, const char *name, const char *type, const char *help, double v)
{
    bw_mtext_family(t, name, type, help);
    bw_mtext_sample(t, name, NULL, v);
}

void bw_metrics_render_process(bw_mtext *t)
{
    struct rlimit rl;
    double max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (double)rl.rlim_cur : -1;
    one(t, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", (double)bw_proc_rss_bytes());
    one(t, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
        bw_proc_cpu_seconds());
    one(t, "process_open_fds", "gauge", "Number of open file descriptors.", (double)bw_proc_open_fds());
    one(t, "process_max_fds", "gauge", "Maximum number of open file descriptors.", max_fds);
    one(t, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
        start_time());
}
