/* bw_metrics_render: the Prometheus text of one server — its request and tool-call series, then the figures read at
 * render time (reliability snapshot, pools, sessions, readiness, process), so a scrape costs the scraper, not the
 * request path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "bulwark/health.h"
#include "observability/metrics_internal.h"
#include "protocol/server_internal.h"
#include "protocol/session.h"

/* ---- requests and tool calls ---- */

static void render_status_counts(bw_mtext *t, const char *family, const char *label, const bw_mtable *tab)
{
    size_t n = bw_mtable_count(tab);
    for (size_t i = 0; i < n; i++) {
        const bw_mseries *s = tab->order[i];
        for (int st = 0; st < BW_MST_COUNT; st++) {
            bw_mlabels l = {{label, "status"}, {s->name, bw_metrics_status_names[st]}};
            bw_mtext_sample_u(t, family, &l, atomic_load_explicit(&s->status[st], memory_order_relaxed));
        }
    }
}

static void render_durations(bw_mtext *t, const char *family, const char *label, const bw_mtable *tab)
{
    size_t n = bw_mtable_count(tab);
    for (size_t i = 0; i < n; i++) {
        bw_hist_snap snap = {0};
        bw_mseries_snap(tab->order[i], &snap);
        if (!snap.b)
            snap.b = tab->order[i]->ok.b;
        bw_mlabels l = {{label}, {tab->order[i]->name}};
        bw_mtext_histogram(t, family, &l, &snap);
    }
}

static void render_tool_errors(bw_mtext *t, const bw_mtable *tools)
{
    size_t n = bw_mtable_count(tools);
    for (size_t i = 0; i < n; i++) {
        const bw_mseries *s = tools->order[i];
        for (int e = 0; e < BW_MERR_COUNT; e++) {
            bw_hist_snap snap = {0};
            bw_hist_snap_add(&snap, atomic_load_explicit(&s->err[e], memory_order_acquire));
            if (!snap.b)
                continue; /* this error type never happened to this tool */
            bw_mlabels l = {{"tool", "error_type"}, {s->name, bw_metrics_error_names[e]}};
            bw_mtext_sample_u(t, "mcp_tool_errors_total", &l, snap.count);
        }
    }
}

/* One series' OpenTelemetry operation histograms: the successful calls without error_type, then one per error type
 * that happened (the semantic conventions set error.type only on failed operations). */
static void render_semconv_series(bw_mtext *t, const char *method, const char *tool, const bw_mseries *s)
{
    const char *fam = "mcp_server_operation_duration_seconds";
    bw_mlabels l = {{"mcp_method_name", tool ? "gen_ai_tool_name" : NULL}, {method, tool}};
    bw_hist_snap ok = {0};
    bw_hist_snap_add(&ok, &s->ok);
    bw_mtext_histogram(t, fam, &l, &ok);
    int k = tool ? 2 : 1;
    l.name[k] = "error_type";
    for (int e = 0; e < BW_MERR_COUNT; e++) {
        bw_hist_snap snap = {0};
        bw_hist_snap_add(&snap, atomic_load_explicit(&s->err[e], memory_order_acquire));
        if (!snap.b)
            continue;
        l.value[k] = bw_metrics_error_names[e];
        bw_mtext_histogram(t, fam, &l, &snap);
    }
}

static void render_semconv(bw_mtext *t, bw_metrics *m)
{
    bw_mtext_family(t, "mcp_server_operation_duration_seconds", "histogram",
                    "MCP request duration as observed on the server (OpenTelemetry mcp.server.operation.duration); "
                    "tools/call by gen_ai_tool_name.");
    size_t n = bw_mtable_count(&m->methods);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m->methods.order[i]->name, "tools/call"))
            render_semconv_series(t, m->methods.order[i]->name, NULL, m->methods.order[i]);
    n = bw_mtable_count(&m->tools);
    for (size_t i = 0; i < n; i++)
        render_semconv_series(t, "tools/call", m->tools.order[i]->name, m->tools.order[i]);
}

void bw_metrics_render_calls(bw_mtext *t, bw_metrics *m)
{
    bw_mtext_family(t, "mcp_requests_total", "counter",
                    "MCP requests by method and status (ok, tool_error: an isError result, error: a JSON-RPC error, "
                    "cancelled: no answer sent).");
    render_status_counts(t, "mcp_requests_total", "method", &m->methods);
    bw_mtext_family(t, "mcp_request_duration_seconds", "histogram", "MCP request duration by method.");
    render_durations(t, "mcp_request_duration_seconds", "method", &m->methods);
    bw_mtext_family(t, "mcp_tool_calls_total", "counter", "tools/call requests by tool and status.");
    render_status_counts(t, "mcp_tool_calls_total", "tool", &m->tools);
    bw_mtext_family(t, "mcp_tool_call_duration_seconds", "histogram", "tools/call duration by tool.");
    render_durations(t, "mcp_tool_call_duration_seconds", "tool", &m->tools);
    bw_mtext_family(t, "mcp_tool_errors_total", "counter", "Failed tools/call requests by tool and error type.");
    render_tool_errors(t, &m->tools);
    render_semconv(t, m);
}

/* ---- gauges read now ---- */

long bw_metrics_sessions(bw_server *srv)
{
    long n = 0;
    /* The session list's own lock: taken when sessions start and end, not per request. */
    pthread_mutex_lock(&srv->sessions_mu);
    for (bw_session *s = srv->sessions; s; s = s->next)
        n++;
    pthread_mutex_unlock(&srv->sessions_mu);
    return n;
}

static void gauge(bw_mtext *t, const char *name, const char *help, double v)
{
    bw_mtext_family(t, name, "gauge", help);
    bw_mtext_sample(t, name, NULL, v);
}

static void counter(bw_mtext *t, const char *name, const char *help, const atomic_uint_fast64_t *c)
{
    bw_mtext_family(t, name, "counter", help);
    bw_mtext_sample_u(t, name, NULL, atomic_load_explicit(c, memory_order_relaxed));
}

static void render_auth(bw_mtext *t, bw_metrics *m)
{
    bw_mtext_family(t, "mcp_auth_failures_total", "counter", "Authentication and authorization failures by reason.");
    for (int i = 0; i < BW_METRICS_AUTH_REASONS; i++) {
        const char *name = atomic_load_explicit(&m->auth[i].name, memory_order_acquire);
        if (!name)
            break;
        bw_mlabels l = {{"reason"}, {name}};
        bw_mtext_sample_u(t, "mcp_auth_failures_total", &l, atomic_load_explicit(&m->auth[i].n, memory_order_relaxed));
    }
}

static int check_value(const char *status)
{
    return !status ? 2 : !strcmp(status, "pass") ? 0 : !strcmp(status, "warn") ? 1 : 2;
}

/* bulwark_ready from the last health results (cheap: the checks run on the health thread, not here). */
static void render_health(bw_mtext *t, bw_server *srv)
{
    int code = 503;
    json_t *doc = bw_server_health(srv, true, &code);
    gauge(t, "bulwark_ready", "1 when GET /health/ready answers 200, else 0.", code == 200 ? 1 : 0);
    bw_mtext_family(t, "bulwark_health_check_status", "gauge",
                    "Last result of each health check: 0 pass, 1 warn, 2 fail.");
    const char *name;
    json_t *c;
    json_object_foreach(json_object_get(doc, "checks"), name, c) {
        bw_mlabels l = {{"check"}, {name}};
        bw_mtext_sample(t, "bulwark_health_check_status", &l,
                        check_value(json_string_value(json_object_get(c, "status"))));
    }
    json_decref(doc);
}

static void render_gauges(bw_mtext *t, bw_server *srv)
{
    gauge(t, "mcp_active_sessions", "Protocol sessions open (HTTP sessions, stdio connections, stateless requests).",
          (double)bw_metrics_sessions(srv));
    gauge(t, "mcp_inflight_requests", "Requests begun and not yet answered.",
          srv->obs ? (double)atomic_load_explicit(&srv->obs->inflight, memory_order_relaxed) : 0);
    gauge(t, "mcp_sse_streams", "SSE responses being written (Streamable HTTP and legacy HTTP+SSE).",
          (double)atomic_load_explicit(&bw_mglobal_state.sse_streams, memory_order_relaxed));
}

static void render_module_counters(bw_mtext *t)
{
    bw_mglobal *g = &bw_mglobal_state;
    counter(t, "bulwark_trace_spans_exported_total", "Spans accepted by the OTLP collector.", &g->spans_exported);
    counter(t, "bulwark_trace_spans_dropped_total", "Spans dropped (queue full or export failed).", &g->spans_dropped);
    counter(t, "bulwark_audit_records_written_total", "Audit records stored.", &g->audit_written);
    counter(t, "bulwark_audit_records_spooled_total", "Audit records written to the fail-open spool file.",
            &g->audit_spooled);
    counter(t, "bulwark_audit_records_dropped_total", "Audit records lost.", &g->audit_dropped);
    counter(t, "bulwark_audit_records_rejected_total", "Audited calls refused because the trail was unavailable "
            "(fail closed).", &g->audit_rejected);
    counter(t, "bulwark_log_lines_dropped_total", "Log lines that could not be written.", &g->log_dropped);
}

char *bw_metrics_render(bw_server *srv, size_t *len)
{
    bw_metrics *m = bw_metrics_of(srv);
    if (len)
        *len = 0;
    if (!m)
        return NULL;
    bw_mtext t;
    bw_mtext_init(&t);
    bw_mtext_family(&t, "bulwark_build_info", "gauge", "Build information; always 1.");
    bw_mlabels v = {{"version"}, {bw_version()}};
    bw_mtext_sample(&t, "bulwark_build_info", &v, 1);
    bw_metrics_render_calls(&t, m);
    bw_metrics_render_reliability(&t, srv);
    bw_metrics_render_pools(&t);
    render_gauges(&t, srv);
    render_auth(&t, m);
    render_health(&t, srv);
    render_module_counters(&t);
    bw_metrics_render_process(&t);
    return bw_mtext_take(&t, len);
}

char *bw_server_metrics_text(bw_server *srv, size_t *len)
{
    return bw_metrics_render(srv, len);
}
