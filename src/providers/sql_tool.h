/* A compiled sql tool (built by sql_tool.c from its configuration, run by sql_run.c) and its result shaping
 * (sql_result.c). Private to the sql provider. Immutable after building: shared by every worker thread. */
#ifndef BW_PROVIDERS_SQL_TOOL_H
#define BW_PROVIDERS_SQL_TOOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "providers/sql_driver.h"
#include "providers/sql_params.h"

typedef enum bw_sql_mode { BW_SQL_RESULT_ROWS, BW_SQL_RESULT_ROW, BW_SQL_RESULT_AFFECTED } bw_sql_mode;

typedef struct bw_sql_stmt {
    bw_sql_parsed parsed; /* the statement in the driver's syntax and its placeholders */
    char *step;           /* the transaction step's name, or NULL */
    int *ref_step;        /* per placeholder: the earlier statement a `:step.column` reads, or -1 (an argument) */
} bw_sql_stmt;

typedef struct bw_sql_tool {
    bw_sql_db *db;
    char *name;
    bw_sql_stmt *stmts;
    size_t n_stmts;
    char *query_arg; /* the argument holding client-written SQL, or NULL */
    char *dependency; /* "db:<database name>": the tool's dependency for the reliability policy */
    bool read_only;
    bool writes; /* some statement writes: sqlite takes the write lock at BEGIN */
    bw_sql_mode mode;
    int64_t max_rows, page_size, timeout_ms;
} bw_sql_tool;

void bw_sql_tool_free(void *tool);

/* The tools/call handler of an sql tool (user: the bw_sql_tool). */
bw_status bw_sql_tool_call(bw_call *call, const json_t *args, void *user);

/* ---- results (sql_result.c) ---- */

/* The page a call returns, from the tool's max_rows/page_size and the decoded cursor offset. */
typedef struct bw_sql_page {
    size_t offset, limit;
} bw_sql_page;

/* Decodes the `cursor` argument (NULL or absent: offset 0). false when it is not a cursor of this tool. */
bool bw_sql_cursor_decode(const bw_sql_tool *t, const json_t *cursor, size_t *offset);
/* Puts the last statement's result into the call's result as the tool's `result` mode says: structuredContent
 * plus a readable text block. A `row` result without a row is a tool error. */
void bw_sql_respond(bw_call *call, const bw_sql_tool *t, const bw_sql_page *page, bw_sql_exec *ex);

#endif
