/* The audit trail's insides, shared by audit.c (the entry points calls and the configuration use) and
 * audit_writer.c (the writer thread).
 *
 * Who owns what:
 *   - producers (any call thread) read the atomics and push records into the lock-free queue; in fail-open mode a
 *     record the full queue refuses goes to the current spool (its own mutex);
 *   - the writer thread owns the store, the held batch and its current configuration;
 *   - the configuring thread (bw_server_set_audit) hands a new configuration (and a store it opened) to the writer
 *     through `pending`, under mu; replaced spools are retired, not freed, because a producer may still be using
 *     one (they are freed with the audit object).
 * The object lives from the first bw_server_set_audit that enables it until the server is freed (bw_audit_free,
 * after the last call ended), so producers never see it freed. */
#ifndef BW_OBSERVABILITY_AUDIT_INTERNAL_H
#define BW_OBSERVABILITY_AUDIT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "observability/audit.h"
#include "observability/audit_queue.h"
#include "observability/audit_spool.h"
#include "observability/audit_store.h"

#define BW_AUDIT_BATCH 512           /* records per store transaction (at most) */
#define BW_AUDIT_LINGER_MS 10        /* after a partial batch, records gather this long (group commit) */
#define BW_AUDIT_RETRY_MS 500        /* an unavailable store is tried again this often */
#define BW_AUDIT_PRUNE_EVERY_MS 3600000 /* retention runs hourly (and when the writer starts) */

/* One configuration, copied from bw_audit_options (paths resolved by the caller). */
typedef struct bw_audit_cfg {
    char *sqlite_path;
    char *postgres;
    char *spool_path;             /* NULL: none (records that cannot be written are dropped) */
    char *checkpoint_key;         /* key text, or NULL (then key_file) */
    char *key_file;               /* "<sqlite_path>.key", or NULL */
    int retention_days;
    int queue_size;
    bool fail_closed;
    bw_audit_arguments arguments;
} bw_audit_cfg;

typedef struct bw_audit_retired {
    bw_audit_spool *spool;
    struct bw_audit_retired *next;
} bw_audit_retired;

struct bw_audit {
    bw_server *srv;
    bw_audit_queue *q;
    atomic_bool enabled;          /* records are taken */
    atomic_bool fail_closed;
    atomic_bool store_up;         /* the writer's last attempt to reach the store succeeded */
    atomic_int arguments;         /* bw_audit_arguments */
    _Atomic(bw_audit_spool *) spool; /* current spool, or NULL */

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;           /* guards stop, pending*, latest, retired and the sleep handshake */
    pthread_cond_t cv;
    atomic_bool sleeping;         /* the writer waits on cv: producers signal it */
    bool stop;
    bool pending;                 /* a new configuration waits for the writer */
    bw_audit_cfg *pending_cfg;    /* NULL with pending: disable */
    bw_audit_store *pending_store;/* opened by the configuring thread for pending_cfg, or NULL */
    bool pending_reuse;           /* keep the current store (same location) */
    size_t pending_mark;          /* records pushed before the hand-over: written with the old configuration */
    bw_audit_cfg *latest;         /* the last configuration handed over (compared by set_audit), or NULL */
    bw_audit_retired *retired;

    /* writer thread only */
    bw_audit_cfg *cfg;
    bw_audit_store *store;
    json_t *held[BW_AUDIT_BATCH]; /* fail-closed: a batch the store refused, written first when it is back */
    size_t nheld;
    int64_t next_open_ms;
    int64_t next_prune_ms;
};

void bw_audit_cfg_free(bw_audit_cfg *c);
/* Opens the store a configuration names (NULL with a reason in err when it cannot be reached now). */
bw_audit_store *bw_audit_cfg_open(const bw_audit_cfg *c, char *err, size_t errlen);

/* Starts the writer thread (a->cfg and a->store set). false when the thread cannot be created. */
bool bw_audit_writer_start(bw_audit *a);
/* Stops the writer after it wrote (or spooled) what is queued. */
void bw_audit_writer_stop(bw_audit *a);
/* Wakes the writer if it sleeps (cheap when it does not: one atomic load). */
void bw_audit_writer_wake(bw_audit *a);

#endif
