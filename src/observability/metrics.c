/* Metric updates: the per-method and per-tool series fed by every request's outcome, auth failures, the counters
 * other modules feed, and the options (bw_server_set_metrics). Steady state is lock-free: a series is created once
 * under the metrics' mutex and then only found (acquire loads) and incremented (relaxed atomics). */
#include "observability/metrics_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/registry.h"
#include "protocol/server_internal.h"

const char *const bw_metrics_status_names[BW_MST_COUNT] = {"ok", "tool_error", "error", "cancelled"};

const char *const bw_metrics_error_names[BW_MERR_COUNT] = {
    "timeout",   "connection", "unavailable", "conflict",   "permanent",
    "circuit_open", "rejected", "invalid_params", "not_found", "cancelled",
    "shutdown",  "tool_error", "internal",    "audit_unavailable", "other"};

bw_mglobal bw_mglobal_state;

int bw_metrics_error_index(const char *name)
{
    for (int i = 0; name && i < BW_MERR_COUNT; i++)
        if (!strcmp(bw_metrics_error_names[i], name))
            return i;
    return BW_MERR_COUNT - 1; /* "other" */
}

static int status_index(const char *status)
{
    for (int i = 0; status && i < BW_MST_COUNT; i++)
        if (!strcmp(bw_metrics_status_names[i], status))
            return i;
    return BW_MST_ERROR;
}

/* ---- series tables ---- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool table_init(bw_mtable *t, size_t cap)
{
    t->cap = cap;
    t->slots = calloc(cap, sizeof *t->slots);
    t->order = calloc(cap, sizeof *t->order);
    atomic_init(&t->count, 0);
    return t->slots && t->order;
}

static void series_free(bw_mseries *s)
{
    if (!s)
        return;
    for (int i = 0; i < BW_MERR_COUNT; i++)
        free(atomic_load(&s->err[i]));
    free(s->name);
    free(s);
}

static void table_destroy(bw_mtable *t)
{
    size_t n = t->order ? atomic_load(&t->count) : 0;
    for (size_t i = 0; i < n; i++)
        series_free(t->order[i]);
    free(t->slots);
    free(t->order);
}

bw_mseries *bw_mtable_find(const bw_mtable *t, const char *name)
{
    size_t mask = t->cap - 1, i = (size_t)hash_name(name) & mask;
    for (size_t probes = 0; probes < t->cap; probes++, i = (i + 1) & mask) {
        bw_mseries *s = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (!s || !strcmp(s->name, name))
            return s;
    }
    return NULL;
}

size_t bw_mtable_count(const bw_mtable *t)
{
    return atomic_load_explicit(&t->count, memory_order_acquire);
}

static bw_mseries *series_new(bw_metrics *m, const char *name)
{
    bw_mseries *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    atomic_store(&m->bounds_fixed, true); /* from now on histograms point at m->bounds */
    bw_hist_init(&s->ok, &m->bounds);
    bw_lat_init(&s->lat);
    return s;
}

/* Finds or creates the series of name; NULL when `limit` series exist already or allocation fails. Caller holds
 * m->mu (the only writer), so a slot seen empty stays empty until this store. */
static bw_mseries *table_insert(bw_metrics *m, bw_mtable *t, const char *name, size_t limit)
{
    size_t mask = t->cap - 1, i = (size_t)hash_name(name) & mask;
    for (size_t probes = 0; probes < t->cap; probes++, i = (i + 1) & mask) {
        bw_mseries *s = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (s && !strcmp(s->name, name))
            return s;
        if (s)
            continue;
        size_t n = atomic_load_explicit(&t->count, memory_order_relaxed);
        if (n >= limit || !(s = series_new(m, name)))
            return NULL;
        t->order[n] = s;
        atomic_store_explicit(&t->slots[i], s, memory_order_release);
        atomic_store_explicit(&t->count, n + 1, memory_order_release);
        return s;
    }
    return NULL;
}

static bw_mseries *get_or_add(bw_metrics *m, bw_mtable *t, const char *name, size_t limit)
{
    bw_mseries *s = bw_mtable_find(t, name);
    if (s)
        return s;
    pthread_mutex_lock(&m->mu);
    s = table_insert(m, t, name, limit);
    pthread_mutex_unlock(&m->mu);
    return s;
}

/* The shared series of unknown tools and tools past max_tools (one extra slot beyond the limit). */
static bw_mseries *tool_other(bw_metrics *m)
{
    bw_mseries *s = atomic_load_explicit(&m->tool_other, memory_order_acquire);
    if (s)
        return s;
    s = get_or_add(m, &m->tools, BW_TOOL_OTHER, BW_METRICS_MAX_TOOLS_LIMIT + 1);
    if (s)
        atomic_store_explicit(&m->tool_other, s, memory_order_release);
    return s;
}

/* Only registered tools get a series of their own: the name in tools/call comes from the client, and a label per
 * made-up name would be unbounded. The registry is asked only for names without a series yet. */
static bool tool_registered(bw_server *srv, const char *name)
{
    bw_entry *e = bw_registry_get(&srv->reg, BW_KIND_TOOL, name);
    if (e)
        bw_entry_unref(e);
    return e != NULL;
}

static bw_mseries *tool_series(bw_metrics *m, bw_server *srv, const char *name)
{
    if (!name || !*name)
        return tool_other(m);
    bw_mseries *s = bw_mtable_find(&m->tools, name);
    if (s)
        return s;
    if (!tool_registered(srv, name))
        return tool_other(m);
    pthread_mutex_lock(&m->mu);
    size_t limit = (size_t)atomic_load(&m->max_tools);
    /* _other may hold a slot: max_tools counts named tools only. */
    s = table_insert(m, &m->tools, name, limit + (atomic_load(&m->tool_other) ? 1 : 0));
    pthread_mutex_unlock(&m->mu);
    return s ? s : tool_other(m);
}

/* The duration histogram of error type e, created on first use. */
static bw_hist *err_hist(bw_metrics *m, bw_mseries *s, int e)
{
    bw_hist *h = atomic_load_explicit(&s->err[e], memory_order_acquire);
    if (h)
        return h;
    pthread_mutex_lock(&m->mu);
    h = atomic_load_explicit(&s->err[e], memory_order_relaxed);
    if (!h && (h = malloc(sizeof *h))) {
        bw_hist_init(h, &m->bounds);
        atomic_store_explicit(&s->err[e], h, memory_order_release);
    }
    pthread_mutex_unlock(&m->mu);
    return h;
}

static void record(bw_metrics *m, bw_mseries *s, int st, const char *error_type, double duration_s)
{
    if (!s)
        return;
    atomic_fetch_add_explicit(&s->status[st], 1, memory_order_relaxed);
    bw_lat_observe(&s->lat, duration_s);
    bw_hist *h = st == BW_MST_OK ? &s->ok : err_hist(m, s, bw_metrics_error_index(error_type));
    if (h)
        bw_hist_observe(h, duration_s);
}

void bw_mseries_snap(const bw_mseries *s, bw_hist_snap *out)
{
    bw_hist_snap_add(out, &s->ok);
    for (int e = 0; e < BW_MERR_COUNT; e++)
        bw_hist_snap_add(out, atomic_load_explicit(&s->err[e], memory_order_acquire));
}

/* ---- lifetime ---- */

bw_metrics *bw_metrics_new(void)
{
    bw_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->bounds = bw_hist_default_bounds;
    atomic_init(&m->max_tools, 1000);
    atomic_init(&m->auth[0].name, strdup("other"));
    if (!atomic_load(&m->auth[0].name) || !table_init(&m->methods, BW_METRICS_METHODS_CAP) ||
        !table_init(&m->tools, BW_METRICS_TOOLS_CAP)) {
        bw_metrics_free(m);
        return NULL;
    }
    return m;
}

void bw_metrics_free(bw_metrics *m)
{
    if (!m)
        return;
    table_destroy(&m->methods);
    table_destroy(&m->tools);
    for (int i = 0; i < BW_METRICS_AUTH_REASONS; i++)
        free(atomic_load(&m->auth[i].name));
    pthread_mutex_destroy(&m->mu);
    free(m);
}

bw_metrics *bw_metrics_of(bw_server *srv)
{
    return srv && srv->obs ? srv->obs->metrics : NULL;
}

/* ---- updates ---- */

void bw_metrics_call_end(bw_server *srv, const bw_obs_outcome *o)
{
    bw_metrics *m = bw_metrics_of(srv);
    if (!m || !o || !o->method || atomic_load_explicit(&m->disabled, memory_order_relaxed))
        return;
    int st = status_index(o->status);
    /* Methods come from the method table (o->method is its entry's name): at most ~22 series. */
    record(m, get_or_add(m, &m->methods, o->method, BW_METRICS_METHODS_CAP * 3 / 4), st, o->error_type,
           o->duration_s);
    if (!strcmp(o->method, "tools/call"))
        record(m, tool_series(m, srv, o->target), st, o->error_type, o->duration_s);
}

void bw_metrics_refused(bw_server *srv, const char *method_label, int rpc_code)
{
    (void)rpc_code;
    bw_metrics *m = bw_metrics_of(srv);
    if (!m || atomic_load_explicit(&m->disabled, memory_order_relaxed))
        return;
    bw_mseries *s = get_or_add(m, &m->methods, method_label ? method_label : "other", BW_METRICS_METHODS_CAP * 3 / 4);
    if (s) /* counted, not timed: a refused request never ran */
        atomic_fetch_add_explicit(&s->status[BW_MST_ERROR], 1, memory_order_relaxed);
}

/* Finds or claims the reason's counter: claiming takes the mutex once per reason. Slot 0 is "other" (claimed at
 * creation, so the family always has a series), shared by reasons past the bound. */
static bw_mcounter *auth_counter(bw_metrics *m, const char *reason)
{
    for (int i = 0; i < BW_METRICS_AUTH_REASONS; i++) {
        char *n = atomic_load_explicit(&m->auth[i].name, memory_order_acquire);
        if (!n)
            break;
        if (!strcmp(n, reason))
            return &m->auth[i];
    }
    bw_mcounter *c = &m->auth[0];
    pthread_mutex_lock(&m->mu);
    for (int i = 1; i < BW_METRICS_AUTH_REASONS; i++) {
        char *n = atomic_load_explicit(&m->auth[i].name, memory_order_relaxed);
        if (n && !strcmp(n, reason)) {
            c = &m->auth[i];
            break;
        }
        if (!n) {
            if ((n = strdup(reason))) {
                atomic_store_explicit(&m->auth[i].name, n, memory_order_release);
                c = &m->auth[i];
            }
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return c;
}

void bw_metrics_auth_failure(bw_server *srv, const char *reason)
{
    bw_metrics *m = bw_metrics_of(srv);
    if (!m)
        return;
    bw_mcounter *c = auth_counter(m, reason && *reason ? reason : "other");
    if (c)
        atomic_fetch_add_explicit(&c->n, 1, memory_order_relaxed);
}

void bw_metrics_sse_streams_add(long delta)
{
    atomic_fetch_add_explicit(&bw_mglobal_state.sse_streams, delta, memory_order_relaxed);
}

static void add_u(atomic_uint_fast64_t *c, long n)
{
    if (n > 0)
        atomic_fetch_add_explicit(c, (uint_fast64_t)n, memory_order_relaxed);
}

void bw_metrics_trace_spans(long exported, long dropped)
{
    add_u(&bw_mglobal_state.spans_exported, exported);
    add_u(&bw_mglobal_state.spans_dropped, dropped);
}

void bw_metrics_audit_records(long written, long spooled, long dropped, long rejected)
{
    add_u(&bw_mglobal_state.audit_written, written);
    add_u(&bw_mglobal_state.audit_spooled, spooled);
    add_u(&bw_mglobal_state.audit_dropped, dropped);
    add_u(&bw_mglobal_state.audit_rejected, rejected);
}

void bw_metrics_log_lines_dropped(long n)
{
    add_u(&bw_mglobal_state.log_dropped, n);
}

/* ---- options ---- */

bw_status bw_server_set_metrics(bw_server *srv, const bw_metrics_options *opts, char *err, size_t errlen)
{
    bw_metrics *m = bw_metrics_of(srv);
    if (err && errlen)
        err[0] = '\0';
    char sink[8];
    if (!err) {
        err = sink;
        errlen = sizeof sink;
    }
    if (!m)
        return BW_E_INVALID_ARG;
    bw_hist_bounds b = bw_hist_default_bounds;
    bool custom = opts && opts->buckets && opts->n_buckets;
    if (custom && !bw_hist_bounds_set(&b, opts->buckets, opts->n_buckets, err, errlen))
        return BW_E_INVALID_ARG;
    int max_tools = opts && opts->max_tools ? opts->max_tools : 1000;
    if (max_tools < 1 || max_tools > BW_METRICS_MAX_TOOLS_LIMIT) {
        snprintf(err, errlen, "max_tools must be between 1 and %d", BW_METRICS_MAX_TOOLS_LIMIT);
        return BW_E_INVALID_ARG;
    }
    pthread_mutex_lock(&m->mu);
    /* Histograms cannot change buckets under running series: new bounds apply only before the first one exists. */
    if (!atomic_load(&m->bounds_fixed))
        m->bounds = b;
    atomic_store(&m->max_tools, max_tools);
    atomic_store(&m->disabled, opts && opts->disabled);
    pthread_mutex_unlock(&m->mu);
    return BW_OK;
}

bool bw_metrics_bounds_differ(bw_server *srv, const double *le, size_t n)
{
    bw_metrics *m = bw_metrics_of(srv);
    bw_hist_bounds want;
    char err[8];
    if (!m || !bw_hist_bounds_set(&want, le, n, err, sizeof err))
        return false;
    pthread_mutex_lock(&m->mu);
    bool differ = atomic_load(&m->bounds_fixed) && !bw_hist_bounds_equal(&m->bounds, &want);
    pthread_mutex_unlock(&m->mu);
    return differ;
}
