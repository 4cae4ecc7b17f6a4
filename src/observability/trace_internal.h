/* The insides of spans and tracers, shared by the tracing files: trace_span.c (spans and their attributes),
 * trace.c (the request span and what providers ask of a call), trace_export.c (the tracer: queue, export thread,
 * reload swap) and otlp_json.c (the OTLP/HTTP JSON encoding). Private to src/observability/trace*.c, otlp_json.c.
 *
 * Lifetime of a tracer (the design the reload swap relies on):
 *   - srv->obs->tracer holds the server's reference. A span holds one more from its creation until it is queued (or
 *     dropped) by bw_span_end; a queued span holds none (the export thread, which owns the queue, frees it).
 *   - bw_tracer_acquire takes a reference to the server's current tracer. It runs inside a two-slot epoch reader
 *     section, so a swap (bw_server_set_tracing) can wait until no thread is between loading the pointer and taking
 *     its reference before dropping the server's reference: a tracer is never freed under a thread about to use it.
 *   - Releasing the server's reference (a swap, or bw_observe_free) first stops the export thread: what is queued is
 *     flushed, bounded by export_timeout_ms. Spans still open keep the (stopped) tracer's memory alive; when they end
 *     they are dropped and counted. The last reference frees the memory and whatever is still queued. */
#ifndef BW_OBSERVABILITY_TRACE_INTERNAL_H
#define BW_OBSERVABILITY_TRACE_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "observability/trace.h"

#define BW_SPAN_MAX_ATTRS 32      /* attributes beyond this are dropped (counted in the span) */
#define BW_SPAN_TEXT 3072         /* bytes for the span's name, attribute keys, string values and status message */
#define BW_SPAN_VALUE_MAX 1024    /* longer string values are cut (at a character boundary) */

typedef enum bw_attr_type { BW_ATTR_STR, BW_ATTR_INT, BW_ATTR_BOOL } bw_attr_type;

typedef struct bw_span_attr {
    uint16_t key;                 /* offset of the NUL-terminated key in text */
    uint8_t type;                 /* bw_attr_type */
    union {
        int64_t i;
        bool b;
        uint16_t s;               /* offset of the NUL-terminated value in text */
    } v;
} bw_span_attr;

typedef enum bw_span_status { BW_STATUS_UNSET = 0, BW_STATUS_OK = 1, BW_STATUS_ERROR = 2 } bw_span_status;

struct bw_span {
    struct bw_tracer *tracer;     /* reference held until the span is queued or dropped */
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_id[8];
    bool has_parent;
    uint8_t flags;
    uint8_t kind;                 /* bw_span_kind */
    uint8_t status;               /* bw_span_status */
    int64_t start_ns, end_ns;     /* Unix time, nanoseconds */
    uint16_t name;                /* offset in text */
    uint16_t status_msg;          /* offset in text; 0xffff: none */
    uint16_t n_attrs;
    uint16_t dropped_attrs;
    uint16_t used;                /* bytes of text in use */
    bw_span_attr attrs[BW_SPAN_MAX_ATTRS];
    char text[BW_SPAN_TEXT];
};

/* A new span of tracer t (whose reference the span takes over), started now. parent: the remote or local parent's
 * context (NULL or !valid: a root span); the trace id comes from it, else trace_id_or_null, else is new.
 * NULL on allocation failure (the reference is then released). */
bw_span *bw_span_start(struct bw_tracer *t, const bw_trace_ctx *parent, const uint8_t *trace_id_or_null,
                       const char *name, bw_span_kind kind);
/* Frees a span without exporting it (no tracer reference is touched). */
void bw_span_free(bw_span *s);

/* ---- tracer (trace_export.c) ---- */

struct bw_observe;
/* A reference to the server's current tracer, or NULL when none is configured. Lock-free; any thread. */
struct bw_tracer *bw_tracer_acquire(struct bw_observe *obs);
void bw_tracer_ref(struct bw_tracer *t);   /* NULL: no-op */
void bw_tracer_unref(struct bw_tracer *t);
/* Whether a request without a sampled/unsampled parent is sampled: the trace id's low 8 bytes against the ratio
 * (deterministic for a given trace id, as OpenTelemetry's TraceIdRatioBased). */
bool bw_tracer_samples(const struct bw_tracer *t, const uint8_t trace_id[16]);
/* Queues an ended span for export without blocking; takes the span. A full queue (or a stopped tracer) drops it and
 * counts the drop. */
void bw_tracer_submit(struct bw_tracer *t, bw_span *s);

/* ---- OTLP/HTTP JSON (otlp_json.c) ---- */

typedef struct bw_otlp_resource {
    const char *service_name;
    const char *service_version;  /* may be NULL */
} bw_otlp_resource;
/* The ExportTraceServiceRequest for n spans, compact JSON (caller frees with free()). NULL on allocation failure. */
char *bw_otlp_json_encode(const bw_otlp_resource *res, bw_span *const *spans, size_t n);

#endif
