/* The admin listener (bw_serve_admin): a second, small libmicrohttpd daemon serving /metrics, /status, /events and
 * /health/{live,ready} with the same handlers as the main HTTP transport (http_admin.c, http_health.c), for servers
 * that speak MCP over stdio or want the scrape port apart from the MCP port. It runs on libmicrohttpd's own
 * polling thread; nothing here touches the MCP sessions.
 *
 * Like the main transport it checks Host (DNS-rebinding protection: on a loopback address only loopback names are
 * accepted) and sends no CORS headers. One admin server per process: the state below is process-wide, guarded by
 * A.mu for start and stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/observe.h"
#include "observability/events.h"
#include "protocol/server_internal.h"
#include "transport/http_internal.h"

#define ADMIN_MAX_CONNECTIONS 128  /* scrapers, probes and status pages: /events streams are bounded by the bus */
#define ADMIN_CONN_MEMORY (32u * 1024)
#define ADMIN_TIMEOUT_S 30
#define STOP_FLUSH_MS 1000         /* at stop, how long open event streams get to write their end */

static struct {
    pthread_mutex_t mu;
    struct MHD_Daemon *d;
    bw_server *srv;
    bool loopback;
    atomic_uint port;
} A = {.mu = PTHREAD_MUTEX_INITIALIZER};

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_FOUND)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/status");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)upload;
    (void)req_cls;
    /* Every answer is queued at the first call: these endpoints take no body, and one sent is not read (the
     * connection is closed after the answer). */
    *upload_size = 0;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host && !strcmp(version, MHD_HTTP_VERSION_1_1))
        return text(c, MHD_HTTP_BAD_REQUEST, "Bad Request: HTTP/1.1 needs a Host header\n");
    if (!http_host_allowed(host, NULL, A.loopback))
        return text(c, MHD_HTTP_FORBIDDEN, "Forbidden: Host not allowed\n");
    if (http_is_health_path(url))
        return http_health(c, A.srv, url, method);
    if (http_is_admin_path(url))
        return http_admin(c, A.srv, url, method);
    if (!strcmp(url, "/") && bw_events_enabled(A.srv))
        return text(c, MHD_HTTP_FOUND, "See /status\n");
    return text(c, MHD_HTTP_NOT_FOUND, "Not Found: this address serves /metrics, /status, /events, /health/live "
                                       "and /health/ready\n");
}

/* Parses an IPv4/IPv6 literal (or localhost) into ss; sets *loopback. */
static bool admin_address(const char *host, uint16_t port, struct sockaddr_storage *ss, unsigned *flags,
                          bool *loopback)
{
    char h[64];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return false;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        memcpy(h, host, n + 1);
    }
    if (!strcmp(h, "localhost"))
        strcpy(h, "127.0.0.1");
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return true;
    }
    if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *flags |= MHD_USE_IPv6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return true;
    }
    return false;
}

static struct MHD_Daemon *start(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    bool loopback = false;
    if (!admin_address(host, port, &ss, &flags, &loopback)) {
        snprintf(err, errlen, "cannot use admin address '%s' (want an IPv4/IPv6 literal or localhost)", host);
        return NULL;
    }
    A.loopback = loopback;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, (void *)"admin http",
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)ADMIN_CONN_MEMORY, MHD_OPTION_END);
    if (!d)
        snprintf(err, errlen, "cannot listen on %s:%u: %s", host, (unsigned)port, strerror(errno));
    return d;
}

bw_status bw_serve_admin(bw_server *srv, const char *host, uint16_t port, char *err, size_t errlen)
{
    char scratch[1];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    if (!srv) {
        snprintf(err, errlen, "no server");
        return BW_E_INVALID_ARG;
    }
    if (!bw_mhd_load(err, errlen))
        return BW_E_IO;
    signal(SIGPIPE, SIG_IGN); /* a scraper that hangs up mid-answer must not kill the process */
    pthread_mutex_lock(&A.mu);
    bw_status st = BW_OK;
    if (A.d) {
        snprintf(err, errlen, "an admin server is already running (port %u)", atomic_load(&A.port));
        st = BW_E_EXISTS;
    } else {
        A.srv = srv;
        A.d = start(host ? host : "127.0.0.1", port, err, errlen);
        const union MHD_DaemonInfo *info = A.d ? MHD_get_daemon_info(A.d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
        atomic_store(&A.port, info ? info->port : port);
        if (!A.d)
            st = BW_E_IO;
    }
    pthread_mutex_unlock(&A.mu);
    return st;
}

uint16_t bw_admin_port(void)
{
    pthread_mutex_lock(&A.mu);
    uint16_t p = A.d ? (uint16_t)atomic_load(&A.port) : 0;
    pthread_mutex_unlock(&A.mu);
    return p;
}

/* The /events connections of daemon arg. */
static bool on_daemon(void *conn, void *arg)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    return ci && ci->daemon == arg;
}

void bw_admin_stop(void)
{
    pthread_mutex_lock(&A.mu);
    struct MHD_Daemon *d = A.d;
    if (d) {
        /* libmicrohttpd must not be stopped while a connection is suspended: end our event streams first (each is
         * resumed now and never parks again), and give them a bounded moment to write their last bytes so clients
         * see a clean end rather than a reset. */
        for (int i = 0; i < STOP_FLUSH_MS / 10 && bw_events_end_streams(A.srv, on_daemon, d) > 0; i++)
            usleep(10 * 1000);
        MHD_stop_daemon(d);
        /* The server itself is stopping (its transport returned): end the event bus for good, so nothing reads
         * the server's state any more while it is freed. A server that keeps serving keeps its bus. */
        if (atomic_load(&A.srv->shutting_down))
            bw_events_shutdown(A.srv);
    }
    A.d = NULL;
    A.srv = NULL;
    atomic_store(&A.port, 0);
    pthread_mutex_unlock(&A.mu);
}
