/* Unit tests for src/protocol/registry.c: URI template matching, add/get/remove/duplicates with reference counts,
 * list paging, template lookup, and shaping listings for each protocol revision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/registry.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

static char *dump(const json_t *v, size_t flags)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | flags);
    assert_non_null(s);
    return s;
}

static void assert_json(const json_t *v, size_t flags, const char *want, const char *what)
{
    char *got = dump(v, flags);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n got  %s\n want %s", what, got, want);
    free(got);
}

static bw_entry *entry(const char *key, const char *listing)
{
    bw_entry *e = bw_entry_new(key);
    assert_non_null(e);
    assert_string_equal(e->key, key);
    assert_int_equal(atomic_load(&e->refs), 1);
    e->listing = listing ? parse(listing) : json_pack("{s:s}", "name", key);
    return e;
}

/* ---- bw_uri_template_match ---- */

typedef struct {
    const char *tmpl;
    const char *uri;
    const char *vars; /* sorted compact JSON of the variables on a match; NULL: no match */
} match_row;

static const match_row match_rows[] = {
    {"test://template/{id}/data", "test://template/123/data", "{\"id\":\"123\"}"},
    {"test://template/{id}/data", "test://template/abc-DEF_1.~/data", "{\"id\":\"abc-DEF_1.~\"}"},
    {"test://template/{id}/data", "test://template/a%2Fb/data", "{\"id\":\"a%2Fb\"}"},
    {"/a/{x}/{y}", "/a/1/2", "{\"x\":\"1\",\"y\":\"2\"}"},
    {"/a/{x}/{y}", "/a/first/second", "{\"x\":\"first\",\"y\":\"second\"}"},
    {"test://t/{id}", "test://t/abc", "{\"id\":\"abc\"}"},
    {"file:///{name}.txt", "file:///readme.txt", "{\"name\":\"readme\"}"},
    {"{a}-{b}", "x-y", "{\"a\":\"x\",\"b\":\"y\"}"},
    {"test://fixed", "test://fixed", "{}"},
    /* missing segment */
    {"test://template/{id}/data", "test://template/123", NULL},
    {"test://template/{id}/data", "test://template/123/", NULL},
    {"/a/{x}/{y}", "/a/1", NULL},
    {"/a/{x}/{y}", "/a", NULL},
    {"test://t/{id}", "test://t", NULL},
    /* extra suffix */
    {"test://template/{id}/data", "test://template/123/data/more", NULL},
    {"test://template/{id}/data", "test://template/123/datax", NULL},
    {"test://fixed", "test://fixed2", NULL},
    {"test://fixed", "test://fixe", NULL},
    /* a value never contains '/' */
    {"test://template/{id}/data", "test://template/1/2/data", NULL},
    {"/a/{x}/{y}", "/a/1/2/3", NULL},
    {"test://t/{id}", "test://t/a/b", NULL},
    /* empty values */
    {"test://template/{id}/data", "test://template//data", NULL},
    {"/a/{x}/{y}", "/a/1/", NULL},
    {"/a/{x}/{y}", "/a//2", NULL},
    {"test://t/{id}", "test://t/", NULL},
    /* literal mismatch */
    {"test://template/{id}/data", "test://other/123/data", NULL},
    {"test://template/{id}/data", "TEST://template/123/data", NULL},
    {"test://template/{id}/data", "", NULL},
    /* malformed templates never match */
    {"test://t/{}", "test://t/x", NULL},
    {"test://t/{id", "test://t/x", NULL},
};

static void test_template_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(match_rows); i++) {
        const match_row *r = &match_rows[i];
        json_t *vars = json_object();
        bool ok = bw_uri_template_match(r->tmpl, r->uri, vars);
        if (ok != (r->vars != NULL))
            fail_msg("match(%s, %s) = %s, want %s", r->tmpl, r->uri, ok ? "true" : "false",
                     r->vars ? "true" : "false");
        if (ok) {
            char what[300];
            snprintf(what, sizeof what, "vars of match(%s, %s)", r->tmpl, r->uri);
            assert_json(vars, JSON_SORT_KEYS, r->vars, what);
        }
        json_decref(vars);
    }
}

static void test_template_long_variable_name(void **state)
{
    (void)state;
    /* names up to 127 bytes work; longer ones are refused rather than overflowing */
    char tmpl[400], name[200];
    memset(name, 'n', 127);
    name[127] = '\0';
    snprintf(tmpl, sizeof tmpl, "x://{%s}", name);
    json_t *vars = json_object();
    assert_true(bw_uri_template_match(tmpl, "x://v", vars));
    assert_string_equal(json_string_value(json_object_get(vars, name)), "v");
    json_object_clear(vars);
    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(tmpl, sizeof tmpl, "x://{%s}", name);
    assert_false(bw_uri_template_match(tmpl, "x://v", vars));
    json_decref(vars);
}

/* ---- add / get / remove ---- */

static void test_add_get_remove(void **state)
{
    (void)state;
    bw_registry r;
    bw_registry_init(&r);
    bw_entry *a = entry("a", NULL);
    assert_int_equal(bw_registry_add(&r, BW_KIND_TOOL, a), BW_OK);
    assert_int_equal(bw_registry_add(&r, BW_KIND_TOOL, entry("b", NULL)), BW_OK);
    assert_int_equal(bw_registry_count(&r, BW_KIND_TOOL), 2);
    assert_int_equal(bw_registry_count(&r, BW_KIND_PROMPT), 0);

    bw_entry *got = bw_registry_get(&r, BW_KIND_TOOL, "a");
    assert_ptr_equal(got, a);
    assert_int_equal(atomic_load(&got->refs), 2);
    bw_entry_unref(got);
    assert_int_equal(atomic_load(&a->refs), 1);

    assert_null(bw_registry_get(&r, BW_KIND_TOOL, "c"));
    assert_null(bw_registry_get(&r, BW_KIND_TOOL, "A")); /* keys are case-sensitive */
    assert_null(bw_registry_get(&r, BW_KIND_TOOL, ""));
    /* kinds are separate namespaces */
    assert_null(bw_registry_get(&r, BW_KIND_PROMPT, "a"));
    assert_int_equal(bw_registry_add(&r, BW_KIND_PROMPT, entry("a", NULL)), BW_OK);
    got = bw_registry_get(&r, BW_KIND_PROMPT, "a");
    assert_non_null(got);
    assert_ptr_not_equal(got, a);
    bw_entry_unref(got);

    /* a duplicate is refused and freed (ownership was taken: ASan would report a leak) */
    assert_int_equal(bw_registry_add(&r, BW_KIND_TOOL, entry("a", "{\"name\":\"a\",\"dup\":true}")), BW_E_EXISTS);
    assert_int_equal(bw_registry_count(&r, BW_KIND_TOOL), 2);
    got = bw_registry_get(&r, BW_KIND_TOOL, "a");
    assert_ptr_equal(got, a); /* the original stays */
    assert_null(json_object_get(got->listing, "dup"));
    bw_entry_unref(got);

    assert_int_equal(bw_registry_remove(&r, BW_KIND_TOOL, "a"), BW_OK);
    assert_null(bw_registry_get(&r, BW_KIND_TOOL, "a"));
    assert_int_equal(bw_registry_count(&r, BW_KIND_TOOL), 1);
    assert_int_equal(bw_registry_remove(&r, BW_KIND_TOOL, "a"), BW_E_NOT_FOUND);
    assert_int_equal(bw_registry_remove(&r, BW_KIND_RESOURCE, "b"), BW_E_NOT_FOUND);
    assert_int_equal(bw_registry_count(&r, BW_KIND_TOOL), 1);
    /* the prompt of the same name is untouched */
    assert_int_equal(bw_registry_count(&r, BW_KIND_PROMPT), 1);

    /* re-adding after removal works */
    assert_int_equal(bw_registry_add(&r, BW_KIND_TOOL, entry("a", NULL)), BW_OK);
    assert_int_equal(bw_registry_count(&r, BW_KIND_TOOL), 2);
    bw_registry_destroy(&r);
}

static void test_removed_entry_outlives_reference(void **state)
{
    (void)state;
    bw_registry r;
    bw_registry_init(&r);
    assert_int_equal(bw_registry_add(&r, BW_KIND_RESOURCE, entry("test://r", "{\"uri\":\"test://r\"}")), BW_OK);
    bw_entry *held = bw_registry_get(&r, BW_KIND_RESOURCE, "test://r");
    assert_non_null(held);
    assert_int_equal(bw_registry_remove(&r, BW_KIND_RESOURCE, "test://r"), BW_OK);
    /* still usable: the registry dropped only its own reference */
    assert_int_equal(atomic_load(&held->refs), 1);
    assert_string_equal(held->key, "test://r");
    assert_json(held->listing, 0, "{\"uri\":\"test://r\"}", "held listing");
    bw_entry_unref(held);
    bw_entry_unref(NULL); /* no-op */
    bw_registry_destroy(&r);
}

static void test_many_entries_grow(void **state)
{
    (void)state;
    bw_registry r;
    bw_registry_init(&r);
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(bw_registry_add(&r, BW_KIND_PROMPT, entry(key, NULL)), BW_OK);
    }
    assert_int_equal(bw_registry_count(&r, BW_KIND_PROMPT), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        bw_entry *e = bw_registry_get(&r, BW_KIND_PROMPT, key);
        assert_non_null(e);
        assert_string_equal(e->key, key);
        bw_entry_unref(e);
    }
    bw_registry_destroy(&r);
}

/* ---- listing pages ---- */

static void list_names(bw_registry *r, size_t offset, size_t limit, size_t want_total, const char *want)
{
    json_t *arr = json_array();
    size_t total = bw_registry_list(r, BW_KIND_TOOL, BW_REV_2025_11_25, offset, limit, arr);
    if (total != want_total)
        fail_msg("list(%zu, %zu): total %zu, want %zu", offset, limit, total, want_total);
    char names[512] = "";
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item) {
        if (i)
            strcat(names, ",");
        strcat(names, json_string_value(json_object_get(item, "name")));
    }
    if (strcmp(names, want) != 0)
        fail_msg("list(%zu, %zu): [%s], want [%s]", offset, limit, names, want);
    json_decref(arr);
}

static void test_list_paging(void **state)
{
    (void)state;
    bw_registry r;
    bw_registry_init(&r);
    list_names(&r, 0, 50, 0, "");
    char key[16];
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof key, "t%d", i);
        assert_int_equal(bw_registry_add(&r, BW_KIND_TOOL, entry(key, NULL)), BW_OK);
    }
    list_names(&r, 0, 3, 7, "t0,t1,t2");
    list_names(&r, 3, 3, 7, "t3,t4,t5");
    list_names(&r, 6, 3, 7, "t6");
    list_names(&r, 7, 3, 7, "");
    list_names(&r, 100, 3, 7, "");
    list_names(&r, SIZE_MAX, SIZE_MAX, 7, "");
    list_names(&r, 0, 0, 7, "");
    list_names(&r, 0, 1, 7, "t0");
    list_names(&r, 2, SIZE_MAX, 7, "t2,t3,t4,t5,t6");
    list_names(&r, 0, 7, 7, "t0,t1,t2,t3,t4,t5,t6");
    /* removal keeps the order of the rest */
    assert_int_equal(bw_registry_remove(&r, BW_KIND_TOOL, "t1"), BW_OK);
    assert_int_equal(bw_registry_remove(&r, BW_KIND_TOOL, "t6"), BW_OK);
    list_names(&r, 0, 50, 5, "t0,t2,t3,t4,t5");
    list_names(&r, 4, 50, 5, "t5");

    /* appends to what the array holds; the items are copies of the listings */
    json_t *arr = json_pack("[s]", "already");
    assert_int_equal(bw_registry_list(&r, BW_KIND_TOOL, BW_REV_2025_11_25, 0, 2, arr), 5);
    assert_json(arr, 0, "[\"already\",{\"name\":\"t0\"},{\"name\":\"t2\"}]", "appended page");
    json_object_set_new(json_array_get(arr, 1), "name", json_string("mutated"));
    json_decref(arr);
    list_names(&r, 0, 1, 5, "t0");
    bw_registry_destroy(&r);
}

static void test_match_template_lookup(void **state)
{
    (void)state;
    bw_registry r;
    bw_registry_init(&r);
    bw_entry *a = entry("test://a/{x}", NULL);
    bw_entry *b = entry("test://b/{y}/z", NULL);
    assert_int_equal(bw_registry_add(&r, BW_KIND_TEMPLATE, a), BW_OK);
    assert_int_equal(bw_registry_add(&r, BW_KIND_TEMPLATE, b), BW_OK);
    /* a concrete resource with a matching-looking key is not a template */
    assert_int_equal(bw_registry_add(&r, BW_KIND_RESOURCE, entry("test://c/{w}", NULL)), BW_OK);

    json_t *vars = NULL;
    bw_entry *got = bw_registry_match_template(&r, "test://b/q/z", &vars);
    assert_ptr_equal(got, b);
    assert_int_equal(atomic_load(&b->refs), 2);
    assert_json(vars, JSON_SORT_KEYS, "{\"y\":\"q\"}", "vars for b");
    json_decref(vars);
    bw_entry_unref(got);

    vars = NULL;
    got = bw_registry_match_template(&r, "test://a/1", &vars);
    assert_ptr_equal(got, a);
    /* vars hold only the winning template's variables, never leftovers of earlier attempts */
    assert_json(vars, JSON_SORT_KEYS, "{\"x\":\"1\"}", "vars for a");
    json_decref(vars);
    bw_entry_unref(got);

    json_t *untouched = (json_t *)&untouched;
    vars = untouched;
    assert_null(bw_registry_match_template(&r, "test://b/q", &vars));
    assert_ptr_equal(vars, untouched);
    assert_null(bw_registry_match_template(&r, "test://c/1", &vars));
    assert_null(bw_registry_match_template(&r, "test://a/1/2", &vars));
    assert_ptr_equal(vars, untouched);
    bw_registry_destroy(&r);
}

/* ---- revision shaping ---- */

#define TOOL_LISTING                                                                                                \
    "{\"name\":\"t\",\"title\":\"T\",\"description\":\"d\",\"inputSchema\":{\"type\":\"object\"},"                 \
    "\"outputSchema\":{\"type\":\"object\"},\"annotations\":{\"readOnlyHint\":true},\"icons\":[{\"src\":\"i\"}],"   \
    "\"_meta\":{\"k\":1}}"
#define RESOURCE_LISTING                                                                                            \
    "{\"uri\":\"test://r\",\"name\":\"r\",\"title\":\"R\",\"mimeType\":\"text/plain\","                             \
    "\"annotations\":{\"priority\":1},\"icons\":[{\"src\":\"i\"}]}"

typedef struct {
    bw_kind kind;
    const char *key;
    const char *listing;
    bw_revision rev;
    const char *want;
} shape_row;

static const shape_row shape_rows[] = {
    {BW_KIND_TOOL, "t", TOOL_LISTING, BW_REV_2024_11_05,
     "{\"name\":\"t\",\"description\":\"d\",\"inputSchema\":{\"type\":\"object\"},\"_meta\":{\"k\":1}}"},
    {BW_KIND_TOOL, "t", TOOL_LISTING, BW_REV_2025_03_26,
     "{\"name\":\"t\",\"description\":\"d\",\"inputSchema\":{\"type\":\"object\"},\"annotations\":{\"readOnlyHint\":"
     "true},\"_meta\":{\"k\":1}}"},
    {BW_KIND_TOOL, "t", TOOL_LISTING, BW_REV_2025_06_18,
     "{\"name\":\"t\",\"title\":\"T\",\"description\":\"d\",\"inputSchema\":{\"type\":\"object\"},\"outputSchema\":{"
     "\"type\":\"object\"},\"annotations\":{\"readOnlyHint\":true},\"_meta\":{\"k\":1}}"},
    {BW_KIND_TOOL, "t", TOOL_LISTING, BW_REV_2025_11_25, TOOL_LISTING},
    /* resources had annotations from 2024-11-05 on */
    {BW_KIND_RESOURCE, "test://r", RESOURCE_LISTING, BW_REV_2024_11_05,
     "{\"uri\":\"test://r\",\"name\":\"r\",\"mimeType\":\"text/plain\",\"annotations\":{\"priority\":1}}"},
    {BW_KIND_RESOURCE, "test://r", RESOURCE_LISTING, BW_REV_2025_06_18,
     "{\"uri\":\"test://r\",\"name\":\"r\",\"title\":\"R\",\"mimeType\":\"text/plain\",\"annotations\":{\"priority\":"
     "1}}"},
    {BW_KIND_RESOURCE, "test://r", RESOURCE_LISTING, BW_REV_2025_11_25, RESOURCE_LISTING},
    {BW_KIND_PROMPT, "p", "{\"name\":\"p\",\"title\":\"P\",\"icons\":[],\"arguments\":[{\"name\":\"a\"}]}",
     BW_REV_2024_11_05, "{\"name\":\"p\",\"arguments\":[{\"name\":\"a\"}]}"},
    {BW_KIND_PROMPT, "p", "{\"name\":\"p\",\"title\":\"P\",\"icons\":[],\"arguments\":[{\"name\":\"a\"}]}",
     BW_REV_2025_11_25, "{\"name\":\"p\",\"title\":\"P\",\"icons\":[],\"arguments\":[{\"name\":\"a\"}]}"},
};

static void test_revision_shaping(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(shape_rows); i++) {
        const shape_row *s = &shape_rows[i];
        bw_registry r;
        bw_registry_init(&r);
        assert_int_equal(bw_registry_add(&r, s->kind, entry(s->key, s->listing)), BW_OK);
        json_t *arr = json_array();
        assert_int_equal(bw_registry_list(&r, s->kind, s->rev, 0, 10, arr), 1);
        assert_int_equal(json_array_size(arr), 1);
        char what[64];
        snprintf(what, sizeof what, "row %zu (%s)", i, bw_revision_str(s->rev));
        assert_json(json_array_get(arr, 0), 0, s->want, what);
        json_decref(arr);
        /* shaping never changes the stored listing */
        bw_entry *e = bw_registry_get(&r, s->kind, s->key);
        assert_json(e->listing, 0, s->listing, "stored listing");
        bw_entry_unref(e);
        bw_registry_destroy(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_match_table),
        cmocka_unit_test(test_template_long_variable_name),
        cmocka_unit_test(test_add_get_remove),
        cmocka_unit_test(test_removed_entry_outlives_reference),
        cmocka_unit_test(test_many_entries_grow),
        cmocka_unit_test(test_list_paging),
        cmocka_unit_test(test_match_template_lookup),
        cmocka_unit_test(test_revision_shaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
