/* Response streams: the JSON-or-SSE decision, SSE framing, the replay store, and the MHD content reader.
 *
 * Writers (workers, the session's sink) push under st->mu and resume the connection when it waits; the reader
 * (an MHD thread) pulls under the same lock and suspends the connection when nothing is queued, so a wake-up can
 * never fall between "found nothing" and "suspended". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "observability/metrics.h"
#include "transport/http_internal.h"
#include "observability/log.h"

hstream *hstream_new(unsigned id, bool standalone, bool legacy, bool priming)
{
    hstream *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    atomic_init(&st->refs, 1);
    pthread_mutex_init(&st->mu, NULL);
    st->id = id;
    st->standalone = standalone;
    st->legacy = legacy;
    st->priming = priming && !legacy;
    st->mode = standalone ? HS_SSE : HS_PENDING;
    bw_buf_init(&st->out, SIZE_MAX / 2);
    st->next_seq = 1;
    st->last_write_ms = bw_clock_ms();
    return st;
}

void hstream_bound(hstream *st, size_t max_unsent)
{
    pthread_mutex_lock(&st->mu);
    st->out.cap = max_unsent;
    pthread_mutex_unlock(&st->mu);
}

void hstream_ref(hstream *st)
{
    atomic_fetch_add(&st->refs, 1);
}

void hstream_unref(hstream *st)
{
    if (!st || atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    for (size_t i = 0; i < st->n_events; i++)
        free(st->events[i].frame);
    free(st->events);
    free(st->json);
    bw_buf_free(&st->out);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

/* Appends to the unsent bytes; an allocation failure drops the bytes (the client sees a gap it can resume). */
static void out_append(hstream *st, const char *p, size_t n)
{
    if (bw_buf_append(&st->out, p, n) != BW_OK)
        bw_log_msg(BW_LL_ERROR, "out of memory queueing stream output");
}

/* Resumes the writer if it is waiting. Caller holds st->mu. */
static void wake_locked(hstream *st)
{
    if (st->conn && st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

/* Keeps a frame for resumption, dropping the oldest beyond the bounds. Caller holds st->mu. */
static void store_locked(hstream *st, uint64_t seq, const char *frame, size_t len)
{
    while (st->n_events > 0 && (st->n_events >= BW_STREAM_EVENTS_KEPT || st->store_bytes + len > BW_STREAM_BYTES_KEPT)) {
        st->store_bytes -= st->events[0].len;
        free(st->events[0].frame);
        memmove(st->events, st->events + 1, (st->n_events - 1) * sizeof *st->events);
        st->n_events--;
    }
    if (len > BW_STREAM_BYTES_KEPT)
        return;
    if (!st->events && !(st->events = calloc(BW_STREAM_EVENTS_KEPT, sizeof *st->events)))
        return;
    char *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, frame, len);
    st->events[st->n_events++] = (hevent){seq, copy, len};
    st->store_bytes += len;
}

/* Frames one SSE event (one data line: our JSON never holds a newline), queues and stores it. */
static void emit_locked(hstream *st, const char *data, size_t len)
{
    char head[64];
    uint64_t seq = st->next_seq++;
    int n = st->legacy ? snprintf(head, sizeof head, "event: message\ndata: ")
                       : snprintf(head, sizeof head, "id: %u-%" PRIu64 "\ndata: ", st->id, seq);
    bw_buf frame;
    bw_buf_init(&frame, SIZE_MAX / 2);
    if (bw_buf_append(&frame, head, (size_t)n) || bw_buf_append(&frame, data, len) ||
        bw_buf_append(&frame, "\n\n", 2)) {
        bw_buf_free(&frame);
        return;
    }
    if (!st->legacy)
        store_locked(st, seq, frame.data, frame.len);
    bw_status put = st->conn && !st->cut ? bw_buf_append(&st->out, frame.data, frame.len) : BW_OK;
    if (put == BW_E_LIMIT) {
        /* A reader this far behind (a listen stream whose client stopped reading) is cut off rather than
         * buffered without bound; its connection ends and the listener with it. */
        st->done = true;
        st->overflowed = true;
    } else if (put != BW_OK) {
        bw_log_msg(BW_LL_ERROR, "out of memory queueing an event");
    }
    bw_buf_free(&frame);
}

/* Switches a POST stream to SSE, starting with the priming event (an id and empty data) when asked. */
static void start_sse_locked(hstream *st)
{
    if (st->mode == HS_SSE)
        return;
    st->mode = HS_SSE;
    if (st->priming)
        emit_locked(st, "", 0);
}

void hstream_push(hstream *st, const char *text, size_t len, bw_out_kind kind)
{
    pthread_mutex_lock(&st->mu);
    bool final = (kind == BW_OUT_RESPONSE || kind == BW_OUT_BATCH) && !st->standalone;
    if (final && (kind == BW_OUT_BATCH || --st->pending <= 0))
        st->done = true;
    if (st->mode == HS_PENDING && st->done && !st->cut) {
        /* The answer came first and alone: a plain JSON response. */
        st->json = malloc(len);
        if (st->json) {
            memcpy(st->json, text, len);
            st->json_len = len;
            st->mode = HS_JSON;
        }
    }
    if (st->mode != HS_JSON) {
        start_sse_locked(st);
        emit_locked(st, text, len);
    }
    wake_locked(st);
    pthread_mutex_unlock(&st->mu);
}

void hstream_push_raw(hstream *st, const char *text, size_t len)
{
    pthread_mutex_lock(&st->mu);
    if (st->conn && bw_buf_append(&st->out, text, len) == BW_OK)
        wake_locked(st);
    pthread_mutex_unlock(&st->mu);
}

void hstream_cut(hstream *st, int retry_ms)
{
    pthread_mutex_lock(&st->mu);
    if (st->mode != HS_JSON && !st->done) {
        start_sse_locked(st);
        char hint[48];
        int n = snprintf(hint, sizeof hint, "retry: %d\n\n", retry_ms);
        if (st->conn)
            out_append(st, hint, (size_t)n);
        st->cut = true;
        wake_locked(st);
    }
    pthread_mutex_unlock(&st->mu);
}

void hstream_unanswered(hstream *st)
{
    pthread_mutex_lock(&st->mu);
    if (!st->standalone && --st->pending <= 0 && !st->done) {
        st->done = true;
        start_sse_locked(st); /* nothing to answer: an event stream that simply ends */
        wake_locked(st);
    }
    pthread_mutex_unlock(&st->mu);
}

void hstream_retry_hint(hstream *st, int retry_ms)
{
    char hint[32];
    int n = snprintf(hint, sizeof hint, "retry: %d\n\n", retry_ms);
    pthread_mutex_lock(&st->mu);
    if (st->mode == HS_SSE && st->conn && !st->cut)
        out_append(st, hint, (size_t)n);
    wake_locked(st);
    pthread_mutex_unlock(&st->mu);
}

void hstream_finish(hstream *st)
{
    pthread_mutex_lock(&st->mu);
    st->done = true;
    st->standalone = false; /* a finished standalone stream ends too */
    wake_locked(st);
    pthread_mutex_unlock(&st->mu);
}

void hstream_resume_from(hstream *st, uint64_t seq)
{
    pthread_mutex_lock(&st->mu);
    bw_buf_reset(&st->out);
    for (size_t i = 0; i < st->n_events; i++)
        if (st->events[i].seq > seq)
            out_append(st, st->events[i].frame, st->events[i].len);
    st->cut = false;
    pthread_mutex_unlock(&st->mu);
}

/* The mcp_sse_streams gauge counts writers: an hwriter exists exactly while one connection is sent a stream as
 * text/event-stream (created only for SSE responses, freed by MHD when that response ends), so each increment here
 * has exactly one decrement in hwriter_free, whatever way the connection ends. */
hwriter *hwriter_new(hstream *st, struct MHD_Connection *conn)
{
    hwriter *w = malloc(sizeof *w);
    if (w) {
        hstream_ref(st);
        w->st = st;
        w->conn = conn;
        bw_metrics_sse_streams_add(1);
    }
    return w;
}

void hwriter_free(void *v)
{
    hwriter *w = v;
    bw_metrics_sse_streams_add(-1);
    hstream_unref(w->st);
    free(w);
}

void hstream_attach(hstream *st, struct MHD_Connection *conn)
{
    pthread_mutex_lock(&st->mu);
    if (st->conn && st->conn != conn && st->suspended)
        MHD_resume_connection(st->conn); /* the old writer reads once more, sees it was replaced, and ends */
    st->conn = conn;
    st->suspended = false;
    st->last_write_ms = bw_clock_ms();
    pthread_mutex_unlock(&st->mu);
}

ssize_t hstream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    hwriter *w = cls;
    hstream *st = w->st;
    ssize_t n = 0;
    pthread_mutex_lock(&st->mu);
    if (st->conn != w->conn) {
        n = MHD_CONTENT_READER_END_OF_STREAM; /* replaced by a resuming connection */
    } else if (st->out.len > 0) {
        n = (ssize_t)(st->out.len < max ? st->out.len : max);
        memcpy(buf, st->out.data, (size_t)n);
        bw_buf_consume(&st->out, (size_t)n);
        st->last_write_ms = bw_clock_ms();
    } else if ((st->done && !st->standalone) || st->cut) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (st->conn) {
        st->suspended = true;
        MHD_suspend_connection(st->conn);
    } else {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    }
    pthread_mutex_unlock(&st->mu);
    return n;
}

void hstream_keepalive(hstream *st, int64_t now_ms, int idle_ms)
{
    pthread_mutex_lock(&st->mu);
    if (st->conn && st->mode == HS_SSE && st->out.len == 0 && now_ms - st->last_write_ms >= idle_ms) {
        /* A comment line: ignored by clients, but it keeps proxies from cutting the stream and lets us notice a
         * client that went away (the write fails). */
        if (bw_buf_append(&st->out, ": keep-alive\n\n", 14) == BW_OK)
            wake_locked(st);
        st->last_write_ms = now_ms;
    }
    pthread_mutex_unlock(&st->mu);
}
