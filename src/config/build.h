/* The build context handed to providers while a configuration is turned into a running server.
 *
 * The application builder (src/config/app.c) walks the validated configuration and, for each entry, calls the
 * provider that serves it (the headers in src/providers/) with a bw_build. Providers use it to report problems at the YAML
 * node they concern, to resolve paths relative to the configuration file, to find named databases, and to hand
 * over objects that must live as long as the server (freed in reverse order when the application is freed).
 *
 * Thread-safety: a bw_build is used by one thread, during building only; providers must not keep it. */
#ifndef BW_CONFIG_BUILD_H
#define BW_CONFIG_BUILD_H

#include <jansson.h>
#include <stdbool.h>

#include "bulwark/server.h"
#include "config/diag.h"

typedef struct bw_build bw_build;
typedef struct bw_sql_db bw_sql_db; /* src/providers/sql.h */

typedef enum bw_build_mode {
    BW_BUILD_SERVE, /* building to serve: unreachable external services are warnings, retried at run time */
    BW_BUILD_CHECK, /* `bulwark check`: additionally verify everything verifiable (SQL prepares, files exist) */
} bw_build_mode;

/* Finds the YAML position of a node of the configuration tree; false when unknown. */
typedef bool (*bw_build_locate_fn)(const void *ctx, const json_t *node, int *line, int *col);

/* Creates a build context. srv, diag: borrowed, must outlive the context. file: the configuration's name as
 * shown in messages (copied; may be NULL); dir: directory relative paths are resolved against (copied; NULL means
 * the current directory). locate/locate_ctx: may be NULL (messages then carry no line:col).
 * NULL on allocation failure. */
bw_build *bw_build_new(bw_server *srv, bw_diag *diag, bw_build_mode mode, const char *file, const char *dir,
                       bw_build_locate_fn locate, const void *locate_ctx);

/* Frees the context and every object handed over with bw_build_own, last-owned first. Call only after the server
 * no longer runs handlers (after bw_server_free or after the transports returned). NULL is a no-op. */
void bw_build_free(bw_build *b);

/* Reports an error (or warning) at `node` (may be NULL: no position). Building continues so that every problem is
 * reported; the caller decides at the end (bw_build_failed). */
void bw_build_error(bw_build *b, const json_t *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bw_build_warn(bw_build *b, const json_t *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool bw_build_failed(const bw_build *b);

bw_build_mode bw_build_mode_of(const bw_build *b);
bw_server *bw_build_server(const bw_build *b);
bw_diag *bw_build_diag(const bw_build *b);

/* A path resolved against the configuration's directory (absolute paths are returned unchanged). The result is
 * owned by the build context (valid until bw_build_free). NULL on allocation failure. */
const char *bw_build_path(bw_build *b, const char *path);

/* Hands `obj` over: free_fn(obj) runs when the context is freed. On allocation failure free_fn(obj) runs at once
 * and BW_E_NOMEM is returned (so the caller never leaks it). */
BW_NODISCARD bw_status bw_build_own(bw_build *b, void (*free_fn)(void *), void *obj);

/* Named databases: the builder registers each pool once (ownership passes to the context, which frees them with
 * bw_sql_db_free after everything registered later); providers look them up by name. NULL when unknown. */
BW_NODISCARD bw_status bw_build_add_database(bw_build *b, const char *name, bw_sql_db *db);
bw_sql_db *bw_build_database(const bw_build *b, const char *name);

/* Reload: registers a pool another context owns (the running configuration's) without taking it; the lender keeps
 * it alive at least until bw_build_free, or hands it over with bw_build_transfer_database. */
BW_NODISCARD bw_status bw_build_lend_database(bw_build *b, const char *name, bw_sql_db *db);
/* Moves the ownership of database `name` from `from` (which owns it) to `to` (which has it lent); the pool and its
 * connections are untouched. BW_E_INVALID_ARG when that is not the situation. */
BW_NODISCARD bw_status bw_build_transfer_database(bw_build *from, bw_build *to, const char *name);

#endif
