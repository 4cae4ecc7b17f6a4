/* Unit tests for the files provider (src/providers/files*.c) on real temporary directories: listing (names, URIs,
 * MIME types, sizes), text vs blob reads, inline text and single files, resource templates, confinement (../,
 * absolute, percent-encoded, symlinks out and in, FIFOs, devices, oversized files, files swapped after listing),
 * the openat fallback walk, the catalog used by prompts, and configuration errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/sysmacros.h>

#include "providers/files.h"
#include "providers/files_mime.h"
#include "providers/files_open.h"
#include "providers/files_uri.h"
#include "test_files_fixture.h"

static const unsigned char png_bytes[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff};

/* docs/ holds the served tree; secret.txt sits next to it, outside. */
static void make_tree(fixture *f)
{
    put_text(f, "secret.txt", "top secret\n");
    put_text(f, "docs/readme.md", "# Hello\n");
    put_text(f, "docs/data.json", "{\"a\":1}");
    put_file(f, "docs/logo.png", png_bytes, sizeof png_bytes);
    put_text(f, "docs/a b.txt", "spaced");
    put_file(f, "docs/latin1.txt", "caf\xe9", 4);
    put_text(f, "docs/sub/deep.txt", "deep");
    put_text(f, "docs/.hidden", "hidden");
    put_text(f, "docs/.git/config", "[core]");
    put_text(f, "docs/big.txt", "0123456789012345678901234567890123456789"); /* 40 bytes */
    put_symlink(f, "readme.md", "docs/inside-link.md");
    put_symlink(f, "../secret.txt", "docs/outside-link.txt");
    put_symlink(f, "/etc/hostname", "docs/absolute-link.txt");
    put_symlink(f, "sub", "docs/dirlink");
    put_text(f, "docs/latin1-\xe9.txt", "a name no URI or JSON string can carry");
    assert_int_equal(mkfifo(fixture_path(f, "docs/fifo.txt"), 0644), 0);
}

/* A character device like /dev/zero inside the tree, when this machine lets us make one (root, no nodev). */
static bool make_device(fixture *f, const char *rel)
{
    if (mknod(fixture_path(f, rel), S_IFCHR | 0644, makedev(1, 5)) != 0)
        return false;
    int fd = open(fixture_path(f, rel), O_RDONLY | O_NONBLOCK);
    if (fd < 0) { /* a nodev mount: the node exists but cannot be opened, which proves nothing */
        unlink(fixture_path(f, rel));
        return false;
    }
    close(fd);
    return true;
}

static void build_resource(fixture *f, const char *json)
{
    json_t *entry = parse_json(json);
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    assert_non_null(cat);
    if (bw_files_resource_build(f->b, cat, entry) != BW_OK)
        fail_msg("build failed:\n%s", diag_all(f));
    json_decref(entry);
}

static json_t *list_resources(fixture *f)
{
    json_t *resp = harness_request(f->h, "resources/list", json_object());
    json_t *list = json_incref(json_object_get(json_object_get(resp, "result"), "resources"));
    json_decref(resp);
    return list;
}

/* ---- directory resources ---- */

static void test_directory_listing(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    build_resource(f, "{\"uri\":\"docs://files\",\"directory\":\"docs\",\"description\":\"Docs\"}");
    fixture_serve(f);
    json_t *list = list_resources(f);
    assert_json_eq(list,
                   "[{\"uri\":\"docs://files/a%20b.txt\",\"name\":\"a b.txt\",\"mimeType\":\"text/plain\","
                   "\"size\":6,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/big.txt\",\"name\":\"big.txt\",\"mimeType\":\"text/plain\","
                   "\"size\":40,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/data.json\",\"name\":\"data.json\",\"mimeType\":\"application/json\","
                   "\"size\":7,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/inside-link.md\",\"name\":\"inside-link.md\",\"mimeType\":"
                   "\"text/markdown\",\"size\":8,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/latin1.txt\",\"name\":\"latin1.txt\",\"mimeType\":\"text/plain\","
                   "\"size\":4,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/logo.png\",\"name\":\"logo.png\",\"mimeType\":\"image/png\","
                   "\"size\":10,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/readme.md\",\"name\":\"readme.md\",\"mimeType\":\"text/markdown\","
                   "\"size\":8,\"description\":\"Docs\"},"
                   "{\"uri\":\"docs://files/sub/deep.txt\",\"name\":\"sub/deep.txt\",\"mimeType\":\"text/plain\","
                   "\"size\":4,\"description\":\"Docs\"}]",
                   "resources/list of a directory");
    /* the escaping symlinks and the non-UTF-8 name are reported to the operator; hidden files, the FIFO and dirlink
     * are left out quietly */
    assert_diag_has(f, "'outside-link.txt' is not served: a symlink that leads outside the directory");
    assert_diag_has(f, "'absolute-link.txt' is not served");
    assert_diag_has(f, "is not served: its name is not valid UTF-8 (resource names and URIs must be)");
    assert_int_equal(bw_diag_errors(f->diag), 0);
    assert_int_equal(bw_diag_warnings(f->diag), 3);
    json_decref(list);
    fixture_free(f);
}

static void test_directory_name_prefix_and_not_recursive(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put_text(f, "d/one.md", "1");
    put_text(f, "d/sub/two.md", "2");
    build_resource(f, "{\"uri\":\"kb://notes/\",\"name\":\"notes\",\"directory\":\"d\",\"recursive\":false,"
                      "\"mime_type\":\"text/x-notes\"}");
    fixture_serve(f);
    json_t *list = list_resources(f);
    assert_json_eq(list, "[{\"uri\":\"kb://notes/one.md\",\"name\":\"notes/one.md\",\"mimeType\":\"text/x-notes\","
                         "\"size\":1}]",
                   "non-recursive listing with a name prefix and a configured mime type");
    json_decref(list);
    fixture_free(f);
}

static void test_directory_reads_text_and_blob(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    build_resource(f, "{\"uri\":\"docs://files/\",\"directory\":\"docs\"}");
    fixture_serve(f);
    static const struct {
        const char *uri, *want;
    } rows[] = {
        {"docs://files/readme.md", "{\"uri\":\"docs://files/readme.md\",\"mimeType\":\"text/markdown\","
                                   "\"text\":\"# Hello\\n\"}"},
        {"docs://files/data.json", "{\"uri\":\"docs://files/data.json\",\"mimeType\":\"application/json\","
                                   "\"text\":\"{\\\"a\\\":1}\"}"},
        {"docs://files/logo.png", "{\"uri\":\"docs://files/logo.png\",\"mimeType\":\"image/png\","
                                  "\"blob\":\"iVBORw0KGgoA/w==\"}"},
        {"docs://files/a%20b.txt", "{\"uri\":\"docs://files/a%20b.txt\",\"mimeType\":\"text/plain\","
                                   "\"text\":\"spaced\"}"},
        /* a text type whose bytes are not UTF-8 is served as a blob rather than mangled */
        {"docs://files/latin1.txt", "{\"uri\":\"docs://files/latin1.txt\",\"mimeType\":\"text/plain\","
                                    "\"blob\":\"Y2Fm6Q==\"}"},
        {"docs://files/inside-link.md", "{\"uri\":\"docs://files/inside-link.md\",\"mimeType\":\"text/markdown\","
                                        "\"text\":\"# Hello\\n\"}"},
        {"docs://files/sub/deep.txt", "{\"uri\":\"docs://files/sub/deep.txt\",\"mimeType\":\"text/plain\","
                                      "\"text\":\"deep\"}"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *resp = read_uri(f, rows[i].uri);
        json_t *contents = json_object_get(json_object_get(resp, "result"), "contents");
        assert_int_equal(json_array_size(contents), 1);
        assert_json_eq(json_array_get(contents, 0), rows[i].want, rows[i].uri);
        json_decref(resp);
    }
    /* not listed: hidden files, things outside, the FIFO */
    const char *absent[] = {"docs://files/.hidden", "docs://files/outside-link.txt", "docs://files/fifo.txt",
                            "docs://files/../secret.txt", "docs://files/sub/../readme.md"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        json_t *resp = read_uri(f, absent[i]);
        assert_int_equal(error_code(resp), -32002);
        json_decref(resp);
    }
    fixture_free(f);
}

static void test_directory_oversized_file(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    build_resource(f, "{\"uri\":\"docs://files/\",\"directory\":\"docs\",\"max_file_bytes\":39}");
    fixture_serve(f);
    json_t *resp = read_uri(f, "docs://files/big.txt");
    assert_int_equal(error_code(resp), -32603);
    assert_string_equal(error_message(resp), "Internal error: reading docs://files/big.txt failed: the file is "
                                             "larger than max_file_bytes (39 bytes)");
    json_decref(resp);
    resp = read_uri(f, "docs://files/readme.md"); /* 8 bytes: fine */
    assert_int_equal(error_code(resp), 0);
    json_decref(resp);
    fixture_free(f);
}

/* A listed file replaced afterwards by a symlink out of the root, a FIFO or a larger file: the read refuses it. */
static void test_directory_file_swapped_after_listing(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put_text(f, "secret.txt", "top secret");
    put_text(f, "d/a.txt", "a");
    put_text(f, "d/b.txt", "b");
    put_text(f, "d/c.txt", "c");
    build_resource(f, "{\"uri\":\"s://\",\"directory\":\"d\",\"max_file_bytes\":5}");
    fixture_serve(f);
    assert_int_equal(unlink(fixture_path(f, "d/a.txt")), 0);
    put_symlink(f, "../secret.txt", "d/a.txt");
    assert_int_equal(unlink(fixture_path(f, "d/b.txt")), 0);
    assert_int_equal(mkfifo(fixture_path(f, "d/b.txt"), 0644), 0);
    put_text(f, "d/c.txt", "now too long");
    int64_t t0 = bw_now_ms();
    json_t *a = read_uri(f, "s://a.txt"), *b = read_uri(f, "s://b.txt"), *c = read_uri(f, "s://c.txt");
    assert_true(bw_now_ms() - t0 < 2000); /* the FIFO never blocks the read */
    assert_int_equal(error_code(a), -32002);
    assert_int_equal(error_code(b), -32002);
    assert_int_equal(error_code(c), -32603);
    assert_non_null(strstr(error_message(c), "larger than max_file_bytes (5 bytes)"));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    fixture_free(f);
}

static void test_directory_too_many_files(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    char rel[64];
    for (int i = 0; i <= 10000; i++) {
        snprintf(rel, sizeof rel, "many/%d/f%d.txt", i % 50, i);
        put_text(f, rel, "x");
    }
    json_t *entry = parse_json("{\"uri\":\"m://\",\"directory\":\"many\"}");
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    assert_int_equal(bw_files_resource_build(f->b, cat, entry), BW_E_LIMIT);
    assert_diag_has(f, "test.yaml: directory 'many': more than 10000 files (the limit of one directory resource)");
    json_decref(entry);
    fixture_free(f);
}

/* ---- inline text and single files ---- */

static void test_inline_text(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    build_resource(f, "{\"uri\":\"notes://team/welcome\",\"text\":\"Welcome \\u2713\",\"title\":\"Welcome\"}");
    build_resource(f, "{\"uri\":\"notes://data\",\"name\":\"data\",\"text\":\"{}\",\"mime_type\":"
                      "\"application/json\"}");
    fixture_serve(f);
    json_t *list = list_resources(f);
    assert_json_eq(list,
                   "[{\"uri\":\"notes://team/welcome\",\"name\":\"welcome\",\"title\":\"Welcome\","
                   "\"mimeType\":\"text/plain\",\"size\":11},"
                   "{\"uri\":\"notes://data\",\"name\":\"data\",\"mimeType\":\"application/json\",\"size\":2}]",
                   "inline text listing");
    json_t *resp = read_uri(f, "notes://team/welcome");
    assert_json_eq(json_object_get(resp, "result"),
                   "{\"contents\":[{\"uri\":\"notes://team/welcome\",\"mimeType\":\"text/plain\","
                   "\"text\":\"Welcome \\u2713\"}]}",
                   "inline text read");
    json_decref(resp);
    json_decref(list);
    fixture_free(f);
}

static void test_single_file(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    build_resource(f, "{\"uri\":\"file://readme\",\"file\":\"docs/readme.md\"}");
    build_resource(f, "{\"uri\":\"file://logo\",\"file\":\"docs/logo.png\",\"name\":\"Logo\"}");
    fixture_serve(f);
    json_t *list = list_resources(f);
    assert_json_eq(list,
                   "[{\"uri\":\"file://readme\",\"name\":\"readme.md\",\"mimeType\":\"text/markdown\",\"size\":8},"
                   "{\"uri\":\"file://logo\",\"name\":\"Logo\",\"mimeType\":\"image/png\",\"size\":10}]",
                   "single files listing");
    json_t *resp = read_uri(f, "file://logo");
    assert_json_eq(json_object_get(resp, "result"),
                   "{\"contents\":[{\"uri\":\"file://logo\",\"mimeType\":\"image/png\","
                   "\"blob\":\"iVBORw0KGgoA/w==\"}]}",
                   "single binary file read");
    json_decref(resp);
    /* read on every request: a change shows at once; a vanished file is not found */
    put_text(f, "docs/readme.md", "# Changed\n");
    resp = read_uri(f, "file://readme");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(json_object_get(resp, "result"), "contents"), 0), "text")),
                        "# Changed\n");
    json_decref(resp);
    assert_int_equal(unlink(fixture_path(f, "docs/readme.md")), 0);
    resp = read_uri(f, "file://readme");
    assert_int_equal(error_code(resp), -32002);
    json_decref(resp);
    json_decref(list);
    fixture_free(f);
}

/* ---- resource templates ---- */

static void build_template(fixture *f, const char *json)
{
    json_t *entry = parse_json(json);
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    assert_non_null(cat);
    if (bw_files_template_build(f->b, cat, entry) != BW_OK)
        fail_msg("template build failed:\n%s", diag_all(f));
    json_decref(entry);
}

static void test_template_mapping(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    build_template(f, "{\"uri_template\":\"guide://{name}\",\"name\":\"guides\",\"directory\":\"docs\","
                      "\"path\":\"{name}.md\",\"description\":\"Guides by name\"}");
    build_template(f, "{\"uri_template\":\"tree://{dir}/{file}\",\"name\":\"tree\",\"directory\":\"docs\","
                      "\"path\":\"{dir}/{file}\"}");
    fixture_serve(f);
    json_t *resp = harness_request(f->h, "resources/templates/list", json_object());
    assert_json_eq(json_object_get(json_object_get(resp, "result"), "resourceTemplates"),
                   "[{\"uriTemplate\":\"guide://{name}\",\"name\":\"guides\",\"description\":\"Guides by name\","
                   "\"mimeType\":\"text/markdown\"},{\"uriTemplate\":\"tree://{dir}/{file}\",\"name\":\"tree\"}]",
                   "templates listing");
    json_decref(resp);
    resp = read_uri(f, "guide://readme");
    assert_json_eq(json_object_get(resp, "result"),
                   "{\"contents\":[{\"uri\":\"guide://readme\",\"mimeType\":\"text/markdown\","
                   "\"text\":\"# Hello\\n\"}]}",
                   "template read");
    json_decref(resp);
    resp = read_uri(f, "tree://sub/deep.txt");
    assert_json_eq(json_object_get(resp, "result"),
                   "{\"contents\":[{\"uri\":\"tree://sub/deep.txt\",\"mimeType\":\"text/plain\",\"text\":\"deep\"}]}",
                   "two-variable template read, mime type by the file's extension");
    json_decref(resp);
    resp = read_uri(f, "guide://inside-link"); /* a symlink that stays inside the root is followed */
    assert_int_equal(error_code(resp), 0);
    json_decref(resp);
    resp = read_uri(f, "guide://missing");
    assert_int_equal(error_code(resp), -32002);
    json_decref(resp);
    fixture_free(f);
}

static void test_template_traversal_refused(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    bool device = make_device(f, "docs/zero");
    build_template(f, "{\"uri_template\":\"t://doc/{name}\",\"name\":\"doc\",\"directory\":\"docs\","
                      "\"path\":\"{name}\",\"max_file_bytes\":39}");
    build_template(f, "{\"uri_template\":\"u://{dir}/{file}\",\"name\":\"two\",\"directory\":\"docs/sub\","
                      "\"path\":\"{dir}/{file}\"}");
    fixture_serve(f);
    const char *refused[] = {
        "t://doc/..%2Fsecret.txt",   "t://doc/%2e%2e%2fsecret.txt", "t://doc/%2E%2E%2Fsecret.txt",
        "t://doc/%2Fetc%2Fpasswd",   "t://doc/..",                  "t://doc/%2e%2e",
        "t://doc/.hidden",           "t://doc/%2ehidden",           "t://doc/outside-link.txt",
        "t://doc/absolute-link.txt", "t://doc/fifo.txt",            "t://doc/sub",
        "t://doc/a%00b",             "t://doc/bad%zz",              "t://doc/bad%2",
        "t://doc/zero",              "u://../secret.txt",           "u://%2e%2e/secret.txt",
        "u://..%2F../secret.txt",    "t://doc/sub%2fdeep.txt",
    };
    int64_t t0 = bw_now_ms();
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        json_t *resp = read_uri(f, refused[i]);
        if (error_code(resp) != -32002)
            fail_msg("%s: expected -32002 Resource not found, got %s", refused[i],
                     json_dumps(resp, JSON_COMPACT));
        assert_string_equal(error_message(resp), "Resource not found");
        json_decref(resp);
    }
    assert_true(bw_now_ms() - t0 < 3000); /* FIFO and device answered at once, nothing blocked */
    json_t *big = read_uri(f, "t://doc/big.txt");
    assert_int_equal(error_code(big), -32603);
    assert_non_null(strstr(error_message(big), "larger than max_file_bytes (39 bytes)"));
    json_decref(big);
    if (!device)
        print_message("(no character device could be made here: the device case was not exercised)\n");
    fixture_free(f);
}

static void expect_template_error(const char *json, const char *message)
{
    fixture *f = fixture_new();
    make_tree(f);
    json_t *entry = parse_json(json);
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    assert_int_not_equal(bw_files_template_build(f->b, cat, entry), BW_OK);
    assert_diag_has(f, message);
    json_decref(entry);
    fixture_free(f);
}

static void test_template_config_errors(void **state)
{
    (void)state;
    expect_template_error("{\"uri_template\":\"t://{+path}\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"x\"}",
                          "test.yaml: uri_template: invalid template variable {+path}: only level-1 {name} "
                          "variables (letters, digits, '_') are supported");
    expect_template_error("{\"uri_template\":\"t://fixed\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"x\"}",
                          "uri_template 't://fixed' has no {variable}");
    expect_template_error("{\"uri_template\":\"t://{a\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"x\"}",
                          "unterminated '{' in template (expected '}')");
    expect_template_error("{\"uri_template\":\"t://{a}/{a}\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"{a}\"}",
                          "variable {a} is used twice");
    expect_template_error("{\"uri_template\":\"t://{a}\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"{b}.md\"}",
                          "path uses {b}, which uri_template 't://{a}' does not define");
    expect_template_error("{\"uri_template\":\"t://{a}\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"../{a}\"}",
                          "path '../{a}' must be relative, without empty, '.', '..' or hidden ('.name') components");
    expect_template_error("{\"uri_template\":\"t://{a}\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"/etc/{a}\"}",
                          "path '/etc/{a}' must be relative");
    expect_template_error("{\"uri_template\":\"t://{a}\",\"name\":\"t\",\"directory\":\"nope\",\"path\":\"{a}\"}",
                          "cannot open directory '");
}

static void test_resource_config_errors(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    json_t *missing = parse_json("{\"uri\":\"f://x\",\"file\":\"docs/nope.md\"}");
    json_t *notdir = parse_json("{\"uri\":\"f://d\",\"directory\":\"docs/readme.md\"}");
    json_t *fifo = parse_json("{\"uri\":\"f://fifo\",\"file\":\"docs/fifo.txt\"}");
    json_t *big = parse_json("{\"uri\":\"f://big\",\"file\":\"docs/big.txt\",\"max_file_bytes\":10}");
    json_t *one = parse_json("{\"uri\":\"f://same\",\"text\":\"1\"}");
    json_t *two = parse_json("{\"uri\":\"f://same\",\"text\":\"2\"}");
    assert_int_equal(bw_files_resource_build(f->b, cat, missing), BW_E_NOT_FOUND);
    assert_int_equal(bw_files_resource_build(f->b, cat, notdir), BW_E_NOT_FOUND);
    assert_int_equal(bw_files_resource_build(f->b, cat, fifo), BW_E_NOT_FOUND);
    assert_int_equal(bw_files_resource_build(f->b, cat, big), BW_OK);
    assert_int_equal(bw_files_resource_build(f->b, cat, one), BW_OK);
    assert_int_equal(bw_files_resource_build(f->b, cat, two), BW_E_EXISTS);
    char want[512];
    snprintf(want, sizeof want, "test.yaml: file '%s/docs/nope.md' does not exist (expected an existing regular file)",
             f->dir);
    assert_diag_has(f, want);
    snprintf(want, sizeof want, "test.yaml: cannot open directory '%s/docs/readme.md': Not a directory (expected an "
                                "existing directory)", f->dir);
    assert_diag_has(f, want);
    assert_diag_has(f, "docs/fifo.txt' is not a readable regular file");
    assert_diag_has(f, "test.yaml: warning: file '");
    assert_diag_has(f, "is larger than max_file_bytes (10 bytes): reading it will fail");
    assert_diag_has(f, "test.yaml: resource URI 'f://same' is defined twice (expected each URI once)");
    assert_int_equal(bw_diag_errors(f->diag), 4);
    json_decref(missing);
    json_decref(notdir);
    json_decref(fifo);
    json_decref(big);
    json_decref(one);
    json_decref(two);
    fixture_free(f);
}

/* ---- the catalog (what prompts embed) ---- */

static void test_catalog(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    bw_files_catalog *cat = bw_files_catalog_new(f->b);
    const char *entries[] = {"{\"uri\":\"c://text\",\"text\":\"inline\"}",
                             "{\"uri\":\"c://file\",\"file\":\"docs/data.json\"}",
                             "{\"uri\":\"c://dir\",\"directory\":\"docs\"}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *e = parse_json(entries[i]);
        assert_int_equal(bw_files_resource_build(f->b, cat, e), BW_OK);
        json_decref(e);
    }
    json_t *t = parse_json("{\"uri_template\":\"c://t/{n}\",\"name\":\"t\",\"directory\":\"docs\",\"path\":\"{n}\"}");
    assert_int_equal(bw_files_template_build(f->b, cat, t), BW_OK);
    json_decref(t);
    assert_true(bw_files_catalog_has(cat, "c://text"));
    assert_true(bw_files_catalog_has(cat, "c://dir/sub/deep.txt"));
    assert_true(bw_files_catalog_has(cat, "c://t/anything"));
    assert_false(bw_files_catalog_has(cat, "c://dir/nope"));
    assert_false(bw_files_catalog_has(cat, "c://other"));
    char err[256];
    static const struct {
        const char *uri, *want;
    } rows[] = {
        {"c://text", "{\"uri\":\"c://text\",\"mimeType\":\"text/plain\",\"text\":\"inline\"}"},
        {"c://file", "{\"uri\":\"c://file\",\"mimeType\":\"application/json\",\"text\":\"{\\\"a\\\":1}\"}"},
        {"c://dir/sub/deep.txt", "{\"uri\":\"c://dir/sub/deep.txt\",\"mimeType\":\"text/plain\",\"text\":\"deep\"}"},
        {"c://t/readme.md", "{\"uri\":\"c://t/readme.md\",\"mimeType\":\"text/markdown\",\"text\":\"# Hello\\n\"}"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *c = bw_files_catalog_read(cat, rows[i].uri, err, sizeof err);
        if (!c)
            fail_msg("%s: %s", rows[i].uri, err);
        assert_json_eq(c, rows[i].want, rows[i].uri);
        json_decref(c);
    }
    assert_null(bw_files_catalog_read(cat, "c://t/..%2Fsecret.txt", err, sizeof err));
    assert_string_equal(err, "resource c://t/..%2Fsecret.txt: not found");
    assert_null(bw_files_catalog_read(cat, "c://nope", err, sizeof err));
    assert_string_equal(err, "resource c://nope: not served by this configuration");
    fixture_free(f);
}

/* ---- building blocks ---- */

static void test_open_beneath(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    make_tree(f);
    int root = bw_files_root_open(fixture_path(f, "docs"));
    assert_true(root >= 0);
    int (*openers[])(int, const char *, int) = {bw_files_open_beneath, bw_files_open_beneath_walk};
    for (int k = 0; k < 2; k++) {
        int fd = openers[k](root, "sub/deep.txt", O_RDONLY);
        assert_true(fd >= 0);
        close(fd);
        const char *refused[] = {"../secret.txt", "/etc/hostname", "sub/../../secret.txt", "outside-link.txt",
                                 "absolute-link.txt"};
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            errno = 0;
            fd = openers[k](root, refused[i], O_RDONLY);
            if (fd >= 0)
                fail_msg("opener %d opened %s", k, refused[i]);
            assert_true(errno == EXDEV || errno == ELOOP);
        }
    }
    /* openat2 follows a symlink that stays inside; the fallback walk refuses every symlink */
    int fd = bw_files_open_beneath(root, "inside-link.md", O_RDONLY);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(bw_files_open_beneath_walk(root, "inside-link.md", O_RDONLY), -1);
    assert_int_equal(errno, ELOOP);
    close(root);
    fixture_free(f);
}

static void test_rel_paths_and_uris(void **state)
{
    (void)state;
    assert_true(bw_files_rel_ok("a.md"));
    assert_true(bw_files_rel_ok("dir/sub/a.md"));
    const char *bad[] = {"", "/a", "a//b", "a/", ".", "..", "../a", "a/../b", ".git/config", "a/.env"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (bw_files_rel_ok(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    bw_buf b;
    bw_buf_init(&b, 1024);
    assert_int_equal(bw_files_uri_append_path(&b, "a b/\xc3\xbc+%~x.txt"), BW_OK);
    assert_string_equal(b.data, "a%20b/%C3%BC%2B%25~x.txt");
    bw_buf_free(&b);
    char out[16];
    assert_true(bw_files_pct_decode("a%20b%2F", out, sizeof out));
    assert_string_equal(out, "a b/");
    assert_false(bw_files_pct_decode("a%00", out, sizeof out));
    assert_false(bw_files_pct_decode("a%g0", out, sizeof out));
    assert_false(bw_files_pct_decode("a%2", out, sizeof out));
    assert_false(bw_files_pct_decode("0123456789abcdefg", out, sizeof out));
}

static void test_mime_types(void **state)
{
    (void)state;
    static const char *rows[][2] = {
        {"a.md", "text/markdown"},  {"A.MD", "text/markdown"},       {"x.txt", "text/plain"},
        {"d.json", "application/json"}, {"c.yaml", "application/yaml"}, {"c.yml", "application/yaml"},
        {"t.csv", "text/csv"},      {"p.html", "text/html"},         {"x.xml", "application/xml"},
        {"s.sql", "application/sql"}, {"i.png", "image/png"},        {"i.jpg", "image/jpeg"},
        {"i.jpeg", "image/jpeg"},   {"i.gif", "image/gif"},          {"i.svg", "image/svg+xml"},
        {"d.pdf", "application/pdf"}, {"Makefile", "application/octet-stream"},
        {".bashrc", "application/octet-stream"}, {"dir.md/file", "application/octet-stream"},
        {"x.unknown", "application/octet-stream"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_string_equal(bw_files_mime_of(rows[i][0]), rows[i][1]);
    assert_true(bw_files_mime_is_text("text/markdown"));
    assert_true(bw_files_mime_is_text("application/json; charset=utf-8"));
    assert_true(bw_files_mime_is_text("image/svg+xml"));
    assert_true(bw_files_mime_is_text("application/ld+json"));
    assert_false(bw_files_mime_is_text("image/png"));
    assert_false(bw_files_mime_is_text("application/octet-stream"));
    assert_false(bw_files_mime_is_text("application/jsonx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_listing),
        cmocka_unit_test(test_directory_name_prefix_and_not_recursive),
        cmocka_unit_test(test_directory_reads_text_and_blob),
        cmocka_unit_test(test_directory_oversized_file),
        cmocka_unit_test(test_directory_file_swapped_after_listing),
        cmocka_unit_test(test_directory_too_many_files),
        cmocka_unit_test(test_inline_text),
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_template_mapping),
        cmocka_unit_test(test_template_traversal_refused),
        cmocka_unit_test(test_template_config_errors),
        cmocka_unit_test(test_resource_config_errors),
        cmocka_unit_test(test_catalog),
        cmocka_unit_test(test_open_beneath),
        cmocka_unit_test(test_rel_paths_and_uris),
        cmocka_unit_test(test_mime_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
