/* The readiness check of a database: "db:<name>" borrows a connection from the pool and runs the driver's ping
 * (SELECT 1), both within the check's timeout. */
#ifndef BW_PROVIDERS_SQL_HEALTH_H
#define BW_PROVIDERS_SQL_HEALTH_H

#include "bulwark/server.h"
#include "providers/sql_driver.h"

/* Registers the check "db:<db->name>" (required) on srv. `db` is borrowed and must outlive the server's checks
 * (bw_server_free joins the check thread before the build context frees the pools). BW_E_EXISTS for a duplicate
 * name, BW_E_NOMEM. */
BW_NODISCARD bw_status bw_sql_health_register(bw_server *srv, bw_sql_db *db);

#endif
