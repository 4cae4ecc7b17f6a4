/* bulwark config-reference (not listed in help): prints the configuration reference generated from the embedded
 * schema, or with --write FILE puts it between the marker lines of FILE (docs/config.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/reference.h"

int bw_cmd_config_reference(int argc, char **argv)
{
    char err[512];
    if (argc == 3 && !strcmp(argv[1], "--write")) {
        if (!bw_config_reference_write(argv[2], err, sizeof err)) {
            fprintf(stderr, "bulwark config-reference: %s\n", err);
            return 1;
        }
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: bulwark config-reference [--write docs/config.md]\n");
        return 2;
    }
    char *text = bw_config_reference(err, sizeof err);
    if (!text) {
        fprintf(stderr, "bulwark config-reference: %s\n", err);
        return 1;
    }
    fputs(text, stdout);
    free(text);
    return 0;
}
