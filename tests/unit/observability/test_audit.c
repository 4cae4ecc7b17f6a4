/* Unit tests for the audit trail (src/observability/audit*.c) on real SQLite files in a private temporary directory:
 * the lock-free queue (order, bound, four producers), the chain hash against a hand-written canonical record, times
 * given on the command line, appends and verification (intact, modified, deleted, reordered, renumbered), retention
 * behind a signed checkpoint (and a forged one), checkpoint keys, the spool (bound, replay in order), and the writer
 * through the public API (auth-failure records, flush at server free, a reload with the same options keeping the
 * writer, a new path taking effect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwark/observe.h"
#include "bulwark/server.h"
#include "observability/audit.h"
#include "observability/audit_checkpoint.h"
#include "observability/audit_internal.h"
#include "observability/audit_queue.h"
#include "observability/audit_record.h"
#include "observability/audit_spool.h"
#include "observability/audit_store.h"
#include "protocol/server_internal.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-audit-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/audit.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* ---- queue ---- */

static void test_queue_order_and_bound(void **state)
{
    (void)state;
    bw_audit_queue *q = bw_audit_queue_new(5);
    assert_int_equal(bw_audit_queue_capacity(q), 8);
    static int items[9];
    for (int i = 0; i < 8; i++)
        assert_true(bw_audit_queue_push(q, &items[i]));
    assert_false(bw_audit_queue_push(q, &items[8]));
    assert_int_equal(bw_audit_queue_length(q), 8);
    for (int i = 0; i < 8; i++)
        assert_ptr_equal(bw_audit_queue_pop(q), &items[i]);
    assert_null(bw_audit_queue_pop(q));
    assert_true(bw_audit_queue_push(q, &items[8])); /* wraps around */
    assert_ptr_equal(bw_audit_queue_pop(q), &items[8]);
    bw_audit_queue_free(q);
}

#define PRODUCERS 4
#define PER_PRODUCER 20000

typedef struct producer {
    bw_audit_queue *q;
    int id;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (intptr_t i = 0; i < PER_PRODUCER; i++) {
        void *item = (void *)(((intptr_t)p->id << 24) | (i + 1));
        while (!bw_audit_queue_push(p->q, item))
            sched_yield();
    }
    return NULL;
}

static void test_queue_concurrent_producers(void **state)
{
    (void)state;
    bw_audit_queue *q = bw_audit_queue_new(64);
    pthread_t t[PRODUCERS];
    producer p[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        p[i] = (producer){q, i};
        assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
    }
    intptr_t next[PRODUCERS] = {1, 1, 1, 1};
    for (int got = 0; got < PRODUCERS * PER_PRODUCER;) {
        void *item = bw_audit_queue_pop(q);
        if (!item) {
            sched_yield();
            continue;
        }
        intptr_t v = (intptr_t)item;
        int id = (int)(v >> 24);
        assert_true(id >= 0 && id < PRODUCERS);
        assert_int_equal(v & 0xFFFFFF, next[id]); /* each producer's items in its order, none lost or doubled */
        next[id]++;
        got++;
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(t[i], NULL);
    assert_null(bw_audit_queue_pop(q));
    bw_audit_queue_free(q);
}

/* ---- records and the chain rule ---- */

static json_t *sample_record(const char *target)
{
    json_t *rec = bw_audit_record_auth("127.0.0.1:5", "ua/1", "alice", "bad_key");
    json_object_set_new(rec, "time", json_string("2025-01-02T03:04:05.678Z"));
    json_object_set_new(rec, "target", json_string(target));
    return rec;
}

static void test_chain_hash_rule(void **state)
{
    (void)state;
    json_t *rec = sample_record("t");
    char hash[65];
    assert_true(bw_audit_record_seal(rec, BW_AUDIT_GENESIS, NULL, hash));
    /* Written out by hand: sorted keys, compact, every member present, no seq/hash. */
    const char *canon = "{\"args_sha256\":null,\"arguments\":null,\"client_name\":null,\"client_version\":null,"
                        "\"duration_us\":null,\"error_type\":\"bad_key\",\"event\":\"auth_failure\","
                        "\"identity\":\"alice\",\"method\":null,\"outcome\":\"denied\",\"prev_hash\":\"" BW_AUDIT_GENESIS
                        "\",\"remote_addr\":\"127.0.0.1:5\",\"request_id\":null,\"session_id\":null,\"target\":\"t\","
                        "\"time\":\"2025-01-02T03:04:05.678Z\",\"user_agent\":\"ua/1\"}";
    char msg[1024];
    snprintf(msg, sizeof msg, "%s%s", BW_AUDIT_GENESIS, canon);
    char want[65];
    assert_true(bw_audit_sha256_hex(msg, strlen(msg), want));
    assert_string_equal(hash, want);
    /* seq and hash members do not change the hash; any other member does. */
    json_object_set_new(rec, "seq", json_integer(42));
    json_object_set_new(rec, "hash", json_string("x"));
    char again[65];
    assert_true(bw_audit_record_hash(rec, NULL, again));
    assert_string_equal(again, want);
    json_object_set_new(rec, "outcome", json_string("ok"));
    assert_true(bw_audit_record_hash(rec, NULL, again));
    assert_string_not_equal(again, want);
    json_decref(rec);
}

/* The streamed chain hash equals SHA-256(prev_hash || canonical JSON of an object of exactly the fields), for values
 * whose escaping and key order matter (non-ASCII, quotes, control characters, unsorted nested keys) and for
 * arguments whose text exceeds the hash's stack buffer. */
static void test_chain_hash_canonical_equivalence(void **state)
{
    (void)state;
    json_t *rec = json_object();
    for (size_t i = 0; i < bw_audit_nfields; i++)
        json_object_set_new(rec, bw_audit_fields[i].name, json_null());
    json_object_set_new(rec, "target", json_string("caf\u00e9 \"quoted\" \\ tab\t nl\n \u2603"));
    /* Every ASCII character (each control character's escape, DEL and '/' as is) in one member, and a member longer
     * than the digest's buffer. */
    char ascii[128];
    for (int c = 1; c < 128; c++)
        ascii[c - 1] = (char)c;
    ascii[127] = '\0';
    json_object_set_new(rec, "user_agent", json_string(ascii));
    char wide[5000];
    for (size_t i = 0; i + 1 < sizeof wide; i++)
        wide[i] = i % 97 == 0 ? '\n' : (char)('a' + i % 26);
    wide[sizeof wide - 1] = '\0';
    json_object_set_new(rec, "request_id", json_string(wide));
    json_object_set_new(rec, "duration_us", json_integer(-7));
    json_object_set_new(rec, "prev_hash", json_string(BW_AUDIT_GENESIS));
    json_t *args = json_pack("{s:{s:i,s:s,s:[i,s,n]},s:b,s:f}", "zeta", "b", 2, "a", "x\001y", "list", 1, "\u00fc", "alpha",
                             1, "pi", 3.25);
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_object_set_new(args, "long", json_string(big));
    json_object_set_new(rec, "arguments", args);
    json_t *body = json_object();
    for (size_t i = 0; i < bw_audit_nfields; i++)
        json_object_set(body, bw_audit_fields[i].name, json_object_get(rec, bw_audit_fields[i].name));
    char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert_non_null(canon);
    size_t len = strlen(BW_AUDIT_GENESIS) + strlen(canon);
    char *msg = malloc(len + 1);
    assert_non_null(msg);
    snprintf(msg, len + 1, "%s%s", BW_AUDIT_GENESIS, canon);
    char want[65], got[65];
    assert_true(bw_audit_sha256_hex(msg, len, want));
    assert_true(bw_audit_record_hash(rec, NULL, got));
    assert_string_equal(got, want);
    /* The arguments' text computed once by the store gives the same hash. */
    char *args_text = bw_audit_arguments_text(rec);
    assert_non_null(args_text);
    assert_true(bw_audit_record_hash(rec, args_text, got));
    assert_string_equal(got, want);
    free(args_text);
    free(msg);
    free(canon);
    json_decref(body);
    json_decref(rec);
}

static void test_time_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_true(bw_audit_time_parse("2025-01-02T03:04:05Z", 0, &ms));
    assert_int_equal(ms, 1735787045000LL);
    assert_true(bw_audit_time_parse("2025-01-02T03:04:05.5Z", 0, &ms));
    assert_int_equal(ms, 1735787045500LL);
    assert_true(bw_audit_time_parse("2025-01-02T05:04:05.123+02:00", 0, &ms));
    assert_int_equal(ms, 1735787045123LL);
    assert_true(bw_audit_time_parse("24h", 100000000, &ms));
    assert_int_equal(ms, 100000000 - 86400000);
    assert_true(bw_audit_time_parse("90s", 100000, &ms));
    assert_int_equal(ms, 10000);
    assert_true(bw_audit_time_parse("7d", 0, &ms));
    assert_int_equal(ms, -7 * 86400000LL);
    const char *bad[] = {"", "yesterday", "24", "h", "-5m", "2025-01-02", "2025-01-02T03:04:05", "2025-01-02T03:04:05Zx",
                         "2025-01-02T03:04:05+2:00", "5w"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(bw_audit_time_parse(bad[i], 0, &ms));
    char t[25];
    bw_audit_time_format(1735787045007LL, t);
    assert_string_equal(t, "2025-01-02T03:04:05.007Z");
}

/* ---- store + verify ---- */

static bw_audit_store *open_trail(const char *path)
{
    char err[300] = "";
    bw_audit_store *s = bw_audit_sqlite_open(path, true, err, sizeof err);
    if (!s)
        fail_msg("open: %s", err);
    return s;
}

static void append_n(bw_audit_store *s, int n, int first)
{
    json_t *recs[16];
    char target[16];
    for (int i = 0; i < n; i++) {
        snprintf(target, sizeof target, "t%d", first + i);
        recs[i] = sample_record(target);
    }
    char err[300] = "";
    assert_int_equal(bw_audit_store_append(s, recs, (size_t)n, err, sizeof err), BW_OK);
    for (int i = 0; i < n; i++) {
        assert_true(json_is_integer(json_object_get(recs[i], "seq")));
        json_decref(recs[i]);
    }
}

static void sql(const char *path, const char *stmt)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, stmt, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", stmt, msg);
    sqlite3_close(db);
}

static bw_audit_verify_result verify(const char *path, const uint8_t *key)
{
    char err[300] = "";
    bw_audit_store *s = bw_audit_sqlite_open(path, false, err, sizeof err); /* as `audit verify`: no schema changes */
    if (!s)
        fail_msg("open: %s", err);
    bw_audit_verify_result r;
    assert_int_equal(bw_audit_verify(s, key, &r, err, sizeof err), BW_OK);
    bw_audit_store_close(s);
    return r;
}

static void test_append_and_verify(void **state)
{
    fixture *f = *state;
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 3, 1);
    append_n(s, 2, 4); /* a second transaction continues the chain */
    bw_audit_store_close(s);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    bw_audit_verify_result r = verify(f->path, NULL);
    assert_true(r.intact);
    assert_int_equal(r.records, 5);
    assert_int_equal(r.first_seq, 1);
    assert_int_equal(r.last_seq, 5);
}

static void expect_broken(const char *path, const char *stmts, const char *needle)
{
    sql(path, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;");
    sql(path, stmts);
    bw_audit_verify_result r = verify(path, NULL);
    assert_false(r.intact);
    if (!strstr(r.problem, needle))
        fail_msg("problem '%s' lacks '%s'", r.problem, needle);
}

static void test_verify_modified(void **state)
{
    fixture *f = *state;
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 4, 1);
    bw_audit_store_close(s);
    expect_broken(f->path, "UPDATE audit SET identity = 'mallory' WHERE seq = 3", "record seq 3 (time ");
    bw_audit_verify_result r = verify(f->path, NULL);
    assert_non_null(strstr(r.problem, ": modified: "));
}

static void test_verify_deleted(void **state)
{
    fixture *f = *state;
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 4, 1);
    bw_audit_store_close(s);
    expect_broken(f->path, "DELETE FROM audit WHERE seq = 2", "record seq 3 (time ");
    assert_non_null(strstr(verify(f->path, NULL).problem, "deleted: record seq 2 is missing"));
}

static void test_verify_reordered(void **state)
{
    fixture *f = *state;
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 4, 1);
    bw_audit_store_close(s);
    expect_broken(f->path,
                  "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4;"
                  "UPDATE audit SET seq = 4 WHERE seq = -1",
                  "record seq 3 (time ");
    assert_non_null(strstr(verify(f->path, NULL).problem, "reordered: its prev_hash is the hash of record seq 4"));
}

static void test_verify_hash_edited(void **state)
{
    /* Only a stored hash changed: that record is reported; putting the hash back makes the chain intact again. */
    fixture *f = *state;
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 3, 1);
    bw_audit_store_close(s);
    expect_broken(f->path, "UPDATE audit SET hash = 'ff' || substr(hash, 3) WHERE seq = 2", "record seq 2");
    assert_non_null(strstr(verify(f->path, NULL).problem, ": modified: "));
    sql(f->path, "UPDATE audit SET hash = (SELECT prev_hash FROM audit WHERE seq = 3) WHERE seq = 2");
    assert_true(verify(f->path, NULL).intact);
}

/* ---- retention ---- */

static const uint8_t KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static bool sign_cb(bw_audit_checkpoint *cp, void *user)
{
    return bw_audit_checkpoint_sign(cp, user);
}

static void test_prune_and_checkpoint(void **state)
{
    fixture *f = *state;
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 3, 1); /* every sample record has time 2025-01-02T03:04:05.678Z */
    bw_audit_checkpoint cp = {.time = "2026-01-01T00:00:00.000Z"};
    int64_t removed = -1;
    char err[300] = "";
    assert_int_equal(s->ops->prune(s, "2025-01-01T00:00:00.000Z", &cp, sign_cb, (void *)KEY, &removed, err, sizeof err),
                     BW_OK);
    assert_int_equal(removed, 0); /* nothing older */
    assert_int_equal(s->ops->prune(s, "2025-06-01T00:00:00.000Z", &cp, sign_cb, (void *)KEY, &removed, err, sizeof err),
                     BW_OK);
    assert_int_equal(removed, 3);
    assert_int_equal(cp.seq, 3);
    append_n(s, 2, 4); /* the head now comes from the checkpoint */
    bw_audit_store_close(s);
    bw_audit_verify_result r = verify(f->path, KEY);
    assert_true(r.intact);
    assert_true(r.from_checkpoint);
    assert_int_equal(r.checkpoint_seq, 3);
    assert_int_equal(r.first_seq, 4);
    assert_int_equal(r.records, 2);
    r = verify(f->path, NULL);
    assert_false(r.intact);
    assert_non_null(strstr(r.problem, "no key"));
    uint8_t other[32] = {9};
    assert_false(verify(f->path, other).intact);
    sql(f->path, "DROP TRIGGER audit_checkpoint_no_change; UPDATE audit_checkpoint SET count = 1");
    r = verify(f->path, KEY);
    assert_false(r.intact);
    assert_non_null(strstr(r.problem, "bad signature"));
}

static void test_keys(void **state)
{
    fixture *f = *state;
    uint8_t key[32], again[32];
    char err[200] = "";
    assert_int_equal(bw_audit_key_load("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", NULL, false,
                                       key, err, sizeof err), BW_OK);
    assert_int_equal(key[31], 0x1f);
    assert_int_equal(bw_audit_key_load("abc", NULL, false, key, err, sizeof err), BW_E_INVALID_ARG);
    assert_null(strstr(err, "abc")); /* the key text is never echoed */
    char path[160];
    snprintf(path, sizeof path, "%s/k.key", f->dir);
    assert_int_equal(bw_audit_key_load(NULL, path, false, key, err, sizeof err), BW_E_NOT_FOUND);
    assert_int_equal(bw_audit_key_load(NULL, path, true, key, err, sizeof err), BW_OK);
    assert_int_equal(bw_audit_key_load(NULL, path, true, again, err, sizeof err), BW_OK); /* kept, not replaced */
    assert_memory_equal(key, again, 32);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
}

/* ---- spool ---- */

static void test_spool_replay_in_order(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/spool.jsonl", f->dir);
    bw_audit_spool *sp = bw_audit_spool_new(path, 4096);
    char target[16];
    for (int i = 0; i < 3; i++) {
        snprintf(target, sizeof target, "s%d", i);
        json_t *rec = sample_record(target);
        assert_true(bw_audit_spool_append(sp, rec));
        json_decref(rec);
    }
    json_t *big = sample_record("x");
    char *pad = calloc(1, 5000);
    memset(pad, 'a', 4999);
    json_object_set_new(big, "user_agent", json_string(pad));
    free(pad);
    assert_false(bw_audit_spool_append(sp, big)); /* beyond max_bytes */
    json_decref(big);
    assert_true(bw_audit_spool_bytes(sp) > 0);
    bw_audit_store *s = open_trail(f->path);
    append_n(s, 1, 0);
    assert_true(bw_audit_spool_take(sp));
    assert_int_equal(bw_audit_spool_bytes(sp), 0);
    int64_t replayed = 0, skipped = 0;
    char err[300] = "";
    assert_int_equal(bw_audit_spool_replay(sp, s, &replayed, &skipped, err, sizeof err), BW_OK);
    assert_int_equal(replayed, 3);
    assert_int_equal(skipped, 0);
    assert_false(bw_audit_spool_take(sp)); /* nothing left */
    bw_audit_store_close(s);
    bw_audit_spool_free(sp);
    bw_audit_verify_result r = verify(f->path, NULL);
    assert_true(r.intact);
    assert_int_equal(r.records, 4);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(target, ',') FROM (SELECT target FROM audit ORDER BY seq)",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "t0,s0,s1,s2");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- the writer, through the public API ---- */

static int64_t count_rows(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM audit", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_writer_auth_failures_and_reload(void **state)
{
    fixture *f = *state;
    bw_server *srv = bw_server_new(&(bw_server_info){.name = "t", .version = "1"});
    assert_non_null(srv);
    char err[300] = "";
    bw_audit_options o = {.sqlite_path = f->path};
    assert_int_equal(bw_server_set_audit(srv, &o, err, sizeof err), BW_OK);
    bw_audit *a = atomic_load(&srv->obs->audit);
    assert_non_null(a);
    bw_audit_cfg *latest = a->latest;
    bw_server_audit_auth_failure(srv, "127.0.0.1:9", "ua", "bob", "bad_token");
    /* The same options again (a reload that changed nothing): the same writer and configuration. */
    assert_int_equal(bw_server_set_audit(srv, &o, err, sizeof err), BW_OK);
    assert_ptr_equal(atomic_load(&srv->obs->audit), a);
    assert_ptr_equal(a->latest, latest);
    /* Another trail: records after the reload go there. */
    char second[160];
    snprintf(second, sizeof second, "%s/second.db", f->dir);
    bw_audit_options o2 = {.sqlite_path = second, .arguments = BW_AUDIT_ARGS_NONE};
    assert_int_equal(bw_server_set_audit(srv, &o2, err, sizeof err), BW_OK);
    assert_ptr_equal(atomic_load(&srv->obs->audit), a);
    bw_server_audit_auth_failure(srv, NULL, NULL, NULL, "bad_key");
    bw_audit_options bad = {.sqlite_path = f->path, .checkpoint_key = "short"};
    assert_int_equal(bw_server_set_audit(srv, &bad, err, sizeof err), BW_E_INVALID_ARG);
    bw_server_free(srv); /* flushes */
    assert_int_equal(count_rows(f->path), 1);
    assert_int_equal(count_rows(second), 1);
    assert_true(verify(f->path, NULL).intact);
    assert_true(verify(second, NULL).intact);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_order_and_bound),
        cmocka_unit_test(test_queue_concurrent_producers),
        cmocka_unit_test(test_chain_hash_rule),
        cmocka_unit_test(test_chain_hash_canonical_equivalence),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test_setup_teardown(test_append_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_modified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_hash_edited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_and_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_replay_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_auth_failures_and_reload, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
