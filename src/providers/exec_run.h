/* Running one program for the exec provider: spawn without a shell, feed stdin, collect stdout/stderr under a cap,
 * enforce the timeout, and leave nothing behind.
 *
 * The program starts in its own process group with default signal dispositions and an empty signal mask, no
 * file descriptor but 0-2 open, in the given directory and environment. On timeout or cancellation the group gets
 * SIGTERM, then SIGKILL after the grace period; output over the cap kills the group at once. When the program
 * (the group leader) exits, the rest of its group is killed with SIGKILL before the leader is reaped, so no
 * descendant outlives the call (one that left the group with setsid/setpgid is out of reach) and the group id
 * cannot be reused in between. Thread-safe: any number of runs at once, from any threads. */
#ifndef BW_PROVIDERS_EXEC_RUN_H
#define BW_PROVIDERS_EXEC_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"
#include "core/buf.h"

typedef struct bw_exec_spec {
    const char *path;       /* absolute path of the program */
    char *const *argv;      /* NULL-terminated */
    char *const *envp;      /* NULL-terminated */
    const char *cwd;
    const char *stdin_data; /* NULL: the program reads /dev/null */
    size_t stdin_len;
    int64_t timeout_ms;     /* > 0 */
    int kill_grace_ms;      /* between SIGTERM and SIGKILL */
    size_t max_output_bytes; /* cap of stdout and of stderr, each */
} bw_exec_spec;

typedef enum bw_exec_end {
    BW_EXEC_EXITED,       /* code = exit status; -1 when another part of the process reaped the program first */
    BW_EXEC_SIGNALED,     /* code = signal number */
    BW_EXEC_TIMED_OUT,
    BW_EXEC_CANCELLED,
    BW_EXEC_TOO_MUCH_OUTPUT, /* stream names the one over the cap */
    BW_EXEC_SPAWN_FAILED, /* code = errno */
} bw_exec_end;

typedef struct bw_exec_outcome {
    bw_exec_end end;
    int code;
    const char *stream; /* "stdout" or "stderr" for BW_EXEC_TOO_MUCH_OUTPUT */
    bw_buf out, err;    /* what the program wrote (up to the cap) */
} bw_exec_outcome;

void bw_exec_outcome_init(bw_exec_outcome *o, size_t max_output_bytes);
void bw_exec_outcome_free(bw_exec_outcome *o);

/* Runs the program to its end (cancelled(ctx) is checked every few tens of milliseconds) and fills o.
 * Returns after the program was reaped and its group killed. */
void bw_exec_run(const bw_exec_spec *spec, bool (*cancelled)(void *ctx), void *ctx, bw_exec_outcome *o);

#endif
