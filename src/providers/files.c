/* The files provider's build step: turns `resources` and `resource_templates` entries into sources in the catalog
 * and registered resources. Reading happens in files_source.c; confinement in files_open.c. */
#include "providers/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwark/call.h"
#include "providers/files_list.h"
#include "providers/files_mime.h"
#include "providers/files_open.h"
#include "providers/files_source.h"
#include "providers/files_uri.h"

#define DEFAULT_MAX_FILE_BYTES 10485760
#define URI_MAX (4096 * 4) /* a 4096-byte prefix plus a fully percent-encoded relative path */

static const char *str(const json_t *entry, const char *key)
{
    return json_string_value(json_object_get(entry, key));
}

static size_t max_bytes(const json_t *entry)
{
    const json_t *v = json_object_get(entry, "max_file_bytes");
    return json_is_integer(v) ? (size_t)json_integer_value(v) : DEFAULT_MAX_FILE_BYTES;
}

static bw_status read_resource(bw_call *call, const char *uri, const json_t *vars, void *user)
{
    bw_status st;
    char why[200];
    json_t *c = bw_files_source_read(user, uri, vars, &st, why, sizeof why);
    if (!c) {
        /* refused paths answer exactly like missing ones (-32002), so replies do not reveal the layout */
        if (st != BW_E_NOT_FOUND)
            bw_call_set_error(call, "%s", why);
        return st;
    }
    return bw_result_add_contents(bw_call_result(call), c);
}

/* Records src in the catalog and registers it (def->uri, def->handler and def->user are set here). */
static bw_status publish(bw_build *b, bw_files_catalog *cat, const json_t *node, bw_files_source *src,
                         bw_resource_def *def)
{
    const char *what = src->kind == BW_FILES_TEMPLATE ? "resource template" : "resource";
    def->uri = src->uri;
    def->is_template = src->kind == BW_FILES_TEMPLATE;
    def->handler = read_resource;
    def->user = src;
    bool in_catalog = false;
    bw_status st = bw_files_catalog_add(cat, src);
    if (st == BW_OK) {
        in_catalog = true; /* src belongs to the catalog from here on */
        st = bw_server_add_resource(bw_build_server(b), def);
    }
    if (st == BW_E_EXISTS)
        bw_build_error(b, node, "%s URI '%s' is defined twice (expected each URI once)", what, def->uri);
    else if (st != BW_OK)
        bw_build_error(b, node, "cannot register %s '%s': %s", what, def->uri, bw_status_str(st));
    if (!in_catalog)
        bw_files_source_free(src);
    return st;
}

static bw_files_source *source_new(bw_files_kind kind, const char *uri, const char *mime, const char *path,
                                   int root, size_t max)
{
    bw_files_source *src = calloc(1, sizeof *src);
    if (!src)
        return NULL;
    *src = (bw_files_source){.kind = kind, .root = root, .max_bytes = max};
    src->uri = strdup(uri);
    src->mime = mime ? strdup(mime) : NULL;
    src->path = path ? strdup(path) : NULL;
    if (!src->uri || (mime && !src->mime) || (path && !src->path)) {
        bw_files_source_free(src);
        return NULL;
    }
    return src;
}

static bw_status no_memory(bw_build *b, const json_t *node)
{
    bw_build_error(b, node, "out of memory");
    return BW_E_NOMEM;
}

/* The default name: the last segment of a URI or path ("docs://guide/intro" -> "intro"), else all of it. */
static const char *last_segment(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash && slash[1] ? slash + 1 : s;
}

static bw_resource_def base_def(const json_t *entry)
{
    return (bw_resource_def){.name = str(entry, "name"), .title = str(entry, "title"),
                             .description = str(entry, "description"), .mime_type = str(entry, "mime_type")};
}

static bw_status build_text(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    const json_t *text = json_object_get(entry, "text");
    bw_resource_def def = base_def(entry);
    if (!def.mime_type)
        def.mime_type = "text/plain";
    if (!def.name)
        def.name = last_segment(str(entry, "uri"));
    def.size = (int64_t)json_string_length(text);
    bw_files_source *src = source_new(BW_FILES_TEXT, str(entry, "uri"), def.mime_type, NULL, -1, 0);
    if (src)
        src->text = json_stringn(json_string_value(text), json_string_length(text));
    if (!src || !src->text) {
        bw_files_source_free(src);
        return no_memory(b, entry);
    }
    return publish(b, cat, json_object_get(entry, "uri"), src, &def);
}

static bw_status build_file(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    const json_t *node = json_object_get(entry, "file");
    const char *path = bw_build_path(b, json_string_value(node));
    struct stat st;
    if (!path)
        return no_memory(b, node);
    bool found = stat(path, &st) == 0;
    if (!found || !S_ISREG(st.st_mode)) {
        bw_build_error(b, node, "file '%s' %s (expected an existing regular file)", path,
                       !found && errno == ENOENT ? "does not exist" : "is not a readable regular file");
        return BW_E_NOT_FOUND;
    }
    size_t max = max_bytes(entry);
    if ((uintmax_t)st.st_size > max)
        bw_build_warn(b, node, "file '%s' is larger than max_file_bytes (%zu bytes): reading it will fail", path,
                      max);
    bw_resource_def def = base_def(entry);
    if (!def.mime_type)
        def.mime_type = bw_files_mime_of(path);
    if (!def.name)
        def.name = last_segment(path);
    def.size = (int64_t)st.st_size;
    bw_files_source *src = source_new(BW_FILES_FILE, str(entry, "uri"), def.mime_type, path, -1, max);
    return src ? publish(b, cat, json_object_get(entry, "uri"), src, &def) : no_memory(b, entry);
}

/* Opens a configured directory as a root owned by the catalog; -1 after reporting. */
static int open_root(bw_build *b, bw_files_catalog *cat, const json_t *node)
{
    const char *dir = bw_build_path(b, json_string_value(node));
    if (!dir)
        return no_memory(b, node), -1;
    int root = bw_files_root_open(dir);
    if (root < 0) {
        bw_build_error(b, node, "cannot open directory '%s': %s (expected an existing directory)", dir,
                       strerror(errno));
        return -1;
    }
    if (bw_files_catalog_add_root(cat, root) != BW_OK)
        return no_memory(b, node), -1;
    return root;
}

typedef struct skip_ctx {
    bw_build *b;
    const json_t *node;
} skip_ctx;

static void warn_skipped(const char *rel, const char *why, void *vctx)
{
    skip_ctx *ctx = vctx;
    bw_build_warn(ctx->b, ctx->node, "'%s' is not served: %s", rel, why);
}

/* One listed file: URI = prefix ['/'] + percent-encoded relative path; name = [name '/'] + relative path. */
static bw_status build_dir_file(bw_build *b, bw_files_catalog *cat, const json_t *entry, int root,
                                const bw_files_entry *f)
{
    const char *prefix = str(entry, "uri"), *name = str(entry, "name");
    bw_resource_def def = base_def(entry);
    bw_buf uri, full_name;
    bw_buf_init(&uri, URI_MAX);
    bw_buf_init(&full_name, URI_MAX);
    size_t plen = strlen(prefix);
    bool sep = plen && prefix[plen - 1] != '/';
    bw_status st = bw_buf_append(&uri, prefix, plen);
    if (st == BW_OK && sep)
        st = bw_buf_append(&uri, "/", 1);
    if (st == BW_OK)
        st = bw_files_uri_append_path(&uri, f->rel);
    if (st == BW_OK && name)
        st = bw_buf_append(&full_name, name, strlen(name));
    if (st == BW_OK && name)
        st = bw_buf_append(&full_name, "/", 1);
    if (st == BW_OK)
        st = bw_buf_append(&full_name, f->rel, strlen(f->rel));
    bw_files_source *src = NULL;
    if (st == BW_OK) {
        def.mime_type = def.mime_type ? def.mime_type : bw_files_mime_of(f->rel);
        def.name = full_name.data;
        def.size = f->size;
        src = source_new(BW_FILES_DIR_FILE, uri.data, def.mime_type, f->rel, root, max_bytes(entry));
        st = src ? publish(b, cat, json_object_get(entry, "directory"), src, &def) : no_memory(b, entry);
    } else {
        bw_build_error(b, json_object_get(entry, "uri"), "the URI of '%s' is too long", f->rel);
    }
    bw_buf_free(&uri);
    bw_buf_free(&full_name);
    return st;
}

static bw_status build_directory(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    const json_t *node = json_object_get(entry, "directory");
    int root = open_root(b, cat, node);
    if (root < 0)
        return BW_E_NOT_FOUND;
    const json_t *rec = json_object_get(entry, "recursive");
    skip_ctx ctx = {b, node};
    bw_files_listing files;
    char err[200];
    bw_status st = bw_files_list(root, !json_is_false(rec), &files, warn_skipped, &ctx, err, sizeof err);
    if (st != BW_OK) {
        bw_build_error(b, node, "directory '%s': %s", json_string_value(node), err);
        return st;
    }
    if (files.n == 0)
        bw_build_warn(b, node, "directory '%s' holds no files to serve", json_string_value(node));
    for (size_t i = 0; i < files.n && st == BW_OK; i++)
        st = build_dir_file(b, cat, entry, root, &files.v[i]);
    bw_files_listing_free(&files);
    return st;
}

bw_status bw_files_resource_build(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    if (json_object_get(entry, "text"))
        return build_text(b, cat, entry);
    if (json_object_get(entry, "file"))
        return build_file(b, cat, entry);
    return build_directory(b, cat, entry);
}

static bool has_name(const json_t *names, const json_t *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) {
        if (json_equal(v, name))
            return true;
    }
    return false;
}

/* Every {variable} of the path must come from the URI template, and the path's fixed parts must already be a
 * servable relative path (checked by rendering each variable as a plain component). */
static bool check_template_path(bw_build *b, const json_t *entry, const json_t *uri_vars)
{
    const json_t *node = json_object_get(entry, "path");
    char err[200];
    json_t *path_vars = bw_files_tpl_names(json_string_value(node), err, sizeof err);
    if (!path_vars) {
        bw_build_error(b, node, "path: %s", err);
        return false;
    }
    json_t *probe = json_object();
    bool ok = probe != NULL;
    size_t i;
    json_t *v;
    json_array_foreach(path_vars, i, v) {
        if (!has_name(uri_vars, v)) {
            bw_build_error(b, node, "path uses {%s}, which uri_template '%s' does not define", json_string_value(v),
                           str(entry, "uri_template"));
            ok = false;
        }
        json_object_set_new(probe, json_string_value(v), json_string("x"));
    }
    char rel[BW_FILES_PATH_MAX + 1];
    if (ok && !bw_files_tpl_render_path(json_string_value(node), probe, rel, sizeof rel)) {
        bw_build_error(b, node, "path '%s' must be relative, without empty, '.', '..' or hidden ('.name') components",
                       json_string_value(node));
        ok = false;
    }
    json_decref(probe);
    json_decref(path_vars);
    return ok;
}

/* The URI template must be level 1 with at least one variable; returns its variable names or NULL. */
static json_t *template_vars(bw_build *b, const json_t *entry)
{
    const json_t *node = json_object_get(entry, "uri_template");
    char err[200];
    json_t *vars = bw_files_tpl_names(json_string_value(node), err, sizeof err);
    if (!vars) {
        bw_build_error(b, node, "uri_template: %s", err);
        return NULL;
    }
    if (json_array_size(vars) == 0) {
        bw_build_error(b, node, "uri_template '%s' has no {variable} (expected e.g. docs://guides/{name}; "
                                "use a resource for a fixed URI)",
                       json_string_value(node));
        json_decref(vars);
        return NULL;
    }
    return vars;
}

/* The listed mimeType: the configured one, or the one of the path's fixed extension ("{name}.md"), else none. */
static const char *template_mime(const json_t *entry)
{
    const char *path = str(entry, "path");
    const char *dot = strrchr(path, '.'), *brace = strrchr(path, '}');
    if (str(entry, "mime_type"))
        return str(entry, "mime_type");
    return dot && (!brace || dot > brace) ? bw_files_mime_of(path) : NULL;
}

bw_status bw_files_template_build(bw_build *b, bw_files_catalog *cat, const json_t *entry)
{
    json_t *vars = template_vars(b, entry);
    bool ok = vars && check_template_path(b, entry, vars);
    json_decref(vars);
    if (!ok)
        return BW_E_INVALID_ARG;
    int root = open_root(b, cat, json_object_get(entry, "directory"));
    if (root < 0)
        return BW_E_NOT_FOUND;
    bw_resource_def def = base_def(entry);
    def.mime_type = template_mime(entry);
    bw_files_source *src = source_new(BW_FILES_TEMPLATE, str(entry, "uri_template"), str(entry, "mime_type"),
                                      str(entry, "path"), root, max_bytes(entry));
    return src ? publish(b, cat, json_object_get(entry, "uri_template"), src, &def) : no_memory(b, entry);
}
