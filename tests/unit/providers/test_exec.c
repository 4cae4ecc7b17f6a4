/* Unit tests for the exec provider (src/providers/exec*.c) with real child programs: argv stays argv (no shell),
 * the environment is an allowlist, stdin, output caps, exit/signal mapping, timeouts and cancellation that kill
 * the whole process tree, and no zombie left behind. Fixture scripts: tests/fixtures/exec/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/harness.h"
#include "../support/provider_tool.h"
#include "failure_probe.h"
#include "config/build.h"
#include "config/diag.h"
#include "providers/exec.h"

static char fixtures[4096]; /* tests/fixtures/exec, found from this file's path */

typedef struct fixture {
    bw_server *srv;
    bw_diag *diag;
    bw_build *b;
    harness *h;
    char tmp[64]; /* a private temporary directory */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->srv = bw_server_new(&(bw_server_info){.name = "t", .version = "1"});
    f->diag = bw_diag_new();
    f->b = bw_build_new(f->srv, f->diag, BW_BUILD_CHECK, "test.yaml", fixtures, NULL, NULL);
    snprintf(f->tmp, sizeof f->tmp, "/tmp/bw-exec-test-XXXXXX");
    assert_non_null(mkdtemp(f->tmp));
    *state = f;
    return 0;
}

/* No child of this process may be left: every run reaps what it spawned. */
static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static int teardown(void **state)
{
    fixture *f = *state;
    harness_free(f->h);
    bw_server_free(f->srv);
    bw_build_free(f->b);
    bw_diag_free(f->diag);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->tmp);
    assert_int_equal(system(cmd), 0);
    free(f);
    probe_reset();
    assert_no_children();
    return 0;
}

/* Builds and registers a tool from a JSON entry in which "%FIX%" stands for the fixtures directory (under a probe:
 * probe_failure(name) is the failure kind its last call reported). */
static bw_status build_tool(fixture *f, const char *entry_fmt)
{
    return probe_build_tool(f->b, f->srv, bw_exec_tool_build, "exec", entry_fmt, "%FIX%", fixtures);
}

static void start(fixture *f, int request_timeout_ms)
{
    bw_limits lim = {.workers = 2, .request_timeout_ms = request_timeout_ms};
    assert_int_equal(bw_server_set_limits(f->srv, &lim), BW_OK);
    assert_int_equal(bw_server_start_pool(f->srv), BW_OK);
    f->h = harness_new(f->srv);
}

static json_t *call_json(fixture *f, const char *name, json_t *args)
{
    json_t *resp = harness_call_tool(f->h, name, args);
    assert_non_null(resp);
    json_t *result = json_incref(json_object_get(resp, "result"));
    if (!result)
        fail_msg("no result: %s", json_dumps(resp, JSON_COMPACT));
    json_decref(resp);
    return result;
}

static json_t *call(fixture *f, const char *name, const char *args)
{
    return call_json(f, name, support_parse(args));
}

static const char *text_of(const json_t *result)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
}

static bool is_error(const json_t *result)
{
    return json_is_true(json_object_get(result, "isError"));
}

static void assert_json_eq(const json_t *v, const char *want)
{
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!got || strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got ? got : "(null)", want);
    free(got);
}

/* Gone: no such process, or a zombie that is not ours (reparented to init, which reaps it in its own time). */
static bool process_gone(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], stat[512] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return true;
    size_t n = fread(stat, 1, sizeof stat - 1, fp);
    fclose(fp);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

static void assert_gone_soon(pid_t pid)
{
    for (int i = 0; i < 100 && !process_gone(pid); i++)
        usleep(20000);
    if (!process_gone(pid))
        fail_msg("process %d is still running", (int)pid);
}

/* Waits (up to 5 s) for the file the fixture writes and reads up to two pids from it. */
static int read_pids(const char *path, pid_t *a, pid_t *b)
{
    for (int i = 0; i < 250; i++) {
        FILE *fp = fopen(path, "r");
        if (fp) {
            int x = 0, y = 0;
            int n = fscanf(fp, "%d %d", &x, &y);
            fclose(fp);
            *a = x;
            *b = y;
            return n;
        }
        usleep(20000);
    }
    fail_msg("%s was never written", path);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void injection_strings_stay_one_argv_element(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"argv\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
                                   "\"name\":{},\"list\":{},\"opt\":{},\"n\":{}}},\"exec\":{\"command\":"
                                   "\"%FIX%/argv.sh\",\"args\":[\"--name={{name}}\",\"{{name}}\",\"{{list}}\","
                                   "\"{{opt}}\",\"{{n}}\",\"-o={{opt}}\"]}}"),
                     BW_OK);
    start(f, 10000);
    json_t *r = call(f, "argv", "{\"name\":\"; rm -rf / #\",\"list\":[\"a b\",\"$(id)\",3,{\"k\":\"`x`\"}],\"n\":1.5}");
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "8\n[--name=; rm -rf / #]\n[; rm -rf / #]\n[a b]\n[$(id)]\n[3]\n"
                                    "[{\"k\":\"`x`\"}]\n[1.5]\n[-o=]\n");
    json_decref(r);
}

static void environment_is_an_allowlist(void **state)
{
    fixture *f = *state;
    setenv("BW_TEST_SECRET", "hunter2", 1);
    assert_int_equal(build_tool(f, "{\"name\":\"env\",\"exec\":{\"command\":\"env\",\"env\":{\"GREETING\":\"hi\"}}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"env2\",\"exec\":{\"command\":\"env\",\"env_allow\":"
                                   "[\"BW_TEST_SECRET\"]}}"),
                     BW_OK);
    unsetenv("BW_TEST_SECRET");
    start(f, 10000);
    json_t *r = call(f, "env", "{}");
    assert_false(is_error(r));
    const char *out = text_of(r);
    assert_non_null(strstr(out, "GREETING=hi\n"));
    assert_null(strstr(out, "BW_TEST_SECRET"));
    assert_null(strstr(out, "hunter2"));
    if (getenv("PATH"))
        assert_non_null(strstr(out, "PATH="));
    json_decref(r);
    r = call(f, "env2", "{}"); /* the value was taken when the configuration was loaded */
    /* Exactly the allowed variable, plus the call's trace context (docs/observability/tracing.md): this call has no
     * caller context and is not recorded, so its own trace id, not sampled. */
    const char *want = "BW_TEST_SECRET=hunter2\nTRACEPARENT=00-";
    out = text_of(r);
    assert_int_equal(strncmp(out, want, strlen(want)), 0);
    assert_int_equal(strlen(out), strlen("BW_TEST_SECRET=hunter2\nTRACEPARENT=") + 55 + 1);
    assert_int_equal(strspn(out + strlen(want), "0123456789abcdef-"), 52);
    assert_string_equal(out + strlen(out) - 4, "-00\n");
    json_decref(r);
}

static void stdin_is_written_without_deadlock(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"cat\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
                                   "\"input\":{}}},\"exec\":{\"command\":\"cat\",\"stdin\":\"input\","
                                   "\"max_output_bytes\":4194304}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"true\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
                                   "\"input\":{}}},\"exec\":{\"command\":\"true\",\"stdin\":\"input\"}}"),
                     BW_OK);
    start(f, 10000);
    /* 2 MiB: far more than a pipe holds, so the parent must write while it reads. */
    size_t n = 2u << 20;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    json_t *r = call_json(f, "cat", json_pack("{s:s}", "input", big));
    assert_false(is_error(r));
    assert_int_equal(strlen(text_of(r)), n);
    assert_memory_equal(text_of(r), big, n);
    json_decref(r);
    /* A program that never reads stdin must not block us (nor raise SIGPIPE here). */
    r = call_json(f, "true", json_pack("{s:s}", "input", big));
    assert_false(is_error(r));
    assert_json_eq(json_object_get(r, "structuredContent"), "{\"exit_code\":0,\"stdout\":\"\",\"stderr\":\"\"}");
    json_decref(r);
    free(big);
    r = call(f, "cat", "{}"); /* no argument: /dev/null */
    assert_string_equal(text_of(r), "");
    json_decref(r);
    r = call(f, "cat", "{\"input\":{\"a\":[1]}}");
    assert_string_equal(text_of(r), "{\"a\":[1]}");
    json_decref(r);
}

static int64_t cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* A program that closes stdin unread while it keeps running: the write fails with EPIPE (without raising SIGPIPE in
 * this process, whose default action would end the test), stdin is closed once, and the wait costs no CPU. */
static void closed_stdin_is_given_up_without_spinning(void **state)
{
    fixture *f = *state;
    /* SIGPIPE keeps its default action (terminate): writing to the closed pipe must not raise it in this process. */
    assert_int_equal(build_tool(f, "{\"name\":\"closer\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
                                   "\"input\":{}}},\"exec\":{\"command\":\"%FIX%/close_stdin.sh\",\"stdin\":\"input\"}}"),
                     BW_OK);
    start(f, 10000);
    size_t n = 1u << 20;
    char *big = malloc(n + 1);
    memset(big, 'z', n);
    big[n] = '\0';
    int64_t cpu0 = cpu_ms();
    json_t *r = call_json(f, "closer", json_pack("{s:s}", "input", big));
    int64_t cpu = cpu_ms() - cpu0;
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "done\n");
    json_decref(r);
    free(big);
    if (cpu > 250)
        fail_msg("%lld ms of CPU while waiting for a program that closed stdin", (long long)cpu);
}

static void output_over_the_cap_kills_the_program(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"yes\",\"exec\":{\"command\":\"yes\",\"max_output_bytes\":1000}}"),
                     BW_OK);
    start(f, 10000);
    int64_t t0 = bw_now_ms();
    json_t *r = call(f, "yes", "{}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "stdout larger than 1000 bytes (max_output_bytes): the program was killed");
    assert_true(bw_now_ms() - t0 < 2000);
    json_decref(r);
}

static void exit_status_and_signals_are_mapped(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"fail\",\"exec\":{\"command\":\"%FIX%/fail.sh\"}}"), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"crash\",\"exec\":{\"command\":\"%FIX%/crash.sh\"}}"), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"false\",\"exec\":{\"command\":\"false\"}}"), BW_OK);
    start(f, 10000);
    json_t *r = call(f, "fail", "{}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "exit status 3: oops: the thing failed");
    json_decref(r);
    r = call(f, "crash", "{}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "killed by signal 11 (SIGSEGV): about to crash");
    json_decref(r);
    r = call(f, "false", "{}");
    assert_string_equal(text_of(r), "exit status 1");
    json_decref(r);
}

static void output_modes_and_non_utf8(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"json\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
                                   "\"doc\":{}}},\"exec\":{\"command\":\"printf\",\"args\":[\"%s\",\"{{doc}}\"],"
                                   "\"output\":\"json\"}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"fmt\",\"input_schema\":{\"type\":\"object\",\"properties\":{"
                                   "\"f\":{}}},\"exec\":{\"command\":\"printf\",\"args\":[\"{{f}}\"]}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"pwd\",\"exec\":{\"command\":\"/bin/pwd\",\"cwd\":\"/\"}}"), BW_OK);
    start(f, 10000);
    json_t *r = call(f, "json", "{\"doc\":\"{\\\"a\\\":1}\"}");
    assert_json_eq(r, "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"a\\\":1}\"}],\"structuredContent\":{\"a\":1}}");
    json_decref(r);
    r = call(f, "json", "{\"doc\":\"[1,2]\"}");
    assert_json_eq(json_object_get(r, "structuredContent"), "{\"result\":[1,2]}");
    json_decref(r);
    r = call(f, "json", "{\"doc\":\"not json\"}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "stdout is not valid JSON: invalid token near 'not' (line 1, column 3)");
    json_decref(r);
    r = call(f, "fmt", "{\"f\":\"caf\\\\351 ok\"}"); /* printf turns \351 into the byte 0xE9 */
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "caf\xEF\xBF\xBD ok");
    json_decref(r);
    r = call(f, "pwd", "{}");
    assert_string_equal(text_of(r), "/\n");
    json_decref(r);
}

static void timeout_kills_the_whole_tree(void **state)
{
    fixture *f = *state;
    char entry[1024], pidfile[128];
    snprintf(pidfile, sizeof pidfile, "%s/pids", f->tmp);
    snprintf(entry, sizeof entry,
             "{\"name\":\"tree\",\"exec\":{\"command\":\"%%FIX%%/tree.sh\",\"args\":[\"%s\"],\"timeout_ms\":500,"
             "\"kill_grace_ms\":300}}",
             pidfile);
    assert_int_equal(build_tool(f, entry), BW_OK);
    start(f, 10000);
    int64_t t0 = bw_now_ms();
    json_t *r = call(f, "tree", "{}");
    int64_t took = bw_now_ms() - t0;
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "timed out after 500 ms");
    /* SIGTERM is ignored by the whole tree: only the SIGKILL after the grace period ends it. */
    assert_true(took >= 780 && took < 3000);
    json_decref(r);
    pid_t grandchild, leader;
    assert_int_equal(read_pids(pidfile, &grandchild, &leader), 2);
    assert_true(process_gone(leader));
    assert_gone_soon(grandchild);
}

static void descendants_do_not_outlive_the_program(void **state)
{
    fixture *f = *state;
    char entry[1024], pidfile[128];
    snprintf(pidfile, sizeof pidfile, "%s/pid", f->tmp);
    snprintf(entry, sizeof entry,
             "{\"name\":\"leave\",\"exec\":{\"command\":\"%%FIX%%/leave_child.sh\",\"args\":[\"%s\"]}}", pidfile);
    assert_int_equal(build_tool(f, entry), BW_OK);
    start(f, 10000);
    int64_t t0 = bw_now_ms();
    json_t *r = call(f, "leave", "{}");
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "started\n");
    /* The grandchild held stdout open: had it survived, the call would have waited for the pipe. */
    assert_true(bw_now_ms() - t0 < 900);
    json_decref(r);
    pid_t grandchild, unused;
    assert_int_equal(read_pids(pidfile, &grandchild, &unused), 1);
    assert_gone_soon(grandchild);
}

static void call_deadline_and_cancellation_kill_the_tree(void **state)
{
    fixture *f = *state;
    char entry[1024], pidfile[128];
    snprintf(pidfile, sizeof pidfile, "%s/pids", f->tmp);
    snprintf(entry, sizeof entry,
             "{\"name\":\"tree\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"file\":{}}},\"exec\":{"
             "\"command\":\"%%FIX%%/tree.sh\",\"args\":[\"{{file}}\"],\"kill_grace_ms\":100}}");
    assert_int_equal(build_tool(f, entry), BW_OK);
    start(f, 700); /* the call's deadline, far below the tool's 30 s timeout */
    int64_t t0 = bw_now_ms();
    json_t *r = call_json(f, "tree", json_pack("{s:s}", "file", pidfile));
    assert_true(bw_now_ms() - t0 < 3000);
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "Tool tree timed out after 700 ms (deadline)");
    json_decref(r);
    pid_t grandchild, leader;
    assert_int_equal(read_pids(pidfile, &grandchild, &leader), 2);
    assert_gone_soon(leader);
    assert_gone_soon(grandchild);

    /* Client cancellation: notifications/cancelled while the tree runs. */
    char pidfile2[160];
    snprintf(pidfile2, sizeof pidfile2, "%s/pids2", f->tmp);
    char req[512];
    snprintf(req, sizeof req,
             "{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\",\"params\":{\"name\":\"tree\","
             "\"arguments\":{\"file\":\"%s\"}}}",
             pidfile2);
    bw_session_receive(f->h->session, req, strlen(req));
    assert_int_equal(read_pids(pidfile2, &grandchild, &leader), 2);
    const char *cancel = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":"
                         "\"c1\"}}";
    bw_session_receive(f->h->session, cancel, strlen(cancel));
    assert_gone_soon(leader);
    assert_gone_soon(grandchild);
}

/* What the provider tells the reliability policy: transient_exit_codes (default [75], EX_TEMPFAIL) are
 * "unavailable", other exits and signals permanent, a timeout a timeout; exec names no dependency. */
static void failures_are_classified(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"fail\",\"exec\":{\"command\":\"%FIX%/fail.sh\"}}"), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"fail3\",\"exec\":{\"command\":\"%FIX%/fail.sh\","
                                   "\"transient_exit_codes\":[3,100]}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"tempfail\",\"exec\":{\"command\":\"sh\",\"args\":[\"-c\","
                                   "\"exit 75\"]}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"tempfail3\",\"exec\":{\"command\":\"sh\",\"args\":[\"-c\","
                                   "\"exit 75\"],\"transient_exit_codes\":[3]}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"crash\",\"exec\":{\"command\":\"%FIX%/crash.sh\"}}"), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"slow\",\"exec\":{\"command\":\"sleep\",\"args\":[\"5\"],"
                                   "\"timeout_ms\":100}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"ok\",\"exec\":{\"command\":\"true\"}}"), BW_OK);
    start(f, 10000);
    static const struct {
        const char *tool;
        int failure;
    } cases[] = {{"fail", BW_FAILURE_PERMANENT},      {"fail3", BW_FAILURE_UNAVAILABLE},
                 {"tempfail", BW_FAILURE_UNAVAILABLE}, {"tempfail3", BW_FAILURE_PERMANENT},
                 {"crash", BW_FAILURE_PERMANENT},     {"slow", BW_FAILURE_TIMEOUT},
                 {"ok", BW_FAILURE_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *r = call(f, cases[i].tool, "{}");
        assert_int_equal(is_error(r), cases[i].failure != BW_FAILURE_NONE);
        if (probe_failure(cases[i].tool) != cases[i].failure)
            fail_msg("%s: failure %d, want %d", cases[i].tool, probe_failure(cases[i].tool), cases[i].failure);
        assert_string_equal(probe_dependency(cases[i].tool), "");
        json_decref(r);
    }
    json_t *r = call(f, "tempfail", "{}");
    assert_string_equal(text_of(r), "exit status 75");
    json_decref(r);
}

/* The call's deadline kills a tree that ignores SIGTERM soon after the deadline, not after kill_grace_ms (5 s).
 * Margin: gone within the deadline (400 ms) + 600 ms, for a loaded 2-core machine under ASan. */
static void call_deadline_does_not_wait_for_the_grace(void **state)
{
    fixture *f = *state;
    char pidfile[128];
    snprintf(pidfile, sizeof pidfile, "%s/pids", f->tmp);
    assert_int_equal(build_tool(f, "{\"name\":\"tree\",\"input_schema\":{\"type\":\"object\",\"properties\":"
                                   "{\"file\":{}}},\"exec\":{\"command\":\"%FIX%/tree.sh\",\"args\":[\"{{file}}\"],"
                                   "\"kill_grace_ms\":5000}}"),
                     BW_OK);
    start(f, 400);
    int64_t t0 = bw_now_ms();
    json_t *r = call_json(f, "tree", json_pack("{s:s}", "file", pidfile));
    assert_true(is_error(r));
    json_decref(r);
    pid_t grandchild, leader;
    assert_int_equal(read_pids(pidfile, &grandchild, &leader), 2);
    while (!(process_gone(leader) && process_gone(grandchild)) && bw_now_ms() - t0 < 3000)
        usleep(5000);
    int64_t gone = bw_now_ms() - t0;
    if (gone >= 1000)
        fail_msg("the tree was gone %lld ms after the call began (deadline 400 ms)", (long long)gone);
    assert_int_equal(probe_failure("tree"), BW_FAILURE_TIMEOUT);
}

/* Builds one bad entry and checks the single diagnostic it produces. */
static void expect_config_error(fixture *f, const char *entry, const char *want)
{
    size_t before = bw_diag_count(f->diag);
    assert_int_not_equal(build_tool(f, entry), BW_OK);
    assert_int_equal(bw_diag_count(f->diag), before + 1);
    const char *got = bw_diag_text(f->diag, before);
    if (!strstr(got, want))
        fail_msg("diagnostic\n got  %s\n want ...%s", got, want);
}

static void configuration_errors_are_reported(void **state)
{
    fixture *f = *state;
    char entry[1024], path[128];
    snprintf(path, sizeof path, "%s/plain.txt", f->tmp);
    FILE *fp = fopen(path, "w");
    fputs("not a program\n", fp);
    fclose(fp);
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"no-such-program-bw\"}}",
                        "command 'no-such-program-bw' was not found in PATH (or is not executable)");
    snprintf(entry, sizeof entry, "{\"name\":\"a\",\"exec\":{\"command\":\"%s\"}}", path);
    expect_config_error(f, entry, "not an executable regular file");
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"./missing.sh\"}}", "command './missing.sh': no such file (");
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"true\",\"cwd\":\"/etc/passwd\"}}",
                        "cwd '/etc/passwd' is not an accessible directory (/etc/passwd)");
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"true\",\"args\":[\"x\",\"{{nope}}\"]}}",
                        "{{nope}} names no property of the tool's input_schema");
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"true\",\"args\":[\"{{1x}}\"]}}",
                        "args[0]: invalid placeholder name");
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"true\",\"stdin\":\"text\"}}",
                        "stdin: 'text' is not a property of the tool's input_schema");
    expect_config_error(f, "{\"name\":\"a\",\"exec\":{\"command\":\"true\",\"env\":{\"A=B\":\"x\"}}}",
                        "env: 'A=B' is not a variable name");
    /* A relative command is found from the configuration's directory (here: the fixtures directory). */
    assert_int_equal(build_tool(f, "{\"name\":\"rel\",\"exec\":{\"command\":\"argv.sh\"}}"), BW_E_INVALID_ARG);
    assert_int_equal(build_tool(f, "{\"name\":\"rel\",\"exec\":{\"command\":\"./argv.sh\"}}"), BW_OK);
}

int main(void)
{
    char here[4096];
    snprintf(here, sizeof here, "%s", __FILE__);
    snprintf(fixtures, sizeof fixtures, "%s/../../fixtures/exec", dirname(here));
    char *real = realpath(fixtures, NULL);
    if (!real) {
        fprintf(stderr, "fixtures not found at %s\n", fixtures);
        return 1;
    }
    snprintf(fixtures, sizeof fixtures, "%s", real);
    free(real);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(injection_strings_stay_one_argv_element, setup, teardown),
        cmocka_unit_test_setup_teardown(environment_is_an_allowlist, setup, teardown),
        cmocka_unit_test_setup_teardown(stdin_is_written_without_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown(closed_stdin_is_given_up_without_spinning, setup, teardown),
        cmocka_unit_test_setup_teardown(output_over_the_cap_kills_the_program, setup, teardown),
        cmocka_unit_test_setup_teardown(exit_status_and_signals_are_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(output_modes_and_non_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout_kills_the_whole_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(descendants_do_not_outlive_the_program, setup, teardown),
        cmocka_unit_test_setup_teardown(call_deadline_and_cancellation_kill_the_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_are_classified, setup, teardown),
        cmocka_unit_test_setup_teardown(call_deadline_does_not_wait_for_the_grace, setup, teardown),
        cmocka_unit_test_setup_teardown(configuration_errors_are_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
