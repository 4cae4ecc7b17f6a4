/* bulwark audit: verify, export and prune the audit trail (a subcommand table, like the top level). The trail is
 * named by --db FILE (SQLite), --postgres CONNINFO, or -c CONFIG (observability.audit of a configuration file). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "config/diag.h"
#include "config/load.h"
#include "core/clock.h"
#include "observability/audit.h"
#include "observability/audit_checkpoint.h"
#include "observability/audit_store.h"

static const char usage[] =
    "usage: bulwark audit <command> [options]\n"
    "\n"
    "commands:\n"
    "  verify   check the hash chain; name the first modified, deleted or reordered record\n"
    "  export   write the records of a time range as JSON lines (for a SIEM)\n"
    "  prune    remove old records behind a signed checkpoint (retention)\n"
    "\n"
    "Run 'bulwark audit <command> --help' for a command's options.\n";

static const char trail_help[] =
    "The trail: --db FILE (the SQLite file), --postgres CONNINFO, or -c CONFIG (the trail a configuration file's\n"
    "observability.audit names, with its checkpoint_key).\n";

static const char verify_usage[] =
    "usage: bulwark audit verify (--db FILE | --postgres CONNINFO | -c CONFIG) [--key-file FILE]\n"
    "\n"
    "Walks the chain from its start (or from the latest retention checkpoint, whose HMAC signature is checked with\n"
    "the checkpoint key: --key-file, else the configuration's checkpoint_key, else FILE.key next to the trail).\n"
    "Prints 'ok: N records, chain intact' and exits 0, or names the first broken record and how it is broken\n"
    "(modified, deleted, reordered) and exits 1. Exit status 2: usage error or the trail cannot be read.\n";

static const char export_usage[] =
    "usage: bulwark audit export (--db FILE | --postgres CONNINFO | -c CONFIG) --since TIME [--until TIME]\n"
    "                            [--format jsonl]\n"
    "\n"
    "Writes the records with since <= time < until to stdout, one JSON object per line (every member, keys sorted),\n"
    "in chain order. TIME is RFC 3339 (2025-06-01T00:00:00Z, offsets allowed) or a duration before now: 90s, 30m,\n"
    "24h, 7d. Exit status: 0 ok, 1 the trail cannot be read, 2 usage error.\n";

static const char prune_usage[] =
    "usage: bulwark audit prune (--db FILE | --postgres CONNINFO | -c CONFIG) (--before TIME | --retention-days N)\n"
    "                           [--key-file FILE]\n"
    "\n"
    "Removes the oldest records (the longest prefix of the chain older than TIME, or than N days) and leaves a\n"
    "checkpoint {last removed seq, its hash, time, count} signed with HMAC-SHA256, from which verify starts the\n"
    "chain. The key: --key-file, else the configuration's checkpoint_key, else FILE.key next to the trail (created\n"
    "0600 when missing). Exit status: 0 ok, 1 failure, 2 usage error.\n";

typedef struct opts {
    const char *db, *postgres, *config, *key_file, *since, *until, *format, *before;
    int retention_days;           /* -1: not given */
} opts;

/* The trail and key as named on the command line, resolved. Owns what it allocated. */
typedef struct trail {
    char *db, *postgres, *key_text, *key_file;
    bw_audit_store *store;
} trail;

static void trail_free(trail *t)
{
    bw_audit_store_close(t->store);
    free(t->db);
    free(t->postgres);
    if (t->key_text)
        OPENSSL_cleanse(t->key_text, strlen(t->key_text));
    free(t->key_text);
    free(t->key_file);
}

/* ---- options ---- */

/* Where an option's value goes, or NULL when arg is not an option taking a value. */
static const char **value_slot(opts *o, const char *arg)
{
    if (!strcmp(arg, "--db"))
        return &o->db;
    if (!strcmp(arg, "--postgres"))
        return &o->postgres;
    if (!strcmp(arg, "-c") || !strcmp(arg, "--config"))
        return &o->config;
    if (!strcmp(arg, "--key-file"))
        return &o->key_file;
    if (!strcmp(arg, "--since"))
        return &o->since;
    if (!strcmp(arg, "--until"))
        return &o->until;
    if (!strcmp(arg, "--format"))
        return &o->format;
    if (!strcmp(arg, "--before"))
        return &o->before;
    return NULL;
}

static int parse(const char *cmd, int argc, char **argv, opts *o)
{
    *o = (opts){.retention_days = -1};
    for (int i = 1; i < argc; i++) {
        const char **slot = value_slot(o, argv[i]);
        bool days = !strcmp(argv[i], "--retention-days");
        if ((!slot && !days) || i + 1 >= argc) {
            fprintf(stderr, "bulwark audit %s: %s '%s' (try 'bulwark audit %s --help')\n", cmd,
                    slot || days ? "missing value after" : "unknown option", argv[i], cmd);
            return 2;
        }
        if (days) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 0 || n > 36500) {
                fprintf(stderr, "bulwark audit %s: --retention-days takes 0..36500\n", cmd);
                return 2;
            }
            o->retention_days = (int)n;
            continue;
        }
        *slot = argv[++i];
    }
    int named = (o->db != NULL) + (o->postgres != NULL) + (o->config != NULL);
    if (named != 1) {
        fprintf(stderr, "bulwark audit %s: name the trail with exactly one of --db, --postgres, -c\n", cmd);
        return 2;
    }
    return 0;
}

/* ---- the trail ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* observability.audit of a configuration file: path (resolved against the file's directory), postgres and
 * checkpoint_key. */
static int from_config(const char *path, trail *t)
{
    bw_diag *diag = bw_diag_new();
    bw_config *cfg = diag ? bw_config_load(path, diag) : NULL;
    if (diag)
        bw_diag_print(diag, stderr);
    bw_diag_free(diag);
    if (!cfg)
        return 2;
    const json_t *a = json_object_get(json_object_get(bw_config_root(cfg), "observability"), "audit");
    const char *db = json_string_value(json_object_get(a, "path"));
    int rc = 0;
    if (db) {
        const char *dir = bw_config_dir(cfg);
        size_t n = strlen(dir) + strlen(db) + 2;
        t->db = malloc(n);
        if (t->db)
            snprintf(t->db, n, "%s%s%s", db[0] == '/' ? "" : dir, db[0] == '/' ? "" : "/", db);
    }
    t->postgres = dup_or_null(json_string_value(json_object_get(a, "postgres")));
    t->key_text = dup_or_null(json_string_value(json_object_get(a, "checkpoint_key")));
    if (!t->db && !t->postgres) {
        fprintf(stderr, "bulwark audit: %s has no observability.audit.path or .postgres\n", path);
        rc = 2;
    }
    bw_config_free(cfg);
    return rc;
}

static int open_trail(const opts *o, bool create, trail *t)
{
    *t = (trail){0};
    int rc = o->config ? from_config(o->config, t) : 0;
    if (rc) {
        trail_free(t);
        return rc;
    }
    if (o->db)
        t->db = strdup(o->db);
    if (o->postgres)
        t->postgres = strdup(o->postgres);
    t->key_file = o->key_file ? strdup(o->key_file) : t->db ? bw_audit_key_path(t->db) : NULL;
    char err[400] = "";
    t->store = t->postgres ? bw_audit_pg_open(t->postgres, false, err, sizeof err)
                           : bw_audit_sqlite_open(t->db, create, err, sizeof err);
    if (!t->store) {
        fprintf(stderr, "bulwark audit: %s\n", err);
        trail_free(t);
        return 2;
    }
    return 0;
}

/* The checkpoint key (a key file given with --key-file wins over the configuration's key). */
static bw_status load_key(const trail *t, const opts *o, bool create, uint8_t key[BW_AUDIT_KEY_BYTES], char *err,
                          size_t errlen)
{
    const char *text = o->key_file ? NULL : t->key_text;
    return bw_audit_key_load(text, t->key_file, create, key, err, errlen);
}

/* ---- commands ---- */

static int cmd_verify(int argc, char **argv)
{
    opts o;
    trail t;
    int rc = parse("verify", argc, argv, &o);
    if (rc || (rc = open_trail(&o, false, &t)))
        return rc;
    uint8_t key[BW_AUDIT_KEY_BYTES];
    char err[400] = "";
    bool have_key = load_key(&t, &o, false, key, err, sizeof err) == BW_OK;
    bw_audit_verify_result r;
    bw_status st = bw_audit_verify(t.store, have_key ? key : NULL, &r, err, sizeof err);
    OPENSSL_cleanse(key, sizeof key);
    trail_free(&t);
    if (st != BW_OK) {
        fprintf(stderr, "bulwark audit verify: %s\n", err);
        return 2;
    }
    if (!r.intact) {
        printf("FAILED: %s\n", r.problem);
        return 1;
    }
    printf("ok: %lld records, chain intact", (long long)r.records);
    if (r.from_checkpoint)
        printf(", from checkpoint at seq %lld (%s)", (long long)r.checkpoint_seq, r.checkpoint_time);
    printf("; head %s\n", r.head);
    return 0;
}


static bool time_arg(const char *cmd, const char *name, const char *text, int64_t *ms)
{
    if (bw_audit_time_parse(text, bw_wall_ms(), ms))
        return true;
    fprintf(stderr, "bulwark audit %s: %s '%s' is neither an RFC 3339 time nor a duration (90s, 30m, 24h, 7d)\n", cmd,
            name, text);
    return false;
}

static int cmd_export(int argc, char **argv)
{
    opts o;
    trail t;
    int rc = parse("export", argc, argv, &o);
    if (rc)
        return rc;
    int64_t since = -1, until = -1;
    if (!o.since) {
        fprintf(stderr, "bulwark audit export: --since is required (e.g. --since 24h)\n");
        return 2;
    }
    if (o.format && strcmp(o.format, "jsonl")) {
        fprintf(stderr, "bulwark audit export: --format: only jsonl is supported\n");
        return 2;
    }
    if (!time_arg("export", "--since", o.since, &since) || (o.until && !time_arg("export", "--until", o.until, &until)))
        return 2;
    if ((rc = open_trail(&o, false, &t)))
        return rc == 2 ? 1 : rc;
    char err[400] = "";
    int64_t n = 0;
    bw_status st = bw_audit_export(t.store, since, until, stdout, &n, err, sizeof err);
    trail_free(&t);
    if (st != BW_OK) {
        fprintf(stderr, "bulwark audit export: %s\n", err);
        return 1;
    }
    return 0;
}

static bool sign_cb(bw_audit_checkpoint *cp, void *user)
{
    return bw_audit_checkpoint_sign(cp, user);
}

static int cmd_prune(int argc, char **argv)
{
    opts o;
    trail t;
    int rc = parse("prune", argc, argv, &o);
    if (rc)
        return rc;
    int64_t before = 0;
    if ((o.before != NULL) == (o.retention_days >= 0)) {
        fprintf(stderr, "bulwark audit prune: give exactly one of --before TIME, --retention-days N\n");
        return 2;
    }
    if (o.before && !time_arg("prune", "--before", o.before, &before))
        return 2;
    if (!o.before)
        before = bw_wall_ms() - (int64_t)o.retention_days * 86400000;
    if ((rc = open_trail(&o, false, &t)))
        return rc == 2 ? 1 : rc;
    uint8_t key[BW_AUDIT_KEY_BYTES];
    char err[400] = "";
    bw_audit_checkpoint cp = {0};
    char cutoff[BW_AUDIT_TIME_LEN + 1];
    bw_audit_time_format(before, cutoff);
    bw_audit_time_format(bw_wall_ms(), cp.time);
    int64_t removed = 0;
    bw_status st = load_key(&t, &o, true, key, err, sizeof err);
    if (st == BW_OK)
        st = t.store->ops->prune(t.store, cutoff, &cp, sign_cb, key, &removed, err, sizeof err);
    OPENSSL_cleanse(key, sizeof key);
    trail_free(&t);
    if (st != BW_OK) {
        fprintf(stderr, "bulwark audit prune: %s\n", err);
        return 1;
    }
    if (removed)
        printf("pruned %lld records older than %s; checkpoint at seq %lld signed\n", (long long)removed, cutoff,
               (long long)cp.seq);
    else
        printf("nothing to prune: no record older than %s\n", cutoff);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"verify", cmd_verify, verify_usage},
    {"export", cmd_export, export_usage},
    {"prune", cmd_prune, prune_usage},
};

int bw_cmd_audit(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        if (bw_cli_wants_help(argc - 1, argv + 1)) {
            printf("%s\n%s", commands[i].help, trail_help);
            return 0;
        }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "bulwark audit: unknown command '%s' (try 'bulwark audit --help')\n", argv[1]);
    return 2;
}
