/* PLACEHOLDER (lead): replaced by the tracing implementation. */
#include "observability/trace.h"

#include <string.h>

bw_span *bw_span_child(bw_span *parent, const char *name, bw_span_kind kind) { (void)parent; (void)name; (void)kind; return NULL; }
void bw_span_set_str(bw_span *s, const char *key, const char *value) { (void)s; (void)key; (void)value; }
void bw_span_set_int(bw_span *s, const char *key, int64_t value) { (void)s; (void)key; (void)value; }
void bw_span_set_bool(bw_span *s, const char *key, bool value) { (void)s; (void)key; (void)value; }
void bw_span_set_error(bw_span *s, const char *error_type, const char *message) { (void)s; (void)error_type; (void)message; }
void bw_span_end(bw_span *s) { (void)s; }
bool bw_span_context(const bw_span *s, bw_trace_ctx *out) { (void)s; (void)out; return false; }
bw_span *bw_call_span(struct bw_call *call) { (void)call; return NULL; }
bool bw_call_traceparent(struct bw_call *call, char out[BW_TRACEPARENT_LEN + 1], const char **tracestate) { (void)call; (void)out; (void)tracestate; return false; }
void bw_trace_call_begin(struct bw_call *call) { (void)call; }
void bw_trace_call_end(struct bw_call *call, const bw_obs_outcome *o) { (void)call; (void)o; }
void bw_tracer_free(bw_tracer *t) { (void)t; }
bw_status bw_server_set_tracing(bw_server *srv, const bw_tracing_options *opts, char *err, size_t errlen) { (void)srv; (void)opts; (void)err; (void)errlen; return BW_OK; }
