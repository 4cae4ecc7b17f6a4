/* bulwark supervise: parse the options, then hand the command to the supervisor (src/reliability/supervisor.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "reliability/supervisor.h"

static const char usage[] =
    "usage: bulwark supervise [options] -- COMMAND [ARGS...]\n"
    "\n"
    "Runs COMMAND (any program: bulwark serve, or another MCP server) as a child and keeps it running: it is\n"
    "restarted when it crashes, with a growing delay, until it crashes too often; it is restarted when it uses too\n"
    "much memory; signals sent to the supervisor reach it; and when it ends, everything in its process group is\n"
    "killed, so nothing is left behind. If the supervisor itself is killed (even by SIGKILL) the child is killed\n"
    "too (PR_SET_PDEATHSIG). Events are logged to stderr as 'bulwark supervise: ...' lines. See docs/supervise.md.\n"
    "\n"
    "A crash is any end of the child other than exit status 0: a non-zero status, or death by a signal the\n"
    "supervisor did not forward. Exit status 0 ends the supervision (the child finished its work).\n"
    "\n"
    "options:\n"
    "  --max-restarts N    restarts allowed within the window; the next crash gives up (exit 3) [5]\n"
    "  --window S          the crash-loop window in seconds [60]\n"
    "  --backoff-initial MS  delay before a restart after a healthy run [200]; each further consecutive short run\n"
    "                      doubles it\n"
    "  --backoff-max MS    the longest delay before a restart [30000]\n"
    "  --min-uptime MS     a run at least this long counts as healthy: the delay starts over at --backoff-initial\n"
    "                      [5000]\n"
    "  --max-rss SIZE      restart the child when its resident memory exceeds SIZE (bytes, or with a K, M or G\n"
    "                      suffix for KiB, MiB, GiB), e.g. 512M [no limit]. Only the child process itself is\n"
    "                      measured, not its own children\n"
    "  --rss-interval MS   how often the resident memory is sampled [1000]\n"
    "  --grace MS          after SIGTERM (forwarded, or sent for the memory limit), wait this long for the child\n"
    "                      to end, then SIGKILL its process group [5000]\n"
    "  --stdio             relay stdin and stdout to the child line by line, for stdio MCP servers: a client can\n"
    "                      use 'bulwark supervise --stdio -- SERVER' as its server command and keeps one clean\n"
    "                      stream across restarts (requests in flight on a crashed child are answered with\n"
    "                      JSON-RPC error -32000 \"server restarted\"; the restarted child is re-initialized with\n"
    "                      the client's own initialize request). Without --stdio the child shares the\n"
    "                      supervisor's stdin and stdout (right for HTTP servers)\n"
    "  --max-line SIZE     with --stdio, the longest line relayed either way; longer ones are dropped and\n"
    "                      logged [16M]\n"
    "  --quiet             log only problems (crashes, restarts, giving up), not each start or stop\n"
    "  -h, --help          this help\n"
    "\n"
    "Signals: SIGTERM, SIGINT and SIGQUIT are forwarded to the child and stop the supervision when it ends (after\n"
    "--grace, its process group is killed); SIGHUP, SIGUSR1 and SIGUSR2 are forwarded only (bulwark serve reloads\n"
    "its configuration on SIGHUP).\n"
    "\n"
    "Exit status: the child's own when it exits with 0, when it ends after a forwarded stop signal, or (--stdio)\n"
    "when it ends after stdin closed: its exit status, or 128 + the signal number that ended it; 3 when it\n"
    "crashed more than --max-restarts times within --window (crash loop); 1 when the command cannot be started\n"
    "at all; 2 on a usage error.\n";

typedef struct int_opt {
    const char *name;
    int *dst;
    long min, max;
} int_opt;

static int bad(const char *name, const char *why)
{
    fprintf(stderr, "bulwark supervise: %s %s (try 'bulwark supervise --help')\n", name, why);
    return BW_SUP_EXIT_USAGE;
}

static int parse_int(const int_opt *io, const char *text)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || end == text || *end || v < io->min || v > io->max) {
        char why[96];
        snprintf(why, sizeof why, "needs a whole number from %ld to %ld", io->min, io->max);
        return bad(io->name, why);
    }
    *io->dst = (int)v;
    return 0;
}

/* "1048576", "512K", "64M", "2G" (binary units) within [min, max]. */
static int parse_size(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *dst)
{
    char *end;
    errno = 0;
    uint64_t v = text && *text >= '0' && *text <= '9' ? strtoull(text, &end, 10) : 0;
    if (!text || errno || end == text)
        return bad(name, "needs a size: bytes, or a number with K, M or G");
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (max >> shift) || (v << shift) < min) {
        char why[96];
        snprintf(why, sizeof why, "needs a size from %" PRIu64 " to %" PRIu64 " bytes", min, max);
        return bad(name, why);
    }
    *dst = v << shift;
    return 0;
}

/* Parses the options that take a value; *i is advanced past the value. */
static int parse_valued(bw_sup_options *o, int argc, char **argv, int *i)
{
    const char *name = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    const int_opt ints[] = {
        {"--max-restarts", &o->max_restarts, 0, 1000},
        {"--window", &o->window_s, 1, 86400},
        {"--backoff-initial", &o->backoff_initial_ms, 0, 3600000},
        {"--backoff-max", &o->backoff_max_ms, 0, 3600000},
        {"--min-uptime", &o->min_uptime_ms, 0, 86400000},
        {"--rss-interval", &o->rss_interval_ms, 10, 3600000},
        {"--grace", &o->grace_ms, 0, 3600000},
    };
    (*i)++;
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        if (!strcmp(name, ints[k].name))
            return parse_int(&ints[k], val);
    if (!strcmp(name, "--max-rss"))
        return parse_size(name, val, 1u << 20, UINT64_C(1) << 50, &o->max_rss_bytes);
    if (!strcmp(name, "--max-line")) {
        uint64_t v = 0;
        int rc = parse_size(name, val, 1024, 1u << 30, &v);
        o->max_line_bytes = (size_t)v;
        return rc;
    }
    (*i)--;
    return bad(name, "is not an option");
}

/* Options up to "--" or the first argument that is not one; *cmd is the index of COMMAND (0 after -h/--help,
 * which prints the help: after COMMAND, -h belongs to the command). */
static int parse(int argc, char **argv, bw_sup_options *o, int *cmd)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int rc = 0;
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--stdio")) {
            o->stdio = true;
        } else if (!strcmp(argv[i], "--quiet")) {
            o->quiet = true;
        } else {
            rc = parse_valued(o, argc, argv, &i);
        }
        if (rc)
            return rc;
    }
    if (i >= argc)
        return bad("COMMAND", "is missing: bulwark supervise [options] -- COMMAND [ARGS...]");
    if (o->backoff_max_ms < o->backoff_initial_ms)
        return bad("--backoff-max", "must not be below --backoff-initial");
    *cmd = i;
    return 0;
}

int bw_cmd_supervise(int argc, char **argv)
{
    bw_sup_options o;
    bw_sup_options_default(&o);
    int cmd = 0;
    int rc = parse(argc, argv, &o, &cmd);
    return rc || !cmd ? rc : bw_supervise(&o, argv + cmd);
}
