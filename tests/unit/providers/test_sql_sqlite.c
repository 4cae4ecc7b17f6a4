/* Unit tests of the sql provider on a real SQLite file: bound parameters and injection strings, typed values and
 * their text rendering, read-only enforcement against client-written SQL, row limits, pagination cursors,
 * transactions (step binding, rollback on failure), statement timeouts, pool exhaustion, and configuration errors
 * reported at their YAML node. */
#include <sqlite3.h>

#include "core/clock.h"
#include "test_sql_fixture.h"

static const char SEED[] = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);\n"
                           "CREATE TABLE numbers (n INTEGER NOT NULL);\n"
                           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10)\n"
                           "  INSERT INTO numbers SELECT x FROM c;\n"
                           "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com');\n";

/* A fixture with database `shop` (seeded) and pool options from `pool` (stolen; may be NULL). */
static void shop(fx *f, json_t *pool)
{
    fx_init(f, BW_BUILD_SERVE);
    fx_write(f, "seed.sql", SEED);
    json_t *cfg = json_pack("{s:s,s:s,s:s}", "driver", "sqlite", "path", "shop.db", "init_script", "seed.sql");
    if (pool)
        json_object_set_new(cfg, "pool", pool);
    assert_non_null(fx_db(f, "shop", cfg));
}

static json_t *schema_of(const char *props_json)
{
    json_t *props = json_loads(props_json, 0, NULL);
    assert_non_null(props);
    return json_pack("{s:s,s:o}", "type", "object", "properties", props);
}

/* A value from the database file, read with a connection of its own. */
static long long scalar(const fx *f, const char *sql)
{
    char path[256];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof path, "%s/shop.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void assert_json(const json_t *actual, const char *expected)
{
    json_t *want = json_loads(expected, 0, NULL);
    assert_non_null(want);
    if (!json_equal(actual, want)) {
        char *got = json_dumps(actual, JSON_COMPACT);
        fprintf(stderr, "expected %s\n     got %s\n", expected, got);
        free(got);
    }
    assert_true(json_equal(actual, want));
    json_decref(want);
}

static void injection_strings_stay_data(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    assert_int_equal(fx_tool(&f, "add", schema_of("{\"name\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}}"),
                             json_pack("{s:s,s:b,s:s,s:s}", "database", "shop", "read_only", 0, "result", "row",
                                       "statement",
                                       "INSERT INTO customers (name, email) VALUES (:name, :email) "
                                       "RETURNING id, name, email -- :not_a_placeholder ':nor_this'")),
                     BW_OK);
    fx_start(&f);
    const char *evil = "x'); DROP TABLE customers;--";
    json_t *sc = fx_call_ok(&f, "add", json_pack("{s:s,s:s}", "name", evil, "email", "e@x"));
    assert_json(sc, "{\"id\":2,\"name\":\"x'); DROP TABLE customers;--\",\"email\":\"e@x\"}");
    json_decref(sc);
    assert_int_equal(scalar(&f, "SELECT count(*) FROM customers"), 2);
    assert_int_equal(scalar(&f, "SELECT count(*) FROM customers WHERE name = 'x''); DROP TABLE customers;--'"), 1);
    /* A missing argument binds NULL, which the NOT NULL constraint refuses: the database's message comes back. */
    char *err = fx_call_error(&f, "add", json_pack("{s:s}", "email", "n@x"));
    assert_string_equal(err, "database 'shop': NOT NULL constraint failed: customers.name");
    free(err);
    fx_free(&f);
}

static void typed_values_and_text(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    assert_int_equal(fx_tool(&f, "types", schema_of("{\"obj\":{\"type\":\"object\"},\"flag\":{\"type\":\"boolean\"}}"),
                             json_pack("{s:s,s:s}", "database", "shop", "statement",
                                       "SELECT 42 AS i, 1.5 AS r, 'a\nb' AS s, x'0102ff' AS b, NULL AS n, "
                                       ":obj AS o, :flag AS f, '[:x]' AS \"a :b\"")),
                     BW_OK);
    assert_int_equal(fx_tool(&f, "one", schema_of("{\"id\":{\"type\":\"integer\"}}"),
                             json_pack("{s:s,s:s,s:s}", "database", "shop", "result", "row", "statement",
                                       "SELECT id, name FROM customers WHERE id = :id")),
                     BW_OK);
    fx_start(&f);
    json_t *resp;
    const json_t *result = fx_call(&f, &resp, "types", json_pack("{s:{s:i},s:b}", "obj", "k", 1, "flag", 1));
    assert_json(json_object_get(result, "structuredContent"),
                "{\"rows\":[{\"i\":42,\"r\":1.5,\"s\":\"a\\nb\",\"b\":\"AQL/\",\"n\":null,\"o\":\"{\\\"k\\\":1}\","
                "\"f\":1,\"a :b\":\"[:x]\"}],\"row_count\":1,\"truncated\":false}");
    assert_string_equal(harness_text(resp), "i | r | s | b | n | o | f | a :b\n"
                                            "42 | 1.5 | a\\nb | AQL/ | NULL | {\"k\":1} | 1 | [:x]\n(1 row)");
    json_decref(resp);
    result = fx_call(&f, &resp, "one", json_pack("{s:i}", "id", 1));
    assert_json(json_object_get(result, "structuredContent"), "{\"id\":1,\"name\":\"Ada\"}");
    assert_string_equal(harness_text(resp), "id: 1\nname: Ada");
    json_decref(resp);
    char *err = fx_call_error(&f, "one", json_pack("{s:i}", "id", 99));
    assert_string_equal(err, "no row matched");
    free(err);
    fx_free(&f);
}

static void client_sql_cannot_write(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    assert_int_equal(fx_tool(&f, "query", schema_of("{\"query\":{\"type\":\"string\"}}"),
                             json_pack("{s:s,s:s,s:i}", "database", "shop", "query_argument", "query", "max_rows", 5)),
                     BW_OK);
    fx_start(&f);
    static const struct {
        const char *sql, *error;
    } refused[] = {
        {"DELETE FROM customers", "database 'shop': this tool runs read-only queries only; the statement would "
                                  "change the database or its session"},
        {"INSERT INTO customers (name) VALUES ('m')", "database 'shop': this tool runs read-only queries only; the "
                                                      "statement would change the database or its session"},
        {"ATTACH DATABASE 'other.db' AS other", "database 'shop': ATTACH is not allowed in a query"},
        {"PRAGMA journal_mode = DELETE", "database 'shop': PRAGMA journal_mode is not allowed in a read-only query"},
        {"PRAGMA query_only = 0", "database 'shop': PRAGMA query_only is not allowed in a read-only query"},
        {"SELECT load_extension('x')", "database 'shop': function load_extension() is not allowed in a query"},
        {"SELECT 1; DELETE FROM customers", "database 'shop': only one SQL statement is allowed per query"},
        {"BEGIN", "database 'shop': this tool runs read-only queries only; the statement would change the "
                  "database or its session"},
        {"SELECT * FROM nope", "database 'shop': no such table: nope"},
        /* A value larger than a client query may build (16 MiB): refused before a gigabyte is allocated. */
        {"SELECT length(randomblob(1000000000))", "database 'shop': string or blob too big"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char *err = fx_call_error(&f, "query", json_pack("{s:s}", "query", refused[i].sql));
        if (strcmp(err, refused[i].error))
            fprintf(stderr, "for %s\n", refused[i].sql);
        assert_string_equal(err, refused[i].error);
        free(err);
    }
    assert_int_equal(scalar(&f, "SELECT count(*) FROM customers"), 1);
    json_t *sc = fx_call_ok(&f, "query", json_pack("{s:s}", "query", "SELECT n FROM numbers ORDER BY n -- done"));
    assert_json(sc, "{\"rows\":[{\"n\":1},{\"n\":2},{\"n\":3},{\"n\":4},{\"n\":5}],\"row_count\":5,"
                    "\"truncated\":true}");
    json_decref(sc);
    sc = fx_call_ok(&f, "query", json_pack("{s:s}", "query", "PRAGMA table_info(numbers)"));
    assert_int_equal(json_integer_value(json_object_get(sc, "row_count")), 1);
    json_decref(sc);
    fx_free(&f);
}

static json_t *page(fx *f, const char *cursor, size_t expect_rows)
{
    json_t *sc = fx_call_ok(f, "list", cursor ? json_pack("{s:s}", "cursor", cursor) : json_object());
    assert_int_equal(json_array_size(json_object_get(sc, "rows")), expect_rows);
    return sc;
}

static void pagination(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    assert_int_equal(fx_tool(&f, "list", schema_of("{}"),
                             json_pack("{s:s,s:s,s:i,s:i}", "database", "shop", "statement",
                                       "SELECT n FROM numbers ORDER BY n", "page_size", 4, "max_rows", 9)),
                     BW_OK);
    fx_start(&f);
    json_t *p1 = page(&f, NULL, 4);
    const char *c1 = json_string_value(json_object_get(p1, "next_cursor"));
    assert_non_null(c1);
    assert_false(json_is_true(json_object_get(p1, "truncated")));
    json_t *p2 = page(&f, c1, 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(p2, "rows"), 0), "n")), 5);
    json_t *p3 = page(&f, json_string_value(json_object_get(p2, "next_cursor")), 1);
    assert_json(p3, "{\"rows\":[{\"n\":9}],\"row_count\":1,\"truncated\":true}");
    char bad[64];
    snprintf(bad, sizeof bad, "%s", c1);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    const char *invalid[] = {"abc", bad, ""};
    for (size_t i = 0; i < 3; i++) {
        char *err = fx_call_error(&f, "list", json_pack("{s:s}", "cursor", invalid[i]));
        assert_string_equal(err, "invalid cursor: pass the next_cursor value of the previous page unchanged, or no "
                                 "cursor for the first page");
        free(err);
    }
    json_t *resp = harness_request(f.h, "tools/list", NULL);
    const json_t *schema = json_object_get(json_array_get(json_object_get(json_object_get(resp, "result"), "tools"),
                                                          0),
                                           "inputSchema");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(schema, "properties"),
                                                                          "cursor"),
                                                          "type")),
                        "string");
    json_decref(resp);
    json_decref(p1);
    json_decref(p2);
    json_decref(p3);
    fx_free(&f);
}

static void transactions(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    json_t *txn = json_pack("[{s:s,s:s},{s:s},{s:s}]", "name", "c", "statement",
                            "INSERT INTO customers (name, email) VALUES (:name, :email) RETURNING id",
                            "statement", "INSERT INTO numbers (n) VALUES (:c.id + 100)", "statement",
                            "SELECT count(*) AS numbers, (SELECT name FROM customers WHERE id = :c.id) AS name "
                            "FROM numbers");
    assert_int_equal(fx_tool(&f, "create", schema_of("{\"name\":{\"type\":\"string\"},\"email\":{}}"),
                             json_pack("{s:s,s:b,s:s,s:o}", "database", "shop", "read_only", 0, "result", "row",
                                       "transaction", txn)),
                     BW_OK);
    fx_start(&f);
    json_t *sc = fx_call_ok(&f, "create", json_pack("{s:s,s:s}", "name", "Bob", "email", "bob@x"));
    assert_json(sc, "{\"numbers\":11,\"name\":\"Bob\"}");
    json_decref(sc);
    assert_int_equal(scalar(&f, "SELECT count(*) FROM numbers WHERE n = 102"), 1);
    /* The first step fails (duplicate email): nothing of the transaction is written. */
    char *err = fx_call_error(&f, "create", json_pack("{s:s,s:s}", "name", "Ann", "email", "bob@x"));
    assert_string_equal(err, "database 'shop': UNIQUE constraint failed: customers.email");
    free(err);
    assert_int_equal(scalar(&f, "SELECT count(*) FROM customers"), 2);
    fx_free(&f);
}

static void rollback_leaves_no_partial_rows(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    json_t *txn = json_pack("[{s:s},{s:s}]", "statement", "INSERT INTO numbers (n) VALUES (1000)", "statement",
                            "INSERT INTO customers (name) VALUES (:name)");
    assert_int_equal(fx_tool(&f, "two", schema_of("{\"name\":{}}"),
                             json_pack("{s:s,s:b,s:s,s:o}", "database", "shop", "read_only", 0, "result", "affected",
                                       "transaction", txn)),
                     BW_OK);
    fx_start(&f);
    char *err = fx_call_error(&f, "two", json_object());
    assert_string_equal(err, "database 'shop': NOT NULL constraint failed: customers.name");
    free(err);
    assert_int_equal(scalar(&f, "SELECT count(*) FROM numbers WHERE n = 1000"), 0);
    json_t *resp;
    const json_t *result = fx_call(&f, &resp, "two", json_pack("{s:s}", "name", "Cy"));
    assert_json(json_object_get(result, "structuredContent"), "{\"affected_rows\":1}");
    assert_string_equal(harness_text(resp), "1 row affected");
    json_decref(resp);
    assert_int_equal(scalar(&f, "SELECT count(*) FROM numbers WHERE n = 1000"), 1);
    fx_free(&f);
}

static const char FOREVER[] = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                              "SELECT count(*) FROM c";

static void statement_timeout(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    assert_int_equal(fx_tool(&f, "forever", schema_of("{}"),
                             json_pack("{s:s,s:s,s:i}", "database", "shop", "statement", FOREVER, "timeout_ms", 200)),
                     BW_OK);
    fx_start(&f);
    int64_t start = bw_clock_ms();
    char *err = fx_call_error(&f, "forever", json_object());
    int64_t took = bw_clock_ms() - start;
    assert_string_equal(err, "database 'shop': statement timed out after 200 ms");
    assert_true(took >= 200 && took < 2000);
    assert_int_equal(probe_failure("forever"), BW_FAILURE_TIMEOUT);
    assert_string_equal(probe_dependency("forever"), "db:shop");
    free(err);
    fx_free(&f);
}

static void pool_exhaustion(void **state)
{
    (void)state;
    fx f;
    shop(&f, json_pack("{s:i,s:i,s:i}", "min", 0, "max", 1, "acquire_timeout_ms", 300));
    assert_int_equal(fx_tool(&f, "slow", schema_of("{}"),
                             json_pack("{s:s,s:s,s:i}", "database", "shop", "statement", FOREVER, "timeout_ms", 1500)),
                     BW_OK);
    assert_int_equal(fx_tool(&f, "fast", schema_of("{}"),
                             json_pack("{s:s,s:s}", "database", "shop", "statement", "SELECT 1 AS one")),
                     BW_OK);
    fx_start(&f);
    const char *slow = "{\"jsonrpc\":\"2.0\",\"id\":9999,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}";
    bw_session_receive(f.h->session, slow, strlen(slow));
    usleep(200 * 1000); /* the slow call holds the only connection for 1.5 s */
    int64_t start = bw_clock_ms();
    char *err = fx_call_error(&f, "fast", json_object());
    int64_t took = bw_clock_ms() - start;
    assert_string_equal(err, "database 'shop': no connection available within 300 ms (pool of 1 busy)");
    assert_true(took >= 290 && took < 1200);
    assert_int_equal(probe_failure("fast"), BW_FAILURE_UNAVAILABLE);
    free(err);
    usleep(1600 * 1000);
    json_t *sc = fx_call_ok(&f, "fast", json_object());
    assert_json(sc, "{\"rows\":[{\"one\":1}],\"row_count\":1,\"truncated\":false}");
    json_decref(sc);
    fx_free(&f);
}

/* A connection of the test's own that holds the database's write lock until closed. */
static sqlite3 *hold_write_lock(const fx *f)
{
    char path[256];
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/shop.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

/* What the provider tells the reliability policy: a bad statement is permanent, a lock held elsewhere is a
 * conflict (after busy_timeout_ms), success reports nothing. */
static void failures_are_classified(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, BW_BUILD_SERVE);
    fx_write(&f, "seed.sql", SEED);
    assert_non_null(fx_db(&f, "shop", json_pack("{s:s,s:s,s:s,s:i}", "driver", "sqlite", "path", "shop.db",
                                               "init_script", "seed.sql", "busy_timeout_ms", 100)));
    assert_int_equal(fx_tool(&f, "add", schema_of("{\"name\":{},\"email\":{}}"),
                             json_pack("{s:s,s:s,s:b}", "database", "shop", "statement",
                                       "INSERT INTO customers (name, email) VALUES (:name, :email)", "read_only", 0)),
                     BW_OK);
    fx_start(&f);
    json_t *sc = fx_call_ok(&f, "add", json_pack("{s:s,s:s}", "name", "Bo", "email", "bo@example.com"));
    json_decref(sc);
    assert_int_equal(probe_failure("add"), BW_FAILURE_NONE);
    char *err = fx_call_error(&f, "add", json_pack("{s:s,s:s}", "name", "Cy", "email", "bo@example.com"));
    assert_string_equal(err, "database 'shop': UNIQUE constraint failed: customers.email");
    assert_int_equal(probe_failure("add"), BW_FAILURE_PERMANENT);
    free(err);
    sqlite3 *holder = hold_write_lock(&f);
    err = fx_call_error(&f, "add", json_pack("{s:s,s:s}", "name", "Di", "email", "di@example.com"));
    assert_string_equal(err, "database 'shop': database is locked");
    assert_int_equal(probe_failure("add"), BW_FAILURE_CONFLICT);
    free(err);
    sqlite3_close(holder);
    fx_free(&f);
}

/* The call's deadline, shorter than the tool's timeout and than busy_timeout_ms, stops a running statement and a
 * wait for a lock (the progress and busy handlers see it). Margin: the answer within deadline + 400 ms, for a
 * loaded 2-core machine under ASan; the checks run every ~1000 VM instructions and every <= 10 ms of waiting. */
static void call_deadline_stops_statements_and_lock_waits(void **state)
{
    (void)state;
    fx f;
    shop(&f, NULL);
    bw_limits lim = {.request_timeout_ms = 300};
    assert_int_equal(bw_server_set_limits(f.srv, &lim), BW_OK);
    assert_int_equal(fx_tool(&f, "forever", schema_of("{}"),
                             json_pack("{s:s,s:s}", "database", "shop", "statement", FOREVER)),
                     BW_OK);
    assert_int_equal(fx_tool(&f, "touch", schema_of("{}"),
                             json_pack("{s:s,s:s,s:b}", "database", "shop", "statement",
                                       "UPDATE numbers SET n = n WHERE n = 1", "read_only", 0)),
                     BW_OK);
    fx_start(&f);
    const char *tools[] = {"forever", "touch"};
    sqlite3 *holder = NULL;
    for (int i = 0; i < 2; i++) {
        if (i == 1)
            holder = hold_write_lock(&f); /* busy_timeout_ms is 5000 by default */
        int64_t start = bw_clock_ms();
        char *err = fx_call_error(&f, tools[i], json_object());
        int64_t took = bw_clock_ms() - start;
        /* The text is the policy's (the call's deadline passed); what matters here is when the handler ended. */
        if (took < 250 || took >= 700)
            fail_msg("%s: answered after %lld ms (deadline 300 ms): %s", tools[i], (long long)took, err);
        assert_int_equal(probe_failure(tools[i]), BW_FAILURE_TIMEOUT);
        free(err);
    }
    sqlite3_close(holder);
    fx_free(&f);
}

/* Builds one tool whose sql section is `sql` (stolen) and expects exactly `diag` for the node marked at 7:5. */
static void expect_config_error(const char *props, json_t *sql, const char *mark_key, int index, const char *diag)
{
    fx f;
    shop(&f, NULL);
    const json_t *txn = json_object_get(sql, "transaction");
    const json_t *node = txn ? json_object_get(json_array_get(txn, (size_t)index), mark_key)
                             : json_object_get(sql, mark_key);
    fx_mark_node(&f, node, 7, 5);
    assert_int_not_equal(fx_tool(&f, "bad", schema_of(props), sql), BW_OK);
    assert_true(fx_diag_has(&f, diag));
    fx_free(&f);
}

static void config_errors(void **state)
{
    (void)state;
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "statement", "SELECT :nope"), "statement", 0,
                        "test.yaml:7:5: placeholder :nope is not an argument of tool 'bad' (expected a property "
                        "'nope' in its input_schema)");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "nowhere", "statement", "SELECT 1"), "database", 0,
                        "test.yaml:7:5: unknown database 'nowhere' (expected the name of an entry under `databases`)");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "statement", "DELETE FROM numbers"),
                        "statement", 0,
                        "test.yaml:7:5: the statement writes to the database but the tool is read_only (set "
                        "read_only: false to allow writes)");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "statement", "SELEC 1"), "statement", 0,
                        "test.yaml:7:5: the statement does not prepare on database 'shop': near \"SELEC\": syntax "
                        "error");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "statement", "SELECT 1; SELECT 2"),
                        "statement", 0,
                        "test.yaml:7:5: the statement does not prepare on database 'shop': only one SQL statement is "
                        "allowed here (use `transaction` for several); found more after the first");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "statement", "SELECT ?"), "statement", 0,
                        "test.yaml:7:5: the statement has a parameter that is not a :name placeholder (?, $1, @x and "
                        "$x are not bound; write :argument)");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "statement", "SELECT 'open"), "statement", 0,
                        "test.yaml:7:5: unterminated quoted text or comment at offset 7");
    expect_config_error("{\"q\":{\"type\":\"string\"}}",
                        json_pack("{s:s,s:s,s:b}", "database", "shop", "query_argument", "q", "read_only", 0),
                        "read_only", 0,
                        "test.yaml:7:5: query_argument runs SQL written by the client and needs read_only: true");
    expect_config_error("{}", json_pack("{s:s,s:s}", "database", "shop", "query_argument", "q"), "query_argument", 0,
                        "test.yaml:7:5: query_argument 'q' must be a property of type string in the tool's "
                        "input_schema");
    expect_config_error("{}",
                        json_pack("{s:s,s:[{s:s},{s:s,s:s}]}", "database", "shop", "transaction", "statement",
                                  "SELECT :later.id", "name", "later", "statement", "SELECT 1 AS id"),
                        "statement", 0,
                        "test.yaml:7:5: placeholder :later.id names no earlier named step of this transaction "
                        "(expected `name: later` on a statement before this one)");
    expect_config_error("{}",
                        json_pack("{s:s,s:[{s:s,s:s},{s:s}]}", "database", "shop", "transaction", "name", "s",
                                  "statement", "SELECT 1 AS id", "statement", "SELECT :s.idx"),
                        "statement", 1, "test.yaml:7:5: placeholder :s.idx: step 's' returns no column 'idx'");
}

static void database_config_errors(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, BW_BUILD_SERVE);
    fx_write(&f, "bad.sql", "CREATE TABLE t (x);\nINSERT INTO nope VALUES (1);\n");
    json_t *cfg = json_pack("{s:s,s:s,s:s}", "driver", "sqlite", "path", "a.db", "init_script", "bad.sql");
    fx_mark_node(&f, json_object_get(cfg, "init_script"), 3, 18);
    assert_null(fx_db(&f, "a", cfg));
    char want[512];
    snprintf(want, sizeof want, "test.yaml:3:18: init_script %s/bad.sql failed: no such table: nope", f.dir);
    assert_true(fx_diag_has(&f, want));
    cfg = json_pack("{s:s,s:s,s:{s:i,s:i}}", "driver", "sqlite", "path", "b.db", "pool", "min", 5, "max", 2);
    fx_mark_node(&f, json_object_get(json_object_get(cfg, "pool"), "min"), 4, 7);
    assert_null(fx_db(&f, "b", cfg));
    assert_true(fx_diag_has(&f, "test.yaml:4:7: database 'b': pool.min (5) is larger than pool.max (2)"));
    cfg = json_pack("{s:s,s:s}", "driver", "sqlite", "path", "no/such/dir/c.db");
    fx_mark_node(&f, json_object_get(cfg, "path"), 5, 9);
    assert_null(fx_db(&f, "c", cfg));
    snprintf(want, sizeof want, "test.yaml:5:9: database 'c': cannot open %s/no/such/dir/c.db: unable to open "
                                "database file", f.dir);
    assert_true(fx_diag_has(&f, want));
    fx_free(&f);
}

/* `bulwark check` changes nothing on disk: a database still to be created is checked in memory. */
static void check_mode_touches_nothing(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, BW_BUILD_CHECK);
    fx_write(&f, "seed.sql", SEED);
    assert_non_null(fx_db(&f, "shop", json_pack("{s:s,s:s,s:s}", "driver", "sqlite", "path", "shop.db",
                                               "init_script", "seed.sql")));
    assert_int_equal(fx_tool(&f, "ok", schema_of("{\"id\":{}}"),
                             json_pack("{s:s,s:s}", "database", "shop", "statement",
                                       "SELECT name FROM customers WHERE id = :id")),
                     BW_OK);
    char path[256];
    snprintf(path, sizeof path, "%s/shop.db", f.dir);
    assert_int_not_equal(access(path, F_OK), 0);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(injection_strings_stay_data),
        cmocka_unit_test(typed_values_and_text),
        cmocka_unit_test(client_sql_cannot_write),
        cmocka_unit_test(pagination),
        cmocka_unit_test(transactions),
        cmocka_unit_test(rollback_leaves_no_partial_rows),
        cmocka_unit_test(statement_timeout),
        cmocka_unit_test(pool_exhaustion),
        cmocka_unit_test(failures_are_classified),
        cmocka_unit_test(call_deadline_stops_statements_and_lock_waits),
        cmocka_unit_test(config_errors),
        cmocka_unit_test(database_config_errors),
        cmocka_unit_test(check_mode_touches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
