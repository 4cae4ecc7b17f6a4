/* The tasks extension's record store (see tasks_store.h): a hash table by id plus a creation-ordered list, which is
 * also the expiry order since every record of a store lives for the same TTL — so sweeping is O(expired). */
#include "protocol/tasks_store.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "protocol/tasks.h"

#define MAX_BUCKETS 16384u
#define RELATED_TASK_META "io.modelcontextprotocol/related-task"

static const char *const status_names[] = {"working", "input_required", "completed", "failed", "cancelled"};

const char *bw_task_status_str(bw_task_status st)
{
    return (unsigned)st < sizeof status_names / sizeof status_names[0] ? status_names[st] : "failed";
}

/* FNV-1a: ids are random, lookups may carry any client text; either way a cheap spread is enough. */
static size_t bucket_of(const bw_tasks *t, const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)h & (t->nbuckets - 1);
}

static size_t buckets_for(size_t max_tasks)
{
    size_t n = 64;
    while (n < max_tasks && n < MAX_BUCKETS)
        n <<= 1;
    return n;
}

bw_tasks *bw_tasks_new(const bw_tasks_config *cfg)
{
    bw_tasks *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg.max_tasks = cfg && cfg->max_tasks ? cfg->max_tasks : BW_TASKS_DEFAULT_MAX;
    t->cfg.ttl_ms = cfg && cfg->ttl_ms > 0 ? cfg->ttl_ms : BW_TASKS_DEFAULT_TTL_MS;
    t->cfg.poll_ms = cfg && cfg->poll_ms > 0 ? cfg->poll_ms : BW_TASKS_DEFAULT_POLL_MS;
    t->nbuckets = buckets_for(t->cfg.max_tasks);
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets || pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t->buckets);
        free(t);
        return NULL;
    }
    return t;
}

void bw_tasks_lock(bw_tasks *t)
{
    pthread_mutex_lock(&t->mu);
}

void bw_tasks_unlock(bw_tasks *t)
{
    pthread_mutex_unlock(&t->mu);
}

static void record_free(bw_task *task)
{
    json_decref(task->result);
    json_decref(task->error);
    json_decref(task->outstanding);
    json_decref(task->answers);
    json_decref(task->args);
    json_decref(task->caps);
    bw_entry_unref(task->tool);
    free(task->status_message);
    free(task);
}

static void unlink_record(bw_tasks *t, bw_task *task)
{
    for (bw_task **pp = &t->buckets[bucket_of(t, task->id)]; *pp; pp = &(*pp)->hnext) {
        if (*pp == task) {
            *pp = task->hnext;
            break;
        }
    }
    if (task->older)
        task->older->newer = task->newer;
    else
        t->oldest = task->newer;
    if (task->newer)
        task->newer->older = task->older;
    else
        t->newest = task->older;
    t->count--;
}

void bw_tasks_free(struct bw_tasks *t)
{
    if (!t)
        return;
    for (bw_task *task = t->oldest, *next; task; task = next) {
        next = task->newer;
        record_free(task);
    }
    bw_session_unref(t->runner);
    pthread_mutex_destroy(&t->mu);
    free(t->buckets);
    free(t);
}

void bw_tasks_sweep_locked(bw_tasks *t, int64_t now_ms)
{
    for (bw_task *task = t->oldest, *next; task && task->expires_ms <= now_ms; task = next) {
        next = task->newer;
        if (task->running)
            continue; /* its call still points at it; it goes once the call settled */
        unlink_record(t, task);
        record_free(task);
    }
}

static bool fresh_id(char out[BW_TASK_ID_LEN + 1])
{
    unsigned char raw[BW_TASK_ID_LEN / 2];
    if (RAND_bytes(raw, (int)sizeof raw) != 1)
        return false;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return true;
}

static bw_task *record_new(int64_t expires_ms, int64_t wall_ms)
{
    bw_task *task = calloc(1, sizeof *task);
    if (!task)
        return NULL;
    task->outstanding = json_object();
    task->answers = json_object();
    if (!task->outstanding || !task->answers) {
        record_free(task);
        return NULL;
    }
    task->status = BW_TASK_WORKING;
    task->created_wall = task->updated_wall = wall_ms;
    task->expires_ms = expires_ms;
    return task;
}

bw_task *bw_tasks_create_locked(bw_tasks *t, int64_t now_ms, int64_t wall_ms, bw_status *st)
{
    bw_tasks_sweep_locked(t, now_ms);
    if (t->count >= t->cfg.max_tasks) {
        *st = BW_E_OVERLOADED;
        return NULL;
    }
    bw_task *task = record_new(now_ms + t->cfg.ttl_ms, wall_ms);
    if (!task) {
        *st = BW_E_NOMEM;
        return NULL;
    }
    /* 128 random bits: a collision is not a practical concern, but a duplicate id would alias two callers'
     * tasks, so it is checked anyway. */
    do {
        if (!fresh_id(task->id)) {
            record_free(task);
            *st = BW_E_INTERNAL;
            return NULL;
        }
    } while (bw_tasks_find_locked(t, task->id, now_ms));
    size_t b = bucket_of(t, task->id);
    task->hnext = t->buckets[b];
    t->buckets[b] = task;
    task->older = t->newest;
    if (t->newest)
        t->newest->newer = task;
    else
        t->oldest = task;
    t->newest = task;
    t->count++;
    *st = BW_OK;
    return task;
}

bw_task *bw_tasks_find_locked(bw_tasks *t, const char *id, int64_t now_ms)
{
    if (!id || strlen(id) != BW_TASK_ID_LEN)
        return NULL;
    for (bw_task *task = t->buckets[bucket_of(t, id)]; task; task = task->hnext) {
        if (strcmp(task->id, id) != 0)
            continue;
        if (task->expires_ms > now_ms)
            return task;
        if (!task->running) {
            unlink_record(t, task);
            record_free(task);
        }
        return NULL;
    }
    return NULL;
}

void bw_tasks_remove_locked(bw_tasks *t, bw_task *task)
{
    unlink_record(t, task);
    record_free(task);
}

size_t bw_tasks_count_locked(const bw_tasks *t)
{
    return t->count;
}

/* ---- status transitions ---- */

bool bw_task_terminal(const bw_task *task)
{
    return task->status == BW_TASK_COMPLETED || task->status == BW_TASK_FAILED ||
           task->status == BW_TASK_CANCELLED;
}

static void set_status(bw_task *task, bw_task_status st, const char *message, int64_t wall_ms)
{
    task->status = st;
    task->updated_wall = wall_ms;
    free(task->status_message);
    task->status_message = message ? strdup(message) : NULL;
    if (st != BW_TASK_INPUT_REQUIRED)
        json_object_clear(task->outstanding);
}

void bw_task_complete(bw_task *task, json_t *result, int64_t wall_ms)
{
    if (bw_task_terminal(task)) {
        json_decref(result);
        return;
    }
    /* The 2025-11-25 tasks tagged results with the task id in _meta; here the id sits beside the result. */
    json_t *meta = json_object_get(result, "_meta");
    if (json_is_object(meta)) {
        json_object_del(meta, RELATED_TASK_META);
        if (json_object_size(meta) == 0)
            json_object_del(result, "_meta");
    }
    task->result = result;
    set_status(task, BW_TASK_COMPLETED, NULL, wall_ms);
}

void bw_task_fail(bw_task *task, json_t *error, int64_t wall_ms)
{
    if (bw_task_terminal(task)) {
        json_decref(error);
        return;
    }
    task->error = error;
    set_status(task, BW_TASK_FAILED, json_string_value(json_object_get(error, "message")), wall_ms);
}

void bw_task_cancel_now(bw_task *task, int64_t wall_ms)
{
    if (!bw_task_terminal(task))
        set_status(task, BW_TASK_CANCELLED, "The task was cancelled at the client's request", wall_ms);
}

void bw_task_park(bw_task *task, const json_t *requests, int64_t wall_ms)
{
    if (bw_task_terminal(task))
        return;
    json_object_update(task->outstanding, (json_t *)requests);
    set_status(task, BW_TASK_INPUT_REQUIRED, NULL, wall_ms);
}

bool bw_task_answer(bw_task *task, const json_t *responses, int64_t wall_ms)
{
    if (task->status != BW_TASK_INPUT_REQUIRED)
        return false;
    const char *key;
    json_t *value;
    bool took = false;
    json_object_foreach((json_t *)responses, key, value) {
        if (!json_object_get(task->outstanding, key))
            continue; /* never asked, already answered or superseded: ignored, as the spec advises */
        json_object_set(task->answers, key, value);
        json_object_del(task->outstanding, key);
        took = true;
    }
    if (took)
        task->updated_wall = wall_ms;
    return json_object_size(task->outstanding) == 0;
}

void bw_task_resume(bw_task *task, int64_t wall_ms)
{
    if (task->status == BW_TASK_INPUT_REQUIRED)
        set_status(task, BW_TASK_WORKING, NULL, wall_ms);
}

/* ---- wire shapes ---- */

void bw_task_iso8601(int64_t wall_ms, char *out, size_t outlen)
{
    char text[BW_RFC3339_MS_LEN + 1];
    bw_rfc3339_ms(wall_ms, text);
    if (outlen)
        snprintf(out, outlen, "%s", text);
}

static void add_details(json_t *o, const bw_task *task)
{
    switch (task->status) {
    case BW_TASK_COMPLETED:
        json_object_set(o, "result", task->result);
        break;
    case BW_TASK_FAILED:
        json_object_set(o, "error", task->error);
        break;
    case BW_TASK_INPUT_REQUIRED:
        /* A copy: the outstanding map changes under the lock while this snapshot is being sent. */
        json_object_set_new(o, "inputRequests", json_deep_copy(task->outstanding));
        break;
    default:
        break;
    }
}

json_t *bw_task_json(const bw_tasks *t, const bw_task *task, bool detailed)
{
    char created[32], updated[32];
    bw_task_iso8601(task->created_wall, created, sizeof created);
    bw_task_iso8601(task->updated_wall, updated, sizeof updated);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "taskId", task->id, "status",
                          bw_task_status_str(task->status), "createdAt", created, "lastUpdatedAt", updated, "ttlMs",
                          (json_int_t)t->cfg.ttl_ms, "pollIntervalMs", (json_int_t)t->cfg.poll_ms);
    if (!o)
        return NULL;
    if (task->status_message)
        json_object_set_new(o, "statusMessage", json_string(task->status_message));
    if (detailed)
        add_details(o, task);
    return o;
}
