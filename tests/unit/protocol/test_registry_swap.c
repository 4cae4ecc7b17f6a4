/* Unit tests for src/protocol/registry_swap.c: the whole-registry exchange used by hot reload (every kind moves,
 * held references stay valid, readers never see a gap), listing comparison, and the idle check that decides when a
 * retired registry's providers may be freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/registry.h"

static bw_entry *entry(const char *key, const char *version)
{
    bw_entry *e = bw_entry_new(key);
    assert_non_null(e);
    e->listing = json_pack("{s:s,s:s}", "name", key, "description", version);
    assert_non_null(e->listing);
    return e;
}

static void add(bw_registry *r, bw_kind k, const char *key, const char *version)
{
    assert_int_equal(bw_registry_add(r, k, entry(key, version)), BW_OK);
}

static const char *description(bw_registry *r, bw_kind k, const char *key)
{
    static char buf[64];
    bw_entry *e = bw_registry_get(r, k, key);
    if (!e)
        return NULL;
    snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(e->listing, "description")));
    bw_entry_unref(e);
    return buf;
}

/* Every kind moves both ways; an entry held across the swap stays valid and belongs to the other side. */
static void test_swap_exchanges_every_kind(void **state)
{
    (void)state;
    bw_registry live, staged;
    bw_registry_init(&live);
    bw_registry_init(&staged);
    add(&live, BW_KIND_TOOL, "kept", "old");
    add(&live, BW_KIND_TOOL, "removed", "old");
    add(&live, BW_KIND_PROMPT, "p", "old");
    add(&staged, BW_KIND_TOOL, "kept", "new");
    add(&staged, BW_KIND_TOOL, "added", "new");
    add(&staged, BW_KIND_RESOURCE, "file:///a", "new");
    add(&staged, BW_KIND_TEMPLATE, "file:///{x}", "new");
    bw_entry *held = bw_registry_get(&live, BW_KIND_TOOL, "kept");

    bw_registry_swap(&live, &staged);

    assert_string_equal(description(&live, BW_KIND_TOOL, "kept"), "new");
    assert_string_equal(description(&live, BW_KIND_TOOL, "added"), "new");
    assert_null(description(&live, BW_KIND_TOOL, "removed"));
    assert_int_equal(bw_registry_count(&live, BW_KIND_PROMPT), 0);
    assert_int_equal(bw_registry_count(&live, BW_KIND_RESOURCE), 1);
    assert_int_equal(bw_registry_count(&live, BW_KIND_TEMPLATE), 1);
    assert_string_equal(description(&staged, BW_KIND_TOOL, "removed"), "old");
    assert_int_equal(bw_registry_count(&staged, BW_KIND_PROMPT), 1);
    assert_int_equal(bw_registry_count(&staged, BW_KIND_RESOURCE), 0);
    assert_string_equal(json_string_value(json_object_get(held->listing, "description")), "old");
    assert_int_equal(atomic_load(&held->refs), 2); /* the staged registry's and ours */

    /* Adding after a swap still works on both sides (capacities moved with the arrays). */
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "t%d", i);
        add(&live, BW_KIND_TOOL, key, "new");
        add(&staged, BW_KIND_TOOL, key, "old");
    }
    assert_int_equal(bw_registry_count(&live, BW_KIND_TOOL), 42);
    assert_int_equal(bw_registry_count(&staged, BW_KIND_TOOL), 42);
    bw_registry_swap(&live, &live); /* a no-op, not a deadlock */
    bw_registry_destroy(&staged);
    assert_int_equal(atomic_load(&held->refs), 1);
    bw_entry_unref(held);
    bw_registry_destroy(&live);
}

static void test_same_listings(void **state)
{
    (void)state;
    bw_registry a, b;
    bw_registry_init(&a);
    bw_registry_init(&b);
    assert_true(bw_registry_same_listings(&a, &b, BW_KIND_TOOL));
    add(&a, BW_KIND_TOOL, "x", "1");
    add(&a, BW_KIND_TOOL, "y", "1");
    add(&b, BW_KIND_TOOL, "x", "1");
    assert_false(bw_registry_same_listings(&a, &b, BW_KIND_TOOL)); /* one missing */
    add(&b, BW_KIND_TOOL, "y", "2");
    assert_false(bw_registry_same_listings(&a, &b, BW_KIND_TOOL)); /* one changed */
    assert_int_equal(bw_registry_remove(&b, BW_KIND_TOOL, "y"), BW_OK);
    add(&b, BW_KIND_TOOL, "y", "1");
    assert_true(bw_registry_same_listings(&a, &b, BW_KIND_TOOL));
    assert_true(bw_registry_same_listings(&a, &b, BW_KIND_PROMPT)); /* other kinds: both empty */
    add(&b, BW_KIND_PROMPT, "p", "1");
    assert_false(bw_registry_same_listings(&a, &b, BW_KIND_PROMPT));
    bw_registry_destroy(&a);
    bw_registry_destroy(&b);
}

static void test_idle_follows_references(void **state)
{
    (void)state;
    bw_registry r;
    bw_registry_init(&r);
    assert_true(bw_registry_idle(&r));
    add(&r, BW_KIND_TOOL, "a", "1");
    add(&r, BW_KIND_PROMPT, "p", "1");
    assert_true(bw_registry_idle(&r));
    bw_entry *in_flight = bw_registry_get(&r, BW_KIND_PROMPT, "p");
    assert_false(bw_registry_idle(&r));
    bw_entry_unref(in_flight);
    assert_true(bw_registry_idle(&r));
    bw_registry_destroy(&r);
}

/* Readers look up a tool both configurations have while the lists are swapped back and forth: not one lookup
 * may miss it (a remove-then-add replacement would). Bounded: a fixed number of swaps. */
typedef struct race {
    bw_registry *live;
    atomic_bool stop;
    atomic_long lookups, misses;
} race;

static void *reader(void *arg)
{
    race *rc = arg;
    while (!atomic_load(&rc->stop)) {
        bw_entry *e = bw_registry_get(rc->live, BW_KIND_TOOL, "both");
        if (!e)
            atomic_fetch_add(&rc->misses, 1);
        bw_entry_unref(e);
        atomic_fetch_add(&rc->lookups, 1);
    }
    return NULL;
}

static void test_readers_never_see_a_gap(void **state)
{
    (void)state;
    bw_registry live, staged;
    bw_registry_init(&live);
    bw_registry_init(&staged);
    add(&live, BW_KIND_TOOL, "only_old", "old");
    add(&live, BW_KIND_TOOL, "both", "old");
    add(&staged, BW_KIND_TOOL, "both", "new");
    race rc = {.live = &live};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &rc), 0);
    /* At least 20,000 swaps, and on until the readers looked up 1,000 times while swaps ran (a loaded machine may
     * not schedule them at once); pairs of swaps, bounded by 10 s. */
    time_t give_up = time(NULL) + 10;
    for (int i = 0; i < 10000 || (atomic_load(&rc.lookups) < 1000 && time(NULL) < give_up); i++) {
        bw_registry_swap(&live, &staged);
        bw_registry_swap(&live, &staged);
    }
    atomic_store(&rc.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&rc.misses), 0);
    assert_true(atomic_load(&rc.lookups) >= 1000);
    assert_string_equal(description(&live, BW_KIND_TOOL, "both"), "old"); /* an even number of swaps */
    bw_registry_destroy(&live);
    bw_registry_destroy(&staged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swap_exchanges_every_kind),
        cmocka_unit_test(test_same_listings),
        cmocka_unit_test(test_idle_follows_references),
        cmocka_unit_test(test_readers_never_see_a_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
