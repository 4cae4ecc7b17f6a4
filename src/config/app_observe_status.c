/* observability.status → bw_events_configure: the status page and its event stream. The schema has checked every
 * type and range; absent keys take the defaults (so removing a key on reload restores its default). */
#include "config/app_observe.h"

#include "observability/events.h"

static int int_or(const json_t *obj, const char *key, int def)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

void bw_app_observe_status(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    (void)b;
    const json_t *st = json_object_get(json_object_get(root, "observability"), "status");
    bw_events_options o = bw_events_defaults();
    const json_t *en = json_object_get(st, "enabled");
    if (json_is_boolean(en))
        o.enabled = json_is_true(en);
    o.max_subscribers = int_or(st, "max_subscribers", o.max_subscribers);
    o.queue_events = int_or(st, "queue_events", o.queue_events);
    o.stats_interval_ms = int_or(st, "stats_interval_ms", o.stats_interval_ms);
    o.keepalive_ms = int_or(st, "keepalive_ms", o.keepalive_ms);
    /* Nothing to check across nodes; validation (apply false) is the schema's alone. Applying is reload-safe: open
     * streams keep going, the new limits apply to what comes next. */
    if (apply)
        bw_events_configure(srv, &o);
}
