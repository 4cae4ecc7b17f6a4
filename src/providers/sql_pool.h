/* A connection pool for one database, generic over the driver (src/providers/sql_driver.h).
 *
 * Borrowing hands out the most recently returned idle connection (its statement cache is warm), checking it first
 * with a trivial query when it sat idle longer than health_check_idle_ms or when another connection of the pool
 * was found broken since (a database restart breaks them all). When none is idle and fewer than `max` are open a
 * new one is opened; otherwise the caller waits, up to its deadline. Returned connections older than
 * max_lifetime_ms, or broken, are closed; a reaper thread closes connections idle longer than idle_timeout_ms
 * beyond `min`. Thread-safe.
 *
 * Every pool registers itself with the metrics (observability/metrics.h) for its lifetime, and reports how long
 * each acquire took (mcp_db_connection_acquire_seconds{db}). */
#ifndef BW_PROVIDERS_SQL_POOL_H
#define BW_PROVIDERS_SQL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "providers/sql_driver.h"

/* A borrowed connection. */
typedef struct bw_sql_lease {
    void *conn;
    int slot;    /* the pool's slot of the connection (stable while borrowed) */
    bool reused; /* it served an earlier call (a failure on first use may be a stale connection) */
} bw_sql_lease;

/* Creates the pool of `db` (borrowed; must outlive the pool) without opening connections. NULL on failure. */
bw_sql_pool *bw_sql_pool_new(const bw_sql_db *db);
/* Closes every connection and stops the reaper. Call only when nothing is borrowed. NULL is a no-op. */
void bw_sql_pool_free(bw_sql_pool *p);

/* Opens connections until `min` are open. BW_OK, or the first connect error (message in err). */
BW_NODISCARD bw_status bw_sql_pool_fill(bw_sql_pool *p, int64_t deadline_ms, char *err, size_t errlen);

/* Borrows a connection, waiting acquire_timeout_ms at most, and never past limit_ms (e.g. the call's deadline).
 * BW_E_TIMEOUT when none became free (err: "database 'x': no connection available within N ms (pool of M busy)"),
 * BW_E_TOOL when a new connection could not be opened (err holds the database's reason). */
BW_NODISCARD bw_status bw_sql_pool_acquire(bw_sql_pool *p, int64_t limit_ms, bw_sql_lease *lease, char *err,
                                           size_t errlen);
/* Returns a borrowed connection; a broken one (driver->broken) is closed, and the pool's other idle connections
 * are checked on their next borrow. */
void bw_sql_pool_release(bw_sql_pool *p, bw_sql_lease *lease);

/* An eventfd for the lease's slot that cancellation callbacks write to (created on first use; lives as long as the
 * pool, so a late callback never writes to a closed descriptor). -1 when it cannot be created. */
int bw_sql_pool_wake_fd(bw_sql_pool *p, const bw_sql_lease *lease);

/* The pool's connections now, for metrics (mcp_db_connections): borrowed or being opened, idle, and the limit.
 * Takes the pool's lock briefly; any thread. */
void bw_sql_pool_counts(bw_sql_pool *p, int *in_use, int *idle, int *max);

#endif
