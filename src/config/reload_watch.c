/* The reload thread: poll() on a self-pipe (SIGHUP, stop) and an inotify descriptor (the file's directory). */
#include "config/reload_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/reload_log.h"
#include "core/clock.h"

#define SWEEP_EVERY_MS 1000

/* Bytes on the self-pipe. */
#define WAKE_RELOAD 'h'
#define WAKE_STOP 'q'

struct bw_reload_watch {
    bw_reloader *reloader;
    char *path, *dir;
    int pipe_rd, pipe_wr;
    int inotify_fd; /* -1 without watch_file */
    struct stat seen; /* the file as last reloaded (or at start) */
    pthread_t thread;
};

/* The write end of the running watch's pipe, for the signal handler; -1 when none runs. */
static atomic_int wake_fd = -1;

void bw_reload_watch_signal(void)
{
    int fd = atomic_load(&wake_fd);
    if (fd >= 0) {
        int saved = errno;
        /* A full pipe already holds a pending request: losing this byte loses nothing. */
        ssize_t n = write(fd, &(char){WAKE_RELOAD}, 1);
        (void)n;
        errno = saved;
    }
}

static bool file_changed(bw_reload_watch *w)
{
    struct stat now;
    if (stat(w->path, &now) != 0)
        return false; /* gone for now (an editor's rename in progress): the next event will tell */
    bool changed = now.st_dev != w->seen.st_dev || now.st_ino != w->seen.st_ino || now.st_size != w->seen.st_size ||
                   now.st_mtim.tv_sec != w->seen.st_mtim.tv_sec || now.st_mtim.tv_nsec != w->seen.st_mtim.tv_nsec;
    w->seen = now;
    return changed;
}

/* Drains the self-pipe. Returns false on stop. */
static bool read_pipe(bw_reload_watch *w, bool *reload)
{
    char buf[64];
    ssize_t n;
    bool go_on = true;
    while ((n = read(w->pipe_rd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) {
            *reload |= buf[i] == WAKE_RELOAD;
            go_on &= buf[i] != WAKE_STOP;
        }
    return go_on;
}

/* Drains inotify: any event in the directory may concern the file (it can be a symlink into a renamed
 * directory, as Kubernetes mounts ConfigMaps), so every event restarts the debounce; file_changed decides. */
static void read_inotify(bw_reload_watch *w, int64_t *due_ms)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    while (read(w->inotify_fd, buf, sizeof buf) > 0)
        any = true;
    if (any)
        *due_ms = bw_clock_ms() + BW_RELOAD_DEBOUNCE_MS;
}

static int poll_timeout(const bw_reload_watch *w, int64_t due_ms)
{
    int t = -1;
    if (due_ms > 0) {
        int64_t left = due_ms - bw_clock_ms();
        t = left > 0 ? (int)left : 0;
    }
    if (bw_reloader_sweep(w->reloader) > 0 && (t < 0 || t > SWEEP_EVERY_MS))
        t = SWEEP_EVERY_MS;
    return t;
}

static void *watch_main(void *arg)
{
    bw_reload_watch *w = arg;
    int64_t due_ms = 0; /* a debounced file check is due then (0: none) */
    for (;;) {
        struct pollfd fds[2] = {{.fd = w->pipe_rd, .events = POLLIN}, {.fd = w->inotify_fd, .events = POLLIN}};
        int n = poll(fds, w->inotify_fd >= 0 ? 2 : 1, poll_timeout(w, due_ms));
        if (n < 0 && errno != EINTR) {
            char why[256];
            snprintf(why, sizeof why, "poll: %s; no more reloads until a restart", strerror(errno));
            bw_reload_log_error("reload_watch_stopped", w->path, why);
            return NULL;
        }
        bool reload = false;
        if (n > 0 && (fds[0].revents & POLLIN) && !read_pipe(w, &reload))
            return NULL;
        if (n > 0 && (fds[1].revents & POLLIN))
            read_inotify(w, &due_ms);
        if (due_ms > 0 && bw_clock_ms() >= due_ms) {
            due_ms = 0;
            reload |= file_changed(w);
        }
        if (reload && bw_reloader_run(w->reloader) == BW_OK)
            (void)file_changed(w); /* a SIGHUP after an edit must not make the watch reload once more */
    }
}

/* The directory part of path ("." when none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static bool start_inotify(bw_reload_watch *w)
{
    w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->inotify_fd < 0)
        return false;
    uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_ATTRIB | IN_DELETE;
    if (inotify_add_watch(w->inotify_fd, w->dir, mask) < 0)
        return false;
    (void)file_changed(w);
    return true;
}

static void free_watch(bw_reload_watch *w)
{
    if (w->pipe_rd >= 0)
        close(w->pipe_rd);
    if (w->pipe_wr >= 0)
        close(w->pipe_wr);
    if (w->inotify_fd >= 0)
        close(w->inotify_fd);
    free(w->path);
    free(w->dir);
    free(w);
}

/* A reload_watch_failed line: what went wrong, then the system's reason. */
static void log_failed(const char *path, const char *what, const char *reason)
{
    char why[1200];
    snprintf(why, sizeof why, "%s%s%s", what, reason ? ": " : "", reason ? reason : "");
    bw_reload_log_error("reload_watch_failed", path, why);
}

static bw_reload_watch *new_watch(bw_reloader *r, const char *path, bool watch_file)
{
    bw_reload_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    *w = (bw_reload_watch){.reloader = r, .pipe_rd = -1, .pipe_wr = -1, .inotify_fd = -1};
    int fds[2];
    w->path = strdup(path);
    w->dir = dir_of(path);
    if (!w->path || !w->dir || pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        log_failed(path, "cannot set up the reload watch", strerror(errno ? errno : ENOMEM));
        free_watch(w);
        return NULL;
    }
    w->pipe_rd = fds[0];
    w->pipe_wr = fds[1];
    if (watch_file && !start_inotify(w)) {
        char what[1100];
        snprintf(what, sizeof what, "reload.watch: cannot watch %s", w->dir);
        log_failed(path, what, strerror(errno));
        free_watch(w);
        return NULL;
    }
    return w;
}

bw_reload_watch *bw_reload_watch_start(bw_reloader *r, const char *path, bool watch_file)
{
    int none = -1;
    bw_reload_watch *w = new_watch(r, path, watch_file);
    if (!w)
        return NULL;
    if (!atomic_compare_exchange_strong(&wake_fd, &none, w->pipe_wr)) {
        log_failed(path, "a reload watch is running already", NULL);
        free_watch(w);
        return NULL;
    }
    int err = pthread_create(&w->thread, NULL, watch_main, w);
    if (err) {
        atomic_store(&wake_fd, -1);
        log_failed(path, "cannot start the reload thread", strerror(err));
        free_watch(w);
        return NULL;
    }
    return w;
}

void bw_reload_watch_stop(bw_reload_watch *w)
{
    if (!w)
        return;
    atomic_store(&wake_fd, -1);
    /* The pipe has room for this byte unless it is full of requests, in which case the thread wakes anyway and
     * keeps reading until it finds this one: retry until it fits. */
    while (write(w->pipe_wr, &(char){WAKE_STOP}, 1) < 0 && (errno == EAGAIN || errno == EINTR))
        usleep(1000);
    pthread_join(w->thread, NULL);
    free_watch(w);
}
