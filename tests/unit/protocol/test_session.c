/* Unit tests for the protocol core as a whole (src/protocol/session.c, dispatch.c, methods_*.c), driven without a
 * transport: a server with one tool and a worker pool, a session whose sink records every message it sends, and
 * raw JSON-RPC text fed through bw_session_receive. Every expectation is the exact bytes of the reply (dumped with
 * sorted keys), and every test ends by checking that nothing else was sent. */
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

#include "core/clock.h"
#include "core/sync.h"
#include "bulwark/bulwark.h"
#include "protocol/server_internal.h"
#include "protocol/session.h"

#define WAIT_MS 10000
#define MAX_MSGS 256

/* ---- the sink: a list of sent messages that the test can wait on ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *msgs[MAX_MSGS];
    char *related[MAX_MSGS]; /* related_id as compact JSON, "-" when NULL */
    size_t n;
    size_t dropped;
} sink_log;

static void sink(void *ctx, const char *raw, size_t len, const json_t *related_id, bw_out_kind kind)
{
    (void)kind;
    sink_log *l = ctx;
    /* Re-encode with sorted keys so the assertions do not depend on member order. */
    json_t *msg = json_loadb(raw, len, 0, NULL);
    char *text = msg ? json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS) : strndup(raw, len);
    json_decref(msg);
    char *rel = related_id ? json_dumps(related_id, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("-");
    pthread_mutex_lock(&l->mu);
    if (l->n < MAX_MSGS) {
        l->msgs[l->n] = text;
        l->related[l->n] = rel;
        l->n++;
    } else {
        l->dropped++;
        free(text);
        free(rel);
    }
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the tool: echo, block on a gate the test opens, or sleep until cancelled ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered;
    bool released;
    atomic_int sleep_done;
    atomic_int sleep_status;
} tool_ctl;

static bw_status tool_fn(bw_call *call, const json_t *args, void *user)
{
    tool_ctl *c = user;
    const char *mode = json_string_value(json_object_get(args, "mode"));
    if (strcmp(mode, "echo") == 0)
        return bw_result_add_text(bw_call_result(call), json_string_value(json_object_get(args, "text")));
    pthread_mutex_lock(&c->mu);
    c->entered++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (strcmp(mode, "block") == 0) {
        int64_t until = bw_clock_ms() + WAIT_MS;
        pthread_mutex_lock(&c->mu);
        while (!c->released)
            if (bw_cond_wait_until(&c->cv, &c->mu, until) != 0)
                break;
        pthread_mutex_unlock(&c->mu);
        return bw_result_add_text(bw_call_result(call), "released");
    }
    /* sleep */
    bw_status st = bw_call_sleep(call, 30000);
    atomic_store(&c->sleep_status, (int)st);
    atomic_store(&c->sleep_done, 1);
    if (st != BW_OK)
        return st;
    return bw_result_add_text(bw_call_result(call), "slept");
}

/* A BW_TOOL_NONBLOCKING tool: reports whether it ran on the thread that fed the message (the transport's reader)
 * and what bw_call_sleep and bw_call_client_request answered there. */
static pthread_t reader_thread;

static bw_status nonblocking_fn(bw_call *call, const json_t *args, void *user)
{
    (void)args;
    (void)user;
    json_t *res = NULL;
    bw_status sleep_st = bw_call_sleep(call, 10);
    bw_status ask_st = bw_call_sample(call, "k", json_object(), 10, &res);
    char text[64];
    snprintf(text, sizeof text, "inline=%d sleep=%d ask=%d", pthread_equal(pthread_self(), reader_thread) != 0,
             (int)sleep_st, (int)ask_st);
    return bw_result_add_text(bw_call_result(call), text);
}

/* ---- fixture ---- */

typedef struct {
    bw_server *srv;
    tool_ctl ctl;
    sink_log logs[4];
    bw_session *sessions[4];
    size_t seen[4]; /* messages of each session already checked */
    int nsessions;
    bool finished;
} fixture;

static fixture *F;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    pthread_mutex_init(&f->ctl.mu, NULL);
    bw_cond_init_monotonic(&f->ctl.cv);
    for (int i = 0; i < 4; i++) {
        pthread_mutex_init(&f->logs[i].mu, NULL);
        bw_cond_init_monotonic(&f->logs[i].cv);
    }
    bw_server_info info = {.name = "unit", .version = "1.0.0", .title = "Unit Server", .description = "for tests"};
    f->srv = bw_server_new(&info);
    if (!f->srv)
        return -1;
    if (bw_server_set_limits(f->srv, &(bw_limits){.workers = 2}) != BW_OK)
        return -1;
    json_t *schema = json_loads("{\"type\":\"object\",\"properties\":{\"mode\":{\"enum\":[\"echo\",\"block\","
                                "\"sleep\"]},\"text\":{\"type\":\"string\"}},\"required\":[\"mode\"]}",
                                0, NULL);
    bw_tool_def def = {.name = "t", .description = "test tool", .input_schema = schema, .handler = tool_fn,
                       .user = &f->ctl};
    char err[256] = "";
    bw_status st = bw_server_add_tool(f->srv, &def, err, sizeof err);
    json_decref(schema);
    if (st != BW_OK) {
        fprintf(stderr, "add_tool: %s\n", err);
        return -1;
    }
    bw_tool_def nb = {.name = "nb", .description = "non-blocking", .handler = nonblocking_fn,
                      .flags = BW_TOOL_NONBLOCKING};
    if (bw_server_add_tool(f->srv, &nb, err, sizeof err) != BW_OK)
        return -1;
    reader_thread = pthread_self();
    if (bw_server_start_pool(f->srv) != BW_OK)
        return -1;
    F = f;
    *state = f;
    return 0;
}

static bw_session *open_session(fixture *f)
{
    assert_true(f->nsessions < 4);
    int i = f->nsessions++;
    f->sessions[i] = bw_session_new(f->srv, sink, &f->logs[i]);
    assert_non_null(f->sessions[i]);
    return f->sessions[i];
}

static int index_of(fixture *f, bw_session *s)
{
    for (int i = 0; i < f->nsessions; i++)
        if (f->sessions[i] == s)
            return i;
    fail_msg("unknown session");
    return -1;
}

static void release_blocked(fixture *f)
{
    pthread_mutex_lock(&f->ctl.mu);
    f->ctl.released = true;
    pthread_cond_broadcast(&f->ctl.cv);
    pthread_mutex_unlock(&f->ctl.mu);
}

/* Ends the sessions and the server; every session must go idle in time. */
static void shut_down(fixture *f, bool check)
{
    release_blocked(f);
    for (int i = 0; i < f->nsessions; i++) {
        if (!check)
            bw_session_cancel_all(f->sessions[i], "test failed");
        bool idle = bw_session_wait_idle(f->sessions[i], bw_now_ms() + WAIT_MS);
        if (check)
            assert_true(idle);
        bw_session_unref(f->sessions[i]);
    }
    f->nsessions = 0;
    bw_server_free(f->srv); /* joins the workers: nothing can reach the sinks after this */
    f->srv = NULL;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->srv)
        shut_down(f, false);
    for (int i = 0; i < 4; i++) {
        for (size_t k = 0; k < f->logs[i].n; k++) {
            free(f->logs[i].msgs[k]);
            free(f->logs[i].related[k]);
        }
        pthread_mutex_destroy(&f->logs[i].mu);
        pthread_cond_destroy(&f->logs[i].cv);
    }
    pthread_mutex_destroy(&f->ctl.mu);
    pthread_cond_destroy(&f->ctl.cv);
    free(f);
    F = NULL;
    return 0;
}

/* Shuts down and checks that no session sent anything the test did not expect (e.g. a cancelled call's reply). */
static void finish(fixture *f)
{
    int n = f->nsessions;
    shut_down(f, true);
    for (int i = 0; i < n; i++) {
        sink_log *l = &f->logs[i];
        assert_int_equal(l->dropped, 0);
        if (l->n != f->seen[i])
            fail_msg("session %d sent %zu unexpected message(s), first: %s", i, l->n - f->seen[i],
                     l->msgs[f->seen[i]]);
    }
}

/* ---- driving and expecting ---- */

static void send_text(bw_session *s, const char *text)
{
    bw_session_receive(s, text, strlen(text));
}

/* The next message the session sent (waits for it); *related gets its related id. Borrowed. */
static const char *next_msg(bw_session *s, const char **related)
{
    int i = index_of(F, s);
    sink_log *l = &F->logs[i];
    int64_t until = bw_clock_ms() + WAIT_MS;
    pthread_mutex_lock(&l->mu);
    while (l->n <= F->seen[i])
        if (bw_cond_wait_until(&l->cv, &l->mu, until) != 0)
            break;
    const char *m = NULL;
    if (l->n > F->seen[i]) {
        m = l->msgs[F->seen[i]];
        if (related)
            *related = l->related[F->seen[i]];
        F->seen[i]++;
    }
    pthread_mutex_unlock(&l->mu);
    if (!m)
        fail_msg("no message within %d ms", WAIT_MS);
    return m;
}

static void expect_msg(bw_session *s, const char *want)
{
    const char *got = next_msg(s, NULL);
    if (strcmp(got, want) != 0)
        fail_msg("\n got  %s\n want %s", got, want);
}

/* Sends text and expects exactly `want` as the next message. */
static void exchange(bw_session *s, const char *text, const char *want)
{
    send_text(s, text);
    expect_msg(s, want);
}

/* Nothing was sent beyond what the test consumed (checked now). */
static void expect_quiet(bw_session *s)
{
    int i = index_of(F, s);
    sink_log *l = &F->logs[i];
    pthread_mutex_lock(&l->mu);
    size_t n = l->n;
    pthread_mutex_unlock(&l->mu);
    if (n != F->seen[i])
        fail_msg("unexpected message: %s", l->msgs[F->seen[i]]);
}

static bool wait_entered(fixture *f, int n)
{
    int64_t until = bw_clock_ms() + WAIT_MS;
    pthread_mutex_lock(&f->ctl.mu);
    while (f->ctl.entered < n)
        if (bw_cond_wait_until(&f->ctl.cv, &f->ctl.mu, until) != 0)
            break;
    bool ok = f->ctl.entered >= n;
    pthread_mutex_unlock(&f->ctl.mu);
    return ok;
}

#define INIT_REQ(ver)                                                                                               \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" ver                 \
    "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"unit-client\",\"version\":\"0.0.1\"}}}"
#define CAPS "\"capabilities\":{\"logging\":{},\"tools\":{\"listChanged\":true}}"
#define INFO_OLD "\"serverInfo\":{\"name\":\"unit\",\"version\":\"1.0.0\"}"
#define INFO_TITLE "\"serverInfo\":{\"name\":\"unit\",\"title\":\"Unit Server\",\"version\":\"1.0.0\"}"
#define INFO_NEW                                                                                                    \
    "\"serverInfo\":{\"description\":\"for tests\",\"name\":\"unit\",\"title\":\"Unit Server\",\"version\":\"1.0.0\"}"
#define INIT_OK(ver, info)                                                                                          \
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{" CAPS ",\"protocolVersion\":\"" ver "\"," info "}}"
#define INITIALIZED "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"

#define ERR(id, code, msg) "{\"error\":{\"code\":" #code ",\"message\":\"" msg "\"},\"id\":" id ",\"jsonrpc\":\"2.0\"}"
#define OK(id, result) "{\"id\":" id ",\"jsonrpc\":\"2.0\",\"result\":" result "}"
#define TEXT(t) "{\"content\":[{\"text\":\"" t "\",\"type\":\"text\"}]}"
#define CALL(id, args)                                                                                              \
    "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":" args "}}"

/* A session initialized at revision ver (initialize + notifications/initialized). */
static bw_session *ready_session(fixture *f, const char *init_req, const char *init_ok)
{
    bw_session *s = open_session(f);
    exchange(s, init_req, init_ok);
    send_text(s, INITIALIZED);
    expect_quiet(s);
    return s;
}

/* ---- tests ---- */

typedef struct {
    const char *request;
    const char *response;
    bw_revision rev;
} init_row;

static void test_initialize_negotiation(void **state)
{
    fixture *f = *state;
    static const init_row rows[] = {
        {INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE), BW_REV_2025_06_18},
        {INIT_REQ("2024-11-05"), INIT_OK("2024-11-05", INFO_OLD), BW_REV_2024_11_05},
        {INIT_REQ("2025-11-25"), INIT_OK("2025-11-25", INFO_NEW), BW_REV_2025_11_25},
        /* an unknown revision gets our newest */
        {INIT_REQ("1999-01-01"), INIT_OK("2025-11-25", INFO_NEW), BW_REV_2025_11_25},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bw_session *s = open_session(f);
        assert_int_equal(bw_session_revision(s), BW_REV_UNKNOWN);
        const char *related = NULL;
        send_text(s, rows[i].request);
        const char *got = next_msg(s, &related);
        if (strcmp(got, rows[i].response) != 0)
            fail_msg("row %zu:\n got  %s\n want %s", i, got, rows[i].response);
        assert_string_equal(related, "1");
        assert_int_equal(bw_session_revision(s), rows[i].rev);
        send_text(s, INITIALIZED); /* notifications are never answered */
        expect_quiet(s);
    }
    /* the client's declarations were kept */
    assert_string_equal(json_string_value(json_object_get(bw_session_client_info(f->sessions[0]), "name")),
                        "unit-client");
    finish(f);
}

static void test_initialize_needs_version(void **state)
{
    fixture *f = *state;
    bw_session *s = open_session(f);
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}",
             ERR("1", -32602, "Invalid params: initialize needs \\\"protocolVersion\\\""));
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":20250618}}",
             ERR("1", -32602, "Invalid params: initialize needs \\\"protocolVersion\\\""));
    /* the failed attempts did not initialize the session */
    exchange(s, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    finish(f);
}

static void test_lifecycle_gate(void **state)
{
    fixture *f = *state;
    bw_session *s = open_session(f);
    static const char *const not_yet[][2] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
         ERR("2", -32600, "Invalid Request: the session is not initialized; send initialize first")},
        {CALL("3", "{\"mode\":\"echo\",\"text\":\"x\"}"),
         ERR("3", -32600, "Invalid Request: the session is not initialized; send initialize first")},
        {"{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}",
         ERR("\"s\"", -32600, "Invalid Request: the session is not initialized; send initialize first")},
        /* ping is allowed before initialize */
        {"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}", OK("4", "{}")},
    };
    for (size_t i = 0; i < sizeof not_yet / sizeof not_yet[0]; i++)
        exchange(s, not_yet[i][0], not_yet[i][1]);
    exchange(s, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    /* a second initialize is refused and changes nothing */
    exchange(s, INIT_REQ("2024-11-05"), ERR("1", -32600, "Invalid Request: the session is already initialized"));
    assert_int_equal(bw_session_revision(s), BW_REV_2025_06_18);
    exchange(s,
             "{\"jsonrpc\":\"2.0\",\"id\":\"again\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
             "\"2025-06-18\"}}",
             ERR("\"again\"", -32600, "Invalid Request: the session is already initialized"));
    send_text(s, INITIALIZED);
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}",
             OK("5", "{\"tools\":[{\"description\":\"test tool\",\"inputSchema\":{\"properties\":{\"mode\":{\"enum\":["
                     "\"echo\",\"block\",\"sleep\"]},\"text\":{\"type\":\"string\"}},\"required\":[\"mode\"],\"type\":"
                     "\"object\"},\"name\":\"t\"},{\"description\":\"non-blocking\",\"inputSchema\":{\"type\":\"object\"},\"name\":\"nb\"}]}"));
    finish(f);
}

static void test_basic_errors(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    static const char *const rows[][2] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}", OK("2", "{}")},
        {"{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"method\":\"ping\",\"params\":{}}", OK("\"2\"", "{}")},
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"foo/bar\"}", ERR("3", -32601, "Method not found: foo/bar")},
        /* capabilities the server does not offer */
        {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"prompts/list\"}",
         ERR("3", -32601, "Method not found: prompts/list (capability \\\"prompts\\\" is not offered)")},
        {"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"params\":[]}",
         ERR("4", -32602, "Invalid params: \\\"params\\\" must be an object")},
        {"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":[\"t\"]}",
         ERR("4", -32602, "Invalid params: \\\"params\\\" must be an object")},
        {"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":\"x\"}",
         ERR("4", -32602, "Invalid params: \\\"params\\\" must be an object")},
        {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}",
         ERR("5", -32602, "Unknown tool: nope")},
        {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{}}",
         ERR("5", -32602, "Invalid params: tools/call needs a string \\\"name\\\"")},
        {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":[1]}}",
         ERR("5", -32602, "Invalid params: \\\"arguments\\\" must be an object")},
        {"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}",
         ERR("6", -32602, "Invalid params: \\\"level\\\" must be one of debug, info, notice, warning, error, critical, "
                          "alert, emergency")},
        {"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"logging/setLevel\",\"params\":{\"level\":3}}",
         ERR("6", -32602, "Invalid params: \\\"level\\\" must be one of debug, info, notice, warning, error, critical, "
                          "alert, emergency")},
        {"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"WARNING\"}}",
         ERR("6", -32602, "Invalid params: \\\"level\\\" must be one of debug, info, notice, warning, error, critical, "
                          "alert, emergency")},
        {"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"logging/setLevel\"}",
         ERR("6", -32602, "Invalid params: \\\"level\\\" must be one of debug, info, notice, warning, error, critical, "
                          "alert, emergency")},
        /* malformed messages: id null when it could not be read, the id when it could */
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"", NULL},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"p\xffng\"}", NULL},
        {"{\"jsonrpc\":\"1.0\",\"id\":8,\"method\":\"ping\"}",
         ERR("8", -32600, "Invalid Request: \\\"jsonrpc\\\" must be \\\"2.0\\\"")},
        {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
         ERR("null", -32600, "Invalid Request: \\\"id\\\" must be a string or an integer")},
        {"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":5}",
         ERR("9", -32600, "Invalid Request: \\\"method\\\" must be a string")},
        {"\"ping\"", ERR("null", -32600, "Invalid Request: a message must be a JSON object")},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *related = NULL;
        send_text(s, rows[i][0]);
        const char *got = next_msg(s, &related);
        if (rows[i][1]) {
            if (strcmp(got, rows[i][1]) != 0)
                fail_msg("%s:\n got  %s\n want %s", rows[i][0], got, rows[i][1]);
            continue;
        }
        /* parse errors: the message names jansson's reason, so check the fixed parts */
        static const char prefix[] = "{\"error\":{\"code\":-32700,\"message\":\"Parse error: ";
        static const char suffix[] = "\"},\"id\":null,\"jsonrpc\":\"2.0\"}";
        size_t n = strlen(got);
        if (strncmp(got, prefix, strlen(prefix)) != 0 || n < strlen(suffix) ||
            strcmp(got + n - strlen(suffix), suffix) != 0)
            fail_msg("%s:\n got  %s\n want a -32700 parse error with id null", rows[i][0], got);
        assert_string_equal(related, "-");
    }
    /* the session survived all of it */
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}", OK("10", "{}"));
    finish(f);
}

static void test_depth_limit(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    /* params nesting 64 levels deep in total passes; 65 is refused before parsing */
    char msg[1024];
    for (int total = 64; total <= 65; total++) {
        int inner = total - 2; /* the message object and params */
        size_t n = (size_t)snprintf(msg, sizeof msg,
                                    "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\",\"params\":{\"x\":", total);
        for (int k = 0; k < inner; k++)
            msg[n++] = '[';
        for (int k = 0; k < inner; k++)
            msg[n++] = ']';
        msg[n++] = '}';
        msg[n++] = '}';
        msg[n] = '\0';
        send_text(s, msg);
        if (total == 64)
            expect_msg(s, OK("64", "{}"));
        else
            expect_msg(s, ERR("null", -32600, "message nests deeper than the limit of 64 levels"));
    }
    finish(f);
}

static void test_tools_call(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    const char *related = NULL;
    send_text(s, CALL("5", "{\"mode\":\"echo\",\"text\":\"hello\"}"));
    const char *got = next_msg(s, &related);
    assert_string_equal(got, OK("5", TEXT("hello")));
    assert_string_equal(related, "5");
    exchange(s, CALL("\"five\"", "{\"mode\":\"echo\",\"text\":\"h\\u00e9\"}"), OK("\"five\"", TEXT("h\xc3\xa9")));
    /* arguments failing the input schema are a tool error the model can see; the reason comes from the schema
     * module, so only the fixed parts are checked */
    static const char *const bad_args[][2] = {
        {CALL("6", "{\"mode\":\"shout\"}"), "{\"id\":6,"},
        {CALL("7", "{}"), "{\"id\":7,"},
        {"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"t\"}}", "{\"id\":8,"},
    };
    static const char head[] =
        "\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"text\":\"Invalid arguments for tool t: ";
    static const char tail[] = "\",\"type\":\"text\"}],\"isError\":true}}";
    for (size_t i = 0; i < sizeof bad_args / sizeof bad_args[0]; i++) {
        send_text(s, bad_args[i][0]);
        got = next_msg(s, NULL);
        size_t id_len = strlen(bad_args[i][1]), n = strlen(got);
        if (strncmp(got, bad_args[i][1], id_len) != 0 || strncmp(got + id_len, head, strlen(head)) != 0 ||
            n < strlen(tail) || strcmp(got + n - strlen(tail), tail) != 0)
            fail_msg("%s:\n got %s\n want a tool result with isError:true", bad_args[i][0], got);
    }
    assert_int_equal(f->ctl.entered, 0); /* the handler never ran for invalid arguments */
    finish(f);
}

/* A non-blocking tool runs on the reading thread, where waiting is refused instead of stalling the session. */
static void test_nonblocking_tool_runs_inline(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"nb\"}}",
             OK("3", TEXT("inline=1 sleep=1 ask=1")));
    finish(f);
}

static void test_duplicate_id_in_flight(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    send_text(s, CALL("10", "{\"mode\":\"block\"}"));
    assert_true(wait_entered(f, 1));
    /* the same id while the first is running: refused at once, on the worker path and the inline path */
    const char *related = NULL;
    send_text(s, CALL("10", "{\"mode\":\"echo\",\"text\":\"dup\"}"));
    assert_string_equal(next_msg(s, &related),
                        ERR("10", -32600, "Invalid Request: a request with this id is already in flight"));
    assert_string_equal(related, "10");
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}",
             ERR("10", -32600, "Invalid Request: a request with this id is already in flight"));
    /* "10" is another id than 10 */
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":\"10\",\"method\":\"ping\"}", OK("\"10\"", "{}"));
    /* other work still flows while the first call is blocked */
    exchange(s, CALL("11", "{\"mode\":\"echo\",\"text\":\"meanwhile\"}"), OK("11", TEXT("meanwhile")));
    expect_quiet(s);
    release_blocked(f);
    expect_msg(s, OK("10", TEXT("released")));
    assert_true(bw_session_wait_idle(s, bw_now_ms() + WAIT_MS));
    /* once answered, the id may be used again */
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}", OK("10", "{}"));
    finish(f);
}

static void test_cancelled_call_never_answered(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    send_text(s, CALL("20", "{\"mode\":\"sleep\"}"));
    assert_true(wait_entered(f, 1));
    /* a cancellation for another id (same digits, other type) leaves it running */
    send_text(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"20\"}}");
    send_text(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":21}}");
    sleep_ms(50);
    assert_int_equal(atomic_load(&f->ctl.sleep_done), 0);
    expect_quiet(s);
    send_text(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":20,"
                 "\"reason\":\"user gave up\"}}");
    assert_true(bw_session_wait_idle(s, bw_now_ms() + WAIT_MS));
    assert_int_equal(atomic_load(&f->ctl.sleep_done), 1);
    assert_int_equal(atomic_load(&f->ctl.sleep_status), BW_E_CANCELLED);
    /* the next message is the answer to the next request: nothing for id 20 came in between */
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"ping\"}", OK("21", "{}"));
    /* and the id is free again */
    exchange(s, CALL("20", "{\"mode\":\"echo\",\"text\":\"second life\"}"), OK("20", TEXT("second life")));
    finish(f); /* after the workers are joined: still nothing for the cancelled call */
}

static void test_batch_in_2025_03_26(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-03-26"), INIT_OK("2025-03-26", INFO_OLD));
    /* inline elements answer in order; the worker element is last so the order is fixed */
    exchange(s,
             "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
             "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"},"
             "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":5},"
             "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}},"
             CALL("2", "{\"mode\":\"echo\",\"text\":\"b\"}") "]",
             "[" OK("1", "{}") "," ERR("3", -32601, "Method not found: nope") ","
             ERR("4", -32600, "Invalid Request: \\\"method\\\" must be a string") ","
             ERR("5", -32600, "Invalid Request: initialize must not be part of a JSON-RPC batch") ","
             OK("2", TEXT("b")) "]");
    /* a batch of notifications only gets no reply at all */
    send_text(s, "[" INITIALIZED "," INITIALIZED "]");
    expect_quiet(s);
    exchange(s, "[]", ERR("null", -32600, "Invalid Request: empty batch"));
    exchange(s, "[1]", "[" ERR("null", -32600, "Invalid Request: a message must be a JSON object") "]");
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}", OK("9", "{}"));
    finish(f);
}

static void test_batch_refused_elsewhere(void **state)
{
    fixture *f = *state;
    bw_session *pre = open_session(f);
    exchange(pre, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
             ERR("null", -32600,
                 "Invalid Request: JSON-RPC batches are not supported in protocol revision (none negotiated)"));
    static const char *const revs[][2] = {
        {INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE)},
        {INIT_REQ("2024-11-05"), INIT_OK("2024-11-05", INFO_OLD)},
        {INIT_REQ("2025-11-25"), INIT_OK("2025-11-25", INFO_NEW)},
    };
    static const char *const want[] = {
        ERR("null", -32600, "Invalid Request: JSON-RPC batches are not supported in protocol revision 2025-06-18"),
        ERR("null", -32600, "Invalid Request: JSON-RPC batches are not supported in protocol revision 2024-11-05"),
        ERR("null", -32600, "Invalid Request: JSON-RPC batches are not supported in protocol revision 2025-11-25"),
    };
    for (size_t i = 0; i < 3; i++) {
        bw_session *s = ready_session(f, revs[i][0], revs[i][1]);
        /* one error for the whole batch, and none of its elements ran */
        exchange(s,
                 "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}," CALL("2", "{\"mode\":\"block\"}") "]",
                 want[i]);
        expect_quiet(s);
    }
    assert_int_equal(f->ctl.entered, 0);
    finish(f);
}

static void test_set_level(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    assert_int_equal(atomic_load(&s->log_level), BW_LOG_DEBUG);
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"warning", BW_LOG_WARNING}, {"emergency", BW_LOG_EMERGENCY}, {"debug", BW_LOG_DEBUG},
                  {"error", BW_LOG_ERROR}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        char req[200];
        snprintf(req, sizeof req,
                 "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"%s\"}}", i,
                 levels[i].name);
        char want[100];
        snprintf(want, sizeof want, "{\"id\":%zu,\"jsonrpc\":\"2.0\",\"result\":{}}", i);
        exchange(s, req, want);
        assert_int_equal(atomic_load(&s->log_level), levels[i].level);
    }
    /* a bad level leaves the level alone */
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"verbose\"}}",
             ERR("9", -32602, "Invalid params: \\\"level\\\" must be one of debug, info, notice, warning, error, "
                              "critical, alert, emergency"));
    assert_int_equal(atomic_load(&s->log_level), BW_LOG_ERROR);
    finish(f);
}

static void test_responses_from_client_are_not_answered(void **state)
{
    fixture *f = *state;
    bw_session *s = ready_session(f, INIT_REQ("2025-06-18"), INIT_OK("2025-06-18", INFO_TITLE));
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":{}}");
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{}}");
    send_text(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad\"}}");
    send_text(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/unknown\",\"params\":[1]}");
    expect_quiet(s);
    exchange(s, "{\"jsonrpc\":\"2.0\",\"id\":78,\"method\":\"ping\"}", OK("78", "{}"));
    finish(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initialize_needs_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basic_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tools_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_tool_runs_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_id_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_call_never_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_in_2025_03_26, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_refused_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_responses_from_client_are_not_answered, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
