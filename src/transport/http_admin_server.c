/* PLACEHOLDER (lead): replaced by the admin listener (bw_serve_admin). */
#include "bulwark/observe.h"

bw_status bw_serve_admin(bw_server *srv, const char *host, uint16_t port, char *err, size_t errlen) { (void)srv; (void)host; (void)port; (void)err; (void)errlen; return BW_E_UNSUPPORTED; }
uint16_t bw_admin_port(void) { return 0; }
void bw_admin_stop(void) {}
