/* Unit tests for src/config/load.c and subst.c: ${...} substitution, schema validation with every error at its
 * FILE:LINE:COL, and node location for the builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/load.h"

typedef struct loaded {
    bw_config *cfg;
    bw_diag *diag;
    char text[8192];
} loaded;

static void load(loaded *l, const char *yaml, const char *dir)
{
    l->diag = bw_diag_new();
    assert_non_null(l->diag);
    l->cfg = bw_config_load_text(yaml, strlen(yaml), "c.yaml", dir, l->diag);
    l->text[0] = '\0';
    for (size_t i = 0; i < bw_diag_count(l->diag); i++) {
        size_t n = strlen(l->text);
        snprintf(l->text + n, sizeof l->text - n, "%s\n", bw_diag_text(l->diag, i));
    }
}

static void unload(loaded *l)
{
    bw_config_free(l->cfg);
    bw_diag_free(l->diag);
}

static void expect_errors(const char *yaml, const char *diag)
{
    loaded l;
    load(&l, yaml, NULL);
    assert_null(l.cfg);
    assert_string_equal(l.text, diag);
    unload(&l);
}

static const char *server_name(loaded *l)
{
    return json_string_value(json_object_get(json_object_get(bw_config_root(l->cfg), "server"), "name"));
}

/* ---- substitution ---- */

static void test_env_substitution(void **state)
{
    (void)state;
    setenv("BW_T_NAME", "from-env", 1);
    unsetenv("BW_T_UNSET");
    setenv("BW_T_EMPTY", "", 1);
    loaded l;
    load(&l, "server:\n  name: a-${BW_T_NAME}-b\n  title: ${BW_T_UNSET:-dflt}|${BW_T_EMPTY:-e}|${BW_T_EMPTY}|\n"
             "  description: cost $5, $${NOT_A_VAR} and $$x\n",
         NULL);
    assert_non_null(l.cfg);
    assert_string_equal(server_name(&l), "a-from-env-b");
    const json_t *server = json_object_get(bw_config_root(l.cfg), "server");
    assert_string_equal(json_string_value(json_object_get(server, "title")), "dflt|e||");
    assert_string_equal(json_string_value(json_object_get(server, "description")), "cost $5, ${NOT_A_VAR} and $$x");
    unload(&l);
}

static void test_quoted_numbers_stay_strings_after_substitution(void **state)
{
    (void)state;
    setenv("BW_T_NUM", "12", 1);
    /* A substituted value is a string: the schema then says what it expected. */
    expect_errors("server: {name: x}\nlimits: {workers: '${BW_T_NUM}'}\n",
                  "c.yaml:2:19: limits.workers: expected integer, got string\n");
}

static void test_substitution_errors_name_the_variable_not_values(void **state)
{
    (void)state;
    unsetenv("BW_T_MISSING");
    setenv("BW_T_SECRET", "hunter2", 1);
    expect_errors("server:\n  name: ${BW_T_MISSING}\n  title: ${BW_T_SECRET} ${bad name}\n"
                  "  description: \"${unterminated\"\n  version: ${file:}\n",
                  "c.yaml:2:9: environment variable 'BW_T_MISSING' is not set (use ${BW_T_MISSING:-default} to "
                  "give a default)\n"
                  "c.yaml:3:10: invalid reference '${bad name}' (expected ${NAME}, ${NAME:-default} or "
                  "${file:PATH}; write $${ for a literal ${)\n"
                  "c.yaml:4:16: unterminated '${' (write $${ for a literal ${)\n"
                  "c.yaml:5:12: ${file:} needs a path, e.g. ${file:/run/secrets/db_password}\n");
}

static void test_file_substitution(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-test-load-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/secret.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("s3cret\n", f);
    fclose(f);
    loaded l;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "server:\n  name: '[${file:secret.txt}]'\n  title: '${file:%s}'\n", path);
    load(&l, yaml, dir);
    assert_non_null(l.cfg);
    assert_string_equal(server_name(&l), "[s3cret]");
    assert_string_equal(json_string_value(json_object_get(json_object_get(bw_config_root(l.cfg), "server"),
                                                          "title")),
                        "s3cret");
    unload(&l);
    load(&l, "server:\n  name: ${file:nope.txt}\n", dir);
    assert_null(l.cfg);
    char want[1024];
    snprintf(want, sizeof want, "c.yaml:2:9: ${file:nope.txt}: cannot read %s/nope.txt: No such file or directory\n",
             dir);
    assert_string_equal(l.text, want);
    assert_null(strstr(l.text, "s3cret"));
    unload(&l);
    remove(path);
    rmdir(dir);
}

/* ---- validation ---- */

/* Every failure, in file order (the validator walks in schema order: transports before limits, then tools). */
static void test_every_schema_error_at_its_position(void **state)
{
    (void)state;
    expect_errors("server:\n"
                  "  name: 5\n"
                  "  nmae: x\n"
                  "transports:\n"
                  "  default: tcp\n"
                  "  http: {listen: 'nope', stateless: 'yes'}\n"
                  "limits:\n"
                  "  workers: 0\n"
                  "tools:\n"
                  "  - name: t1\n"
                  "  - description: no name\n"
                  "    sql: {database: main, statement: 'select 1'}\n"
                  "    http: {url: 'http://x'}\n",
                  "c.yaml:2:9: server.name: expected string, got integer\n"
                  "c.yaml:3:3: unknown key 'nmae' (expected one of: name, version, title, description, website_url, "
                  "instructions)\n"
                  "c.yaml:5:12: transports.default: \"tcp\" is not one of the enum values \"stdio\", \"http\"\n"
                  "c.yaml:6:18: transports.http.listen: \"nope\" does not match pattern "
                  "\"^(\\\\[[0-9A-Fa-f:.]+\\\\]|[^:\\\\s]+):[0-9]{1,5}$\"\n"
                  "c.yaml:6:37: transports.http.stateless: expected boolean, got string (YAML 1.2 reads "
                  "yes/no/on/off as text: write true or false)\n"
                  "c.yaml:8:12: limits.workers: 0 is less than minimum 1\n"
                  "c.yaml:10:5: tools[0]: a tool needs exactly one provider section: sql, http or exec\n"
                  "c.yaml:11:5: tools[1]: missing required property \"name\"\n"
                  "c.yaml:11:5: tools[1]: a tool needs exactly one provider section: sql, http or exec\n");
}

static void test_missing_server_and_wrong_root(void **state)
{
    (void)state;
    expect_errors("tools: []\n", "c.yaml:1:1: missing required property \"server\"\n");
    expect_errors("- a\n", "c.yaml:1:1: expected object, got array\n");
}

static void test_yaml_errors_stop_before_validation(void **state)
{
    (void)state;
    expect_errors("server: {name: x}\nserver: {}\nbogus: 1\n",
                  "c.yaml:2:1: duplicate key 'server' (first written at line 1)\n");
}

static void test_locate_for_the_builder(void **state)
{
    (void)state;
    loaded l;
    load(&l, "server:\n  name: x\n  title: y\n", NULL);
    assert_non_null(l.cfg);
    const json_t *server = json_object_get(bw_config_root(l.cfg), "server");
    int line = 0, col = 0;
    assert_true(bw_config_locate(l.cfg, json_object_get(server, "title"), &line, &col));
    assert_int_equal(line, 3);
    assert_int_equal(col, 10);
    assert_true(bw_config_locate_member(l.cfg, server, "title", true, &line, &col));
    assert_int_equal(col, 3);
    assert_false(bw_config_locate_member(l.cfg, server, "nope", true, &line, &col));
    assert_string_equal(bw_config_name(l.cfg), "c.yaml");
    assert_string_equal(bw_config_dir(l.cfg), ".");
    unload(&l);
}

static void test_load_from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/bw-test-load-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *yaml = "server: {name: filed}\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    bw_diag *d = bw_diag_new();
    bw_config *cfg = bw_config_load(path, d);
    assert_non_null(cfg);
    assert_string_equal(bw_config_dir(cfg), "/tmp");
    assert_string_equal(bw_config_name(cfg), path);
    bw_config_free(cfg);
    remove(path);
    assert_null(bw_config_load(path, d));
    char want[256];
    snprintf(want, sizeof want, "%s: cannot read the configuration: No such file or directory", path);
    assert_string_equal(bw_diag_text(d, 0), want);
    bw_diag_free(d);
}

static void test_oversized_file_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/bw-test-load-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, BW_CONFIG_MAX_FILE + 1), 0);
    close(fd);
    bw_diag *d = bw_diag_new();
    assert_null(bw_config_load(path, d));
    char want[256];
    snprintf(want, sizeof want, "%s: cannot read the configuration: larger than 4 MiB", path);
    assert_string_equal(bw_diag_text(d, 0), want);
    bw_diag_free(d);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_substitution),
        cmocka_unit_test(test_quoted_numbers_stay_strings_after_substitution),
        cmocka_unit_test(test_substitution_errors_name_the_variable_not_values),
        cmocka_unit_test(test_file_substitution),
        cmocka_unit_test(test_every_schema_error_at_its_position),
        cmocka_unit_test(test_missing_server_and_wrong_root),
        cmocka_unit_test(test_yaml_errors_stop_before_validation),
        cmocka_unit_test(test_locate_for_the_builder),
        cmocka_unit_test(test_load_from_file),
        cmocka_unit_test(test_oversized_file_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
