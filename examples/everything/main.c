/* bulwark-everything: registers the fixtures the official conformance suites call plus a few realistic tools,
 * using only the public API, and serves them. See README.md beside this file. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "everything.h"

static const char usage[] =
    "usage: bulwark-everything [--stdio] [options]\n"
    "\n"
    "The MCP fixture server used by Bulwark's integration, conformance and benchmark runs.\n"
    "\n"
    "  --stdio                    serve one session on stdin/stdout (the default)\n"
    "  --page-size N              items per list page (default 50)\n"
    "  --workers N                worker threads for handlers (default 4)\n"
    "  --max-message-bytes N      largest accepted message (default 4194304)\n"
    "  --max-depth N              deepest accepted JSON nesting (default 64)\n"
    "  --request-timeout-ms N     deadline of each request (default 60000)\n"
    "  --echo-on-workers          run echo on the worker pool instead of inline (it is BW_TOOL_NONBLOCKING)\n"
    "  --version                  print the version and exit\n"
    "  -h, --help                 print this help and exit\n";

static int parse_int(const char *flag, const char *text, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || *end || v < 1 || v > max) {
        fprintf(stderr, "bulwark-everything: %s needs a whole number from 1 to %ld\n", flag, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, bw_limits *lim)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v = 0;
        if (!strcmp(a, "--stdio"))
            continue;
        if (!strcmp(a, "--echo-on-workers")) {
            everything_echo_on_workers = true;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!strcmp(a, "--version")) {
            printf("bulwark-everything %s\n", bw_version());
            exit(0);
        }
        int rc = 1;
        if (!strcmp(a, "--page-size") && !(rc = parse_int(a, i + 1 < argc ? argv[++i] : NULL, 10000, &v)))
            lim->page_size = (int)v;
        else if (!strcmp(a, "--workers") && !(rc = parse_int(a, i + 1 < argc ? argv[++i] : NULL, 256, &v)))
            lim->workers = (int)v;
        else if (!strcmp(a, "--max-message-bytes") && !(rc = parse_int(a, i + 1 < argc ? argv[++i] : NULL, LONG_MAX, &v)))
            lim->max_message_bytes = (size_t)v;
        else if (!strcmp(a, "--max-depth") && !(rc = parse_int(a, i + 1 < argc ? argv[++i] : NULL, 1000, &v)))
            lim->max_depth = (int)v;
        else if (!strcmp(a, "--request-timeout-ms") && !(rc = parse_int(a, i + 1 < argc ? argv[++i] : NULL, INT_MAX, &v)))
            lim->request_timeout_ms = (int)v;
        if (rc == 1)
            fprintf(stderr, "bulwark-everything: unknown option %s (try --help)\n", a);
        if (rc)
            return -1;
    }
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    bw_stdio_stop();
}

int main(int argc, char **argv)
{
    bw_limits lim = {0};
    if (parse_args(argc, argv, &lim))
        return 2;
    bw_server_info info = {
        .name = "bulwark-everything",
        .version = bw_version(),
        .title = "Bulwark fixture server",
        .description = "Every MCP feature, for conformance and integration tests",
        .instructions = "Fixture server: tools, resources and prompts named test_* are conformance fixtures.",
    };
    bw_server *srv = bw_server_new(&info);
    if (!srv || bw_server_set_limits(srv, &lim) || everything_add_tools(srv) || everything_add_client_tools(srv) ||
        everything_add_resources(srv) || everything_add_prompts(srv)) {
        fprintf(stderr, "bulwark-everything: setting up the server failed\n");
        bw_server_free(srv);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    bw_status st = bw_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    if (st)
        fprintf(stderr, "bulwark-everything: %s\n", bw_status_str(st));
    bw_server_free(srv);
    return st ? 1 : 0;
}
