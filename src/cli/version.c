#include <stdio.h>

#include "cli/cli.h"

int bw_cmd_version(int argc, char **argv)
{
    if (bw_cli_wants_help(argc, argv)) {
        printf("usage: bulwark version\n\nPrints the version and the MCP protocol revisions served.\n");
        return 0;
    }
    printf("bulwark %s\nprotocol revisions:", bw_version());
    for (const char *const *r = bw_supported_revisions(); *r; r++)
        printf(" %s", *r);
    printf("\n");
    return 0;
}
