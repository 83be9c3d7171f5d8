/*
 * cmd_version.c -- `kubeharden version`: the tool's version.
 */
#include "cli.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("kubeharden %s\n", KH_VERSION);
    return CLI_EXIT_OK;
}
