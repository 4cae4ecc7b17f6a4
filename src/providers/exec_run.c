/* posix_spawn + a poll loop: one supervisor per run, on the calling thread. */
#include "providers/exec_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"

#define SLICE_MS 25      /* longest sleep between checks of cancellation and of the leader's exit */
#define DRAIN_MS 1000    /* after the leader exited: how long to wait for the pipes to close */
#define CHUNK 16384

typedef struct proc {
    pid_t pid;
    int pidfd;               /* readable once the leader exits; -1 where pidfd_open is unavailable */
    int in_fd, out_fd, err_fd; /* parent ends; -1 once closed */
    const char *in_data;
    size_t in_len, in_off;
    bool reaped, term_sent, kill_sent, ended; /* ended: o->end was decided by us (timeout, cancel, cap) */
    int64_t deadline, kill_at, drain_until;
} proc;

void bw_exec_outcome_init(bw_exec_outcome *o, size_t max_output_bytes)
{
    memset(o, 0, sizeof *o);
    bw_buf_init(&o->out, max_output_bytes);
    bw_buf_init(&o->err, max_output_bytes);
}

void bw_exec_outcome_free(bw_exec_outcome *o)
{
    bw_buf_free(&o->out);
    bw_buf_free(&o->err);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int file_actions(posix_spawn_file_actions_t *fa, const bw_exec_spec *s, int in_rd, int out_wr, int err_wr)
{
    int rc = s->stdin_data ? posix_spawn_file_actions_adddup2(fa, in_rd, 0)
                           : posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(fa, out_wr, 1);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(fa, err_wr, 2);
    if (!rc)
        rc = posix_spawn_file_actions_addchdir_np(fa, s->cwd);
    if (!rc) /* our pipes are O_CLOEXEC, but other code in this process may open descriptors without it */
        rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
    return rc;
}

static int spawn_attrs(posix_spawnattr_t *at)
{
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    /* A new process group (so the whole tree can be signalled) and a clean signal state: the worker thread's
     * mask and bulwark's ignored SIGPIPE must not leak into the program. */
    int rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawnattr_setpgroup(at, 0);
    if (!rc)
        rc = posix_spawnattr_setsigmask(at, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(at, &all);
    return rc;
}

static bool set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* Only bulwark's ends are non-blocking (each end of a pipe has its own file status flags): the program gets
 * ordinary blocking stdio. */
static int make_pipes(const bw_exec_spec *s, int in[2], int out[2], int err[2])
{
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || (s->stdin_data && pipe2(in, O_CLOEXEC)))
        return errno;
    if (!set_nonblocking(out[0]) || !set_nonblocking(err[0]) || (s->stdin_data && !set_nonblocking(in[1])))
        return errno;
    return 0;
}

/* Starts the program; returns 0 or an errno value. */
static int spawn(const bw_exec_spec *s, proc *p)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int rc = make_pipes(s, in, out, err);
    if (!rc && !(rc = posix_spawn_file_actions_init(&fa))) {
        if (!(rc = posix_spawnattr_init(&at))) {
            rc = file_actions(&fa, s, in[0], out[1], err[1]);
            if (!rc)
                rc = spawn_attrs(&at);
            if (!rc)
                rc = posix_spawn(&p->pid, s->path, &fa, &at, s->argv, s->envp);
            posix_spawnattr_destroy(&at);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    p->in_fd = in[1];
    p->out_fd = out[0];
    p->err_fd = err[0];
    p->in_data = s->stdin_data;
    p->in_len = s->stdin_len;
    if (rc)
        return rc;
    p->pidfd = pidfd_open(p->pid, 0); /* -1 on kernels without it: exit is then noticed by polling waitid */
    return 0;
}

/* Before reaping, the leader (even as a zombie) holds its pid and the group id: neither can be reused, so these
 * signals reach only the program's own processes. The leader is signalled by pid too, in case it left its group. */
static void signal_group(proc *p, int sig)
{
    if (p->reaped)
        return;
    kill(-p->pid, sig);
    kill(p->pid, sig);
}

typedef enum leader_state { LEADER_RUNNING, LEADER_EXITED, LEADER_LOST } leader_state;

/* Whether the leader has exited, without reaping it. LOST: something else in the process reaped it (a
 * waitpid(-1) SIGCHLD handler); its pid may already be reused, so it must not be signalled any more. */
static leader_state leader_exited(const proc *p)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD ? LEADER_LOST : LEADER_RUNNING;
    return si.si_pid == p->pid ? LEADER_EXITED : LEADER_RUNNING;
}

static void record_status(const proc *p, bw_exec_outcome *o, bool known, int status)
{
    if (p->ended)
        return;
    if (known && WIFSIGNALED(status)) {
        o->end = BW_EXEC_SIGNALED;
        o->code = WTERMSIG(status);
    } else {
        o->end = BW_EXEC_EXITED;
        o->code = known ? WEXITSTATUS(status) : -1;
    }
}

static void reap(proc *p, bw_exec_outcome *o, leader_state state)
{
    int status = 0;
    pid_t r = -1;
    if (state == LEADER_EXITED) {
        signal_group(p, SIGKILL); /* descendants left in the group */
        do
            r = waitpid(p->pid, &status, 0);
        while (r < 0 && errno == EINTR);
    }
    p->reaped = true;
    close_fd(&p->in_fd);
    record_status(p, o, r == p->pid, status);
}

static void end_with(proc *p, bw_exec_outcome *o, bw_exec_end end)
{
    if (!p->ended) {
        p->ended = true;
        o->end = end;
    }
}

/* Timeout and cancellation: SIGTERM to the group, SIGKILL after the grace period. */
static void enforce_deadline(proc *p, const bw_exec_spec *s, bool (*cancelled)(void *), void *ctx,
                             bw_exec_outcome *o, int64_t now)
{
    if (!p->term_sent) {
        if (now >= p->deadline)
            end_with(p, o, BW_EXEC_TIMED_OUT);
        else if (cancelled(ctx))
            end_with(p, o, BW_EXEC_CANCELLED);
        else
            return;
        signal_group(p, SIGTERM);
        p->term_sent = true;
        p->kill_at = now + s->kill_grace_ms;
    }
    if (!p->kill_sent && now >= p->kill_at) {
        signal_group(p, SIGKILL);
        p->kill_sent = true;
    }
}

/* Reads what is available; EOF closes the descriptor. Over the cap: kills the group and stops reading. */
static void read_stream(proc *p, int *fd, bw_buf *buf, const char *name, bw_exec_outcome *o)
{
    char chunk[CHUNK];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(fd);
            return;
        }
        if (bw_buf_append(buf, chunk, (size_t)n) != BW_OK) {
            bool kept = bw_buf_append(buf, chunk, buf->cap - buf->len) == BW_OK; /* the start of the output */
            (void)kept;
            if (!p->ended)
                o->stream = name;
            end_with(p, o, BW_EXEC_TOO_MUCH_OUTPUT);
            signal_group(p, SIGKILL);
            close_fd(fd);
            return;
        }
    }
}

/* Writes stdin without ever raising SIGPIPE in bulwark (the program may exit or close stdin without reading). */
static void write_stdin(proc *p)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n;
    do
        n = write(p->in_fd, p->in_data + p->in_off, p->in_len - p->in_off);
    while (n < 0 && errno == EINTR);
    int saved = n < 0 ? errno : 0;
    if (saved == EPIPE) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero); /* consume the SIGPIPE this write raised on our thread */
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (n > 0)
        p->in_off += (size_t)n;
    if ((n < 0 && saved != EAGAIN) || p->in_off == p->in_len)
        close_fd(&p->in_fd); /* all written, or the program does not read: EOF either way */
}

static int poll_timeout(const proc *p, int64_t now)
{
    int64_t wait = SLICE_MS;
    if (p->reaped)
        wait = p->drain_until - now;
    else if (!p->term_sent)
        wait = p->deadline - now;
    else if (!p->kill_sent)
        wait = p->kill_at - now;
    return wait < 0 ? 0 : wait > SLICE_MS ? SLICE_MS : (int)wait;
}

static void wait_io(proc *p, bw_exec_outcome *o, int timeout)
{
    struct pollfd fds[4];
    int *owner[4];
    nfds_t n = 0;
    int *want[4] = {&p->out_fd, &p->err_fd, &p->in_fd, &p->pidfd};
    for (int i = 0; i < 4; i++) {
        if (*want[i] < 0 || (i == 3 && p->reaped))
            continue;
        fds[n] = (struct pollfd){.fd = *want[i], .events = i == 2 ? POLLOUT : POLLIN};
        owner[n++] = want[i];
    }
    if (poll(fds, n, timeout) <= 0)
        return; /* timeout or EINTR: the caller's loop checks the clock again */
    for (nfds_t i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (owner[i] == &p->out_fd)
            read_stream(p, &p->out_fd, &o->out, "stdout", o);
        else if (owner[i] == &p->err_fd)
            read_stream(p, &p->err_fd, &o->err, "stderr", o);
        else if (owner[i] == &p->in_fd)
            write_stdin(p);
    }
}

static void supervise(proc *p, const bw_exec_spec *s, bool (*cancelled)(void *), void *ctx, bw_exec_outcome *o)
{
    p->deadline = bw_clock_ms() + s->timeout_ms;
    while (!p->reaped || p->out_fd >= 0 || p->err_fd >= 0) {
        int64_t now = bw_clock_ms();
        if (p->reaped) {
            if (now >= p->drain_until)
                break; /* a descendant that escaped the group still holds a pipe: stop reading */
        } else {
            leader_state state = leader_exited(p);
            if (state != LEADER_RUNNING) {
                reap(p, o, state);
                p->drain_until = now + DRAIN_MS;
            } else {
                enforce_deadline(p, s, cancelled, ctx, o, now);
            }
        }
        wait_io(p, o, poll_timeout(p, now));
    }
}

void bw_exec_run(const bw_exec_spec *spec, bool (*cancelled)(void *ctx), void *ctx, bw_exec_outcome *o)
{
    proc p = {.pid = -1, .pidfd = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1};
    int rc = spawn(spec, &p);
    if (rc) {
        o->end = BW_EXEC_SPAWN_FAILED;
        o->code = rc;
    } else {
        supervise(&p, spec, cancelled, ctx, o);
    }
    close_fd(&p.in_fd);
    close_fd(&p.out_fd);
    close_fd(&p.err_fd);
    close_fd(&p.pidfd);
}
