/* The policy layer's answers that do not come from running the tool: fresh cache hits, stale-if-error (after a
 * failure and while the breaker is open), the fallback tool, and idempotency keys (replay, mismatch, in progress,
 * no key) on a state database in a temporary directory. Exact result JSON throughout; values that vary (ages) are
 * checked for range and removed first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "policy_fixture.h"

static void fresh_hits_answer_identical_calls_of_read_only_tools(void **state)
{
    fixture *f = *state;
    script ro = {0}, rw = {0};
    bw_tool_policy p = {.cache = {.ttl_ms = 60000}};
    add_scripted(f->srv, "ro", &ro, (tool_opts){.policy = &p, .read_only = true});
    add_scripted(f->srv, "rw", &rw, (tool_opts){.policy = &p});
    fixture_start(f);
    assert_json(call_tool(f->h, "ro", json_pack("{s:i,s:i}", "a", 1, "b", 2), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"}]}");
    /* The same arguments in another order are the same call. */
    json_t *r = call_tool(f->h, "ro", json_pack("{s:i,s:i}", "b", 2, "a", 1), NULL);
    take_meta_int(r, "io.bulwark/cache", "ageMs", 0, 5000);
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"}],\"_meta\":{\"io.bulwark/cache\":{}}}");
    assert_json(call_tool(f->h, "ro", json_pack("{s:i}", "a", 2), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 2\"}]}");
    /* Not read-only and any_tool not set: never cached. */
    json_decref(call_tool(f->h, "rw", NULL, NULL));
    assert_json(call_tool(f->h, "rw", NULL, NULL), "{\"content\":[{\"type\":\"text\",\"text\":\"ok 2\"}]}");
    json_t *stats = bw_server_reliability_stats(f->srv);
    json_t *t = json_object_get(json_object_get(stats, "tools"), "ro");
    assert_int_equal(json_integer_value(json_object_get(t, "cache_hits")), 1);
    assert_int_equal(json_integer_value(json_object_get(t, "cache_misses")), 2);
    json_decref(stats);
}

static void a_failure_serves_the_stale_result(void **state)
{
    fixture *f = *state;
    script s = {.kind = BW_FAILURE_UNAVAILABLE};
    bw_tool_policy p = {.cache = {.ttl_ms = 1, .max_stale_ms = 60000}, .retry = {.max_attempts = 1}};
    add_scripted(f->srv, "stocks", &s, (tool_opts){.policy = &p, .read_only = true});
    fixture_start(f);
    json_decref(call_tool(f->h, "stocks", NULL, NULL));
    usleep(5000); /* past the 1 ms TTL */
    atomic_store(&s.failing, true);
    json_t *r = call_tool(f->h, "stocks", NULL, NULL);
    take_meta_int(r, "io.bulwark/stale", "ageMs", 1, 5000);
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"},{\"type\":\"text\",\"text\":\"[stale: served "
                   "from cache, 0 s old, because the tool failed]\"}],"
                   "\"_meta\":{\"io.bulwark/stale\":{\"reason\":\"the tool failed\"}}}");
    /* Recovered: fresh results again. */
    atomic_store(&s.failing, false);
    assert_json(call_tool(f->h, "stocks", NULL, NULL), "{\"content\":[{\"type\":\"text\",\"text\":\"ok 3\"}]}");
}

static void an_open_breaker_serves_the_stale_result(void **state)
{
    fixture *f = *state;
    bw_dependency_def dep = {.name = "db:main", .breaker = {.failure_threshold = 1, .open_ms = 60000}};
    assert_int_equal(bw_server_set_dependency(f->srv, &dep), BW_OK);
    script s = {.kind = BW_FAILURE_CONNECTION};
    bw_tool_policy p = {.cache = {.ttl_ms = 1, .max_stale_ms = 60000}, .retry = {.max_attempts = 1}};
    add_scripted(f->srv, "q", &s, (tool_opts){.policy = &p, .read_only = true, .dependency = "db:main"});
    fixture_start(f);
    json_decref(call_tool(f->h, "q", NULL, NULL));
    usleep(5000);
    atomic_store(&s.failing, true);
    json_decref(call_tool(f->h, "q", NULL, NULL)); /* fails (served stale) and opens the breaker */
    json_t *r = call_tool(f->h, "q", NULL, NULL);
    take_meta_int(r, "io.bulwark/stale", "ageMs", 1, 5000);
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"},{\"type\":\"text\",\"text\":\"[stale: served "
                   "from cache, 0 s old, because db:main is failing (circuit open)]\"}],"
                   "\"_meta\":{\"io.bulwark/stale\":{\"reason\":\"db:main is failing (circuit open)\"}}}");
    assert_int_equal(atomic_load(&s.calls), 2);
}

static void the_fallback_answers_when_the_tool_fails(void **state)
{
    fixture *f = *state;
    script primary = {0}, fb = {.answer = "simple"}, broken = {0}, fb_broken = {0};
    atomic_store(&primary.failing, true);
    atomic_store(&broken.failing, true);
    atomic_store(&fb_broken.failing, true);
    bw_tool_policy p = {.fallback_tool = "fb"}, q = {.fallback_tool = "fb_broken"};
    add_scripted(f->srv, "fb", &fb, (tool_opts){0});
    add_scripted(f->srv, "fb_broken", &fb_broken, (tool_opts){0});
    add_scripted(f->srv, "primary", &primary, (tool_opts){.policy = &p});
    add_scripted(f->srv, "broken", &broken, (tool_opts){.policy = &q});
    fixture_start(f);
    assert_json(call_tool(f->h, "primary", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"simple 1\"}],\"_meta\":{\"io.bulwark/fallback\":\"fb\"}}");
    /* A failing fallback leaves the primary's failure. */
    assert_json(call_tool(f->h, "broken", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"boom 1\"}],\"isError\":true}");
    assert_int_equal(atomic_load(&fb_broken.calls), 1);
}

/* ---- idempotency: the state database lives in a temporary directory ---- */

typedef struct idem_fixture {
    fixture base;
    char dir[64];
} idem_fixture;

static int idem_setup(void **state)
{
    idem_fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-policy-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    bw_server_info info = {.name = "policy-test", .version = "1.0.0"};
    f->base.srv = bw_server_new(&info);
    char path[128], err[300];
    snprintf(path, sizeof path, "%s/state.db", f->dir);
    bw_reliability_options o = {.state_db = path};
    if (!f->base.srv || bw_server_set_reliability(f->base.srv, &o, err, sizeof err) != BW_OK)
        return -1;
    *state = f;
    return 0;
}

static int idem_teardown(void **state)
{
    idem_fixture *f = *state;
    harness_free(f->base.h);
    bw_server_free(f->base.srv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void a_repeated_key_replays_the_stored_result(void **state)
{
    fixture *f = *state;
    script s = {0};
    bw_tool_policy p = {.idempotency = {.key_argument = "rid"}};
    add_scripted(f->srv, "pay", &s, (tool_opts){.policy = &p});
    fixture_start(f);
    assert_json(call_tool(f->h, "pay", json_pack("{s:s,s:i}", "rid", "k1", "amount", 5), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"}]}");
    assert_json(call_tool(f->h, "pay", json_pack("{s:i,s:s}", "amount", 5, "rid", "k1"), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"}],\"_meta\":{\"io.bulwark/idempotentReplay\":true}}");
    assert_int_equal(atomic_load(&s.calls), 1);
    assert_json(call_tool(f->h, "pay", json_pack("{s:s,s:i}", "rid", "k1", "amount", 6), NULL),
                "{\"code\":-32602,\"message\":\"Invalid params: idempotency key 'k1' was already used with different "
                "arguments\"}");
    /* Another key, or none, runs the tool. */
    assert_json(call_tool(f->h, "pay", json_pack("{s:s,s:i}", "rid", "k2", "amount", 5), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 2\"}]}");
    assert_json(call_tool(f->h, "pay", json_pack("{s:i}", "amount", 5), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 3\"}]}");
}

static void a_key_still_running_is_in_progress(void **state)
{
    fixture *f = *state;
    script s = {.sleep_first_ms = 500};
    bw_tool_policy p = {.idempotency = {.key_meta = "io.example/key"}};
    add_scripted(f->srv, "slow_pay", &s, (tool_opts){.policy = &p});
    fixture_start(f);
    int first = send_call(f->h, "slow_pay", NULL, json_pack("{s:s}", "io.example/key", "p"));
    wait_calls(&s, 1);
    assert_json(call_tool(f->h, "slow_pay", NULL, json_pack("{s:s}", "io.example/key", "p")),
                "{\"content\":[{\"type\":\"text\",\"text\":\"A call with idempotency key 'p' is still in progress; "
                "retry later\"}],\"isError\":true}");
    json_t *resp = await_id(f->h, first);
    assert_json(json_incref(json_object_get(resp, "result")), "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"}]}");
    json_decref(resp);
    assert_int_equal(atomic_load(&s.calls), 1);
}

static void a_failed_call_does_not_keep_its_key(void **state)
{
    fixture *f = *state;
    script s = {.fail_first = 1};
    bw_tool_policy p = {.idempotency = {.key_argument = "rid"}};
    add_scripted(f->srv, "flaky_pay", &s, (tool_opts){.policy = &p});
    fixture_start(f);
    assert_json(call_tool(f->h, "flaky_pay", json_pack("{s:s}", "rid", "k"), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"boom 1\"}],\"isError\":true}");
    assert_json(call_tool(f->h, "flaky_pay", json_pack("{s:s}", "rid", "k"), NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 2\"}]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fresh_hits_answer_identical_calls_of_read_only_tools, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(a_failure_serves_the_stale_result, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(an_open_breaker_serves_the_stale_result, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(the_fallback_answers_when_the_tool_fails, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_repeated_key_replays_the_stored_result, idem_setup, idem_teardown),
        cmocka_unit_test_setup_teardown(a_key_still_running_is_in_progress, idem_setup, idem_teardown),
        cmocka_unit_test_setup_teardown(a_failed_call_does_not_keep_its_key, idem_setup, idem_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
