/* The policy layer on a real server with scripted C tools: deadlines (the policy's, the client's timeoutMs, per
 * attempt), retries (only retryable failures of read-only / idempotent tools or mode always, never on the reader),
 * the breaker (fail fast with the exact text, permanent failures do not count, half-open → closed), bulkheads and
 * the server-wide cap (exact -32000 errors), and the statistics snapshot. Exact result JSON throughout.
 *
 * Timing: the deadline test allows 600 ms over the deadline, far above the 100 ms the wire contract promises,
 * because this runs on a loaded 2-core machine under ASan; the integration tests check the tight bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reliability/policy.h"
#include "policy_fixture.h"

#define MARGIN_MS 600

static void deadline_answers_the_timeout_text(void **state)
{
    fixture *f = *state;
    script s = {.sleep_ms = 10000};
    bw_tool_policy p = {.deadline_ms = 300};
    add_scripted(f->srv, "slow", &s, (tool_opts){.policy = &p});
    fixture_start(f);
    int64_t t0 = bw_now_ms();
    json_t *r = call_tool(f->h, "slow", NULL, NULL);
    int64_t took = bw_now_ms() - t0;
    assert_true(took >= 300 && took < 300 + MARGIN_MS);
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"Tool slow timed out after 300 ms (deadline)\"}],"
                   "\"isError\":true}");
    /* The client may lower it, never raise it. */
    r = call_tool(f->h, "slow", NULL, json_pack("{s:i}", "io.bulwark/timeoutMs", 150));
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"Tool slow timed out after 150 ms (deadline)\"}],"
                   "\"isError\":true}");
    r = call_tool(f->h, "slow", NULL, json_pack("{s:i}", "io.bulwark/timeoutMs", 100000));
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"Tool slow timed out after 300 ms (deadline)\"}],"
                   "\"isError\":true}");
}

static void retryable_failures_of_read_only_tools_are_retried(void **state)
{
    fixture *f = *state;
    script ro = {.fail_first = 2, .kind = BW_FAILURE_UNAVAILABLE};
    script plain = {.fail_first = 2, .kind = BW_FAILURE_UNAVAILABLE};
    script always = {.fail_first = 1, .kind = BW_FAILURE_CONNECTION};
    script permanent = {.fail_first = 1};
    bw_tool_policy fast = {.retry = {.base_delay_ms = 5, .max_delay_ms = 20}};
    bw_tool_policy forced = {.retry = {.base_delay_ms = 5, .mode = BW_RETRY_ALWAYS}};
    add_scripted(f->srv, "ro", &ro, (tool_opts){.policy = &fast, .read_only = true});
    add_scripted(f->srv, "plain", &plain, (tool_opts){.policy = &fast});
    add_scripted(f->srv, "always", &always, (tool_opts){.policy = &forced});
    add_scripted(f->srv, "permanent", &permanent, (tool_opts){.policy = &fast, .read_only = true});
    fixture_start(f);
    assert_json(call_tool(f->h, "ro", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 3\"}],\"_meta\":{\"io.bulwark/attempts\":3}}");
    assert_int_equal(atomic_load(&ro.calls), 3);
    /* No annotation: a side effect is never repeated. */
    assert_json(call_tool(f->h, "plain", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"boom 1\"}],\"isError\":true}");
    assert_int_equal(atomic_load(&plain.calls), 1);
    assert_json(call_tool(f->h, "always", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 2\"}],\"_meta\":{\"io.bulwark/attempts\":2}}");
    /* An isError without a failure kind is permanent. */
    assert_json(call_tool(f->h, "permanent", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"boom 1\"}],\"isError\":true}");
    assert_int_equal(atomic_load(&permanent.calls), 1);
}

static void retries_stop_at_max_attempts_and_say_how_many(void **state)
{
    fixture *f = *state;
    script s = {.kind = BW_FAILURE_TIMEOUT};
    atomic_store(&s.failing, true);
    bw_tool_policy p = {.retry = {.max_attempts = 4, .base_delay_ms = 1, .max_delay_ms = 5}};
    add_scripted(f->srv, "down", &s, (tool_opts){.policy = &p, .read_only = true});
    fixture_start(f);
    assert_json(call_tool(f->h, "down", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"boom 4\"}],\"isError\":true,"
                "\"_meta\":{\"io.bulwark/attempts\":4}}");
    json_t *stats = bw_server_reliability_stats(f->srv);
    json_t *t = json_object_get(json_object_get(stats, "tools"), "down");
    assert_json(json_incref(t), "{\"calls\":1,\"ok\":0,\"errors\":1,\"timeouts\":0,\"retries\":3,\"rejections\":0,"
                                "\"cache_hits\":0,\"cache_misses\":0,\"stale_served\":0,\"fallbacks\":0,"
                                "\"idempotent_replays\":0,\"slow\":0,\"running\":0,\"queued\":0}");
    json_decref(stats);
}

static void an_attempt_timeout_is_retried_within_the_deadline(void **state)
{
    fixture *f = *state;
    script s = {.sleep_first_ms = 5000};
    bw_tool_policy p = {.deadline_ms = 3000, .retry = {.attempt_timeout_ms = 150, .base_delay_ms = 1}};
    add_scripted(f->srv, "hangs_once", &s, (tool_opts){.policy = &p, .read_only = true});
    fixture_start(f);
    int64_t t0 = bw_now_ms();
    assert_json(call_tool(f->h, "hangs_once", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"ok 2\"}],\"_meta\":{\"io.bulwark/attempts\":2}}");
    assert_true(bw_now_ms() - t0 < 3000);
}

static void a_non_blocking_tool_is_never_retried(void **state)
{
    fixture *f = *state;
    script s = {.fail_first = 1, .kind = BW_FAILURE_UNAVAILABLE};
    add_scripted(f->srv, "pure", &s, (tool_opts){.read_only = true, .flags = BW_TOOL_NONBLOCKING});
    fixture_start(f);
    assert_json(call_tool(f->h, "pure", NULL, NULL),
                "{\"content\":[{\"type\":\"text\",\"text\":\"boom 1\"}],\"isError\":true}");
    assert_int_equal(atomic_load(&s.calls), 1);
}

static void an_open_breaker_fails_fast_then_half_opens_and_closes(void **state)
{
    fixture *f = *state;
    bw_dependency_def dep = {.name = "dep:x", .breaker = {.failure_threshold = 2, .open_ms = 300}};
    assert_int_equal(bw_server_set_dependency(f->srv, &dep), BW_OK);
    script s = {.kind = BW_FAILURE_UNAVAILABLE};
    atomic_store(&s.failing, true);
    add_scripted(f->srv, "b", &s, (tool_opts){.dependency = "dep:x"});
    fixture_start(f);
    for (int i = 1; i <= 2; i++)
        json_decref(call_tool(f->h, "b", NULL, NULL));
    json_t *r = call_tool(f->h, "b", NULL, NULL);
    take_meta_int(r, "io.bulwark/retryAfterMs", NULL, 1, 300);
    assert_json(r, "{\"content\":[{\"type\":\"text\",\"text\":\"Tool b is temporarily unavailable: dep:x is failing "
                   "(circuit open); retry after 1 s\"}],\"isError\":true,\"_meta\":{}}");
    assert_int_equal(atomic_load(&s.calls), 2); /* failed fast: the tool did not run */
    json_t *stats = bw_server_reliability_stats(f->srv);
    json_t *d = json_object_get(json_object_get(stats, "dependencies"), "dep:x");
    assert_string_equal(json_string_value(json_object_get(d, "state")), "open");
    json_decref(stats);
    nanosleep(&(struct timespec){.tv_nsec = 350 * 1000000}, NULL);
    atomic_store(&s.failing, false);
    assert_json(call_tool(f->h, "b", NULL, NULL), "{\"content\":[{\"type\":\"text\",\"text\":\"ok 3\"}]}");
    stats = bw_server_reliability_stats(f->srv);
    d = json_object_get(json_object_get(stats, "dependencies"), "dep:x");
    assert_string_equal(json_string_value(json_object_get(d, "state")), "closed");
    json_decref(stats);
}

static void permanent_failures_do_not_open_the_breaker(void **state)
{
    fixture *f = *state;
    bw_dependency_def dep = {.name = "dep:y", .breaker = {.failure_threshold = 2, .open_ms = 60000}};
    assert_int_equal(bw_server_set_dependency(f->srv, &dep), BW_OK);
    script s = {.kind = BW_FAILURE_PERMANENT};
    atomic_store(&s.failing, true);
    add_scripted(f->srv, "bad_input", &s, (tool_opts){.dependency = "dep:y"});
    fixture_start(f);
    for (int i = 1; i <= 4; i++)
        json_decref(call_tool(f->h, "bad_input", NULL, NULL));
    assert_int_equal(atomic_load(&s.calls), 4);
}

static void a_full_bulkhead_refuses_at_once(void **state)
{
    fixture *f = *state;
    script s = {.sleep_first_ms = 600};
    bw_tool_policy p = {.bulkhead = {.max_concurrent = 1}};
    add_scripted(f->srv, "busy", &s, (tool_opts){.policy = &p});
    fixture_start(f);
    int first = send_call(f->h, "busy", NULL, NULL);
    wait_calls(&s, 1);
    int64_t t0 = bw_now_ms();
    assert_json(call_tool(f->h, "busy", NULL, NULL),
                "{\"code\":-32000,\"message\":\"Server overloaded: tool busy is at its concurrency limit\","
                "\"data\":{\"retryAfterMs\":1000}}");
    assert_true(bw_now_ms() - t0 < 500); /* refused, not queued until the first finished */
    json_t *resp = await_id(f->h, first);
    assert_json(json_incref(json_object_get(resp, "result")), "{\"content\":[{\"type\":\"text\",\"text\":\"ok 1\"}]}");
    json_decref(resp);
}

static void the_server_wide_cap_refuses_beyond_max_in_flight(void **state)
{
    fixture *f = *state;
    bw_reliability_options o = {.max_in_flight = 1};
    char err[200];
    assert_int_equal(bw_server_set_reliability(f->srv, &o, err, sizeof err), BW_OK);
    script s = {.sleep_first_ms = 600};
    add_scripted(f->srv, "one", &s, (tool_opts){0});
    fixture_start(f);
    assert_false(bw_policy_overloaded(f->srv, NULL));
    int first = send_call(f->h, "one", NULL, NULL);
    wait_calls(&s, 1);
    int retry_after = 0;
    assert_true(bw_policy_overloaded(f->srv, &retry_after));
    assert_int_equal(retry_after, 1);
    assert_json(call_tool(f->h, "one", NULL, NULL),
                "{\"code\":-32000,\"message\":\"Server overloaded: too many tool calls in flight\","
                "\"data\":{\"retryAfterMs\":1000}}");
    json_decref(await_id(f->h, first));
    assert_false(bw_policy_overloaded(f->srv, NULL));
}

static void slow_calls_are_counted(void **state)
{
    fixture *f = *state;
    script s = {.sleep_ms = 120};
    bw_tool_policy p = {.slow_ms = 50};
    add_scripted(f->srv, "sluggish", &s, (tool_opts){.policy = &p});
    fixture_start(f);
    json_decref(call_tool(f->h, "sluggish", NULL, NULL));
    json_t *stats = bw_server_reliability_stats(f->srv);
    json_t *t = json_object_get(json_object_get(stats, "tools"), "sluggish");
    assert_int_equal(json_integer_value(json_object_get(t, "slow")), 1);
    assert_int_equal(json_integer_value(json_object_get(t, "ok")), 1);
    assert_int_equal(json_integer_value(json_object_get(stats, "in_flight")), 0);
    json_decref(stats);
}

static void invalid_policies_are_refused_at_registration(void **state)
{
    fixture *f = *state;
    script s = {0};
    char err[300] = "";
    bw_tool_policy idem = {.idempotency = {.key_argument = "rid"}};
    bw_tool_def def = {.name = "pay", .handler = scripted, .user = &s, .policy = &idem};
    assert_int_equal(bw_server_add_tool(f->srv, &def, err, sizeof err), BW_E_INVALID_ARG);
    assert_string_equal(err, "tool pay: an idempotency policy needs the state database (reliability.state_db); "
                             "none is set");
    bw_tool_policy self = {.fallback_tool = "pay"};
    def.policy = &self;
    assert_int_equal(bw_server_add_tool(f->srv, &def, err, sizeof err), BW_E_INVALID_ARG);
    assert_string_equal(err, "tool pay: policy.fallback cannot name the tool itself");
    bw_tool_policy neg = {.retry = {.max_attempts = -1}};
    def.policy = &neg;
    assert_int_equal(bw_server_add_tool(f->srv, &def, err, sizeof err), BW_E_INVALID_ARG);
    assert_string_equal(err, "tool pay: invalid policy: retry.max_attempts must be between 1 and 100");
    bw_dependency_def dep = {.name = "x", .breaker = {.failure_rate = 1.5}};
    assert_int_equal(bw_server_set_dependency(f->srv, &dep), BW_E_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(deadline_answers_the_timeout_text, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(retryable_failures_of_read_only_tools_are_retried, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(retries_stop_at_max_attempts_and_say_how_many, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(an_attempt_timeout_is_retried_within_the_deadline, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(a_non_blocking_tool_is_never_retried, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(an_open_breaker_fails_fast_then_half_opens_and_closes, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(permanent_failures_do_not_open_the_breaker, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_full_bulkhead_refuses_at_once, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(the_server_wide_cap_refuses_beyond_max_in_flight, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(slow_calls_are_counted, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(invalid_policies_are_refused_at_registration, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
