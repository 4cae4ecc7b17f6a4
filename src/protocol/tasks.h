/* The tasks extension (io.modelcontextprotocol/tasks, SEP-2663) for the 2026-07-28 revision: a tools/call answered
 * with a task handle (CreateTaskResult) while the work goes on; tasks/get, tasks/update, tasks/cancel.
 *
 * Integration with the core (the contract):
 *  - A tool registered with BW_TOOL_TASK_OPTIONAL or BW_TOOL_TASK_REQUIRED is task-capable (bw_entry.task_support).
 *  - bw_m_tools_call calls bw_tasks_maybe_start for modern calls once arguments are validated. Unless the tool also
 *    has BW_TOOL_TASK_MANUAL, the task begins before the handler runs; with it, the handler begins it itself with
 *    bw_call_task_begin (public, call.h) — e.g. after gathering input by MRTR on the original request.
 *  - bw_task_begin: creates the task, takes the call off its session (out of s->inflight: closing the HTTP stream no
 *    longer cancels it), answers the request with the CreateTaskResult at once, and sets call->task. The handler
 *    keeps running on its worker; progress and log messages of a task call are dropped (the extension has none).
 *  - When a call with call->task returns, dispatch's finish() hands it to bw_task_settle (instead of answering),
 *    which records the outcome: completed (the tool result, isError included), failed (a JSON-RPC error), cancelled,
 *    or input_required (the handler returned BW_INPUT_REQUIRED; call->input_requests holds the requests). settle
 *    frees the call. tasks/update with all outstanding answers re-runs the handler on the worker pool with the
 *    task's gathered answers in call->answers (bw_tool_run, methods_tools.c).
 * Thread-safe: the store has its own lock; records are bounded in number and expire after their TTL. */
#ifndef BW_PROTOCOL_TASKS_H
#define BW_PROTOCOL_TASKS_H

#include <jansson.h>
#include <stdbool.h>

#include "protocol/call_internal.h"
#include "protocol/registry.h"

#define BW_TASKS_EXTENSION "io.modelcontextprotocol/tasks"

struct bw_tasks;
struct bw_task;

/* true when some registered tool is task-capable (discover then advertises the extension). */
bool bw_tasks_offered(bw_server *srv);
/* true when the request's client capabilities declare the extension. */
bool bw_tasks_client_declared(const bw_call *call);
/* tools/call hook (modern calls). Returns true when it answered the call (-32021 for a task-required tool and a
 * client without the extension) or began a task (CreateTaskResult sent); false to run the tool synchronously. */
bool bw_tasks_maybe_start(bw_call *call, bw_entry *tool, json_t *args);
/* Begins the task for `call` now (see above). BW_E_UNSUPPORTED when the tool is not task-capable or the client did
 * not declare the extension; BW_E_OVERLOADED when the store is full. A no-op (BW_OK) inside a task. */
bw_status bw_task_begin(bw_call *call);
/* finish() of a call with call->task set: records the outcome from the call (reply_result: completed;
 * reply_error: failed; cancelled: cancelled; no reply and call->input_requests: input_required) and frees it. */
void bw_task_settle(bw_call *call);
/* The methods (modern era, capability: the client's extension declaration is checked first, -32021). */
void bw_m_tasks_get(bw_call *call);
void bw_m_tasks_update(bw_call *call);
void bw_m_tasks_cancel(bw_call *call);
/* Cancels every task handler still running (shutdown, before the worker pool is joined: a task call is on no
 * session's in-flight list, so nothing else wakes a handler sleeping until its deadline). They settle `cancelled`. */
void bw_tasks_cancel_running(bw_server *srv);
/* Frees the store (server teardown, after the worker pool stopped). NULL is a no-op. */
void bw_tasks_free(struct bw_tasks *t);

#endif
