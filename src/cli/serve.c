/* bulwark serve: build the server and run a transport until EOF or a signal. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: bulwark serve (--stdio | --listen HOST:PORT [--stateless]) [-c FILE]\n"
    "\n"
    "Serves MCP. Without -c, serves the built-in example tool set (echo, add, now, slow_count).\n"
    "\n"
    "  --stdio         one session on stdin/stdout (newline-delimited JSON; logs go to stderr)\n"
    "  --listen H:P    Streamable HTTP at http://H:P/mcp and legacy HTTP+SSE at /sse (port 0: any free port);\n"
    "                  prints 'listening on http://H:P/mcp' to stderr when ready. Bind to 127.0.0.1 unless\n"
    "                  the server must be reachable from elsewhere.\n"
    "  --stateless     HTTP without sessions (every POST stands alone), for horizontal scaling\n"
    "  -c, --config F  a configuration file (arrives with the declarative-config release; refused for now)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0 after stdin closes or SIGTERM/SIGINT (in-flight requests get 5 s to finish), 1 on a runtime\n"
    "failure, 2 on a usage error.\n";

static void on_signal(int sig)
{
    (void)sig;
    bw_stdio_stop();
    bw_http_stop();
}

static void on_ready(const char *url, void *user)
{
    (void)user;
    fprintf(stderr, "listening on %s\n", url);
}

typedef struct serve_opts {
    const char *config;
    const char *listen;
    char host[256];
    bw_http_options http;
} serve_opts;

static int parse(int argc, char **argv, serve_opts *o)
{
    const char **config = &o->config;
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
            o->listen = i + 1 < argc ? argv[++i] : NULL;
            if (!o->listen || bw_http_parse_listen(o->listen, o->host, sizeof o->host, &o->http.port) != BW_OK) {
                fprintf(stderr, "bulwark serve: --listen needs HOST:PORT, e.g. 127.0.0.1:8080\n");
                return 2;
            }
            o->http.host = o->host;
            continue;
        }
        if (!strcmp(argv[i], "--stateless")) {
            o->http.stateless = true;
            continue;
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
    serve_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    if (o.config) {
        fprintf(stderr, "bulwark serve: configuration files are not supported by this build yet (%s)\n", o.config);
        return 2;
    }
    if (o.http.stateless && !o.listen) {
        fprintf(stderr, "bulwark serve: --stateless needs --listen\n");
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
    bw_status st;
    if (o.listen) {
        o.http.on_ready = on_ready;
        st = bw_serve_http(srv, &o.http);
    } else {
        fprintf(stderr, "bulwark: serving MCP on stdio\n");
        st = bw_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    }
    if (st)
        fprintf(stderr, "bulwark serve: %s\n", bw_status_str(st));
    bw_server_free(srv);
    return st ? 1 : 0;
}
