/* Tracing: spans for the request, the policy layer (one per attempt) and each provider call, exported as OTLP/HTTP
 * JSON by a background thread in batches. Export never blocks a request: a span that finds the bounded queue full
 * is dropped and counted (bulwark_trace_spans_dropped_total).
 *
 * Every span function accepts NULL (not sampled / no exporter) and then does nothing, so instrumented code never
 * branches on "is tracing on". Span names and attributes follow the OpenTelemetry semantic conventions (MCP:
 * mcp.method.name, gen_ai.tool.name, mcp.session.id, jsonrpc.request.id; db.system, db.query.text; http.request.method,
 * url.full, http.response.status_code; process.executable.name).
 *
 * Thread-safety: a span belongs to the thread that started it until bw_span_end; the tracer is safe from any
 * thread. */
#ifndef BW_OBSERVABILITY_TRACE_H
#define BW_OBSERVABILITY_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "bulwark/observe.h"
#include "observability/observe.h"
#include "observability/trace_ctx.h"

typedef struct bw_tracer bw_tracer;
typedef struct bw_span bw_span;

typedef enum bw_span_kind { BW_SPAN_INTERNAL = 1, BW_SPAN_SERVER = 2, BW_SPAN_CLIENT = 3 } bw_span_kind;

/* Starts a child of `parent` (its context and sampling decision). NULL parent → NULL. name is copied. */
bw_span *bw_span_child(bw_span *parent, const char *name, bw_span_kind kind);
void bw_span_set_str(bw_span *s, const char *key, const char *value);
void bw_span_set_int(bw_span *s, const char *key, int64_t value);
void bw_span_set_bool(bw_span *s, const char *key, bool value);
/* Marks the span's status ERROR with a message, and sets error.type. */
void bw_span_set_error(bw_span *s, const char *error_type, const char *message);
/* Ends the span and hands it to the exporter (or frees it). NULL is a no-op. */
void bw_span_end(bw_span *s);
/* The span's context (for traceparent propagation); false for NULL. */
bool bw_span_context(const bw_span *s, bw_trace_ctx *out);

struct bw_call;
/* The span providers should parent to: call->obs.active, else call->obs.span. */
bw_span *bw_call_span(struct bw_call *call);
/* The traceparent to send downstream for this call (an HTTP provider adds it as a header): the active span's
 * context when sampled, else the incoming parent's context (propagated unchanged); false when there is none. */
bool bw_call_traceparent(struct bw_call *call, char out[BW_TRACEPARENT_LEN + 1], const char **tracestate);

/* Observation points (called by observe.c). begin fills call->obs.parent/ctx/span; end sets the outcome attributes
 * and ends the request span. */
void bw_trace_call_begin(struct bw_call *call);
void bw_trace_call_end(struct bw_call *call, const bw_obs_outcome *o);

void bw_tracer_free(bw_tracer *t);

#endif
