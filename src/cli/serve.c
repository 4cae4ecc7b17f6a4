/* bulwark serve: build the server (from a configuration file, or the built-in example set) and run a transport
 * until EOF or a signal. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/app.h"
#include "config/reload.h"
#include "config/reload_log.h"
#include "config/reload_watch.h"
#include "observability/log.h"

static const char usage[] =
    "usage: bulwark serve [-c FILE] [--stdio | --listen HOST:PORT] [--stateless] [--pid-file F]\n"
    "                     [--admin-listen HOST:PORT] [--log-format json|text] [--log-level L]\n"
    "\n"
    "Serves MCP. With -c, serves the tools, resources and prompts of a configuration file (docs/config.md);\n"
    "without it, the built-in example tool set (echo, add, now, slow_count). Command-line flags override the\n"
    "file's `transports` section.\n"
    "\n"
    "  -c, --config F  the configuration file (YAML). Every problem in it is printed as FILE:LINE:COL: message\n"
    "                  and nothing is served (exit 1); warnings are printed and serving goes on\n"
    "  --stdio         one session on stdin/stdout (newline-delimited JSON; logs go to stderr)\n"
    "  --listen H:P    Streamable HTTP at http://H:P/mcp and legacy HTTP+SSE at /sse (port 0: any free port);\n"
    "                  prints 'listening on http://H:P/mcp' (https:// with TLS) to stderr when ready. Bind to\n"
    "                  127.0.0.1 unless the server must be reachable from elsewhere.\n"
    "  --stateless     HTTP without sessions (every POST stands alone), for horizontal scaling\n"
    "  --pid-file F    write the process id to F (mode 0644) while serving; removed on exit\n"
    "  --admin-listen H:P  also serve /metrics, /status, /events and /health/* on http://H:P (for stdio\n"
    "                  servers; prints 'admin on http://H:P' when ready)\n"
    "  --log-format F  json (one JSON object per line, the default) or text (for humans); logs go to stderr\n"
    "  --log-level L   debug, info, warn, error or off; wins over observability.logging.level\n"
    "  -h, --help      this help\n"
    "\n"
    "Without -c, the transport is stdio unless --listen is given. With -c, it is transports.default of the file\n"
    "(stdio when absent) unless --stdio or --listen is given.\n"
    "\n"
    "Exit status: 0 after stdin closes or SIGTERM/SIGINT (in-flight requests get limits.shutdown_grace_ms to\n"
    "finish), 1 on an invalid configuration or a runtime failure, 2 on a usage error.\n"
    "\n"
    "Hot reload (with -c): SIGHUP, `bulwark reload`, or a change of the file when reliability.reload.watch is\n"
    "true, re-reads the file. An invalid file is reported (FILE:LINE:COL lines) and the running configuration\n"
    "keeps serving; a valid one replaces tools, resources and prompts without failing a request, keeps the\n"
    "database pools whose settings did not change, and notifies sessions (list_changed). Changes to server,\n"
    "transports, limits and stateless need a restart.\n";

typedef struct serve_opts {
    const char *config;
    bool stdio;
    const char *listen;
    char host[256];
    uint16_t port;
    bool stateless;
    const char *pid_file;
    const char *admin_listen;
    char admin_host[256];
    uint16_t admin_port;
} serve_opts;

static void on_signal(int sig)
{
    (void)sig;
    bw_stdio_stop();
    bw_http_stop();
}

/* SIGHUP never terminates: it asks the reload thread (when there is one) for a reload. */
static void on_hangup(int sig)
{
    (void)sig;
    bw_reload_watch_signal();
}

static void catch_hangup(void)
{
    struct sigaction sa = {.sa_handler = on_hangup, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
}

/* Writes "PID\n" to path, mode 0644 whatever the umask (monitoring tools read it as another user). */
static int write_pid_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    char line[32];
    int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    bool ok = fd >= 0 && fchmod(fd, 0644) == 0 && write(fd, line, (size_t)len) == len;
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        fprintf(stderr, "bulwark serve: cannot write the pid file %s: %s\n", path, strerror(err));
        if (fd >= 0)
            unlink(path);
        return 1;
    }
    return 0;
}

/* The ready line scripts and tests wait for: a log line with msg "listening on <url>" and a "url" field. */
static void on_ready(const char *url, void *user)
{
    (void)user;
    char msg[300];
    snprintf(msg, sizeof msg, "listening on %s", url);
    bw_log_announce(msg, "url", url);
}

/* --log-format / --log-level: applied at once (they win over the configuration file). */
static int take_log_flag(const char *flag, const char *value)
{
    if (!strcmp(flag, "--log-format")) {
        int f = value && !strcmp(value, "json") ? BW_LOG_FORMAT_JSON : value && !strcmp(value, "text") ? BW_LOG_FORMAT_TEXT : -1;
        if (f < 0) {
            fprintf(stderr, "bulwark serve: --log-format needs json or text\n");
            return 2;
        }
        bw_log_override(f, -1);
        return 0;
    }
    int level = value ? bw_loglevel_parse(value) : -1;
    if (level < 0) {
        fprintf(stderr, "bulwark serve: --log-level needs debug, info, warn, error or off\n");
        return 2;
    }
    bw_log_override(-1, level);
    return 0;
}

static int parse(int argc, char **argv, serve_opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stdio")) {
            o->stdio = true;
        } else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bulwark serve: %s needs a file name\n", argv[i]);
                return 2;
            }
            o->config = argv[++i];
        } else if (!strcmp(argv[i], "--listen")) {
            o->listen = i + 1 < argc ? argv[++i] : NULL;
            if (!o->listen || bw_http_parse_listen(o->listen, o->host, sizeof o->host, &o->port) != BW_OK) {
                fprintf(stderr, "bulwark serve: --listen needs HOST:PORT, e.g. 127.0.0.1:8080\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--admin-listen")) {
            o->admin_listen = i + 1 < argc ? argv[++i] : NULL;
            if (!o->admin_listen ||
                bw_http_parse_listen(o->admin_listen, o->admin_host, sizeof o->admin_host, &o->admin_port) != BW_OK) {
                fprintf(stderr, "bulwark serve: --admin-listen needs HOST:PORT, e.g. 127.0.0.1:9090\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--log-format") || !strcmp(argv[i], "--log-level")) {
            if (take_log_flag(argv[i], i + 1 < argc ? argv[i + 1] : NULL) != 0)
                return 2;
            i++;
        } else if (!strcmp(argv[i], "--stateless")) {
            o->stateless = true;
        } else if (!strcmp(argv[i], "--pid-file")) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fprintf(stderr, "bulwark serve: --pid-file needs a file name\n");
                return 2;
            }
            o->pid_file = argv[++i];
        } else {
            fprintf(stderr, "bulwark serve: unknown option '%s' (try 'bulwark serve --help')\n", argv[i]);
            return 2;
        }
    }
    if (o->stdio && o->listen) {
        fprintf(stderr, "bulwark serve: --stdio and --listen exclude each other\n");
        return 2;
    }
    return 0;
}

/* --admin-listen: /metrics, /status, /events and the probes on their own address. */
static int start_admin(bw_server *srv, const serve_opts *o)
{
    if (!o->admin_listen)
        return 0;
    char err[256] = "";
    if (bw_serve_admin(srv, o->admin_host, o->admin_port, err, sizeof err) != BW_OK) {
        bw_log_msg(BW_LL_ERROR, "cannot serve the admin endpoints on %s: %s", o->admin_listen,
                   err[0] ? err : "failed");
        return 1;
    }
    bool v6 = strchr(o->admin_host, ':') != NULL;
    char url[300], msg[320];
    snprintf(url, sizeof url, "http://%s%s%s:%u", v6 ? "[" : "", o->admin_host, v6 ? "]" : "",
             (unsigned)bw_admin_port());
    snprintf(msg, sizeof msg, "admin on %s", url);
    bw_log_announce(msg, "url", url);
    return 0;
}

/* Runs the chosen transport until EOF or a signal. http NULL: stdio. */
static int run(bw_server *srv, const bw_http_options *http, const serve_opts *opts)
{
    if (start_admin(srv, opts) != 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    bw_status st;
    if (http) {
        bw_http_options o = *http;
        o.on_ready = on_ready;
        st = bw_serve_http(srv, &o);
    } else {
        bw_log_announce("serving MCP on stdio", NULL, NULL);
        st = bw_serve_stdio(srv, STDIN_FILENO, STDOUT_FILENO);
    }
    bw_admin_stop();
    if (st)
        bw_log_msg(BW_LL_ERROR, "serving failed: %s", bw_status_str(st));
    return st ? 1 : 0;
}

static int serve_builtin(const serve_opts *o)
{
    if (o->stateless && !o->listen) {
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
    bw_http_options http = {.host = o->host, .port = o->port, .stateless = o->stateless};
    int rc = run(srv, o->listen ? &http : NULL, o);
    bw_server_free(srv);
    return rc;
}

/* Serves app with hot reload: the reload thread runs while the transport does. Frees app. */
static int run_reloadable(bw_app *app, const serve_opts *o, const bw_http_options *http)
{
    bw_reloader *reloader = bw_reloader_new(app, o->config);
    bw_reload_watch *watch = reloader ? bw_reload_watch_start(reloader, o->config, bw_app_reload_watch(app)) : NULL;
    if (!watch)
        bw_log_msg(BW_LL_WARN, "hot reload is unavailable; serving without it");
    int rc = run(bw_app_server(app), http, o);
    /* No handler may touch the watch's pipe once it is closed. */
    signal(SIGHUP, SIG_IGN);
    bw_reload_watch_stop(watch);
    /* The live application first: its workers may still run handlers of retired providers. */
    bw_app_free(app);
    bw_reloader_free(reloader);
    return rc;
}

static int serve_config(const serve_opts *o)
{
    bw_diag *diag = bw_diag_new();
    if (!diag) {
        fprintf(stderr, "bulwark serve: out of memory\n");
        return 1;
    }
    bw_app *app = bw_app_build(o->config, BW_BUILD_SERVE, diag);
    /* A configuration that cannot be served is reported for the person starting it (FILE:LINE:COL lines, like
     * `bulwark check`); the warnings of one that serves are log lines, like everything the running server says. */
    if (app)
        bw_reload_log_warnings(o->config, diag);
    else
        bw_diag_print(diag, stderr);
    bw_diag_free(diag);
    if (!app)
        return 1;
    bw_http_options http = *bw_app_http_options(app);
    bool use_http = o->listen || (!o->stdio && bw_app_default_transport(app) == BW_APP_HTTP);
    if (o->listen) {
        http.host = o->host;
        http.port = o->port;
    }
    http.stateless |= o->stateless;
    if (o->stateless && !use_http) {
        fprintf(stderr, "bulwark serve: --stateless needs the HTTP transport (--listen, or transports.default: "
                        "http)\n");
        bw_app_free(app);
        return 2;
    }
    return run_reloadable(app, o, use_http ? &http : NULL);
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
    /* From the start: a SIGHUP while the configuration loads must not kill the process. */
    catch_hangup();
    if (o.pid_file && write_pid_file(o.pid_file) != 0)
        return 1;
    rc = o.config ? serve_config(&o) : serve_builtin(&o);
    if (o.pid_file)
        unlink(o.pid_file);
    return rc;
}
