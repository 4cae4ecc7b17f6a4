/* docs/config.md must hold exactly the reference generated from the embedded schema, and its example must be a
 * valid configuration: the documentation cannot drift from what the binary accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/file.h"
#include "config/load.h"
#include "config/reference.h"

static char *read_docs(void)
{
    char here[4096], path[4200], why[128];
    snprintf(here, sizeof here, "%s", __FILE__);
    snprintf(path, sizeof path, "%s/../../../docs/config.md", dirname(here));
    char *doc = bw_read_file(path, 4u << 20, NULL, why, sizeof why);
    if (!doc)
        fail_msg("cannot read %s: %s", path, why);
    return doc;
}

static void test_docs_match_the_schema(void **state)
{
    (void)state;
    char err[256];
    char *ref = bw_config_reference(err, sizeof err);
    if (!ref)
        fail_msg("%s", err);
    char *doc = read_docs();
    char *begin = strstr(doc, BW_REFERENCE_BEGIN "\n");
    char *end = begin ? strstr(begin, BW_REFERENCE_END) : NULL;
    if (!end)
        fail_msg("docs/config.md lacks the generated-reference markers");
    begin += strlen(BW_REFERENCE_BEGIN "\n");
    *end = '\0';
    size_t n = strlen(ref);
    bool same = strlen(begin) == n + 1 && !memcmp(begin, ref, n) && begin[n] == '\n';
    free(doc);
    free(ref);
    if (!same)
        fail_msg("docs/config.md is out of date with src/config/schema/*.json; regenerate it with\n"
                 "    build/bulwark config-reference --write docs/config.md");
}

static void test_reference_lists_every_section(void **state)
{
    (void)state;
    char err[256];
    char *ref = bw_config_reference(err, sizeof err);
    assert_non_null(ref);
    const char *sections[] = {"### Top level", "### `server`", "### `transports.http.tls`", "### `limits`",
                              "### `databases.<name>.pool`", "### `tools[].sql.transaction[]`",
                              "### `tools[].exec`", "### `resources[]`", "### `resource_templates[]`",
                              "### `prompts[].messages[]`"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (!strstr(ref, sections[i]))
            fail_msg("missing section %s", sections[i]);
    assert_non_null(strstr(ref, "| `workers` | integer, 1..1024 | `4` | Worker threads"));
    assert_non_null(strstr(ref, "| `name` | string, 1..128 characters | **required** |"));
    assert_non_null(strstr(ref, "Rule: a tool needs exactly one provider section: sql, http or exec."));
    free(ref);
}

static void test_docs_example_is_valid(void **state)
{
    (void)state;
    char *doc = read_docs();
    char *start = strstr(doc, "```yaml\n");
    char *end = start ? strstr(start + 8, "```\n") : NULL;
    if (!end)
        fail_msg("docs/config.md has no ```yaml example");
    start += 8;
    setenv("SHOP_API_TOKEN", "t", 1);
    bw_diag *d = bw_diag_new();
    bw_config *cfg = bw_config_load_text(start, (size_t)(end - start), "docs/config.md#example", ".", d);
    for (size_t i = 0; i < bw_diag_count(d); i++)
        print_error("%s\n", bw_diag_text(d, i));
    assert_non_null(cfg);
    bw_config_free(cfg);
    bw_diag_free(d);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_match_the_schema),
        cmocka_unit_test(test_reference_lists_every_section),
        cmocka_unit_test(test_docs_example_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
