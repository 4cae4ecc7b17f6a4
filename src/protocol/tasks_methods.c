/* tasks/get, tasks/update and tasks/cancel (SEP-2663), and the re-run of a task's handler once the client has
 * answered every input it asked for. Each method first checks that the request declares the extension (-32021,
 * before any lookup), then that taskId names a live task (-32602). update and cancel are acknowledged with an
 * empty result (the dispatcher adds resultType "complete"); their effect shows on the next tasks/get. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "protocol/dispatch.h"
#include "protocol/era.h"
#include "protocol/jsonrpc.h"
#include "protocol/seal.h"
#include "protocol/server_internal.h"
#include "protocol/tasks.h"
#include "protocol/tasks_internal.h"

/* The request's taskId, or NULL after replying. Checks the extension declaration first. */
static const char *task_id_of(bw_call *call)
{
    if (!bw_tasks_client_declared(call)) {
        bw_tasks_reply_missing(call);
        return NULL;
    }
    const char *id = json_string_value(json_object_get(call->params, "taskId"));
    if (!id)
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: taskId must be a string", NULL);
    return id;
}

/* Replies -32602 for an id that names no live task (never issued, expired, or removed). */
static void reply_unknown(bw_call *call)
{
    bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Failed to retrieve task: Task not found (unknown or expired)",
                        NULL);
}

/* The store with the lock held and the task found, or NULL after replying (the lock then is not held). */
static bw_task *lookup_locked(bw_call *call, const char *id, bw_tasks **store)
{
    bw_tasks *t = bw_tasks_of(call->srv, false);
    if (!t) {
        reply_unknown(call);
        return NULL;
    }
    bw_tasks_lock(t);
    bw_task *task = bw_tasks_find_locked(t, id, bw_clock_ms());
    if (!task) {
        bw_tasks_unlock(t);
        reply_unknown(call);
        return NULL;
    }
    *store = t;
    return task;
}

void bw_m_tasks_get(bw_call *call)
{
    const char *id = task_id_of(call);
    bw_tasks *t = NULL;
    bw_task *task = id ? lookup_locked(call, id, &t) : NULL;
    if (!task)
        return;
    json_t *body = bw_task_json(t, task, true);
    bw_tasks_unlock(t);
    if (body)
        bw_call_reply(call, body);
    else
        bw_call_reply_error(call, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
}

/* ---- re-running the handler with the gathered answers ---- */

/* Runs on a worker: the handler again from the start, each input it asks for now answered, then the outcome is
 * recorded. The record outlives the call (it is never freed while `running` points at the call), and its tool
 * and arguments never change, so they are read without the lock. */
static void rerun_job(void *arg)
{
    bw_call *call = arg;
    bw_task *task = call->task;
    json_t *args = json_copy(json_object_get(call->params, "arguments")); /* defaults add top-level members only */
    if (!args)
        bw_call_reply_error(call, BW_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
    else if (!atomic_load(&call->cancelled))
        (void)bw_tool_run(call, task->tool, args);
    json_decref(args);
    bw_task_settle(call);
}

/* A tools/call for the task on the store's private session, as the client's original request would have run:
 * the 2026-07-28 envelope with the client's capabilities at creation, and every answer gathered so far. */
static bw_call *rerun_call(bw_tasks *t, bw_task *task)
{
    const bw_method *m = bw_method_find("tools/call");
    json_t *params = json_pack("{s:s,s:o}", "name", task->tool->key, "arguments", json_deep_copy(task->args));
    json_t *id = json_string(task->id);
    bw_envelope env = {.rev = BW_REV_2026_07_28, .caps = task->caps, .client_info = NULL, .log_level = -1};
    bw_call *call = m && params && id ? bw_call_new(t->runner, m, id, params, &env) : NULL;
    json_decref(params);
    json_decref(id);
    if (!call)
        return NULL;
    call->answers = json_deep_copy(task->answers);
    if (!call->answers) {
        bw_call_free(call);
        return NULL;
    }
    call->task = task;
    call->deadline_ms = task->expires_ms;
    return call;
}

/* input_required -> working, and the handler queued. When it cannot be queued the task fails (the client sees it
 * on its next tasks/get; the update itself was accepted). Store lock held. */
static void resume_locked(bw_server *srv, bw_tasks *t, bw_task *task, int64_t wall_ms)
{
    bw_call *call = rerun_call(t, task);
    bw_task_resume(task, wall_ms);
    bw_status st = call && srv->pool ? bw_workpool_submit(srv->pool, rerun_job, call) : BW_E_NOMEM;
    if (st == BW_OK) {
        task->running = call;
        return;
    }
    bw_call_free(call);
    bw_task_fail(task,
                 json_pack("{s:i,s:s}", "code", st == BW_E_NOMEM ? BW_RPC_INTERNAL_ERROR : BW_RPC_SERVER_OVERLOADED,
                           "message", st == BW_E_NOMEM ? "Internal error: cannot resume the task"
                                                       : "Server overloaded: cannot resume the task; retry later"),
                 wall_ms);
}

/* true when the answers a task keeps, with these responses added, stay within BW_TASK_MAX_ANSWERS_BYTES: a client
 * cannot grow a record without bound by answering round after round. Store lock held. */
static bool answers_fit(const bw_task *task, const json_t *responses)
{
    char *kept = json_dumps(task->answers, JSON_COMPACT);
    char *more = json_dumps(responses, JSON_COMPACT);
    bool fit = kept && more && strlen(kept) + strlen(more) <= BW_TASK_MAX_ANSWERS_BYTES;
    free(kept);
    free(more);
    return fit;
}

void bw_m_tasks_update(bw_call *call)
{
    const char *id = task_id_of(call);
    if (!id)
        return;
    const json_t *responses = json_object_get(call->params, "inputResponses");
    if (!json_is_object(responses)) {
        bw_call_reply_error(call, BW_RPC_INVALID_PARAMS, "Invalid params: inputResponses must be an object", NULL);
        return;
    }
    bw_tasks *t = NULL;
    bw_task *task = lookup_locked(call, id, &t);
    if (!task)
        return;
    if (task->status == BW_TASK_INPUT_REQUIRED && !answers_fit(task, responses)) {
        bw_tasks_unlock(t);
        bw_call_reply_errorf(call, BW_RPC_INVALID_PARAMS, "Invalid params: a task's answers may total at most %u bytes",
                             BW_TASK_MAX_ANSWERS_BYTES);
        return;
    }
    int64_t wall = bw_wall_ms();
    bw_task_status before = task->status;
    if (bw_task_answer(task, responses, wall))
        resume_locked(call->srv, t, task, wall);
    /* The job may already be running, but it settles only under the lock, so the status read here is ours; it is
     * published before unlocking so listeners see `working` before the re-run's outcome. */
    json_t *note = task->status != before ? bw_task_json(t, task, true) : NULL;
    bw_tasks_publish(call->srv, id, note);
    bw_tasks_unlock(t);
    bw_call_reply(call, json_object());
}

void bw_m_tasks_cancel(bw_call *call)
{
    const char *id = task_id_of(call);
    bw_tasks *t = NULL;
    bw_task *task = id ? lookup_locked(call, id, &t) : NULL;
    if (!task)
        return;
    json_t *note = NULL;
    if (task->running) {
        /* Cooperative: the handler sees the cancellation and returns; settle then records `cancelled`. Cancelling
         * under the store lock keeps settle from freeing the call meanwhile. */
        task->cancel_requested = true;
        bw_call_cancel(task->running);
    } else if (!bw_task_terminal(task)) {
        bw_task_cancel_now(task, bw_wall_ms()); /* parked in input_required: nothing to stop */
        note = bw_task_json(t, task, true);
    }
    bw_tasks_unlock(t);
    bw_tasks_publish(call->srv, id, note);
    bw_call_reply(call, json_object()); /* the same ack for a task already terminal: cancel is idempotent */
}
