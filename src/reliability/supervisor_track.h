/* What the stdio relay knows about the JSON-RPC messages it passes, so that a restart of the child is not a silent
 * hole in the conversation: which requests are in flight on the child (answered with a -32000 "server restarted"
 * error when it dies), and the client's initialize handshake (replayed to a restarted child, whose reply is
 * swallowed, so the client keeps its session). Lines that are not JSON pass through untracked. Not thread-safe;
 * owned by the relay. */
#ifndef BW_RELIABILITY_SUPERVISOR_TRACK_H
#define BW_RELIABILITY_SUPERVISOR_TRACK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* The id of the replayed initialize request; a client that used this very id would see its reply swallowed. */
#define BW_SUP_REINIT_ID "bulwark-supervise:reinit"
/* At most this many requests are tracked as in flight; beyond, a request that dies with the child gets no answer
 * (logged once). */
#define BW_SUP_MAX_PENDING 65536

typedef struct bw_sup_track {
    json_t *pending;      /* object: compact JSON text of an id -> the id; requests written to the current child */
    json_t *init_req;     /* the client's initialize request (owned), NULL until seen */
    bool init_confirmed;  /* the child answered init_req with a result: worth replaying */
    bool initialized;     /* the client sent notifications/initialized */
    bool overflow_logged; /* BW_SUP_MAX_PENDING was hit and said so */
} bw_sup_track;

/* BW_E_NOMEM on failure. */
BW_NODISCARD bw_status bw_sup_track_init(bw_sup_track *t);
void bw_sup_track_free(bw_sup_track *t);

/* A line from the client (without its newline). Remembers the handshake; returns the ids of the requests in it (a
 * new array the caller owns) or NULL when it has none. */
json_t *bw_sup_track_client_line(bw_sup_track *t, const char *line, size_t len);

/* The requests with these ids have (begun to) reach the child. Takes nothing: ids stay the caller's. */
void bw_sup_track_sent(bw_sup_track *t, const json_t *ids);

/* A line from the child (without its newline). Settles the requests it answers. Returns true when the line is the
 * reply to the replayed initialize and must not reach the client. */
bool bw_sup_track_child_line(bw_sup_track *t, const char *line, size_t len);

/* The child died: appends one error response line per request in flight on it to out and forgets them. */
BW_NODISCARD bw_status bw_sup_track_fail_pending(bw_sup_track *t, bw_buf *out);

/* The lines (each newline-terminated) a restarted child must get before anything else: the initialize request
 * under BW_SUP_REINIT_ID and notifications/initialized, as far as the client sent them. Returns a malloc'd string
 * the caller frees, or NULL when there is nothing to replay (or no memory: the child then answers the client's
 * next request with its own "not initialized" error). */
char *bw_sup_track_reinit(const bw_sup_track *t);

#endif
