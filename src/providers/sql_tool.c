/* Building an sql tool from its configuration: statements parsed and rewritten, placeholders checked against the
 * tool's input_schema and earlier transaction steps, statements prepared against the database, read_only checked. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "providers/sql_pool.h"
#include "providers/sql_tool.h"

#define DESCRIBE_TIMEOUT_MS 10000

void bw_sql_tool_free(void *vt)
{
    bw_sql_tool *t = vt;
    if (!t)
        return;
    for (size_t i = 0; i < t->n_stmts; i++) {
        bw_sql_parsed_free(&t->stmts[i].parsed);
        free(t->stmts[i].step);
        free(t->stmts[i].ref_step);
    }
    free(t->stmts);
    free(t->query_arg);
    free(t->dependency);
    free(t->name);
    free(t);
}

static const json_t *schema_props(const bw_tool_def *def)
{
    return json_object_get(def->input_schema, "properties");
}

static int64_t int_or(const json_t *obj, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* The statement nodes: [{statement[, name]}...] for a transaction, or the one `statement`. */
static const json_t *stmt_node(const json_t *sql, size_t i, const json_t **name_node)
{
    const json_t *txn = json_object_get(sql, "transaction");
    *name_node = NULL;
    if (!txn)
        return json_object_get(sql, "statement");
    *name_node = json_object_get(json_array_get(txn, i), "name");
    return json_object_get(json_array_get(txn, i), "statement");
}

static int find_step(const bw_sql_tool *t, size_t before, const char *name)
{
    for (size_t k = 0; k < before; k++)
        if (t->stmts[k].step && !strcmp(t->stmts[k].step, name))
            return (int)k;
    return -1;
}

/* Every `:name` must be an argument; every `:step.column` an earlier named step. */
static bool check_refs(bw_build *b, bw_sql_tool *t, size_t i, const json_t *node, const bw_tool_def *def)
{
    bw_sql_stmt *s = &t->stmts[i];
    bool ok = true;
    for (size_t k = 0; k < s->parsed.n_refs; k++) {
        const bw_sql_ref *r = &s->parsed.refs[k];
        s->ref_step[k] = r->column ? find_step(t, i, r->name) : -1;
        if (r->column && s->ref_step[k] < 0) {
            bw_build_error(b, node, "placeholder :%s.%s names no earlier named step of this transaction (expected "
                                    "`name: %s` on a statement before this one)", r->name, r->column, r->name);
            ok = false;
        } else if (!r->column && !json_object_get(schema_props(def), r->name)) {
            bw_build_error(b, node, "placeholder :%s is not an argument of tool '%s' (expected a property '%s' in "
                                    "its input_schema)", r->name, t->name, r->name);
            ok = false;
        }
    }
    return ok;
}

static bool compile_stmt(bw_build *b, bw_sql_tool *t, const json_t *sql, size_t i, const bw_tool_def *def)
{
    const json_t *name_node;
    const json_t *node = stmt_node(sql, i, &name_node);
    bw_sql_stmt *s = &t->stmts[i];
    char err[256];
    bw_status st = bw_sql_parse(json_string_value(node), t->db->dialect, &s->parsed, err, sizeof err);
    if (st != BW_OK) {
        bw_build_error(b, node, "%s", st == BW_E_NOMEM ? "out of memory" : err);
        return false;
    }
    if (name_node && find_step(t, i, json_string_value(name_node)) >= 0) {
        bw_build_error(b, name_node, "step name '%s' is used twice in this transaction", json_string_value(name_node));
        return false;
    }
    s->step = name_node ? strdup(json_string_value(name_node)) : NULL;
    s->ref_step = calloc(s->parsed.n_refs ? s->parsed.n_refs : 1, sizeof *s->ref_step);
    if (!s->ref_step || (name_node && !s->step)) {
        bw_build_error(b, node, "out of memory");
        return false;
    }
    return check_refs(b, t, i, node, def);
}

/* PostgreSQL cannot tell whether a statement writes before running it (the READ ONLY transaction refuses it then);
 * a statement that plainly starts with a writing command is reported while building. */
static bool plainly_writes(const char *sql)
{
    static const char *const verbs[] = {"insert", "update", "delete", "merge", "create", "drop", "alter",
                                        "truncate", "grant", "revoke", "copy", "vacuum", "reindex", "cluster",
                                        "refresh", "comment", "lock", NULL};
    while (isspace((unsigned char)*sql) || *sql == '(')
        sql++;
    for (const char *const *v = verbs; *v; v++) {
        size_t n = strlen(*v);
        if (!strncasecmp(sql, *v, n) && !isalnum((unsigned char)sql[n]) && sql[n] != '_')
            return true;
    }
    return false;
}

static bool has_column(const json_t *cols, const char *name)
{
    size_t i;
    const json_t *c;
    json_array_foreach(cols, i, c)
        if (!strcmp(json_string_value(c), name))
            return true;
    return false;
}

/* Prepares statement i against the database and checks what preparing tells. cols[i] keeps its columns. */
static bool describe_stmt(bw_build *b, bw_sql_tool *t, const json_t *sql, size_t i, void *conn, json_t **cols)
{
    const json_t *name_node;
    const json_t *node = stmt_node(sql, i, &name_node);
    const bw_sql_stmt *s = &t->stmts[i];
    bw_sql_info info = {0};
    char err[BW_SQL_ERRLEN];
    bool ok = t->db->drv->describe(conn, s->parsed.sql, &info, err, sizeof err) == BW_OK;
    cols[i] = info.columns;
    if (!ok) {
        bw_build_error(b, node, "the statement does not prepare on database '%s': %s", t->db->name, err);
        return false;
    }
    if ((size_t)info.n_params > s->parsed.n_refs) {
        bw_build_error(b, node, "the statement has a parameter that is not a :name placeholder (?, $1, @x and $x "
                                "are not bound; write :argument)");
        ok = false;
    }
    if (t->read_only && info.known_read_only && !info.read_only) {
        bw_build_error(b, node, "the statement writes to the database but the tool is read_only (set read_only: "
                                "false to allow writes)");
        ok = false;
    }
    t->writes = t->writes || (info.known_read_only ? !info.read_only : !t->read_only);
    for (size_t k = 0; k < s->parsed.n_refs; k++) {
        const bw_sql_ref *r = &s->parsed.refs[k];
        if (r->column && s->ref_step[k] >= 0 && !has_column(cols[s->ref_step[k]], r->column)) {
            bw_build_error(b, node, "placeholder :%s.%s: step '%s' returns no column '%s'", r->name, r->column,
                           r->name, r->column);
            ok = false;
        }
    }
    return ok;
}

static bool describe_all(bw_build *b, bw_sql_tool *t, const json_t *sql)
{
    char err[BW_SQL_ERRLEN];
    bw_sql_lease lease;
    if (bw_sql_pool_acquire(t->db->pool, bw_clock_ms() + DESCRIBE_TIMEOUT_MS, &lease, err, sizeof err) != BW_OK) {
        bw_build_error(b, json_object_get(sql, "database"), "%s", err);
        return false;
    }
    json_t **cols = calloc(t->n_stmts, sizeof *cols);
    bool ok = cols != NULL;
    for (size_t i = 0; cols && i < t->n_stmts; i++)
        ok = describe_stmt(b, t, sql, i, lease.conn, cols) && ok;
    for (size_t i = 0; cols && i < t->n_stmts; i++)
        json_decref(cols[i]);
    free(cols);
    bw_sql_pool_release(t->db->pool, &lease);
    return ok;
}

static bool check_read_only_pg(bw_build *b, bw_sql_tool *t, const json_t *sql)
{
    bool ok = true;
    t->writes = !t->read_only;
    for (size_t i = 0; t->read_only && i < t->n_stmts; i++) {
        const json_t *name_node, *node = stmt_node(sql, i, &name_node);
        if (plainly_writes(json_string_value(node))) {
            bw_build_error(b, node, "the statement writes to the database but the tool is read_only (set "
                                    "read_only: false to allow writes)");
            ok = false;
        }
    }
    return ok;
}

/* query_argument: a string property of the input schema, on a read_only tool. */
static bool check_query_arg(bw_build *b, const bw_sql_tool *t, const json_t *sql, const bw_tool_def *def)
{
    const json_t *prop = json_object_get(schema_props(def), t->query_arg);
    const json_t *type = json_object_get(prop, "type");
    if (!t->read_only) {
        bw_build_error(b, json_object_get(sql, "read_only"), "query_argument runs SQL written by the client and "
                                                              "needs read_only: true");
        return false;
    }
    if (!prop || (type && !(json_is_string(type) && !strcmp(json_string_value(type), "string")))) {
        bw_build_error(b, json_object_get(sql, "query_argument"), "query_argument '%s' must be a property of type "
                       "string in the tool's input_schema", t->query_arg);
        return false;
    }
    return true;
}

static void decref(void *v)
{
    json_decref(v);
}

/* page_size: the input schema gains an optional string `cursor` when it does not declare one. */
static bool add_cursor(bw_build *b, const json_t *sql, bw_tool_def *def)
{
    if (json_object_get(schema_props(def), "cursor"))
        return true;
    json_t *schema = def->input_schema ? json_deep_copy(def->input_schema) : json_pack("{s:s}", "type", "object");
    json_t *props = json_object_get(schema, "properties");
    if (schema && !props)
        json_object_set_new(schema, "properties", props = json_object());
    json_t *cursor = json_pack("{s:s,s:s}", "type", "string", "description", "next_cursor of the previous page");
    if (json_object_set_new(props, "cursor", cursor) != 0) { /* NULL props: cursor is freed too */
        json_decref(schema);
        bw_build_error(b, json_object_get(sql, "page_size"), "out of memory");
        return false;
    }
    if (bw_build_own(b, decref, schema) != BW_OK) { /* it freed the schema */
        bw_build_error(b, json_object_get(sql, "page_size"), "out of memory");
        return false;
    }
    def->input_schema = schema;
    return true;
}

static bw_sql_tool *new_tool(bw_sql_db *db, const json_t *sql, const char *name)
{
    bw_sql_tool *t = calloc(1, sizeof *t);
    const json_t *txn = json_object_get(sql, "transaction");
    if (!t)
        return NULL;
    const char *mode = json_string_value(json_object_get(sql, "result"));
    const json_t *qa = json_object_get(sql, "query_argument");
    *t = (bw_sql_tool){
        .db = db,
        .name = strdup(name ? name : "sql"),
        .n_stmts = qa ? 0 : txn ? json_array_size(txn) : 1,
        .query_arg = qa ? strdup(json_string_value(qa)) : NULL,
        .read_only = !json_is_false(json_object_get(sql, "read_only")),
        .mode = !mode || !strcmp(mode, "rows") ? BW_SQL_RESULT_ROWS
                : !strcmp(mode, "row")         ? BW_SQL_RESULT_ROW
                                               : BW_SQL_RESULT_AFFECTED,
        .max_rows = int_or(sql, "max_rows", 1000),
        .page_size = int_or(sql, "page_size", 0),
        .timeout_ms = int_or(sql, "timeout_ms", 30000),
    };
    t->stmts = calloc(t->n_stmts ? t->n_stmts : 1, sizeof *t->stmts);
    if (asprintf(&t->dependency, "db:%s", db->name) < 0)
        t->dependency = NULL;
    if (!t->name || !t->stmts || !t->dependency || (qa && !t->query_arg)) {
        bw_sql_tool_free(t);
        return NULL;
    }
    return t;
}

bw_status bw_sql_tool_build(bw_build *b, const json_t *tool, const json_t *sql, bw_tool_def *def)
{
    (void)tool;
    const json_t *dbnode = json_object_get(sql, "database");
    bw_sql_db *db = bw_build_database(b, json_string_value(dbnode));
    if (!db) {
        bw_build_error(b, dbnode, "unknown database '%s' (expected the name of an entry under `databases`)",
                       json_string_value(dbnode));
        return BW_E_NOT_FOUND;
    }
    bw_sql_tool *t = new_tool(db, sql, def->name);
    if (!t || bw_build_own(b, bw_sql_tool_free, t) != BW_OK) {
        bw_build_error(b, sql, "out of memory");
        return BW_E_NOMEM;
    }
    bool ok = !t->query_arg || check_query_arg(b, t, sql, def);
    for (size_t i = 0; i < t->n_stmts; i++)
        ok = compile_stmt(b, t, sql, i, def) && ok;
    if (ok && db->dialect == BW_SQL_DIALECT_POSTGRES)
        ok = check_read_only_pg(b, t, sql);
    if (ok && t->n_stmts && db->reachable)
        ok = describe_all(b, t, sql);
    if (ok && t->page_size)
        ok = add_cursor(b, sql, def);
    if (!ok)
        return BW_E_INVALID_ARG;
    def->handler = bw_sql_tool_call;
    def->user = t;
    def->dependency = t->dependency;
    return BW_OK;
}
