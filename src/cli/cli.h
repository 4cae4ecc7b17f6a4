/* The bulwark command line: one function per subcommand. Each returns the process exit code
 * (0 ok, 1 runtime failure, 2 usage error). */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <bulwark/bulwark.h>

int bw_cmd_serve(int argc, char **argv);
int bw_cmd_check(int argc, char **argv);
int bw_cmd_reload(int argc, char **argv);
int bw_cmd_supervise(int argc, char **argv);
int bw_cmd_audit(int argc, char **argv);
int bw_cmd_version(int argc, char **argv);
int bw_cmd_help(int argc, char **argv);
int bw_cmd_config_reference(int argc, char **argv);

/* Registers the built-in example tool set served when no config file is given. */
int bw_builtin_register(bw_server *srv);
/* true if argv[i] is -h or --help. */
int bw_cli_wants_help(int argc, char **argv);

#endif
