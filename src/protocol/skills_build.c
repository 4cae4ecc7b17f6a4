/* Building a skill from its definition: check the files, copy them in path order, digest them, and prepare
 * everything the methods serve (the manifest entry and every directory's children) once, so that answering is
 * only a lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errf.h"
#include "core/utf8.h"
#include "protocol/skills_internal.h"

#define MIME_MAX 127

static bool mime_valid(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n > MIME_MAX || !strchr(m, '/'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i] <= ' ' || m[i] > '~')
            return false;
    return true;
}

static bw_status check_file(const bw_skill_file *f, size_t *total, char *err, size_t errlen)
{
    char why[160];
    if (!bw_skill_path_valid(f->path, why, sizeof why))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "skill file \"%.200s\": %s", f->path ? f->path : "", why);
    if (f->len && !f->data)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "skill file \"%s\": no data for %zu bytes", f->path, f->len);
    if (f->mime_type && !mime_valid(f->mime_type))
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "skill file \"%s\": invalid MIME type", f->path);
    if (f->len > BW_SKILL_MAX_BYTES || *total + f->len > BW_SKILL_MAX_BYTES)
        return bw_fail(BW_E_LIMIT, err, errlen, "the skill's files exceed %u bytes", BW_SKILL_MAX_BYTES);
    *total += f->len;
    return BW_OK;
}

static int by_path(const void *a, const void *b)
{
    return strcmp((*(const bw_skill_file *const *)a)->path, (*(const bw_skill_file *const *)b)->path);
}

/* Checks every file and sorts pointers to them by path into order[]; finds SKILL.md. */
static bw_status check_files(const bw_skill_def *def, const bw_skill_file **order, const bw_skill_file **skill_md,
                             char *err, size_t errlen)
{
    size_t total = 0;
    for (size_t i = 0; i < def->n_files; i++) {
        bw_status st = check_file(&def->files[i], &total, err, errlen);
        if (st)
            return st;
        order[i] = &def->files[i];
    }
    qsort(order, def->n_files, sizeof *order, by_path);
    *skill_md = NULL;
    for (size_t i = 0; i < def->n_files; i++) {
        if (i > 0 && strcmp(order[i - 1]->path, order[i]->path) == 0)
            return bw_fail(BW_E_INVALID_ARG, err, errlen, "skill file \"%s\" is given twice", order[i]->path);
        if (strcmp(order[i]->path, BW_SKILL_MD) == 0)
            *skill_md = order[i];
    }
    if (!*skill_md)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "a skill needs a SKILL.md at its root");
    return BW_OK;
}

static json_t *parse_skill_md(const bw_skill_file *md, char *err, size_t errlen)
{
    char why[256];
    if (!bw_utf8_valid(md->data, md->len)) {
        bw_fail(BW_E_INVALID_ARG, err, errlen, "SKILL.md must be UTF-8 text without NUL bytes");
        return NULL;
    }
    json_t *fm = bw_skill_frontmatter(md->data, md->len, why, sizeof why);
    if (!fm)
        bw_fail(BW_E_INVALID_ARG, err, errlen, "%s", why);
    return fm;
}

static char *join(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        memcpy(s + la + lb, c, lc + 1);
    }
    return s;
}

static json_t *part_listing(const bw_skill_part *p, const json_t *fm)
{
    bool is_md = strcmp(p->path, BW_SKILL_MD) == 0;
    const char *base = strrchr(p->path, '/');
    json_t *o = json_pack("{s:s,s:s}", "uri", p->uri, "name",
                          is_md ? json_string_value(json_object_get(fm, "name")) : base ? base + 1 : p->path);
    if (o && is_md)
        json_object_set(o, "description", json_object_get(fm, "description"));
    if (o)
        json_object_set_new(o, "mimeType", json_string(p->mime));
    /* Same shape as bw_server_add_resource lists it: no size for an empty file (0 means unknown there). */
    if (o && p->len)
        json_object_set_new(o, "size", json_integer((json_int_t)p->len));
    return o;
}

static bw_status copy_part(bw_skill_part *p, const bw_skill_file *f, const char *root, const json_t *fm)
{
    bool is_md = strcmp(f->path, BW_SKILL_MD) == 0;
    const char *mime = is_md ? "text/markdown" : f->mime_type ? f->mime_type : bw_skill_mime_for(f->path);
    p->path = strdup(f->path);
    p->uri = join(root, "/", f->path);
    p->mime = strdup(mime);
    p->data = malloc(f->len + 1);
    if (!p->path || !p->uri || !p->mime || !p->data)
        return BW_E_NOMEM;
    if (f->len)
        memcpy(p->data, f->data, f->len);
    p->data[f->len] = '\0';
    p->len = f->len;
    p->text = bw_skill_mime_textual(mime) && bw_utf8_valid((const char *)p->data, p->len);
    p->listing = part_listing(p, fm);
    return p->listing ? BW_OK : BW_E_NOMEM;
}

static json_t *manifest(const bw_skill *sk)
{
    json_t *resources = json_array();
    for (size_t i = 0; resources && i < sk->n_parts; i++) {
        char digest[BW_SKILL_DIGEST_LEN];
        const bw_skill_part *p = &sk->parts[i];
        if (!bw_skill_digest(p->data, p->len, digest) ||
            json_array_append_new(resources, json_pack("{s:s,s:s,s:I}", "uri", p->uri, "digest", digest, "size",
                                                       (json_int_t)p->len)) != 0) {
            json_decref(resources);
            return NULL;
        }
    }
    return resources ? json_pack("{s:s,s:O,s:o}", "uri", sk->uri, "frontmatter", sk->frontmatter, "resources",
                                 resources)
                     : NULL;
}

/* Adds directory `uri` (a child `name` of directory `parent`) unless known. */
static bool add_directory(json_t *dirs, const char *parent, const char *uri, const char *name)
{
    if (json_object_get(dirs, uri))
        return true;
    return json_object_set_new(dirs, uri, json_array()) == 0 &&
           json_array_append_new(json_object_get(dirs, parent),
                                 json_pack("{s:s,s:s,s:s}", "uri", uri, "name", name, "mimeType",
                                           BW_MIME_DIRECTORY)) == 0;
}

/* Files are in path order, so every directory's children come out sorted too. */
static bool add_part_to_dirs(json_t *dirs, const char *root, const bw_skill_part *p)
{
    char *dir = strdup(root);
    bool ok = dir != NULL;
    for (const char *seg = p->path, *slash; ok && (slash = strchr(seg, '/')); seg = slash + 1) {
        char *name = strndup(seg, (size_t)(slash - seg));
        char *sub = name ? join(dir, "/", name) : NULL;
        ok = sub && add_directory(dirs, dir, sub, name);
        free(name);
        free(dir);
        dir = sub;
    }
    ok = ok && json_array_append(json_object_get(dirs, dir), p->listing) == 0;
    free(dir);
    return ok;
}

static bw_status directories(bw_skill *sk, const char *root, char *err, size_t errlen)
{
    sk->dirs = json_object();
    if (!sk->dirs || json_object_set_new(sk->dirs, root, json_array()) != 0)
        return BW_E_NOMEM;
    for (size_t i = 0; i < sk->n_parts; i++)
        if (!add_part_to_dirs(sk->dirs, root, &sk->parts[i]))
            return BW_E_NOMEM;
    for (size_t i = 0; i < sk->n_parts; i++)
        if (json_object_get(sk->dirs, sk->parts[i].uri))
            return bw_fail(BW_E_INVALID_ARG, err, errlen, "\"%s\" is both a file and a directory",
                        sk->parts[i].path);
    return BW_OK;
}

static bw_status fill(bw_skill *sk, const bw_skill_file **order, size_t n, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(sk->frontmatter, "name"));
    char *root = join(BW_SKILL_SCHEME, name, "");
    sk->name = strdup(name);
    sk->uri = root ? join(root, "/", BW_SKILL_MD) : NULL;
    sk->parts = calloc(n, sizeof *sk->parts);
    bw_status st = root && sk->name && sk->uri && sk->parts ? BW_OK : BW_E_NOMEM;
    for (size_t i = 0; !st && i < n; i++, sk->n_parts++)
        st = copy_part(&sk->parts[i], order[i], root, sk->frontmatter);
    if (!st)
        st = (sk->entry = manifest(sk)) ? BW_OK : BW_E_NOMEM;
    if (!st)
        st = directories(sk, root, err, errlen);
    free(root);
    return st;
}

bw_status bw_skill_build(const bw_skill_def *def, bw_skill **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!def || !def->files || def->n_files == 0)
        return bw_fail(BW_E_INVALID_ARG, err, errlen, "a skill needs files, SKILL.md among them");
    if (def->n_files > BW_SKILL_MAX_FILES)
        return bw_fail(BW_E_LIMIT, err, errlen, "a skill has at most %d files", BW_SKILL_MAX_FILES);
    const bw_skill_file **order = malloc(def->n_files * sizeof *order);
    bw_skill *sk = calloc(1, sizeof *sk);
    const bw_skill_file *md = NULL;
    bw_status st = order && sk ? check_files(def, order, &md, err, errlen) : BW_E_NOMEM;
    if (!st)
        st = (sk->frontmatter = parse_skill_md(md, err, errlen)) ? BW_OK : BW_E_INVALID_ARG;
    if (!st)
        st = fill(sk, order, def->n_files, err, errlen);
    if (st == BW_E_NOMEM)
        bw_fail(st, err, errlen, "out of memory");
    free(order);
    if (st)
        bw_skill_free(sk);
    else
        *out = sk;
    return st;
}

void bw_skill_free(bw_skill *sk)
{
    if (!sk)
        return;
    for (size_t i = 0; i < sk->n_parts; i++) {
        bw_skill_part *p = &sk->parts[i];
        free(p->path);
        free(p->uri);
        free(p->mime);
        free(p->data);
        json_decref(p->listing);
    }
    free(sk->parts);
    free(sk->name);
    free(sk->uri);
    json_decref(sk->frontmatter);
    json_decref(sk->entry);
    json_decref(sk->dirs);
    free(sk);
}
