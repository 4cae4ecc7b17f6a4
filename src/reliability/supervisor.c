/* The supervision loop of `bulwark supervise` (see supervisor.h): one poll() over a signalfd, the relay's four
 * descriptors and three deadlines (restart, SIGKILL after the grace period, next RSS sample). No busy waits: every
 * poll sleeps until a descriptor is ready or the nearest deadline, and at most TICK_MS. */
#include "reliability/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "reliability/supervisor_child.h"
#include "reliability/supervisor_log.h"
#include "reliability/supervisor_policy.h"
#include "reliability/supervisor_relay.h"
#include "reliability/supervisor_rss.h"

/* The longest poll: a safety net that re-checks the child even if a SIGCHLD were somehow missed. */
enum { TICK_MS = 1000 };

enum { FD_SIG, FD_STDIN, FD_STDOUT, FD_CHILD_IN, FD_CHILD_OUT, FD_COUNT };

typedef struct sup {
    const bw_sup_options *o;
    char *const *argv;
    bw_sup_child child;     /* child.pid == 0: none runs */
    bw_sup_policy policy;
    bw_sup_relay *relay;    /* NULL without --stdio */
    int sigfd;
    sigset_t child_mask;    /* the mask the supervisor was started with; each child gets it back */
    int stdin_flags;        /* the file status flags to restore on exit (relay), -1: untouched */
    int stdout_flags;
    int64_t restart_at;     /* deadlines in bw_clock_ms time, -1 when not set */
    int64_t kill_at;
    int64_t rss_at;
    bool stopping;          /* a terminating signal was forwarded: the child's end ends the supervision */
    bool over_memory;       /* the child is being stopped for exceeding max_rss_bytes */
    bool started_once;
    bool done;
    int exit_code;
} sup;

void bw_sup_options_default(bw_sup_options *o)
{
    *o = (bw_sup_options){
        .max_restarts = 5,
        .window_s = 60,
        .backoff_initial_ms = 200,
        .backoff_max_ms = 30000,
        .min_uptime_ms = 5000,
        .rss_interval_ms = 1000,
        .grace_ms = 5000,
        .max_line_bytes = 16u << 20,
    };
}

static void finish(sup *s, int code)
{
    s->done = true;
    s->exit_code = code;
}

static const int forwarded[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2};

/* Blocks the forwarded signals and SIGCHLD (they arrive on a signalfd instead) and ignores SIGPIPE (a closed pipe
 * is an EPIPE to handle, not a reason to die). */
static int setup_signals(sup *s)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    if (sigprocmask(SIG_BLOCK, &set, &s->child_mask) || sigaction(SIGPIPE, &ign, NULL))
        return -1;
    s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return s->sigfd < 0 ? -1 : 0;
}

/* Relay mode reads and writes the client's descriptors without blocking; the flags are restored on exit. */
static int make_nonblocking(int fd, int *saved)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    *saved = fl;
    return 0;
}

static void restore_flags(int fd, int saved)
{
    if (saved >= 0)
        (void)fcntl(fd, F_SETFL, saved);
}

/* "pid N exited with status S" / "pid N was killed by signal S (name)". */
static void describe(pid_t pid, int status, char *out, size_t n)
{
    if (WIFSIGNALED(status))
        snprintf(out, n, "pid %ld was killed by signal %d (%s)", (long)pid, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(out, n, "pid %ld exited with status %d", (long)pid, bw_sup_exit_code(status));
}

static void schedule_restart(sup *s, const char *what, int64_t uptime_ms)
{
    int64_t now = bw_clock_ms();
    int64_t delay = bw_sup_policy_on_exit(&s->policy, now, uptime_ms);
    if (delay < 0) {
        bw_sup_warn("giving up: child %s, and %d restart(s) within %d s is the limit (crash loop); exit status %d",
                    what, s->o->max_restarts, s->o->window_s, BW_SUP_EXIT_CRASH_LOOP);
        finish(s, BW_SUP_EXIT_CRASH_LOOP);
        return;
    }
    bw_sup_warn("child %s after %lld ms; restarting in %lld ms (restart %d of %d within %d s)", what,
                (long long)uptime_ms, (long long)delay, bw_sup_policy_recent(&s->policy, now), s->o->max_restarts,
                s->o->window_s);
    s->restart_at = now + delay;
}

static void start_child(sup *s)
{
    s->restart_at = -1;
    s->over_memory = false;
    int err = bw_sup_child_start(&s->child, s->argv, s->relay != NULL, &s->child_mask);
    if (err) {
        bw_sup_warn("cannot start %s: %s", s->argv[0], strerror(err));
        if (!s->started_once)
            finish(s, BW_SUP_EXIT_CANNOT_START);
        else
            schedule_restart(s, "could not be started", 0);
        return;
    }
    s->started_once = true;
    bw_sup_info("started %s (pid %ld)", s->argv[0], (long)s->child.pid);
    if (s->o->max_rss_bytes)
        s->rss_at = bw_clock_ms() + s->o->rss_interval_ms;
    if (s->relay && bw_sup_relay_child_started(s->relay))
        bw_sup_warn("out of memory: the restarted server is not re-initialized");
}

/* The child is gone (and its group killed): take what it wrote, settle the relay, decide what comes next. */
static void child_ended(sup *s, int status)
{
    if (s->relay) {
        while (s->child.out_fd >= 0 && bw_sup_relay_read_child(s->relay, s->child.out_fd) > 0)
            ; /* finite: every writer in its process group is dead */
        bw_sup_relay_child_ended(s->relay);
    }
    pid_t pid = s->child.pid;
    int64_t uptime = bw_clock_ms() - s->child.started_ms;
    bw_sup_child_close(&s->child);
    bw_sup_kill_orphans(); /* what escaped the process group (setsid) and was re-parented to us */
    s->kill_at = s->rss_at = -1;
    char what[160];
    describe(pid, status, what, sizeof what);
    int code = bw_sup_exit_code(status);
    if (s->stopping || (s->relay && bw_sup_relay_client_ended(s->relay)) || (code == 0 && !s->over_memory)) {
        bw_sup_info("child %s; stopping with status %d", what, code);
        finish(s, code);
        return;
    }
    if (s->over_memory)
        snprintf(what, sizeof what, "pid %ld exceeded the memory limit", (long)pid);
    schedule_restart(s, what, uptime);
}

static void stop_request(sup *s, int sig)
{
    if (!s->child.pid) {
        bw_sup_info("signal %d (%s) while no child runs; stopping", sig, strsignal(sig));
        finish(s, 128 + sig);
        return;
    }
    bw_sup_info("forwarding signal %d (%s) to pid %ld; stopping", sig, strsignal(sig), (long)s->child.pid);
    bw_sup_child_signal(&s->child, sig);
    s->stopping = true;
    if (s->kill_at < 0)
        s->kill_at = bw_clock_ms() + s->o->grace_ms;
}

static void on_signal(sup *s, int sig)
{
    if (sig == SIGCHLD)
        return; /* reaping happens once per loop turn */
    if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
        stop_request(s, sig);
    } else if (s->child.pid) {
        bw_sup_child_signal(&s->child, sig);
    } else {
        bw_sup_info("signal %d (%s) dropped: no child runs", sig, strsignal(sig));
    }
}

static void read_signals(sup *s)
{
    struct signalfd_siginfo si;
    while (!s->done && read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        on_signal(s, (int)si.ssi_signo);
}

static void check_memory(sup *s, int64_t now)
{
    int64_t rss = bw_sup_rss_bytes(s->child.pid);
    s->rss_at = now + s->o->rss_interval_ms;
    if (rss < 0 || (uint64_t)rss <= s->o->max_rss_bytes)
        return;
    bw_sup_warn("child pid %ld uses %lld bytes resident, over the limit of %llu; stopping it for a restart",
                (long)s->child.pid, (long long)rss, (unsigned long long)s->o->max_rss_bytes);
    s->over_memory = true;
    s->rss_at = -1;
    bw_sup_child_signal(&s->child, SIGTERM);
    s->kill_at = now + s->o->grace_ms;
}

static void on_timers(sup *s)
{
    int64_t now = bw_clock_ms();
    if (s->child.pid && s->kill_at >= 0 && now >= s->kill_at) {
        bw_sup_warn("child pid %ld did not end within %d ms; killing its process group", (long)s->child.pid,
                    s->o->grace_ms);
        bw_sup_child_signal_group(&s->child, SIGKILL);
        s->kill_at = -1;
    }
    if (s->child.pid && s->rss_at >= 0 && now >= s->rss_at)
        check_memory(s, now);
    if (!s->child.pid && s->restart_at >= 0 && now >= s->restart_at)
        start_child(s);
}

static int poll_timeout(const sup *s)
{
    int64_t now = bw_clock_ms(), wait = TICK_MS;
    const int64_t at[] = {s->restart_at, s->kill_at, s->rss_at};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        if (at[i] >= 0 && at[i] - now < wait)
            wait = at[i] - now;
    return wait < 0 ? 0 : (int)wait;
}

static void watch(struct pollfd *p, int fd, bool want, short events)
{
    *p = (struct pollfd){.fd = want ? fd : -1, .events = events};
}

static void build_pollfds(const sup *s, struct pollfd *p)
{
    const bw_sup_relay *r = s->relay;
    watch(&p[FD_SIG], s->sigfd, true, POLLIN);
    watch(&p[FD_STDIN], STDIN_FILENO, r && bw_sup_relay_want_client_read(r), POLLIN);
    watch(&p[FD_STDOUT], STDOUT_FILENO, r && bw_sup_relay_want_client_write(r), POLLOUT);
    watch(&p[FD_CHILD_IN], s->child.in_fd, r && s->child.in_fd >= 0 && bw_sup_relay_want_child_write(r), POLLOUT);
    watch(&p[FD_CHILD_OUT], s->child.out_fd, r && s->child.out_fd >= 0 && bw_sup_relay_want_child_read(r), POLLIN);
}

static void close_child_fd(int *fd)
{
    close(*fd);
    *fd = -1;
}

/* Moves bytes for every ready relay descriptor. A hang-up counts as ready: the read or write reports it. */
static void relay_io(sup *s, const struct pollfd *p)
{
    bw_sup_relay *r = s->relay;
    if (p[FD_STDIN].revents && bw_sup_relay_read_client(r, STDIN_FILENO)) {
        bw_sup_warn("out of memory relaying stdin; stopping");
        stop_request(s, SIGTERM);
    }
    if (p[FD_CHILD_IN].revents && s->child.in_fd >= 0 && bw_sup_relay_write_child(r, s->child.in_fd))
        close_child_fd(&s->child.in_fd); /* it stopped reading; queued lines wait for the next child */
    if (s->child.in_fd >= 0 && bw_sup_relay_input_done(r))
        close_child_fd(&s->child.in_fd); /* the client's EOF, passed on */
    if (p[FD_CHILD_OUT].revents && s->child.out_fd >= 0 && !bw_sup_relay_read_child(r, s->child.out_fd))
        close_child_fd(&s->child.out_fd);
    if (p[FD_STDOUT].revents || bw_sup_relay_want_client_write(r))
        bw_sup_relay_write_client(r, STDOUT_FILENO);
}

static void loop(sup *s)
{
    start_child(s);
    while (!s->done) {
        struct pollfd p[FD_COUNT];
        build_pollfds(s, p);
        if (poll(p, FD_COUNT, poll_timeout(s)) < 0) {
            for (int i = 0; i < FD_COUNT; i++)
                p[i].revents = 0;
            if (errno != EINTR) {
                bw_sup_warn("poll failed: %s; stopping", strerror(errno));
                stop_request(s, SIGTERM);
            }
        }
        if (p[FD_SIG].revents)
            read_signals(s);
        if (s->relay && !s->done)
            relay_io(s, p);
        int status;
        bw_sup_reap_orphans(&s->child);
        if (!s->done && bw_sup_child_reap(&s->child, &status))
            child_ended(s, status);
        if (!s->done)
            on_timers(s);
    }
}

/* Hands the client what is still queued for it (error answers to a dead child's requests, its last lines),
 * waiting at most grace_ms. */
static void flush_client(sup *s)
{
    int64_t end = bw_clock_ms() + s->o->grace_ms;
    while (bw_sup_relay_want_client_write(s->relay) && !bw_clock_ms_passed(end)) {
        struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
        int n = poll(&p, 1, (int)(end - bw_clock_ms()));
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
        bw_sup_relay_write_client(s->relay, STDOUT_FILENO);
    }
}

static int prepare(sup *s)
{
    bw_sup_log_quiet(s->o->quiet);
    if (bw_sup_policy_init(&s->policy, s->o->max_restarts, s->o->window_s, s->o->backoff_initial_ms,
                           s->o->backoff_max_ms, s->o->min_uptime_ms)) {
        bw_sup_warn("out of memory");
        return -1;
    }
    if (s->o->stdio && (!(s->relay = bw_sup_relay_new(s->o->max_line_bytes)) ||
                        make_nonblocking(STDIN_FILENO, &s->stdin_flags) ||
                        make_nonblocking(STDOUT_FILENO, &s->stdout_flags))) {
        bw_sup_warn("cannot set up the stdio relay: %s", strerror(errno));
        return -1;
    }
    int err = bw_sup_become_subreaper();
    if (err)
        bw_sup_warn("cannot become the reaper of orphaned descendants (%s); those leaving the child's process "
                    "group may outlive it", strerror(err));
    if (setup_signals(s)) {
        bw_sup_warn("cannot set up signal handling: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int bw_supervise(const bw_sup_options *o, char *const argv[])
{
    sup s = {.o = o, .argv = argv, .sigfd = -1, .stdin_flags = -1, .stdout_flags = -1, .restart_at = -1,
             .kill_at = -1, .rss_at = -1, .child = {.in_fd = -1, .out_fd = -1}};
    if (prepare(&s) == 0)
        loop(&s);
    else
        finish(&s, BW_SUP_EXIT_CANNOT_START);
    if (s.relay)
        flush_client(&s);
    restore_flags(STDIN_FILENO, s.stdin_flags);
    restore_flags(STDOUT_FILENO, s.stdout_flags);
    if (s.sigfd >= 0)
        close(s.sigfd);
    bw_sup_relay_free(s.relay);
    bw_sup_policy_free(&s.policy);
    return s.exit_code;
}
