/* PLACEHOLDER (lead): replaced by the /metrics, /status and /events implementation. */
#include <string.h>

#include "transport/http_internal.h"

bool http_is_admin_path(const char *url)
{
    return !strcmp(url, "/metrics") || !strcmp(url, "/status") || !strcmp(url, "/events");
}

enum MHD_Result http_admin(struct MHD_Connection *c, bw_server *srv, const char *url, const char *method)
{
    (void)srv; (void)url; (void)method;
    struct MHD_Response *resp = MHD_create_response_from_buffer(9, (void *)"Not Found", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, resp);
    MHD_destroy_response(resp);
    return rc;
}
