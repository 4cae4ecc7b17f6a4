/* bulwark reload: asks a running `bulwark serve -c` to re-read its configuration (sends it SIGHUP). The result
 * (config_reloaded, or config_reload_failed with the errors) is in that server's log. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: bulwark reload (--pid-file F | PID)\n"
    "\n"
    "Asks a running `bulwark serve -c FILE` to reload FILE by sending it SIGHUP. The server logs the outcome on\n"
    "its stderr: a config_reloaded log line, or config_reload_failed (the previous configuration keeps serving)\n"
    "with each error's file, line and col (docs/observability/logging.md).\n"
    "\n"
    "  --pid-file F  read the process id from F (as written by `bulwark serve --pid-file F`)\n"
    "  -h, --help    this help\n"
    "\n"
    "Exit status: 0 when the signal was sent, 1 when the pid file is unreadable or no such process can be\n"
    "signalled, 2 on a usage error.\n";

/* A process id from text: decimal digits (surrounding white space allowed), > 1. 0 when it is not one. */
static pid_t parse_pid(const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (errno || end == text || *end || v <= 1 || v > (long)0x3fffffff)
        return 0;
    return (pid_t)v;
}

/* The pid in a pid file (at most a short line is read), or 0 after a message. */
static pid_t read_pid_file(const char *path)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (n < 0) {
        fprintf(stderr, "bulwark reload: cannot read the pid file %s: %s\n", path, strerror(err));
        return 0;
    }
    buf[n] = '\0';
    pid_t pid = parse_pid(buf);
    if (!pid)
        fprintf(stderr, "bulwark reload: %s does not hold a process id\n", path);
    return pid;
}

static int parse(int argc, char **argv, pid_t *pid)
{
    if (argc == 3 && !strcmp(argv[1], "--pid-file")) {
        *pid = read_pid_file(argv[2]);
        return *pid ? 0 : 1;
    }
    if (argc == 2 && argv[1][0] != '-' && (*pid = parse_pid(argv[1])) != 0)
        return 0;
    fprintf(stderr, "bulwark reload: give --pid-file F or a process id (try 'bulwark reload --help')\n");
    return 2;
}

int bw_cmd_reload(int argc, char **argv)
{
    if (bw_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    pid_t pid = 0;
    int rc = parse(argc, argv, &pid);
    if (rc)
        return rc;
    if (kill(pid, SIGHUP) != 0) {
        fprintf(stderr, "bulwark reload: cannot signal process %ld: %s\n", (long)pid, strerror(errno));
        return 1;
    }
    fprintf(stderr, "bulwark reload: asked process %ld to reload (SIGHUP); its log shows the outcome\n", (long)pid);
    return 0;
}
