/* Shared by the policy layer's unit tests (test_policy*.c): a real bw_server with scripted C tools that count their
 * calls, fail the first N times (with a failure kind or as a plain isError), sleep, or fail while a switch is on,
 * and an in-process client (tests/unit/support/harness.h) that can also send without waiting.
 * Header-only (static functions) because each test_*.c is its own program; include after <cmocka.h>. */
#ifndef BW_TEST_POLICY_FIXTURE_H
#define BW_TEST_POLICY_FIXTURE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulwark/bulwark.h"
#include "bulwark/policy.h"
#include "../support/harness.h"

typedef struct script {
    atomic_int calls;
    int fail_first;       /* calls 1..fail_first fail */
    atomic_bool failing;  /* while set, every call fails */
    bw_failure kind;      /* the failure kind a failing call reports (NONE: a plain isError) */
    int sleep_ms;         /* every call first sleeps this long (cancellable, bounded by its deadline) */
    int sleep_first_ms;   /* only the first call sleeps this long */
    const char *answer;   /* a successful call answers "<answer> <call number>" ["ok"] */
} script;

/* The scripted tool: see struct script. An interrupted sleep is a timeout, as a provider would report it. */
static inline bw_status scripted(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    script *s = user;
    int n = atomic_fetch_add(&s->calls, 1) + 1;
    int sleep_ms = n == 1 && s->sleep_first_ms ? s->sleep_first_ms : s->sleep_ms;
    if (sleep_ms && bw_call_sleep(call, sleep_ms) != BW_OK) {
        bw_call_set_failure(call, BW_FAILURE_TIMEOUT);
        bw_call_set_error(call, "interrupted %d", n);
        return BW_E_TIMEOUT;
    }
    if (n <= s->fail_first || atomic_load(&s->failing)) {
        if (s->kind != BW_FAILURE_NONE)
            bw_call_set_failure(call, s->kind);
        bw_call_set_error(call, "boom %d", n);
        return BW_E_TOOL;
    }
    char text[64];
    snprintf(text, sizeof text, "%s %d", s->answer ? s->answer : "ok", n);
    return bw_result_add_text(bw_call_result(call), text);
}

typedef struct tool_opts {
    const bw_tool_policy *policy; /* NULL: the server's default */
    const char *dependency;
    bool read_only;
    unsigned flags;
} tool_opts;

/* Registers the scripted tool `name` (arguments: any object). */
static inline void add_scripted(bw_server *srv, const char *name, script *s, tool_opts o)
{
    json_t *ann = o.read_only ? json_pack("{s:b}", "readOnlyHint", 1) : NULL;
    bw_tool_def def = {.name = name,
                       .handler = scripted,
                       .user = s,
                       .annotations = ann,
                       .policy = o.policy,
                       .dependency = o.dependency,
                       .flags = o.flags};
    char err[300] = "";
    bw_status st = bw_server_add_tool(srv, &def, err, sizeof err);
    json_decref(ann);
    if (st != BW_OK)
        fail_msg("add_tool %s: %s", name, err);
}

/* Sends tools/call without waiting; returns the request id. meta (stolen, may be NULL) becomes params._meta. */
static inline int send_call(harness *h, const char *name, json_t *args, json_t *meta)
{
    int id = ++h->next_id;
    json_t *params = json_pack("{s:s,s:o}", "name", name, "arguments", args ? args : json_object());
    if (meta)
        json_object_set_new(params, "_meta", meta);
    json_t *req = json_pack("{s:s,s:i,s:s,s:o}", "jsonrpc", "2.0", "id", id, "method", "tools/call", "params", params);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    bw_session_receive(h->session, text, strlen(text));
    free(text);
    return id;
}

/* Waits for the response to request id (whole message, caller owns); NULL after HARNESS_WAIT_MS. */
static inline json_t *await_id(harness *h, int id)
{
    int64_t until = bw_now_ms() + HARNESS_WAIT_MS;
    json_t *found = NULL;
    pthread_mutex_lock(&h->mu);
    while (!found) {
        size_t i;
        json_t *m;
        json_array_foreach(h->responses, i, m) {
            if (json_integer_value(json_object_get(m, "id")) == id) {
                found = json_incref(m);
                json_array_remove(h->responses, i);
                break;
            }
        }
        if (!found && bw_cond_wait_until(&h->cv, &h->mu, until) != 0)
            break;
    }
    pthread_mutex_unlock(&h->mu);
    if (!found)
        fail_msg("no response to request %d", id);
    return found;
}

/* tools/call and wait; returns the response's "result" or "error" member as a new reference (the other one must be
 * absent). */
static inline json_t *call_tool(harness *h, const char *name, json_t *args, json_t *meta)
{
    json_t *resp = await_id(h, send_call(h, name, args, meta));
    json_t *out = json_object_get(resp, "result");
    if (!out)
        out = json_object_get(resp, "error");
    json_incref(out);
    json_decref(resp);
    return out;
}

/* Fails with both texts unless `got` equals the JSON text `want`; releases got. */
static inline void assert_json(json_t *got, const char *want)
{
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    if (!w)
        fail_msg("test JSON does not parse: %s (%s)", want, je.text);
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    bool same = json_equal(got, w);
    json_decref(w);
    json_decref(got);
    if (!same)
        fail_msg("JSON differs\n got: %s\nwant: %s", g ? g : "(null)", want);
    free(g);
}

/* Removes `key` from result._meta (values that vary, such as ages) after checking it is an integer in [lo, hi]. */
static inline void take_meta_int(json_t *result, const char *key, const char *field, json_int_t lo, json_int_t hi)
{
    json_t *meta = json_object_get(result, "_meta");
    json_t *v = field ? json_object_get(json_object_get(meta, key), field) : json_object_get(meta, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        fail_msg("_meta %s%s%s is not an integer in [%lld, %lld]", key, field ? "." : "", field ? field : "",
                 (long long)lo, (long long)hi);
    if (field)
        json_object_del(json_object_get(meta, key), field);
    else
        json_object_del(meta, key);
}

static inline void wait_calls(script *s, int n)
{
    for (int i = 0; i < 500 && atomic_load(&s->calls) < n; i++)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
    assert_true(atomic_load(&s->calls) >= n);
}

/* A server with a running pool and one harness client: the state of each test. */
typedef struct fixture {
    bw_server *srv;
    harness *h;
} fixture;

static inline int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    bw_server_info info = {.name = "policy-test", .version = "1.0.0"};
    f->srv = bw_server_new(&info);
    if (!f->srv)
        return -1;
    *state = f;
    return 0;
}

/* Starts serving: call after registering the tools of the test. */
static inline void fixture_start(fixture *f)
{
    assert_int_equal(bw_server_start_pool(f->srv), BW_OK);
    f->h = harness_new(f->srv);
    assert_non_null(f->h);
}

static inline int fixture_teardown(void **state)
{
    fixture *f = *state;
    harness_free(f->h);
    bw_server_free(f->srv);
    free(f);
    return 0;
}

#endif
