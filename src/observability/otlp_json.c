/* OTLP/HTTP JSON encoding of a batch of spans (opentelemetry-proto ExportTraceServiceRequest, JSON mapping):
 * resourceSpans → scopeSpans → spans, ids as lower-case hex, 64-bit integers and timestamps as strings, enums as
 * their numbers. Runs on the export thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "observability/trace_internal.h"

/* A JSON string of text that should already be UTF-8 (it came from requests, configs and providers); any invalid
 * byte becomes U+FFFD so one odd value never loses the batch. */
static json_t *str(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    bw_buf clean;
    bw_buf_init(&clean, strlen(s) * 3 + 1);
    if (bw_utf8_sanitize(s, strlen(s), &clean) == BW_OK)
        j = json_stringn(clean.data ? clean.data : "", clean.len);
    bw_buf_free(&clean);
    return j;
}

static json_t *int_str(int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return json_string(b);
}

static json_t *any_value(const bw_span *s, const bw_span_attr *a)
{
    switch ((bw_attr_type)a->type) {
    case BW_ATTR_INT:
        return json_pack("{s:o}", "intValue", int_str(a->v.i));
    case BW_ATTR_BOOL:
        return json_pack("{s:b}", "boolValue", a->v.b);
    default:
        return json_pack("{s:o}", "stringValue", str(s->text + a->v.s));
    }
}

static json_t *key_value(const char *key, json_t *value)
{
    return json_pack("{s:o,s:o}", "key", str(key), "value", value);
}

static json_t *attributes(const bw_span *s)
{
    json_t *arr = json_array();
    for (uint16_t i = 0; arr && i < s->n_attrs; i++)
        if (json_array_append_new(arr, key_value(s->text + s->attrs[i].key, any_value(s, &s->attrs[i]))) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

static json_t *status(const bw_span *s)
{
    json_t *st = json_pack("{s:i}", "code", (int)s->status);
    if (st && s->status_msg != 0xffff)
        json_object_set_new(st, "message", str(s->text + s->status_msg));
    return st;
}

static json_t *span_json(const bw_span *s)
{
    char trace[33], span[17], parent[17];
    bw_trace_hex(s->trace_id, 16, trace);
    bw_trace_hex(s->span_id, 8, span);
    json_t *j = json_pack("{s:s,s:s,s:o,s:i,s:o,s:o,s:o,s:o,s:i}", "traceId", trace, "spanId", span, "name",
                          str(s->text + s->name), "kind", (int)s->kind, "startTimeUnixNano", int_str(s->start_ns),
                          "endTimeUnixNano", int_str(s->end_ns), "attributes", attributes(s), "status", status(s),
                          "flags", (int)s->flags); /* the W3C trace flags (bits 0-7) */
    if (j && s->has_parent) {
        bw_trace_hex(s->parent_id, 8, parent);
        json_object_set_new(j, "parentSpanId", json_string(parent));
    }
    if (j && s->dropped_attrs)
        json_object_set_new(j, "droppedAttributesCount", json_integer(s->dropped_attrs));
    return j;
}

static json_t *resource(const bw_otlp_resource *res)
{
    json_t *attrs = json_pack("[o,o,o,o]", key_value("service.name", json_pack("{s:o}", "stringValue",
                                                                                 str(res->service_name))),
                              key_value("telemetry.sdk.name", json_pack("{s:s}", "stringValue", "bulwark")),
                              key_value("telemetry.sdk.language", json_pack("{s:s}", "stringValue", "c")),
                              key_value("telemetry.sdk.version", json_pack("{s:s}", "stringValue", BW_VERSION)));
    if (attrs && res->service_version)
        json_array_append_new(attrs, key_value("service.version", json_pack("{s:o}", "stringValue",
                                                                            str(res->service_version))));
    return json_pack("{s:o}", "attributes", attrs);
}

char *bw_otlp_json_encode(const bw_otlp_resource *res, bw_span *const *spans, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        if (json_array_append_new(list, span_json(spans[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *scope = json_pack("{s:{s:s,s:s},s:o}", "scope", "name", "bulwark", "version", BW_VERSION, "spans", list);
    json_t *req = json_pack("{s:[{s:o,s:[o]}]}", "resourceSpans", "resource", resource(res), "scopeSpans", scope);
    char *out = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return out;
}
