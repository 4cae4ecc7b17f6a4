/* The database readiness check (see sql_health.h). Runs on the health thread only. */
#include "providers/sql_health.h"

#include <stdio.h>

#include "bulwark/health.h"
#include "core/clock.h"
#include "providers/sql_pool.h"

static bw_check_status db_check(void *user, int timeout_ms, char *detail, size_t detail_len)
{
    bw_sql_db *db = user;
    int64_t deadline = bw_clock_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
    bw_sql_lease lease;
    char err[BW_SQL_ERRLEN] = "";
    bw_status st = bw_sql_pool_acquire(db->pool, deadline, &lease, err, sizeof err);
    if (st != BW_OK) {
        /* The pool's reasons name the database and the server's answer, never the connection string. */
        snprintf(detail, detail_len, "%s", err[0] ? err : bw_status_str(st));
        return BW_CHECK_FAIL;
    }
    bool ok = db->drv->ping(lease.conn, deadline);
    bw_sql_pool_release(db->pool, &lease); /* a connection the ping found broken is closed here */
    if (ok)
        snprintf(detail, detail_len, "SELECT 1 answered");
    else
        snprintf(detail, detail_len, "SELECT 1 failed or did not answer within %d ms", timeout_ms);
    return ok ? BW_CHECK_PASS : BW_CHECK_FAIL;
}

bw_status bw_sql_health_register(bw_server *srv, bw_sql_db *db)
{
    char name[256];
    if (!db || !db->pool || snprintf(name, sizeof name, "db:%s", db->name) >= (int)sizeof name)
        return BW_E_INVALID_ARG;
    return bw_server_add_health_check(srv, name, db_check, db, true);
}
