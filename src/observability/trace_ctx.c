/* PLACEHOLDER (lead): replaced by the tracing implementation. */
#include "observability/trace_ctx.h"

#include <string.h>

bool bw_traceparent_parse(const char *s, bw_trace_ctx *out) { (void)s; memset(out, 0, sizeof *out); return false; }
void bw_traceparent_format(const bw_trace_ctx *ctx, char out[BW_TRACEPARENT_LEN + 1]) { (void)ctx; out[0] = 0; }
void bw_trace_id_hex(const bw_trace_ctx *ctx, char out[33]) { (void)ctx; out[0] = 0; }
void bw_trace_new_trace_id(uint8_t id[16]) { memset(id, 1, 16); }
void bw_trace_new_span_id(uint8_t id[8]) { memset(id, 1, 8); }
