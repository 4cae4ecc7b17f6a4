/* Database pool figures: pools register themselves (by database name) so their connection counts can be read at
 * render time, and report every acquire's wait into a per-database histogram.
 *
 * Process-wide, like the pools' owners (a pool is not tied to one bw_server). Registration and rendering take
 * pools_mu (rare); the acquire path finds its pool's histogram with acquire loads over a small fixed array, so it
 * takes no lock beyond the pool's own. Histograms are kept per database name and never removed: a reload that
 * replaces a pool keeps counting into the same series. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "observability/metrics_internal.h"
#include "providers/sql_pool.h"

#define MAX_DBS 64    /* distinct database names; more share db="_other" */
#define MAX_POOLS 128 /* pools alive at once (a reload briefly has two per database) */

static const bw_hist_bounds wait_bounds = {
    14, {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};

typedef struct db_slot {
    _Atomic(char *) name;
    bw_hist wait;
} db_slot;

typedef struct pool_slot {
    _Atomic(struct bw_sql_pool *) pool;
    atomic_int db;
} pool_slot;

static db_slot dbs[MAX_DBS];
static pool_slot pools[MAX_POOLS];
static atomic_int pools_used; /* slots [0, pools_used) may hold a pool */
static pthread_mutex_t pools_mu = PTHREAD_MUTEX_INITIALIZER;

/* The slot of database `name`, claimed if new. Caller holds pools_mu. */
static int db_index(const char *name)
{
    for (int i = 0; i < MAX_DBS; i++) {
        char *n = atomic_load_explicit(&dbs[i].name, memory_order_relaxed);
        bool last = i == MAX_DBS - 1;
        if (n && (!strcmp(n, last ? "_other" : name) || last))
            return i;
        if (!n) {
            if (!(n = strdup(last ? "_other" : name)))
                return -1;
            bw_hist_init(&dbs[i].wait, &wait_bounds);
            atomic_store_explicit(&dbs[i].name, n, memory_order_release);
            return i;
        }
    }
    return -1;
}

void bw_metrics_pool_register(const char *db, struct bw_sql_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pools_mu);
    int d = db_index(db && *db ? db : "_unnamed");
    for (int i = 0; d >= 0 && i < MAX_POOLS; i++) {
        if (atomic_load_explicit(&pools[i].pool, memory_order_relaxed))
            continue;
        atomic_store_explicit(&pools[i].db, d, memory_order_relaxed);
        atomic_store_explicit(&pools[i].pool, pool, memory_order_release);
        if (i + 1 > atomic_load(&pools_used))
            atomic_store(&pools_used, i + 1);
        break;
    }
    pthread_mutex_unlock(&pools_mu); /* no free slot: the pool works, its figures are just not shown */
}

void bw_metrics_pool_unregister(struct bw_sql_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pools_mu); /* also waits for a render reading this pool's counts */
    for (int i = 0; i < MAX_POOLS; i++)
        if (atomic_load_explicit(&pools[i].pool, memory_order_relaxed) == pool)
            atomic_store_explicit(&pools[i].pool, NULL, memory_order_release);
    pthread_mutex_unlock(&pools_mu);
}

void bw_metrics_pool_wait(struct bw_sql_pool *pool, double seconds)
{
    int n = atomic_load_explicit(&pools_used, memory_order_acquire);
    for (int i = 0; i < n; i++) {
        if (atomic_load_explicit(&pools[i].pool, memory_order_acquire) == pool) {
            bw_hist_observe(&dbs[atomic_load_explicit(&pools[i].db, memory_order_relaxed)].wait, seconds);
            return;
        }
    }
}

typedef struct db_counts {
    int in_use, idle, max;
    bool present;
} db_counts;

/* Sums the live pools' counts per database. Caller holds pools_mu (so no pool is freed meanwhile). */
static void collect(db_counts *out)
{
    int n = atomic_load(&pools_used);
    for (int i = 0; i < n; i++) {
        struct bw_sql_pool *p = atomic_load(&pools[i].pool);
        if (!p)
            continue;
        db_counts *c = &out[atomic_load(&pools[i].db)];
        int in_use, idle, max;
        bw_sql_pool_counts(p, &in_use, &idle, &max);
        c->in_use += in_use;
        c->idle += idle;
        c->max += max;
        c->present = true;
    }
}

static void render_counts(bw_mtext *t, const db_counts *counts)
{
    bw_mtext_family(t, "mcp_db_connections", "gauge",
                    "Open database connections by database and state (in_use, idle).");
    for (int i = 0; i < MAX_DBS; i++) {
        const char *name = atomic_load(&dbs[i].name);
        if (!name || !counts[i].present)
            continue;
        bw_mlabels u = {{"db", "state"}, {name, "in_use"}}, d = {{"db", "state"}, {name, "idle"}};
        bw_mtext_sample(t, "mcp_db_connections", &u, counts[i].in_use);
        bw_mtext_sample(t, "mcp_db_connections", &d, counts[i].idle);
    }
    bw_mtext_family(t, "mcp_db_connections_max", "gauge", "The pool's connection limit by database.");
    for (int i = 0; i < MAX_DBS; i++) {
        const char *name = atomic_load(&dbs[i].name);
        bw_mlabels l = {{"db"}, {name}};
        if (name && counts[i].present)
            bw_mtext_sample(t, "mcp_db_connections_max", &l, counts[i].max);
    }
}

void bw_metrics_render_pools(bw_mtext *t)
{
    db_counts counts[MAX_DBS] = {0};
    pthread_mutex_lock(&pools_mu);
    collect(counts);
    pthread_mutex_unlock(&pools_mu);
    render_counts(t, counts);
    bw_mtext_family(t, "mcp_db_connection_acquire_seconds", "histogram",
                    "Time to get a pooled database connection (including opening one), by database.");
    for (int i = 0; i < MAX_DBS; i++) {
        const char *name = atomic_load_explicit(&dbs[i].name, memory_order_acquire);
        if (!name)
            break;
        bw_hist_snap snap = {0};
        bw_hist_snap_add(&snap, &dbs[i].wait);
        bw_mlabels l = {{"db"}, {name}};
        bw_mtext_histogram(t, "mcp_db_connection_acquire_seconds", &l, &snap);
    }
}

json_t *bw_metrics_pools_json(void)
{
    db_counts counts[MAX_DBS] = {0};
    pthread_mutex_lock(&pools_mu);
    collect(counts);
    pthread_mutex_unlock(&pools_mu);
    json_t *out = json_object();
    for (int i = 0; out && i < MAX_DBS; i++) {
        const char *name = atomic_load(&dbs[i].name);
        if (name && counts[i].present)
            json_object_set_new(out, name, json_pack("{s:i,s:i,s:i}", "in_use", counts[i].in_use, "idle",
                                                     counts[i].idle, "max", counts[i].max));
    }
    return out;
}
