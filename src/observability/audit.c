/* PLACEHOLDER (lead): replaced by the audit implementation. */
#include "observability/audit.h"

#include <string.h>

void bw_audit_free(bw_audit *a) { (void)a; }
bool bw_audit_method(const char *method) { return !strcmp(method, "tools/call") || !strcmp(method, "resources/read") || !strcmp(method, "prompts/get"); }
bool bw_audit_admit(struct bw_call *call, char *why, size_t whylen) { (void)call; (void)why; (void)whylen; return true; }
void bw_audit_call_end(struct bw_call *call, const bw_obs_outcome *o) { (void)call; (void)o; }
bw_status bw_server_set_audit(bw_server *srv, const bw_audit_options *opts, char *err, size_t errlen) { (void)srv; (void)opts; (void)err; (void)errlen; return BW_OK; }
void bw_server_audit_auth_failure(bw_server *srv, const char *remote_addr, const char *user_agent, const char *identity, const char *reason) { (void)srv; (void)remote_addr; (void)user_agent; (void)identity; (void)reason; }
