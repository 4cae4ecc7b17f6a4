/* bulwark serve: build the server and run a transport until EOF or a signal. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: bulwark serve --stdio [-c FILE]\n"
    "\n"
    "Serves MCP. Without -c, serves the built-in example tool set (echo, add, now, slow_count).\n"
    "\n"
    "  --stdio         one session on stdin/stdout (newline-delimited JSON; logs go to stderr)\n"
    "  -c, --config F  a configuration file (arrives with the declarative-config release; refused for now)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 after stdin closes or SIGTERM/SIGINT (in-flight requests get 5 s to finish), 1 on a runtime\n"
    "failure, 2 on a usage error.\n";

static void on_signal(int sig)
{
    (void)sig;
    bw_stdio_stop();
}

static int parse(int argc, char **argv, const char **config)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stdio"))
            continue;
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bulwark serve: %s needs a file name\n", argv[i]);
                return 2;
            }
            *config = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--listen")) {
            fprintf(stderr, "bulwark serve: --listen (HTTP) is not available in this build yet; use --stdio\n");
            return 2;
        }
        fprintf(stderr, "bulwark serve: unknown option '%s' (try 'bulwark serve --help')\n", argv[i]);
        return 2;
    }
    return 0;
}

int bw_cmd_serve(int argc, char **argv)
{
    if (bw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *config = NULL;
    int rc = parse(argc, argv, &config);
    if (rc)
        return rc;
    if (config) {
        fprintf(stderr, "bulwark serve: configuration files are not supported by this build yet (%s)\n", config);
        return 2;
    }
    bw_server_info info = {.name = "bulwark", .version = bw_version(), .title = "Bulwark"};
    bw_server *srv = bw_server_new(&info);
    if (!srv || bw_builtin_register(srv)) {
        fprintf(stderr, "bulwark serve: setting up the server failed\n");
        bw_server_free(srv);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    fprintf(stderr, "bulwark: serving MCP on stdio\n");
    bw_status st = bw_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    if (st)
        fprintf(stderr, "bulwark serve: %s\n", bw_status_str(st));
    bw_server_free(srv);
    return st ? 1 : 0;
}
