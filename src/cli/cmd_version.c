/*
 * cmd_version.c -- `kubeharden version`: the tool's version.
 */
#include <string.h>

#include "cli.h"

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs("Usage: kubeharden version\n\nPrint the version (also: kubeharden --version).\n",
              stdout);
        cli_print_exit_codes(stdout, 0);
        return CLI_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "kubeharden version: unexpected argument '%s'\n", argv[1]);
        return CLI_EXIT_ERROR;
    }
    printf("kubeharden %s\n", KH_VERSION);
    return CLI_EXIT_OK;
}
