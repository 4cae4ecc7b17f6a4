/* `bulwark supervise`: a watchdog that runs one command as a child and keeps it running. It restarts the child when
 * it crashes (any exit other than status 0, or death by a signal the supervisor did not forward) after an
 * exponential backoff, gives up after too many restarts within a window, restarts it when its resident memory
 * exceeds a limit, forwards signals, kills the child's whole process group whenever the child ends so nothing is
 * orphaned, and (with `stdio`) relays stdin/stdout line by line so that a stdio MCP server keeps one clean stream
 * across restarts. docs/supervise.md is the user's description; this header is the programmer's.
 *
 * Single-threaded by design: PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, so the thread
 * that calls bw_supervise must be the one that lives as long as the supervision (the main thread of `bulwark
 * supervise`). Not for use inside a multi-threaded server. */
#ifndef BW_RELIABILITY_SUPERVISOR_H
#define BW_RELIABILITY_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of bw_supervise besides the child's own (its exit status, or 128 + the signal that ended it). */
enum {
    BW_SUP_EXIT_CANNOT_START = 1, /* the first start failed (no such program, fork failure, bad setup) */
    BW_SUP_EXIT_USAGE = 2,        /* used by the command line, never by bw_supervise */
    BW_SUP_EXIT_CRASH_LOOP = 3,   /* more than max_restarts restarts were needed within window_s */
};

typedef struct bw_sup_options {
    int max_restarts;        /* restarts allowed within window_s; one more crash gives up [5] */
    int window_s;            /* the crash-loop window, seconds [60] */
    int backoff_initial_ms;  /* the wait before the first restart after a healthy run [200] */
    int backoff_max_ms;      /* the wait doubles per consecutive short run up to this [30000] */
    int min_uptime_ms;       /* a run at least this long was healthy: the backoff starts over [5000] */
    uint64_t max_rss_bytes;  /* restart the child when its resident set exceeds this; 0 = no limit */
    int rss_interval_ms;     /* how often the resident set is sampled [1000] */
    int grace_ms;            /* after a stop request (forwarded signal, memory limit): SIGKILL after this [5000] */
    bool stdio;              /* relay stdin/stdout (newline-delimited JSON-RPC) instead of sharing them */
    size_t max_line_bytes;   /* longest relayed line; longer lines are dropped and logged [16 MiB] */
    bool quiet;              /* log only failures (start errors, crashes, giving up), not each start */
} bw_sup_options;

/* The defaults above. */
void bw_sup_options_default(bw_sup_options *o);

/* Runs argv (argv[0] looked up in PATH, NULL-terminated) under supervision until it exits with status 0, is
 * stopped by a forwarded SIGTERM/SIGINT/SIGQUIT, its stdin relay ends and it exits, or the crash-loop limit is
 * reached. Returns the process exit status to use (see the enum above). Installs its own signal mask and
 * dispositions for the calling process; logs to stderr, one line per event, prefixed "bulwark supervise: ". */
int bw_supervise(const bw_sup_options *o, char *const argv[]);

#endif
