/* PLACEHOLDER (lead): replaced by observability.logging. */
#include "config/app_observe.h"

void bw_app_observe_logging(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    (void)b;
    (void)srv;
    (void)root;
    (void)apply;
}
