/* Unit tests for src/observability/metrics*.c: histogram buckets (le inclusive, +Inf), quantile estimates, bucket
 * validation, the text writer's escaping and histogram lines, and a server's exposition after known outcomes
 * (exact counter values, error types, _other collapsing for unknown tools and past max_tools, _count/_sum/bucket
 * consistency, every line well-formed), the options' validation and the status-page summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "bulwark/observe.h"
#include "observability/metrics.h"
#include "observability/metrics_hist.h"
#include "observability/metrics_text.h"

/* ---- histograms ---- */

static void test_hist_buckets_inclusive(void **state)
{
    (void)state;
    bw_hist h;
    bw_hist_init(&h, &bw_hist_default_bounds);
    bw_hist_observe(&h, 0.005);   /* exactly on the first bound: le is inclusive */
    bw_hist_observe(&h, 0.0051);  /* just above: second bucket */
    bw_hist_observe(&h, 60);      /* the last finite bound */
    bw_hist_observe(&h, 61);      /* +Inf */
    bw_hist_observe(&h, -3);      /* counted as 0 */
    bw_hist_observe(&h, NAN);     /* counted as 0 */
    bw_hist_snap s = {0};
    bw_hist_snap_add(&s, &h);
    assert_int_equal(s.count, 6);
    assert_int_equal(s.counts[0], 3);
    assert_int_equal(s.counts[1], 1);
    assert_int_equal(s.counts[12], 1);
    assert_int_equal(s.counts[13], 1);
    assert_true(fabs(s.sum - (0.005 + 0.0051 + 60 + 61)) < 1e-6);
}

static void test_hist_quantiles(void **state)
{
    (void)state;
    bw_hist_bounds b;
    char err[100];
    const double le[] = {1, 2, 4};
    assert_true(bw_hist_bounds_set(&b, le, 3, err, sizeof err));
    bw_hist h;
    bw_hist_init(&h, &b);
    bw_hist_snap empty = {0};
    bw_hist_snap_add(&empty, &h);
    assert_true(bw_hist_quantile(&empty, 0.5) < 0);
    for (int i = 0; i < 10; i++)
        bw_hist_observe(&h, 0.5);  /* bucket (0,1] */
    for (int i = 0; i < 10; i++)
        bw_hist_observe(&h, 3);    /* bucket (2,4] */
    bw_hist_snap s = {0};
    bw_hist_snap_add(&s, &h);
    /* rank 10 of 20 is the last of the first bucket: its upper bound */
    assert_true(fabs(bw_hist_quantile(&s, 0.5) - 1.0) < 1e-9);
    /* rank 15: half-way through (2,4] */
    assert_true(fabs(bw_hist_quantile(&s, 0.75) - 3.0) < 1e-9);
    /* rank 19: 90% through (2,4] */
    assert_true(fabs(bw_hist_quantile(&s, 0.95) - 3.8) < 1e-9);
    bw_hist_observe(&h, 100); /* +Inf: the highest finite bound is the estimate */
    bw_hist_snap s2 = {0};
    bw_hist_snap_add(&s2, &h);
    assert_true(fabs(bw_hist_quantile(&s2, 1.0) - 4.0) < 1e-9);
    /* merging two histograms adds bucket by bucket */
    bw_hist_snap_add(&s2, &h);
    assert_int_equal(s2.count, 42);
    assert_int_equal(s2.counts[0], 20);
}

static void test_hist_bounds_validation(void **state)
{
    (void)state;
    bw_hist_bounds b = bw_hist_default_bounds;
    char err[160];
    const double unsorted[] = {0.1, 0.05};
    assert_false(bw_hist_bounds_set(&b, unsorted, 2, err, sizeof err));
    assert_non_null(strstr(err, "strictly increasing"));
    const double dup[] = {0.1, 0.1};
    assert_false(bw_hist_bounds_set(&b, dup, 2, err, sizeof err));
    const double neg[] = {-1};
    assert_false(bw_hist_bounds_set(&b, neg, 1, err, sizeof err));
    const double inf[] = {1, INFINITY};
    assert_false(bw_hist_bounds_set(&b, inf, 2, err, sizeof err));
    double many[33];
    for (int i = 0; i < 33; i++)
        many[i] = i + 1;
    assert_false(bw_hist_bounds_set(&b, many, 33, err, sizeof err));
    assert_true(bw_hist_bounds_set(&b, many, 32, err, sizeof err));
    assert_int_equal(b.n, 32);
    assert_false(bw_hist_bounds_set(&b, many, 0, err, sizeof err));
}

/* ---- text writer ---- */

static void test_text_escaping(void **state)
{
    (void)state;
    bw_mtext t;
    bw_mtext_init(&t);
    bw_mlabels l = {{"tool", "status"}, {"a\\b\"c\nd", "ok"}};
    bw_mtext_sample_u(&t, "x_total", &l, 7);
    bw_mlabels none = {{"tool"}, {NULL}};
    bw_mtext_sample(&t, "y", &none, 0.25);
    bw_mtext_sample(&t, "z", NULL, INFINITY);
    bw_mtext_sample(&t, "w", NULL, 12345678);
    size_t len = 0;
    char *out = bw_mtext_take(&t, &len);
    assert_non_null(out);
    assert_string_equal(out, "x_total{tool=\"a\\\\b\\\"c\\nd\",status=\"ok\"} 7\n"
                             "y 0.25\n"
                             "z +Inf\n"
                             "w 12345678\n");
    assert_int_equal(len, strlen(out));
    free(out);
}

static void test_text_histogram(void **state)
{
    (void)state;
    bw_hist_bounds b;
    char err[64];
    const double le[] = {0.005, 0.5};
    assert_true(bw_hist_bounds_set(&b, le, 2, err, sizeof err));
    bw_hist h;
    bw_hist_init(&h, &b);
    bw_hist_observe(&h, 0.001);
    bw_hist_observe(&h, 0.25);
    bw_hist_observe(&h, 0.25);
    bw_hist_observe(&h, 2);
    bw_hist_snap s = {0};
    bw_hist_snap_add(&s, &h);
    bw_mtext t;
    bw_mtext_init(&t);
    bw_mtext_family(&t, "d_seconds", "histogram", "Durations.");
    bw_mlabels l = {{"tool"}, {"q"}};
    bw_mtext_histogram(&t, "d_seconds", &l, &s);
    char *out = bw_mtext_take(&t, NULL);
    assert_non_null(out);
    assert_string_equal(out, "# HELP d_seconds Durations.\n"
                             "# TYPE d_seconds histogram\n"
                             "d_seconds_bucket{tool=\"q\",le=\"0.005\"} 1\n"
                             "d_seconds_bucket{tool=\"q\",le=\"0.5\"} 3\n"
                             "d_seconds_bucket{tool=\"q\",le=\"+Inf\"} 4\n"
                             "d_seconds_sum{tool=\"q\"} 2.501\n"
                             "d_seconds_count{tool=\"q\"} 4\n");
    free(out);
}

/* ---- a server's exposition ---- */

static bw_status echo(bw_call *call, const json_t *args, void *user)
{
    (void)call;
    (void)args;
    (void)user;
    return BW_OK;
}

static bw_server *server_with_tools(const char *const *names)
{
    bw_server_info info = {.name = "metrics-test", .version = "1.0"};
    bw_server *srv = bw_server_new(&info);
    assert_non_null(srv);
    for (; *names; names++) {
        bw_tool_def def = {.name = *names, .handler = echo};
        char err[200];
        assert_int_equal(bw_server_add_tool(srv, &def, err, sizeof err), BW_OK);
    }
    return srv;
}

static void outcome(bw_server *srv, const char *method, const char *target, const char *status, const char *etype,
                    double duration)
{
    bw_obs_outcome o = {.method = method, .target = target, .status = status, .error_type = etype,
                        .duration_s = duration};
    bw_metrics_call_end(srv, &o);
}

/* The value of the sample line starting with `series ` (exact series text), or -1 when absent. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return -1;
}

/* Every line is a comment (# HELP / # TYPE) or name{labels} value, with a metric name and a parseable number. */
static void assert_well_formed(const char *text)
{
    const char *p = text;
    int lines = 0;
    while (*p) {
        const char *end = strchr(p, '\n');
        assert_non_null(end);
        lines++;
        if (*p == '#') {
            assert_true(!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7));
        } else {
            const char *q = p;
            assert_true((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_');
            while (q < end && *q != ' ' && *q != '{')
                q++;
            if (*q == '{') { /* skip label pairs, honouring escapes inside values */
                bool in = false;
                for (q++; q < end && (in || *q != '}'); q++) {
                    if (in && *q == '\\')
                        q++;
                    else if (*q == '"')
                        in = !in;
                }
                assert_true(q < end);
                q++;
            }
            assert_int_equal(*q, ' ');
            char *num_end;
            const char *num = q + 1;
            if (strncmp(num, "+Inf", 4) && strncmp(num, "NaN", 3)) {
                strtod(num, &num_end);
                assert_ptr_equal(num_end, end);
            }
        }
        p = end + 1;
    }
    assert_true(lines > 50);
}

static void test_server_exposition(void **state)
{
    (void)state;
    const char *const tools[] = {"alpha", "beta", NULL};
    bw_server *srv = server_with_tools(tools);
    outcome(srv, "tools/call", "alpha", "ok", NULL, 0.003);
    outcome(srv, "tools/call", "alpha", "ok", NULL, 0.2);
    outcome(srv, "tools/call", "alpha", "tool_error", "timeout", 1.5);
    outcome(srv, "tools/call", "beta", "error", "invalid_params", 0.001);
    outcome(srv, "tools/call", "made-up-1", "error", "invalid_params", 0.001);
    outcome(srv, "tools/call", "made-up-2", "error", "not_found", 0.001);
    outcome(srv, "tools/list", NULL, "ok", NULL, 0.0001);
    outcome(srv, "tools/call", "alpha", "cancelled", "cancelled", 0.05);
    outcome(srv, "tools/call", "alpha", "tool_error", "something-new", 0.05); /* unknown type → other */
    bw_metrics_refused(srv, "other", -32601);

    size_t len = 0;
    char *text = bw_server_metrics_text(srv, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_well_formed(text);

    assert_true(sample(text, "mcp_requests_total{method=\"tools/call\",status=\"ok\"}") == 2);
    assert_true(sample(text, "mcp_requests_total{method=\"tools/call\",status=\"error\"}") == 3);
    assert_true(sample(text, "mcp_requests_total{method=\"tools/call\",status=\"tool_error\"}") == 2);
    assert_true(sample(text, "mcp_requests_total{method=\"tools/call\",status=\"cancelled\"}") == 1);
    assert_true(sample(text, "mcp_requests_total{method=\"tools/list\",status=\"ok\"}") == 1);
    assert_true(sample(text, "mcp_requests_total{method=\"other\",status=\"error\"}") == 1);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"alpha\",status=\"ok\"}") == 2);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"alpha\",status=\"tool_error\"}") == 2);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"beta\",status=\"error\"}") == 1);
    /* names that are not registered tools share one label */
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"_other\",status=\"error\"}") == 2);
    assert_null(strstr(text, "made-up"));
    assert_true(sample(text, "mcp_tool_errors_total{tool=\"alpha\",error_type=\"timeout\"}") == 1);
    assert_true(sample(text, "mcp_tool_errors_total{tool=\"alpha\",error_type=\"other\"}") == 1);
    assert_true(sample(text, "mcp_tool_errors_total{tool=\"alpha\",error_type=\"cancelled\"}") == 1);
    assert_true(sample(text, "mcp_tool_errors_total{tool=\"_other\",error_type=\"not_found\"}") == 1);
    assert_true(sample(text, "mcp_tool_errors_total{tool=\"alpha\",error_type=\"invalid_params\"}") < 0);
    /* alpha's histogram: 5 calls, 0.003 ≤ 5 ms, 0.2 ≤ 0.25, 1.5 ≤ 2.5, 2 × 0.05 ≤ 0.05 */
    assert_true(sample(text, "mcp_tool_call_duration_seconds_count{tool=\"alpha\"}") == 5);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"alpha\",le=\"0.005\"}") == 1);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"alpha\",le=\"0.05\"}") == 3);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"alpha\",le=\"0.25\"}") == 4);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"alpha\",le=\"2.5\"}") == 5);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"alpha\",le=\"+Inf\"}") == 5);
    assert_true(fabs(sample(text, "mcp_tool_call_duration_seconds_sum{tool=\"alpha\"}") - 1.803) < 1e-6);
    assert_true(sample(text, "mcp_request_duration_seconds_count{method=\"tools/call\"}") == 8);
    /* the semantic-convention histogram: successes without error_type, failures by error type */
    assert_true(sample(text, "mcp_server_operation_duration_seconds_count{mcp_method_name=\"tools/call\","
                             "gen_ai_tool_name=\"alpha\"}") == 2);
    assert_true(sample(text, "mcp_server_operation_duration_seconds_count{mcp_method_name=\"tools/call\","
                             "gen_ai_tool_name=\"alpha\",error_type=\"timeout\"}") == 1);
    assert_true(sample(text, "mcp_server_operation_duration_seconds_count{mcp_method_name=\"tools/list\"}") == 1);
    assert_true(sample(text, "bulwark_build_info{version=\"" BW_VERSION "\"}") == 1);
    assert_non_null(strstr(text, "# TYPE mcp_circuit_breaker_state gauge\n"));
    assert_non_null(strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
    assert_true(sample(text, "process_resident_memory_bytes") > 0);
    assert_true(sample(text, "process_start_time_seconds") > 1.6e9);
    assert_true(sample(text, "mcp_inflight_requests") == 0);
    free(text);
    bw_server_free(srv);
}

static void test_max_tools_and_options(void **state)
{
    (void)state;
    const char *const tools[] = {"t1", "t2", "t3", NULL};
    bw_server *srv = server_with_tools(tools);
    char err[200];
    const double bad[] = {1, 0.5};
    bw_metrics_options o = {.buckets = bad, .n_buckets = 2};
    assert_int_equal(bw_server_set_metrics(srv, &o, err, sizeof err), BW_E_INVALID_ARG);
    assert_non_null(strstr(err, "increasing"));
    o = (bw_metrics_options){.max_tools = 5000};
    assert_int_equal(bw_server_set_metrics(srv, &o, err, sizeof err), BW_E_INVALID_ARG);
    const double le[] = {0.1, 1};
    o = (bw_metrics_options){.buckets = le, .n_buckets = 2, .max_tools = 2};
    assert_int_equal(bw_server_set_metrics(srv, &o, err, sizeof err), BW_OK);
    assert_false(bw_metrics_bounds_differ(srv, bad, 2)); /* nothing fixed yet */
    outcome(srv, "tools/call", "t1", "ok", NULL, 0.05);
    outcome(srv, "tools/call", "t2", "ok", NULL, 0.5);
    outcome(srv, "tools/call", "t3", "ok", NULL, 5); /* third distinct tool: past max_tools */
    outcome(srv, "tools/call", "t1", "ok", NULL, 0.05);
    /* buckets are fixed once series exist: a later change is reported and ignored */
    const double other[] = {0.2};
    assert_true(bw_metrics_bounds_differ(srv, other, 1));
    assert_false(bw_metrics_bounds_differ(srv, le, 2));
    o = (bw_metrics_options){.buckets = other, .n_buckets = 1, .max_tools = 2};
    assert_int_equal(bw_server_set_metrics(srv, &o, err, sizeof err), BW_OK);
    outcome(srv, "tools/call", "t2", "ok", NULL, 0.15);
    char *text = bw_server_metrics_text(srv, NULL);
    assert_non_null(text);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"t1\",status=\"ok\"}") == 2);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"t2\",status=\"ok\"}") == 2);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"_other\",status=\"ok\"}") == 1);
    assert_true(sample(text, "mcp_tool_calls_total{tool=\"t3\",status=\"ok\"}") < 0);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"t2\",le=\"0.1\"}") == 0);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"t2\",le=\"1\"}") == 2);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"t2\",le=\"0.2\"}") < 0);
    assert_true(sample(text, "mcp_tool_call_duration_seconds_bucket{tool=\"_other\",le=\"+Inf\"}") == 1);
    free(text);

    json_t *sum = bw_metrics_summary(srv);
    assert_non_null(sum);
    json_t *t1 = json_object_get(json_object_get(sum, "tools"), "t1");
    assert_int_equal(json_integer_value(json_object_get(t1, "calls")), 2);
    assert_int_equal(json_integer_value(json_object_get(t1, "errors")), 0);
    /* both calls took 50 ms: the summary's quantiles come from the fine histogram (within 12.5%), not from the
     * coarse Prometheus buckets (which would say "half-way through (0, 0.1]") */
    double p50 = json_real_value(json_object_get(t1, "p50_ms"));
    assert_true(fabs(p50 - 50.0) <= 50.0 * 0.125);
    assert_true(json_real_value(json_object_get(t1, "p99_ms")) >= p50);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "requests"), "total")), 5);
    assert_true(json_is_integer(json_object_get(sum, "ts_ms")));
    assert_true(json_is_object(json_object_get(sum, "breakers")));
    json_decref(sum);
    bw_server_free(srv);
}

static void test_auth_and_module_counters(void **state)
{
    (void)state;
    const char *const tools[] = {NULL};
    bw_server *srv = server_with_tools(tools);
    bw_metrics_auth_failure(srv, "invalid_token");
    bw_metrics_auth_failure(srv, "invalid_token");
    bw_metrics_auth_failure(srv, NULL);
    for (int i = 0; i < 40; i++) { /* more distinct reasons than kept: the rest share "other" */
        char r[16];
        snprintf(r, sizeof r, "r%d", i);
        bw_metrics_auth_failure(srv, r);
    }
    char *before = bw_server_metrics_text(srv, NULL);
    assert_non_null(before);
    double spans0 = sample(before, "bulwark_trace_spans_dropped_total");
    double sse0 = sample(before, "mcp_sse_streams");
    bw_metrics_trace_spans(3, 2);
    bw_metrics_sse_streams_add(1);
    char *text = bw_server_metrics_text(srv, NULL);
    assert_non_null(text);
    assert_true(sample(text, "mcp_auth_failures_total{reason=\"invalid_token\"}") == 2);
    assert_true(sample(text, "mcp_auth_failures_total{reason=\"r0\"}") == 1);
    assert_true(sample(text, "mcp_auth_failures_total{reason=\"r13\"}") == 1);
    assert_true(sample(text, "mcp_auth_failures_total{reason=\"r14\"}") < 0);
    /* 16 counters: "other" (always there), invalid_token, r0..r13; the NULL reason and r14..r39 share "other" */
    assert_true(sample(text, "mcp_auth_failures_total{reason=\"other\"}") == 1 + 26);
    assert_true(sample(text, "bulwark_trace_spans_dropped_total") == spans0 + 2);
    assert_true(sample(text, "mcp_sse_streams") == sse0 + 1);
    bw_metrics_sse_streams_add(-1);
    free(before);
    free(text);
    bw_server_free(srv);
}

/* Threads racing to create and update the same series: counts stay exact and every name has one series. */
#define RACE_THREADS 4
#define RACE_CALLS 4000
static const char *const race_tools[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", NULL};

static void *race_main(void *arg)
{
    bw_server *srv = arg;
    for (int i = 0; i < RACE_CALLS; i++) {
        const char *tool = race_tools[i % 8];
        bool fail = (i / 8) % 4 == 3; /* every tool fails a quarter of its calls */
        outcome(srv, "tools/call", (i % 10) == 9 ? "unknown" : tool, fail ? "tool_error" : "ok",
                fail ? "timeout" : NULL, (i % 7) * 0.01);
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    bw_server *srv = server_with_tools(race_tools);
    pthread_t th[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_main, srv), 0);
    for (int i = 0; i < RACE_THREADS; i++)
        pthread_join(th[i], NULL);
    /* Expected per thread, computed the same way. */
    double want[9][2] = {{0}}; /* [tool or 8 = _other][ok, tool_error] */
    for (int i = 0; i < RACE_CALLS; i++)
        want[(i % 10) == 9 ? 8 : i % 8][(i / 8) % 4 == 3] += RACE_THREADS;
    char *text = bw_server_metrics_text(srv, NULL);
    assert_non_null(text);
    assert_well_formed(text);
    char series[160];
    for (int t = 0; t < 9; t++) {
        const char *name = t == 8 ? "_other" : race_tools[t];
        snprintf(series, sizeof series, "mcp_tool_calls_total{tool=\"%s\",status=\"ok\"}", name);
        assert_true(sample(text, series) == want[t][0]);
        snprintf(series, sizeof series, "mcp_tool_calls_total{tool=\"%s\",status=\"tool_error\"}", name);
        assert_true(sample(text, series) == want[t][1]);
        snprintf(series, sizeof series, "mcp_tool_errors_total{tool=\"%s\",error_type=\"timeout\"}", name);
        assert_true(want[t][1] > 0);
        assert_true(sample(text, series) == want[t][1]);
        snprintf(series, sizeof series, "mcp_tool_call_duration_seconds_count{tool=\"%s\"}", name);
        assert_true(sample(text, series) == want[t][0] + want[t][1]);
        /* exactly one series per name: the first match is the only one */
        snprintf(series, sizeof series, "mcp_tool_calls_total{tool=\"%s\",status=\"ok\"} ", name);
        const char *first = strstr(text, series);
        assert_non_null(first);
        assert_null(strstr(first + 1, series));
    }
    assert_true(sample(text, "mcp_requests_total{method=\"tools/call\",status=\"ok\"}") ==
                RACE_THREADS * RACE_CALLS * 3 / 4);
    free(text);
    bw_server_free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_buckets_inclusive),
        cmocka_unit_test(test_hist_quantiles),
        cmocka_unit_test(test_hist_bounds_validation),
        cmocka_unit_test(test_text_escaping),
        cmocka_unit_test(test_text_histogram),
        cmocka_unit_test(test_server_exposition),
        cmocka_unit_test(test_max_tools_and_options),
        cmocka_unit_test(test_auth_and_module_counters),
        cmocka_unit_test(test_concurrent_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
