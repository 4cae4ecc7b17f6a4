/* W3C trace context (https://www.w3.org/TR/trace-context/): parsing and formatting traceparent. Pure functions. */
#ifndef BW_OBSERVABILITY_TRACE_CTX_H
#define BW_OBSERVABILITY_TRACE_CTX_H

#include <stdbool.h>
#include <stdint.h>

#define BW_TRACEPARENT_LEN 55      /* "00-<32 hex>-<16 hex>-<2 hex>" */
#define BW_TRACESTATE_MAX 512

typedef struct bw_trace_ctx {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;                 /* bit 0: sampled */
    bool valid;
    char tracestate[BW_TRACESTATE_MAX + 1]; /* as received (validated length), or "" */
} bw_trace_ctx;

/* Parses a traceparent header value; false (out->valid=false) when malformed, all-zero ids, or version ff. */
bool bw_traceparent_parse(const char *s, bw_trace_ctx *out);
/* Writes "00-<trace>-<span>-<flags>" (BW_TRACEPARENT_LEN + 1 bytes with the NUL). */
void bw_traceparent_format(const bw_trace_ctx *ctx, char out[BW_TRACEPARENT_LEN + 1]);
/* Lower-case hex of the trace id (33 bytes with the NUL). */
void bw_trace_id_hex(const bw_trace_ctx *ctx, char out[33]);
/* Fills ids with random bytes (never all zero). */
void bw_trace_new_trace_id(uint8_t id[16]);
void bw_trace_new_span_id(uint8_t id[8]);

#endif
