/* PLACEHOLDER (lead): replaced by the metrics implementation. */
#include "observability/metrics.h"

#include <stdlib.h>
#include <string.h>

struct bw_metrics { int unused; };
bw_metrics *bw_metrics_new(void) { return calloc(1, sizeof(bw_metrics)); }
void bw_metrics_free(bw_metrics *m) { free(m); }
void bw_metrics_call_end(bw_server *srv, const bw_obs_outcome *o) { (void)srv; (void)o; }
void bw_metrics_refused(bw_server *srv, const char *method_label, int rpc_code) { (void)srv; (void)method_label; (void)rpc_code; }
void bw_metrics_auth_failure(bw_server *srv, const char *reason) { (void)srv; (void)reason; }
void bw_metrics_sse_streams_add(long delta) { (void)delta; }
void bw_metrics_trace_spans(long exported, long dropped) { (void)exported; (void)dropped; }
void bw_metrics_audit_records(long written, long spooled, long dropped, long rejected) { (void)written; (void)spooled; (void)dropped; (void)rejected; }
void bw_metrics_log_lines_dropped(long n) { (void)n; }
void bw_metrics_pool_register(const char *db, struct bw_sql_pool *pool) { (void)db; (void)pool; }
void bw_metrics_pool_unregister(struct bw_sql_pool *pool) { (void)pool; }
void bw_metrics_pool_wait(struct bw_sql_pool *pool, double seconds) { (void)pool; (void)seconds; }
char *bw_metrics_render(bw_server *srv, size_t *len) { (void)srv; if (len) *len = 0; return strdup(""); }
json_t *bw_metrics_summary(bw_server *srv) { (void)srv; return json_object(); }
bw_status bw_server_set_metrics(bw_server *srv, const bw_metrics_options *opts, char *err, size_t errlen) { (void)srv; (void)opts; (void)err; (void)errlen; return BW_OK; }
char *bw_server_metrics_text(bw_server *srv, size_t *len) { return bw_metrics_render(srv, len); }
