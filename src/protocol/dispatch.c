#include "protocol/dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "observability/audit.h"
#include "observability/observe.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/listen.h"
#include "protocol/server_internal.h"
#include "protocol/skills.h"
#include "protocol/tasks.h"

static const bw_method methods[] = {
    {"initialize", bw_m_initialize, BW_M_PRE_INIT | BW_M_LEGACY_ONLY, NULL},
    {"ping", bw_m_ping, BW_M_PRE_INIT | BW_M_LEGACY_ONLY, NULL},
    {"logging/setLevel", bw_m_set_level, BW_M_LEGACY_ONLY, "logging"},
    {"tools/list", bw_m_tools_list, 0, "tools"},
    {"tools/call", bw_m_tools_call, BW_M_WORKER, "tools"},
    {"resources/list", bw_m_resources_list, 0, "resources"},
    {"resources/templates/list", bw_m_templates_list, 0, "resources"},
    {"resources/read", bw_m_resources_read, BW_M_WORKER, "resources"},
    {"resources/subscribe", bw_m_subscribe, BW_M_LEGACY_ONLY, "resources"},
    {"resources/unsubscribe", bw_m_unsubscribe, BW_M_LEGACY_ONLY, "resources"},
    {"prompts/list", bw_m_prompts_list, 0, "prompts"},
    {"prompts/get", bw_m_prompts_get, BW_M_WORKER, "prompts"},
    {"completion/complete", bw_m_complete, BW_M_WORKER, "completions"},
    {"server/discover", bw_m_discover, BW_M_MODERN_ONLY, NULL},
    {"subscriptions/listen", bw_m_listen, BW_M_MODERN_ONLY, NULL},
    {"tasks/get", bw_m_tasks_get, BW_M_MODERN_ONLY, "tasks"},
    {"tasks/update", bw_m_tasks_update, BW_M_MODERN_ONLY | BW_M_WORKER, "tasks"},
    {"tasks/cancel", bw_m_tasks_cancel, BW_M_MODERN_ONLY, "tasks"},
    {"skills/list", bw_m_skills_list, BW_M_MODERN_ONLY, "skills"},
    {"skills/get", bw_m_skills_get, BW_M_MODERN_ONLY, "skills"},
    {"resources/directory/read", bw_m_directory_read, BW_M_MODERN_ONLY, "skills"},
};

const bw_method *bw_method_find(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}

struct bw_batch {
    pthread_mutex_t mu;
    int remaining;
    json_t *responses;
    json_t *first_id;   /* the first request's id, naming the batch to the transport */
    bw_session *session;
};

bw_batch *bw_batch_new(bw_session *s)
{
    bw_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_init(&b->mu, NULL);
    b->remaining = 1; /* the dispatcher's hold, released by bw_batch_seal */
    b->responses = json_array();
    b->session = s;
    bw_session_ref(s);
    return b;
}

void bw_batch_note_id(bw_batch *b, const json_t *id)
{
    if (!b->first_id && id)
        b->first_id = json_incref((json_t *)id);
}

void bw_batch_expect(bw_batch *b)
{
    pthread_mutex_lock(&b->mu);
    b->remaining++;
    pthread_mutex_unlock(&b->mu);
}

void bw_batch_add(bw_batch *b, json_t *response)
{
    pthread_mutex_lock(&b->mu);
    if (response)
        json_array_append_new(b->responses, response);
    bool done = --b->remaining == 0;
    pthread_mutex_unlock(&b->mu);
    if (!done)
        return;
    /* A batch of notifications only gets no reply at all. */
    if (json_array_size(b->responses) > 0)
        bw_session_send(b->session, b->responses, b->first_id);
    json_decref(b->responses);
    json_decref(b->first_id);
    bw_session_unref(b->session);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

void bw_batch_seal(bw_batch *b)
{
    bw_batch_add(b, NULL);
}

/* Tells the transport the JSON-RPC error code of a modern request's answer (HTTP maps it to a status). */
static void note_error(bw_session *s, const json_t *id, int code)
{
    if (s->hooks && s->hooks->error_code)
        s->hooks->error_code(s->sink_ctx, id, code);
}

void bw_dispatch_reply_error(bw_session *s, const json_t *id, int code, const char *message, json_t *data,
                             bool modern)
{
    json_t *err = bw_rpc_error(id, code, message, data);
    if (modern)
        note_error(s, id, code);
    bw_session_send(s, err, id);
    json_decref(err);
}

static void reply_now(bw_session *s, bw_batch *batch, json_t *response, const json_t *id)
{
    if (batch) {
        bw_batch_expect(batch);
        bw_batch_add(batch, response);
        return;
    }
    bw_session_send(s, response, id);
    json_decref(response);
}

/* Every stateless-era result says what it is ("complete" unless input_required or task); errors tell the transport
 * their code. */
static void shape_modern(bw_call *call)
{
    if (call->reply_result && json_is_object(call->reply_result) && !json_object_get(call->reply_result, "resultType"))
        json_object_set_new(call->reply_result, "resultType", json_string("complete"));
    if (call->reply_error)
        note_error(call->session, call->id,
                   (int)json_integer_value(json_object_get(call->reply_error, "code")));
}

/* Sends the call's response (unless it was cancelled) and frees it. */
static void finish(bw_call *call, bool was_inflight)
{
    bw_session *s = call->session;
    if (was_inflight && !call->task) {
        pthread_mutex_lock(&s->mu);
        for (bw_call **pp = &s->inflight; *pp; pp = &(*pp)->next_inflight) {
            if (*pp == call) {
                *pp = call->next_inflight;
                break;
            }
        }
        if (--s->n_inflight == 0)
            pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->mu);
    }
    if (call->task) {
        bw_obs_call_end(call, true);
        bw_task_settle(call); /* a task's outcome goes to its record, not to the (long answered) request */
        return;
    }
    /* A cancelled request is never answered (initialize cannot be cancelled), unless the server cancelled it at
     * shutdown: then the client gets an explicit error rather than a request that never ends. */
    bool shutdown = atomic_load(&call->shutdown_cancelled) && !call->detached;
    if (shutdown)
        bw_call_reply_errorf(call, BW_RPC_SERVER_OVERLOADED,
                             "Server shutting down: the request was cancelled after the %d ms grace period",
                             s->srv->limits.shutdown_grace_ms);
    bool answer = bw_call_replied(call) && !call->detached &&
                  (shutdown || !(atomic_load(&call->cancelled) && strcmp(call->method->name, "initialize") != 0));
    if (answer && call->modern)
        shape_modern(call);
    /* Observed before the answer leaves: a client that has its answer finds the call in /metrics, /events and the
     * log (a test, or an operator, reading right after a response never misses it). */
    bw_obs_call_end(call, answer);
    if (call->batch) {
        json_t *response = NULL;
        if (answer && call->reply_result)
            response = bw_rpc_result(call->id, json_incref(call->reply_result));
        else if (answer)
            response = bw_rpc_error_object(call->id, json_incref(call->reply_error));
        bw_batch_add(call->batch, response);
    } else if (answer) {
        bw_session_send_reply(s, call->id, call->reply_result, call->reply_error);
    } else if (s->hooks && s->hooks->unanswered && !call->detached) {
        s->hooks->unanswered(s->sink_ctx, call->id);
    }
    bw_call_free(call);
}

static void run_job(void *arg)
{
    bw_call *call = arg;
    if (!atomic_load(&call->cancelled)) /* cancelled while queued (e.g. at shutdown): nothing to start */
        call->method->fn(call);
    finish(call, true);
}

/* Rejects a request whose id is already in flight, and enforces the per-session bound. Caller holds s->mu. */
static int admit_locked(bw_session *s, const json_t *id, const char **why)
{
    for (bw_call *c = s->inflight; c; c = c->next_inflight) {
        if (json_equal(c->id, (json_t *)id)) {
            *why = "Invalid Request: a request with this id is already in flight";
            return BW_RPC_INVALID_REQUEST;
        }
    }
    if (s->n_inflight >= s->srv->limits.max_in_flight) {
        *why = "Server overloaded: too many requests in flight on this session; retry later";
        return BW_RPC_SERVER_OVERLOADED;
    }
    return 0;
}

static bool capability_declared(bw_server *srv, const char *cap)
{
    if (!cap || strcmp(cap, "logging") == 0)
        return true;
    if (strcmp(cap, "tools") == 0)
        return bw_registry_count(&srv->reg, BW_KIND_TOOL) > 0;
    if (strcmp(cap, "resources") == 0)
        return bw_registry_count(&srv->reg, BW_KIND_RESOURCE) + bw_registry_count(&srv->reg, BW_KIND_TEMPLATE) > 0;
    if (strcmp(cap, "prompts") == 0)
        return bw_registry_count(&srv->reg, BW_KIND_PROMPT) > 0;
    if (strcmp(cap, "completions") == 0)
        return srv->complete != NULL;
    if (strcmp(cap, "skills") == 0) {
        json_t *skills = bw_skills_capability(srv);
        json_decref(skills);
        return skills != NULL;
    }
    if (strcmp(cap, "tasks") == 0)
        return bw_tasks_offered(srv);
    return false;
}

/* The checks every request passes before it runs. Returns 0 or a JSON-RPC error code with *why set. */
/* The stateless revision has no session to initialize, and its own method set. */
static int gate_era(const bw_envelope *env, bw_revision rev, const bw_method *m, const char *name, char *why,
                    size_t whylen)
{
    bool modern = env && env->rev;
    if (m && !(m->flags & (modern ? BW_M_LEGACY_ONLY : BW_M_MODERN_ONLY)))
        return 0;
    if (!modern && rev == BW_REV_UNKNOWN && !(m && (m->flags & BW_M_PRE_INIT)))
        return 0; /* "not initialized" is reported by gate() */
    snprintf(why, whylen, "Method not found: %s%s", name,
             !m ? "" : modern ? " (not part of protocol revision 2026-07-28)"
                              : " (only in protocol revision 2026-07-28; send the request with its _meta envelope)");
    return BW_RPC_METHOD_NOT_FOUND;
}

static int gate(bw_session *s, const bw_method *m, const char *name, const json_t *params, bw_batch *batch,
                const bw_envelope *env, char *why, size_t whylen)
{
    bw_revision rev = env && env->rev ? env->rev : bw_session_revision(s);
    int code = gate_era(env, bw_session_revision(s), m, name, why, whylen);
    if (code)
        return code;
    if (rev == BW_REV_UNKNOWN && !(m && (m->flags & BW_M_PRE_INIT))) {
        snprintf(why, whylen, "Invalid Request: the session is not initialized; send initialize first");
        return BW_RPC_INVALID_REQUEST;
    }
    if (!m) {
        snprintf(why, whylen, "Method not found: %s", name);
        return BW_RPC_METHOD_NOT_FOUND;
    }
    if (params && !json_is_object(params)) {
        snprintf(why, whylen, "Invalid params: \"params\" must be an object");
        return BW_RPC_INVALID_PARAMS;
    }
    if (batch && strcmp(name, "initialize") == 0) {
        snprintf(why, whylen, "Invalid Request: initialize must not be part of a JSON-RPC batch");
        return BW_RPC_INVALID_REQUEST;
    }
    if (!capability_declared(s->srv, m->capability) ||
        (m->capability && !strcmp(m->capability, "completions") && !bw_revision_has_completions(rev))) {
        snprintf(why, whylen, "Method not found: %s (capability \"%s\" is not offered)", name, m->capability);
        return BW_RPC_METHOD_NOT_FOUND;
    }
    return 0;
}

/* A call refused at admission (duplicate id, per-session bound): observed as an error, then freed. The caller sends
 * the error. */
static void refuse_call(bw_call *call, int code, const char *why)
{
    if (code == BW_RPC_SERVER_OVERLOADED)
        bw_obs_set_error_type(call, "rejected");
    bw_call_reply_error(call, code, why, NULL);
    bw_obs_call_end(call, true);
    bw_call_free(call);
}

static void dispatch_worker(bw_session *s, bw_call *call, const json_t *id, bw_batch *batch)
{
    const char *why = NULL;
    pthread_mutex_lock(&s->mu);
    int code = admit_locked(s, id, &why);
    if (!code) {
        call->next_inflight = s->inflight;
        s->inflight = call;
        s->n_inflight++;
    }
    pthread_mutex_unlock(&s->mu);
    if (code) {
        refuse_call(call, code, why);
        reply_now(s, batch, bw_rpc_error(id, code, why, NULL), id);
        return;
    }
    if (batch)
        bw_batch_expect(batch);
    bw_status st = bw_workpool_submit(s->srv->pool, run_job, call);
    if (st != BW_OK) {
        bw_call_reply_error(call, BW_RPC_SERVER_OVERLOADED,
                            st == BW_E_OVERLOADED ? "Server overloaded: the work queue is full; retry later"
                                                  : "Server is shutting down",
                            NULL);
        finish(call, true);
    }
}

/* A tools/call of a tool registered BW_TOOL_NONBLOCKING skips the worker pool. */
static bool runs_inline(bw_server *srv, const bw_method *m, const json_t *params)
{
    if (m->fn != bw_m_tools_call)
        return false;
    const char *name = json_string_value(json_object_get(params, "name"));
    bw_entry *tool = name ? bw_registry_get(&srv->reg, BW_KIND_TOOL, name) : NULL;
    bool yes = tool && tool->nonblocking;
    bw_entry_unref(tool);
    return yes;
}

void bw_dispatch_request(bw_session *s, const json_t *msg, const json_t *id, bw_batch *batch, const bw_envelope *env)
{
    const char *name = json_string_value(json_object_get(msg, "method"));
    const json_t *params = json_object_get(msg, "params");
    const bw_method *m = bw_method_find(name);
    if (batch)
        bw_batch_note_id(batch, id);
    char why[256];
    int code = gate(s, m, name, params, batch, env, why, sizeof why);
    if (code)
        bw_obs_request_refused(s->srv, name, code, why);
    if (code && env && env->rev) {
        bw_dispatch_reply_error(s, id, code, why, NULL, true);
        return;
    }
    if (code) {
        reply_now(s, batch, bw_rpc_error(id, code, why, NULL), id);
        return;
    }
    bw_call *call = bw_call_new(s, m, id, params, env);
    if (!call) {
        reply_now(s, batch, bw_rpc_error(id, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL), id);
        return;
    }
    call->batch = batch;
    if (bw_audit_method(m->name) && !bw_audit_admit(call, why, sizeof why)) {
        /* A fail-closed audit trail that cannot take the record: the call must not run unrecorded. */
        bw_obs_set_error_type(call, "audit_unavailable");
        bw_call_reply_error(call, BW_RPC_SERVER_OVERLOADED, why, NULL);
        if (batch)
            bw_batch_expect(batch);
        finish(call, false);
        return;
    }
    call->on_reader = runs_inline(s->srv, m, params);
    if ((m->flags & BW_M_WORKER) && !call->on_reader) {
        dispatch_worker(s, call, id, batch);
        return;
    }
    const char *dup = NULL;
    pthread_mutex_lock(&s->mu);
    code = admit_locked(s, id, &dup);
    pthread_mutex_unlock(&s->mu);
    if (code == BW_RPC_INVALID_REQUEST) {
        refuse_call(call, code, dup);
        reply_now(s, batch, bw_rpc_error(id, code, dup, NULL), id);
        return;
    }
    if (batch)
        bw_batch_expect(batch);
    m->fn(call);
    finish(call, false);
}
