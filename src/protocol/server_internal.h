/* The bw_server object's insides, shared by the protocol modules. */
#ifndef BW_PROTOCOL_SERVER_INTERNAL_H
#define BW_PROTOCOL_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "bulwark/server.h"
#include "core/workpool.h"
#include "protocol/registry.h"

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
};

/* Starts the worker pool if it is not running. */
BW_NODISCARD bw_status bw_server_start_pool(bw_server *srv);
/* Links/unlinks a session into the server's list (for broadcasts). */
void bw_server_attach(bw_server *srv, bw_session *s);
void bw_server_detach(bw_server *srv, bw_session *s);
/* The InitializeResult capabilities for revision rev. New reference. */
json_t *bw_server_capabilities(bw_server *srv, bw_revision rev);
/* serverInfo for revision rev. New reference. */
json_t *bw_server_info_json(bw_server *srv, bw_revision rev);

#endif
