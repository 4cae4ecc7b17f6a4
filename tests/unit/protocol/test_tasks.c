/* Unit tests for src/protocol/tasks_store.{h,c}: the tasks extension's record store. Ids (format, uniqueness),
 * lookup, TTL expiry on the monotonic clock (including a record whose handler still runs), the bound on live
 * records, ISO-8601 timestamps, the status machine (terminal states are final, partial answers, resume), and the
 * exact CreateTaskResult / DetailedTask JSON. Concurrent creation from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/tasks.h"
#include "protocol/tasks_store.h"

#define T0 1000000           /* monotonic ms at the start of each test */
#define WALL 1700000000123LL /* 2023-11-14T22:13:20.123Z */
#define TTL 5000

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

/* Fails with both texts unless `got` equals the JSON `want` (got is released). */
static void assert_json(json_t *got, const char *want)
{
    json_t *w = parse(want);
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    if (!json_equal(got, w))
        fail_msg("JSON differs\n got: %s\nwant: %s", g, want);
    free(g);
    json_decref(w);
    json_decref(got);
}

static bw_tasks *store(size_t max)
{
    bw_tasks_config cfg = {.max_tasks = max, .ttl_ms = TTL, .poll_ms = 250};
    bw_tasks *t = bw_tasks_new(&cfg);
    assert_non_null(t);
    return t;
}

static bw_task *create(bw_tasks *t, int64_t now)
{
    bw_status st = BW_E_INTERNAL;
    bw_task *task = bw_tasks_create_locked(t, now, WALL, &st);
    assert_int_equal(st, BW_OK);
    assert_non_null(task);
    return task;
}

static void ids_are_random_lowercase_hex(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    json_t *seen = json_object();
    for (int i = 0; i < 1000; i++) {
        bw_task *task = create(t, T0);
        assert_int_equal(strlen(task->id), BW_TASK_ID_LEN);
        assert_int_equal(strspn(task->id, "0123456789abcdef"), BW_TASK_ID_LEN);
        assert_null(json_object_get(seen, task->id));
        json_object_set_new(seen, task->id, json_true());
    }
    assert_int_equal(bw_tasks_count_locked(t), 1000);
    json_decref(seen);
    bw_tasks_free(t);
}

static void find_takes_only_exact_live_ids(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    char id[BW_TASK_ID_LEN + 2];
    snprintf(id, sizeof id, "%s", task->id);
    assert_ptr_equal(bw_tasks_find_locked(t, id, T0), task);
    id[0] = id[0] == 'a' ? 'b' : 'a';
    assert_null(bw_tasks_find_locked(t, id, T0));
    assert_null(bw_tasks_find_locked(t, "gate-test", T0));
    assert_null(bw_tasks_find_locked(t, "", T0));
    assert_null(bw_tasks_find_locked(t, NULL, T0));
    snprintf(id, sizeof id, "%sx", task->id); /* one character too long */
    assert_null(bw_tasks_find_locked(t, id, T0));
    bw_tasks_free(t);
}

static void records_expire_after_their_ttl(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    char id[BW_TASK_ID_LEN + 1];
    memcpy(id, create(t, T0)->id, sizeof id);
    assert_non_null(bw_tasks_find_locked(t, id, T0 + TTL - 1));
    assert_null(bw_tasks_find_locked(t, id, T0 + TTL));
    assert_int_equal(bw_tasks_count_locked(t), 0); /* removed by the lookup that found it expired */
    bw_tasks_free(t);
}

static void a_running_record_outlives_its_ttl_until_settled(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    bw_task *later = create(t, T0 + 10);
    task->running = (struct bw_call *)task; /* any non-NULL marker: nothing dereferences it */
    char id[BW_TASK_ID_LEN + 1];
    memcpy(id, task->id, sizeof id);
    assert_null(bw_tasks_find_locked(t, id, T0 + TTL)); /* no longer visible to clients... */
    bw_tasks_sweep_locked(t, T0 + TTL + 10);
    assert_int_equal(bw_tasks_count_locked(t), 1);       /* ...but kept for its call; the idle one went */
    assert_ptr_equal(t->oldest, task);
    (void)later;
    task->running = NULL;
    bw_tasks_sweep_locked(t, T0 + TTL + 10);
    assert_int_equal(bw_tasks_count_locked(t), 0);
    assert_null(t->oldest);
    assert_null(t->newest);
    bw_tasks_free(t);
}

static void the_bound_refuses_then_expiry_makes_room(void **state)
{
    (void)state;
    bw_tasks *t = store(3);
    create(t, T0);
    create(t, T0 + 1);
    create(t, T0 + 2);
    bw_status st = BW_OK;
    assert_null(bw_tasks_create_locked(t, T0 + 3, WALL, &st));
    assert_int_equal(st, BW_E_OVERLOADED);
    assert_int_equal(bw_tasks_count_locked(t), 3);
    /* The first record expires at T0 + TTL: creating then sweeps it and succeeds. */
    assert_non_null(bw_tasks_create_locked(t, T0 + TTL, WALL, &st));
    assert_int_equal(st, BW_OK);
    assert_int_equal(bw_tasks_count_locked(t), 3);
    bw_tasks_free(t);
}

static void timestamps_are_iso8601_utc_with_milliseconds(void **state)
{
    (void)state;
    char out[32];
    bw_task_iso8601(0, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    bw_task_iso8601(WALL, out, sizeof out);
    assert_string_equal(out, "2023-11-14T22:13:20.123Z");
    bw_task_iso8601(951782400999LL, out, sizeof out); /* leap day */
    assert_string_equal(out, "2000-02-29T00:00:00.999Z");
}

/* The record's JSON with its random id replaced by "ID", for exact comparisons. */
static json_t *shape(bw_tasks *t, bw_task *task, bool detailed)
{
    json_t *o = bw_task_json(t, task, detailed);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "taskId")), task->id);
    json_object_set_new(o, "taskId", json_string("ID"));
    return o;
}

/* Member `key` of o (a new reference, or NULL); o is released. */
static json_t *member(json_t *o, const char *key)
{
    json_t *m = json_incref(json_object_get(o, key));
    json_decref(o);
    return m;
}

static void create_result_is_flat_with_integer_durations(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    assert_json(shape(t, task, false),
                "{\"taskId\":\"ID\",\"status\":\"working\",\"createdAt\":\"2023-11-14T22:13:20.123Z\","
                "\"lastUpdatedAt\":\"2023-11-14T22:13:20.123Z\",\"ttlMs\":5000,\"pollIntervalMs\":250}");
    assert_json(shape(t, task, true),
                "{\"taskId\":\"ID\",\"status\":\"working\",\"createdAt\":\"2023-11-14T22:13:20.123Z\","
                "\"lastUpdatedAt\":\"2023-11-14T22:13:20.123Z\",\"ttlMs\":5000,\"pollIntervalMs\":250}");
    bw_tasks_free(t);
}

static void completed_inlines_the_result_without_related_task_meta(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    bw_task_complete(task,
                     parse("{\"content\":[{\"type\":\"text\",\"text\":\"done\"}],\"_meta\":{"
                           "\"io.modelcontextprotocol/related-task\":{\"taskId\":\"x\"}}}"),
                     WALL + 1000);
    assert_json(shape(t, task, true),
                "{\"taskId\":\"ID\",\"status\":\"completed\",\"createdAt\":\"2023-11-14T22:13:20.123Z\","
                "\"lastUpdatedAt\":\"2023-11-14T22:13:21.123Z\",\"ttlMs\":5000,\"pollIntervalMs\":250,"
                "\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"done\"}]}}");
    /* Other _meta keys stay. */
    bw_task *other = create(t, T0);
    bw_task_complete(other, parse("{\"content\":[],\"isError\":true,\"_meta\":{\"k\":1,"
                                  "\"io.modelcontextprotocol/related-task\":{}}}"), WALL);
    assert_json(member(shape(t, other, true), "result"),
                "{\"content\":[],\"isError\":true,\"_meta\":{\"k\":1}}");
    bw_tasks_free(t);
}

static void terminal_states_are_final(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    bw_task_fail(task, parse("{\"code\":-32603,\"message\":\"Internal error: boom\"}"), WALL);
    assert_true(bw_task_terminal(task));
    bw_task_complete(task, parse("{\"content\":[]}"), WALL + 5);
    bw_task_cancel_now(task, WALL + 6);
    json_t *asks = parse("{\"k\":{\"method\":\"roots/list\"}}");
    bw_task_park(task, asks, WALL + 7);
    json_decref(asks);
    assert_json(shape(t, task, true),
                "{\"taskId\":\"ID\",\"status\":\"failed\",\"statusMessage\":\"Internal error: boom\","
                "\"createdAt\":\"2023-11-14T22:13:20.123Z\",\"lastUpdatedAt\":\"2023-11-14T22:13:20.123Z\","
                "\"ttlMs\":5000,\"pollIntervalMs\":250,\"error\":{\"code\":-32603,\"message\":\"Internal error: boom\"}}");
    bw_task *c = create(t, T0);
    bw_task_cancel_now(c, WALL);
    assert_int_equal(c->status, BW_TASK_CANCELLED);
    json_t *o = shape(t, c, true);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "cancelled");
    assert_null(json_object_get(o, "result"));
    assert_null(json_object_get(o, "error"));
    json_decref(o);
    bw_tasks_free(t);
}

static void partial_answers_keep_the_task_waiting(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    json_t *asks = parse("{\"first\":{\"method\":\"elicitation/create\",\"params\":{}},"
                         "\"second\":{\"method\":\"elicitation/create\",\"params\":{}}}");
    bw_task_park(task, asks, WALL);
    json_decref(asks);
    json_t *snapshot = shape(t, task, true);
    /* An unknown key is ignored; the answered one leaves the outstanding map. */
    json_t *partial = parse("{\"first\":{\"action\":\"accept\",\"content\":{\"name\":\"A\"}},"
                            "\"unknown-key\":{\"ignored\":true}}");
    assert_false(bw_task_answer(task, partial, WALL + 1));
    json_decref(partial);
    assert_int_equal(task->status, BW_TASK_INPUT_REQUIRED);
    assert_json(member(shape(t, task, true), "inputRequests"),
                "{\"second\":{\"method\":\"elicitation/create\",\"params\":{}}}");
    assert_json(json_incref(task->answers), "{\"first\":{\"action\":\"accept\",\"content\":{\"name\":\"A\"}}}");
    /* The earlier snapshot was a copy. */
    assert_int_equal(json_object_size(json_object_get(snapshot, "inputRequests")), 2);
    json_decref(snapshot);
    /* Answering the same key again changes nothing. */
    json_t *again = parse("{\"first\":{\"action\":\"decline\"}}");
    assert_false(bw_task_answer(task, again, WALL + 2));
    json_decref(again);
    assert_string_equal(json_string_value(json_object_get(json_object_get(task->answers, "first"), "action")),
                        "accept");
    json_t *rest = parse("{\"second\":{\"action\":\"accept\",\"content\":{\"confirm\":true}}}");
    assert_true(bw_task_answer(task, rest, WALL + 3));
    json_decref(rest);
    bw_task_resume(task, WALL + 3);
    assert_int_equal(task->status, BW_TASK_WORKING);
    assert_int_equal(json_object_size(task->outstanding), 0);
    assert_int_equal(json_object_size(task->answers), 2);
    assert_null(member(shape(t, task, true), "inputRequests"));
    bw_tasks_free(t);
}

static void answers_are_ignored_unless_waiting(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    bw_task *task = create(t, T0);
    json_t *r = parse("{\"confirm\":{\"action\":\"accept\"}}");
    assert_false(bw_task_answer(task, r, WALL));
    assert_int_equal(task->status, BW_TASK_WORKING);
    assert_int_equal(json_object_size(task->answers), 0);
    bw_task_resume(task, WALL); /* not input_required: no change */
    assert_int_equal(task->status, BW_TASK_WORKING);
    json_decref(r);
    bw_tasks_free(t);
}

static void status_names(void **state)
{
    (void)state;
    assert_string_equal(bw_task_status_str(BW_TASK_WORKING), "working");
    assert_string_equal(bw_task_status_str(BW_TASK_INPUT_REQUIRED), "input_required");
    assert_string_equal(bw_task_status_str(BW_TASK_COMPLETED), "completed");
    assert_string_equal(bw_task_status_str(BW_TASK_FAILED), "failed");
    assert_string_equal(bw_task_status_str(BW_TASK_CANCELLED), "cancelled");
}

#define THREADS 4
#define PER_THREAD 500

static void *creator(void *arg)
{
    bw_tasks *t = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        bw_tasks_lock(t);
        bw_status st = BW_E_INTERNAL;
        bw_task *task = bw_tasks_create_locked(t, T0, WALL, &st);
        bool found = task && bw_tasks_find_locked(t, task->id, T0) == task;
        bw_tasks_unlock(t);
        if (!found)
            return (void *)1;
    }
    return NULL;
}

static void concurrent_creation_keeps_every_record(void **state)
{
    (void)state;
    bw_tasks *t = store(0);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, creator, t), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc = NULL;
        pthread_join(th[i], &rc);
        assert_null(rc);
    }
    assert_int_equal(bw_tasks_count_locked(t), THREADS * PER_THREAD);
    size_t n = 0;
    for (bw_task *task = t->oldest; task; task = task->newer)
        n++;
    assert_int_equal(n, THREADS * PER_THREAD);
    bw_tasks_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_are_random_lowercase_hex),
        cmocka_unit_test(find_takes_only_exact_live_ids),
        cmocka_unit_test(records_expire_after_their_ttl),
        cmocka_unit_test(a_running_record_outlives_its_ttl_until_settled),
        cmocka_unit_test(the_bound_refuses_then_expiry_makes_room),
        cmocka_unit_test(timestamps_are_iso8601_utc_with_milliseconds),
        cmocka_unit_test(create_result_is_flat_with_integer_durations),
        cmocka_unit_test(completed_inlines_the_result_without_related_task_meta),
        cmocka_unit_test(terminal_states_are_final),
        cmocka_unit_test(partial_answers_keep_the_task_waiting),
        cmocka_unit_test(answers_are_ignored_unless_waiting),
        cmocka_unit_test(status_names),
        cmocka_unit_test(concurrent_creation_keeps_every_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
