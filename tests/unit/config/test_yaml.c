/* Unit tests for src/config/yaml.c: YAML 1.2 core-schema typing, key order, positions, and every refused input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml.h"

typedef struct parsed {
    json_t *root;
    bw_cfg_pos *pos;
    bw_diag *diag;
    char diag_text[4096];
} parsed;

static void parse(parsed *p, const char *yaml)
{
    p->pos = bw_cfg_pos_new();
    p->diag = bw_diag_new();
    assert_non_null(p->pos);
    assert_non_null(p->diag);
    p->root = bw_yaml_parse(yaml, strlen(yaml), "t.yaml", p->pos, p->diag);
    p->diag_text[0] = '\0';
    for (size_t i = 0; i < bw_diag_count(p->diag); i++) {
        size_t n = strlen(p->diag_text);
        snprintf(p->diag_text + n, sizeof p->diag_text - n, "%s\n", bw_diag_text(p->diag, i));
    }
}

static void done(parsed *p)
{
    json_decref(p->root);
    bw_cfg_pos_free(p->pos);
    bw_diag_free(p->diag);
}

static void expect_json(const char *yaml, const char *json)
{
    parsed p;
    parse(&p, yaml);
    if (!p.root)
        fail_msg("does not parse: %s", p.diag_text);
    char *text = json_dumps(p.root, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_string_equal(text, json);
    free(text);
    done(&p);
}

static void expect_error(const char *yaml, const char *diag)
{
    parsed p;
    parse(&p, yaml);
    assert_null(p.root);
    assert_string_equal(p.diag_text, diag);
    done(&p);
}

static void test_core_schema_typing(void **state)
{
    (void)state;
    expect_json("a: null\nb: ~\nc:\nd: Null\ne: true\nf: FALSE\ng: yes\nh: on\n",
                "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":true,\"f\":false,\"g\":\"yes\",\"h\":\"on\"}");
    expect_json("i: 42\nj: -7\nk: +3\nl: 0x1F\nm: 0o17\nn: 007\n",
                "{\"i\":42,\"j\":-7,\"k\":3,\"l\":31,\"m\":15,\"n\":7}");
    expect_json("o: 1.5\np: -.5\nq: 1e3\nr: 2.\ns: 1.2.3\nt: 0x\nu: 12abc\n",
                "{\"o\":1.5,\"p\":-0.5,\"q\":1000.0,\"r\":2.0,\"s\":\"1.2.3\",\"t\":\"0x\",\"u\":\"12abc\"}");
}

static void test_quoted_and_block_scalars_are_strings(void **state)
{
    (void)state;
    expect_json("a: '42'\nb: \"true\"\nc: !!str 7\nd: |\n  line1\n  line2\ne: >-\n  folded\n  text\nf: ''\n",
                "{\"a\":\"42\",\"b\":\"true\",\"c\":\"7\",\"d\":\"line1\\nline2\\n\",\"e\":\"folded text\",\"f\":\"\"}");
}

static void test_key_order_and_nesting(void **state)
{
    (void)state;
    expect_json("zeta: 1\nalpha:\n  - x\n  - {b: 2, a: [1, 2]}\nmid: {}\n",
                "{\"zeta\":1,\"alpha\":[\"x\",{\"b\":2,\"a\":[1,2]}],\"mid\":{}}");
    expect_json("- 1\n- two\n", "[1,\"two\"]");
    expect_json("just text\n", "\"just text\"");
}

static void test_positions(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "server:\n  name: demo\n  flags: [true, 3]\nlist:\n  - a: 1\n");
    assert_non_null(p.root);
    bw_pos at;
    const json_t *server = json_object_get(p.root, "server");
    assert_true(bw_cfg_pos_node(p.pos, json_object_get(server, "name"), &at));
    assert_int_equal(at.line, 2);
    assert_int_equal(at.col, 9);
    /* Member records give the key's position, and positions for shared values (true) too. */
    bw_pos key, val;
    assert_true(bw_cfg_pos_member(p.pos, server, 1, &key, &val));
    assert_int_equal(key.line, 3);
    assert_int_equal(key.col, 3);
    assert_int_equal(val.col, 10);
    const json_t *flags = json_object_get(server, "flags");
    assert_true(bw_cfg_pos_member(p.pos, flags, 0, NULL, &val));
    assert_int_equal(val.line, 3);
    assert_int_equal(val.col, 11);
    assert_false(bw_cfg_pos_node(p.pos, json_array_get(flags, 0), &at)); /* jansson's shared true */
    const json_t *item = json_array_get(json_object_get(p.root, "list"), 0);
    assert_true(bw_cfg_pos_node(p.pos, json_object_get(item, "a"), &at));
    assert_int_equal(at.line, 5);
    assert_int_equal(at.col, 8);
    done(&p);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_error("a: 1\nb:\n  x: 1\n  x: {deep: [1]}\na: 2\n",
                 "t.yaml:4:3: duplicate key 'x' (first written at line 3)\n"
                 "t.yaml:5:1: duplicate key 'a' (first written at line 1)\n");
}

static void test_anchors_and_aliases_refused(void **state)
{
    (void)state;
    expect_error("base: &b {x: 1}\ncopy: *b\n",
                 "t.yaml:1:7: YAML anchors (&b) are not supported\n"
                 "t.yaml:2:7: YAML aliases (*b) are not supported: write the value out\n");
}

static void test_bad_scalars(void **state)
{
    (void)state;
    expect_error("a: .inf\nb: -.Inf\nc: .nan\n",
                 "t.yaml:1:4: .inf is not supported: JSON has no infinity or NaN (quote it for a string)\n"
                 "t.yaml:2:4: -.Inf is not supported: JSON has no infinity or NaN (quote it for a string)\n"
                 "t.yaml:3:4: .nan is not supported: JSON has no infinity or NaN (quote it for a string)\n");
    expect_error("big: 99999999999999999999\nf: 1e999\n",
                 "t.yaml:1:6: integer 99999999999999999999 is out of range (64-bit signed integers only)\n"
                 "t.yaml:2:4: number 1e999 is out of range\n");
    expect_error("a: !!int 3\n", "t.yaml:1:4: YAML tag 'tag:yaml.org,2002:int' is not supported (only !!str)\n");
}

static void test_syntax_errors_carry_the_mark(void **state)
{
    (void)state;
    expect_error("server:\n  name: x\n   bad: y\n", "t.yaml:3:7: invalid YAML: mapping values are not allowed in "
                                                 "this context\n");
    expect_error("a: [1, 2\n", "t.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
                               "sequence started at line 1)\n");
    expect_error("a: \"\\xZZ\"\n", "t.yaml:1:7: invalid YAML: did not find expected hexdecimal number (while "
                                   "parsing a quoted scalar started at line 1)\n");
}

static void test_structure_limits(void **state)
{
    (void)state;
    expect_error("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document is allowed (remove the second '---')\n");
    expect_error("? [a]\n: 1\n", "t.yaml:1:3: a key must be a plain value, not a list\n");
    expect_error("", "t.yaml: the configuration is empty\n");
    expect_error("# only a comment\n", "t.yaml: the configuration is empty\n");
    char deep[200] = "";
    for (int i = 0; i < 65; i++)
        strcat(deep, "[");
    expect_error(deep, "t.yaml:1:65: nesting deeper than 64 levels\n");
    for (int i = 0; i < 64; i++)
        deep[i] = '[';
    deep[64] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(deep, "]");
    parsed p;
    parse(&p, deep);
    assert_non_null(p.root);
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_schema_typing),
        cmocka_unit_test(test_quoted_and_block_scalars_are_strings),
        cmocka_unit_test(test_key_order_and_nesting),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_anchors_and_aliases_refused),
        cmocka_unit_test(test_bad_scalars),
        cmocka_unit_test(test_syntax_errors_carry_the_mark),
        cmocka_unit_test(test_structure_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
