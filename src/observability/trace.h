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
/* The span providers should parent to: call->obs.active, else call->obs.span (NULL when the request is not
 * recorded). */
bw_span *bw_call_span(struct bw_call *call);
/* The traceparent to send downstream for this call (an HTTP provider adds it as a header): the active span's
 * context when sampled; else, when the request is not recorded here, the incoming parent's context unchanged, or
 * without one this request's own context with the sampled flag off (so downstream logs share the trace id).
 * *tracestate (may be NULL) is set to the incoming tracestate (borrowed from the call) or NULL. false only without a
 * call. */
bool bw_call_traceparent(struct bw_call *call, char out[BW_TRACEPARENT_LEN + 1], const char **tracestate);
/* The same for a span the caller started for the outgoing request (e.g. the HTTP client span, so the downstream
 * parent-id is that span); span NULL behaves as bw_call_traceparent without an active span. */
bool bw_span_traceparent(struct bw_call *call, bw_span *span, char out[BW_TRACEPARENT_LEN + 1],
                         const char **tracestate);

/* Observation points (called by observe.c). begin fills call->obs.parent/ctx/span; end sets the outcome attributes
 * and ends the request span. */
void bw_trace_call_begin(struct bw_call *call);
void bw_trace_call_end(struct bw_call *call, const bw_obs_outcome *o);

/* Releases the server's reference (bw_observe_free): stops the export thread after a last flush bounded by
 * export_timeout_ms. Spans still open keep the tracer's memory until they end (they are then dropped). NULL: no-op. */
void bw_tracer_free(bw_tracer *t);

/* Checks tracing options without starting anything (configuration checks, reload staging). BW_E_INVALID_ARG with the
 * reason in err for a bad endpoint, protocol, ratio, size or header line. */
bw_status bw_tracing_options_check(const bw_tracing_options *opts, char *err, size_t errlen);

#endif
