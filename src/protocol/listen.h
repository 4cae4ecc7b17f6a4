/* subscriptions/listen (2026-07-28): long-lived notification streams, and the server-wide bus that feeds them.
 *
 * A listen request is acknowledged at once (notifications/subscriptions/acknowledged with the filter honoured) and
 * then left open: it gets no response until the server ends it (shutdown: a completion result). Every notification
 * on it carries _meta subscriptionId = the listen request's id. The client ends it by closing the HTTP stream
 * (the transport ends the session) or, on stdio, with notifications/cancelled. Listeners hold a reference to their
 * session and a copy of the request id; the registry is the server's (listeners_mu). Thread-safe. */
#ifndef BW_PROTOCOL_LISTEN_H
#define BW_PROTOCOL_LISTEN_H

#include <jansson.h>
#include <stdbool.h>

#include "protocol/call_internal.h"

#define BW_LISTEN_MAX_URIS 256      /* resourceSubscriptions / taskIds honoured per stream */
#define BW_LISTEN_MAX_PER_SERVER 10000

/* The method: validates the filter, registers the listener, sends the acknowledgment. */
void bw_m_listen(bw_call *call);
/* Delivers notification `method` (params borrowed, may be NULL) to every listener whose filter takes it:
 * list_changed by kind; resources/updated by `key` (the URI); notifications/tasks by `key` (the task id). */
void bw_listen_publish(bw_server *srv, const char *method, const char *key, const json_t *params);
/* Ends the listener with request id `id` on session s (stdio notifications/cancelled). true if one was found. */
bool bw_listen_cancel(bw_server *srv, bw_session *s, const json_t *id);
/* Drops every listener of session s without a response (the client went away or the session ended). */
void bw_listen_drop_session(bw_server *srv, bw_session *s);
/* Ends every listener with a completion result (graceful shutdown). */
void bw_listen_close_all(bw_server *srv);
/* Open listeners now. */
int bw_listen_count(bw_server *srv);

#endif
