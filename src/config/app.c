/* The application builder: walks the validated configuration in a fixed order and hands each entry to the provider
 * that serves it. Cross-entry checks that no single provider can make (duplicate names and URIs) live here. */
#include "config/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "config/app_http.h"
#include "config/app_observe.h"
#include "config/app_reliability.h"
#include "config/load.h"
#include "protocol/server_internal.h"
#include "providers/exec.h"
#include "providers/files.h"
#include "providers/http_provider.h"
#include "providers/prompts.h"
#include "providers/sql.h"
#include "providers/sql_health.h"
#include "observability/log.h"

struct bw_app {
    bw_config *cfg;
    bw_server *srv;
    bw_build *build;
    bw_app_transport transport;
    bw_app_http http;
    size_t databases;
    /* Reload: the running application whose unchanged database pools this build borrows (NULL otherwise; only
     * used while building), and how many it borrowed. */
    const bw_app *donor;
    size_t databases_kept;
};

static const char *str_at(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int int_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return v ? (int)json_integer_value(v) : 0;
}

/* ---- duplicate names ---- */

/* Names already used in one list (tools, prompts, resource URIs, template URIs): name -> line of the first. */
static bool first_use(bw_build *b, const bw_config *cfg, json_t *seen, const json_t *name_node, const char *what)
{
    const char *name = json_string_value(name_node);
    int line = 0, col = 0;
    bw_config_locate(cfg, name_node, &line, &col);
    const json_t *first = json_object_get(seen, name);
    if (first) {
        bw_build_error(b, name_node, "duplicate %s '%s' (first defined at line %d)", what, name,
                       (int)json_integer_value(first));
        return false;
    }
    if (json_object_set_new(seen, name, json_integer(line)) != 0)
        bw_build_error(b, name_node, "out of memory");
    return true;
}

/* ---- sections ---- */

static bw_server *new_server(const json_t *s)
{
    const char *version = str_at(s, "version");
    bw_server_info info = {
        .name = str_at(s, "name"),
        .version = version ? version : bw_version(),
        .title = str_at(s, "title"),
        .description = str_at(s, "description"),
        .website_url = str_at(s, "website_url"),
        .instructions = str_at(s, "instructions"),
    };
    return bw_server_new(&info);
}

static void apply_limits(bw_app *app, const json_t *l)
{
    if (!l)
        return;
    /* Absent keys stay 0, which bw_server_set_limits takes as "the default" (the schema documents the same). */
    bw_limits lim = {
        .max_message_bytes = (size_t)int_at(l, "max_message_bytes"),
        .max_depth = int_at(l, "max_depth"),
        .page_size = int_at(l, "page_size"),
        .workers = int_at(l, "workers"),
        .queue_depth = int_at(l, "queue_depth"),
        .max_in_flight = int_at(l, "max_in_flight"),
        .request_timeout_ms = int_at(l, "request_timeout_ms"),
        .client_request_timeout_ms = int_at(l, "client_request_timeout_ms"),
        .shutdown_grace_ms = int_at(l, "shutdown_grace_ms"),
    };
    if (bw_server_set_limits(app->srv, &lim) != BW_OK)
        bw_build_error(app->build, l, "limits: a value is outside the range the server accepts");
}

static void transports(bw_app *app, const json_t *t)
{
    app->transport = !strcmp(str_at(t, "default") ? str_at(t, "default") : "stdio", "http") ? BW_APP_HTTP
                                                                                              : BW_APP_STDIO;
    bw_app_http_build(app->build, json_object_get(t, "http"), &app->http);
}

/* The donor's pool for database `name` when its configuration is identical (reload keeps its connections). */
static bw_sql_db *donor_database(const bw_app *app, const char *name, const json_t *cfg)
{
    if (!app->donor)
        return NULL;
    const json_t *before = json_object_get(json_object_get(bw_config_root(app->donor->cfg), "databases"), name);
    return before && json_equal(before, cfg) ? bw_build_database(app->donor->build, name) : NULL;
}

static void databases(bw_app *app, const json_t *dbs)
{
    const char *name;
    json_t *cfg;
    json_object_foreach((json_t *)dbs, name, cfg)
    {
        bw_sql_db *kept = donor_database(app, name, cfg);
        if (kept) {
            if (bw_build_lend_database(app->build, name, kept) != BW_OK)
                bw_build_error(app->build, cfg, "out of memory");
            else {
                app->databases++;
                app->databases_kept++;
            }
            continue;
        }
        bw_sql_db *db = bw_sql_db_open(app->build, name, cfg);
        if (!db)
            continue;
        if (bw_build_add_database(app->build, name, db) != BW_OK)
            bw_build_error(app->build, cfg, "out of memory");
        else if (bw_sql_health_register(app->srv, db) != BW_OK) /* the pool is the build's now; only the check failed */
            bw_build_error(app->build, cfg, "out of memory registering the health check of database '%s'", name);
        else
            app->databases++;
    }
}

static void provider_done(bw_app *app, const json_t *entry, bw_status st);

/* Registers a compiled tool; the server's reason (e.g. an invalid inputSchema) goes to the node it is about. */
static void add_tool(bw_app *app, const json_t *tool, const bw_tool_def *def)
{
    char err[512];
    if (bw_server_add_tool(app->srv, def, err, sizeof err) == BW_OK)
        return;
    const json_t *at = tool;
    if (strstr(err, "inputSchema") && json_object_get(tool, "input_schema"))
        at = json_object_get(tool, "input_schema");
    else if (strstr(err, "outputSchema") && json_object_get(tool, "output_schema"))
        at = json_object_get(tool, "output_schema");
    bw_build_error(app->build, at, "%s", err);
}

static void tool(bw_app *app, const json_t *t)
{
    bw_tool_def def = {
        .name = str_at(t, "name"),
        .title = str_at(t, "title"),
        .description = str_at(t, "description"),
        .input_schema = json_object_get(t, "input_schema"),
        .output_schema = json_object_get(t, "output_schema"),
        .annotations = json_object_get(t, "annotations"),
    };
    const json_t *section;
    bw_status st;
    if ((section = json_object_get(t, "sql")))
        st = bw_sql_tool_build(app->build, t, section, &def);
    else if ((section = json_object_get(t, "http")))
        st = bw_http_tool_build(app->build, t, section, &def);
    else if ((section = json_object_get(t, "exec")))
        st = bw_exec_tool_build(app->build, t, section, &def);
    else
        return; /* the schema has reported it */
    bw_tool_policy policy;
    if (bw_app_tool_policy(app->build, bw_config_root(app->cfg), t, &policy))
        def.policy = &policy;
    if (st == BW_OK)
        add_tool(app, t, &def);
    else
        provider_done(app, t, st);
}

/* Runs build(entry) for every entry of a list whose `key` is not a duplicate. */
static void each_entry(bw_app *app, const json_t *list, const char *key, const char *what,
                       void (*build)(bw_app *app, const json_t *entry, void *ctx), void *ctx)
{
    json_t *seen = json_object();
    if (!seen) {
        bw_build_error(app->build, list, "out of memory");
        return;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *entry = json_array_get(list, i);
        if (first_use(app->build, app->cfg, seen, json_object_get(entry, key), what))
            build(app, entry, ctx);
    }
    json_decref(seen);
}

static void build_tool(bw_app *app, const json_t *entry, void *ctx)
{
    (void)ctx;
    tool(app, entry);
}

/* Providers report their failures; this makes sure a failure they did not report still fails the build. */
static void provider_done(bw_app *app, const json_t *entry, bw_status st)
{
    if (st != BW_OK && !bw_build_failed(app->build))
        bw_build_error(app->build, entry, "this entry could not be built (%s)", bw_status_str(st));
}

static void build_resource(bw_app *app, const json_t *entry, void *cat)
{
    provider_done(app, entry, bw_files_resource_build(app->build, cat, entry));
}

static void build_template(bw_app *app, const json_t *entry, void *cat)
{
    provider_done(app, entry, bw_files_template_build(app->build, cat, entry));
}

static void build_prompt(bw_app *app, const json_t *entry, void *cat)
{
    provider_done(app, entry, bw_prompt_build(app->build, cat, entry));
}

/* stateless: requestState keys and cache hints (2026-07-28). */
static void apply_stateless(bw_app *app, const json_t *st)
{
    const json_t *keys = json_object_get(st, "state_keys");
    const json_t *ttl = json_object_get(st, "state_ttl_ms");
    if (keys || ttl) {
        const char *k[3] = {json_string_value(json_array_get(keys, 0)), json_string_value(json_array_get(keys, 1)),
                            NULL};
        char err[200];
        if (bw_server_set_state_keys(app->srv, keys ? k : NULL, (int)json_integer_value(ttl), err, sizeof err))
            bw_build_error(app->build, keys ? keys : ttl, "stateless.state_keys: %s", err);
    }
    const char *method;
    const json_t *hint;
    json_object_foreach((json_t *)json_object_get(st, "cache"), method, hint) {
        const char *scope = json_string_value(json_object_get(hint, "scope"));
        if (bw_server_set_cache_hint(app->srv, method, json_integer_value(json_object_get(hint, "ttl_ms")),
                                     scope && !strcmp(scope, "public")))
            bw_build_error(app->build, hint, "stateless.cache.%s: not accepted by the server", method);
    }
}

static void build_all(bw_app *app)
{
    const json_t *root = bw_config_root(app->cfg);
    apply_limits(app, json_object_get(root, "limits"));
    apply_stateless(app, json_object_get(root, "stateless"));
    bw_app_reliability_apply(app->build, app->srv, json_object_get(root, "reliability"));
    /* A staging build (reload) or `bulwark check` only validates; the live server is configured on adopt. */
    bw_app_observe_apply(app->build, app->srv, root, !app->donor && bw_build_mode_of(app->build) == BW_BUILD_SERVE);
    transports(app, json_object_get(root, "transports"));
    databases(app, json_object_get(root, "databases"));
    each_entry(app, json_object_get(root, "tools"), "name", "tool name", build_tool, NULL);
    bw_app_reliability_tools(app->build, app->srv, json_object_get(root, "reliability"));
    bw_files_catalog *cat = bw_files_catalog_new(app->build);
    if (!cat) {
        bw_build_error(app->build, NULL, "out of memory");
        return;
    }
    each_entry(app, json_object_get(root, "resources"), "uri", "resource URI", build_resource, cat);
    each_entry(app, json_object_get(root, "resource_templates"), "uri_template", "resource template",
               build_template, cat);
    each_entry(app, json_object_get(root, "prompts"), "name", "prompt name", build_prompt, cat);
}

/* ---- lifecycle ---- */

void bw_app_free(bw_app *app)
{
    if (!app)
        return;
    /* Handlers point into provider state owned by the build context: the server goes first. */
    bw_server_free(app->srv);
    bw_build_free(app->build);
    bw_app_http_clear(&app->http);
    bw_config_free(app->cfg);
    free(app);
}

static bw_app *build_app(const char *path, bw_build_mode mode, bw_diag *diag, const bw_app *donor)
{
    bw_app *app = calloc(1, sizeof *app);
    if (!app) {
        bw_diag_add(diag, true, path, 0, 0, "out of memory");
        return NULL;
    }
    app->donor = donor;
    app->cfg = bw_config_load(path, diag);
    if (!app->cfg) {
        bw_app_free(app);
        return NULL;
    }
    const json_t *root = bw_config_root(app->cfg);
    app->srv = new_server(json_object_get(root, "server"));
    app->build = app->srv ? bw_build_new(app->srv, diag, mode, bw_config_name(app->cfg), bw_config_dir(app->cfg),
                                         bw_config_locate, app->cfg)
                          : NULL;
    if (!app->build) {
        bw_diag_add(diag, true, path, 0, 0, "out of memory");
        bw_app_free(app);
        return NULL;
    }
    build_all(app);
    app->donor = NULL;
    if (bw_build_failed(app->build)) {
        bw_app_free(app);
        return NULL;
    }
    return app;
}

bw_app *bw_app_build(const char *path, bw_build_mode mode, bw_diag *diag)
{
    return build_app(path, mode, diag, NULL);
}

bw_server *bw_app_server(const bw_app *app)
{
    return app->srv;
}

bw_app_transport bw_app_default_transport(const bw_app *app)
{
    return app->transport;
}

const bw_http_options *bw_app_http_options(const bw_app *app)
{
    return &app->http.opts;
}

bw_app_counts bw_app_counts_of(const bw_app *app)
{
    bw_registry *reg = &app->srv->reg;
    return (bw_app_counts){
        .tools = bw_registry_count(reg, BW_KIND_TOOL),
        .resources = bw_registry_count(reg, BW_KIND_RESOURCE),
        .resource_templates = bw_registry_count(reg, BW_KIND_TEMPLATE),
        .prompts = bw_registry_count(reg, BW_KIND_PROMPT),
        .databases = app->databases,
        .databases_kept = app->databases_kept,
    };
}

/* ---- reload ---- */

bw_app *bw_app_rebuild(const char *path, bw_diag *diag, const bw_app *running)
{
    return build_app(path, BW_BUILD_SERVE, diag, running);
}

/* Sections read once when serving starts: a change needs a restart. */
static const char *const restart_sections[] = {"server", "transports", "limits", "stateless"};

size_t bw_app_restart_sections(const bw_app *live, const bw_app *next, const char **out, size_t max)
{
    const json_t *a = bw_config_root(live->cfg), *b = bw_config_root(next->cfg);
    size_t n = 0;
    for (size_t i = 0; i < sizeof restart_sections / sizeof *restart_sections && n < max; i++) {
        const json_t *x = json_object_get(a, restart_sections[i]), *y = json_object_get(b, restart_sections[i]);
        if (!(x == y || (x && y && json_equal(x, y))))
            out[n++] = restart_sections[i];
    }
    return n;
}

/* The kept pools change owner: next's build gets them, so they outlive live's old providers as long as needed. */
static void take_kept_databases(bw_app *live, bw_app *next)
{
    const char *name;
    json_t *cfg;
    json_object_foreach(json_object_get(bw_config_root(next->cfg), "databases"), name, cfg) {
        bw_sql_db *db = bw_build_database(next->build, name);
        if (db && db == bw_build_database(live->build, name) && bw_build_transfer_database(live->build, next->build,
                                                                                              name) != BW_OK)
            abort(); /* an invariant of the lending above: live owns what next borrowed */
    }
}

/* The live server's database checks must follow the pools: a check whose pool is not kept goes before that pool
 * can be freed with the retired providers, and each newly opened pool gets its check (on the staging server it
 * was registered on, it never runs). A failure only leaves readiness without that check, so it is logged. */
static void move_health_checks(bw_app *live, bw_app *next)
{
    const char *name;
    json_t *cfg;
    char check[256];
    json_object_foreach(json_object_get(bw_config_root(live->cfg), "databases"), name, cfg) {
        bw_sql_db *before = bw_build_database(live->build, name);
        snprintf(check, sizeof check, "db:%s", name); /* the name bw_sql_health_register gives */
        if (before && before != bw_build_database(next->build, name) &&
            bw_server_remove_health_check(live->srv, check) != BW_OK)
            bw_log_msg(BW_LL_WARN, "reload: the health check %s was not registered", check);
    }
    json_object_foreach(json_object_get(bw_config_root(next->cfg), "databases"), name, cfg) {
        bw_sql_db *after = bw_build_database(next->build, name);
        if (after && after != bw_build_database(live->build, name) && bw_sql_health_register(live->srv, after) != BW_OK)
            bw_log_msg(BW_LL_WARN, "reload: could not register the health check of database '%s'", name);
    }
}

static void swap_ptr(void **a, void **b)
{
    void *t = *a;
    *a = *b;
    *b = t;
}

unsigned bw_app_adopt(bw_app *live, bw_app *next)
{
    bw_server *srv = live->srv, *staged = next->srv;
    unsigned changed = 0;
    for (int k = 0; k < BW_KIND_COUNT; k++)
        if (!bw_registry_same_listings(&srv->reg, &staged->reg, (bw_kind)k))
            changed |= 1u << k;
    take_kept_databases(live, next);
    move_health_checks(live, next);
    /* Logging (level, lifecycle levels, redaction), tracing, audit and metrics settings change live too — before the
     * new tools become visible, so that a client that sees them also sees their calls observed the new way (the
     * settings' strings belong to next's build, which becomes the live one below). */
    bw_app_observe_apply(next->build, srv, bw_config_root(next->cfg), true);
    bw_registry_swap(&srv->reg, &staged->reg);
    /* The completion table belongs to the providers (prompts): it moves with them. */
    swap_ptr((void **)&srv->complete_user, &staged->complete_user);
    bw_complete_fn fn = srv->complete;
    srv->complete = staged->complete;
    staged->complete = fn;
    swap_ptr((void **)&live->cfg, (void **)&next->cfg);
    swap_ptr((void **)&live->build, (void **)&next->build);
    size_t dbs = live->databases, kept = live->databases_kept;
    live->databases = next->databases, live->databases_kept = next->databases_kept;
    next->databases = dbs, next->databases_kept = kept;
    /* Server-wide reliability settings (defaults, max_in_flight, dependencies, cache size, state database, health)
     * change live too: the staging server validated them; an unchanged state database or cache is kept. */
    bw_app_reliability_apply(live->build, srv, json_object_get(bw_config_root(live->cfg), "reliability"));
    return changed;
}

bool bw_app_reload_watch(const bw_app *app)
{
    const json_t *reload = json_object_get(json_object_get(bw_config_root(app->cfg), "reliability"), "reload");
    return json_is_true(json_object_get(reload, "watch"));
}

bool bw_app_in_use(const bw_app *app)
{
    return !bw_registry_idle(&app->srv->reg);
}
