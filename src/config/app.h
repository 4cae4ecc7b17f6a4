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

#endif
