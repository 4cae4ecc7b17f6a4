/* The stdio transport: newline-delimited JSON-RPC on a pair of file descriptors.
 *
 * One thread (the caller's) reads and frames; handlers run on the worker pool and write their own responses, so
 * responses may leave out of order. Writes are whole lines under one lock, so lines never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/health.h"
#include "bulwark/stdio.h"
#include "core/buf.h"
#include "core/clock.h"
#include "protocol/jsonrpc.h"
#include "protocol/server_internal.h"
#include "protocol/tasks.h"
#include "protocol/session.h"
#include "observability/log.h"

#define READ_CHUNK (64 * 1024)

/* Output is combined: a thread that finds nobody writing becomes the writer and flushes everything queued,
 * including what other threads append meanwhile; the others only copy their line in and return. Under load this
 * turns many small write()s and lock hand-offs into a few large writes. A client that stops reading applies
 * backpressure: appends wait once OUT_HIGH_WATER bytes are queued. */
#define OUT_HIGH_WATER (8u << 20)

typedef struct stdio_out {
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t drained;  /* signalled after each flush */
    bw_buf pending;          /* lines waiting to be written */
    bw_buf spare;            /* the writer's buffer, swapped with pending */
    bool flushing;           /* a thread is writing */
    bool corked;             /* the reader is working through a chunk: hold output for one write at its end */
    bool broken;             /* the reader of our stdout went away: drop output from now on */
} stdio_out;

static int stop_pipe[2] = {-1, -1};

void bw_stdio_stop(void)
{
    int saved = errno;
    if (stop_pipe[1] >= 0) {
        ssize_t n = write(stop_pipe[1], "x", 1);
        (void)n;
    }
    errno = saved;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Writes queued output until none is left. Called and returns with out->mu held. */
static void flush_locked(stdio_out *out)
{
    out->flushing = true;
    while (out->pending.len > 0 && !out->broken) {
        bw_buf tmp = out->pending;
        out->pending = out->spare;
        out->spare = tmp;
        pthread_mutex_unlock(&out->mu);
        bool ok = write_all(out->fd, out->spare.data, out->spare.len);
        pthread_mutex_lock(&out->mu);
        bw_buf_reset(&out->spare);
        out->broken = out->broken || !ok;
        pthread_cond_broadcast(&out->drained);
    }
    out->flushing = false;
}

static void out_line(stdio_out *out, const char *text, size_t n)
{
    pthread_mutex_lock(&out->mu);
    while (!out->broken && out->flushing && out->pending.len >= OUT_HIGH_WATER)
        pthread_cond_wait(&out->drained, &out->mu);
    if (!out->broken && (bw_buf_append(&out->pending, text, n) != BW_OK ||
                         bw_buf_append(&out->pending, "\n", 1) != BW_OK))
        bw_log_msg(BW_LL_ERROR, "out of memory queueing output; a message was dropped");
    if (!out->flushing && !out->corked)
        flush_locked(out);
    pthread_mutex_unlock(&out->mu);
}

/* While corked, replies produced on the reading thread (and any worker output) queue up and leave in one write
 * when the chunk is done: pipelined requests cost one write() per chunk instead of one per response. */
static void cork(stdio_out *out, bool on)
{
    pthread_mutex_lock(&out->mu);
    out->corked = on;
    if (!on && !out->flushing)
        flush_locked(out);
    pthread_mutex_unlock(&out->mu);
}

static void stdio_sink(void *ctx, const char *text, size_t len, const json_t *related_id, bw_out_kind kind)
{
    (void)related_id; /* one stream: everything goes on stdout */
    (void)kind;
    out_line(ctx, text, len);
}

typedef struct framer {
    bw_buf line;
    bool discarding;  /* inside an over-limit line: drop bytes until the next newline */
    size_t limit;
} framer;

static void over_limit(bw_session *s, size_t limit);

static void deliver_line(bw_session *s, char *p, size_t n, size_t limit)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > limit) { /* the buffer holds one byte more than the limit, for the CR of a CRLF ending */
        over_limit(s, limit);
        return;
    }
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i == n)
        return; /* blank lines are not messages */
    bw_session_receive(s, p + i, n - i);
}

static void over_limit(bw_session *s, size_t limit)
{
    char why[128];
    snprintf(why, sizeof why, "Invalid Request: message exceeds the limit of %zu bytes", limit);
    bw_session_send_error(s, BW_RPC_INVALID_REQUEST, why);
}

/* Splits a chunk into lines; complete lines are delivered, a partial tail is kept for the next chunk. */
static void feed(framer *f, bw_session *s, const char *chunk, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(chunk, '\n', n);
        size_t take = nl ? (size_t)(nl - chunk) : n;
        if (!f->discarding && bw_buf_append(&f->line, chunk, take) != BW_OK) {
            over_limit(s, f->limit);
            bw_buf_reset(&f->line);
            f->discarding = true;
        }
        if (!nl)
            return;
        if (!f->discarding)
            deliver_line(s, f->line.data ? f->line.data : (char *)"", f->line.len, f->limit);
        bw_buf_reset(&f->line);
        f->discarding = false;
        chunk += take + 1;
        n -= take + 1;
    }
}

/* Reads until EOF, a read error or bw_stdio_stop. */
static bw_status read_loop(int in_fd, framer *f, bw_session *s, stdio_out *out)
{
    char *chunk = malloc(READ_CHUNK);
    if (!chunk)
        return BW_E_NOMEM;
    bw_status st = BW_OK;
    struct pollfd fds[2] = {{.fd = in_fd, .events = POLLIN}, {.fd = stop_pipe[0], .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            st = BW_E_IO;
            break;
        }
        if (fds[1].revents)
            break;
        ssize_t n = read(in_fd, chunk, READ_CHUNK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            st = n < 0 ? BW_E_IO : BW_OK;
            break;
        }
        cork(out, true);
        feed(f, s, chunk, (size_t)n);
        cork(out, false);
    }
    free(chunk);
    return st;
}

/* Gives in-flight work the grace period, then cancels what is left. true when everything finished. */
static bool drain(bw_server *srv, bw_session *s)
{
    int64_t grace_end = bw_clock_ms() + srv->limits.shutdown_grace_ms;
    if (bw_session_wait_idle(s, grace_end))
        return true;
    bw_log_msg(BW_LL_WARN, "grace period of %d ms over; cancelling requests still running", srv->limits.shutdown_grace_ms);
    atomic_store(&srv->shutting_down, true);
    bw_session_cancel_all(s, true);
    return bw_session_wait_idle(s, bw_clock_ms() + 1000);
}

bw_status bw_serve_stdio(bw_server *srv, int in_fd, int out_fd)
{
    if (!srv)
        return BW_E_INVALID_ARG;
    signal(SIGPIPE, SIG_IGN);
    if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return BW_E_IO;
    bw_status st = bw_server_start_pool(srv);
    if (st)
        return st;
    stdio_out *out = calloc(1, sizeof *out);
    if (!out)
        return BW_E_NOMEM;
    out->fd = out_fd;
    pthread_mutex_init(&out->mu, NULL);
    pthread_cond_init(&out->drained, NULL);
    bw_buf_init(&out->pending, SIZE_MAX / 2);
    bw_buf_init(&out->spare, SIZE_MAX / 2);
    bw_session *s = bw_session_new(srv, stdio_sink, out);
    if (!s) {
        free(out);
        return BW_E_NOMEM;
    }
    framer f = {.limit = srv->limits.max_message_bytes};
    bw_buf_init(&f.line, srv->limits.max_message_bytes + 1);
    st = read_loop(in_fd, &f, s, out);
    bw_server_begin_drain(srv);
    bw_buf_free(&f.line);
    bw_session_peer_closed(s);
    bool idle = drain(srv, s);
    if (idle) {
        /* Join the workers before the sink's memory goes away; a handler that ignores cancellation is left
         * running (and its process exits with us) rather than hanging shutdown. */
        bw_tasks_cancel_running(srv);
        bw_workpool_free(srv->pool);
        srv->pool = NULL;
        bw_session_unref(s);
        bw_buf_free(&out->pending);
        bw_buf_free(&out->spare);
        pthread_mutex_destroy(&out->mu);
        pthread_cond_destroy(&out->drained);
        free(out);
    } else {
        /* The stuck handlers still hold the session and the sink, so both stay allocated until the process
         * exits; only their output is cut off. */
        bw_log_msg(BW_LL_WARN, "requests ignored cancellation; exiting without waiting for them");
        pthread_mutex_lock(&out->mu);
        out->broken = true;
        pthread_mutex_unlock(&out->mu);
    }
    return st;
}
