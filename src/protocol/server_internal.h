/* The bw_server object's insides, shared by the protocol modules. */
#ifndef BW_PROTOCOL_SERVER_INTERNAL_H
#define BW_PROTOCOL_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "bulwark/server.h"
#include "core/workpool.h"
#include "protocol/cache_hints.h"
#include "protocol/registry.h"

#define BW_STATE_TTL_DEFAULT_MS (10 * 60 * 1000)

struct bw_seal_keys;
struct bw_skills;
struct bw_listener;
struct bw_tasks;

struct bw_server {
    char *name, *version, *title, *description, *website_url, *instructions;
    bw_limits limits;
    bw_registry reg;
    bw_complete_fn complete;
    void *complete_user;
    pthread_mutex_t sessions_mu;     /* guards the session list */
    bw_session *sessions;
    bw_workpool *pool;               /* created by the first transport that serves */
    atomic_bool shutting_down;

    /* 2026-07-28 */
    struct bw_seal_keys *seal;       /* requestState keys (a random one unless configured) */
    int64_t state_ttl_ms;            /* how long a sealed requestState stays valid */
    bw_cache_hint hints[BW_CACHE_COUNT];
    struct bw_skills *skills;        /* the skills extension's catalog, or NULL */
    pthread_mutex_t listeners_mu;    /* guards listeners */
    struct bw_listener *listeners;   /* open subscriptions/listen streams */
    struct bw_tasks *tasks;          /* the tasks extension's store, or NULL until a task is created */

    /* Reliability (src/reliability). */
    struct bw_reliability *rel;      /* policy layer state: defaults, dependencies, cache, idempotency, stats */
    struct bw_health *health;        /* health checks and their last results, or NULL until first used */
    atomic_bool draining;            /* stop requested: readiness 503, new sessions refused */
    int64_t created_ms;              /* monotonic, for uptime */
    /* Observability (src/observability): metrics, events, tracer, audit trail, logging settings. */
    struct bw_observe *obs;
};

/* Starts the worker pool if it is not running. */
BW_NODISCARD bw_status bw_server_start_pool(bw_server *srv);
/* Links/unlinks a session into the server's list (for broadcasts). */
void bw_server_attach(bw_server *srv, bw_session *s);
void bw_server_detach(bw_server *srv, bw_session *s);
/* The capabilities for revision rev (InitializeResult, or DiscoverResult with extensions). New reference. */
json_t *bw_server_capabilities(bw_server *srv, bw_revision rev);
/* serverInfo for revision rev. New reference. */
json_t *bw_server_info_json(bw_server *srv, bw_revision rev);

#endif
