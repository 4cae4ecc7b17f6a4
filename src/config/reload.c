/* The reloader: one reload = rebuild into a staging application borrowing the unchanged pools, swap it in, notify,
 * retire the previous providers. Retired applications are freed strictly oldest first: a kept pool only ever moves
 * from an older application to a newer one, so once every older one is gone nothing can still use what a newer
 * retired one owns. */
#include "config/reload.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config/reload_log.h"
#include "protocol/registry.h"

typedef struct retired {
    bw_app *app;
    struct retired *next;
} retired;

struct bw_reloader {
    pthread_mutex_t mu; /* serializes reloads and sweeps; guards the retired list */
    bw_app *live;
    char *path;
    retired *head, **tail; /* FIFO, oldest first */
    size_t n_retired;
};

bw_reloader *bw_reloader_new(bw_app *live, const char *path)
{
    bw_reloader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->live = live;
    r->tail = &r->head;
    return r;
}

static size_t sweep_locked(bw_reloader *r)
{
    while (r->head && !bw_app_in_use(r->head->app)) {
        retired *gone = r->head;
        r->head = gone->next;
        if (!r->head)
            r->tail = &r->head;
        bw_app_free(gone->app);
        free(gone);
        r->n_retired--;
    }
    return r->n_retired;
}

size_t bw_reloader_sweep(bw_reloader *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = sweep_locked(r);
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Queues app (holding the previous providers) for freeing. On allocation failure it is leaked on purpose: freeing
 * it now could pull state from under a running call. */
static void retire_locked(bw_reloader *r, bw_app *app)
{
    retired *node = malloc(sizeof *node);
    if (!node) {
        bw_reload_log_error("config_retire_failed", r->path,
                            "out of memory; the previous configuration stays allocated");
        return;
    }
    *node = (retired){.app = app};
    *r->tail = node;
    r->tail = &node->next;
    r->n_retired++;
}

static void log_restart_needed(bw_reloader *r, const bw_app *next)
{
    const char *sections[8];
    size_t n = bw_app_restart_sections(r->live, next, sections, sizeof sections / sizeof *sections);
    if (n)
        bw_reload_log_restart_needed(r->path, sections, n);
}

static void notify_changed(bw_server *srv, unsigned changed)
{
    if (changed & (1u << BW_KIND_TOOL))
        bw_server_notify_list_changed(srv, "tools");
    if (changed & ((1u << BW_KIND_RESOURCE) | (1u << BW_KIND_TEMPLATE)))
        bw_server_notify_list_changed(srv, "resources");
    if (changed & (1u << BW_KIND_PROMPT))
        bw_server_notify_list_changed(srv, "prompts");
}

static bw_status reload_locked(bw_reloader *r, bw_diag *diag)
{
    bw_app *next = bw_app_rebuild(r->path, diag, r->live);
    if (!next) {
        bw_reload_log_failed(r->path, diag);
        return bw_diag_errors(diag) ? BW_E_INVALID_ARG : BW_E_NOMEM;
    }
    bw_reload_log_warnings(r->path, diag);
    log_restart_needed(r, next);
    unsigned changed = bw_app_adopt(r->live, next);
    notify_changed(bw_app_server(r->live), changed);
    retire_locked(r, next);
    sweep_locked(r);
    bw_app_counts c = bw_app_counts_of(r->live);
    bw_reload_log_reloaded(r->path, &c);
    return BW_OK;
}

bw_status bw_reloader_run(bw_reloader *r)
{
    bw_diag *diag = bw_diag_new();
    if (!diag) {
        bw_reload_log_failed(r->path, NULL);
        return BW_E_NOMEM;
    }
    pthread_mutex_lock(&r->mu);
    bw_status st = reload_locked(r, diag);
    pthread_mutex_unlock(&r->mu);
    bw_diag_free(diag);
    return st;
}

void bw_reloader_free(bw_reloader *r)
{
    if (!r)
        return;
    while (r->head) {
        retired *gone = r->head;
        r->head = gone->next;
        bw_app_free(gone->app);
        free(gone);
    }
    pthread_mutex_destroy(&r->mu);
    free(r->path);
    free(r);
}
