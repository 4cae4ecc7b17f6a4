/* Starting, signalling and reaping the supervised child. The child leads its own process group (so the supervisor
 * can kill everything it started at once) and gets PR_SET_PDEATHSIG = SIGKILL (so it dies if the supervisor is
 * killed without a chance to clean up). Not thread-safe; owned by the supervisor loop. */
#ifndef BW_RELIABILITY_SUPERVISOR_CHILD_H
#define BW_RELIABILITY_SUPERVISOR_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct bw_sup_child {
    pid_t pid;          /* also its process group id; 0 when no child runs */
    int in_fd;          /* relay: our (non-blocking) end of the child's stdin, -1 when closed or not relaying */
    int out_fd;         /* relay: our (non-blocking) end of the child's stdout, -1 when closed or not relaying */
    int64_t started_ms; /* bw_clock_ms() at the start */
} bw_sup_child;

/* Forks and execs argv[0] (looked up in PATH) with the argument vector argv. In the child, between fork and exec:
 * own process group, PDEATHSIG, the signal mask `child_mask` and default dispositions for the signals the
 * supervisor changed; with relay, stdin/stdout are pipes whose other ends land in c->in_fd/c->out_fd. Every other
 * descriptor the supervisor inherited stays open (systemd socket activation passes listeners that way); the
 * supervisor's own descriptors are close-on-exec. Returns 0, or an errno value (the exec failure reported by the
 * child through a close-on-exec pipe, or the fork/pipe failure) with c->pid == 0. */
int bw_sup_child_start(bw_sup_child *c, char *const argv[], bool relay, const sigset_t *child_mask);

/* Sends sig to the child process only (forwarding: the child decides what its own children get). */
void bw_sup_child_signal(const bw_sup_child *c, int sig);

/* Sends sig to the child's whole process group (the child and whatever it started and did not move away). */
void bw_sup_child_signal_group(const bw_sup_child *c, int sig);

/* If the child has ended, SIGKILLs what is left of its process group while the zombie still pins the group id
 * (so the id cannot have been reused), reaps it, stores its wait status in *status and returns true. Returns
 * false while it runs. The relay descriptors stay open (the caller drains them first, then calls
 * bw_sup_child_close). */
bool bw_sup_child_reap(bw_sup_child *c, int *status);

/* Closes the relay descriptors and forgets the child. */
void bw_sup_child_close(bw_sup_child *c);

/* Makes the calling process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER): a process that
 * leaves the child's group (setsid, a daemon's double fork) is re-parented to the supervisor when its parent
 * ends, instead of to init, so the supervisor can reap and kill it. 0 or an errno value. */
int bw_sup_become_subreaper(void);

/* Reaps ended descendants re-parented to the supervisor; never the child itself (bw_sup_child_reap does that). */
void bw_sup_reap_orphans(const bw_sup_child *c);

/* SIGKILLs every process re-parented to the supervisor. Only while no child runs (then every child process of
 * the supervisor is a leftover of an ended run). Reads /proc/self/task/<tid>/children; without it (a kernel
 * without CONFIG_PROC_CHILDREN) this does nothing. */
void bw_sup_kill_orphans(void);

/* The exit status a shell would report for a wait status: the exit code, or 128 + the signal number. */
int bw_sup_exit_code(int status);

#endif
