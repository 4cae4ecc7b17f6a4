#include "protocol/listen.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/server_internal.h"
#include "protocol/tasks.h"

enum { WANT_TOOLS = 1, WANT_PROMPTS = 2, WANT_RESOURCES = 4 };

struct bw_listener {
    bw_session *session;   /* reference */
    json_t *id;            /* the listen request's id (reference) */
    unsigned want;         /* WANT_* list_changed kinds */
    json_t *uris;          /* object used as a set, or NULL */
    json_t *task_ids;      /* object used as a set, or NULL */
    struct bw_listener *next;
};

static void listener_free(struct bw_listener *l)
{
    bw_session_unref(l->session);
    json_decref(l->id);
    json_decref(l->uris);
    json_decref(l->task_ids);
    free(l);
}

/* A string array as a set object; NULL when absent. *bad set on a malformed one. */
static json_t *string_set(const json_t *arr, bool *bad)
{
    if (!arr || json_is_null(arr))
        return NULL;
    if (!json_is_array(arr) || json_array_size(arr) > BW_LISTEN_MAX_URIS) {
        *bad = true;
        return NULL;
    }
    json_t *set = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4096) {
            *bad = true;
            break;
        }
        json_object_set_new(set, json_string_value(v), json_true());
    }
    return set;
}

static json_t *set_as_array(const json_t *set)
{
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)set, k, v)
        json_array_append_new(arr, json_string(k));
    return arr;
}

/* The filter the server honours, echoed in the acknowledgment. */
static json_t *honoured(const struct bw_listener *l)
{
    json_t *n = json_object();
    if (l->want & WANT_TOOLS)
        json_object_set_new(n, "toolsListChanged", json_true());
    if (l->want & WANT_PROMPTS)
        json_object_set_new(n, "promptsListChanged", json_true());
    if (l->want & WANT_RESOURCES)
        json_object_set_new(n, "resourcesListChanged", json_true());
    if (l->uris)
        json_object_set_new(n, "resourceSubscriptions", set_as_array(l->uris));
    if (l->task_ids)
        json_object_set_new(n, "taskIds", set_as_array(l->task_ids));
    return n;
}

static void send_tagged(struct bw_listener *l, const char *method, const json_t *params)
{
    json_t *p = params ? json_deep_copy(params) : json_object();
    json_t *meta = json_object_get(p, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(p, "_meta", meta);
    }
    json_object_set(meta, BW_META_SUBSCRIPTION_ID, l->id);
    json_t *note = bw_rpc_notification(method, p);
    bw_session_send(l->session, note, l->id);
    json_decref(note);
}

/* Reads the filter into l; false after replying -32602 / -32021. */
static bool read_filter(bw_call *call, struct bw_listener *l)
{
    const json_t *f = json_object_get(call->params, "notifications");
    if (f && !json_is_object(f)) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: \"notifications\" must be an object", NULL);
        return false;
    }
    bool has_tools = bw_registry_count(&call->srv->reg, BW_KIND_TOOL) > 0;
    bool has_prompts = bw_registry_count(&call->srv->reg, BW_KIND_PROMPT) > 0;
    bool has_res = bw_registry_count(&call->srv->reg, BW_KIND_RESOURCE) +
                       bw_registry_count(&call->srv->reg, BW_KIND_TEMPLATE) > 0;
    if (json_is_true(json_object_get(f, "toolsListChanged")) && has_tools)
        l->want |= WANT_TOOLS;
    if (json_is_true(json_object_get(f, "promptsListChanged")) && has_prompts)
        l->want |= WANT_PROMPTS;
    if (json_is_true(json_object_get(f, "resourcesListChanged")) && has_res)
        l->want |= WANT_RESOURCES;
    bool bad = false;
    l->uris = has_res ? string_set(json_object_get(f, "resourceSubscriptions"), &bad) : NULL;
    const json_t *tasks = json_object_get(f, "taskIds");
    if (tasks && !json_is_null(tasks) && !bw_tasks_client_declared(call)) {
        bw_call_reply_error(call, BW_RPC_MISSING_CAPABILITY, "Missing required client capability",
                            json_pack("{s:{s:{s:{}}}}", "requiredCapabilities", "extensions",
                                      "io.modelcontextprotocol/tasks"));
        return false;
    }
    l->task_ids = string_set(tasks, &bad);
    if (bad)
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS,
                             "Invalid params: resourceSubscriptions and taskIds must be arrays of at most %d non-empty "
                             "strings",
                             BW_LISTEN_MAX_URIS);
    return !bad;
}

void bw_m_listen(bw_call *call)
{
    struct bw_listener *l = calloc(1, sizeof *l);
    if (!l) {
        bw_call_reply_error(call, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
        return;
    }
    l->session = call->session;
    bw_session_ref(l->session);
    l->id = json_incref(call->id);
    if (!read_filter(call, l)) {
        listener_free(l);
        return;
    }
    bw_server *srv = call->srv;
    pthread_mutex_lock(&srv->listeners_mu);
    int n = 0;
    for (struct bw_listener *x = srv->listeners; x; x = x->next)
        n++;
    bool room = n < BW_LISTEN_MAX_PER_SERVER;
    if (room) {
        /* The acknowledgment goes out before the listener can receive anything (under the registry lock). */
        json_t *ack = json_pack("{s:o}", "notifications", honoured(l));
        send_tagged(l, "notifications/subscriptions/acknowledged", ack);
        json_decref(ack);
        l->next = srv->listeners;
        srv->listeners = l;
    }
    pthread_mutex_unlock(&srv->listeners_mu);
    if (!room) {
        listener_free(l);
        bw_call_reply_error(call, BW_RPC_SERVER_OVERLOADED, "Server overloaded: too many open listen streams", NULL);
        return;
    }
    call->detached = true; /* answered only when the server ends the stream */
}

static bool takes(const struct bw_listener *l, const char *method, const char *key)
{
    if (!strcmp(method, "notifications/tools/list_changed"))
        return l->want & WANT_TOOLS;
    if (!strcmp(method, "notifications/prompts/list_changed"))
        return l->want & WANT_PROMPTS;
    if (!strcmp(method, "notifications/resources/list_changed"))
        return l->want & WANT_RESOURCES;
    if (!strcmp(method, "notifications/resources/updated"))
        return key && json_object_get(l->uris, key);
    if (!strcmp(method, "notifications/tasks"))
        return key && json_object_get(l->task_ids, key);
    return false;
}

void bw_listen_publish(bw_server *srv, const char *method, const char *key, const json_t *params)
{
    pthread_mutex_lock(&srv->listeners_mu);
    for (struct bw_listener *l = srv->listeners; l; l = l->next)
        if (takes(l, method, key))
            send_tagged(l, method, params);
    pthread_mutex_unlock(&srv->listeners_mu);
}

/* Unlinks the listeners matching (s, id) — id NULL matches all of s, s NULL matches all — into a private list. */
static struct bw_listener *unlink_matching(bw_server *srv, bw_session *s, const json_t *id)
{
    struct bw_listener *out = NULL;
    pthread_mutex_lock(&srv->listeners_mu);
    for (struct bw_listener **pp = &srv->listeners; *pp;) {
        struct bw_listener *l = *pp;
        if ((!s || l->session == s) && (!id || json_equal(l->id, (json_t *)id))) {
            *pp = l->next;
            l->next = out;
            out = l;
        } else {
            pp = &l->next;
        }
    }
    pthread_mutex_unlock(&srv->listeners_mu);
    return out;
}

static void free_list(struct bw_listener *l, bool graceful)
{
    while (l) {
        struct bw_listener *next = l->next;
        if (graceful) {
            json_t *result = json_pack("{s:s,s:{s:O}}", "resultType", "complete", "_meta", BW_META_SUBSCRIPTION_ID, l->id);
            bw_session_send_reply(l->session, l->id, result, NULL);
            json_decref(result);
        } else if (l->session->hooks && l->session->hooks->unanswered) {
            l->session->hooks->unanswered(l->session->sink_ctx, l->id);
        }
        listener_free(l);
        l = next;
    }
}

bool bw_listen_cancel(bw_server *srv, bw_session *s, const json_t *id)
{
    struct bw_listener *l = unlink_matching(srv, s, id);
    free_list(l, false);
    return l != NULL;
}

void bw_listen_drop_session(bw_server *srv, bw_session *s)
{
    free_list(unlink_matching(srv, s, NULL), false);
}

void bw_listen_close_all(bw_server *srv)
{
    free_list(unlink_matching(srv, NULL, NULL), true);
}

int bw_listen_count(bw_server *srv)
{
    int n = 0;
    pthread_mutex_lock(&srv->listeners_mu);
    for (struct bw_listener *l = srv->listeners; l; l = l->next)
        n++;
    pthread_mutex_unlock(&srv->listeners_mu);
    return n;
}
