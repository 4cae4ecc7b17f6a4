/* The log's writer (see log_write.h for what happens when the reader is slow). */
#include "observability/log_write.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "observability/log.h"
#include "observability/metrics.h"

#define FIRST_WAIT_MS 100         /* room for a line's first byte */
#define REST_WAIT_MS 250          /* room for the rest of a line already begun */

enum { KIND_UNKNOWN = 0, KIND_PLAIN, KIND_SOCKET, KIND_NONBLOCK };

static pthread_mutex_t setup_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int target_fd = 2;
static atomic_int kind = KIND_UNKNOWN;
static atomic_int write_fd = -1;  /* the descriptor lines go to (target_fd, or a private non-blocking one) */
static atomic_bool stuck;         /* the last line was dropped for lack of room: do not wait for the next */
static atomic_bool torn;          /* a line was cut: the next one starts with a newline */
static atomic_long dropped;

/* Decides how to write to target_fd, once (and again after bw_log_set_fd). */
static int setup(void)
{
    pthread_mutex_lock(&setup_mu);
    int k = atomic_load(&kind);
    if (k == KIND_UNKNOWN) {
        int fd = atomic_load(&target_fd), out = fd;
        struct stat st;
        k = KIND_PLAIN;
        if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
            k = KIND_SOCKET;
        } else if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
            char path[64];
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            int nb = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (nb >= 0) {
                out = nb;
                k = KIND_NONBLOCK;
            }
        }
        atomic_store(&write_fd, out);
        atomic_store(&kind, k);
    }
    pthread_mutex_unlock(&setup_mu);
    return k;
}

void bw_log_set_fd(int fd)
{
    pthread_mutex_lock(&setup_mu);
    int old = atomic_load(&write_fd);
    if (atomic_load(&kind) == KIND_NONBLOCK && old >= 0)
        close(old);
    atomic_store(&target_fd, fd);
    atomic_store(&write_fd, -1);
    atomic_store(&kind, KIND_UNKNOWN);
    atomic_store(&stuck, false);
    atomic_store(&torn, false);
    pthread_mutex_unlock(&setup_mu);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t put(int k, int fd, const char *p, size_t n)
{
    if (k == KIND_SOCKET)
        return send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    return write(fd, p, n);
}

/* Waits until fd takes more bytes or the deadline passes; false on timeout or error. */
static bool wait_room(int fd, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int r = poll(&pfd, 1, (int)left);
        if (r > 0)
            return (pfd.revents & POLLOUT) != 0;
        if (r < 0 && errno != EINTR)
            return false;
    }
}

/* Writes p[0..n); returns the bytes written (n when complete). */
static size_t put_all(int k, int fd, const char *p, size_t n)
{
    size_t off = 0;
    int64_t deadline = 0;
    while (off < n) {
        ssize_t w = put(k, fd, p + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return off; /* EPIPE, EBADF, ...: nobody reads; nothing to wait for */
        if (off == 0 && atomic_load_explicit(&stuck, memory_order_relaxed))
            return 0;
        if (!deadline)
            deadline = mono_ms() + (off ? REST_WAIT_MS : FIRST_WAIT_MS);
        if (!wait_room(fd, deadline))
            return off;
    }
    return n;
}

bool bw_log_write(const char *line, size_t len)
{
    int k = atomic_load_explicit(&kind, memory_order_acquire);
    if (k == KIND_UNKNOWN)
        k = setup();
    int fd = atomic_load_explicit(&write_fd, memory_order_relaxed);
    if (atomic_exchange_explicit(&torn, false, memory_order_relaxed))
        (void)put_all(k, fd, "\n", 1);
    size_t w = put_all(k, fd, line, len);
    if (w == len) {
        atomic_store_explicit(&stuck, false, memory_order_relaxed);
        return true;
    }
    if (w > 0)
        atomic_store_explicit(&torn, true, memory_order_relaxed);
    else
        atomic_store_explicit(&stuck, true, memory_order_relaxed);
    atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    bw_metrics_log_lines_dropped(1);
    return false;
}

long bw_log_lines_dropped(void)
{
    return atomic_load_explicit(&dropped, memory_order_relaxed);
}
