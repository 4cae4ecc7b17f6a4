/* The `reliability` section and tools' `policy` from YAML (src/config/app_reliability.c): a tool's policy merges
 * over reliability.defaults field by field (observed through retries on the wire), dependencies and max_in_flight
 * reach the server, and the cross-node mistakes are reported at their node (fallback unknown or itself, idempotency
 * without state_db). Files are written to a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "config/app.h"
#include "policy_fixture.h"

typedef struct cfg_fixture {
    char dir[64];
    char path[128];
} cfg_fixture;

static int cfg_setup(void **state)
{
    cfg_fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-policy-cfg-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/bulwark.yaml", f->dir);
    *state = f;
    return 0;
}

static int cfg_teardown(void **state)
{
    cfg_fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void write_config(const cfg_fixture *f, const char *yaml)
{
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    assert_true(fputs(yaml, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

/* Builds the file; returns the app (NULL on errors, then *diag_text holds them, one per line). */
static bw_app *build(const cfg_fixture *f, char *diag_text, size_t len)
{
    bw_diag *d = bw_diag_new();
    bw_app *app = bw_app_build(f->path, BW_BUILD_SERVE, d);
    size_t n = 0;
    diag_text[0] = '\0';
    for (size_t i = 0; i < bw_diag_count(d) && n < len; i++)
        n += (size_t)snprintf(diag_text + n, len - n, "%s\n", bw_diag_text(d, i));
    bw_diag_free(d);
    return app;
}

/* An exec tool that fails with exit code 75 (EX_TEMPFAIL: retryable) and counts its runs in a file. */
#define FLAKY_TOOL(name, extra)                                                                                        \
    "  - name: " name "\n"                                                                                             \
    "    annotations: {readOnlyHint: true}\n"                                                                          \
    "    exec: {command: /bin/sh, args: ['-c', 'echo x >> runs-" name "; exit 75']}\n" extra

static int runs(const cfg_fixture *f, const char *name)
{
    char path[192], line[16];
    snprintf(path, sizeof path, "%s/runs-%s", f->dir, name);
    FILE *fp = fopen(path, "r");
    int n = 0;
    while (fp && fgets(line, sizeof line, fp))
        n++;
    if (fp)
        fclose(fp);
    return n;
}

static void a_tool_policy_overrides_the_defaults_field_by_field(void **state)
{
    cfg_fixture *f = *state;
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "server: {name: t}\n"
             "reliability:\n"
             "  defaults: {retry: {max_attempts: 3, base_delay_ms: 1, max_delay_ms: 2}}\n"
             "  max_in_flight: 7\n"
             "  dependencies:\n"
             "    'exec:x': {required: true, breaker: {failure_threshold: -1}}\n"
             "tools:\n" FLAKY_TOOL("inherits", "") FLAKY_TOOL("overrides", "    policy: {retry: {max_attempts: 2}}\n")
                 FLAKY_TOOL("never", "    policy: {retry: {mode: never}, dependency: 'exec:x'}\n"));
    write_config(f, yaml);
    char diag[1024];
    bw_app *app = build(f, diag, sizeof diag);
    if (!app)
        fail_msg("build failed:\n%s", diag);
    bw_server *srv = bw_app_server(app);
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    assert_int_equal(chdir(f->dir), 0); /* the tools append to a relative file */
    harness *h = harness_new(srv);
    const char *names[] = {"inherits", "overrides", "never"};
    const int want[] = {3, 2, 1};
    for (int i = 0; i < 3; i++) {
        json_t *r = call_tool(h, names[i], NULL, NULL);
        assert_true(json_is_true(json_object_get(r, "isError")));
        json_decref(r);
        assert_int_equal(runs(f, names[i]), want[i]);
    }
    json_t *stats = bw_server_reliability_stats(srv);
    assert_int_equal(json_integer_value(json_object_get(stats, "max_in_flight")), 7);
    json_t *dep = json_object_get(json_object_get(stats, "dependencies"), "exec:x");
    assert_true(json_is_true(json_object_get(dep, "required")));
    json_decref(stats);
    harness_free(h);
    bw_app_free(app);
    assert_int_equal(chdir("/"), 0);
}

static void cross_node_mistakes_are_reported_at_the_node(void **state)
{
    cfg_fixture *f = *state;
    write_config(f, "server: {name: t}\n"
                    "tools:\n"
                    "  - name: a\n"
                    "    exec: {command: /bin/true}\n"
                    "    policy: {fallback: a}\n"
                    "  - name: b\n"
                    "    exec: {command: /bin/true}\n"
                    "    policy: {fallback: nowhere}\n"
                    "  - name: c\n"
                    "    exec: {command: /bin/true}\n"
                    "    policy:\n"
                    "      idempotency: {key_argument: rid}\n");
    char diag[1024];
    assert_null(build(f, diag, sizeof diag));
    char want[1024];
    snprintf(want, sizeof want,
             "%s:5:24: policy.fallback: a tool cannot be its own fallback\n"
             "%s:8:24: policy.fallback: no tool named 'nowhere' is configured\n"
             "%s:12:20: policy.idempotency needs the state database: set reliability.state_db\n",
             f->path, f->path, f->path);
    assert_string_equal(diag, want);
}

static void the_state_database_is_relative_to_the_file(void **state)
{
    cfg_fixture *f = *state;
    write_config(f, "server: {name: t}\n"
                    "reliability: {state_db: state.db}\n"
                    "tools:\n"
                    "  - name: pay\n"
                    "    exec: {command: /bin/true}\n"
                    "    policy: {idempotency: {key_argument: rid}}\n");
    char diag[1024];
    bw_app *app = build(f, diag, sizeof diag);
    if (!app)
        fail_msg("build failed:\n%s", diag);
    char db[192];
    snprintf(db, sizeof db, "%s/state.db", f->dir);
    assert_int_equal(access(db, F_OK), 0);
    bw_app_free(app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_tool_policy_overrides_the_defaults_field_by_field, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(cross_node_mistakes_are_reported_at_the_node, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(the_state_database_is_relative_to_the_file, cfg_setup, cfg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
