/* The hot reload's structured log lines (see reload_log.h for the events and their fields). */
#include "config/reload_log.h"

#include "observability/log.h"
#include "observability/log_line.h"

/* The errors array of one failure line stays under this many serialized bytes, so the line (at most
 * BW_LOG_LINE_MAX) keeps it as JSON instead of cutting it into a string; the rest is counted in errors_omitted.
 * A first error always fits (a diagnostic's message is at most 2 KiB, its file name the path given). */
#define ERRORS_BUDGET 12288

/* {file, line, col, message} of diagnostic i (line/col only with a position); NULL on allocation failure. */
static json_t *entry_json(const bw_diag_parts *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    if (p->file)
        bad |= json_object_set_new(o, "file", json_string(p->file));
    if (p->line > 0) {
        bad |= json_object_set_new(o, "line", json_integer(p->line));
        bad |= json_object_set_new(o, "col", json_integer(p->col));
    }
    bad |= json_object_set_new(o, "message", json_string(p->message));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

#define NOMEM_FIELDS "out of memory (fields left out)"

/* Writes the event and frees extra (file first, built by the caller). extra NULL (its building failed) still writes
 * the line with the file, saying why the other fields are missing. */
static void event(bw_loglevel lvl, const char *msg, const char *path, json_t *extra, const char *error)
{
    if (!extra) {
        extra = json_pack("{s:s?}", "file", path);
        error = error ? error : NOMEM_FIELDS;
    }
    bw_log_event(lvl, msg, &(bw_log_fields){.error = error, .extra = extra});
    json_decref(extra);
}

void bw_reload_log_reloaded(const char *path, const bw_app_counts *c)
{
    /* Like bw_log_announce: written at every level but off (the result operators and scripts wait for). */
    if (bw_log_get_level() >= BW_LL_OFF)
        return;
    json_t *o = json_pack("{s:s?,s:I,s:I,s:I,s:I,s:I}", "file", path, "tools", (json_int_t)c->tools, "resources",
                          (json_int_t)(c->resources + c->resource_templates), "prompts", (json_int_t)c->prompts,
                          "databases_kept", (json_int_t)c->databases_kept, "databases_opened",
                          (json_int_t)(c->databases - c->databases_kept));
    bw_logline l;
    bw_logline_begin(&l, BW_LL_INFO, "config_reloaded");
    if (o)
        bw_logline_object(&l, o);
    else
        bw_logline_str(&l, "error", NOMEM_FIELDS);
    bw_logline_end(&l);
    json_decref(o);
}

void bw_reload_log_warnings(const char *path, const bw_diag *diag)
{
    bw_diag_parts p;
    for (size_t i = 0; bw_diag_parts_of(diag, i, &p); i++) {
        if (p.is_error)
            continue;
        json_t *o = json_pack("{s:s?}", "file", path);
        json_t *e = entry_json(&p);
        if (!e || (o && json_object_update(o, e) != 0)) {
            json_decref(o);
            o = NULL;
        }
        json_decref(e);
        event(BW_LL_WARN, "config_warning", path, o, NULL);
    }
}

/* The errors of diag as an array within ERRORS_BUDGET; *kept says how many made it. NULL on allocation failure. */
static json_t *errors_json(const bw_diag *diag, size_t *kept)
{
    json_t *a = json_array();
    size_t used = 2; /* [] */
    bw_diag_parts p;
    *kept = 0;
    for (size_t i = 0; a && bw_diag_parts_of(diag, i, &p); i++) {
        if (!p.is_error)
            continue;
        json_t *e = entry_json(&p);
        size_t size = e ? json_dumpb(e, NULL, 0, JSON_COMPACT) + 1 : 0;
        if (e && *kept && used + size > ERRORS_BUDGET) {
            json_decref(e);
            break;
        }
        if (!e || json_array_append_new(a, e) != 0) {
            json_decref(a);
            return NULL;
        }
        used += size;
        ++*kept;
    }
    return a;
}

void bw_reload_log_failed(const char *path, const bw_diag *diag)
{
    bw_reload_log_warnings(path, diag);
    if (!bw_diag_errors(diag)) { /* the rebuild ran out of memory */
        event(BW_LL_ERROR, "config_reload_failed", path,
              json_pack("{s:s?,s:s}", "file", path, "serving", "previous configuration"), "out of memory");
        return;
    }
    size_t kept = 0;
    json_t *errors = errors_json(diag, &kept);
    size_t omitted = bw_diag_errors(diag) - kept; /* past the budget, or past the 200 entries a diag keeps */
    json_t *o = errors ? json_pack("{s:s?,s:s,s:o}", "file", path, "serving", "previous configuration", "errors",
                                   errors)
                       : NULL;
    if (o && omitted && json_object_set_new(o, "errors_omitted", json_integer((json_int_t)omitted)) != 0) {
        json_decref(o);
        o = NULL;
    }
    event(BW_LL_ERROR, "config_reload_failed", path, o, NULL);
}

void bw_reload_log_restart_needed(const char *path, const char *const *sections, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        if (json_array_append_new(list, json_string(sections[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *o = list ? json_pack("{s:s?,s:o,s:s}", "file", path, "sections", list, "kept",
                                 "the running values, until a restart")
                     : NULL;
    event(BW_LL_WARN, "config_restart_needed", path, o, NULL);
}

void bw_reload_log_error(const char *msg, const char *path, const char *error)
{
    event(BW_LL_ERROR, msg, path, NULL, error);
}
