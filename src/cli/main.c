/*
 * main.c -- the kubeharden tool: dispatch to a subcommand.
 *
 * The command table is sorted by name; each command lives in its own
 * cmd_<name>.c and sees the library only through kubeharden.h. Whatever
 * the command, main then checks that standard output took what was
 * written (cli_finish), so no command exits 0 after losing its output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Sorted by name. */
static const struct cli_command commands[] = {
    {"ha", cmd_ha, "single points of failure; simulate losing nodes or zones"},
    {"netpol", cmd_netpol, "who can reach whom under NetworkPolicies (matrix, can-reach)"},
    {"node", cmd_node, "audit this node's Kubernetes configuration (CIS sections 1-4)"},
    {"probe", cmd_probe, "probe nodes' Kubernetes ports as an anonymous network client would"},
    {"rbac", cmd_rbac, "who can do what: who-can, can, review, escalation paths"},
    {"rules", cmd_rules, "list the rules, or write their documentation"},
    {"scan", cmd_scan, "scan manifests (files, directories, stdin) for weaknesses"},
    {"serve", cmd_serve, "run the validating admission webhook (HTTPS)"},
    {"version", cmd_version, "print the version"},
    {"watch", cmd_watch, "detect attacks in the API server's audit log; alerts to stdout or syslog"},
};

static void usage(FILE *out)
{
    fputs("kubeharden -- find and stop what leaves a Kubernetes cluster open or fragile\n\n"
          "Usage: kubeharden COMMAND [OPTIONS] [ARGS]\n\nCommands:\n",
          out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'kubeharden COMMAND --help' for a command's options.\n"
          "Example: kubeharden scan -o sarif ./manifests > kubeharden.sarif\n",
          out);
}

/* A closed descriptor 0, 1 or 2 is taken by /dev/null opened the wrong way
 * (stdin write-only, stdout and stderr read-only), as gnulib's stdopen
 * does: a file the tool opens can then never become its standard output,
 * and using the closed stream still fails, with a message that says why. */
static void hold_standard_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int got = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
        if (got >= 0 && got != fd)
            close(got); /* not the lowest free descriptor: leave fd closed */
    }
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kubeharden: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_ERROR;
}

int main(int argc, char **argv)
{
    hold_standard_fds();
    int status = run(argc, argv);
    const char *command = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            command = commands[i].name;
    return cli_finish(command, status);
}
