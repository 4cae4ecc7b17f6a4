/* observability.audit → bw_server_set_audit. The schema checked types and ranges; here: one of path/postgres,
 * the checkpoint key's form (validation only never opens the trail), and relative paths resolved against the
 * configuration file's directory. Without the section a reload turns a running trail off. */
#include <string.h>

#include "bulwark/observe.h"
#include "config/app_observe.h"
#include "observability/audit_checkpoint.h"

static bw_audit_arguments arguments_mode(const char *s)
{
    if (s && !strcmp(s, "none"))
        return BW_AUDIT_ARGS_NONE;
    if (s && !strcmp(s, "full"))
        return BW_AUDIT_ARGS_FULL;
    return BW_AUDIT_ARGS_REDACTED;
}

/* A configured path resolved against the configuration's directory (NULL when absent; reported when no memory). */
static const char *path_of(bw_build *b, const json_t *section, const char *key, bool *ok)
{
    const json_t *v = json_object_get(section, key);
    if (!json_is_string(v))
        return NULL;
    const char *p = bw_build_path(b, json_string_value(v));
    if (!p) {
        bw_build_error(b, v, "observability.audit.%s: out of memory", key);
        *ok = false;
    }
    return p;
}

static bool check(bw_build *b, const json_t *section, const bw_audit_options *o)
{
    bool ok = true;
    if (!o->sqlite_path && !o->postgres) {
        bw_build_error(b, section, "observability.audit: set path (a SQLite file) or postgres");
        ok = false;
    }
    if (o->sqlite_path && o->postgres) {
        bw_build_error(b, json_object_get(section, "postgres"), "observability.audit: path and postgres exclude each other");
        ok = false;
    }
    uint8_t key[BW_AUDIT_KEY_BYTES];
    char err[200];
    if (o->checkpoint_key && bw_audit_key_load(o->checkpoint_key, NULL, false, key, err, sizeof err) != BW_OK) {
        bw_build_error(b, json_object_get(section, "checkpoint_key"), "observability.audit.%s", err);
        ok = false;
    }
    if (o->postgres && o->retention_days > 0 && !o->checkpoint_key) {
        bw_build_error(b, json_object_get(section, "retention_days"),
                       "observability.audit.retention_days with postgres needs checkpoint_key");
        ok = false;
    }
    return ok;
}

void bw_app_observe_audit(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    const json_t *section = json_object_get(json_object_get(root, "observability"), "audit");
    bool ok = true;
    const char *policy = json_string_value(json_object_get(section, "failure_policy"));
    bw_audit_options o = {
        .sqlite_path = path_of(b, section, "path", &ok),
        .postgres = json_string_value(json_object_get(section, "postgres")),
        .arguments = arguments_mode(json_string_value(json_object_get(section, "arguments"))),
        .queue_size = (int)json_integer_value(json_object_get(section, "queue_size")),
        .fail_closed = policy && !strcmp(policy, "fail_closed"),
        .spool_path = path_of(b, section, "spool_path", &ok),
        .retention_days = (int)json_integer_value(json_object_get(section, "retention_days")),
        .checkpoint_key = json_string_value(json_object_get(section, "checkpoint_key")),
    };
    if (!ok || (section && !check(b, section, &o)) || !apply)
        return;
    char err[300] = "";
    if (bw_server_set_audit(srv, &o, err, sizeof err) != BW_OK)
        bw_build_error(b, section, "observability.audit: %s", *err ? err : "not accepted by the server");
}
