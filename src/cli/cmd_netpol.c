/*
 * cmd_netpol.c -- `kubeharden netpol`: who can reach whom under the
 * NetworkPolicies of files, directories or a cluster dump.
 *
 * `matrix` writes the connectivity of every workload pair and of the
 * address ranges outside the cluster (text, JSON, CSV, Graphviz DOT);
 * `can-reach` answers one question with the rules that decide each
 * direction; `check` is `scan --area netpol`. The objects are loaded with
 * kh_cluster_new_area, so the command sees what the scan's rules see.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/netpol.h"

enum { OPT_FILENAME, OPT_HELP, OPT_OUTPUT, OPT_PORT, OPT_CLUSTER_BASE };

/* Sorted by long name. */
static const struct cli_option matrix_options[] = {
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE),
    {"filename", 'f', "PATH", "file, directory or - (stdin) to read; repeatable", OPT_FILENAME},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_NAMESPACE(OPT_CLUSTER_BASE),
    {"output", 'o', "FORMAT", "text (default), json, csv or dot", OPT_OUTPUT},
};
static const struct cli_option reach_options[] = {
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE),
    {"filename", 'f', "PATH", "file, directory or - (stdin) to read; repeatable", OPT_FILENAME},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_NAMESPACE(OPT_CLUSTER_BASE),
    {"port", 'p', "PORT[/PROTO]", "the destination port: 443, 53/UDP, http/TCP (a port name of the destination)", OPT_PORT},
};
#define NMATRIX (sizeof(matrix_options) / sizeof(matrix_options[0]))
#define NREACH (sizeof(reach_options) / sizeof(reach_options[0]))

struct netpol_args {
    const char **pos;
    size_t npos;
    const char **paths;
    size_t npaths;
    const char *port;
    kh_netpol_format format;
    int help;
    const char *command;
    struct cli_cluster cluster;
};

static void usage(FILE *out)
{
    fputs("Usage: kubeharden netpol matrix [-o text|json|csv|dot] PATH...\n"
          "       kubeharden netpol can-reach SRC DST [PORT[/PROTO]] PATH...\n"
          "       kubeharden netpol check [scan options] PATH...\n\n"
          "Who can reach whom under NetworkPolicies, exactly as Kubernetes defines\n"
          "them, from NetworkPolicies, Pods, workload templates and Namespaces in\n"
          "files, directories (recursively), a cluster dump or stdin ('-').\n\n"
          "  matrix     every workload pair with the protocols and ports allowed, and\n"
          "             the address ranges outside the cluster each may talk to\n"
          "  can-reach  yes or no, naming the policies and rules that decide the\n"
          "             source's egress and the destination's ingress; SRC and DST\n"
          "             are ns/kind/name, ns/name or an IP address outside the cluster;\n"
          "             DST may be a Service (ns/service/name): its backends are checked\n"
          "             on each service port's targetPort\n"
          "  check      the netpol findings: the same as 'kubeharden scan --area netpol'\n\n"
          "Examples:\n"
          "  kubeharden netpol matrix -o dot manifests/ | dot -Tsvg > netpol.svg\n"
          "  kubeharden netpol can-reach shop/deployment/web shop/db 5432/TCP manifests/\n"
          "  kubectl get netpol,ns,deploy,sts,ds,pods -A -o yaml | kubeharden netpol matrix -\n"
          "See docs/netpol.md for the semantics.\n",
          out);
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct netpol_args *a = ud;
    if (!o)
        return cli_push(&a->pos, &a->npos, value);
    switch (o->id) {
    case OPT_FILENAME: return cli_push(&a->paths, &a->npaths, value);
    case OPT_HELP: a->help = 1; break;
    case OPT_PORT: a->port = value; break;
    case OPT_OUTPUT:
        if (strcmp(value, "text") == 0)
            a->format = KH_NETPOL_TEXT;
        else if (strcmp(value, "json") == 0)
            a->format = KH_NETPOL_JSON;
        else if (strcmp(value, "csv") == 0)
            a->format = KH_NETPOL_CSV;
        else if (strcmp(value, "dot") == 0)
            a->format = KH_NETPOL_DOT;
        else {
            fprintf(stderr, "kubeharden %s: unknown format '%s' (use text, json, csv or dot)\n",
                    a->command, value);
            return CLI_EXIT_ERROR;
        }
        break;
    default: return cli_cluster_option(&a->cluster, a->command, o->id - OPT_CLUSTER_BASE, value);
    }
    return 0;
}

static int on_input_error(const kh_finding *f, void *ud)
{
    (void)ud;
    fprintf(stderr, "%s:%u:%u: error: %s\n", f->file ? f->file : "<input>", f->line, f->col,
            f->message);
    return 0;
}

/* Load every path into a cluster and build the model. */
static int load(struct netpol_args *a, kh_cluster **c, kh_netpol **np)
{
    kh_error err = {0};
    char msg[512];
    if (cli_cluster_check(&a->cluster, a->command, a->npaths))
        return CLI_EXIT_ERROR;
    if (kh_cluster_new_area(c, KH_AREA_NETPOL, on_input_error, NULL, &err) != KH_OK) {
        kh_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "kubeharden %s: %s\n", a->command, msg);
        return CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < a->npaths; i++)
        if (kh_cluster_load_path(*c, a->paths[i], &err) != KH_OK) {
            kh_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "kubeharden %s: %s\n", a->command, msg);
            return CLI_EXIT_ERROR;
        }
    if (a->cluster.enabled && cli_cluster_load(&a->cluster, a->command, *c, KH_AREA_NETPOL))
        return CLI_EXIT_ERROR;
    if (kh_netpol_load(np, *c, &err) != KH_OK) {
        fprintf(stderr, "kubeharden %s: %s\n", a->command, err.message);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

static int run_matrix(struct netpol_args *a)
{
    for (size_t i = 0; i < a->npos; i++)
        if (cli_push(&a->paths, &a->npaths, a->pos[i]))
            return CLI_EXIT_ERROR;
    if (!a->npaths && !a->cluster.enabled) {
        fprintf(stderr, "kubeharden netpol matrix: no input (give a PATH or - for stdin)\n");
        return CLI_EXIT_ERROR;
    }
    kh_cluster *c = NULL;
    kh_netpol *np = NULL;
    int rc = load(a, &c, &np);
    if (rc == CLI_EXIT_OK) {
        kh_error err = {0};
        if (kh_netpol_matrix(np, stdout, a->format, NULL, &err) != KH_OK) {
            fprintf(stderr, "kubeharden netpol matrix: %s\n", err.message);
            rc = CLI_EXIT_ERROR;
        } else if (kh_cluster_errors(c)) {
            rc = CLI_EXIT_ERROR; /* answered, but from part of the input */
        }
    }
    kh_cluster_free(c);
    return rc;
}

/* "443", "53/UDP", "http/TCP" and not an existing path: the port. */
static int looks_like_port(const char *s)
{
    struct stat st;
    if (stat(s, &st) == 0 || strcmp(s, "-") == 0)
        return 0;
    const char *slash = strchr(s, '/');
    if (slash) {
        const char *p = slash + 1;
        return strcasecmp(p, "TCP") == 0 || strcasecmp(p, "UDP") == 0 ||
               strcasecmp(p, "SCTP") == 0;
    }
    return s[0] && strspn(s, "0123456789") == strlen(s);
}

static int run_reach(struct netpol_args *a)
{
    if (a->npos < 2) {
        fprintf(stderr, "kubeharden netpol can-reach: give SRC and DST (see --help)\n");
        return CLI_EXIT_ERROR;
    }
    size_t first = 2;
    if (!a->port && a->npos > 2 && looks_like_port(a->pos[2]))
        a->port = a->pos[first++];
    for (size_t i = first; i < a->npos; i++)
        if (cli_push(&a->paths, &a->npaths, a->pos[i]))
            return CLI_EXIT_ERROR;
    if (!a->npaths && !a->cluster.enabled) {
        fprintf(stderr, "kubeharden netpol can-reach: no input (give a PATH or - for stdin)\n");
        return CLI_EXIT_ERROR;
    }
    kh_cluster *c = NULL;
    kh_netpol *np = NULL;
    int rc = load(a, &c, &np);
    if (rc == CLI_EXIT_OK) {
        kh_error err = {0};
        bool yes = false;
        if (kh_netpol_can_reach(np, a->pos[0], a->pos[1], a->port, stdout, &yes, &err) != KH_OK) {
            fprintf(stderr, "kubeharden netpol can-reach: %s\n", err.message);
            rc = CLI_EXIT_ERROR;
        } else {
            rc = kh_cluster_errors(c) ? CLI_EXIT_ERROR : yes ? CLI_EXIT_OK : CLI_EXIT_FINDINGS;
        }
    }
    kh_cluster_free(c);
    return rc;
}

int cmd_netpol(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        if (argc >= 2)
            fputs("\nExit status:\n"
                  "  0  matrix written; can-reach: reachable\n"
                  "  1  can-reach: not reachable; check: findings at or above --fail-on\n"
                  "  2  usage error, or input that could not be read or parsed\n",
                  stdout);
        return argc < 2 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return cli_scan_area("netpol", argc - 1, argv + 1);
    bool matrix = strcmp(argv[1], "matrix") == 0;
    if (!matrix && strcmp(argv[1], "can-reach") != 0) {
        fprintf(stderr, "kubeharden netpol: unknown subcommand '%s' (use matrix, can-reach "
                        "or check)\n", argv[1]);
        return CLI_EXIT_ERROR;
    }
    struct netpol_args a = {.command = matrix ? "netpol matrix" : "netpol can-reach"};
    int rc = cli_parse(a.command, matrix ? matrix_options : reach_options,
                       matrix ? NMATRIX : NREACH, argc - 1, argv + 1, on_option, &a);
    if (rc == 0 && a.help) {
        usage(stdout);
        fputc('\n', stdout);
        cli_print_options(stdout, matrix ? matrix_options : reach_options,
                          matrix ? NMATRIX : NREACH);
        fputs(matrix ? "\nExit status:\n  0  matrix written\n"
                       "  2  usage error, or input that could not be read or parsed\n"
                     : "\nExit status:\n  0  reachable\n  1  not reachable\n"
                       "  2  usage error, or input that could not be read or parsed\n",
              stdout);
    } else if (rc == 0) {
        rc = matrix ? run_matrix(&a) : run_reach(&a);
    }
    free(a.pos);
    free(a.paths);
    cli_cluster_free(&a.cluster);
    return rc;
}
