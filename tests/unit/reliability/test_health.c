/* Unit tests for src/reliability/health*.c and the shutdown answer in src/protocol/dispatch.c: the probe documents
 * (liveness, readiness with its starting / pass / fail / draining states), the check registry, the built-in checks,
 * the background thread, the health tools through a session, and a call cancelled at shutdown being answered with
 * the -32000 shutdown error. Checks are driven by the test (a status it sets), so every state is reached
 * deterministically; the only waits are bounded polls for the background thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/bulwark.h"
#include "bulwark/health.h"
#include "core/clock.h"
#include "core/sync.h"
#include "protocol/call_internal.h"
#include "protocol/server_internal.h"
#include "protocol/session.h"
#include "reliability/health_internal.h"

#define WAIT_MS 10000

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a check the test steers ---- */

typedef struct {
    atomic_int status;   /* bw_check_status to return */
    atomic_int calls;
    atomic_int inside;   /* 1 while the check runs */
    int sleep_ms;        /* how long each run takes */
} fake_check;

static bw_check_status fake_fn(void *user, int timeout_ms, char *detail, size_t len)
{
    fake_check *f = user;
    atomic_store(&f->inside, 1);
    if (f->sleep_ms)
        sleep_ms(f->sleep_ms);
    snprintf(detail, len, "fake %d (timeout %d)", atomic_load(&f->status), timeout_ms);
    atomic_fetch_add(&f->calls, 1);
    atomic_store(&f->inside, 0);
    return (bw_check_status)atomic_load(&f->status);
}

static bw_server *new_server(void)
{
    bw_server_info info = {.name = "health-test", .version = "1.0"};
    bw_server *srv = bw_server_new(&info);
    assert_non_null(srv);
    return srv;
}

/* The readiness document; asserts the HTTP status and returns the document (caller frees). */
static json_t *ready(bw_server *srv, int want_status, const char *want)
{
    int code = 0;
    json_t *doc = bw_server_health(srv, true, &code);
    assert_non_null(doc);
    assert_int_equal(code, want_status);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), want);
    assert_string_equal(json_string_value(json_object_get(doc, "version")), bw_version());
    assert_true(json_is_integer(json_object_get(doc, "uptime_s")));
    return doc;
}

static const char *check_status(json_t *doc, const char *name)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(doc, "checks"), name), "status"));
}

/* ---- documents and states ---- */

static void test_liveness(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    int code = 0;
    json_t *doc = bw_server_health(srv, false, &code);
    assert_int_equal(code, 200);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "pass");
    assert_null(json_object_get(doc, "checks"));
    json_decref(doc);
    bw_server_begin_drain(srv); /* the process still answers: liveness stays 200 */
    doc = bw_server_health(srv, false, &code);
    assert_int_equal(code, 200);
    json_decref(doc);
    bw_server_free(srv);
}

static void test_builtin_checks_pass(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    json_t *doc = ready(srv, 200, "pass");
    for (const char *const *n = (const char *const[]){"workers", "memory", "draining", NULL}; *n; n++) {
        json_t *c = json_object_get(json_object_get(doc, "checks"), *n);
        assert_non_null(c);
        assert_string_equal(json_string_value(json_object_get(c, "status")), "pass");
        assert_true(json_is_true(json_object_get(c, "required")));
        assert_true(json_is_integer(json_object_get(c, "latency_ms")));
        assert_true(json_is_string(json_object_get(c, "detail")));
    }
    json_decref(doc);
    bw_server_free(srv);
}

static void test_starting_then_pass_then_fail(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    fake_check f = {.status = BW_CHECK_FAIL};
    assert_int_equal(bw_server_add_health_check(srv, "db:main", fake_fn, &f, true), BW_OK);
    json_t *doc = ready(srv, 503, "starting");
    assert_string_equal(check_status(doc, "db:main"), "fail");
    json_decref(doc);
    bw_health_run_once(srv); /* still failing: still starting */
    json_decref(ready(srv, 503, "starting"));
    atomic_store(&f.status, BW_CHECK_PASS);
    bw_health_run_once(srv);
    doc = ready(srv, 200, "pass");
    json_t *c = json_object_get(json_object_get(doc, "checks"), "db:main");
    assert_string_equal(json_string_value(json_object_get(c, "detail")), "fake 0 (timeout 1000)");
    assert_true(json_is_true(json_object_get(c, "required")));
    json_decref(doc);
    atomic_store(&f.status, BW_CHECK_FAIL);
    bw_health_run_once(srv); /* after start-up a failure is "fail", never "starting" again */
    doc = ready(srv, 503, "fail");
    assert_string_equal(check_status(doc, "db:main"), "fail");
    json_decref(doc);
    assert_int_equal(atomic_load(&f.calls), 3);
    bw_server_free(srv);
}

static void test_optional_and_warn_do_not_fail(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    fake_check opt = {.status = BW_CHECK_FAIL}, warn = {.status = BW_CHECK_WARN};
    assert_int_equal(bw_server_add_health_check(srv, "cache", fake_fn, &opt, false), BW_OK);
    assert_int_equal(bw_server_add_health_check(srv, "db:slow", fake_fn, &warn, true), BW_OK);
    bw_health_run_once(srv);
    json_t *doc = ready(srv, 200, "pass");
    assert_string_equal(check_status(doc, "cache"), "fail");
    assert_string_equal(check_status(doc, "db:slow"), "warn");
    assert_true(json_is_false(json_object_get(json_object_get(json_object_get(doc, "checks"), "cache"), "required")));
    json_decref(doc);
    bw_server_free(srv);
}

static void test_registry(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    fake_check f = {.status = BW_CHECK_PASS};
    assert_int_equal(bw_server_add_health_check(srv, "x", fake_fn, &f, true), BW_OK);
    assert_int_equal(bw_server_add_health_check(srv, "x", fake_fn, &f, false), BW_E_EXISTS);
    assert_int_equal(bw_server_add_health_check(srv, "", fake_fn, &f, false), BW_E_INVALID_ARG);
    assert_int_equal(bw_server_add_health_check(srv, "y", NULL, &f, false), BW_E_INVALID_ARG);
    assert_int_equal(bw_server_remove_health_check(srv, "x"), BW_OK);
    assert_int_equal(bw_server_remove_health_check(srv, "x"), BW_E_NOT_FOUND);
    json_t *doc = ready(srv, 200, "pass");
    assert_null(json_object_get(json_object_get(doc, "checks"), "x"));
    json_decref(doc);
    bw_server_free(srv);
}

static void test_draining(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    assert_false(bw_server_draining(srv));
    bw_server_begin_drain(srv);
    bw_server_begin_drain(srv); /* idempotent */
    assert_true(bw_server_draining(srv));
    json_t *doc = ready(srv, 503, "draining");
    assert_string_equal(check_status(doc, "draining"), "fail");
    json_decref(doc);
    bw_server_free(srv);
}

static void test_memory_limit_and_options(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    assert_true(bw_proc_rss_bytes() > 0);
    assert_true(bw_proc_open_fds() >= 3);
    bw_health_options o = {.memory_limit_bytes = 1}; /* any process is over one byte */
    assert_int_equal(bw_server_set_health(srv, &o), BW_OK);
    json_t *doc = ready(srv, 503, "fail");
    assert_string_equal(check_status(doc, "memory"), "fail");
    json_decref(doc);
    bw_health_options got = bw_health_options_of(srv);
    assert_int_equal(got.interval_ms, 2000);
    assert_int_equal(got.check_timeout_ms, 1000);
    assert_int_equal(got.queue_saturation_pct, 90);
    o = (bw_health_options){.queue_saturation_pct = 101};
    assert_int_equal(bw_server_set_health(srv, &o), BW_E_INVALID_ARG);
    o = (bw_health_options){.interval_ms = -1};
    assert_int_equal(bw_server_set_health(srv, &o), BW_E_INVALID_ARG);
    bw_server_free(srv);
}

/* ---- the background thread ---- */

static bool wait_calls(fake_check *f, int n)
{
    int64_t until = bw_clock_ms() + WAIT_MS;
    while (atomic_load(&f->calls) < n && bw_clock_ms() < until)
        sleep_ms(5);
    return atomic_load(&f->calls) >= n;
}

static void test_thread_runs_checks_and_remove_waits(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    bw_health_options o = {.interval_ms = 10, .check_timeout_ms = 50};
    assert_int_equal(bw_server_set_health(srv, &o), BW_OK);
    fake_check f = {.status = BW_CHECK_PASS, .sleep_ms = 20};
    assert_int_equal(bw_server_add_health_check(srv, "slow", fake_fn, &f, true), BW_OK);
    assert_int_equal(bw_server_start_pool(srv), BW_OK); /* starts the health thread too */
    assert_true(wait_calls(&f, 3));
    json_t *doc = ready(srv, 200, "pass");
    assert_true(json_integer_value(json_object_get(json_object_get(json_object_get(doc, "checks"), "slow"),
                                                   "latency_ms")) >= 15);
    json_decref(doc);
    /* Wait until the check is inside fn, then remove: the removal returns only after that run ended. */
    int64_t until = bw_clock_ms() + WAIT_MS;
    while (!atomic_load(&f.inside) && bw_clock_ms() < until)
        sleep_ms(1);
    assert_int_equal(bw_server_remove_health_check(srv, "slow"), BW_OK);
    assert_int_equal(atomic_load(&f.inside), 0);
    int calls = atomic_load(&f.calls);
    sleep_ms(60);
    assert_int_equal(atomic_load(&f.calls), calls); /* never run again */
    bw_server_free(srv); /* joins the thread */
}

/* ---- through a session: the health tools, and the shutdown answer ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t *msgs; /* array of every message sent */
} sink_log;

static void sink(void *ctx, const char *raw, size_t len, const json_t *related_id, bw_out_kind kind)
{
    (void)related_id;
    (void)kind;
    sink_log *l = ctx;
    json_t *msg = json_loadb(raw, len, 0, NULL);
    pthread_mutex_lock(&l->mu);
    json_array_append_new(l->msgs, msg ? msg : json_null());
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

/* The response with this id (new reference), waiting up to WAIT_MS. */
static json_t *response(sink_log *l, json_int_t id)
{
    int64_t until = bw_clock_ms() + WAIT_MS;
    json_t *found = NULL;
    pthread_mutex_lock(&l->mu);
    while (!found) {
        size_t i;
        json_t *m;
        json_array_foreach(l->msgs, i, m)
            if (json_integer_value(json_object_get(m, "id")) == id && !json_object_get(m, "method"))
                found = json_incref(m);
        if (!found && bw_cond_wait_until(&l->cv, &l->mu, until) != 0)
            break;
    }
    pthread_mutex_unlock(&l->mu);
    assert_non_null(found);
    return found;
}

static void send_text(bw_session *s, const char *text)
{
    bw_session_receive(s, text, strlen(text));
}

static bw_session *open_session(bw_server *srv, sink_log *l)
{
    pthread_mutex_init(&l->mu, NULL);
    bw_cond_init_monotonic(&l->cv);
    l->msgs = json_array();
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    bw_session *s = bw_session_new(srv, sink, l);
    assert_non_null(s);
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                 "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    json_decref(response(l, 1));
    return s;
}

static void close_session(bw_session *s, sink_log *l)
{
    assert_true(bw_session_wait_idle(s, bw_clock_ms() + WAIT_MS));
    bw_session_unref(s);
    json_decref(l->msgs);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
}

static void test_health_tools(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    assert_int_equal(bw_server_add_health_tools(srv), BW_OK);
    assert_int_equal(bw_server_add_health_tools(srv), BW_E_EXISTS);
    sink_log l;
    bw_session *s = open_session(srv, &l);
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"health-check\"}}");
    json_t *r = response(&l, 2);
    json_t *sc = json_object_get(json_object_get(r, "result"), "structuredContent");
    assert_string_equal(json_string_value(json_object_get(sc, "status")), "pass");
    assert_string_equal(check_status(sc, "workers"), "pass");
    assert_null(json_object_get(json_object_get(r, "result"), "isError"));
    json_decref(r);
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"get-metrics\"}}");
    r = response(&l, 3);
    json_t *proc = json_object_get(json_object_get(json_object_get(r, "result"), "structuredContent"), "process");
    assert_true(json_integer_value(json_object_get(proc, "rss_bytes")) > 0);
    assert_true(json_integer_value(json_object_get(proc, "open_fds")) >= 3);
    assert_true(json_is_number(json_object_get(proc, "cpu_seconds")));
    assert_true(json_is_integer(json_object_get(proc, "uptime_s")));
    json_decref(r);
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}");
    r = response(&l, 4);
    size_t i;
    json_t *t;
    int seen = 0;
    json_array_foreach(json_object_get(json_object_get(r, "result"), "tools"), i, t) {
        seen++;
        assert_true(json_is_true(json_object_get(json_object_get(t, "annotations"), "readOnlyHint")));
    }
    assert_int_equal(seen, 2);
    json_decref(r);
    close_session(s, &l);
    bw_server_free(srv);
}

/* A tool that waits until its call is cancelled (the flag itself: bw_call_cancelled turns true a moment earlier,
 * when shutting_down is set, and a handler returning then is answered with its own result). */
static bw_status wait_cancel(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    atomic_store((atomic_int *)user, 1);
    while (!atomic_load(&call->cancelled))
        sleep_ms(2);
    return BW_E_CANCELLED;
}

static void test_shutdown_cancel_is_answered(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    bw_limits lim = {.shutdown_grace_ms = 1234};
    assert_int_equal(bw_server_set_limits(srv, &lim), BW_OK);
    atomic_int started = 0;
    bw_tool_def def = {.name = "wait", .handler = wait_cancel, .user = &started};
    assert_int_equal(bw_server_add_tool(srv, &def, NULL, 0), BW_OK);
    sink_log l;
    bw_session *s = open_session(srv, &l);
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"wait\"}}");
    int64_t until = bw_clock_ms() + WAIT_MS;
    while (!atomic_load(&started) && bw_clock_ms() < until)
        sleep_ms(1);
    assert_int_equal(atomic_load(&started), 1);
    atomic_store(&srv->shutting_down, true); /* what a transport does when the grace period ends */
    bw_session_cancel_all(s, "server shutting down");
    json_t *r = response(&l, 7);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "error"), "code")), -32000);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
                        "Server shutting down: the request was cancelled after the 1234 ms grace period");
    json_decref(r);
    close_session(s, &l);
    bw_server_free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_liveness),
        cmocka_unit_test(test_builtin_checks_pass),
        cmocka_unit_test(test_starting_then_pass_then_fail),
        cmocka_unit_test(test_optional_and_warn_do_not_fail),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_draining),
        cmocka_unit_test(test_memory_limit_and_options),
        cmocka_unit_test(test_thread_runs_checks_and_remove_waits),
        cmocka_unit_test(test_health_tools),
        cmocka_unit_test(test_shutdown_cancel_is_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
