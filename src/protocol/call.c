/* The call context: identity, deadline, cancellation, progress, logging and server->client requests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/sync.h"
#include "bulwark/policy.h"
#include "protocol/call_internal.h"
#include "protocol/dispatch.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/mrtr.h"
#include "protocol/server_internal.h"
#include "protocol/tasks.h"

/* W3C trace context travels in _meta under its own (unprefixed) names, in either era. */
static json_t *trace_of(const json_t *meta)
{
    static const char *const keys[] = {"traceparent", "tracestate", "baggage"};
    json_t *t = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(meta, keys[i]);
        if (!json_is_string(v) || json_string_length(v) > 8192)
            continue;
        if (!t)
            t = json_object();
        json_object_set(t, keys[i], (json_t *)v);
    }
    return t;
}

static void take_envelope(bw_call *c, bw_session *s, const bw_envelope *env)
{
    if (env && env->rev) {
        c->modern = true;
        c->rev = env->rev;
        c->caps = json_incref((json_t *)env->caps);
        c->client_info = env->client_info ? json_incref((json_t *)env->client_info) : json_object();
        c->log_level = env->log_level >= 0 ? env->log_level : BW_LOG_NONE;
        return;
    }
    /* Legacy: the session's, fixed once initialize set the revision (read before it, they are still {}). */
    c->rev = bw_session_revision(s);
    c->caps = json_incref(s->client_caps);
    c->client_info = json_incref(s->client_info);
}

bw_call *bw_call_new(bw_session *s, const bw_method *m, const json_t *id, const json_t *params,
                     const bw_envelope *env)
{
    bw_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    bw_session_ref(s);
    c->session = s;
    c->srv = s->srv;
    c->method = m;
    c->id = json_incref((json_t *)id);
    c->params = params ? json_incref((json_t *)params) : json_object();
    c->progress_token = json_object_get(json_object_get(c->params, "_meta"), "progressToken");
    if (c->progress_token && !bw_rpc_valid_id(c->progress_token))
        c->progress_token = NULL;
    c->started_ms = bw_clock_ms();
    c->deadline_ms = c->started_ms + s->srv->limits.request_timeout_ms;
    take_envelope(c, s, env);
    c->trace = trace_of(json_object_get(c->params, "_meta"));
    c->result.total = -1;
    atomic_init(&c->cancelled, false);
    atomic_init(&c->shutdown_cancelled, false);
    pthread_mutex_init(&c->mu, NULL);
    bw_cond_init_monotonic(&c->cv);
    bw_obs_call_begin(c);
    return c;
}

void bw_call_free(bw_call *c)
{
    if (!c)
        return;
    bw_obs_call_end(c, false); /* a call freed without passing dispatch's finish (e.g. a task that never ran) */
    bw_result_clear(&c->result);
    json_decref(c->reply_result);
    json_decref(c->reply_error);
    json_decref(c->id);
    json_decref(c->params);
    json_decref(c->caps);
    json_decref(c->client_info);
    json_decref(c->trace);
    json_decref(c->answers);
    json_decref(c->input_requests);
    json_decref(c->missing_caps);
    json_decref(c->user_state);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    bw_session_unref(c->session);
    free(c);
}

void bw_call_cancel(bw_call *c)
{
    if (atomic_exchange(&c->cancelled, true))
        return;
    pthread_mutex_lock(&c->mu);
    void (*fn)(void *) = c->on_cancel;
    void *user = c->on_cancel_user;
    c->on_cancel_running = fn != NULL;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (!fn)
        return;
    fn(user);
    pthread_mutex_lock(&c->mu);
    c->on_cancel_running = false;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

bool bw_call_replied(const bw_call *c)
{
    return c->reply_result || c->reply_error;
}

void bw_call_reply(bw_call *c, json_t *result)
{
    json_decref(c->reply_result);
    json_decref(c->reply_error);
    c->reply_error = NULL;
    c->reply_result = result ? result : json_object();
}

void bw_call_reply_error(bw_call *c, int code, const char *message, json_t *data)
{
    json_t *envelope = bw_rpc_error(c->id, code, message, data);
    json_decref(c->reply_result);
    json_decref(c->reply_error);
    c->reply_result = NULL;
    c->reply_error = json_incref(json_object_get(envelope, "error"));
    json_decref(envelope);
}

void bw_call_reply_errorf(bw_call *c, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bw_call_reply_error(c, code, msg, NULL);
}

const json_t *bw_call_request_id(const bw_call *c) { return c->id; }
const char *bw_call_method(const bw_call *c) { return c->method->name; }
const char *bw_call_revision(const bw_call *c) { return bw_revision_str(c->rev); }
bw_session *bw_call_session(const bw_call *c) { return c->session; }
const json_t *bw_call_params(const bw_call *c) { return c->params; }
int64_t bw_call_deadline_ms(const bw_call *c) { return c->deadline_ms; }
const char *bw_call_error(const bw_call *c) { return c->last_error; }

void bw_call_set_error(bw_call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
}

bw_result *bw_call_result(bw_call *c) { return &c->result; }

int64_t bw_call_remaining_ms(const bw_call *c)
{
    int64_t left = c->deadline_ms - bw_clock_ms();
    return left > 0 ? left : 0;
}

bool bw_call_cancelled(const bw_call *c)
{
    return atomic_load(&c->cancelled) || atomic_load(&c->srv->shutting_down) || bw_clock_ms() >= c->deadline_ms;
}

void bw_call_on_cancel(bw_call *c, void (*fn)(void *user), void *user)
{
    pthread_mutex_lock(&c->mu);
    /* A callback already started by bw_call_cancel finishes before it is replaced, so that a handler may free
     * `user` as soon as it has unregistered. */
    while (c->on_cancel_running)
        pthread_cond_wait(&c->cv, &c->mu);
    c->on_cancel = fn;
    c->on_cancel_user = user;
    pthread_mutex_unlock(&c->mu);
    if (fn && atomic_load(&c->cancelled))
        fn(user);
}

bw_status bw_call_sleep(bw_call *c, int ms)
{
    if (c->on_reader)
        return BW_E_INVALID_ARG; /* sleeping would stall the session's reader */
    int64_t until = bw_clock_ms() + (ms > 0 ? ms : 0);
    if (until > c->deadline_ms)
        until = c->deadline_ms;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (!atomic_load(&c->cancelled) && rc == 0)
        rc = bw_cond_wait_until(&c->cv, &c->mu, until);
    pthread_mutex_unlock(&c->mu);
    return bw_call_cancelled(c) ? BW_E_CANCELLED : BW_OK;
}

bw_status bw_call_progress(bw_call *c, double progress, double total, const char *message)
{
    if (!c->progress_token || atomic_load(&c->cancelled) || c->task)
        return BW_OK; /* a task's request was answered long ago: nothing to attach progress to */
    if (c->progress_sent && !(progress > c->last_progress))
        return BW_E_INVALID_ARG; /* the spec requires progress to increase */
    c->progress_sent = true;
    c->last_progress = progress;
    json_t *p = json_object();
    json_object_set(p, "progressToken", (json_t *)c->progress_token);
    json_object_set_new(p, "progress", bw_json_number(progress));
    if (total >= 0)
        json_object_set_new(p, "total", bw_json_number(total));
    if (message && c->rev >= BW_REV_2025_03_26)
        json_object_set_new(p, "message", json_string(message));
    json_t *note = bw_rpc_notification("notifications/progress", p);
    bw_session_send(c->session, note, c->id);
    json_decref(note);
    return BW_OK;
}

static const char *const level_names[] = {"debug", "info", "notice", "warning",
                                          "error", "critical", "alert", "emergency"};

bw_status bw_call_log(bw_call *c, bw_log_level level, const char *logger, json_t *data)
{
    if (level < BW_LOG_DEBUG || level > BW_LOG_EMERGENCY) {
        json_decref(data);
        return BW_E_INVALID_ARG;
    }
    int floor = c->modern ? c->log_level : atomic_load(&c->session->log_level);
    if ((int)level < floor || c->task) {
        json_decref(data);
        return BW_OK;
    }
    json_t *p = json_object();
    json_object_set_new(p, "level", json_string(level_names[level]));
    if (logger)
        json_object_set_new(p, "logger", json_string(logger));
    json_object_set_new(p, "data", data ? data : json_null());
    json_t *note = bw_rpc_notification("notifications/message", p);
    bw_session_send(c->session, note, c->id);
    json_decref(note);
    return BW_OK;
}

bw_status bw_call_logf(bw_call *c, bw_log_level level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return bw_call_log(c, level, NULL, json_string(text));
}

int bw_log_level_parse(const char *name)
{
    for (int i = 0; name && i <= BW_LOG_EMERGENCY; i++)
        if (strcmp(level_names[i], name) == 0)
            return i;
    return -1;
}

static const char *capability_for(const char *method)
{
    if (strcmp(method, "sampling/createMessage") == 0)
        return "sampling";
    if (strcmp(method, "elicitation/create") == 0)
        return "elicitation";
    if (strcmp(method, "roots/list") == 0)
        return "roots";
    return NULL;
}

bw_status bw_call_client_request(bw_call *c, const char *key, const char *method, json_t *params, int timeout_ms,
                                 json_t **result)
{
    c->last_error[0] = '\0';
    if (!method || !result) {
        json_decref(params);
        return BW_E_INVALID_ARG;
    }
    *result = NULL;
    if (c->on_reader) {
        json_decref(params);
        snprintf(c->last_error, sizeof c->last_error, "a non-blocking tool cannot wait for the client");
        return BW_E_INVALID_ARG;
    }
    const char *cap = capability_for(method);
    if (cap && !bw_call_client_has(c, cap)) {
        json_decref(params);
        snprintf(c->last_error, sizeof c->last_error, "the client did not declare the \"%s\" capability", cap);
        bw_mrtr_note_missing(c, cap);
        return BW_E_UNSUPPORTED;
    }
    if (c->modern)
        return bw_mrtr_input(c, key, method, params, result);
    if (timeout_ms <= 0)
        timeout_ms = c->srv->limits.client_request_timeout_ms;
    int64_t deadline = bw_clock_ms() + timeout_ms;
    if (deadline > c->deadline_ms)
        deadline = c->deadline_ms;
    return bw_session_request(c->session, c, method, params ? params : json_object(), deadline, result,
                              c->last_error, sizeof c->last_error);
}

bw_status bw_call_sample(bw_call *c, const char *key, json_t *params, int timeout_ms, json_t **result)
{
    return bw_call_client_request(c, key, "sampling/createMessage", params, timeout_ms, result);
}

bw_status bw_call_elicit(bw_call *c, const char *key, json_t *params, int timeout_ms, json_t **result)
{
    return bw_call_client_request(c, key, "elicitation/create", params, timeout_ms, result);
}

bw_status bw_call_list_roots(bw_call *c, const char *key, int timeout_ms, json_t **result)
{
    return bw_call_client_request(c, key, "roots/list", NULL, timeout_ms, result);
}

const json_t *bw_call_client_capabilities(const bw_call *c) { return c->caps; }
const json_t *bw_call_client_info(const bw_call *c) { return c->client_info; }
const json_t *bw_call_trace_context(const bw_call *c) { return c->trace; }
bool bw_call_is_stateless(const bw_call *c) { return c->modern; }

bool bw_call_client_has(const bw_call *c, const char *name)
{
    return json_object_get(c->caps, name) != NULL;
}

const json_t *bw_session_client_capabilities(const bw_session *s) { return s->client_caps; }
const json_t *bw_session_client_info(const bw_session *s) { return s->client_info; }

bool bw_session_client_has(const bw_session *s, const char *name)
{
    return json_object_get(s->client_caps, name) != NULL;
}

bw_status bw_call_set_request_state(bw_call *c, json_t *state)
{
    json_decref(c->user_state);
    c->user_state = state;
    return BW_OK;
}

const json_t *bw_call_request_state(const bw_call *c)
{
    return c->user_state;
}

bw_status bw_call_task_begin(bw_call *c)
{
    return bw_task_begin(c);
}

void bw_call_set_failure(bw_call *c, bw_failure kind)
{
    if (c && kind >= BW_FAILURE_NONE && kind <= BW_FAILURE_PERMANENT)
        c->failure = (int)kind;
}
