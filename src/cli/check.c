/* bulwark check: builds the server as `serve` would and reports what it would serve, without serving. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int bw_cmd_check(int argc, char **argv)
{
    if (bw_cli_wants_help(argc, argv)) {
        printf("usage: bulwark check [-c FILE]\n\nBuilds the tool set as 'serve' would (compiling every schema) and "
               "reports problems without serving.\nExit status: 0 valid, 1 invalid, 2 usage error.\n");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            fprintf(stderr, "bulwark check: configuration files are not supported by this build yet\n");
            return 2;
        }
        fprintf(stderr, "bulwark check: unknown option '%s'\n", argv[i]);
        return 2;
    }
    bw_server_info info = {.name = "bulwark", .version = bw_version()};
    bw_server *srv = bw_server_new(&info);
    int bad = !srv || bw_builtin_register(srv);
    bw_server_free(srv);
    printf(bad ? "built-in tool set: INVALID\n" : "built-in tool set: ok\n");
    return bad ? 1 : 0;
}
