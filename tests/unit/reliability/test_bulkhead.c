/* Unit tests for src/reliability/bulkhead.c: holders up to max_concurrent, excess refused at once, FIFO admission of
 * waiters as slots free, the queue timeout and the caller's deadline, cancellation while queued, raising the limit
 * admitting waiters, the unlimited bulkhead, and 4 threads never exceeding the limit.
 *
 * Ordering is made deterministic by waiting (bounded by WAIT_MS) until the stats show a thread queued before the next
 * step; no sleep decides an outcome. Elapsed-time checks are one-sided lower bounds, plus "well under the queue
 * timeout" upper bounds with a margin of seconds for a loaded 2-core machine under ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/clock.h"
#include "reliability/bulkhead.h"

#define WAIT_MS 10000

static bw_bulkhead *make(bw_bulkhead_policy cfg)
{
    bw_bulkhead *b = bw_bulkhead_new(&cfg);
    assert_non_null(b);
    return b;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until `queued` waiters are in the queue. */
static void wait_queued(bw_bulkhead *b, int queued)
{
    int64_t until = bw_clock_ms() + WAIT_MS;
    while (bw_bulkhead_stats_of(b).queued != queued) {
        if (bw_clock_ms() > until)
            fail_msg("never saw %d queued (have %d)", queued, bw_bulkhead_stats_of(b).queued);
        sleep_ms(2);
    }
}

/* A thread that asks for a slot and, when it gets one, keeps it (the test releases it) and notes its turn. */
typedef struct client {
    pthread_t thread;
    bw_bulkhead *b;
    int64_t deadline_ms;
    atomic_bool *cancel; /* NULL: no cancellation callback */
    atomic_int *turns;   /* shared admission counter */
    bw_status st;
    int turn;            /* 0-based admission order, -1 if not admitted */
    int64_t waited_ms;
} client;

static bool is_cancelled(void *ctx)
{
    return atomic_load((atomic_bool *)ctx);
}

static void *client_main(void *arg)
{
    client *c = arg;
    int64_t start = bw_clock_ms();
    c->st = bw_bulkhead_acquire(c->b, c->deadline_ms, c->cancel ? is_cancelled : NULL, c->cancel);
    c->waited_ms = bw_clock_ms() - start;
    c->turn = c->st == BW_OK ? atomic_fetch_add(c->turns, 1) : -1;
    return NULL;
}

static void client_start(client *c, bw_bulkhead *b, atomic_int *turns, atomic_bool *cancel)
{
    *c = (client){.b = b, .deadline_ms = bw_clock_ms() + 60000, .cancel = cancel, .turns = turns, .turn = -1};
    assert_int_equal(pthread_create(&c->thread, NULL, client_main, c), 0);
}

static void client_join(client *c)
{
    assert_int_equal(pthread_join(c->thread, NULL), 0);
}

static void assert_stats(bw_bulkhead *b, int running, int queued, uint64_t rejections)
{
    bw_bulkhead_stats s = bw_bulkhead_stats_of(b);
    assert_int_equal(s.running, running);
    assert_int_equal(s.queued, queued);
    assert_int_equal(s.rejections, rejections);
}

static void test_excess_refused_at_once(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){.max_concurrent = 2, .max_queue = 0, .queue_timeout_ms = 5000});
    int64_t far = bw_clock_ms() + 60000;
    assert_int_equal(bw_bulkhead_acquire(b, far, NULL, NULL), BW_OK);
    assert_int_equal(bw_bulkhead_acquire(b, far, NULL, NULL), BW_OK);
    int64_t start = bw_clock_ms();
    assert_int_equal(bw_bulkhead_acquire(b, far, NULL, NULL), BW_E_OVERLOADED);
    assert_true(bw_clock_ms() - start < 2500); /* refused at once, not after the 5 s queue timeout */
    assert_stats(b, 2, 0, 1);
    bw_bulkhead_release(b);
    assert_int_equal(bw_bulkhead_acquire(b, far, NULL, NULL), BW_OK);
    bw_bulkhead_release(b);
    bw_bulkhead_release(b);
    assert_stats(b, 0, 0, 1);
    bw_bulkhead_free(b);
    bw_bulkhead_free(NULL);
}

static void test_fifo_as_slots_free(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){.max_concurrent = 1, .max_queue = 3, .queue_timeout_ms = WAIT_MS});
    atomic_int turns = 0;
    client c[3];
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_OK);
    for (int i = 0; i < 3; i++) {
        client_start(&c[i], b, &turns, NULL);
        wait_queued(b, i + 1);
    }
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_E_OVERLOADED); /* queue full */
    assert_stats(b, 1, 3, 1);
    for (int i = 0; i < 3; i++) {
        bw_bulkhead_release(b); /* hands the slot to the oldest waiter */
        client_join(&c[i]);
        assert_int_equal(c[i].st, BW_OK);
        assert_int_equal(c[i].turn, i);
        assert_stats(b, 1, 2 - i, 1);
    }
    bw_bulkhead_release(b);
    assert_stats(b, 0, 0, 1);
    bw_bulkhead_free(b);
}

static void test_queue_timeout_and_deadline(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){.max_concurrent = 1, .max_queue = 1, .queue_timeout_ms = 200});
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_OK);
    int64_t start = bw_clock_ms();
    assert_int_equal(bw_bulkhead_acquire(b, start + 60000, NULL, NULL), BW_E_TIMEOUT);
    assert_true(bw_clock_ms() - start >= 200);
    assert_stats(b, 1, 0, 1);

    /* The caller's deadline cuts a longer queue timeout short. */
    bw_bulkhead_configure(b, &(bw_bulkhead_policy){.max_concurrent = 1, .max_queue = 1, .queue_timeout_ms = 60000});
    start = bw_clock_ms();
    assert_int_equal(bw_bulkhead_acquire(b, start + 150, NULL, NULL), BW_E_TIMEOUT);
    int64_t waited = bw_clock_ms() - start;
    assert_true(waited >= 150 && waited < 30000);
    assert_stats(b, 1, 0, 2);

    /* A deadline already past still gets a free slot: the deadline bounds waiting, not admission. */
    bw_bulkhead_release(b);
    assert_int_equal(bw_bulkhead_acquire(b, start - 1, NULL, NULL), BW_OK);
    bw_bulkhead_release(b);
    bw_bulkhead_free(b);
}

static void test_cancel_leaves_queue(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){.max_concurrent = 1, .max_queue = 2, .queue_timeout_ms = 60000});
    atomic_int turns = 0;
    atomic_bool cancel = false;
    client c;
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_OK);
    client_start(&c, b, &turns, &cancel);
    wait_queued(b, 1);
    atomic_store(&cancel, true);
    client_join(&c);
    assert_int_equal(c.st, BW_E_CANCELLED);
    assert_true(c.waited_ms < 30000); /* polled, not left until the 60 s queue timeout */
    assert_stats(b, 1, 0, 0);         /* a cancellation is not a rejection */
    bw_bulkhead_release(b);
    assert_stats(b, 0, 0, 0); /* the cancelled waiter did not take the freed slot */
    bw_bulkhead_free(b);
}

static void test_raising_limit_admits_waiters(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){.max_concurrent = 1, .max_queue = 2, .queue_timeout_ms = WAIT_MS});
    atomic_int turns = 0;
    client c[2];
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_OK);
    client_start(&c[0], b, &turns, NULL);
    wait_queued(b, 1);
    client_start(&c[1], b, &turns, NULL);
    wait_queued(b, 2);
    bw_bulkhead_configure(b, &(bw_bulkhead_policy){.max_concurrent = 3, .max_queue = 2, .queue_timeout_ms = WAIT_MS});
    for (int i = 0; i < 2; i++) {
        client_join(&c[i]);
        assert_int_equal(c[i].st, BW_OK);
    }
    assert_stats(b, 3, 0, 0);
    /* Lowering it does not evict holders; new callers wait for the count to drop below it. */
    bw_bulkhead_configure(b, &(bw_bulkhead_policy){.max_concurrent = 1});
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_E_OVERLOADED);
    for (int i = 0; i < 3; i++)
        bw_bulkhead_release(b);
    assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_OK);
    bw_bulkhead_release(b);
    bw_bulkhead_free(b);
}

static void test_unlimited(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){0});
    for (int i = 0; i < 100; i++)
        assert_int_equal(bw_bulkhead_acquire(b, 0, NULL, NULL), BW_OK);
    assert_stats(b, 100, 0, 0);
    for (int i = 0; i < 100; i++)
        bw_bulkhead_release(b);
    assert_stats(b, 0, 0, 0);
    bw_bulkhead_free(b);
}

/* ---- 4 threads ---- */

#define THREADS 4
#define ROUNDS 2000
#define LIMIT 2

typedef struct {
    bw_bulkhead *b;
    atomic_int *inside;
    atomic_int *too_many; /* times more than LIMIT holders were seen */
    atomic_int *admitted;
} hammer_arg;

static void *hammer_main(void *arg)
{
    hammer_arg *h = arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (bw_bulkhead_acquire(h->b, bw_clock_ms() + WAIT_MS, NULL, NULL) != BW_OK)
            continue;
        if (atomic_fetch_add(h->inside, 1) + 1 > LIMIT)
            atomic_fetch_add(h->too_many, 1);
        atomic_fetch_add(h->admitted, 1);
        atomic_fetch_sub(h->inside, 1);
        bw_bulkhead_release(h->b);
    }
    return NULL;
}

static void test_threads_never_exceed_limit(void **state)
{
    (void)state;
    bw_bulkhead *b = make((bw_bulkhead_policy){.max_concurrent = LIMIT, .max_queue = 4, .queue_timeout_ms = WAIT_MS});
    atomic_int inside = 0, too_many = 0, admitted = 0;
    hammer_arg h = {.b = b, .inside = &inside, .too_many = &too_many, .admitted = &admitted};
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(atomic_load(&too_many), 0);
    /* 4 threads, 2 slots, 4 queue places: nobody is ever refused or times out */
    assert_int_equal(atomic_load(&admitted), THREADS * ROUNDS);
    assert_stats(b, 0, 0, 0);
    bw_bulkhead_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_excess_refused_at_once),
        cmocka_unit_test(test_fifo_as_slots_free),
        cmocka_unit_test(test_queue_timeout_and_deadline),
        cmocka_unit_test(test_cancel_leaves_queue),
        cmocka_unit_test(test_raising_limit_admits_waiters),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_threads_never_exceed_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
