/* The tasks extension (tasks.h): which tools and clients take part, turning a tools/call into a task, and recording
 * how the task's handler ended. The methods live in tasks_methods.c, the records in tasks_store.c. */
#include "protocol/tasks.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "protocol/dispatch.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/listen.h"
#include "protocol/seal.h"
#include "protocol/server_internal.h"
#include "protocol/tasks_internal.h"

/* Guards only the one-time creation of a server's store; reads go through an acquire load. */
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

/* The private session's sink: re-runs have no client stream, so whatever they would send (progress, logs) goes
 * nowhere — the extension defines none of it for tasks. */
static void drop_sink(void *ctx, const char *text, size_t len, const json_t *related_id, bw_out_kind kind)
{
    (void)ctx;
    (void)text;
    (void)len;
    (void)related_id;
    (void)kind;
}

static bw_tasks *store_new(bw_server *srv)
{
    bw_tasks *t = bw_tasks_new(NULL);
    if (!t)
        return NULL;
    t->runner = bw_session_new(srv, drop_sink, NULL);
    if (!t->runner) {
        bw_tasks_free(t);
        return NULL;
    }
    bw_session_assume(t->runner, BW_REV_2026_07_28);
    return t;
}

bw_tasks *bw_tasks_of(bw_server *srv, bool create)
{
    bw_tasks *t = __atomic_load_n(&srv->tasks, __ATOMIC_ACQUIRE);
    if (t || !create)
        return t;
    pthread_mutex_lock(&create_mu);
    t = __atomic_load_n(&srv->tasks, __ATOMIC_ACQUIRE);
    if (!t) {
        t = store_new(srv);
        if (t)
            __atomic_store_n(&srv->tasks, t, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&create_mu);
    return t;
}

bool bw_tasks_offered(bw_server *srv)
{
    bw_registry *r = &srv->reg;
    bool any = false;
    pthread_rwlock_rdlock(&r->lock);
    for (size_t i = 0; i < r->len[BW_KIND_TOOL] && !any; i++)
        any = r->items[BW_KIND_TOOL][i]->task_support != BW_TASK_NONE;
    pthread_rwlock_unlock(&r->lock);
    return any;
}

bool bw_tasks_client_declared(const bw_call *call)
{
    const json_t *ext = json_object_get(call->caps, "extensions");
    return call->modern && json_is_object(json_object_get(ext, BW_TASKS_EXTENSION));
}

void bw_tasks_reply_missing(bw_call *call)
{
    bw_call_reply_error(call, BW_RPC_MISSING_CAPABILITY,
                        "Missing required client capability: declare the " BW_TASKS_EXTENSION " extension",
                        json_pack("{s:{s:{s:{}}}}", "requiredCapabilities", "extensions", BW_TASKS_EXTENSION));
}

void bw_tasks_publish(bw_server *srv, const char *task_id, json_t *note)
{
    if (note)
        bw_listen_publish(srv, "notifications/tasks", task_id, note);
    json_decref(note);
}

/* The registered tool a tools/call may become a task of (new reference), or NULL with the reason. */
static bw_entry *task_tool(bw_call *call, bw_status *st)
{
    *st = BW_E_UNSUPPORTED;
    if (!call->modern || call->on_reader || call->batch || strcmp(call->method->name, "tools/call") != 0 ||
        !bw_tasks_client_declared(call))
        return NULL;
    const char *name = json_string_value(json_object_get(call->params, "name"));
    bw_entry *tool = name ? bw_registry_get(&call->srv->reg, BW_KIND_TOOL, name) : NULL;
    if (tool && tool->task_support == BW_TASK_NONE) {
        bw_entry_unref(tool);
        return NULL;
    }
    if (tool)
        *st = BW_OK;
    return tool;
}

/* Fills a new record from the call: what a re-run needs (tool, arguments, capabilities, the answers gathered by
 * MRTR before the task began) and the running call. Store lock held. */
static bw_status fill_record(bw_task *task, bw_call *call, bw_entry *tool)
{
    const json_t *given = json_object_get(call->params, "arguments");
    task->tool = tool;
    task->args = json_is_object(given) ? json_deep_copy(given) : json_object();
    task->caps = json_deep_copy(call->caps);
    if (call->answers)
        json_object_update(task->answers, call->answers);
    if (!task->args || !task->caps)
        return BW_E_NOMEM;
    task->running = call;
    return BW_OK;
}

/* Creates the record and its CreateTaskResult under the store lock. Takes the tool reference in every case. */
static bw_status create_task(bw_tasks *t, bw_call *call, bw_entry *tool, json_t **body)
{
    bw_status st = BW_OK;
    bw_tasks_lock(t);
    bw_task *task = bw_tasks_create_locked(t, bw_clock_ms(), bw_wall_ms(), &st);
    if (!task) {
        bw_entry_unref(tool);
        bw_tasks_unlock(t);
        return st;
    }
    st = fill_record(task, call, tool);
    *body = st ? NULL : bw_task_json(t, task, false);
    if (!*body) {
        bw_tasks_remove_locked(t, task);
        bw_tasks_unlock(t);
        return BW_E_NOMEM;
    }
    call->task = task;
    call->deadline_ms = task->expires_ms; /* the handler may run as long as the task lives */
    bw_tasks_unlock(t);
    return BW_OK;
}

/* The request is answered: take the call off its session so that closing the client's stream or ending the
 * session no longer cancels it, mirroring dispatch's finish(). */
static void leave_inflight(bw_session *s, bw_call *call)
{
    pthread_mutex_lock(&s->mu);
    for (bw_call **pp = &s->inflight; *pp; pp = &(*pp)->next_inflight) {
        if (*pp == call) {
            *pp = call->next_inflight;
            call->next_inflight = NULL;
            if (--s->n_inflight == 0)
                pthread_cond_broadcast(&s->idle);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* Answers the request with the CreateTaskResult and moves the call onto the store's private session: the client's
 * session may end now, and nothing the handler sends from here on (progress, logs) reaches the client. */
static void hand_off(bw_tasks *t, bw_call *call, json_t *body)
{
    bw_session *client = call->session;
    leave_inflight(client, call);
    json_object_set_new(body, "resultType", json_string("task"));
    bw_session_send_reply(client, call->id, body, NULL);
    json_decref(body);
    bw_session_ref(t->runner);
    call->session = t->runner;
    call->progress_token = NULL;
    call->log_level = BW_LOG_NONE;
    bw_session_unref(client);
}

bw_status bw_task_begin(bw_call *call)
{
    if (call->task)
        return BW_OK;
    bw_status st;
    bw_entry *tool = task_tool(call, &st);
    if (!tool)
        return st;
    bw_tasks *t = bw_tasks_of(call->srv, true);
    if (!t) {
        bw_entry_unref(tool);
        return BW_E_NOMEM;
    }
    json_t *body = NULL;
    st = create_task(t, call, tool, &body);
    if (st)
        return st;
    hand_off(t, call, body);
    return BW_OK;
}

bool bw_tasks_maybe_start(bw_call *call, bw_entry *tool, json_t *args)
{
    (void)args; /* the record keeps the arguments as sent; a re-run validates and defaults them again */
    if (!call->modern || tool->task_support == BW_TASK_NONE)
        return false;
    if (!bw_tasks_client_declared(call)) {
        if (tool->task_support != BW_TASK_REQUIRED)
            return false; /* optional: an ordinary call for a client without the extension */
        bw_tasks_reply_missing(call);
        return true;
    }
    if (tool->task_manual)
        return false;
    bw_status st = bw_task_begin(call);
    if (st == BW_OK)
        return true;
    if (st == BW_E_OVERLOADED)
        bw_call_reply_error(call, BW_RPC_SERVER_OVERLOADED, "Server overloaded: too many tasks; retry later", NULL);
    else
        bw_call_reply_error(call, BW_RPC_INTERNAL_ERROR, "Internal error: cannot create the task", NULL);
    return true;
}

/* How the handler ended decides the status; a cancellation wins over whatever the handler produced meanwhile. */
static void record_outcome(bw_task *task, bw_call *call, int64_t wall_ms)
{
    if (task->cancel_requested || atomic_load(&call->cancelled)) {
        bw_task_cancel_now(task, wall_ms);
    } else if (call->reply_result) {
        bw_task_complete(task, call->reply_result, wall_ms);
        call->reply_result = NULL;
    } else if (call->reply_error) {
        bw_task_fail(task, call->reply_error, wall_ms);
        call->reply_error = NULL;
    } else if (json_object_size(call->input_requests) > 0) {
        bw_task_park(task, call->input_requests, wall_ms);
    } else {
        bw_task_fail(task, json_pack("{s:i,s:s}", "code", BW_RPC_INTERNAL_ERROR, "message",
                                     "Internal error: the tool returned neither a result nor an error"), wall_ms);
    }
}

void bw_task_settle(bw_call *call)
{
    bw_task *task = call->task;
    bw_tasks *t = bw_tasks_of(call->srv, false);
    char id[BW_TASK_ID_LEN + 1];
    bw_tasks_lock(t);
    task->running = NULL;
    record_outcome(task, call, bw_wall_ms());
    json_t *note = bw_task_json(t, task, true);
    memcpy(id, task->id, sizeof id);
    bw_tasks_unlock(t);
    bw_tasks_publish(call->srv, id, note);
    bw_call_free(call);
}

void bw_tasks_cancel_running(bw_server *srv)
{
    bw_tasks *t = bw_tasks_of(srv, false);
    if (!t)
        return;
    bw_tasks_lock(t);
    for (bw_task *task = t->oldest; task; task = task->newer) {
        if (!task->running)
            continue;
        task->cancel_requested = true;
        bw_call_cancel(task->running); /* under the lock: settle cannot free the call meanwhile */
    }
    bw_tasks_unlock(t);
}
