/* Unit tests for src/reliability/result_cache.c: canonical JSON, fresh and stale lookups by the time passed in,
 * expiry, key equality across key orders, byte accounting and LRU eviction order, the size cap of one entry,
 * copies in and out, forget_tool, table growth, and 4 threads sharing one cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reliability/result_cache.h"

#define T0 INT64_C(1000000)

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

static bw_result_cache *make(size_t max_bytes)
{
    bw_result_cache *c = bw_result_cache_new(max_bytes);
    assert_non_null(c);
    return c;
}

static bool put(bw_result_cache *c, const char *tool, const char *args, const char *result, int64_t now, int ttl,
                int stale)
{
    json_t *a = args ? parse(args) : NULL, *r = parse(result);
    bool ok = bw_result_cache_put(c, tool, a, r, now, ttl, stale);
    json_decref(a);
    json_decref(r);
    return ok;
}

/* Looks up and compares with `want` (NULL: a miss); returns the age of a hit. */
static int64_t expect(bw_result_cache *c, const char *tool, const char *args, int64_t now, bw_cache_lookup mode,
                      const char *want)
{
    json_t *a = args ? parse(args) : NULL;
    int64_t age = -1;
    json_t *got = bw_result_cache_get(c, tool, a, now, mode, &age);
    json_decref(a);
    if (!want) {
        if (got)
            fail_msg("%s %s: a hit, want a miss", tool, args ? args : "(none)");
        return -1;
    }
    if (!got)
        fail_msg("%s %s: a miss, want %s", tool, args ? args : "(none)", want);
    json_t *w = parse(want);
    assert_true(json_equal(got, w));
    json_decref(w);
    json_decref(got);
    return age;
}

static void assert_entries(bw_result_cache *c, size_t entries, size_t bytes)
{
    bw_result_cache_stats s = bw_result_cache_stats_of(c);
    assert_int_equal(s.entries, entries);
    assert_int_equal(s.bytes, bytes);
}

static void test_canonical_json(void **state)
{
    (void)state;
    json_t *v = parse("{ \"b\": [1, {\"d\": 1, \"c\": 2.5}], \"a\": \"x\" }");
    char *s = bw_canonical_json(v);
    assert_string_equal(s, "{\"a\":\"x\",\"b\":[1,{\"c\":2.5,\"d\":1}]}");
    free(s);
    json_decref(v);
    v = json_integer(7);
    s = bw_canonical_json(v);
    assert_string_equal(s, "7");
    free(s);
    json_decref(v);
}

static void test_fresh_then_stale_then_gone(void **state)
{
    (void)state;
    bw_result_cache *c = make(0);
    const char *r = "{\"content\":[{\"type\":\"text\",\"text\":\"42\"}]}";
    assert_true(put(c, "lookup", "{\"id\":1}", r, T0, 1000, 5000));
    assert_int_equal(expect(c, "lookup", "{\"id\":1}", T0 + 999, BW_CACHE_FRESH, r), 999);
    expect(c, "lookup", "{\"id\":1}", T0 + 1000, BW_CACHE_FRESH, NULL); /* fresh for exactly ttl_ms */
    assert_int_equal(expect(c, "lookup", "{\"id\":1}", T0 + 1000, BW_CACHE_STALE_ONLY, r), 1000);
    assert_int_equal(expect(c, "lookup", "{\"id\":1}", T0 + 5999, BW_CACHE_STALE_ONLY, r), 5999);
    assert_int_equal(bw_result_cache_stats_of(c).entries, 1); /* a stale entry stays for stale-if-error */
    expect(c, "lookup", "{\"id\":1}", T0 + 6000, BW_CACHE_STALE_ONLY, NULL);
    assert_entries(c, 0, 0); /* an expired entry found by a lookup is dropped */
    bw_result_cache_free(c);
    bw_result_cache_free(NULL);
}

static void test_stale_only_and_useless_entries(void **state)
{
    (void)state;
    bw_result_cache *c = make(0);
    assert_false(put(c, "t", "{}", "1", T0, 0, 0)); /* would never answer */
    assert_false(put(c, "t", "{}", "1", T0, -5, -5));
    assert_true(put(c, "t", "{}", "1", T0, 0, 1000)); /* stale-if-error only */
    expect(c, "t", "{}", T0, BW_CACHE_FRESH, NULL);
    expect(c, "t", "{}", T0, BW_CACHE_STALE_ONLY, "1");
    bw_result_cache_free(c);
}

static void test_key_is_tool_and_canonical_args(void **state)
{
    (void)state;
    bw_result_cache *c = make(0);
    assert_true(put(c, "t", "{\"a\":1,\"b\":{\"y\":2,\"x\":1}}", "\"one\"", T0, 1000, 0));
    expect(c, "t", "{\"b\":{\"x\":1,\"y\":2},\"a\":1}", T0, BW_CACHE_FRESH, "\"one\"");
    expect(c, "t", "{\"a\":1,\"b\":{\"x\":1,\"y\":3}}", T0, BW_CACHE_FRESH, NULL);
    expect(c, "u", "{\"a\":1,\"b\":{\"x\":1,\"y\":2}}", T0, BW_CACHE_FRESH, NULL);
    /* no arguments and {} are the same call */
    assert_true(put(c, "t", NULL, "\"none\"", T0, 1000, 0));
    expect(c, "t", "{}", T0, BW_CACHE_FRESH, "\"none\"");
    /* a second put of the same key replaces the first */
    assert_true(put(c, "t", "{}", "\"two\"", T0, 1000, 0));
    expect(c, "t", NULL, T0, BW_CACHE_FRESH, "\"two\"");
    assert_int_equal(bw_result_cache_stats_of(c).entries, 2);
    bw_result_cache_free(c);
}

/* Entries of exactly ENTRY bytes: key "t\0{"k":"<letter>"}" (11) + result {"v":"<61 x>"} (69). */
#define ENTRY 80
static void put_sized(bw_result_cache *c, char letter, int64_t now)
{
    char args[16], result[128];
    snprintf(args, sizeof args, "{\"k\":\"%c\"}", letter);
    snprintf(result, sizeof result, "{\"v\":\"%061d\"}", 0);
    assert_true(put(c, "t", args, result, now, 100000, 0));
}

static bool has(bw_result_cache *c, char letter)
{
    char args[16];
    snprintf(args, sizeof args, "{\"k\":\"%c\"}", letter);
    json_t *a = parse(args), *got = bw_result_cache_get(c, "t", a, T0, BW_CACHE_FRESH, NULL);
    json_decref(a);
    json_decref(got);
    return got != NULL;
}

static void test_lru_eviction_order(void **state)
{
    (void)state;
    bw_result_cache *c = make(10 * ENTRY);
    for (char l = 'a'; l < 'a' + 10; l++)
        put_sized(c, l, T0);
    assert_entries(c, 10, 10 * ENTRY); /* bytes are key + serialized result */
    assert_true(has(c, 'a'));           /* a hit makes 'a' the newest: 'b' is now the oldest */
    put_sized(c, 'k', T0);
    assert_entries(c, 10, 10 * ENTRY);
    assert_false(has(c, 'b'));
    put_sized(c, 'l', T0);
    assert_false(has(c, 'c'));
    assert_true(has(c, 'a'));
    assert_true(has(c, 'd'));
    assert_true(has(c, 'l'));
    bw_result_cache_stats s = bw_result_cache_stats_of(c);
    assert_int_equal(s.evictions, 2);
    assert_int_equal(s.max_bytes, 10 * ENTRY);
    bw_result_cache_free(c);
}

static void test_entry_over_an_eighth_refused(void **state)
{
    (void)state;
    bw_result_cache *c = make(8 * ENTRY); /* entries up to ENTRY bytes */
    put_sized(c, 'a', T0);
    char big[256];
    snprintf(big, sizeof big, "{\"v\":\"%062d\"}", 0); /* one byte over */
    assert_false(put(c, "t", "{\"k\":\"b\"}", big, T0, 1000, 0));
    assert_entries(c, 1, ENTRY);
    bw_result_cache_free(c);
    c = make(0); /* 0: the 64 MiB default */
    assert_int_equal(bw_result_cache_stats_of(c).max_bytes, 64u * 1024 * 1024);
    bw_result_cache_free(c);
}

static void test_values_are_copies(void **state)
{
    (void)state;
    bw_result_cache *c = make(0);
    json_t *args = parse("{\"q\":1}"), *result = parse("{\"content\":[],\"n\":1}");
    assert_true(bw_result_cache_put(c, "t", args, result, T0, 1000, 0));
    json_object_set_new(result, "n", json_integer(2)); /* the caller's object is not the cache's */
    json_t *got = bw_result_cache_get(c, "t", args, T0, BW_CACHE_FRESH, NULL);
    assert_non_null(got);
    json_object_set_new(got, "n", json_integer(3)); /* nor is a returned one */
    json_decref(got);
    expect(c, "t", "{\"q\":1}", T0, BW_CACHE_FRESH, "{\"content\":[],\"n\":1}");
    /* strings with an embedded NUL come back intact */
    json_t *nul = json_pack("{s:s%}", "s", "a\0b", (size_t)3);
    assert_true(bw_result_cache_put(c, "nul", NULL, nul, T0, 1000, 0));
    got = bw_result_cache_get(c, "nul", NULL, T0, BW_CACHE_FRESH, NULL);
    assert_non_null(got);
    assert_true(json_equal(got, nul));
    json_decref(got);
    json_decref(nul);
    json_decref(args);
    json_decref(result);
    bw_result_cache_free(c);
}

static void test_forget_tool(void **state)
{
    (void)state;
    bw_result_cache *c = make(0);
    assert_true(put(c, "t", "{\"a\":1}", "1", T0, 1000, 0));
    assert_true(put(c, "t", "{\"a\":2}", "2", T0, 1000, 0));
    assert_true(put(c, "tt", "{\"a\":1}", "3", T0, 1000, 0)); /* "t" is a prefix of its name, not its name */
    assert_true(put(c, "u", "{\"a\":1}", "4", T0, 1000, 0));
    bw_result_cache_forget_tool(c, "t");
    assert_int_equal(bw_result_cache_stats_of(c).entries, 2);
    expect(c, "t", "{\"a\":1}", T0, BW_CACHE_FRESH, NULL);
    expect(c, "t", "{\"a\":2}", T0, BW_CACHE_FRESH, NULL);
    expect(c, "tt", "{\"a\":1}", T0, BW_CACHE_FRESH, "3");
    expect(c, "u", "{\"a\":1}", T0, BW_CACHE_FRESH, "4");
    bw_result_cache_forget_tool(c, "nothing");
    assert_int_equal(bw_result_cache_stats_of(c).entries, 2);
    bw_result_cache_free(c);
}

/* Enough entries to grow the hash table several times; all stay reachable. */
static void test_many_entries(void **state)
{
    (void)state;
    bw_result_cache *c = make(0);
    enum { N = 2000 };
    for (int i = 0; i < N; i++) {
        json_t *a = json_pack("{s:i}", "i", i), *r = json_pack("{s:i}", "r", i * 3);
        assert_true(bw_result_cache_put(c, "t", a, r, T0, 1000, 0));
        json_decref(a);
        json_decref(r);
    }
    assert_int_equal(bw_result_cache_stats_of(c).entries, N);
    for (int i = 0; i < N; i++) {
        json_t *a = json_pack("{s:i}", "i", i), *r = bw_result_cache_get(c, "t", a, T0, BW_CACHE_FRESH, NULL);
        assert_non_null(r);
        assert_int_equal(json_integer_value(json_object_get(r, "r")), i * 3);
        json_decref(a);
        json_decref(r);
    }
    bw_result_cache_free(c);
}

/* ---- 4 threads ---- */

#define THREADS 4
#define ROUNDS 3000
#define KEYS 64

typedef struct {
    bw_result_cache *c;
    int id;
    int wrong; /* hits whose value did not belong to the key */
    int hits;
} hammer_arg;

static void *hammer_main(void *arg)
{
    hammer_arg *h = arg;
    for (int i = 0; i < ROUNDS; i++) {
        int k = (i * 7 + h->id * 13) % KEYS;
        json_t *a = json_pack("{s:i}", "k", k);
        if (!a)
            continue;
        if (i % 3 == 0) {
            json_t *r = json_pack("{s:i,s:i}", "k", k, "by", h->id);
            if (r)
                bw_result_cache_put(h->c, "t", a, r, T0 + i, 1000000, 0);
            json_decref(r);
        } else if (i % 97 == 0) {
            bw_result_cache_forget_tool(h->c, "t");
        } else {
            json_t *r = bw_result_cache_get(h->c, "t", a, T0 + i, BW_CACHE_FRESH, NULL);
            if (r) {
                h->hits++;
                h->wrong += json_integer_value(json_object_get(r, "k")) != k;
            }
            json_decref(r);
        }
        json_decref(a);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    bw_result_cache *c = make(600); /* ~25 entries of ~24 bytes for 64 keys: constant eviction */
    pthread_t t[THREADS];
    hammer_arg h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (hammer_arg){.c = c, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
    }
    int hits = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(h[i].wrong, 0);
        hits += h[i].hits;
    }
    assert_true(hits > 0);
    bw_result_cache_stats s = bw_result_cache_stats_of(c);
    assert_true(s.bytes <= s.max_bytes);
    assert_true(s.evictions > 0);
    bw_result_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_json),
        cmocka_unit_test(test_fresh_then_stale_then_gone),
        cmocka_unit_test(test_stale_only_and_useless_entries),
        cmocka_unit_test(test_key_is_tool_and_canonical_args),
        cmocka_unit_test(test_lru_eviction_order),
        cmocka_unit_test(test_entry_over_an_eighth_refused),
        cmocka_unit_test(test_values_are_copies),
        cmocka_unit_test(test_forget_tool),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
