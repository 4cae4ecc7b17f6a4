/* The tasks extension's record store: task records keyed by unguessable ids, bounded in number, expiring after
 * their TTL, with the status machine and the wire shapes (CreateTaskResult, DetailedTask).
 *
 * Ownership and threading: the store owns its records; a record owns its JSON, its reference to the tool entry and
 * nothing else (`running` is borrowed: the call is owned by whoever runs it and clears the pointer under the lock
 * before freeing it). Every *_locked function and every read or write of a record's fields requires the store's
 * lock (bw_tasks_lock). A record is never freed while `running` is set, so a call's task pointer stays valid until
 * the call settles. Time is passed in: `now_ms` is the monotonic clock (expiry), `wall_ms` the wall clock (the
 * ISO-8601 timestamps, display only — a clock jump never expires a task). In memory only. */
#ifndef BW_PROTOCOL_TASKS_STORE_H
#define BW_PROTOCOL_TASKS_STORE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/status.h"
#include "protocol/registry.h"
#include "protocol/session.h"

#define BW_TASK_ID_LEN 32                   /* 128 random bits as lowercase hex */
#define BW_TASKS_DEFAULT_MAX 10000          /* live records */
#define BW_TASKS_DEFAULT_TTL_MS 3600000     /* 1 h from creation */
#define BW_TASKS_DEFAULT_POLL_MS 500
#define BW_TASK_MAX_ANSWERS_BYTES (256u * 1024) /* the client's answers one task keeps, encoded */

typedef enum bw_task_status {
    BW_TASK_WORKING,
    BW_TASK_INPUT_REQUIRED,
    BW_TASK_COMPLETED,
    BW_TASK_FAILED,
    BW_TASK_CANCELLED,
} bw_task_status;

typedef struct bw_tasks_config {
    size_t max_tasks;   /* 0: BW_TASKS_DEFAULT_MAX */
    int64_t ttl_ms;     /* 0: BW_TASKS_DEFAULT_TTL_MS */
    int64_t poll_ms;    /* 0: BW_TASKS_DEFAULT_POLL_MS */
} bw_tasks_config;

typedef struct bw_task {
    char id[BW_TASK_ID_LEN + 1];
    bw_task_status status;
    int64_t created_wall, updated_wall; /* wall clock ms */
    int64_t expires_ms;                 /* monotonic: created + ttl */
    json_t *result;                     /* completed: the tool result */
    json_t *error;                      /* failed: the JSON-RPC error object */
    char *status_message;               /* failed / cancelled: why, or NULL */
    json_t *outstanding;                /* input requests not yet answered, by key (always an object) */
    json_t *answers;                    /* every answer gathered, by key (always an object) */
    bw_entry *tool;                     /* reference held, or NULL */
    json_t *args;                       /* the call's arguments (owned), for re-runs */
    json_t *caps;                       /* the client's capabilities at creation (owned) */
    struct bw_call *running;            /* the call running the handler now (borrowed), or NULL */
    bool cancel_requested;
    struct bw_task *hnext;              /* hash chain */
    struct bw_task *older, *newer;      /* creation order (= expiry order: one TTL per store) */
} bw_task;

struct bw_tasks {
    pthread_mutex_t mu;
    bw_tasks_config cfg;
    bw_task **buckets;
    size_t nbuckets;                    /* a power of two */
    bw_task *oldest, *newest;
    size_t count;
    bw_session *runner;                 /* the private session re-runs use (reference), or NULL */
};
typedef struct bw_tasks bw_tasks;

/* A new empty store (zero config fields take the defaults), or NULL when out of memory. */
bw_tasks *bw_tasks_new(const bw_tasks_config *cfg);
void bw_tasks_lock(bw_tasks *t);
void bw_tasks_unlock(bw_tasks *t);

/* Removes expired records that no handler is running for. Oldest first; stops at the first live one. */
void bw_tasks_sweep_locked(bw_tasks *t, int64_t now_ms);
/* Creates a `working` record with a fresh random id after sweeping. *st: BW_OK, BW_E_OVERLOADED when the store
 * holds max_tasks live records, BW_E_NOMEM, or BW_E_INTERNAL when the random generator fails. */
bw_task *bw_tasks_create_locked(bw_tasks *t, int64_t now_ms, int64_t wall_ms, bw_status *st);
/* The live record with that id, or NULL (unknown or expired; an expired idle record is removed now). */
bw_task *bw_tasks_find_locked(bw_tasks *t, const char *id, int64_t now_ms);
/* Unlinks and frees a record nobody runs (running must be NULL). */
void bw_tasks_remove_locked(bw_tasks *t, bw_task *task);
/* Live records (expired ones not yet swept included). */
size_t bw_tasks_count_locked(const bw_tasks *t);

/* ---- status transitions (each sets lastUpdatedAt; none leaves a terminal status) ---- */

bool bw_task_terminal(const bw_task *task);
/* completed with the tool result (stolen); drops _meta["io.modelcontextprotocol/related-task"] from it. */
void bw_task_complete(bw_task *task, json_t *result, int64_t wall_ms);
/* failed with a JSON-RPC error object {code, message, data?} (stolen). */
void bw_task_fail(bw_task *task, json_t *error, int64_t wall_ms);
void bw_task_cancel_now(bw_task *task, int64_t wall_ms);
/* input_required: requests (borrowed; key -> {method, params}) join the outstanding ones. */
void bw_task_park(bw_task *task, const json_t *requests, int64_t wall_ms);
/* Takes the client's responses (borrowed) for outstanding keys into the answers and drops those keys; responses
 * for any other key are ignored. Returns true when the task was input_required and nothing is outstanding any
 * more: the caller resumes it (bw_task_resume). Does nothing on other statuses. */
bool bw_task_answer(bw_task *task, const json_t *responses, int64_t wall_ms);
/* input_required -> working (all answers in). */
void bw_task_resume(bw_task *task, int64_t wall_ms);

/* ---- wire shapes (new references; NULL only when out of memory) ---- */

/* The task's base fields: taskId, status, statusMessage?, createdAt, lastUpdatedAt, ttlMs, pollIntervalMs. With
 * `detailed`, also result (completed), error (failed) or inputRequests (input_required): the DetailedTask of
 * tasks/get and notifications/tasks. Without, the CreateTaskResult body (the caller adds resultType). */
json_t *bw_task_json(const bw_tasks *t, const bw_task *task, bool detailed);
/* "working", "input_required", ... */
const char *bw_task_status_str(bw_task_status st);
/* Formats wall-clock milliseconds as ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). */
void bw_task_iso8601(int64_t wall_ms, char *out, size_t outlen);

#endif
