/* bulwark check: builds the server as `serve` would and reports what it would serve, without serving. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/app.h"

static const char usage[] =
    "usage: bulwark check [-c FILE]\n"
    "\n"
    "Without -c, builds the built-in tool set as 'serve' would (compiling every schema).\n"
    "With -c, loads and validates the configuration file and builds everything in it as 'serve' would, and also\n"
    "verifies what can be verified without serving: referenced files exist, SQL statements prepare against their\n"
    "database, URL templates parse. Every problem is printed to stderr as FILE:LINE:COL: message; on success one\n"
    "summary line goes to stdout.\n"
    "\n"
    "Exit status: 0 valid, 1 invalid, 2 usage error.\n";

static int check_builtin(void)
{
    bw_server_info info = {.name = "bulwark", .version = bw_version()};
    bw_server *srv = bw_server_new(&info);
    int bad = !srv || bw_builtin_register(srv);
    bw_server_free(srv);
    printf(bad ? "built-in tool set: INVALID\n" : "built-in tool set: ok\n");
    return bad ? 1 : 0;
}

static int check_config(const char *path)
{
    bw_diag *diag = bw_diag_new();
    if (!diag) {
        fprintf(stderr, "bulwark check: out of memory\n");
        return 1;
    }
    bw_app *app = bw_app_build(path, BW_BUILD_CHECK, diag);
    bw_diag_print(diag, stderr);
    bw_diag_free(diag);
    if (!app)
        return 1;
    bw_app_counts n = bw_app_counts_of(app);
    printf("%s: ok: %zu tools, %zu resources, %zu resource templates, %zu prompts, %zu databases\n", path, n.tools,
           n.resources, n.resource_templates, n.prompts, n.databases);
    bw_app_free(app);
    return 0;
}

int bw_cmd_check(int argc, char **argv)
{
    if (bw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc && !config) {
            config = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config"))
            fprintf(stderr, "bulwark check: %s needs one file name\n", argv[i]);
        else
            fprintf(stderr, "bulwark check: unknown option '%s' (try 'bulwark check --help')\n", argv[i]);
        return 2;
    }
    return config ? check_config(config) : check_builtin();
}
