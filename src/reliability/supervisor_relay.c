/* Line-by-line stdio relay (see supervisor_relay.h). */
#include "reliability/supervisor_relay.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "reliability/supervisor_log.h"
#include "reliability/supervisor_track.h"

enum { CHUNK = 65536 };

/* One client line (newline included) waiting for, or being written to, the child. */
typedef struct line {
    struct line *next;
    char *data;    /* owned */
    size_t len;
    size_t off;    /* bytes the child has taken; > 0 means the current child got part of it */
    json_t *ids;   /* the request ids in it (owned), NULL when none */
    bool internal; /* the replayed handshake: dropped, not answered, when its child dies */
} line;

/* A line splitter: bytes in, whole lines out, over-long lines dropped. */
typedef struct splitter {
    bw_buf partial;
    bool discarding; /* inside an over-long line: drop bytes up to the next newline */
    const char *who; /* for the log: "client" or "server" */
} splitter;

struct bw_sup_relay {
    size_t max_line;
    bw_sup_track track;
    splitter from_client;
    bool client_eof;
    line *head, *tail; /* the queue to the child */
    size_t queued;     /* bytes in the queue */
    splitter from_child;
    bw_buf out;        /* whole lines for the client */
    bool client_gone;  /* the client's stdout is closed: output is discarded */
};

typedef bw_status (*line_fn)(bw_sup_relay *r, const char *p, size_t n); /* n includes the newline */

bw_sup_relay *bw_sup_relay_new(size_t max_line)
{
    bw_sup_relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (bw_sup_track_init(&r->track)) {
        free(r);
        return NULL;
    }
    r->max_line = max_line;
    r->from_client.who = "client";
    r->from_child.who = "server";
    bw_buf_init(&r->from_client.partial, max_line + 1);
    bw_buf_init(&r->from_child.partial, max_line + 1);
    bw_buf_init(&r->out, SIZE_MAX / 2); /* bounded by back-pressure: the child is read only below max_line */
    return r;
}

static void line_free(line *l)
{
    free(l->data);
    json_decref(l->ids);
    free(l);
}

static void pop_head(bw_sup_relay *r)
{
    line *l = r->head;
    r->head = l->next;
    if (!r->head)
        r->tail = NULL;
    r->queued -= l->len;
    line_free(l);
}

void bw_sup_relay_free(bw_sup_relay *r)
{
    if (!r)
        return;
    while (r->head)
        pop_head(r);
    bw_sup_track_free(&r->track);
    bw_buf_free(&r->from_client.partial);
    bw_buf_free(&r->from_child.partial);
    bw_buf_free(&r->out);
    free(r);
}

bool bw_sup_relay_want_client_read(const bw_sup_relay *r)
{
    return !r->client_eof && r->queued < r->max_line;
}

bool bw_sup_relay_want_client_write(const bw_sup_relay *r)
{
    return r->out.len > 0;
}

bool bw_sup_relay_want_child_write(const bw_sup_relay *r)
{
    return r->head != NULL;
}

bool bw_sup_relay_want_child_read(const bw_sup_relay *r)
{
    return r->out.len < r->max_line;
}

bool bw_sup_relay_client_ended(const bw_sup_relay *r)
{
    return r->client_eof;
}

bool bw_sup_relay_input_done(const bw_sup_relay *r)
{
    return r->client_eof && !r->head;
}

/* Feeds n bytes to a splitter; calls fn for each whole line (newline included). */
static bw_status split(bw_sup_relay *r, splitter *s, const char *p, size_t n, line_fn fn)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) + 1 : n;
        size_t body = s->partial.len + seg - (nl ? 1 : 0);
        bw_status st = BW_OK;
        if (s->discarding) {
            s->discarding = !nl;
        } else if (body > r->max_line) {
            bw_sup_warn("dropped a line from the %s longer than %zu bytes", s->who, r->max_line);
            bw_buf_reset(&s->partial);
            s->discarding = !nl;
        } else if (!(st = bw_buf_append(&s->partial, p, seg)) && nl) {
            st = fn(r, s->partial.data, s->partial.len);
            bw_buf_reset(&s->partial);
        }
        if (st)
            return st;
        p += seg;
        n -= seg;
    }
    return BW_OK;
}

static bw_status queue_line(bw_sup_relay *r, const char *p, size_t n, json_t *ids, bool front)
{
    line *l = calloc(1, sizeof *l);
    char *data = malloc(n);
    if (!l || !data) {
        free(l);
        free(data);
        json_decref(ids);
        return BW_E_NOMEM;
    }
    memcpy(data, p, n);
    *l = (line){.data = data, .len = n, .ids = ids, .internal = front};
    if (front) {
        l->next = r->head;
        r->head = l;
        if (!r->tail)
            r->tail = l;
    } else {
        if (r->tail)
            r->tail->next = l;
        else
            r->head = l;
        r->tail = l;
    }
    r->queued += n;
    return BW_OK;
}

static bw_status client_line(bw_sup_relay *r, const char *p, size_t n)
{
    return queue_line(r, p, n, bw_sup_track_client_line(&r->track, p, n - 1), false);
}

static bw_status child_line(bw_sup_relay *r, const char *p, size_t n)
{
    if (bw_sup_track_child_line(&r->track, p, n - 1) || r->client_gone)
        return BW_OK;
    return bw_buf_append(&r->out, p, n);
}

/* The client's input ended: a last line without a newline is still a message; give it one. */
static bw_status client_eof(bw_sup_relay *r)
{
    r->client_eof = true;
    if (r->from_client.discarding || !r->from_client.partial.len)
        return BW_OK;
    bw_status st = bw_buf_append(&r->from_client.partial, "\n", 1);
    if (!st)
        st = client_line(r, r->from_client.partial.data, r->from_client.partial.len);
    bw_buf_reset(&r->from_client.partial);
    return st;
}

bw_status bw_sup_relay_read_client(bw_sup_relay *r, int fd)
{
    char buf[CHUNK];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
        return split(r, &r->from_client, buf, (size_t)n, client_line);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return BW_OK;
    if (n < 0)
        bw_sup_warn("reading stdin failed (%s); treating it as closed", strerror(errno));
    return client_eof(r);
}

bw_status bw_sup_relay_write_child(bw_sup_relay *r, int fd)
{
    while (r->head) {
        line *l = r->head;
        ssize_t w = write(fd, l->data + l->off, l->len - l->off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno == EAGAIN ? BW_OK : BW_E_IO;
        if (l->off == 0 && l->ids)
            bw_sup_track_sent(&r->track, l->ids);
        l->off += (size_t)w;
        if (l->off == l->len)
            pop_head(r);
    }
    return BW_OK;
}

int bw_sup_relay_read_child(bw_sup_relay *r, int fd)
{
    char buf[CHUNK];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return -1;
    if (n <= 0)
        return 0;
    if (split(r, &r->from_child, buf, (size_t)n, child_line)) {
        bw_sup_warn("out of memory relaying the server's output");
        return 0;
    }
    return 1;
}

void bw_sup_relay_write_client(bw_sup_relay *r, int fd)
{
    while (r->out.len && !r->client_gone) {
        ssize_t w = write(fd, r->out.data, r->out.len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w < 0) {
            bw_sup_warn("writing stdout failed (%s); discarding the server's output from now on", strerror(errno));
            r->client_gone = true;
            break;
        }
        bw_buf_consume(&r->out, (size_t)w);
    }
    if (r->client_gone)
        bw_buf_reset(&r->out);
}

/* Removes the handshake replay lines (they belong to the child that died) and a line it was half-fed. */
static void drop_child_lines(bw_sup_relay *r)
{
    while (r->head && (r->head->internal || r->head->off > 0))
        pop_head(r); /* internal lines are only ever at the front, and only the head can be half-written */
}

void bw_sup_relay_child_ended(bw_sup_relay *r)
{
    splitter *s = &r->from_child;
    if (s->partial.len || s->discarding)
        bw_sup_warn("dropped an unfinished line (%zu bytes) the server left on stdout", s->partial.len);
    bw_buf_reset(&s->partial);
    s->discarding = false;
    drop_child_lines(r);
    size_t n = json_object_size(r->track.pending);
    if (bw_sup_track_fail_pending(&r->track, &r->out))
        bw_sup_warn("out of memory: some requests in flight get no answer");
    if (r->client_gone)
        bw_buf_reset(&r->out);
    if (n)
        bw_sup_warn("answered %zu request(s) in flight with error -32000 \"server restarted\"", n);
}

bw_status bw_sup_relay_child_started(bw_sup_relay *r)
{
    char *lines = bw_sup_track_reinit(&r->track);
    if (!lines)
        return BW_OK;
    /* Queue the handshake lines in order at the front: the last one first. */
    bw_status st = BW_OK;
    char *second = strchr(lines, '\n') + 1;
    if (*second)
        st = queue_line(r, second, strlen(second), NULL, true);
    if (!st)
        st = queue_line(r, lines, (size_t)(second - lines), NULL, true);
    free(lines);
    return st;
}
