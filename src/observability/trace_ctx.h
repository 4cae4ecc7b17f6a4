/* W3C trace context (https://www.w3.org/TR/trace-context/): parsing and formatting traceparent, bounding tracestate,
 * and new random ids. Pure functions (the id generator keeps a per-thread state); thread-safe. */
#ifndef BW_OBSERVABILITY_TRACE_CTX_H
#define BW_OBSERVABILITY_TRACE_CTX_H

#include <stdbool.h>
#include <stdint.h>

#define BW_TRACEPARENT_LEN 55      /* "00-<32 hex>-<16 hex>-<2 hex>" */
#define BW_TRACESTATE_MAX 512

#define BW_TRACE_FLAG_SAMPLED 0x01

typedef struct bw_trace_ctx {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;                 /* bit 0: sampled */
    bool valid;
    char tracestate[BW_TRACESTATE_MAX + 1]; /* as received (validated length), or "" */
} bw_trace_ctx;

/* Parses a traceparent header value (surrounding blanks ignored); false (out->valid=false) when malformed,
 * upper-case or non-hex digits, all-zero ids, or version ff. Version 00 must be exactly 55 characters; a later
 * version may append "-..." fields, which are ignored (its first four fields are read as version 00's).
 * out->tracestate is left "" (see bw_tracestate_set). s may be NULL (false). */
bool bw_traceparent_parse(const char *s, bw_trace_ctx *out);
/* Writes "00-<trace>-<span>-<flags>" (BW_TRACEPARENT_LEN + 1 bytes with the NUL). */
void bw_traceparent_format(const bw_trace_ctx *ctx, char out[BW_TRACEPARENT_LEN + 1]);
/* Lower-case hex of the trace id (33 bytes with the NUL). */
void bw_trace_id_hex(const bw_trace_ctx *ctx, char out[33]);
/* Lower-case hex of n bytes into out (2n + 1 bytes with the NUL). */
void bw_trace_hex(const uint8_t *bytes, int n, char *out);
/* Copies a tracestate value into ctx->tracestate for passing on unchanged: blanks around it are dropped; a value
 * with characters outside printable ASCII is refused (""); one longer than BW_TRACESTATE_MAX is cut after its last
 * whole list member that fits (W3C allows dropping members). s may be NULL. */
void bw_tracestate_set(bw_trace_ctx *ctx, const char *s);
/* Fills ids with random bytes (never all zero). A per-thread generator seeded from OpenSSL: no lock, no syscall
 * after the first id of a thread. */
void bw_trace_new_trace_id(uint8_t id[16]);
void bw_trace_new_span_id(uint8_t id[8]);

#endif
