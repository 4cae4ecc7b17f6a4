/* The resident set size of a process, for the supervisor's memory limit. Thread-safe (reads /proc only). */
#ifndef BW_RELIABILITY_SUPERVISOR_RSS_H
#define BW_RELIABILITY_SUPERVISOR_RSS_H

#include <stdint.h>
#include <sys/types.h>

/* The resident set of pid in bytes (/proc/<pid>/statm, field 2, times the page size), or -1 when it cannot be
 * read (the process is gone, or /proc is not mounted). */
int64_t bw_sup_rss_bytes(pid_t pid);

#endif
