/* Unit tests for the skills extension (src/protocol/skills_*.c): the per-file rules, the SKILL.md frontmatter, the
 * manifest and directory listings a skill is built into, registration through the public API (errors, rollback),
 * loading a skill from a directory, and the wire answers of skills/list, skills/get, resources/directory/read and
 * resources/read through an in-process session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/harness.h"
#include "bulwark/bulwark.h"
#include "protocol/skills_internal.h"

#define DEMO_MD "---\nname: demo\ndescription: A demo skill\n---\nBody\n"
#define DEMO_MD_DIGEST "sha256:50345b2acf55b6fa9399ba2449d14c44a80b0c77abd920f471d57c4121aa754b"
#define RUN_SH "echo hi\n"
#define RUN_SH_DIGEST "sha256:ab08508fdf5ca4da5c4995987bc41c56c048aaa5eeb046417ae4049b7d40286e"

static const unsigned char png_bytes[] = {0x89, 'P', 'N', 'G', 0x00, 0xff};

/* ---- helpers ---- */

static void assert_json(const json_t *got, const char *want_text)
{
    json_error_t e;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &e);
    if (!want)
        fail_msg("bad expected JSON: %s", e.text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        print_error("got:  %s\nwant: %s\n", g ? g : "(null)", w);
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

static bw_server *new_server(void)
{
    bw_server_info info = {.name = "skills-test", .version = "1.0.0"};
    bw_server *srv = bw_server_new(&info);
    assert_non_null(srv);
    return srv;
}

static bw_status add_demo(bw_server *srv, const char *name, char *err, size_t errlen)
{
    char md[256];
    snprintf(md, sizeof md, "---\nname: %s\ndescription: A demo skill\n---\nBody\n", name);
    const bw_skill_file files[] = {
        {.path = "SKILL.md", .data = md, .len = strlen(md)},
        {.path = "scripts/run.sh", .data = RUN_SH, .len = strlen(RUN_SH)},
        {.path = "assets/logo.png", .data = png_bytes, .len = sizeof png_bytes},
        {.path = "assets/icons/a.svg", .data = "<svg/>", .len = 6},
    };
    bw_skill_def def = {.files = files, .n_files = 4};
    return bw_server_add_skill(srv, &def, err, errlen);
}

/* params with a 2026-07-28 envelope, plus `extra` (stolen, may be NULL). */
static json_t *modern(json_t *extra)
{
    json_t *p = json_pack("{s:{s:s,s:{}}}", "_meta", "io.modelcontextprotocol/protocolVersion", "2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities");
    if (extra) {
        json_object_update(p, extra);
        json_decref(extra);
    }
    return p;
}

/* ---- per-file rules ---- */

static void test_path_rules(void **state)
{
    (void)state;
    char why[160];
    const char *good[] = {"SKILL.md", "references/FORMS.md", "a/b/c-d_e.f~g+h,i=j@k", ".hidden", "x..y"};
    const char *bad[] = {"", "/abs", "a/", "a//b", ".", "..", "a/../b", "a/./b", "sp ace", "per%cent", "q?x",
                         "back\\slash", "col:on"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!bw_skill_path_valid(good[i], why, sizeof why))
            fail_msg("\"%s\" refused: %s", good[i], why);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (bw_skill_path_valid(bad[i], why, sizeof why))
            fail_msg("\"%s\" accepted", bad[i]);
    assert_false(bw_skill_path_valid("a//b", why, sizeof why));
    assert_string_equal(why, "empty path segment (leading, trailing or double '/')");
    char longseg[300];
    memset(longseg, 'a', 256);
    longseg[256] = '\0';
    assert_false(bw_skill_path_valid(longseg, why, sizeof why));
    assert_false(bw_skill_path_valid(NULL, why, sizeof why));
}

static void test_mime(void **state)
{
    (void)state;
    assert_string_equal(bw_skill_mime_for("SKILL.md"), "text/markdown");
    assert_string_equal(bw_skill_mime_for("scripts/run.sh"), "text/x-shellscript");
    assert_string_equal(bw_skill_mime_for("a/B.PNG"), "image/png");
    assert_string_equal(bw_skill_mime_for("data.json"), "application/json");
    assert_string_equal(bw_skill_mime_for("Makefile"), "application/octet-stream");
    assert_string_equal(bw_skill_mime_for("dir.md/.profile"), "application/octet-stream");
    assert_true(bw_skill_mime_textual("text/x-python"));
    assert_true(bw_skill_mime_textual("application/yaml"));
    assert_false(bw_skill_mime_textual("image/png"));
    assert_false(bw_skill_mime_textual("application/octet-stream"));
}

static void test_digest(void **state)
{
    (void)state;
    char d[BW_SKILL_DIGEST_LEN];
    assert_true(bw_skill_digest("", 0, d));
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_true(bw_skill_digest(NULL, 0, d));
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_true(bw_skill_digest("abc", 3, d));
    assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- frontmatter ---- */

static void test_names(void **state)
{
    (void)state;
    char n64[65];
    memset(n64, 'a', 64);
    n64[64] = '\0';
    assert_true(bw_skill_name_valid("pdf-processing"));
    assert_true(bw_skill_name_valid("a"));
    assert_true(bw_skill_name_valid("v2-x9"));
    assert_true(bw_skill_name_valid(n64));
    const char *bad[] = {"", "-a", "a-", "a--b", "Pdf", "a_b", "a.b", "a b", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (bw_skill_name_valid(bad[i]))
            fail_msg("name \"%s\" accepted", bad[i]);
    char n65[66];
    memset(n65, 'a', 65);
    n65[65] = '\0';
    assert_false(bw_skill_name_valid(n65));
    assert_false(bw_skill_name_valid(NULL));
}

static void test_frontmatter_parsed(void **state)
{
    (void)state;
    char why[256] = "";
    const char *md = "---\nname: pdf\ndescription: \"Does: things\"\nlicense: MIT\nmetadata:\n  version: 2\n"
                     "  tags: [a, b]\n---\n# Body\n---\nnot frontmatter\n";
    json_t *fm = bw_skill_frontmatter(md, strlen(md), why, sizeof why);
    assert_non_null(fm);
    assert_json(fm, "{\"name\":\"pdf\",\"description\":\"Does: things\",\"license\":\"MIT\","
                    "\"metadata\":{\"version\":2,\"tags\":[\"a\",\"b\"]}}");
    json_decref(fm);
    /* A BOM, CRLF line breaks, trailing blanks on the closing line, end of file right after it. */
    const char *crlf = "\xEF\xBB\xBF---\r\nname: x\r\ndescription: d\r\n--- \t";
    fm = bw_skill_frontmatter(crlf, strlen(crlf), why, sizeof why);
    assert_non_null(fm);
    assert_json(fm, "{\"name\":\"x\",\"description\":\"d\"}");
    json_decref(fm);
}

static void expect_refused(const char *md, const char *want_why)
{
    char why[256] = "";
    json_t *fm = bw_skill_frontmatter(md, strlen(md), why, sizeof why);
    if (fm)
        fail_msg("accepted: %s", md);
    if (!strstr(why, want_why))
        fail_msg("reason \"%s\" lacks \"%s\"", why, want_why);
}

static void test_frontmatter_refused(void **state)
{
    (void)state;
    const char *no_block = "SKILL.md must start with a YAML frontmatter block between two \"---\" lines";
    expect_refused("# no frontmatter\n", no_block);
    expect_refused(" ---\nname: a\ndescription: d\n---\n", no_block);
    expect_refused("---\nname: a\ndescription: d\n", no_block);     /* never closed */
    expect_refused("--- \nname: a\ndescription: d\n---\n", no_block); /* opening line must be exactly --- */
    expect_refused("---\nname: a\ndescription: d\n----\n", no_block);
    expect_refused("---\n---\n", no_block);
    expect_refused("---\n\n---\n", "SKILL.md frontmatter is empty: it needs a name and a description");
    expect_refused("---\n- a\n- b\n---\n", "SKILL.md frontmatter must be a YAML mapping");
    expect_refused("---\ndescription: d\n---\n", "SKILL.md frontmatter needs a string \"name\"");
    expect_refused("---\nname: 12\ndescription: d\n---\n", "SKILL.md frontmatter needs a string \"name\"");
    expect_refused("---\nname: Bad\ndescription: d\n---\n", "invalid skill name \"Bad\"");
    expect_refused("---\nname: a--b\ndescription: d\n---\n", "invalid skill name \"a--b\"");
    expect_refused("---\nname: a\n---\n", "needs a \"description\" string of 1-1024 characters");
    expect_refused("---\nname: a\ndescription: \"\"\n---\n", "needs a \"description\" string");
    expect_refused("---\nname: a\ndescription: &x d\nother: *x\n---\n", "SKILL.md frontmatter:");
    expect_refused("---\nname: a\nname: b\ndescription: d\n---\n", "SKILL.md frontmatter:");
    expect_refused("---\nname: [a\ndescription: d\n---\n", "SKILL.md frontmatter:");
}

static void test_description_length(void **state)
{
    (void)state;
    /* 1024 characters of two bytes each is fine; 1025 is not. */
    char md[4200];
    char *p = md + sprintf(md, "---\nname: a\ndescription: ");
    for (int i = 0; i < 1024; i++)
        p += sprintf(p, "\xC3\xA9");
    strcpy(p, "\n---\n");
    char why[256];
    json_t *fm = bw_skill_frontmatter(md, strlen(md), why, sizeof why);
    assert_non_null(fm);
    json_decref(fm);
    strcpy(p, "e\n---\n");
    fm = bw_skill_frontmatter(md, strlen(md), why, sizeof why);
    assert_null(fm);
}

/* ---- building ---- */

static void test_build_manifest_and_dirs(void **state)
{
    (void)state;
    const bw_skill_file files[] = {
        {.path = "scripts/run.sh", .data = RUN_SH, .len = strlen(RUN_SH)},
        {.path = "SKILL.md", .data = DEMO_MD, .len = strlen(DEMO_MD), .mime_type = "text/plain"},
        {.path = "empty.txt", .data = NULL, .len = 0},
        {.path = "scripts/lib/x.bin", .data = png_bytes, .len = sizeof png_bytes, .mime_type = "text/plain"},
    };
    bw_skill_def def = {.files = files, .n_files = 4};
    bw_skill *sk = NULL;
    char err[256] = "";
    assert_int_equal(bw_skill_build(&def, &sk, err, sizeof err), BW_OK);
    assert_string_equal(sk->name, "demo");
    assert_string_equal(sk->uri, "skill://demo/SKILL.md");
    assert_json(sk->entry,
                "{\"uri\":\"skill://demo/SKILL.md\",\"frontmatter\":{\"name\":\"demo\",\"description\":\"A demo "
                "skill\"},\"resources\":["
                "{\"uri\":\"skill://demo/SKILL.md\",\"digest\":\"" DEMO_MD_DIGEST "\",\"size\":50},"
                "{\"uri\":\"skill://demo/empty.txt\",\"digest\":\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
                "b934ca495991b7852b855\",\"size\":0},"
                "{\"uri\":\"skill://demo/scripts/lib/x.bin\",\"digest\":\"sha256:ffdb519b788f33bddc8647611c3a24cc5e1"
                "a9ef5780c1f6f828a637c309ad8f1\",\"size\":6},"
                "{\"uri\":\"skill://demo/scripts/run.sh\",\"digest\":\"" RUN_SH_DIGEST "\",\"size\":8}]}");
    bw_skill_free(sk);
}

static void test_build_directories(void **state)
{
    (void)state;
    const bw_skill_file files[] = {
        {.path = "scripts/run.sh", .data = RUN_SH, .len = strlen(RUN_SH)},
        {.path = "SKILL.md", .data = DEMO_MD, .len = strlen(DEMO_MD), .mime_type = "text/plain"},
        {.path = "empty.txt", .data = NULL, .len = 0},
        {.path = "scripts/lib/x.bin", .data = png_bytes, .len = sizeof png_bytes},
    };
    bw_skill_def def = {.files = files, .n_files = 4};
    bw_skill *sk = NULL;
    char err[256] = "";
    assert_int_equal(bw_skill_build(&def, &sk, err, sizeof err), BW_OK);
    /* SKILL.md is always text/markdown, named and described by its frontmatter; an empty file has no size. */
    assert_json(sk->dirs,
                "{\"skill://demo\":["
                "{\"uri\":\"skill://demo/SKILL.md\",\"name\":\"demo\",\"description\":\"A demo skill\","
                "\"mimeType\":\"text/markdown\",\"size\":50},"
                "{\"uri\":\"skill://demo/empty.txt\",\"name\":\"empty.txt\",\"mimeType\":\"text/plain\"},"
                "{\"uri\":\"skill://demo/scripts\",\"name\":\"scripts\",\"mimeType\":\"inode/directory\"}],"
                "\"skill://demo/scripts\":["
                "{\"uri\":\"skill://demo/scripts/lib\",\"name\":\"lib\",\"mimeType\":\"inode/directory\"},"
                "{\"uri\":\"skill://demo/scripts/run.sh\",\"name\":\"run.sh\",\"mimeType\":\"text/x-shellscript\","
                "\"size\":8}],"
                "\"skill://demo/scripts/lib\":["
                "{\"uri\":\"skill://demo/scripts/lib/x.bin\",\"name\":\"x.bin\",\"mimeType\":\"application/"
                "octet-stream\",\"size\":6}]}");
    assert_true(sk->parts[0].text);             /* SKILL.md */
    assert_false(sk->parts[2].text);            /* scripts/lib/x.bin: not a textual type */
    assert_true(sk->parts[3].text);             /* scripts/run.sh */
    bw_skill_free(sk);
}

static void expect_build(const bw_skill_file *files, size_t n, bw_status want, const char *want_err)
{
    bw_skill_def def = {.files = files, .n_files = n};
    bw_skill *sk = (bw_skill *)0x1;
    char err[256] = "";
    bw_status st = bw_skill_build(&def, &sk, err, sizeof err);
    if (st != want)
        fail_msg("status %s, want %s (%s)", bw_status_str(st), bw_status_str(want), err);
    if (!strstr(err, want_err))
        fail_msg("reason \"%s\" lacks \"%s\"", err, want_err);
    assert_null(sk);
}

static void test_build_refused(void **state)
{
    (void)state;
    const bw_skill_file md = {.path = "SKILL.md", .data = DEMO_MD, .len = strlen(DEMO_MD)};
    bw_skill_file two[2] = {md, {.path = "a", .data = "x", .len = 1}};
    expect_build(NULL, 0, BW_E_INVALID_ARG, "a skill needs files, SKILL.md among them");
    two[0].path = "readme.md";
    expect_build(two, 2, BW_E_INVALID_ARG, "a skill needs a SKILL.md at its root");
    two[0] = md;
    two[1].path = "SKILL.md";
    expect_build(two, 2, BW_E_INVALID_ARG, "skill file \"SKILL.md\" is given twice");
    two[1].path = "../etc/passwd";
    expect_build(two, 2, BW_E_INVALID_ARG, "skill file \"../etc/passwd\": '.' and '..' segments are not allowed");
    two[1] = (bw_skill_file){.path = "x", .data = NULL, .len = 3};
    expect_build(two, 2, BW_E_INVALID_ARG, "skill file \"x\": no data for 3 bytes");
    two[1] = (bw_skill_file){.path = "x", .data = "x", .len = 1, .mime_type = "bad type"};
    expect_build(two, 2, BW_E_INVALID_ARG, "skill file \"x\": invalid MIME type");
    bw_skill_file clash[3] = {md, {.path = "a", .data = "x", .len = 1}, {.path = "a/b", .data = "y", .len = 1}};
    expect_build(clash, 3, BW_E_INVALID_ARG, "\"a\" is both a file and a directory");
    bw_skill_file bad_md = {.path = "SKILL.md", .data = "---\nname: a\ndescription: \xff\n---\n", .len = 29};
    expect_build(&bad_md, 1, BW_E_INVALID_ARG, "SKILL.md must be UTF-8 text without NUL bytes");
    bad_md = (bw_skill_file){.path = "SKILL.md", .data = "no frontmatter", .len = 14};
    expect_build(&bad_md, 1, BW_E_INVALID_ARG, "SKILL.md must start with a YAML frontmatter block");
}

static void test_build_limits(void **state)
{
    (void)state;
    bw_skill_file *many = calloc(BW_SKILL_MAX_FILES + 1, sizeof *many);
    char (*names)[16] = calloc(BW_SKILL_MAX_FILES + 1, sizeof *names);
    assert_non_null(many);
    assert_non_null(names);
    many[0] = (bw_skill_file){.path = "SKILL.md", .data = DEMO_MD, .len = strlen(DEMO_MD)};
    for (size_t i = 1; i <= BW_SKILL_MAX_FILES; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i);
        many[i] = (bw_skill_file){.path = names[i], .data = "x", .len = 1};
    }
    expect_build(many, BW_SKILL_MAX_FILES + 1, BW_E_LIMIT, "a skill has at most 512 files");
    bw_skill *sk = NULL;
    bw_skill_def def = {.files = many, .n_files = BW_SKILL_MAX_FILES};
    assert_int_equal(bw_skill_build(&def, &sk, NULL, 0), BW_OK); /* exactly 512 is fine */
    bw_skill_free(sk);
    /* 16 MiB in all is fine; one byte more is not. */
    char *big = calloc(1, BW_SKILL_MAX_BYTES);
    assert_non_null(big);
    many[1] = (bw_skill_file){.path = "big", .data = big, .len = BW_SKILL_MAX_BYTES - strlen(DEMO_MD)};
    def.n_files = 2;
    assert_int_equal(bw_skill_build(&def, &sk, NULL, 0), BW_OK);
    bw_skill_free(sk);
    many[1].len++;
    expect_build(many, 2, BW_E_LIMIT, "the skill's files exceed 16777216 bytes");
    free(big);
    free(names);
    free(many);
}

/* ---- registration ---- */

static void test_register(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    char err[256] = "";
    assert_null(bw_skills_capability(srv));
    assert_int_equal(add_demo(srv, "demo", err, sizeof err), BW_OK);
    json_t *cap = bw_skills_capability(srv);
    assert_json(cap, "{\"directoryRead\":true}");
    json_decref(cap);
    assert_int_equal(bw_registry_count(&srv->reg, BW_KIND_RESOURCE), 4);
    bw_entry *e = bw_registry_get(&srv->reg, BW_KIND_RESOURCE, "skill://demo/SKILL.md");
    assert_non_null(e);
    assert_json(e->listing, "{\"uri\":\"skill://demo/SKILL.md\",\"name\":\"demo\",\"description\":\"A demo skill\","
                            "\"mimeType\":\"text/markdown\",\"size\":50}");
    bw_entry_unref(e);
    /* The same name again: refused, and the first skill is untouched. */
    assert_int_equal(add_demo(srv, "demo", err, sizeof err), BW_E_EXISTS);
    assert_string_equal(err, "a skill named \"demo\" is registered already");
    assert_int_equal(bw_registry_count(&srv->reg, BW_KIND_RESOURCE), 4);
    assert_int_equal(bw_skills_count(bw_skills_of(srv, false)), 1);
    bw_server_free(srv);
}

static bw_status dummy_read(bw_call *call, const char *uri, const json_t *vars, void *user)
{
    (void)vars;
    (void)user;
    return bw_result_add_contents(bw_call_result(call), bw_resource_text(uri, "text/plain", "mine"));
}

static void test_register_rolls_back(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    /* The application already serves one of the skill's URIs (not the first one registered). */
    bw_resource_def mine = {.uri = "skill://demo/scripts/run.sh", .name = "mine", .handler = dummy_read};
    assert_int_equal(bw_server_add_resource(srv, &mine), BW_OK);
    char err[256] = "";
    assert_int_equal(add_demo(srv, "demo", err, sizeof err), BW_E_EXISTS);
    assert_string_equal(err, "a resource skill://demo/scripts/run.sh is registered already");
    assert_int_equal(bw_registry_count(&srv->reg, BW_KIND_RESOURCE), 1);
    assert_null(bw_skills_capability(srv));
    bw_entry *e = bw_registry_get(&srv->reg, BW_KIND_RESOURCE, "skill://demo/scripts/run.sh");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e->listing, "name")), "mine");
    bw_entry_unref(e);
    /* Another name works, and a bad definition leaves no trace. */
    assert_int_equal(add_demo(srv, "other", err, sizeof err), BW_OK);
    assert_int_equal(add_demo(srv, "Bad", err, sizeof err), BW_E_INVALID_ARG);
    assert_int_equal(bw_registry_count(&srv->reg, BW_KIND_RESOURCE), 5);
    assert_int_equal(bw_server_add_skill(NULL, NULL, err, sizeof err), BW_E_INVALID_ARG);
    assert_int_equal(bw_server_add_skill(srv, NULL, err, sizeof err), BW_E_INVALID_ARG);
    bw_server_free(srv);
}

/* ---- loading a directory ---- */

static void write_file(const char *dir, const char *rel, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes the test's temporary tree (without following its symlinks). */
static void rm_rf(const char *dir)
{
    assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void in_dir(const char *dir, const char *rel, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, rel);
}

static void test_add_skill_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-skills-test-XXXXXX", p[512], q[512];
    assert_non_null(mkdtemp(dir));
    in_dir(dir, "references", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    in_dir(dir, ".git", q, sizeof q);
    assert_int_equal(mkdir(q, 0755), 0);
    write_file(dir, "SKILL.md", DEMO_MD, strlen(DEMO_MD));
    write_file(dir, "references/FORMS.md", "# Forms\n", 8);
    write_file(dir, ".git/HEAD", "ref\n", 4);
    in_dir(dir, "link.md", p, sizeof p);
    assert_int_equal(symlink("SKILL.md", p), 0);      /* symlinks are not followed */
    in_dir(dir, "linkdir", q, sizeof q);
    assert_int_equal(symlink("/etc", q), 0);
    char fifo[512];
    in_dir(dir, "pipe", fifo, sizeof fifo);
    assert_int_equal(mkfifo(fifo, 0644), 0);          /* neither file nor directory: skipped */

    bw_server *srv = new_server();
    char err[256] = "";
    if (bw_server_add_skill_dir(srv, dir, err, sizeof err) != BW_OK)
        fail_msg("add_skill_dir: %s", err);
    json_t *entry = bw_skills_entry(bw_skills_of(srv, false), "skill://demo/SKILL.md");
    assert_non_null(entry);
    assert_json(json_object_get(entry, "resources"),
                "[{\"uri\":\"skill://demo/SKILL.md\",\"digest\":\"" DEMO_MD_DIGEST "\",\"size\":50},"
                "{\"uri\":\"skill://demo/references/FORMS.md\",\"digest\":\"sha256:"
                "111198a69a324efe68bb9dd7e0ca9cb2e50e1c374da3d383a7d3569824965082\",\"size\":8}]");
    json_decref(entry);
    /* The same directory again is a duplicate; a missing one an I/O error naming it. */
    assert_int_equal(bw_server_add_skill_dir(srv, dir, err, sizeof err), BW_E_EXISTS);
    assert_int_equal(bw_server_add_skill_dir(srv, "/nonexistent/skill", err, sizeof err), BW_E_IO);
    assert_string_equal(err, "/nonexistent/skill: No such file or directory");
    bw_server_free(srv);
    rm_rf(dir);
}

static void test_add_skill_dir_symlinked_skill_md(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-skills-test-XXXXXX", p[512];
    assert_non_null(mkdtemp(dir));
    write_file(dir, "real.md", DEMO_MD, strlen(DEMO_MD));
    in_dir(dir, "SKILL.md", p, sizeof p);
    assert_int_equal(symlink("real.md", p), 0);
    bw_server *srv = new_server();
    char err[256] = "";
    assert_int_equal(bw_server_add_skill_dir(srv, dir, err, sizeof err), BW_E_INVALID_ARG);
    assert_string_equal(err, "a skill needs a SKILL.md at its root");
    bw_server_free(srv);
    rm_rf(dir);
}

/* ---- the wire, through an in-process session ---- */

static json_t *result_of(json_t *resp)
{
    json_t *r = json_object_get(resp, "result");
    if (!r) {
        char *t = json_dumps(resp, JSON_COMPACT);
        print_error("no result: %s\n", t ? t : "(null)");
        free(t);
        fail();
    }
    return r;
}

static void test_wire_list_and_get(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    char err[256];
    assert_int_equal(add_demo(srv, "demo", err, sizeof err), BW_OK);
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    harness *h = harness_new(srv);

    json_t *resp = harness_request(h, "skills/list", modern(NULL));
    json_t *r = result_of(resp);
    assert_int_equal(json_array_size(json_object_get(r, "skills")), 1);
    assert_json(json_object_get(json_array_get(json_object_get(r, "skills"), 0), "frontmatter"),
                "{\"name\":\"demo\",\"description\":\"A demo skill\"}");
    assert_json(json_object_get(r, "ttlMs"), "0");
    assert_json(json_object_get(r, "cacheScope"), "\"private\"");
    assert_null(json_object_get(r, "nextCursor"));
    json_decref(resp);

    resp = harness_request(h, "skills/get", modern(json_pack("{s:s}", "uri", "skill://demo/SKILL.md")));
    r = result_of(resp);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "skill"), "uri")),
                        "skill://demo/SKILL.md");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "skill"), "resources")), 4);
    assert_null(json_object_get(r, "nextCursor"));
    json_decref(resp);

    resp = harness_request(h, "skills/get",
                           modern(json_pack("{s:s}", "uri", "skill://mcp-conformance-nonexistent-skill-9f3a2b/SKILL.md")));
    assert_json(json_object_get(resp, "error"),
                "{\"code\":-32602,\"message\":\"Invalid params: not the SKILL.md of a skill served here\","
                "\"data\":{\"uri\":\"skill://mcp-conformance-nonexistent-skill-9f3a2b/SKILL.md\"}}");
    json_decref(resp);
    resp = harness_request(h, "skills/get", modern(NULL));
    assert_json(json_object_get(resp, "error"),
                "{\"code\":-32602,\"message\":\"Invalid params: \\\"uri\\\" must be a non-empty string\"}");
    json_decref(resp);
    resp = harness_request(h, "skills/list", modern(json_pack("{s:s}", "cursor", "bogus")));
    assert_json(json_object_get(resp, "error"),
                "{\"code\":-32602,\"message\":\"Invalid params: unknown or malformed cursor\"}");
    json_decref(resp);
    harness_free(h);
    bw_server_free(srv);
}

static void test_wire_pagination(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    bw_limits lim = {.page_size = 2};
    assert_int_equal(bw_server_set_limits(srv, &lim), BW_OK);
    char err[256];
    const char *names[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(add_demo(srv, names[i], err, sizeof err), BW_OK);
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    harness *h = harness_new(srv);
    /* skills/list: two entries, then the third; whole entries per page. */
    json_t *resp = harness_request(h, "skills/list", modern(NULL));
    json_t *r = result_of(resp);
    assert_int_equal(json_array_size(json_object_get(r, "skills")), 2);
    const char *cursor = json_string_value(json_object_get(r, "nextCursor"));
    assert_non_null(cursor);
    json_t *resp2 = harness_request(h, "skills/list", modern(json_pack("{s:s}", "cursor", cursor)));
    json_t *r2 = result_of(resp2);
    assert_int_equal(json_array_size(json_object_get(r2, "skills")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r2, "skills"), 0), "uri")),
                        "skill://three/SKILL.md");
    assert_null(json_object_get(r2, "nextCursor"));
    /* A skills/list cursor means nothing to a directory. */
    json_t *resp3 = harness_request(h, "resources/directory/read",
                                    modern(json_pack("{s:s,s:s}", "uri", "skill://one", "cursor", cursor)));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(resp3, "error"), "code")), -32602);
    json_decref(resp3);
    json_decref(resp2);
    json_decref(resp);

    /* The root of "one" has SKILL.md, assets/, scripts/: two, then one. */
    resp = harness_request(h, "resources/directory/read", modern(json_pack("{s:s}", "uri", "skill://one")));
    r = result_of(resp);
    assert_json(json_object_get(r, "resources"),
                "[{\"uri\":\"skill://one/SKILL.md\",\"name\":\"one\",\"description\":\"A demo skill\","
                "\"mimeType\":\"text/markdown\",\"size\":49},"
                "{\"uri\":\"skill://one/assets\",\"name\":\"assets\",\"mimeType\":\"inode/directory\"}]");
    cursor = json_string_value(json_object_get(r, "nextCursor"));
    assert_non_null(cursor);
    resp2 = harness_request(h, "resources/directory/read",
                            modern(json_pack("{s:s,s:s}", "uri", "skill://one", "cursor", cursor)));
    assert_json(json_object_get(result_of(resp2), "resources"),
                "[{\"uri\":\"skill://one/scripts\",\"name\":\"scripts\",\"mimeType\":\"inode/directory\"}]");
    json_decref(resp2);
    json_decref(resp);
    harness_free(h);
    bw_server_free(srv);
}

static void test_wire_directory_errors(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    char err[256];
    assert_int_equal(add_demo(srv, "demo", err, sizeof err), BW_OK);
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    harness *h = harness_new(srv);
    const char *not_dirs[] = {"skill://demo/SKILL.md", "skill://demo/", "skill://demo/assets/logo.png",
                              "skill://nope", "test://x"};
    for (size_t i = 0; i < sizeof not_dirs / sizeof *not_dirs; i++) {
        json_t *resp = harness_request(h, "resources/directory/read",
                                       modern(json_pack("{s:s}", "uri", not_dirs[i])));
        json_t *e = json_object_get(resp, "error");
        assert_int_equal(json_integer_value(json_object_get(e, "code")), -32602);
        assert_string_equal(json_string_value(json_object_get(e, "message")),
                            "Invalid params: not a directory resource");
        json_decref(resp);
    }
    json_t *resp = harness_request(h, "resources/directory/read",
                                   modern(json_pack("{s:s}", "uri", "skill://demo/assets")));
    assert_json(json_object_get(result_of(resp), "resources"),
                "[{\"uri\":\"skill://demo/assets/icons\",\"name\":\"icons\",\"mimeType\":\"inode/directory\"},"
                "{\"uri\":\"skill://demo/assets/logo.png\",\"name\":\"logo.png\",\"mimeType\":\"image/png\","
                "\"size\":6}]");
    json_decref(resp);
    harness_free(h);
    bw_server_free(srv);
}

static void test_wire_read_text_and_blob(void **state)
{
    (void)state;
    bw_server *srv = new_server();
    const bw_skill_file files[] = {
        {.path = "SKILL.md", .data = DEMO_MD, .len = strlen(DEMO_MD)},
        {.path = "logo.png", .data = png_bytes, .len = sizeof png_bytes},
        {.path = "latin1.md", .data = "\xff\xfe", .len = 2},
    };
    bw_skill_def def = {.files = files, .n_files = 3};
    char err[256];
    assert_int_equal(bw_server_add_skill(srv, &def, err, sizeof err), BW_OK);
    assert_int_equal(bw_server_start_pool(srv), BW_OK);
    harness *h = harness_new(srv); /* a 2025-11-25 session: skill files are ordinary resources */
    json_t *resp = harness_request(h, "resources/read", json_pack("{s:s}", "uri", "skill://demo/SKILL.md"));
    assert_json(json_object_get(result_of(resp), "contents"),
                "[{\"uri\":\"skill://demo/SKILL.md\",\"mimeType\":\"text/markdown\",\"text\":\"---\\nname: demo\\n"
                "description: A demo skill\\n---\\nBody\\n\"}]");
    json_decref(resp);
    resp = harness_request(h, "resources/read", json_pack("{s:s}", "uri", "skill://demo/logo.png"));
    assert_json(json_object_get(result_of(resp), "contents"),
                "[{\"uri\":\"skill://demo/logo.png\",\"mimeType\":\"image/png\",\"blob\":\"iVBORwD/\"}]");
    json_decref(resp);
    /* Not UTF-8: a blob, with the file's own type. */
    resp = harness_request(h, "resources/read", json_pack("{s:s}", "uri", "skill://demo/latin1.md"));
    assert_json(json_object_get(result_of(resp), "contents"),
                "[{\"uri\":\"skill://demo/latin1.md\",\"mimeType\":\"text/markdown\",\"blob\":\"//4=\"}]");
    json_decref(resp);
    harness_free(h);
    bw_server_free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_rules),
        cmocka_unit_test(test_mime),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_frontmatter_parsed),
        cmocka_unit_test(test_frontmatter_refused),
        cmocka_unit_test(test_description_length),
        cmocka_unit_test(test_build_manifest_and_dirs),
        cmocka_unit_test(test_build_directories),
        cmocka_unit_test(test_build_refused),
        cmocka_unit_test(test_build_limits),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_register_rolls_back),
        cmocka_unit_test(test_add_skill_dir),
        cmocka_unit_test(test_add_skill_dir_symlinked_skill_md),
        cmocka_unit_test(test_wire_list_and_get),
        cmocka_unit_test(test_wire_pagination),
        cmocka_unit_test(test_wire_directory_errors),
        cmocka_unit_test(test_wire_read_text_and_blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
