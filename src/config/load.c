/* The load pipeline and the mapping of schema failures (JSON pointers) back to YAML positions. */
#include "config/load.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_schema.h"
#include "config/file.h"
#include "config/pos.h"
#include "config/subst.h"
#include "config/yaml.h"
#include "protocol/schema.h"

struct bw_config {
    json_t *root;
    bw_cfg_pos *pos;
    char *name, *dir;
};

void bw_config_free(bw_config *cfg)
{
    if (!cfg)
        return;
    json_decref(cfg->root);
    bw_cfg_pos_free(cfg->pos);
    free(cfg->name);
    free(cfg->dir);
    free(cfg);
}

const json_t *bw_config_root(const bw_config *cfg)
{
    return cfg->root;
}

const char *bw_config_name(const bw_config *cfg)
{
    return cfg->name;
}

const char *bw_config_dir(const bw_config *cfg)
{
    return cfg->dir;
}

bool bw_config_locate(const void *ctx, const json_t *node, int *line, int *col)
{
    const bw_config *cfg = ctx;
    bw_pos p;
    if (!cfg || !bw_cfg_pos_node(cfg->pos, node, &p))
        return false;
    *line = p.line;
    *col = p.col;
    return true;
}

bool bw_config_locate_member(const bw_config *cfg, const json_t *obj, const char *key, bool at_key, int *line,
                             int *col)
{
    bw_pos k, v;
    if (!bw_cfg_pos_member(cfg->pos, obj, bw_cfg_object_slot(obj, key, strlen(key)), &k, &v))
        return false;
    *line = at_key ? k.line : v.line;
    *col = at_key ? k.col : v.col;
    return true;
}

/* ---- schema failures -> positions ---- */

typedef struct located {
    const json_t *node;
    bw_pos key, value;
    char path[512]; /* "tools[0].sql.database": how the location reads in a message */
} located;

/* Schema failures are gathered, then reported in file order (the validator walks in schema order). */
typedef struct found {
    bw_pos at;
    size_t seq;
    char *text;
} found;

typedef struct validation {
    const bw_config *cfg;
    found v[BW_CONFIG_MAX_SCHEMA_ERRORS];
    size_t n;
} validation;

/* One pointer segment, ~1 and ~0 decoded, copied into seg (cut at its size). Returns the rest of the pointer. */
static const char *next_segment(const char *p, char *seg, size_t seglen, size_t *len)
{
    size_t n = 0;
    for (p++; *p && *p != '/'; p++) {
        char ch = *p;
        if (ch == '~' && (p[1] == '0' || p[1] == '1'))
            ch = *++p == '0' ? '~' : '/';
        if (n + 1 < seglen)
            seg[n++] = ch;
    }
    seg[n] = '\0';
    *len = n;
    return p;
}

/* Walks the pointer down the tree, ending with the last member's key and value positions. */
static bool locate_pointer(const bw_config *cfg, const char *ptr, located *out)
{
    const json_t *node = cfg->root;
    out->node = node;
    out->path[0] = '\0';
    if (!bw_cfg_pos_node(cfg->pos, node, &out->value))
        out->value = (bw_pos){1, 1};
    out->key = out->value;
    while (*ptr == '/' && node) {
        char seg[256];
        size_t len, slot;
        ptr = next_segment(ptr, seg, sizeof seg, &len);
        const json_t *parent = node;
        size_t used = strlen(out->path);
        if (json_is_object(parent)) {
            slot = bw_cfg_object_slot(parent, seg, len);
            node = json_object_getn(parent, seg, len);
            snprintf(out->path + used, sizeof out->path - used, "%s%s", used ? "." : "", seg);
        } else {
            slot = strtoul(seg, NULL, 10);
            node = json_array_get(parent, slot);
            snprintf(out->path + used, sizeof out->path - used, "[%zu]", slot);
        }
        if (!node || !bw_cfg_pos_member(cfg->pos, parent, slot, &out->key, &out->value))
            return false;
        out->node = node;
    }
    return true;
}

/* YAML 1.1 spelled booleans this way; YAML 1.2 (and so bulwark) reads them as strings. */
static const char *boolean_hint(const json_t *node, const char *message)
{
    static const char *const words[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO",
                                        "ON", "OFF"};
    if (!json_is_string(node) || strcmp(message, "expected boolean, got string"))
        return "";
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(json_string_value(node), words[i]))
            return " (YAML 1.2 reads yes/no/on/off as text: write true or false)";
    return "";
}

static void on_schema_error(void *ctx, const bw_schema_error *e)
{
    validation *v = ctx;
    located at;
    if (!locate_pointer(v->cfg, e->pointer, &at)) {
        at.key = at.value = (bw_pos){0, 0};
        at.node = NULL;
    }
    char text[2048];
    if (e->at_key || !at.path[0])
        snprintf(text, sizeof text, "%s", e->message);
    else
        snprintf(text, sizeof text, "%s: %s%s", at.path, e->message, boolean_hint(at.node, e->message));
    /* The validator stops at the same cap; a failed copy loses the text, never the failure (the load fails). */
    char *copy = v->n < BW_CONFIG_MAX_SCHEMA_ERRORS ? strdup(text) : NULL;
    if (!copy)
        return;
    v->v[v->n] = (found){e->at_key ? at.key : at.value, v->n, copy};
    v->n++;
}

static int found_cmp(const void *a, const void *b)
{
    const found *x = a, *y = b;
    if (x->at.line != y->at.line)
        return x->at.line < y->at.line ? -1 : 1;
    if (x->at.col != y->at.col)
        return x->at.col < y->at.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void report_found(validation *v, bw_diag *diag)
{
    qsort(v->v, v->n, sizeof v->v[0], found_cmp);
    for (size_t i = 0; i < v->n; i++) {
        bw_diag_add(diag, true, v->cfg->name, v->v[i].at.line, v->v[i].at.col, "%s", v->v[i].text);
        free(v->v[i].text);
    }
}

static bool validate(const bw_config *cfg, bw_diag *diag)
{
    char err[512];
    json_t *sj = bw_config_schema_json(err, sizeof err);
    bw_schema *s = sj ? bw_schema_compile(sj, err, sizeof err) : NULL;
    json_decref(sj);
    if (!s) {
        bw_diag_add(diag, true, cfg->name, 0, 0, "internal error: the embedded configuration schema: %s", err);
        return false;
    }
    validation *v = calloc(1, sizeof *v);
    if (!v) {
        bw_diag_add(diag, true, cfg->name, 0, 0, "out of memory");
        bw_schema_free(s);
        return false;
    }
    v->cfg = cfg;
    size_t n = bw_schema_validate_all(s, cfg->root, on_schema_error, v, BW_CONFIG_MAX_SCHEMA_ERRORS);
    bw_schema_free(s);
    report_found(v, diag);
    free(v);
    return n == 0;
}

/* ---- the pipeline ---- */

static bw_config *config_new(const char *name, const char *dir)
{
    bw_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->name = strdup(name ? name : "<config>");
    cfg->dir = strdup(dir && *dir ? dir : ".");
    cfg->pos = bw_cfg_pos_new();
    if (!cfg->name || !cfg->dir || !cfg->pos) {
        bw_config_free(cfg);
        return NULL;
    }
    return cfg;
}

bw_config *bw_config_load_text(const char *text, size_t len, const char *name, const char *dir, bw_diag *diag)
{
    bw_config *cfg = config_new(name, dir);
    if (!cfg) {
        bw_diag_add(diag, true, name, 0, 0, "out of memory");
        return NULL;
    }
    cfg->root = bw_yaml_parse(text, len, cfg->name, cfg->pos, diag);
    /* Substitution errors do not hide schema errors: both kinds are reported in one run. A YAML error does (the
     * tree is incomplete). */
    bool ok = cfg->root != NULL;
    if (ok)
        ok = bw_subst_tree(cfg->root, cfg->dir, cfg->name, cfg->pos, diag);
    if (cfg->root)
        ok = validate(cfg, diag) && ok;
    if (!ok) {
        bw_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    char *d = copy ? strdup(dirname(copy)) : NULL;
    free(copy);
    return d;
}

bw_config *bw_config_load(const char *path, bw_diag *diag)
{
    char why[128];
    size_t len;
    char *text = bw_read_file(path, BW_CONFIG_MAX_FILE, &len, why, sizeof why);
    if (!text) {
        bw_diag_add(diag, true, path, 0, 0, "cannot read the configuration: %s", why);
        return NULL;
    }
    char *dir = dir_of(path);
    bw_config *cfg = dir ? bw_config_load_text(text, len, path, dir, diag) : NULL;
    if (!dir)
        bw_diag_add(diag, true, path, 0, 0, "out of memory");
    free(dir);
    free(text);
    return cfg;
}
