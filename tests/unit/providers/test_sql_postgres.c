/* Unit tests of the sql provider on a private PostgreSQL server (started by tests/pg/with-postgres.sh, which this
 * program runs itself under when BW_TEST_PG_CONNINFO is not set): typed values by type OID, parameters and
 * injection strings, the READ ONLY transaction refusing writes, statement_timeout, cancellation reaching the
 * server, transactions, the pool recovering from a server restart, and an unreachable server at build time. */
#include <libpq-fe.h>
#include <libgen.h>

#include "core/clock.h"
#include "test_sql_fixture.h"

static const char *conninfo(void)
{
    return getenv("BW_TEST_PG_CONNINFO");
}

/* Runs SQL directly on the server (setup and checks), returning the first value of the first row ("" if none). */
static char *psql(const char *sql)
{
    PGconn *c = PQconnectdb(conninfo());
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    ExecStatusType es = PQresultStatus(r);
    if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK)
        fprintf(stderr, "psql: %s", PQerrorMessage(c));
    assert_true(es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK);
    char *v = strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
    return v;
}

static void assert_psql(const char *sql, const char *expected)
{
    char *v = psql(sql);
    assert_string_equal(v, expected);
    free(v);
}

static json_t *schema_of(const char *props_json)
{
    json_t *props = json_loads(props_json, 0, NULL);
    assert_non_null(props);
    return json_pack("{s:s,s:o}", "type", "object", "properties", props);
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

/* A fixture with database `pg` and pool options `pool` (stolen; may be NULL). */
static void pg(fx *f, json_t *pool)
{
    fx_init(f, BW_BUILD_SERVE);
    json_t *cfg = json_pack("{s:s,s:s}", "driver", "postgres", "conninfo", conninfo());
    if (pool)
        json_object_set_new(cfg, "pool", pool);
    assert_non_null(fx_db(f, "pg", cfg));
    assert_int_equal(bw_diag_count(f->diag), 0);
}

static int setup(void **state)
{
    (void)state;
    free(psql("SET client_min_messages = warning; DROP TABLE IF EXISTS items; CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, "
              "qty int NOT NULL DEFAULT 0)"));
    return 0;
}

static void typed_values(void **state)
{
    (void)state;
    fx f;
    pg(&f, NULL);
    assert_int_equal(fx_tool(&f, "types", schema_of("{\"n\":{\"type\":\"integer\"},\"b\":{\"type\":\"boolean\"},"
                                                    "\"o\":{\"type\":\"object\"}}"),
                             json_pack("{s:s,s:s}", "database", "pg", "statement",
                                       "SELECT 1::int2 AS a, 2::int4 AS b, 9007199254740993::int8 AS c, "
                                       "1.5::float4 AS d, 2.25::float8 AS e, 12.50::numeric AS f, "
                                       "123456789012345678901234.5::numeric AS g, 7::numeric AS h, true AS i, "
                                       "'{\"a\":[1]}'::json AS j, '{\"b\": 2}'::jsonb AS k, 'x:y'::text AS l, "
                                       "NULL::int AS m, '2024-01-02'::date AS n, :n::int + 1 AS o, "
                                       ":b AS p, (:o)::jsonb -> 'k' AS q, $$ :not $$ AS r /* :nor */")),
                     BW_OK);
    fx_start(&f);
    json_t *resp;
    const json_t *result = fx_call(&f, &resp, "types",
                                   json_pack("{s:i,s:b,s:{s:s}}", "n", 41, "b", 0, "o", "k", "v"));
    assert_json(json_object_get(result, "structuredContent"),
                "{\"rows\":[{\"a\":1,\"b\":2,\"c\":9007199254740993,\"d\":1.5,\"e\":2.25,\"f\":12.5,"
                "\"g\":\"123456789012345678901234.5\",\"h\":7,\"i\":true,\"j\":{\"a\":[1]},\"k\":{\"b\":2},"
                "\"l\":\"x:y\",\"m\":null,\"n\":\"2024-01-02\",\"o\":42,\"p\":\"false\",\"q\":\"v\","
                "\"r\":\" :not \"}],\"row_count\":1,\"truncated\":false}");
    json_decref(resp);
    fx_free(&f);
}

static void writes_and_injection(void **state)
{
    (void)state;
    fx f;
    pg(&f, NULL);
    assert_int_equal(fx_tool(&f, "add", schema_of("{\"name\":{\"type\":\"string\"},\"qty\":{}}"),
                             json_pack("{s:s,s:b,s:s}", "database", "pg", "read_only", 0, "statement",
                                       "INSERT INTO items (name, qty) VALUES (:name, :qty) RETURNING name, qty")),
                     BW_OK);
    json_t *txn = json_pack("[{s:s,s:s},{s:s}]", "name", "it", "statement",
                            "INSERT INTO items (name) VALUES (:name) RETURNING id", "statement",
                            "UPDATE items SET qty = :qty WHERE id = :it.id");
    assert_int_equal(fx_tool(&f, "two", schema_of("{\"name\":{},\"qty\":{}}"),
                             json_pack("{s:s,s:b,s:s,s:o}", "database", "pg", "read_only", 0, "result", "affected",
                                       "transaction", txn)),
                     BW_OK);
    fx_start(&f);
    const char *evil = "x'); DROP TABLE items;--";
    json_t *sc = fx_call_ok(&f, "add", json_pack("{s:s,s:i}", "name", evil, "qty", 3));
    assert_json(sc, "{\"rows\":[{\"name\":\"x'); DROP TABLE items;--\",\"qty\":3}],\"row_count\":1,"
                    "\"truncated\":false,\"affected_rows\":1}");
    json_decref(sc);
    assert_psql("SELECT count(*) FROM items WHERE name = 'x''); DROP TABLE items;--'", "1");
    /* A value the server cannot take: its message comes back, without the value itself. */
    char *err = fx_call_error(&f, "add", json_pack("{s:s,s:s}", "name", "y", "qty", "secret-text"));
    assert_string_equal(err, "database 'pg': invalid input syntax for type integer: \"...\"");
    free(err);
    sc = fx_call_ok(&f, "two", json_pack("{s:s,s:i}", "name", "z", "qty", 5));
    assert_json(sc, "{\"affected_rows\":1}");
    json_decref(sc);
    assert_psql("SELECT qty FROM items WHERE name = 'z'", "5");
    /* The second step fails: the first one's row is rolled back. */
    err = fx_call_error(&f, "two", json_pack("{s:s,s:s}", "name", "w", "qty", "bad"));
    free(err);
    assert_psql("SELECT count(*) FROM items WHERE name = 'w'", "0");
    fx_free(&f);
}

static void read_only_refuses_writes(void **state)
{
    (void)state;
    fx f;
    pg(&f, json_pack("{s:i}", "max", 1)); /* one connection: a session change would reach the next call */
    assert_int_equal(fx_tool(&f, "query", schema_of("{\"q\":{\"type\":\"string\"}}"),
                             json_pack("{s:s,s:s}", "database", "pg", "query_argument", "q")),
                     BW_OK);
    fx_start(&f);
    static const struct {
        const char *sql, *error;
    } refused[] = {
        {"INSERT INTO items (name) VALUES ('ro')", "database 'pg': cannot execute INSERT in a read-only transaction"},
        {"DELETE FROM items", "database 'pg': cannot execute DELETE in a read-only transaction"},
        {"SELECT 1; DELETE FROM items", "database 'pg': cannot insert multiple commands into a prepared statement"},
        {"CREATE TABLE x (a int)", "database 'pg': cannot execute CREATE TABLE in a read-only transaction"},
        {"SELECT nextval('items_id_seq')", "database 'pg': cannot execute nextval() in a read-only transaction"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char *err = fx_call_error(&f, "query", json_pack("{s:s}", "q", refused[i].sql));
        assert_string_equal(err, refused[i].error);
        free(err);
    }
    /* A session setting made by client SQL is rolled back with its transaction. */
    json_decref(fx_call_ok(&f, "query", json_pack("{s:s}", "q", "SELECT set_config('search_path', 'nowhere', false)")));
    json_t *sc = fx_call_ok(&f, "query", json_pack("{s:s}", "q", "SELECT current_setting('search_path') AS p"));
    assert_json(sc, "{\"rows\":[{\"p\":\"\\\"$user\\\", public\"}],\"row_count\":1,\"truncated\":false}");
    json_decref(sc);
    assert_psql("SELECT count(*) FROM items WHERE name = 'ro'", "0");
    fx_free(&f);
    /* A configured statement that plainly writes under read_only is a configuration error. */
    pg(&f, NULL);
    json_t *sql = json_pack("{s:s,s:s}", "database", "pg", "statement", "  update items set qty = 0");
    fx_mark_node(&f, json_object_get(sql, "statement"), 12, 9);
    assert_int_not_equal(fx_tool(&f, "w", schema_of("{}"), sql), BW_OK);
    assert_true(fx_diag_has(&f, "test.yaml:12:9: the statement writes to the database but the tool is read_only "
                                "(set read_only: false to allow writes)"));
    fx_free(&f);
}

/* Client SQL that changes the session outside its transaction (PREPARE and DEALLOCATE survive ROLLBACK) must not
 * reach later calls on the pooled connection: a client must not swap a configured writing statement for its own. */
static void client_sql_cannot_change_the_session(void **state)
{
    (void)state;
    fx f;
    pg(&f, json_pack("{s:i}", "max", 1));
    assert_int_equal(fx_tool(&f, "add", schema_of("{\"name\":{\"type\":\"string\"}}"),
                             json_pack("{s:s,s:b,s:s}", "database", "pg", "read_only", 0, "statement",
                                       "INSERT INTO items (name) VALUES (:name)")),
                     BW_OK);
    assert_int_equal(fx_tool(&f, "query", schema_of("{\"q\":{\"type\":\"string\"}}"),
                             json_pack("{s:s,s:s}", "database", "pg", "query_argument", "q")),
                     BW_OK);
    fx_start(&f);
    json_decref(fx_call_ok(&f, "add", json_pack("{s:s}", "name", "a"))); /* prepares bw_1 on the connection */
    static const char *const swap[] = {"DEALLOCATE bw_1",
                                       "PREPARE bw_1(text) AS UPDATE items SET qty = 666 WHERE $1 IS NOT NULL",
                                       "COPY items TO STDOUT"};
    for (size_t i = 0; i < sizeof swap / sizeof *swap; i++)
        free(fx_call_error(&f, "query", json_pack("{s:s}", "q", swap[i])));
    json_decref(fx_call_ok(&f, "add", json_pack("{s:s}", "name", "b")));
    assert_psql("SELECT string_agg(name || '=' || qty, ',' ORDER BY name) FROM items", "a=0,b=0");
    /* A refused statement says why, and a plain query still runs afterwards. */
    char *err = fx_call_error(&f, "query", json_pack("{s:s}", "q", "PREPARE p AS SELECT 1"));
    assert_string_equal(err, "database 'pg': this tool runs read-only queries only; the statement would change "
                             "the session");
    free(err);
    json_t *sc = fx_call_ok(&f, "query", json_pack("{s:s}", "q", "SELECT count(*)::int AS n FROM items"));
    assert_json(sc, "{\"rows\":[{\"n\":2}],\"row_count\":1,\"truncated\":false}");
    json_decref(sc);
    fx_free(&f);
}

static void statement_timeout(void **state)
{
    (void)state;
    fx f;
    pg(&f, NULL);
    assert_int_equal(fx_tool(&f, "sleep", schema_of("{}"),
                             json_pack("{s:s,s:s,s:i}", "database", "pg", "statement", "SELECT pg_sleep(10)",
                                       "timeout_ms", 300)),
                     BW_OK);
    fx_start(&f);
    int64_t start = bw_clock_ms();
    char *err = fx_call_error(&f, "sleep", json_object());
    int64_t took = bw_clock_ms() - start;
    assert_string_equal(err, "database 'pg': statement timed out after 300 ms");
    assert_true(took >= 290 && took < 2000);
    assert_int_equal(probe_failure("sleep"), BW_FAILURE_TIMEOUT);
    assert_string_equal(probe_dependency("sleep"), "db:pg");
    free(err);
    fx_free(&f);
}

static void cancellation_stops_the_statement(void **state)
{
    (void)state;
    fx f;
    pg(&f, json_pack("{s:i}", "max", 1));
    assert_int_equal(fx_tool(&f, "sleep", schema_of("{}"),
                             json_pack("{s:s,s:s}", "database", "pg", "statement", "SELECT pg_sleep(8) AS slept")),
                     BW_OK);
    assert_int_equal(fx_tool(&f, "one", schema_of("{}"),
                             json_pack("{s:s,s:s}", "database", "pg", "statement", "SELECT 1 AS one")),
                     BW_OK);
    fx_start(&f);
    const char *call = "{\"jsonrpc\":\"2.0\",\"id\":777,\"method\":\"tools/call\",\"params\":{\"name\":\"sleep\"}}";
    bw_session_receive(f.h->session, call, strlen(call));
    usleep(300 * 1000);
    assert_psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(8)%' AND state = 'active'",
                "1");
    const char *cancel = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":777}}";
    int64_t start = bw_clock_ms();
    bw_session_receive(f.h->session, cancel, strlen(cancel));
    /* The only connection comes back as soon as the server stopped the statement, not after 8 s. */
    json_t *sc = fx_call_ok(&f, "one", json_object());
    assert_true(bw_clock_ms() - start < 2000);
    assert_json(sc, "{\"rows\":[{\"one\":1}],\"row_count\":1,\"truncated\":false}");
    json_decref(sc);
    assert_psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(8)%' AND state = 'active'",
                "0");
    fx_free(&f);
}

/* What the provider tells the reliability policy, by SQLSTATE: deadlock and serialization failures are conflicts,
 * class 08 and 57P01..57P03 connection failures, the rest (constraint, division by zero) permanent. */
static void failures_are_classified(void **state)
{
    (void)state;
    free(psql("CREATE OR REPLACE FUNCTION bw_fail(code text) RETURNS int LANGUAGE plpgsql AS "
              "$$ BEGIN RAISE EXCEPTION 'injected %', code USING ERRCODE = code; END $$"));
    fx f;
    pg(&f, NULL);
    assert_int_equal(fx_tool(&f, "fail", schema_of("{\"code\":{}}"),
                             json_pack("{s:s,s:s}", "database", "pg", "statement", "SELECT bw_fail(:code) AS x")),
                     BW_OK);
    fx_start(&f);
    static const struct {
        const char *code;
        int failure;
    } cases[] = {{"40P01", BW_FAILURE_CONFLICT},   {"40001", BW_FAILURE_CONFLICT},
                 {"23505", BW_FAILURE_PERMANENT},  {"22012", BW_FAILURE_PERMANENT},
                 {"08006", BW_FAILURE_CONNECTION}, {"57P01", BW_FAILURE_CONNECTION},
                 {"57P03", BW_FAILURE_CONNECTION}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *err = fx_call_error(&f, "fail", json_pack("{s:s}", "code", cases[i].code));
        assert_string_equal(err, "database 'pg': injected ..."); /* bound values stay out of messages */
        if (probe_failure("fail") != cases[i].failure)
            fail_msg("%s: failure %d, want %d", cases[i].code, probe_failure("fail"), cases[i].failure);
        free(err);
    }
    fx_free(&f);
}

/* The call's deadline (far below the tool's 30 s timeout) stops the statement on the server: the handler ends
 * soon after it and the backend no longer runs the query. Margin: deadline + 700 ms, for a loaded 2-core machine
 * under ASan (statement_timeout is the remaining time; PQcancel follows at the deadline). */
static void call_deadline_cancels_the_backend(void **state)
{
    (void)state;
    fx f;
    pg(&f, NULL);
    bw_limits lim = {.request_timeout_ms = 500};
    assert_int_equal(bw_server_set_limits(f.srv, &lim), BW_OK);
    assert_int_equal(fx_tool(&f, "sleep", schema_of("{}"),
                             json_pack("{s:s,s:s}", "database", "pg", "statement", "SELECT pg_sleep(10) AS slept")),
                     BW_OK);
    fx_start(&f);
    int64_t start = bw_clock_ms();
    char *err = fx_call_error(&f, "sleep", json_object());
    int64_t took = bw_clock_ms() - start;
    if (took < 450 || took >= 1200)
        fail_msg("answered after %lld ms (deadline 500 ms): %s", (long long)took, err);
    assert_int_equal(probe_failure("sleep"), BW_FAILURE_TIMEOUT);
    assert_psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(10)%' AND state = 'active'",
                "0");
    free(err);
    fx_free(&f);
}

static void pool_recovers_after_restart(void **state)
{
    (void)state;
    fx f;
    pg(&f, json_pack("{s:i,s:i}", "min", 2, "max", 4));
    assert_int_equal(fx_tool(&f, "one", schema_of("{}"),
                             json_pack("{s:s,s:s}", "database", "pg", "statement", "SELECT 1 AS one")),
                     BW_OK);
    fx_start(&f);
    json_t *sc = fx_call_ok(&f, "one", json_object());
    json_decref(sc);
    assert_int_equal(system(getenv("BW_TEST_PG_RESTART")), 0);
    for (int i = 0; i < 5; i++) { /* every call succeeds: stale connections are replaced before anything runs */
        sc = fx_call_ok(&f, "one", json_object());
        assert_json(sc, "{\"rows\":[{\"one\":1}],\"row_count\":1,\"truncated\":false}");
        json_decref(sc);
    }
    fx_free(&f);
}

static void unreachable_server(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        fx f;
        fx_init(&f, mode ? BW_BUILD_CHECK : BW_BUILD_SERVE);
        json_t *cfg = json_pack("{s:s,s:s}", "driver", "postgres", "conninfo",
                                "host=127.0.0.1 port=1 user=postgres connect_timeout=2");
        fx_mark_node(&f, json_object_get(cfg, "conninfo"), 2, 14);
        bw_sql_db *db = fx_db(&f, "down", cfg);
        assert_int_equal(bw_diag_count(f.diag), 1);
        assert_int_equal(bw_diag_is_error(f.diag, 0), mode == 1);
        assert_true(mode ? db == NULL : db != NULL);
        const char *text = bw_diag_text(f.diag, 0);
        const char *want = mode ? "test.yaml:2:14: database 'down': cannot connect: connection to server at "
                                  "\"127.0.0.1\", port 1 failed: Connection refused Is the server running"
                                : "test.yaml:2:14: warning: database 'down': cannot connect: connection to server "
                                  "at \"127.0.0.1\", port 1 failed: Connection refused Is the server running";
        assert_memory_equal(text, want, strlen(want));
        assert_true(!mode == (strstr(text, "; the pool will connect on demand") != NULL));
        if (!mode) { /* serving: the tool is built and a call reports the connection failure */
            assert_int_equal(fx_tool(&f, "t", schema_of("{}"),
                                     json_pack("{s:s,s:s}", "database", "down", "statement", "SELECT 1")),
                             BW_OK);
            fx_start(&f);
            char *err = fx_call_error(&f, "t", json_object());
            assert_non_null(strstr(err, "database 'down': cannot connect: "));
            assert_int_equal(probe_failure("t"), BW_FAILURE_CONNECTION);
            free(err);
        }
        fx_free(&f);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!conninfo()) {
        /* Run under a private server: tests/pg/with-postgres.sh, found next to this source file. */
        char src[] = __FILE__;
        char wrapper[4096];
        snprintf(wrapper, sizeof wrapper, "%s/../../pg/with-postgres.sh", dirname(src));
        execl(wrapper, wrapper, argv[0], (char *)NULL);
        perror(wrapper);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(typed_values, setup),
        cmocka_unit_test_setup(writes_and_injection, setup),
        cmocka_unit_test_setup(read_only_refuses_writes, setup),
        cmocka_unit_test_setup(client_sql_cannot_change_the_session, setup),
        cmocka_unit_test_setup(statement_timeout, setup),
        cmocka_unit_test_setup(cancellation_stops_the_statement, setup),
        cmocka_unit_test_setup(failures_are_classified, setup),
        cmocka_unit_test_setup(call_deadline_cancels_the_backend, setup),
        cmocka_unit_test_setup(pool_recovers_after_restart, setup),
        cmocka_unit_test_setup(unreachable_server, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
