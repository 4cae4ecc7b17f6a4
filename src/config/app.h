/* A configuration turned into a ready-to-serve application: the bw_server with every tool, resource, resource
 * template and prompt of the file registered, the databases opened, the limits applied, and the transport settings.
 *
 * Order of building: server identity -> limits -> transports -> databases -> tools -> resources -> resource
 * templates -> prompts. Building goes on after an error so that one run reports every problem; the result is NULL
 * when there was any error (all of them are in diag as "FILE:LINE:COL: message").
 *
 * Thread-safety: build and free on one thread. While serving, the server is used by the transports as usual; the
 * rest of the application is immutable. */
#ifndef BW_CONFIG_APP_H
#define BW_CONFIG_APP_H

#include <stddef.h>

#include "bulwark/http.h"
#include "bulwark/server.h"
#include "config/build.h"
#include "config/diag.h"

typedef struct bw_app bw_app;

typedef enum bw_app_transport {
    BW_APP_STDIO, /* transports.default: stdio (the default) */
    BW_APP_HTTP,  /* transports.default: http */
} bw_app_transport;

/* What the application serves, as registered on its server. */
typedef struct bw_app_counts {
    size_t tools, resources, resource_templates, prompts, databases;
    size_t databases_kept; /* of databases: pools a reload kept from the previous configuration */
} bw_app_counts;

/* Loads, validates and builds the configuration file `path`. mode BW_BUILD_CHECK makes providers verify
 * everything verifiable (files exist, SQL prepares, external services reachable). NULL when any error was found
 * (reported in diag, which must not be NULL) or on allocation failure. Warnings are in diag too. */
bw_app *bw_app_build(const char *path, bw_build_mode mode, bw_diag *diag);

/* Frees the server, then every provider object and database pool, then the configuration. Call only after serving
 * ended. NULL is a no-op. */
void bw_app_free(bw_app *app);

/* The server to serve (owned by app). */
bw_server *bw_app_server(const bw_app *app);

/* transports.default. */
bw_app_transport bw_app_default_transport(const bw_app *app);

/* The HTTP options from transports.http with defaults applied: host and port from `listen` [127.0.0.1:8080],
 * stateless, allowed_hosts / allowed_origins (NULL-terminated, NULL when not configured), the session and
 * connection limits, and the TLS certificate and key as PEM text (read from the configured files; NULL without
 * TLS). Every pointer is owned by app. Copy the struct to override fields (e.g. from the command line). */
const bw_http_options *bw_app_http_options(const bw_app *app);

bw_app_counts bw_app_counts_of(const bw_app *app);

/* ---- hot reload (driven by src/config/reload.c) ----
 *
 * A reload builds the new file into a staging application (its own server, never served), then moves it into the
 * running one: the running server keeps serving (transports, sessions, limits untouched) with the new entries,
 * and the staging application is left holding the previous entries and providers, to be freed once no call uses
 * them (bw_app_in_use). Only one reload at a time per running application. */

/* Builds `path` like bw_app_build in BW_BUILD_SERVE mode, but borrows from `running` (not modified) every database
 * whose configuration is identical, instead of opening it again. The result must be passed to bw_app_adopt (or
 * freed) before `running` changes or is freed. NULL when the configuration has any error (all in diag). */
bw_app *bw_app_rebuild(const char *path, bw_diag *diag, const bw_app *running);

/* Names of the top-level sections that differ between live and next but are only read when serving starts
 * (server, transports, limits, stateless): they need a restart. Returns how many were written to out (<= max). */
size_t bw_app_restart_sections(const bw_app *live, const bw_app *next, const char **out, size_t max);

/* Swaps next (from bw_app_rebuild(..., live)) into live: live's server gets next's tools, resources, templates
 * and prompts in one atomic step (in-flight calls finish on the entries they hold), the completion handler, and
 * the providers and configuration; borrowed pools now belong to live. next keeps live's previous entries,
 * providers and configuration (free it with bw_app_free once !bw_app_in_use(next)). Returns a bit set of the
 * kinds (1u << bw_kind of src/protocol/registry.h) whose listings changed. Call on one thread at a time. */
unsigned bw_app_adopt(bw_app *live, bw_app *next);

/* reliability.reload.watch: also reload when the file changes. Read when serving starts. */
bool bw_app_reload_watch(const bw_app *app);

/* true while a call, task or list still holds one of the entries app's server registered (a retired application
 * must not be freed before this turns false). Any thread. */
bool bw_app_in_use(const bw_app *app);

#endif
