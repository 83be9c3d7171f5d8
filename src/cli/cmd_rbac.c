/*
 * cmd_rbac.c -- `kubeharden rbac`: dispatch to the RBAC subcommands.
 *
 * The queries (who-can, can, review) live in cmd_rbac_query.c, the
 * escalation paths and the graph in cmd_rbac_paths.c; `check` is `scan
 * --area rbac`, so the findings come in every report format of scan.
 */
#include <string.h>

#include "cli.h"

struct rbac_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Sorted by name. */
static const struct rbac_command commands[] = {
    {"can", cmd_rbac_can, "what a subject may do, or may it do this and why"},
    {"check", NULL, "the RBAC findings (scan --area rbac; every scan option and format)"},
    {"graph", cmd_rbac_graph, "export the privilege-escalation graph (-o dot|json)"},
    {"paths", cmd_rbac_paths, "the shortest escalation path of each subject to cluster-admin"},
    {"review", cmd_rbac_review, "answer SubjectAccessReview objects as the API server would"},
    {"who-can", cmd_rbac_who_can, "every subject allowed a request, with the grant behind it"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fputs("Usage: kubeharden rbac COMMAND [OPTIONS] [ARGS] PATH...\n\n"
          "Who can do what in a cluster, from its Roles, ClusterRoles, RoleBindings,\n"
          "ClusterRoleBindings, ServiceAccounts and Pods (files, directories, '-' for\n"
          "stdin, or a `kubectl get -A -o yaml` dump), answered as the API server's\n"
          "RBAC authorizer answers. See docs/rbac.md.\n\nCommands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'kubeharden rbac COMMAND --help' for a command's options.\n"
          "Examples:\n"
          "  kubectl get roles,clusterroles,rolebindings,clusterrolebindings,sa,pods -A -o yaml \\\n"
          "    > rbac.yaml\n"
          "  kubeharden rbac who-can get secrets -n kube-system rbac.yaml\n"
          "  kubeharden rbac can sa:ci/deployer create pods -n prod rbac.yaml\n"
          "  kubeharden rbac paths rbac.yaml\n"
          "  kubeharden rbac check -o sarif rbac.yaml > rbac.sarif\n",
          out);
}

int cmd_rbac(int argc, char **argv)
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
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run ? commands[i].run(argc - 1, argv + 1)
                                   : cli_scan_area("rbac", argc - 1, argv + 1);
    fprintf(stderr, "kubeharden rbac: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_ERROR;
}
