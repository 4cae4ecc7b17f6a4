/* SQLite's write-ahead log, for the embedded stores (idempotency records, the audit trail). */
#ifndef BW_CORE_SQLITE_WAL_H
#define BW_CORE_SQLITE_WAL_H

#include <sqlite3.h>
#include <stdbool.h>

/* Switches db to WAL mode and reports whether WAL is in effect: the pragma answers the mode it set, which is checked
 * rather than assumed (e.g. a file system without shared memory keeps another mode). Building thread only. */
bool bw_sqlite_enable_wal(sqlite3 *db);

#endif
