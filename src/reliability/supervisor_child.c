/* fork + exec of the supervised child (see supervisor_child.h). fork rather than posix_spawn: PR_SET_PDEATHSIG and
 * the getppid() re-check must run in the child between the two, and posix_spawn has no hook for that. The code
 * between fork and exec calls only async-signal-safe functions. */
#include "reliability/supervisor_child.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"

/* Pipe ends: [0] read, [1] write. Ours are non-blocking; all are close-on-exec (dup2 clears it on the copy). */
typedef struct child_pipes {
    int in[2];  /* child's stdin */
    int out[2]; /* child's stdout */
    int err[2]; /* exec failure report: the child writes errno here when exec fails */
} child_pipes;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_pipes(child_pipes *p)
{
    for (int i = 0; i < 2; i++) {
        close_fd(&p->in[i]);
        close_fd(&p->out[i]);
        close_fd(&p->err[i]);
    }
}

static int open_pipes(child_pipes *p, bool relay)
{
    *p = (child_pipes){{-1, -1}, {-1, -1}, {-1, -1}};
    if (pipe2(p->err, O_CLOEXEC))
        return errno;
    if (!relay)
        return 0;
    if (pipe2(p->in, O_CLOEXEC) || pipe2(p->out, O_CLOEXEC))
        return errno;
    if (fcntl(p->in[1], F_SETFL, O_NONBLOCK) || fcntl(p->out[0], F_SETFL, O_NONBLOCK))
        return errno;
    return 0;
}

/* dup2 onto a standard descriptor; when the pipe end already is that descriptor, clear its close-on-exec. */
static int move_to(int fd, int target)
{
    if (fd == target)
        return fcntl(fd, F_SETFD, 0);
    return dup2(fd, target) < 0 ? -1 : 0;
}

static noreturn void child_fail(int err_fd)
{
    int e = errno;
    ssize_t n = write(err_fd, &e, sizeof e);
    (void)n; /* nothing more can be done: the parent then sees an early exit with status 127 */
    _exit(127);
}

static noreturn void child_exec(char *const argv[], const child_pipes *p, pid_t parent, const sigset_t *mask)
{
    if (setpgid(0, 0))
        child_fail(p->err[1]);
    /* PDEATHSIG is armed now; if the parent died before this line it never fires, so check: a dead parent means
     * we were re-parented and must not start the program at all. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
        child_fail(p->err[1]);
    if (p->in[0] >= 0 && (move_to(p->in[0], STDIN_FILENO) || move_to(p->out[1], STDOUT_FILENO)))
        child_fail(p->err[1]);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    if (sigaction(SIGPIPE, &dfl, NULL) || sigprocmask(SIG_SETMASK, mask, NULL))
        child_fail(p->err[1]);
    execvp(argv[0], argv);
    child_fail(p->err[1]);
}

/* Waits for the exec report: EOF means exec succeeded (the pipe closed on exec); an int is the child's errno. */
static int exec_result(int fd)
{
    int e = 0;
    ssize_t n;
    do
        n = read(fd, &e, sizeof e);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof e)
        return e ? e : EIO;
    return n == 0 ? 0 : EIO;
}

int bw_sup_child_start(bw_sup_child *c, char *const argv[], bool relay, const sigset_t *child_mask)
{
    *c = (bw_sup_child){.pid = 0, .in_fd = -1, .out_fd = -1};
    child_pipes p;
    int err = open_pipes(&p, relay);
    pid_t parent = getpid();
    pid_t pid = err ? -1 : fork();
    if (pid == 0)
        child_exec(argv, &p, parent, child_mask);
    if (pid < 0) {
        err = err ? err : errno;
        close_pipes(&p);
        return err;
    }
    /* Also set the group here: whichever of parent and child runs first, the group exists before any signal. The
     * child may already have exec'd (EACCES) or died (ESRCH); both are fine. */
    (void)setpgid(pid, pid);
    close_fd(&p.err[1]);
    close_fd(&p.in[0]);
    close_fd(&p.out[1]);
    err = exec_result(p.err[0]);
    if (err) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        close_pipes(&p);
        return err;
    }
    close_fd(&p.err[0]);
    *c = (bw_sup_child){.pid = pid, .in_fd = p.in[1], .out_fd = p.out[0], .started_ms = bw_clock_ms()};
    return 0;
}

void bw_sup_child_signal(const bw_sup_child *c, int sig)
{
    if (c->pid > 0)
        (void)kill(c->pid, sig); /* ESRCH: it just ended; the SIGCHLD is on its way */
}

void bw_sup_child_signal_group(const bw_sup_child *c, int sig)
{
    if (c->pid > 0)
        (void)kill(-c->pid, sig); /* ESRCH: the group is empty */
}

bool bw_sup_child_reap(bw_sup_child *c, int *status)
{
    if (c->pid <= 0)
        return false;
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
        return false; /* still running */
    /* Ended (or not ours any more, which cannot happen: we never reap elsewhere). The zombie keeps the group id
     * reserved until waitpid below, so this kill cannot reach an unrelated group. */
    bw_sup_child_signal_group(c, SIGKILL);
    pid_t r;
    do
        r = waitpid(c->pid, status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        *status = 1 << 8; /* exit status 1: the status is unknown */
    return true;
}

void bw_sup_child_close(bw_sup_child *c)
{
    close_fd(&c->in_fd);
    close_fd(&c->out_fd);
    c->pid = 0;
}

int bw_sup_become_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1) ? errno : 0;
}

void bw_sup_reap_orphans(const bw_sup_child *c)
{
    for (;;) {
        siginfo_t si = {0};
        /* Peek first: the child's zombie must stay for bw_sup_child_reap (it pins the group id). */
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid == 0 || si.si_pid == c->pid)
            return;
        if (waitpid(si.si_pid, NULL, WNOHANG) <= 0)
            return;
    }
}

void bw_sup_kill_orphans(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
        if (pid > 0)
            (void)kill((pid_t)pid, SIGKILL); /* ESRCH: ended meanwhile */
    fclose(f);
}

int bw_sup_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}
