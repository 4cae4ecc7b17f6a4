/* bulwark: a subcommand table (after wireguard-tools' wg). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"serve", bw_cmd_serve, "serve MCP over stdio or HTTP, from a configuration file (-c) or the built-in set"},
    {"check", bw_cmd_check, "validate a configuration file (-c) without serving"},
    {"reload", bw_cmd_reload, "make a running 'serve -c' re-read its configuration (SIGHUP)"},
    {"audit", bw_cmd_audit, "check, export or prune the audit trail (audit verify | export | prune)"},
    {"supervise", bw_cmd_supervise, "run a server as a child: restart on crash or memory limit, no orphans"},
    {"version", bw_cmd_version, "print version and supported protocol revisions"},
    {"help", bw_cmd_help, "show this help"},
    {"config-reference", bw_cmd_config_reference, NULL}, /* maintainers: regenerates docs/config.md */
};

int bw_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

int bw_cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: bulwark <command> [options]\n\n"
           "Bulwark is a production-grade Model Context Protocol (MCP) server runtime.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            printf("  %-9s %s\n", commands[i].name, commands[i].summary);
    printf("\nRun 'bulwark <command> --help' for a command's options.\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return bw_cmd_help(argc, argv) + (argc < 2 ? 2 : 0);
    if (!strcmp(argv[1], "--version"))
        return bw_cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "bulwark: unknown command '%s' (try 'bulwark help')\n", argv[1]);
    return 2;
}
