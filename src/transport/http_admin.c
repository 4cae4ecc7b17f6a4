/* The observability endpoints of the HTTP transports (the main one and the admin listener):
 *   GET /metrics  the Prometheus text exposition (format 0.0.4)
 *   GET /status   the live status page (src/observability/status_page.html, embedded at build time)
 *   GET /events   server events as SSE (observability/events.h); ?types=call,health filters
 *
 * An /events connection never pins a thread: its content reader pulls queued frames from the subscriber and, when
 * there are none, suspends the connection; the bus resumes it when the next event is queued. The pages set no CORS
 * headers, so another origin cannot read them; the status page's Content-Security-Policy allows only its own inline
 * script and style (by hash) and connections to its own origin. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/observe.h"
#include "observability/events.h"
#include "observability/status_page.h"
#include "transport/http_internal.h"

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

bool http_is_admin_path(const char *url)
{
    return !strcmp(url, "/metrics") || !strcmp(url, "/status") || !strcmp(url, "/events");
}

static bool is_get_or_head(const char *method)
{
    return !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

/* A complete response from memory (copied unless persistent). allow: the Allow header of a 405, or NULL. */
static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
                                 size_t len, bool persistent, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)body, persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text, const char *allow)
{
    return send_body(c, status, "text/plain; charset=utf-8", text, strlen(text), true, allow);
}

/* ---- /metrics ---- */

static enum MHD_Result metrics(struct MHD_Connection *c, bw_server *srv)
{
    size_t len = 0;
    char *text = bw_server_metrics_text(srv, &len);
    if (!text)
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory rendering the metrics\n", NULL);
    enum MHD_Result rc = send_body(c, MHD_HTTP_OK, CT_METRICS, text, len, false, NULL);
    free(text);
    return rc;
}

/* ---- /status ---- */

/* The CSP source of the page's first inline element `tag` ('sha256-<base64>'), or "'none'" when it has none. The
 * page has exactly one <style> and one <script> element and never writes those tags elsewhere (not even in a
 * comment), so the first match is the element. */
static void inline_hash(const char *tag, char *out, size_t cap)
{
    char open[16], close[16];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *page = (const char *)bw_status_page;
    const char *start = strstr(page, open);
    const char *end = start ? strstr(start, close) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char b64[64];
    if (!end || !EVP_Digest(start + strlen(open), (size_t)(end - start) - strlen(open), md, &mdlen, EVP_sha256(),
                            NULL)) {
        snprintf(out, cap, "'none'");
        return;
    }
    EVP_EncodeBlock(b64, md, (int)mdlen);
    snprintf(out, cap, "'sha256-%s'", (const char *)b64);
}

static char csp[512];
static pthread_once_t csp_once = PTHREAD_ONCE_INIT;

/* The page's policy, computed once from the embedded page: only its own inline script and style run, and it may
 * talk only to its own origin (EventSource /events). */
static void csp_init(void)
{
    char script[80], style[80];
    inline_hash("script", script, sizeof script);
    inline_hash("style", style, sizeof style);
    snprintf(csp, sizeof csp,
             "default-src 'self'; script-src %s; style-src %s; img-src 'self' data:; connect-src 'self'; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
             script, style);
}

static enum MHD_Result status_page(struct MHD_Connection *c)
{
    pthread_once(&csp_once, csp_init);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(bw_status_page_len, (void *)bw_status_page, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* ---- /events ---- */

static void conn_suspend(void *conn)
{
    MHD_suspend_connection(conn);
}

static void conn_resume(void *conn)
{
    MHD_resume_connection(conn);
}

static const bw_events_waker waker = {.suspend = conn_suspend, .resume = conn_resume};

static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ssize_t n = bw_events_sub_read(cls, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void events_free(void *cls)
{
    bw_events_unsubscribe(cls);
}

static enum MHD_Result event_stream_headers(struct MHD_Connection *c, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, no-transform");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result events(struct MHD_Connection *c, bw_server *srv, const char *method)
{
    unsigned mask;
    if (!bw_events_parse_types(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "types"), &mask))
        return send_text(c, MHD_HTTP_BAD_REQUEST,
                         "bad types: a comma-separated list of call, stats, health, audit, other\n", NULL);
    if (!strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        return resp ? event_stream_headers(c, resp) : MHD_NO;
    }
    bw_events_sub *sub = NULL;
    switch (bw_events_subscribe(srv, mask, &waker, c, &sub)) {
    case BW_OK:
        break;
    case BW_E_LIMIT:
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event subscribers; retry later\n", NULL);
    case BW_E_CANCELLED:
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is shutting down\n", NULL);
    default:
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n", NULL);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, events_read, sub, events_free);
    if (!resp) {
        bw_events_unsubscribe(sub);
        return MHD_NO;
    }
    return event_stream_headers(c, resp); /* from here the response owns the subscriber (events_free) */
}

/* ---- routing ---- */

enum MHD_Result http_admin(struct MHD_Connection *c, bw_server *srv, const char *url, const char *method)
{
    /* observability.status.enabled: false turns off the page and its stream, never the scrape endpoint. */
    if (strcmp(url, "/metrics") && !bw_events_enabled(srv))
        return send_text(c, MHD_HTTP_NOT_FOUND, "Not Found\n", NULL);
    if (!is_get_or_head(method))
        return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET or HEAD\n", "GET, HEAD");
    if (!strcmp(url, "/events"))
        return events(c, srv, method);
    if (!strcmp(url, "/status"))
        return status_page(c);
    return metrics(c, srv);
}
