/* The server object: identity, limits, capabilities, the session list and broadcasts. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observability/events.h"
#include "observability/observe.h"
#include "protocol/jsonrpc.h"
#include "protocol/listen.h"
#include "protocol/seal.h"
#include "core/clock.h"
#include "protocol/server_internal.h"
#include "protocol/skills.h"
#include "protocol/tasks.h"
#include "protocol/session.h"
#include "reliability/health_internal.h"
#include "reliability/reliability_internal.h"

static const bw_limits default_limits = {
    .max_message_bytes = 4u << 20,
    .max_depth = 64,
    .page_size = 50,
    .workers = 4,
    .queue_depth = 1024,
    .max_in_flight = 256,
    .request_timeout_ms = 30000,
    .client_request_timeout_ms = 60000,
    .shutdown_grace_ms = 5000,
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

bw_server *bw_server_new(const bw_server_info *info)
{
    if (!info || !info->name || !*info->name || !info->version || !*info->version)
        return NULL;
    bw_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->name = strdup(info->name);
    srv->version = strdup(info->version);
    srv->title = dup_or_null(info->title);
    srv->description = dup_or_null(info->description);
    srv->website_url = dup_or_null(info->website_url);
    srv->instructions = dup_or_null(info->instructions);
    srv->limits = default_limits;
    bw_registry_init(&srv->reg);
    pthread_mutex_init(&srv->sessions_mu, NULL);
    pthread_mutex_init(&srv->listeners_mu, NULL);
    atomic_init(&srv->shutting_down, false);
    atomic_init(&srv->draining, false);
    srv->created_ms = bw_clock_ms();
    srv->obs = bw_observe_new(srv);
    srv->seal = bw_seal_keys_random();
    srv->state_ttl_ms = BW_STATE_TTL_DEFAULT_MS;
    srv->rel = bw_reliability_new();
    if (!srv->name || !srv->version || !srv->seal || !srv->rel || !srv->obs) {
        bw_server_free(srv);
        return NULL;
    }
    return srv;
}

void bw_server_free(bw_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->shutting_down, true);
    bw_events_shutdown(srv); /* the bus stops reading health and metrics before they are freed */
    bw_health_free(srv); /* joins the check thread before the checks' user data (e.g. database pools) goes */
    bw_tasks_cancel_running(srv);
    bw_workpool_free(srv->pool);
    bw_tasks_free(srv->tasks);
    bw_observe_free(srv->obs); /* after the last call ended: flushes the audit queue and spans */
    srv->obs = NULL;
    bw_skills_free(srv->skills);
    bw_registry_destroy(&srv->reg);
    bw_reliability_free(srv->rel); /* after the registry: entries' policies are freed with them */
    bw_seal_keys_free(srv->seal);
    pthread_mutex_destroy(&srv->sessions_mu);
    pthread_mutex_destroy(&srv->listeners_mu);
    free(srv->name);
    free(srv->version);
    free(srv->title);
    free(srv->description);
    free(srv->website_url);
    free(srv->instructions);
    free(srv);
}

#define TAKE(field) l.field = limits->field > 0 ? limits->field : default_limits.field

bw_status bw_server_set_limits(bw_server *srv, const bw_limits *limits)
{
    if (!srv || !limits)
        return BW_E_INVALID_ARG;
    bw_limits l;
    TAKE(max_message_bytes);
    TAKE(max_depth);
    TAKE(page_size);
    TAKE(workers);
    TAKE(queue_depth);
    TAKE(max_in_flight);
    TAKE(request_timeout_ms);
    TAKE(client_request_timeout_ms);
    TAKE(shutdown_grace_ms);
    if (l.max_depth > 1000 || l.workers > 1024 || l.page_size > 10000)
        return BW_E_INVALID_ARG;
    srv->limits = l;
    return BW_OK;
}

bw_limits bw_server_limits(const bw_server *srv)
{
    return srv->limits;
}

bw_status bw_server_start_pool(bw_server *srv)
{
    bw_health_start(srv);
    if (srv->pool)
        return BW_OK;
    srv->pool = bw_workpool_new(srv->limits.workers, srv->limits.queue_depth);
    return srv->pool ? BW_OK : BW_E_NOMEM;
}

void bw_server_attach(bw_server *srv, bw_session *s)
{
    pthread_mutex_lock(&srv->sessions_mu);
    s->next = srv->sessions;
    srv->sessions = s;
    pthread_mutex_unlock(&srv->sessions_mu);
}

void bw_server_detach(bw_server *srv, bw_session *s)
{
    pthread_mutex_lock(&srv->sessions_mu);
    for (bw_session **pp = &srv->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&srv->sessions_mu);
}

/* Extensions exist only in the stateless revision's capabilities (server/discover). */
static void add_extensions(bw_server *srv, json_t *caps)
{
    json_t *ext = json_object();
    json_t *skills = bw_skills_capability(srv);
    if (skills)
        json_object_set_new(ext, "io.modelcontextprotocol/skills", skills);
    if (bw_tasks_offered(srv))
        json_object_set_new(ext, "io.modelcontextprotocol/tasks", json_object());
    if (json_object_size(ext))
        json_object_set_new(caps, "extensions", ext);
    else
        json_decref(ext);
}

json_t *bw_server_capabilities(bw_server *srv, bw_revision rev)
{
    json_t *caps = json_object();
    json_object_set_new(caps, "logging", json_object());
    if (srv->complete && bw_revision_has_completions(rev))
        json_object_set_new(caps, "completions", json_object());
    if (bw_registry_count(&srv->reg, BW_KIND_TOOL))
        json_object_set_new(caps, "tools", json_pack("{s:b}", "listChanged", 1));
    if (bw_registry_count(&srv->reg, BW_KIND_RESOURCE) + bw_registry_count(&srv->reg, BW_KIND_TEMPLATE))
        json_object_set_new(caps, "resources", json_pack("{s:b,s:b}", "subscribe", 1, "listChanged", 1));
    if (bw_registry_count(&srv->reg, BW_KIND_PROMPT))
        json_object_set_new(caps, "prompts", json_pack("{s:b}", "listChanged", 1));
    if (bw_revision_is_modern(rev))
        add_extensions(srv, caps);
    return caps;
}

bw_status bw_server_set_state_keys(bw_server *srv, const char *const *keys, int ttl_ms, char *err, size_t errlen)
{
    uint8_t k[2][BW_SEAL_KEY_BYTES];
    size_t n = 0;
    if (!srv)
        return BW_E_INVALID_ARG;
    for (; keys && keys[n]; n++) {
        if (n == 2) {
            snprintf(err, errlen, "at most two state keys: the current one and the previous one");
            return BW_E_INVALID_ARG;
        }
        if (bw_seal_key_parse(keys[n], k[n], err, errlen) != BW_OK)
            return BW_E_INVALID_ARG;
    }
    bw_seal_keys *ring = n ? bw_seal_keys_new(k[0], sizeof k[0], n > 1 ? k[1] : NULL, n > 1 ? sizeof k[1] : 0)
                           : bw_seal_keys_random();
    OPENSSL_cleanse(k, sizeof k);
    if (!ring)
        return BW_E_NOMEM;
    bw_seal_keys_free(srv->seal);
    srv->seal = ring;
    srv->state_ttl_ms = ttl_ms > 0 ? ttl_ms : BW_STATE_TTL_DEFAULT_MS;
    return BW_OK;
}

json_t *bw_server_info_json(bw_server *srv, bw_revision rev)
{
    json_t *info = json_pack("{s:s,s:s}", "name", srv->name, "version", srv->version);
    if (srv->title && bw_revision_has_titles(rev))
        json_object_set_new(info, "title", json_string(srv->title));
    if (srv->description && bw_revision_has_icons(rev))
        json_object_set_new(info, "description", json_string(srv->description));
    if (srv->website_url && bw_revision_has_icons(rev))
        json_object_set_new(info, "websiteUrl", json_string(srv->website_url));
    return info;
}

/* Sends msg (borrowed) to every session for which want(session, arg) holds. */
static void broadcast(bw_server *srv, const json_t *msg, bool (*want)(bw_session *, const void *), const void *arg)
{
    pthread_mutex_lock(&srv->sessions_mu);
    for (bw_session *s = srv->sessions; s; s = s->next)
        if (want(s, arg))
            bw_session_send(s, msg, NULL);
    pthread_mutex_unlock(&srv->sessions_mu);
}

static bool is_subscribed(bw_session *s, const void *uri)
{
    pthread_mutex_lock(&s->mu);
    bool yes = json_object_get(s->subscriptions, uri) != NULL;
    pthread_mutex_unlock(&s->mu);
    return yes;
}

static bool is_ready(bw_session *s, const void *unused)
{
    (void)unused;
    return bw_session_revision(s) != BW_REV_UNKNOWN;
}

void bw_server_notify_resource_updated(bw_server *srv, const char *uri)
{
    if (!srv || !uri)
        return;
    json_t *note = bw_rpc_notification("notifications/resources/updated", json_pack("{s:s}", "uri", uri));
    broadcast(srv, note, is_subscribed, uri);
    bw_listen_publish(srv, "notifications/resources/updated", uri, json_object_get(note, "params"));
    json_decref(note);
}

void bw_server_notify_list_changed(bw_server *srv, const char *kind)
{
    if (!srv || !kind)
        return;
    char method[64];
    snprintf(method, sizeof method, "notifications/%s/list_changed", kind);
    json_t *note = bw_rpc_notification(method, NULL);
    broadcast(srv, note, is_ready, NULL);
    bw_listen_publish(srv, method, NULL, NULL);
    json_decref(note);
}

void bw_server_set_completion(bw_server *srv, bw_complete_fn fn, void *user)
{
    srv->complete = fn;
    srv->complete_user = user;
}
