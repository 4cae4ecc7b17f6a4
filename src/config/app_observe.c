/* The `observability` section: each part is read by its own file (see app_observe.h). */
#include "config/app_observe.h"

void bw_app_observe_apply(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    bw_app_observe_logging(b, srv, root, apply); /* first: what the others log follows the configured format */
    bw_app_observe_metrics(b, srv, root, apply);
    bw_app_observe_tracing(b, srv, root, apply);
    bw_app_observe_audit(b, srv, root, apply);
    bw_app_observe_status(b, srv, root, apply);
}
