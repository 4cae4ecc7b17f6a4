/* Shared by the tasks extension's files (tasks.c: creation and settling; tasks_methods.c: tasks/get, update,
 * cancel). Not part of the contract with the core (that is tasks.h). */
#ifndef BW_PROTOCOL_TASKS_INTERNAL_H
#define BW_PROTOCOL_TASKS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "protocol/call_internal.h"
#include "protocol/tasks_store.h"

/* The server's store; created on first use when `create` (thread-safe), else NULL until then. NULL also when
 * creating it failed (out of memory). */
bw_tasks *bw_tasks_of(bw_server *srv, bool create);
/* Replies -32021 with data.requiredCapabilities = {extensions: {io.modelcontextprotocol/tasks: {}}}. */
void bw_tasks_reply_missing(bw_call *call);
/* Publishes notifications/tasks for the task (note stolen; the DetailedTask snapshot) to listeners of task_id.
 * Call without the store's lock. */
void bw_tasks_publish(bw_server *srv, const char *task_id, json_t *note);

#endif
