/* SQLite's write-ahead log (see sqlite_wal.h). WAL lets readers (e.g. an operator's sqlite3 shell, `bulwark audit
 * verify`) proceed while the server writes. */
#include "core/sqlite_wal.h"

#include <stddef.h>

bool bw_sqlite_enable_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool wal = false;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        wal = mode && !sqlite3_stricmp(mode, "wal");
    }
    sqlite3_finalize(st);
    return wal;
}
