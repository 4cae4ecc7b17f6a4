/* The table of live HTTP sessions (a chained hash keyed by the session id) and each session's streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "protocol/jsonrpc.h"
#include "transport/http_internal.h"

static struct {
    pthread_mutex_t mu;
    hsession **buckets;
    size_t n_buckets, count;
} table = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void sink(void *ctx, const char *text, size_t len, const json_t *related_id, bw_out_kind kind);
static void close_stream_hook(void *ctx, const json_t *related_id, int retry_ms);
static void unanswered_hook(void *ctx, const json_t *related_id);
static void released_hook(void *ctx);
static void error_code_hook(void *ctx, const json_t *related_id, int code);
static const bw_transport_hooks hooks = {.close_stream = close_stream_hook,
                                         .unanswered = unanswered_hook,
                                         .released = released_hook,
                                         .error_code = error_code_hook};

static void error_code_hook(void *ctx, const json_t *related_id, int code)
{
    (void)related_id; /* a modern POST carries exactly one request */
    hsession *hs = ctx;
    atomic_store(&hs->rpc_error, code);
}

bool hsessions_init(size_t buckets)
{
    table.buckets = calloc(buckets, sizeof *table.buckets);
    table.n_buckets = buckets;
    return table.buckets != NULL;
}

void hsessions_destroy(void)
{
    free(table.buckets);
    table.buckets = NULL;
    table.n_buckets = table.count = 0;
}

static size_t bucket_of(const char *id)
{
    size_t h = 5381;
    for (const char *p = id; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return h % table.n_buckets;
}

static bool random_id(char *out)
{
    unsigned char raw[BW_SESSION_ID_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return false;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return true;
}

hsession *hsession_new(bw_server *srv, bool legacy, bool stateless)
{
    hsession *hs = calloc(1, sizeof *hs);
    if (!hs)
        return NULL;
    atomic_init(&hs->refs, 1);
    pthread_mutex_init(&hs->mu, NULL);
    hs->legacy = legacy;
    hs->stateless = stateless;
    hs->by_request = json_object();
    hs->last_used_ms = bw_clock_ms();
    if (!hs->by_request || !random_id(hs->id) ||
        !(hs->session = bw_session_new(srv, sink, hs))) {
        json_decref(hs->by_request);
        free(hs);
        return NULL;
    }
    hs->session->hooks = &hooks;
    return hs;
}

void hsession_ref(hsession *hs)
{
    atomic_fetch_add(&hs->refs, 1);
}

/* The HTTP side let go of the session. Its memory stays until the protocol session is released too, because
 * calls still running hold that one and reach us through the sink. */
void hsession_unref(hsession *hs)
{
    if (!hs || atomic_fetch_sub(&hs->refs, 1) != 1)
        return;
    bw_session_unref(hs->session);
}

static void released_hook(void *ctx)
{
    hsession *hs = ctx;
    for (size_t i = 0; i < hs->n_streams; i++)
        hstream_unref(hs->streams[i]);
    free(hs->streams);
    hstream_unref(hs->standalone);
    json_decref(hs->by_request);
    pthread_mutex_destroy(&hs->mu);
    free(hs);
}

bool hsessions_add(hsession *hs, size_t max_sessions)
{
    pthread_mutex_lock(&table.mu);
    bool ok = table.count < max_sessions;
    if (ok) {
        size_t b = bucket_of(hs->id);
        hsession_ref(hs);
        hs->next = table.buckets[b];
        table.buckets[b] = hs;
        table.count++;
    }
    pthread_mutex_unlock(&table.mu);
    return ok;
}

hsession *hsessions_find(const char *id)
{
    if (!id || strlen(id) != BW_SESSION_ID_LEN)
        return NULL;
    hsession *hs = NULL;
    pthread_mutex_lock(&table.mu);
    for (hsession *p = table.buckets[bucket_of(id)]; p; p = p->next) {
        if (!p->stateless && strcmp(p->id, id) == 0) {
            hs = p;
            hsession_ref(hs);
            hs->last_used_ms = bw_clock_ms();
            break;
        }
    }
    pthread_mutex_unlock(&table.mu);
    return hs;
}

/* Unlinks hs from the table; true if it was there (the table's reference passes to the caller). */
static bool unlink_session(hsession *hs)
{
    bool found = false;
    pthread_mutex_lock(&table.mu);
    for (hsession **pp = &table.buckets[bucket_of(hs->id)]; *pp; pp = &(*pp)->next) {
        if (*pp == hs) {
            *pp = hs->next;
            table.count--;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&table.mu);
    return found;
}

void hsession_close(hsession *hs)
{
    pthread_mutex_lock(&hs->mu);
    bool was_closed = hs->closed;
    hs->closed = true;
    pthread_mutex_unlock(&hs->mu);
    if (was_closed)
        return;
    bool in_table = unlink_session(hs);
    bw_session_peer_closed(hs->session);
    bw_session_cancel_all(hs->session, false);
    pthread_mutex_lock(&hs->mu);
    for (size_t i = 0; i < hs->n_streams; i++)
        hstream_finish(hs->streams[i]);
    if (hs->standalone)
        hstream_finish(hs->standalone);
    pthread_mutex_unlock(&hs->mu);
    if (in_table)
        hsession_unref(hs);
}

void hsessions_each(void (*fn)(hsession *hs, void *arg), void *arg)
{
    pthread_mutex_lock(&table.mu);
    for (size_t b = 0; b < table.n_buckets; b++)
        for (hsession *p = table.buckets[b]; p; p = p->next)
            fn(p, arg);
    pthread_mutex_unlock(&table.mu);
}

size_t hsessions_count(void)
{
    pthread_mutex_lock(&table.mu);
    size_t n = table.count;
    pthread_mutex_unlock(&table.mu);
    return n;
}

void hsessions_expire(int64_t now_ms, int idle_ms)
{
    /* Collect under the table lock, close outside it (closing takes the table lock again). */
    hsession *expired = NULL;
    pthread_mutex_lock(&table.mu);
    for (size_t b = 0; b < table.n_buckets; b++) {
        for (hsession *p = table.buckets[b]; p; p = p->next) {
            if (now_ms - p->last_used_ms > idle_ms) {
                hsession_ref(p);
                p->next_expired = expired;
                expired = p;
            }
        }
    }
    pthread_mutex_unlock(&table.mu);
    while (expired) {
        hsession *next = expired->next_expired;
        if (bw_session_inflight(expired->session) == 0) /* a long tool call keeps its session */
            hsession_close(expired);
        hsession_unref(expired);
        expired = next;
    }
}

/* ---- streams of a session ---- */

static void id_key(const json_t *id, char *out, size_t n)
{
    if (json_is_integer(id))
        snprintf(out, n, "i:%lld", (long long)json_integer_value(id));
    else
        snprintf(out, n, "s:%s", json_string_value(id) ? json_string_value(id) : "");
}

/* Adds st to the session's list, evicting the oldest finished streams beyond the bound. Caller holds hs->mu. */
static bool keep_stream_locked(hsession *hs, hstream *st)
{
    if (hs->n_streams == hs->cap_streams) {
        size_t cap = hs->cap_streams ? hs->cap_streams * 2 : 4;
        hstream **grown = realloc(hs->streams, cap * sizeof *grown);
        if (!grown)
            return false;
        hs->streams = grown;
        hs->cap_streams = cap;
    }
    hstream_ref(st);
    hs->streams[hs->n_streams++] = st;
    while (hs->n_streams > BW_STREAMS_KEPT) {
        size_t victim = hs->n_streams;
        for (size_t i = 0; i < hs->n_streams && victim == hs->n_streams; i++)
            if (hs->streams[i]->done && !hs->streams[i]->conn)
                victim = i;
        if (victim == hs->n_streams)
            break; /* every kept stream is still live */
        hstream_unref(hs->streams[victim]);
        memmove(&hs->streams[victim], &hs->streams[victim + 1], (hs->n_streams - victim - 1) * sizeof *hs->streams);
        hs->n_streams--;
    }
    return true;
}

static void map_request(hsession *hs, const json_t *req, hstream *st, int *count)
{
    const json_t *id = json_object_get(req, "id");
    if (!json_object_get(req, "method") || !bw_rpc_valid_id(id))
        return;
    char key[160];
    id_key(id, key, sizeof key);
    json_object_set_new(hs->by_request, key, json_integer((json_int_t)st->id));
    (*count)++;
}

hstream *hsession_open_post(hsession *hs, const json_t *msg, bool priming)
{
    pthread_mutex_lock(&hs->mu);
    hstream *st = hstream_new(++hs->next_stream_id, false, false, priming);
    if (!st || !keep_stream_locked(hs, st)) {
        pthread_mutex_unlock(&hs->mu);
        hstream_unref(st);
        return NULL;
    }
    int count = 0;
    if (json_is_array(msg)) {
        size_t i;
        json_t *el;
        json_array_foreach(msg, i, el)
            map_request(hs, el, st, &count);
    } else {
        map_request(hs, msg, st, &count);
    }
    st->pending = count;
    pthread_mutex_unlock(&hs->mu);
    return st;
}

static hstream *stream_by_id_locked(hsession *hs, unsigned id)
{
    for (size_t i = 0; i < hs->n_streams; i++)
        if (hs->streams[i]->id == id)
            return hs->streams[i];
    if (hs->standalone && hs->standalone->id == id)
        return hs->standalone;
    return NULL;
}

hstream *hsession_find_event_stream(hsession *hs, const char *last_event_id, uint64_t *seq)
{
    unsigned sid = 0;
    unsigned long long n = 0;
    int used = 0;
    if (!last_event_id || sscanf(last_event_id, "%u-%llu%n", &sid, &n, &used) != 2 || last_event_id[used])
        return NULL;
    pthread_mutex_lock(&hs->mu);
    hstream *st = stream_by_id_locked(hs, sid);
    if (st)
        hstream_ref(st);
    pthread_mutex_unlock(&hs->mu);
    *seq = n;
    return st;
}

hstream *hsession_open_standalone(hsession *hs, bool priming)
{
    pthread_mutex_lock(&hs->mu);
    hstream *old = hs->standalone;
    hstream *st = hstream_new(++hs->next_stream_id, true, hs->legacy, priming);
    if (st) {
        hs->standalone = st;
        hstream_ref(st);
    } else {
        hs->standalone = old;
        old = NULL;
    }
    pthread_mutex_unlock(&hs->mu);
    if (old) {
        hstream_finish(old);
        hstream_unref(old);
    }
    return st;
}

/* Routes an outgoing message: to the POST stream carrying its request, else to the standalone stream. */
static void sink(void *ctx, const char *text, size_t len, const json_t *related_id, bw_out_kind kind)
{
    hsession *hs = ctx;
    hstream *st = NULL;
    pthread_mutex_lock(&hs->mu);
    if (related_id && !hs->legacy) {
        char key[160];
        id_key(related_id, key, sizeof key);
        json_t *sid = json_object_get(hs->by_request, key);
        if (sid)
            st = stream_by_id_locked(hs, (unsigned)json_integer_value(sid));
        if (st && (kind == BW_OUT_RESPONSE || kind == BW_OUT_BATCH))
            json_object_del(hs->by_request, key);
    }
    if (!st)
        st = hs->standalone;
    if (st)
        hstream_ref(st);
    pthread_mutex_unlock(&hs->mu);
    if (!st)
        return; /* a session-wide message with no stream open to take it: the client chose not to listen */
    hstream_push(st, text, len, kind);
    hstream_unref(st);
}

/* The stream carrying request related_id (a reference), or NULL; `forget` drops the mapping. */
static hstream *stream_of_request(hsession *hs, const json_t *related_id, bool forget)
{
    char key[160];
    id_key(related_id, key, sizeof key);
    pthread_mutex_lock(&hs->mu);
    json_t *sid = json_object_get(hs->by_request, key);
    hstream *st = sid ? stream_by_id_locked(hs, (unsigned)json_integer_value(sid)) : NULL;
    if (st)
        hstream_ref(st);
    if (sid && forget)
        json_object_del(hs->by_request, key);
    pthread_mutex_unlock(&hs->mu);
    return st;
}

static void close_stream_hook(void *ctx, const json_t *related_id, int retry_ms)
{
    hstream *st = stream_of_request(ctx, related_id, false);
    if (st) {
        hstream_cut(st, retry_ms);
        hstream_unref(st);
    }
}

static void unanswered_hook(void *ctx, const json_t *related_id)
{
    hstream *st = stream_of_request(ctx, related_id, true);
    if (st) {
        hstream_unanswered(st);
        hstream_unref(st);
    }
}
