/* Unit tests for src/observability/log*.c: the JSON and text line formats (fields, order, escaping, invalid UTF-8,
 * the 16 KiB cap with a truncation marker), levels and the command line's overrides, the per-server settings
 * (lifecycle levels, per-tool logging table), the lifecycle lines of real calls through a session (arguments and
 * results redacted, only for tools that ask), and the writer: a stalled socket or pipe drops and counts lines within
 * a bounded time instead of blocking. Lines go to a pipe or socket the test reads (bw_log_set_fd). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/bulwark.h"
#include "observability/log.h"
#include "observability/log_cfg.h"
#include "observability/log_line.h"
#include "observability/log_write.h"
#include "../support/harness.h"

/* ---- capturing lines ---- */

static int cap_rd = -1, cap_wr = -1;

/* Log lines go to a fresh non-blocking pipe whose read end the test drains. */
static void capture(void)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    cap_rd = p[0];
    cap_wr = p[1];
    bw_log_set_fd(cap_wr);
}

static void release(void)
{
    bw_log_set_fd(2);
    close(cap_rd);
    close(cap_wr);
    cap_rd = cap_wr = -1;
}

/* Everything written so far (caller frees). */
static char *captured(void)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(cap_rd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* The captured lines as JSON objects (every line must parse). */
static json_t *captured_json(void)
{
    char *text = captured();
    json_t *arr = json_array();
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (!o)
            fail_msg("not a JSON line (%s): %s", e.text, line);
        json_array_append_new(arr, o);
    }
    free(text);
    return arr;
}

static void reset_levels(void)
{
    bw_log_set_format(BW_LOG_FORMAT_JSON);
    bw_log_set_level(BW_LL_INFO);
}

/* ---- formats ---- */

static void test_json_line_fields_and_order(void **state)
{
    (void)state;
    capture();
    reset_levels();
    json_t *extra = json_pack("{s:s,s:i}", "url", "http://127.0.0.1:1/mcp", "n", 3);
    bw_log_fields f = {.request_id = "r-1", .session_id = "s-1", .trace_id = "0af7651916cd43dd8448eb211c80319c",
                       .tool = "echo", .method = "tools/call", .duration_ms = 1.5, .outcome = "ok",
                       .error_type = "timeout", .error = "boom", .extra = extra};
    bw_log_event(BW_LL_WARN, "request_completed", &f);
    json_decref(extra);
    char *text = captured();
    /* ts is RFC 3339 UTC with milliseconds; the fixed fields come in the documented order. */
    const char *rest = strchr(text, ',');
    assert_non_null(rest);
    assert_int_equal(strncmp(text, "{\"ts\":\"", 7), 0);
    assert_int_equal(rest - text, (long)strlen("{\"ts\":\"2026-11-22T10:00:00.123Z\""));
    assert_int_equal(text[7 + 23], 'Z');
    assert_string_equal(rest, ",\"level\":\"warn\",\"msg\":\"request_completed\",\"request_id\":\"r-1\","
                              "\"session_id\":\"s-1\",\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\","
                              "\"method\":\"tools/call\",\"tool\":\"echo\",\"duration_ms\":1.500,\"outcome\":\"ok\","
                              "\"error_type\":\"timeout\",\"error\":\"boom\",\"url\":\"http://127.0.0.1:1/mcp\","
                              "\"n\":3}\n");
    free(text);
    release();
}

static void test_text_line(void **state)
{
    (void)state;
    capture();
    reset_levels();
    bw_log_set_format(BW_LOG_FORMAT_TEXT);
    bw_log_fields f = {.method = "tools/call", .tool = "echo", .duration_ms = 0.4, .outcome = "tool_error",
                       .error = "it said \"no\"\nthen left"};
    bw_log_event(BW_LL_INFO, "request_completed", &f);
    char *text = captured();
    const char *after_ts = strchr(text, ' ');
    assert_non_null(after_ts);
    assert_int_equal(after_ts - text, 24);
    assert_string_equal(after_ts, " INFO request_completed method=tools/call tool=echo duration_ms=0.400 "
                                  "outcome=tool_error error=\"it said \\\"no\\\"\\nthen left\"\n");
    free(text);
    reset_levels();
    release();
}

static void test_escaping_and_invalid_utf8(void **state)
{
    (void)state;
    capture();
    reset_levels();
    bw_log_msg(BW_LL_ERROR, "a\nb\x01 \"q\" \\ caf\xc3\xa9 bad:\xff\xfe end");
    json_t *lines = captured_json();
    assert_int_equal(json_array_size(lines), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "msg")),
                        "a\nb\x01 \"q\" \\ caf\xc3\xa9 bad:\xef\xbf\xbd\xef\xbf\xbd end");
    json_decref(lines);
    /* Text format: a message can never start a second line. */
    bw_log_set_format(BW_LOG_FORMAT_TEXT);
    bw_log_msg(BW_LL_ERROR, "line one\nline two");
    char *text = captured();
    assert_non_null(strstr(text, " ERROR line one\\nline two\n"));
    assert_int_equal(strchr(text, '\n') - text, (long)strlen(text) - 1);
    free(text);
    reset_levels();
    release();
}

static void test_line_cap_keeps_json_valid(void **state)
{
    (void)state;
    capture();
    reset_levels();
    char *big = malloc(100000);
    memset(big, 'x', 99999);
    big[99999] = '\0';
    json_t *extra = json_pack("{s:{s:s},s:s}", "arguments", "text", big, "after", "dropped for lack of room");
    bw_log_fields f = {.tool = "t", .error = big, .extra = extra};
    bw_log_event(BW_LL_ERROR, "big", &f);
    json_decref(extra);
    char *text = captured();
    assert_true(strlen(text) <= BW_LOG_LINE_MAX);
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    const char *err = json_string_value(json_object_get(o, "error"));
    assert_non_null(err);
    assert_true(strlen(err) > 10000);
    assert_string_equal(err + strlen(err) - strlen(BW_LOG_TRUNCATED), BW_LOG_TRUNCATED);
    assert_null(json_object_get(o, "after")); /* no room left: left out, never half-written */
    json_decref(o);
    free(text);
    /* A JSON value that does not fit becomes a cut string of its serialization. */
    extra = json_pack("{s:{s:s}}", "arguments", "text", big);
    f = (bw_log_fields){.extra = extra};
    bw_log_event(BW_LL_ERROR, "big", &f);
    json_decref(extra);
    text = captured();
    o = json_loads(text, 0, NULL);
    assert_non_null(o);
    const char *args = json_string_value(json_object_get(o, "arguments"));
    assert_non_null(args);
    assert_int_equal(strncmp(args, "{\"text\":\"xxx", 12), 0);
    assert_string_equal(args + strlen(args) - strlen(BW_LOG_TRUNCATED), BW_LOG_TRUNCATED);
    json_decref(o);
    free(text);
    free(big);
    release();
}

/* ---- levels ---- */

static void test_levels_and_off(void **state)
{
    (void)state;
    capture();
    reset_levels();
    assert_int_equal(bw_loglevel_parse("WARNING"), BW_LL_WARN);
    assert_int_equal(bw_loglevel_parse("off"), BW_LL_OFF);
    assert_int_equal(bw_loglevel_parse("verbose"), -1);
    assert_int_equal(bw_loglevel_parse(NULL), -1);
    bw_log_msg(BW_LL_DEBUG, "hidden");
    bw_log_msg(BW_LL_INFO, "shown");
    bw_log_set_level(BW_LL_ERROR);
    bw_log_msg(BW_LL_WARN, "hidden");
    bw_log_msg(BW_LL_ERROR, "shown too");
    bw_log_set_level(BW_LL_OFF);
    bw_log_msg(BW_LL_ERROR, "hidden");
    bw_log_announce("listening on x", "url", "x"); /* off means nothing at all */
    assert_false(bw_log_enabled(BW_LL_OFF));
    bw_log_set_level(BW_LL_ERROR);
    bw_log_announce("listening on http://127.0.0.1:1/mcp", "url", "http://127.0.0.1:1/mcp");
    json_t *lines = captured_json();
    assert_int_equal(json_array_size(lines), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "msg")), "shown");
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 1), "msg")), "shown too");
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 2), "level")), "info");
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 2), "url")), "http://127.0.0.1:1/mcp");
    json_decref(lines);
    reset_levels();
    release();
}

/* Runs last among the level tests: the override pins the level and format for the rest of the process. */
static void test_override_wins_over_configuration(void **state)
{
    (void)state;
    bw_server_info info = {.name = "t", .version = "1"};
    bw_server *srv = bw_server_new(&info);
    char err[200] = "";
    bw_logging_options o = {.level = "debug", .format = BW_LOG_FORMAT_TEXT};
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_OK);
    assert_int_equal(bw_log_get_level(), BW_LL_DEBUG);
    assert_int_equal(bw_log_get_format(), BW_LOG_FORMAT_TEXT);
    bw_log_override(BW_LOG_FORMAT_JSON, BW_LL_WARN);
    o.level = "error";
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_OK);
    assert_int_equal(bw_log_get_level(), BW_LL_WARN);
    assert_int_equal(bw_log_get_format(), BW_LOG_FORMAT_JSON);
    o.level = "loud";
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_E_INVALID_ARG);
    assert_non_null(strstr(err, "loud"));
    bw_server_free(srv);
}

/* ---- per-server settings ---- */

static void test_tool_table(void **state)
{
    (void)state;
    bw_server_info info = {.name = "t", .version = "1"};
    bw_server *srv = bw_server_new(&info);
    assert_null(bw_logsnap_tool(bw_logcfg_snap(srv), "a"));
    assert_int_equal(bw_server_set_tool_logging(srv, "b", true, false), BW_OK);
    assert_int_equal(bw_server_set_tool_logging(srv, "a", false, true), BW_OK);
    assert_int_equal(bw_server_set_tool_logging(srv, "c", true, true), BW_OK);
    const bw_logsnap *s = bw_logcfg_snap(srv);
    assert_int_equal(s->n_tools, 3);
    assert_true(bw_logsnap_tool(s, "b")->arguments);
    assert_false(bw_logsnap_tool(s, "b")->results);
    assert_true(bw_logsnap_tool(s, "a")->results);
    /* Unchanged settings publish nothing. */
    assert_int_equal(bw_server_set_tool_logging(srv, "a", false, true), BW_OK);
    assert_ptr_equal(bw_logcfg_snap(srv), s);
    /* Both false: forgotten. */
    assert_int_equal(bw_server_set_tool_logging(srv, "b", false, false), BW_OK);
    assert_null(bw_logsnap_tool(bw_logcfg_snap(srv), "b"));
    assert_int_equal(bw_server_set_tool_logging(srv, "", true, true), BW_E_INVALID_ARG);
    /* The configuration's replacement: tools not listed stop being logged; a repeated name merges. */
    const char *names[] = {"z", "c", "z"};
    bool args[] = {true, false, false}, results[] = {false, false, true};
    assert_int_equal(bw_logcfg_set_tools(srv, names, args, results, 3), BW_OK);
    s = bw_logcfg_snap(srv);
    assert_int_equal(s->n_tools, 1);
    assert_null(bw_logsnap_tool(s, "a"));
    assert_null(bw_logsnap_tool(s, "c"));
    assert_true(bw_logsnap_tool(s, "z")->arguments && bw_logsnap_tool(s, "z")->results);
    /* The redaction list survives a table change and vice versa. */
    const char *redact[] = {"Customer-Email", NULL};
    char err[200];
    bw_logging_options o = {.redact = redact};
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_OK);
    s = bw_logcfg_snap(srv);
    assert_int_equal(s->n_redact, 1);
    assert_string_equal(s->redact[0], "customeremail");
    assert_non_null(bw_logsnap_tool(s, "z"));
    const char *too_long[] = {"________", NULL};
    o.redact = too_long;
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_E_INVALID_ARG);
    bw_server_free(srv);
}

/* ---- lifecycle lines of real calls ---- */

static bw_status echo_tool(bw_call *call, const json_t *args, void *user)
{
    (void)user;
    const char *fail = json_string_value(json_object_get(args, "fail"));
    if (fail)
        return bw_result_set_error(bw_call_result(call), fail) ? BW_E_NOMEM : BW_E_TOOL;
    json_t *copy = json_deep_copy(args);
    return bw_result_set_structured(bw_call_result(call), copy);
}

static bw_server *lifecycle_server(void)
{
    bw_server_info info = {.name = "t", .version = "1"};
    bw_server *srv = bw_server_new(&info);
    char err[200];
    bw_tool_def a = {.name = "logged", .handler = echo_tool}, b = {.name = "quiet", .handler = echo_tool};
    assert_int_equal(bw_server_add_tool(srv, &a, err, sizeof err), BW_OK);
    assert_int_equal(bw_server_add_tool(srv, &b, err, sizeof err), BW_OK);
    const char *redact[] = {"customer_email", NULL};
    bw_logging_options o = {.level = "debug", .redact = redact};
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_OK);
    assert_int_equal(bw_server_set_tool_logging(srv, "logged", true, true), BW_OK);
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    return srv;
}

/* The captured lines whose msg is `msg` and whose tool is `tool`. */
static json_t *lines_of(const json_t *lines, const char *msg, const char *tool)
{
    json_t *out = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l) {
        const char *t = json_string_value(json_object_get(l, "tool"));
        if (!strcmp(json_string_value(json_object_get(l, "msg")), msg) && !strcmp(t ? t : "", tool))
            json_array_append(out, l);
    }
    return out;
}

static void test_lifecycle_lines(void **state)
{
    (void)state;
    capture();
    bw_server *srv = lifecycle_server();
    harness *h = harness_new(srv);
    const char *secret = "hunter2-very-secret";
    json_decref(harness_call_tool(h, "logged", json_pack("{s:s,s:s,s:s}", "password", secret, "customer_email",
                                                         "a@b.example", "q", "visible")));
    json_decref(harness_call_tool(h, "quiet", json_pack("{s:s}", "q", "not logged")));
    json_decref(harness_call_tool(h, "logged", json_pack("{s:s}", "fail", "no such order")));
    harness_free(h);
    bw_server_free(srv);
    char *text = captured();
    assert_null(strstr(text, secret));
    assert_null(strstr(text, "a@b.example"));
    assert_null(strstr(text, "not logged"));
    free(text);
    release();
    reset_levels();
}

static void test_lifecycle_fields(void **state)
{
    (void)state;
    capture();
    bw_server *srv = lifecycle_server();
    harness *h = harness_new(srv);
    json_decref(harness_call_tool(h, "logged", json_pack("{s:s,s:s}", "api_key", "k-123456789", "q", "visible")));
    json_decref(harness_call_tool(h, "quiet", json_pack("{s:s}", "q", "x")));
    json_decref(harness_call_tool(h, "logged", json_pack("{s:s}", "fail", "no such order")));
    json_decref(harness_call_tool(h, "missing", json_object()));
    harness_free(h);
    bw_server_free(srv);
    char *all = captured();
    assert_null(strstr(all, "k-123456789")); /* nor in the result's text block (the JSON serialized) */
    json_t *lines = json_array();
    char *save = NULL;
    for (char *line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        json_array_append_new(lines, json_loads(line, 0, NULL));
    free(all);
    json_t *started = lines_of(lines, "request_started", "logged");
    json_t *done = lines_of(lines, "request_completed", "logged");
    assert_int_equal(json_array_size(started), 2);
    assert_int_equal(json_array_size(done), 2);
    const json_t *s0 = json_array_get(started, 0), *d0 = json_array_get(done, 0), *d1 = json_array_get(done, 1);
    assert_string_equal(json_string_value(json_object_get(s0, "level")), "debug");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s0, "arguments"), "api_key")), "[REDACTED]");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s0, "arguments"), "q")), "visible");
    assert_string_equal(json_string_value(json_object_get(d0, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(d0, "method")), "tools/call");
    assert_string_equal(json_string_value(json_object_get(d0, "outcome")), "ok");
    assert_string_equal(json_string_value(json_object_get(d0, "request_id")),
                        json_string_value(json_object_get(s0, "request_id")));
    assert_int_equal(strlen(json_string_value(json_object_get(d0, "request_id"))), 32);
    assert_true(json_real_value(json_object_get(d0, "duration_ms")) > 0);
    const json_t *res = json_object_get(json_object_get(d0, "result"), "structuredContent");
    assert_string_equal(json_string_value(json_object_get(res, "api_key")), "[REDACTED]");
    assert_string_equal(json_string_value(json_object_get(d1, "outcome")), "tool_error");
    assert_string_equal(json_string_value(json_object_get(d1, "error_type")), "tool_error");
    assert_string_equal(json_string_value(json_object_get(d1, "error")), "no such order");
    /* The quiet tool: its lines carry no arguments or results. */
    json_t *quiet = lines_of(lines, "request_completed", "quiet");
    assert_int_equal(json_array_size(quiet), 1);
    assert_null(json_object_get(json_array_get(quiet, 0), "arguments"));
    assert_null(json_object_get(json_array_get(quiet, 0), "result"));
    /* A JSON-RPC error: request_failed at warn with the error's code and type. */
    json_t *failed = lines_of(lines, "request_failed", "missing");
    assert_int_equal(json_array_size(failed), 1);
    const json_t *f0 = json_array_get(failed, 0);
    assert_string_equal(json_string_value(json_object_get(f0, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(f0, "outcome")), "error");
    assert_string_equal(json_string_value(json_object_get(f0, "error_type")), "invalid_params");
    assert_string_equal(json_string_value(json_object_get(f0, "error")), "Unknown tool: missing");
    assert_int_equal(json_integer_value(json_object_get(f0, "error_code")), -32602);
    json_decref(quiet);
    json_decref(failed);
    json_decref(started);
    json_decref(done);
    json_decref(lines);
    release();
    reset_levels();
}

static void test_lifecycle_event_levels(void **state)
{
    (void)state;
    capture();
    bw_server *srv = lifecycle_server();
    char err[200];
    bw_logging_options o = {.level = "info", .completed_level = "off", .failed_level = "error",
                            .started_level = "info"};
    assert_int_equal(bw_server_set_logging(srv, &o, err, sizeof err), BW_OK);
    harness *h = harness_new(srv);
    json_decref(harness_call_tool(h, "quiet", json_pack("{s:s}", "q", "x")));
    json_decref(harness_call_tool(h, "missing", json_object()));
    harness_free(h);
    bw_server_free(srv);
    json_t *lines = captured_json();
    json_t *done = lines_of(lines, "request_completed", "quiet");
    json_t *started = lines_of(lines, "request_started", "quiet");
    json_t *failed = lines_of(lines, "request_failed", "missing");
    assert_int_equal(json_array_size(done), 0);
    assert_int_equal(json_array_size(started), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(started, 0), "level")), "info");
    assert_int_equal(json_array_size(failed), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(failed, 0), "level")), "error");
    json_decref(done);
    json_decref(started);
    json_decref(failed);
    json_decref(lines);
    release();
    reset_levels();
}

/* ---- the writer never blocks for long ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills fd's buffer through the logger until lines get dropped; returns how long the whole thing took. */
static int64_t log_until_dropped(int lines)
{
    long before = bw_log_lines_dropped();
    int64_t t0 = mono_ms();
    for (int i = 0; i < lines; i++)
        bw_log_msg(BW_LL_ERROR, "filler line %d %0200d", i, 0);
    assert_true(bw_log_lines_dropped() > before);
    return mono_ms() - t0;
}

static void stalled_reader(int rd, int wr)
{
    reset_levels();
    bw_log_set_fd(wr);
    /* ~64 KiB of room: 2000 lines of ~280 bytes overflow it; the first drop waits 100 ms, the rest none. */
    int64_t took = log_until_dropped(2000);
    assert_true(took < 1500);
    /* Once the reader drains, lines get through again. */
    char buf[65536];
    while (read(rd, buf, sizeof buf) > 0) {
    }
    long dropped = bw_log_lines_dropped();
    bw_log_msg(BW_LL_ERROR, "after the stall");
    assert_int_equal(bw_log_lines_dropped(), dropped);
    ssize_t n = read(rd, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "after the stall"));
    bw_log_set_fd(2);
}

static void test_stalled_socket_drops(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    int small = 32768;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    stalled_reader(sv[1], sv[0]);
    close(sv[0]);
    close(sv[1]);
}

static void test_stalled_pipe_drops(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0); /* blocking, like a shell's pipe */
    fcntl(p[1], F_SETPIPE_SZ, 65536);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    stalled_reader(p[0], p[1]);
    /* The shared descriptor stays blocking: the writer used a private non-blocking one. */
    assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line_fields_and_order),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_escaping_and_invalid_utf8),
        cmocka_unit_test(test_line_cap_keeps_json_valid),
        cmocka_unit_test(test_levels_and_off),
        cmocka_unit_test(test_tool_table),
        cmocka_unit_test(test_lifecycle_lines),
        cmocka_unit_test(test_lifecycle_fields),
        cmocka_unit_test(test_lifecycle_event_levels),
        cmocka_unit_test(test_stalled_socket_drops),
        cmocka_unit_test(test_stalled_pipe_drops),
        cmocka_unit_test(test_override_wins_over_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
