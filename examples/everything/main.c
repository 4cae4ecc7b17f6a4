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
    "usage: bulwark-everything [--stdio | --listen HOST:PORT [--stateless]] [options]\n"
    "\n"
    "The MCP fixture server used by Bulwark's integration, conformance and benchmark runs.\n"
    "\n"
    "  --stdio                    serve one session on stdin/stdout (the default)\n"
    "  --listen HOST:PORT         serve Streamable HTTP at /mcp and legacy HTTP+SSE at /sse (port 0: any free\n"
    "                             port); prints 'listening on http://HOST:PORT/mcp' to stderr when ready\n"
    "  --stateless                HTTP without sessions: every POST stands alone\n"
    "  --max-sessions N           concurrent HTTP sessions (default 10000)\n"
    "  --session-idle-ms N        end HTTP sessions idle this long (default 1800000)\n"
    "  --connection-timeout-s N   close idle or slow HTTP connections (default 30)\n"
    "  --max-connections N        open HTTP connections (default 1024)\n"
    "  --page-size N              items per list page (default 50)\n"
    "  --workers N                worker threads for handlers (default 4)\n"
    "  --max-message-bytes N      largest accepted message (default 4194304)\n"
    "  --max-depth N              deepest accepted JSON nesting (default 64)\n"
    "  --request-timeout-ms N     deadline of each request (default 60000)\n"
    "  --echo-on-workers          run echo on the worker pool instead of inline (it is BW_TOOL_NONBLOCKING)\n"
    "  --state-key KEY            seal 2026-07-28 requestState with KEY (32 bytes as 64 hex or base64); give it\n"
    "                             twice for rotation: the current key, then the previous one (default: a random\n"
    "                             key per process)\n"
    "  --state-ttl-ms N           how long a sealed requestState stays valid (default 600000)\n"
    "  --log-level L              debug, info, warn, error or off (default info)\n"
    "  --log-format F             json (default) or text\n"
    "  --trace-endpoint URL       export spans as OTLP/HTTP JSON to URL (e.g. http://127.0.0.1:4318/v1/traces)\n"
    "  --trace-sampling R         share of requests traced, 0 to 1 (default 1)\n"
    "  --audit-db FILE            write the audit trail to the SQLite file FILE\n"
    "  --metrics-off              collect no metrics (for the observability benchmark's baseline)\n"
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

typedef struct run_opts {
    bw_limits lim;
    bw_http_options http;
    const char *listen;
    char host[256];
    const char *state_keys[3];   /* current, previous, NULL */
    int n_state_keys;
    int state_ttl_ms;
} run_opts;

static int parse_http(int argc, char **argv, int *i, run_opts *o, int *rc)
{
    const char *a = argv[*i];
    long v = 0;
    if (!strcmp(a, "--listen")) {
        o->listen = *i + 1 < argc ? argv[++*i] : NULL;
        *rc = o->listen && bw_http_parse_listen(o->listen, o->host, sizeof o->host, &o->http.port) == BW_OK ? 0 : -1;
        if (*rc)
            fprintf(stderr, "bulwark-everything: --listen needs HOST:PORT, e.g. 127.0.0.1:8080\n");
        o->http.host = o->host;
    } else if (!strcmp(a, "--stateless")) {
        o->http.stateless = true;
        *rc = 0;
    } else if (!strcmp(a, "--max-sessions") && !(*rc = parse_int(a, *i + 1 < argc ? argv[++*i] : NULL, 10000000, &v))) {
        o->http.max_sessions = (size_t)v;
    } else if (!strcmp(a, "--session-idle-ms") && !(*rc = parse_int(a, *i + 1 < argc ? argv[++*i] : NULL, INT_MAX, &v))) {
        o->http.session_idle_ms = (int)v;
    } else if (!strcmp(a, "--max-connections") && !(*rc = parse_int(a, *i + 1 < argc ? argv[++*i] : NULL, 1000000, &v))) {
        o->http.max_connections = (unsigned)v;
    } else if (!strcmp(a, "--connection-timeout-s") &&
               !(*rc = parse_int(a, *i + 1 < argc ? argv[++*i] : NULL, 86400, &v))) {
        o->http.connection_timeout_s = (int)v;
    } else {
        return 0;
    }
    return 1;
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    bw_limits *lim = &o->lim;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v = 0;
        if (!strcmp(a, "--stdio"))
            continue;
        if (!strcmp(a, "--state-key")) {
            if (i + 1 >= argc || o->n_state_keys == 2) {
                fprintf(stderr, "bulwark-everything: --state-key needs a key, and at most two are accepted\n");
                return -1;
            }
            o->state_keys[o->n_state_keys++] = argv[++i];
            continue;
        }
        if (!strcmp(a, "--state-ttl-ms")) {
            if (parse_int(a, i + 1 < argc ? argv[++i] : NULL, INT_MAX, &v))
                return -1;
            o->state_ttl_ms = (int)v;
            continue;
        }
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
        int rc = everything_observe_arg(argc, argv, &i);
        if (rc < 0)
            return -1;
        if (rc > 0)
            continue;
        rc = 1;
        if (parse_http(argc, argv, &i, o, &rc)) {
            if (rc)
                return -1;
            continue;
        }
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
    bw_http_stop();
}

static void on_ready(const char *url, void *user)
{
    (void)user;
    fprintf(stderr, "listening on %s\n", url);
}

int main(int argc, char **argv)
{
    run_opts o = {0};
    if (parse_args(argc, argv, &o))
        return 2;
    if (o.http.stateless && !o.listen) {
        fprintf(stderr, "bulwark-everything: --stateless needs --listen\n");
        return 2;
    }
    bw_server_info info = {
        .name = "bulwark-everything",
        .version = bw_version(),
        .title = "Bulwark fixture server",
        .description = "Every MCP feature, for conformance and integration tests",
        .instructions = "Fixture server: tools, resources and prompts named test_* are conformance fixtures.",
    };
    bw_server *srv = bw_server_new(&info);
    char err[200] = "";
    if (srv && (o.n_state_keys || o.state_ttl_ms) &&
        bw_server_set_state_keys(srv, o.n_state_keys ? o.state_keys : NULL, o.state_ttl_ms, err, sizeof err)) {
        fprintf(stderr, "bulwark-everything: --state-key: %s\n", err);
        bw_server_free(srv);
        return 2;
    }
    if (!srv || bw_server_set_limits(srv, &o.lim) || everything_observe_apply(srv) || everything_add_modern_tools(srv) ||
        everything_add_tools(srv) || everything_add_client_tools(srv) ||
        everything_add_tasks_tools(srv) ||
        everything_add_resources(srv) || everything_add_prompts(srv) || everything_add_skills(srv)) {
        fprintf(stderr, "bulwark-everything: setting up the server failed\n");
        bw_server_free(srv);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    o.http.on_ready = on_ready;
    bw_status st = o.listen ? bw_serve_http(srv, &o.http) : bw_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    if (st)
        fprintf(stderr, "bulwark-everything: %s\n", bw_status_str(st));
    bw_server_free(srv);
    return st ? 1 : 0;
}
