/* Unit tests for the idempotency store (src/reliability/idempotency.c) on a real SQLite file in a private temporary
 * directory: the record life cycle (proceed, replay, mismatch, in progress, failure, expiry), durability across a
 * reopen (= a restart, including the take-over of a crashed call's record), WAL mode, the size bounds, the file's
 * mode, and four threads sharing one store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reliability/idempotency.h"

#define NOW 1700000000000LL /* epoch ms: records expire by wall time */
#define TTL 60000

typedef struct fixture {
    char dir[64];
    char path[128];
    bw_idem_store *s;
} fixture;

static const unsigned char sha_a[32] = {1, 2, 3};
static const unsigned char sha_b[32] = {9, 9, 9};

static bw_idem_store *open_store(const char *path)
{
    char err[256] = "";
    bw_idem_store *s = bw_idem_open(path, err, sizeof err);
    if (!s)
        fail_msg("bw_idem_open: %s", err);
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-idem-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
    f->s = open_store(f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bw_idem_close(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static bw_idem_outcome begin(bw_idem_store *s, const char *key, const unsigned char *sha, int64_t now,
                             json_t **stored)
{
    char err[256];
    return bw_idem_begin(s, "alice", "pay", key, sha, now, TTL, stored, err, sizeof err);
}

static void proceed_then_replay_returns_the_stored_result(void **state)
{
    fixture *f = *state;
    json_t *stored = NULL;
    assert_int_equal(begin(f->s, "k1", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_null(stored);
    json_t *result = json_pack("{s:[{s:s,s:s}],s:{s:i}}", "content", "type", "text", "text", "paid \xC3\xA9",
                               "structuredContent", "amount", 42);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "k1", result, NOW + 5, TTL), BW_OK);
    assert_int_equal(begin(f->s, "k1", sha_a, NOW + 10, &stored), BW_IDEM_REPLAY);
    assert_non_null(stored);
    assert_true(json_equal(stored, result));
    json_decref(stored);
    /* The key is scoped by identity and tool: the same key elsewhere is a new call. */
    char err[256];
    assert_int_equal(bw_idem_begin(f->s, "bob", "pay", "k1", sha_a, NOW, TTL, &stored, err, sizeof err),
                     BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_begin(f->s, "alice", "refund", "k1", sha_a, NOW, TTL, &stored, err, sizeof err),
                     BW_IDEM_PROCEED);
    json_decref(result);
}

static void other_arguments_are_a_mismatch(void **state)
{
    fixture *f = *state;
    json_t *stored = NULL;
    assert_int_equal(begin(f->s, "k", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    /* While running, and once done. */
    assert_int_equal(begin(f->s, "k", sha_b, NOW, &stored), BW_IDEM_MISMATCH);
    json_t *result = json_pack("{s:b}", "ok", 1);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "k", result, NOW, TTL), BW_OK);
    assert_int_equal(begin(f->s, "k", sha_b, NOW, &stored), BW_IDEM_MISMATCH);
    assert_null(stored);
    json_decref(result);
}

static void a_running_call_is_in_progress(void **state)
{
    fixture *f = *state;
    json_t *stored = NULL;
    assert_int_equal(begin(f->s, "k", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_int_equal(begin(f->s, "k", sha_a, NOW + 1, &stored), BW_IDEM_IN_PROGRESS);
    assert_null(stored);
}

static void a_failed_call_deletes_its_record(void **state)
{
    fixture *f = *state;
    json_t *stored = NULL;
    assert_int_equal(begin(f->s, "k", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "k", NULL, NOW, TTL), BW_OK);
    assert_int_equal(begin(f->s, "k", sha_b, NOW, &stored), BW_IDEM_PROCEED); /* other args: a fresh key */
    /* Finishing a record that is not in progress for this store changes nothing. */
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "never-begun", NULL, NOW, TTL), BW_E_NOT_FOUND);
}

static void records_expire(void **state)
{
    fixture *f = *state;
    json_t *stored = NULL;
    json_t *result = json_pack("{s:i}", "n", 1);
    assert_int_equal(begin(f->s, "k", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "k", result, NOW, TTL), BW_OK);
    assert_int_equal(begin(f->s, "k", sha_a, NOW + TTL - 1, &stored), BW_IDEM_REPLAY);
    json_decref(stored);
    /* Expired: runs again, even with other arguments. */
    assert_int_equal(begin(f->s, "k", sha_b, NOW + TTL, &stored), BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "k", result, NOW + TTL, TTL), BW_OK);
    assert_int_equal(begin(f->s, "other", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_purge(f->s, NOW + TTL + 1), 1); /* "other" expired; "k" lives until NOW + 2 TTL */
    assert_int_equal(bw_idem_purge(f->s, NOW + 2 * TTL), 1);
    assert_int_equal(bw_idem_purge(f->s, NOW + 3 * TTL), 0);
    json_decref(result);
}

static void records_survive_a_restart(void **state)
{
    fixture *f = *state;
    json_t *stored = NULL;
    json_t *result = json_pack("{s:s}", "receipt", "r-1");
    assert_int_equal(begin(f->s, "done", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "done", result, NOW, TTL), BW_OK);
    assert_int_equal(begin(f->s, "crashed", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    bw_idem_close(f->s); /* the process "crashes" with "crashed" in progress */
    f->s = open_store(f->path);
    assert_int_equal(begin(f->s, "done", sha_a, NOW + 1, &stored), BW_IDEM_REPLAY);
    assert_true(json_equal(stored, result));
    json_decref(stored);
    assert_int_equal(begin(f->s, "done", sha_b, NOW + 1, &stored), BW_IDEM_MISMATCH);
    /* The previous process's in-progress record is taken over, and is then in progress for this one. */
    assert_int_equal(begin(f->s, "crashed", sha_a, NOW + 1, &stored), BW_IDEM_PROCEED);
    assert_int_equal(begin(f->s, "crashed", sha_a, NOW + 2, &stored), BW_IDEM_IN_PROGRESS);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "crashed", result, NOW + 3, TTL), BW_OK);
    json_decref(result);
}

static void the_file_is_private_and_in_wal_mode(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(db);
    /* A directory that does not exist: a reason, no store. */
    char err[256] = "";
    assert_null(bw_idem_open("/nonexistent-dir/state.db", err, sizeof err));
    assert_non_null(strstr(err, "cannot create the state database"));
}

static void oversize_inputs_are_refused(void **state)
{
    fixture *f = *state;
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char err[256] = "";
    json_t *stored = NULL;
    assert_int_equal(bw_idem_begin(f->s, "alice", "pay", big, sha_a, NOW, TTL, &stored, err, sizeof err),
                     BW_IDEM_ERROR);
    assert_string_equal(err, "the idempotency key is longer than 256 bytes");
    assert_int_equal(bw_idem_begin(f->s, big, "pay", "k", sha_a, NOW, TTL, &stored, err, sizeof err),
                     BW_IDEM_ERROR);
    assert_string_equal(err, "the caller's identity is longer than 256 bytes");
    big[129] = '\0';
    assert_int_equal(bw_idem_begin(f->s, "alice", big, "k", sha_a, NOW, TTL, &stored, err, sizeof err),
                     BW_IDEM_ERROR);
    assert_string_equal(err, "the tool name is longer than 128 bytes");
    big[128] = '\0'; /* exactly at the bounds: accepted */
    assert_int_equal(bw_idem_begin(f->s, "alice", big, "k", sha_a, NOW, TTL, &stored, err, sizeof err),
                     BW_IDEM_PROCEED);
    /* A result over 1 MiB is not stored: the record is deleted and the key runs again. */
    char *huge = malloc(1024 * 1024 + 1);
    memset(huge, 'y', 1024 * 1024);
    huge[1024 * 1024] = '\0';
    json_t *result = json_pack("{s:s}", "text", huge);
    assert_int_equal(begin(f->s, "k", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    assert_int_equal(bw_idem_finish(f->s, "alice", "pay", "k", result, NOW, TTL), BW_E_LIMIT);
    assert_int_equal(begin(f->s, "k", sha_a, NOW, &stored), BW_IDEM_PROCEED);
    json_decref(result);
    free(huge);
}

#define THREADS 4
#define KEYS_PER_THREAD 50

typedef struct worker {
    bw_idem_store *s;
    int id;
    int errors;
} worker;

/* Every thread runs the life cycle of its own keys and also races the others for shared keys. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    char err[256], key[32];
    for (int i = 0; i < KEYS_PER_THREAD; i++) {
        json_t *stored = NULL, *result = json_pack("{s:i,s:i}", "thread", w->id, "i", i);
        snprintf(key, sizeof key, "t%d-%d", w->id, i);
        w->errors += bw_idem_begin(w->s, "id", "tool", key, sha_a, NOW, TTL, &stored, err, sizeof err) !=
                     BW_IDEM_PROCEED;
        w->errors += bw_idem_finish(w->s, "id", "tool", key, result, NOW, TTL) != BW_OK;
        w->errors += bw_idem_begin(w->s, "id", "tool", key, sha_a, NOW, TTL, &stored, err, sizeof err) !=
                     BW_IDEM_REPLAY;
        w->errors += !json_equal(stored, result);
        json_decref(stored);
        snprintf(key, sizeof key, "shared-%d", i);
        bw_idem_outcome o = bw_idem_begin(w->s, "id", "tool", key, sha_a, NOW, TTL, &stored, err, sizeof err);
        w->errors += o == BW_IDEM_ERROR || o == BW_IDEM_MISMATCH;
        json_decref(stored);
        json_decref(result);
    }
    return NULL;
}

static void four_threads_share_one_store(void **state)
{
    fixture *f = *state;
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.s = f->s, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].errors, 0);
    }
    /* Exactly one thread won each shared key: the others saw it in progress. */
    json_t *stored = NULL;
    char err[256];
    for (int i = 0; i < KEYS_PER_THREAD; i++) {
        char key[32];
        snprintf(key, sizeof key, "shared-%d", i);
        assert_int_equal(bw_idem_begin(f->s, "id", "tool", key, sha_a, NOW, TTL, &stored, err, sizeof err),
                         BW_IDEM_IN_PROGRESS);
    }
    assert_int_equal(bw_idem_purge(f->s, NOW + TTL), THREADS * KEYS_PER_THREAD + KEYS_PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(proceed_then_replay_returns_the_stored_result, setup, teardown),
        cmocka_unit_test_setup_teardown(other_arguments_are_a_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(a_running_call_is_in_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_call_deletes_its_record, setup, teardown),
        cmocka_unit_test_setup_teardown(records_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(records_survive_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(the_file_is_private_and_in_wal_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(oversize_inputs_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(four_threads_share_one_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
