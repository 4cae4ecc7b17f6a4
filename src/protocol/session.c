#include "protocol/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sync.h"
#include "protocol/call_internal.h"
#include "protocol/dispatch.h"
#include "protocol/encode.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/listen.h"
#include "protocol/server_internal.h"
#include "observability/log.h"

bw_session *bw_session_new(bw_server *srv, bw_sink_fn sink, void *sink_ctx)
{
    bw_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->srv = srv;
    s->sink = sink;
    s->sink_ctx = sink_ctx;
    pthread_mutex_init(&s->mu, NULL);
    bw_cond_init_monotonic(&s->idle);
    s->client_caps = json_object();
    s->client_info = json_object();
    s->subscriptions = json_object();
    s->next_out_id = 1;
    /* Like the reference SDK, every level is sent until the client picks one with logging/setLevel. */
    atomic_init(&s->log_level, BW_LOG_DEBUG);
    atomic_init(&s->rev, BW_REV_UNKNOWN);
    bw_server_attach(srv, s);
    return s;
}

void bw_session_ref(bw_session *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void bw_session_unref(bw_session *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    bw_server_detach(s->srv, s);
    if (s->hooks && s->hooks->released)
        s->hooks->released(s->sink_ctx);
    json_decref(s->client_caps);
    json_decref(s->client_info);
    json_decref(s->subscriptions);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->idle);
    free(s);
}

static void encode_failed(void)
{
    bw_log_msg(BW_LL_ERROR, "out of memory encoding an outgoing message; it was dropped");
}

static bw_out_kind kind_of(const json_t *msg)
{
    if (json_is_array(msg))
        return BW_OUT_BATCH;
    if (json_object_get(msg, "method"))
        return json_object_get(msg, "id") ? BW_OUT_REQUEST : BW_OUT_NOTIFICATION;
    return json_is_null(json_object_get(msg, "id")) ? BW_OUT_ERROR : BW_OUT_RESPONSE;
}

void bw_session_send(bw_session *s, const json_t *msg, const json_t *related_id)
{
    size_t len = 0;
    const char *text = msg ? bw_encode(msg, &len) : NULL;
    if (text)
        s->sink(s->sink_ctx, text, len, related_id, kind_of(msg));
    else if (msg)
        encode_failed();
}

void bw_session_send_reply(bw_session *s, const json_t *id, const json_t *result, const json_t *error)
{
    size_t len = 0;
    const char *text = bw_encode_reply(id, result, error, &len);
    if (text)
        s->sink(s->sink_ctx, text, len, id, BW_OUT_RESPONSE);
    else
        encode_failed();
}

bw_revision bw_session_revision(bw_session *s)
{
    return (bw_revision)atomic_load_explicit(&s->rev, memory_order_acquire);
}

void bw_session_send_error(bw_session *s, int code, const char *message)
{
    json_t *err = bw_rpc_error(NULL, code, message, NULL);
    bw_session_send(s, err, NULL);
    json_decref(err);
}

void bw_call_close_stream(bw_call *call, int retry_ms)
{
    bw_session *s = call->session;
    if (s->hooks && s->hooks->close_stream)
        s->hooks->close_stream(s->sink_ctx, call->id, retry_ms > 0 ? retry_ms : 1000);
}

static void on_cancelled(bw_session *s, const json_t *params)
{
    const json_t *rid = json_object_get(params, "requestId");
    if (!bw_rpc_valid_id(rid))
        return;
    if (bw_listen_cancel(s->srv, s, rid))
        return; /* a subscriptions/listen stream (stdio) */
    /* Cancel under the session lock so the call cannot be finished and freed meanwhile. */
    pthread_mutex_lock(&s->mu);
    for (bw_call *c = s->inflight; c; c = c->next_inflight)
        if (json_equal(c->id, (json_t *)rid))
            bw_call_cancel(c);
    pthread_mutex_unlock(&s->mu);
}

static void handle_notification(bw_session *s, const json_t *msg)
{
    const char *method = json_string_value(json_object_get(msg, "method"));
    const json_t *params = json_object_get(msg, "params");
    if (strcmp(method, "notifications/initialized") == 0) {
        pthread_mutex_lock(&s->mu);
        s->client_ready = atomic_load(&s->rev) != BW_REV_UNKNOWN;
        pthread_mutex_unlock(&s->mu);
    } else if (strcmp(method, "notifications/cancelled") == 0) {
        on_cancelled(s, params);
    }
    /* Everything else (progress, roots/list_changed, unknown) needs no action; notifications are never answered. */
}

/* A request outside a batch: which era it belongs to decides how it is served (era.h). */
static void handle_request(bw_session *s, const json_t *msg, const json_t *id, bw_batch *batch)
{
    bw_envelope env;
    json_t *data = NULL;
    char why[300];
    int code = batch ? 0 : bw_era_classify(msg, s->header_version, &env, why, sizeof why, &data);
    if (code) {
        bw_dispatch_reply_error(s, id, code, why, data, true);
        return;
    }
    bw_dispatch_request(s, msg, id, batch, batch ? NULL : &env);
}

static void handle_message(bw_session *s, const json_t *msg, bw_batch *batch)
{
    const json_t *id = NULL;
    const char *why = NULL;
    switch (bw_rpc_classify(msg, &id, &why)) {
    case BW_MSG_REQUEST:
        handle_request(s, msg, id, batch);
        return;
    case BW_MSG_NOTIFICATION:
        handle_notification(s, msg);
        return;
    case BW_MSG_RESPONSE:
        bw_session_deliver_response(s, msg);
        return;
    case BW_MSG_INVALID: {
        json_t *err = bw_rpc_error(id, BW_RPC_INVALID_REQUEST, why, NULL);
        if (batch) {
            bw_batch_expect(batch);
            bw_batch_add(batch, err);
        } else {
            bw_session_send(s, err, id);
            json_decref(err);
        }
        return;
    }
    }
}

static void handle_batch(bw_session *s, const json_t *arr)
{
    bw_revision rev = bw_session_revision(s);
    if (!bw_revision_allows_batch(rev)) {
        char why[160];
        snprintf(why, sizeof why, "Invalid Request: JSON-RPC batches are not supported in protocol revision %s",
                 rev ? bw_revision_str(rev) : "(none negotiated)");
        bw_session_send_error(s, BW_RPC_INVALID_REQUEST, why);
        return;
    }
    if (json_array_size(arr) == 0) {
        bw_session_send_error(s, BW_RPC_INVALID_REQUEST, "Invalid Request: empty batch");
        return;
    }
    bw_batch *b = bw_batch_new(s);
    if (!b) {
        bw_session_send_error(s, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory");
        return;
    }
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
        handle_message(s, el, b);
    bw_batch_seal(b);
}

void bw_session_assume(bw_session *s, bw_revision rev)
{
    atomic_store_explicit(&s->rev, rev ? rev : BW_REV_2025_03_26, memory_order_release);
}

void bw_session_receive_json(bw_session *s, const json_t *msg)
{
    if (json_is_array(msg))
        handle_batch(s, msg);
    else
        handle_message(s, msg, NULL);
}

void bw_session_receive(bw_session *s, const char *text, size_t len)
{
    int code = 0;
    char why[200];
    json_t *msg = bw_rpc_decode(text, len, s->srv->limits.max_depth, &code, why, sizeof why);
    if (!msg) {
        bw_session_send_error(s, code, why);
        return;
    }
    bw_session_receive_json(s, msg);
    json_decref(msg);
}

void bw_session_cancel_all(bw_session *s, bool for_shutdown)
{
    bw_listen_drop_session(s->srv, s);
    pthread_mutex_lock(&s->mu);
    for (bw_call *c = s->inflight; c; c = c->next_inflight) {
        if (for_shutdown)
            atomic_store(&c->shutdown_cancelled, true);
        bw_call_cancel(c);
    }
    pthread_mutex_unlock(&s->mu);
}

int bw_session_inflight(bw_session *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_inflight;
    pthread_mutex_unlock(&s->mu);
    return n;
}

bool bw_session_wait_idle(bw_session *s, int64_t deadline_ms)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (s->n_inflight > 0 && rc == 0)
        rc = bw_cond_wait_until(&s->idle, &s->mu, deadline_ms);
    bool idle = s->n_inflight == 0;
    pthread_mutex_unlock(&s->mu);
    return idle;
}
