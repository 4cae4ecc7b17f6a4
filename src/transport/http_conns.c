/* A deadline for reading each request head. libmicrohttpd's connection timeout only measures inactivity, so a
 * client trickling one header byte at a time would hold its connection forever; here every connection's time
 * without a complete request head is bounded, and an overdue socket is shut down (libmicrohttpd then sees the end
 * of the stream and closes it as usual). */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "transport/http_internal.h"

/* The list lock is taken per connection (open/close) and by the once-a-second sweep; the per-request updates are
 * atomics on the connection's own entry, so the request path takes no shared lock. */
typedef struct hconn {
    int fd;
    _Atomic int64_t waiting_since_ms; /* when we started waiting for the next request head */
    atomic_bool in_request;           /* a request head arrived and its response is not done */
    bool cut;                         /* sweep only */
    struct hconn *prev, *next;
} hconn;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static hconn *conns;

void hconns_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        hconn *hc = calloc(1, sizeof *hc);
        if (!hc || !info) {
            free(hc);
            return;
        }
        hc->fd = info->connect_fd;
        atomic_init(&hc->waiting_since_ms, bw_clock_ms());
        atomic_init(&hc->in_request, false);
        pthread_mutex_lock(&mu);
        hc->next = conns;
        if (conns)
            conns->prev = hc;
        conns = hc;
        pthread_mutex_unlock(&mu);
        *socket_context = hc;
        return;
    }
    hconn *hc = *socket_context;
    if (!hc)
        return;
    pthread_mutex_lock(&mu);
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    pthread_mutex_unlock(&mu);
    free(hc);
    *socket_context = NULL;
}

static hconn *of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void hconns_head_done(struct MHD_Connection *c)
{
    hconn *hc = of(c);
    if (hc)
        atomic_store(&hc->in_request, true);
}

void hconns_request_done(struct MHD_Connection *c)
{
    hconn *hc = of(c);
    if (!hc)
        return;
    atomic_store(&hc->waiting_since_ms, bw_clock_ms());
    atomic_store(&hc->in_request, false);
}

void hconns_enforce(int64_t now_ms, int head_deadline_ms)
{
    pthread_mutex_lock(&mu);
    for (hconn *hc = conns; hc; hc = hc->next) {
        if (!atomic_load(&hc->in_request) && !hc->cut &&
            now_ms - atomic_load(&hc->waiting_since_ms) > head_deadline_ms) {
            shutdown(hc->fd, SHUT_RDWR);
            hc->cut = true;
        }
    }
    pthread_mutex_unlock(&mu);
}
