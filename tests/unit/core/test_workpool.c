/* Unit tests for src/core/workpool.c: jobs run, FIFO order, the queue bound answers BW_E_OVERLOADED at once,
 * busy counts, and bw_workpool_free drains what is queued before joining. Workers are held on a gate the test
 * controls, so every bound is hit deterministically (no sleeps deciding outcomes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "core/clock.h"
#include "core/sync.h"
#include "core/workpool.h"

#define WAIT_MS 10000

/* A gate that blocked jobs wait on, and a count of jobs that reached it. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    int entered;
} gate;

static void gate_init(gate *g)
{
    pthread_mutex_init(&g->mu, NULL);
    bw_cond_init_monotonic(&g->cv);
    g->open = false;
    g->entered = 0;
}

static void gate_destroy(gate *g)
{
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Job: announce arrival, then wait (bounded, so a broken pool cannot hang the test forever) for the gate. */
static void blocker_job(void *arg)
{
    gate *g = arg;
    int64_t until = bw_clock_ms() + WAIT_MS;
    pthread_mutex_lock(&g->mu);
    g->entered++;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        if (bw_cond_wait_until(&g->cv, &g->mu, until) != 0)
            break;
    pthread_mutex_unlock(&g->mu);
}

/* Waits until n jobs entered the gate. */
static bool gate_wait_entered(gate *g, int n)
{
    int64_t until = bw_clock_ms() + WAIT_MS;
    pthread_mutex_lock(&g->mu);
    while (g->entered < n)
        if (bw_cond_wait_until(&g->cv, &g->mu, until) != 0)
            break;
    bool ok = g->entered >= n;
    pthread_mutex_unlock(&g->mu);
    return ok;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static atomic_int counter;

static void count_job(void *arg)
{
    (void)arg;
    atomic_fetch_add(&counter, 1);
}

/* Polls until `want` jobs have run or the wait times out. */
static bool eventually_count(int want)
{
    for (int waited = 0; waited < WAIT_MS; waited++) {
        if (atomic_load(&counter) == want)
            return true;
        sleep_ms(1);
    }
    return atomic_load(&counter) == want;
}

static bool eventually_idle(bw_workpool *p)
{
    for (int waited = 0; waited < WAIT_MS; waited++) {
        if (bw_workpool_busy(p) == 0)
            return true;
        sleep_ms(1);
    }
    return bw_workpool_busy(p) == 0;
}

static void test_new_rejects_bad_sizes(void **state)
{
    (void)state;
    static const int bad[][2] = {{0, 1}, {1, 0}, {-1, 4}, {4, -1}, {0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (bw_workpool_new(bad[i][0], bad[i][1]) != NULL)
            fail_msg("bw_workpool_new(%d, %d) accepted", bad[i][0], bad[i][1]);
    bw_workpool_free(NULL); /* a no-op */
}

static void test_jobs_run(void **state)
{
    (void)state;
    static const int shapes[][3] = {/* threads, queue, jobs */ {1, 1, 1}, {1, 64, 64}, {4, 256, 200}, {8, 16, 16}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        atomic_store(&counter, 0);
        bw_workpool *p = bw_workpool_new(shapes[i][0], shapes[i][1]);
        assert_non_null(p);
        int submitted = 0;
        for (int j = 0; j < shapes[i][2]; j++) {
            /* With a small queue, wait for room instead of overflowing it. */
            bw_status st;
            while ((st = bw_workpool_submit(p, count_job, NULL)) == BW_E_OVERLOADED)
                sleep_ms(1);
            assert_int_equal(st, BW_OK);
            submitted++;
        }
        if (!eventually_count(submitted))
            fail_msg("pool %d/%d: %d of %d jobs ran", shapes[i][0], shapes[i][1], atomic_load(&counter), submitted);
        assert_true(eventually_idle(p));
        assert_int_equal(bw_workpool_busy(p), 0);
        bw_workpool_free(p);
        assert_int_equal(atomic_load(&counter), submitted); /* and nothing ran twice */
    }
}

/* One worker takes jobs in submission order. */
static int order[32];
static atomic_int order_len;

static void record_job(void *arg)
{
    int slot = atomic_fetch_add(&order_len, 1);
    order[slot] = (int)(intptr_t)arg;
}

static void test_fifo_with_one_worker(void **state)
{
    (void)state;
    gate g;
    gate_init(&g);
    atomic_store(&order_len, 0);
    bw_workpool *p = bw_workpool_new(1, 32);
    assert_non_null(p);
    assert_int_equal(bw_workpool_submit(p, blocker_job, &g), BW_OK);
    assert_true(gate_wait_entered(&g, 1));
    for (int i = 0; i < 20; i++)
        assert_int_equal(bw_workpool_submit(p, record_job, (void *)(intptr_t)i), BW_OK);
    assert_int_equal(atomic_load(&order_len), 0); /* the only worker is still held */
    gate_open(&g);
    assert_true(eventually_idle(p));
    assert_int_equal(atomic_load(&order_len), 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(order[i], i);
    bw_workpool_free(p);
    gate_destroy(&g);
}

static void test_queue_bound_overloaded(void **state)
{
    (void)state;
    enum { THREADS = 2, DEPTH = 3 };
    gate g;
    gate_init(&g);
    atomic_store(&counter, 0);
    bw_workpool *p = bw_workpool_new(THREADS, DEPTH);
    assert_non_null(p);
    /* Occupy every worker; once they entered the gate the queue is empty again. */
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(bw_workpool_submit(p, blocker_job, &g), BW_OK);
    assert_true(gate_wait_entered(&g, THREADS));
    assert_int_equal(bw_workpool_busy(p), THREADS);
    /* Exactly DEPTH jobs fit in the queue ... */
    for (int i = 0; i < DEPTH; i++) {
        assert_int_equal(bw_workpool_submit(p, count_job, NULL), BW_OK);
        assert_int_equal(bw_workpool_busy(p), THREADS + i + 1);
    }
    /* ... and the next ones are refused at once, without being queued. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(bw_workpool_submit(p, count_job, NULL), BW_E_OVERLOADED);
    assert_int_equal(bw_workpool_busy(p), THREADS + DEPTH);
    assert_int_equal(atomic_load(&counter), 0);
    gate_open(&g);
    assert_true(eventually_idle(p));
    assert_int_equal(atomic_load(&counter), DEPTH); /* refused jobs never ran */
    /* Room again once drained. */
    assert_int_equal(bw_workpool_submit(p, count_job, NULL), BW_OK);
    assert_true(eventually_count(DEPTH + 1));
    bw_workpool_free(p);
    assert_int_equal(atomic_load(&counter), DEPTH + 1);
    gate_destroy(&g);
}

/* Free must run what is queued. The releaser opens the gate only once submit answers BW_E_CANCELLED, i.e. once
 * bw_workpool_free has begun shutting down with the queue still full. */
typedef struct {
    bw_workpool *pool;
    gate *g;
    int overloaded_seen;
    bw_status last;
} releaser_arg;

static void *releaser_main(void *arg)
{
    releaser_arg *r = arg;
    for (int waited = 0; waited < WAIT_MS; waited++) {
        r->last = bw_workpool_submit(r->pool, count_job, NULL);
        if (r->last == BW_E_CANCELLED)
            break;
        if (r->last == BW_E_OVERLOADED)
            r->overloaded_seen++;
        else
            break; /* BW_OK would mean the full queue took a job: the test fails on r->last */
        sleep_ms(1);
    }
    gate_open(r->g);
    return NULL;
}

static void test_free_drains_queue(void **state)
{
    (void)state;
    enum { DEPTH = 8 };
    gate g;
    gate_init(&g);
    atomic_store(&counter, 0);
    bw_workpool *p = bw_workpool_new(1, DEPTH);
    assert_non_null(p);
    assert_int_equal(bw_workpool_submit(p, blocker_job, &g), BW_OK);
    assert_true(gate_wait_entered(&g, 1));
    for (int i = 0; i < DEPTH; i++)
        assert_int_equal(bw_workpool_submit(p, count_job, NULL), BW_OK);
    assert_int_equal(bw_workpool_submit(p, count_job, NULL), BW_E_OVERLOADED);
    releaser_arg r = {.pool = p, .g = &g};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, releaser_main, &r), 0);
    bw_workpool_free(p); /* returns only after the gate opened and the queue drained */
    pthread_join(t, NULL);
    assert_int_equal(r.last, BW_E_CANCELLED);
    assert_int_equal(atomic_load(&counter), DEPTH);
    gate_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_sizes),
        cmocka_unit_test(test_jobs_run),
        cmocka_unit_test(test_fifo_with_one_worker),
        cmocka_unit_test(test_queue_bound_overloaded),
        cmocka_unit_test(test_free_drains_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
