/* Shared fixture of the files and prompts provider unit tests: a temporary directory tree, a server with a build
 * context rooted there, and small JSON helpers. Header-only (each test file is its own program). */
#ifndef BW_TEST_FILES_FIXTURE_H
#define BW_TEST_FILES_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/build.h"
#include "config/diag.h"
#include "../support/harness.h"

typedef struct fixture {
    char dir[64];   /* the temporary directory (the build context's base directory) */
    bw_server *srv;
    bw_diag *diag;
    bw_build *b;
    harness *h;     /* started by fixture_serve */
} fixture;

static inline json_t *parse_json(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("test JSON does not parse: %s (%s)", text, je.text);
    return j;
}

static inline void assert_json_eq(const json_t *v, const char *want, const char *what)
{
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    json_t *w = parse_json(want);
    char *wanted = json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    if (!got || strcmp(got, wanted) != 0)
        fail_msg("%s:\n got  %s\n want %s", what, got ? got : "(null)", wanted);
    free(got);
    free(wanted);
    json_decref(w);
}

/* Writes a file below the fixture directory, creating parent directories. */
static inline void put_file(const fixture *f, const char *rel, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, rel);
    for (char *p = strchr(path + strlen(f->dir) + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static inline void put_text(const fixture *f, const char *rel, const char *text)
{
    put_file(f, rel, text, strlen(text));
}

static inline void put_symlink(const fixture *f, const char *target, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, rel);
    assert_int_equal(symlink(target, path), 0);
}

static inline char *fixture_path(const fixture *f, const char *rel)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, rel);
    return path;
}

static inline fixture *fixture_new(void)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/bw-files-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bw_server_info info = {.name = "files-test", .version = "1.0.0"};
    f->srv = bw_server_new(&info);
    f->diag = bw_diag_new();
    assert_non_null(f->srv);
    assert_non_null(f->diag);
    f->b = bw_build_new(f->srv, f->diag, BW_BUILD_SERVE, "test.yaml", f->dir, NULL, NULL);
    assert_non_null(f->b);
    return f;
}

static inline void fixture_serve(fixture *f)
{
    assert_int_equal(bw_server_start_pool(f->srv), BW_OK);
    f->h = harness_new(f->srv);
    assert_non_null(f->h);
}

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void fixture_free(fixture *f)
{
    harness_free(f->h);
    bw_server_free(f->srv);
    bw_build_free(f->b);
    bw_diag_free(f->diag);
    assert_int_equal(nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(f);
}

/* Every diagnostic, one per line, for messages on failure and substring checks. */
static inline const char *diag_all(const fixture *f)
{
    static char all[8192];
    size_t used = 0;
    all[0] = '\0';
    for (size_t i = 0; i < bw_diag_count(f->diag) && used < sizeof all; i++)
        used += (size_t)snprintf(all + used, sizeof all - used, "%s\n", bw_diag_text(f->diag, i));
    return all;
}

static inline void assert_diag_has(const fixture *f, const char *needle)
{
    if (!strstr(diag_all(f), needle))
        fail_msg("diagnostics lack \"%s\":\n%s", needle, diag_all(f));
}

/* resources/read of uri: the whole response message (caller owns). */
static inline json_t *read_uri(fixture *f, const char *uri)
{
    return harness_request(f->h, "resources/read", json_pack("{s:s}", "uri", uri));
}

/* The JSON-RPC error code of a response, or 0 when it is a result. */
static inline int error_code(const json_t *resp)
{
    return (int)json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static inline const char *error_message(const json_t *resp)
{
    return json_string_value(json_object_get(json_object_get(resp, "error"), "message"));
}

#endif
