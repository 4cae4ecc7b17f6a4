/* PLACEHOLDER (lead): replaced by `bulwark audit`. */
#include <stdio.h>

#include "cli/cli.h"

int bw_cmd_audit(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "bulwark audit: not available yet\n");
    return 1;
}
