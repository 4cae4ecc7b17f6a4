/* GET/HEAD /health/live and /health/ready: the probe documents of bulwark/health.h as JSON, never cached. Served
 * while draining (readiness then says 503 "draining") and without an Origin check: probes send none. */
#include <stdlib.h>
#include <string.h>

#include "bulwark/health.h"
#include "transport/http_internal.h"

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    else if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

bool http_is_health_path(const char *url)
{
    return !strcmp(url, "/health/live") || !strcmp(url, "/health/ready");
}

enum MHD_Result http_health(struct MHD_Connection *c, bw_server *srv, const char *url, const char *method)
{
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        static const char body[] = "{\"error\":\"method not allowed: use GET or HEAD\"}";
        return send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED, body, sizeof body - 1);
    }
    int status = 503;
    json_t *doc = bw_server_health(srv, !strcmp(url, "/health/ready"), &status);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        static const char body[] = "{\"status\":\"fail\",\"error\":\"out of memory\"}";
        return send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, body, sizeof body - 1);
    }
    enum MHD_Result rc = send_json(c, (unsigned)status, text, strlen(text));
    free(text);
    return rc;
}
