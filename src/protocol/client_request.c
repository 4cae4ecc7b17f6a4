/* Server->client requests (sampling, elicitation, roots) in the session-based era: send on the originating
 * call's stream, then wait on the call's condition until the client's answer arrives on another message, the
 * deadline passes, the call is cancelled or the peer goes away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/sync.h"
#include "protocol/call_internal.h"
#include "protocol/jsonrpc.h"
#include "protocol/listen.h"
#include "protocol/session.h"

struct bw_pending_out {
    json_int_t id;
    bw_call *call;
    atomic_bool done;
    json_t *answer;          /* the whole response message, owned; NULL when the peer went away */
    bw_pending_out *next;
};

static void wake(bw_pending_out *p)
{
    atomic_store(&p->done, true);
    pthread_mutex_lock(&p->call->mu);
    pthread_cond_broadcast(&p->call->cv);
    pthread_mutex_unlock(&p->call->mu);
}

void bw_session_deliver_response(bw_session *s, const json_t *msg)
{
    const json_t *id = json_object_get(msg, "id");
    if (!json_is_integer(id))
        return; /* we only ever send integer ids: anything else answers nothing of ours */
    pthread_mutex_lock(&s->mu);
    for (bw_pending_out *p = s->pending; p; p = p->next) {
        if (p->id == json_integer_value(id) && !atomic_load(&p->done)) {
            p->answer = json_incref((json_t *)msg);
            wake(p);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    /* A response to an unknown id is ignored, as the spec allows. */
}

void bw_session_peer_closed(bw_session *s)
{
    bw_listen_drop_session(s->srv, s);
    pthread_mutex_lock(&s->mu);
    s->peer_closed = true;
    for (bw_pending_out *p = s->pending; p; p = p->next)
        if (!atomic_load(&p->done))
            wake(p);
    pthread_mutex_unlock(&s->mu);
}

void bw_session_wake_call(bw_session *s, bw_call *call)
{
    (void)s;
    pthread_mutex_lock(&call->mu);
    pthread_cond_broadcast(&call->cv);
    pthread_mutex_unlock(&call->mu);
}

static bw_pending_out *enlist(bw_session *s, bw_call *call, bool *closed)
{
    bw_pending_out *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->call = call;
    pthread_mutex_lock(&s->mu);
    *closed = s->peer_closed;
    p->id = s->next_out_id++;
    p->next = s->pending;
    s->pending = p;
    pthread_mutex_unlock(&s->mu);
    return p;
}

static void delist(bw_session *s, bw_pending_out *p)
{
    pthread_mutex_lock(&s->mu);
    for (bw_pending_out **pp = &s->pending; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    json_decref(p->answer);
    free(p);
}

/* Waits for the answer. Returns BW_OK, BW_E_TIMEOUT or BW_E_CANCELLED. */
static bw_status await(bw_pending_out *p, bw_call *call, int64_t deadline_ms)
{
    int rc = 0;
    pthread_mutex_lock(&call->mu);
    while (!atomic_load(&p->done) && !atomic_load(&call->cancelled) && rc == 0)
        rc = bw_cond_wait_until(&call->cv, &call->mu, deadline_ms);
    pthread_mutex_unlock(&call->mu);
    if (atomic_load(&p->done))
        return BW_OK;
    return atomic_load(&call->cancelled) ? BW_E_CANCELLED : BW_E_TIMEOUT;
}

static bw_status read_answer(const json_t *answer, json_t **result, char *err, size_t errlen)
{
    if (!answer) {
        snprintf(err, errlen, "the client disconnected before answering");
        return BW_E_IO;
    }
    const json_t *error = json_object_get(answer, "error");
    if (error) {
        snprintf(err, errlen, "the client answered with error %lld: %s",
                 (long long)json_integer_value(json_object_get(error, "code")),
                 json_string_value(json_object_get(error, "message")) ?: "");
        return BW_E_REJECTED;
    }
    *result = json_incref(json_object_get(answer, "result"));
    return BW_OK;
}

bw_status bw_session_request(bw_session *s, bw_call *call, const char *method, json_t *params,
                             int64_t deadline_ms, json_t **result, char *err, size_t errlen)
{
    bool closed = false;
    bw_pending_out *p = enlist(s, call, &closed);
    if (!p) {
        json_decref(params);
        return BW_E_NOMEM;
    }
    if (closed) {
        json_decref(params);
        delist(s, p);
        snprintf(err, errlen, "the client disconnected");
        return BW_E_IO;
    }
    json_t *req = bw_rpc_request(p->id, method, params);
    bw_session_send(s, req, call->id);
    json_decref(req);
    bw_status st = await(p, call, deadline_ms);
    if (st == BW_OK) {
        st = read_answer(p->answer, result, err, errlen);
    } else {
        snprintf(err, errlen, "%s %s", method,
                 st == BW_E_TIMEOUT ? "got no answer before the deadline" : "was cancelled");
        /* Tell the client to stop working on a request we no longer wait for. */
        json_t *params_c = json_pack("{s:I,s:s}", "requestId", (json_int_t)p->id, "reason",
                                     st == BW_E_TIMEOUT ? "timed out" : "cancelled");
        json_t *note = bw_rpc_notification("notifications/cancelled", params_c);
        bw_session_send(s, note, call->id);
        json_decref(note);
    }
    delist(s, p);
    return st;
}
