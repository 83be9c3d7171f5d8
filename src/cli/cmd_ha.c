/*
 * cmd_ha.c -- `kubeharden ha`: single points of failure and what losing
 * nodes or zones does to a cluster described by files or a dump.
 *
 * `simulate --lose node=NAME|zone=NAME[,...]` reports the ready replicas
 * left per workload, budgets violated, Services without endpoints, etcd
 * quorum and the API server; `simulate --worst` ranks every single node
 * and zone by damage; `check` is `scan --area ha`. Objects are loaded with
 * kh_cluster_new_area, so the command reads what the ha rules read.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/ha.h"

enum { OPT_HELP, OPT_LOSE, OPT_OUTPUT, OPT_TOP, OPT_WORST, OPT_CLUSTER_BASE };

/* Sorted by long name. */
static const struct cli_option options[] = {
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE),
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE),
    {"lose", 'l', "LOSS", "node=NAME or zone=NAME, several joined by commas; repeatable", OPT_LOSE},
    CLI_CLUSTER_OPTION_NAMESPACE(OPT_CLUSTER_BASE),
    {"output", 'o', "FORMAT", "text (default) or json", OPT_OUTPUT},
    {"top", ' ', "N", "with --worst: show the N most damaging losses (default: all)", OPT_TOP},
    {"worst", ' ', NULL, "rank the loss of every single node and zone by damage", OPT_WORST},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct ha_args {
    const char **lose, **paths;
    size_t nlose, npaths;
    kh_format format;
    size_t top;
    int help, worst;
    struct cli_cluster cluster;
};

static void usage(FILE *out)
{
    fputs("Usage: kubeharden ha simulate --lose node=NAME|zone=NAME[,...] [-o text|json] PATH...\n"
          "       kubeharden ha simulate --worst [--top N] [-o text|json] PATH...\n"
          "       kubeharden ha check [scan options] PATH...\n\n"
          "Single points of failure, from Deployments, StatefulSets, ReplicaSets,\n"
          "DaemonSets, PodDisruptionBudgets, HorizontalPodAutoscalers, Services, Pods,\n"
          "Nodes and control-plane pods in files, directories (recursively), a cluster\n"
          "dump or stdin ('-').\n\n"
          "  simulate  what losing nodes or zones does: per workload the ready replicas\n"
          "            left and whether it is down, the PodDisruptionBudgets violated, the\n"
          "            Services left without endpoints, etcd quorum and the API server.\n"
          "            Pods count on the node their spec.nodeName names; a zone is a\n"
          "            Node's topology.kubernetes.io/zone label. --worst ranks every\n"
          "            single node and every single zone by the damage its loss does.\n"
          "  check     the ha findings: the same as 'kubeharden scan --area ha'\n\n",
          out);
    cli_print_options(out, options, NOPTIONS);
    fputs("\nExamples:\n"
          "  kubectl get nodes,pods,deploy,rs,sts,ds,pdb,hpa,svc -A -o yaml > dump.yaml\n"
          "  kubeharden ha simulate --lose zone=eu-west-1a dump.yaml\n"
          "  kubeharden ha simulate --lose node=worker-1,node=worker-2 -o json dump.yaml\n"
          "  kubeharden ha simulate --worst --top 10 dump.yaml\n"
          "  kubeharden ha check manifests/\n"
          "See docs/ha.md for what is counted and how.\n",
          out);
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct ha_args *a = ud;
    if (!o)
        return cli_push(&a->paths, &a->npaths, value);
    switch (o->id) {
    case OPT_HELP: a->help = 1; break;
    case OPT_LOSE: return cli_push(&a->lose, &a->nlose, value);
    case OPT_OUTPUT:
        if (strcmp(value, "json") == 0)
            a->format = KH_FORMAT_JSON;
        else if (strcmp(value, "text") == 0)
            a->format = KH_FORMAT_TEXT;
        else {
            fprintf(stderr, "kubeharden ha simulate: unknown output format '%s' (use text or "
                            "json)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_TOP: {
        char *end;
        unsigned long long n = strtoull(value, &end, 10);
        if (!*value || *end || value[0] == '-') {
            fprintf(stderr, "kubeharden ha simulate: --top wants a count, not '%s'\n", value);
            return CLI_EXIT_ERROR;
        }
        a->top = (size_t)n;
        break;
    }
    case OPT_WORST: a->worst = 1; break;
    default: return cli_cluster_option(&a->cluster, "ha simulate", o->id - OPT_CLUSTER_BASE, value);
    }
    return 0;
}

/* Input errors: reported as a scan reports them, and the run goes on. */
static int on_error(const kh_finding *f, void *ud)
{
    (void)ud;
    fprintf(stderr, "%s:%u:%u: error: %s\n", f->file ? f->file : "<input>", f->line, f->col,
            f->message);
    return 0;
}

static int run_simulate(int argc, char **argv)
{
    struct ha_args a = {.format = KH_FORMAT_TEXT};
    kh_cluster *c = NULL;
    kh_error err = {0};
    int rc = cli_parse("ha simulate", options, NOPTIONS, argc, argv, on_option, &a);
    if (rc)
        goto done;
    if (a.help) {
        usage(stdout);
        fputs("\nExit status: 0 no outage, 1 the loss leaves a workload down, a Service\n"
              "without endpoints, etcd without quorum or no API server (with --worst: some\n"
              "single loss does), 2 usage error or unreadable input.\n",
              stdout);
        goto done;
    }
    if ((rc = cli_cluster_check(&a.cluster, "ha simulate", a.npaths)))
        goto done;
    if ((!a.npaths && !a.cluster.enabled) || (!a.worst && !a.nlose) || (a.worst && a.nlose)) {
        fputs(!a.npaths && !a.cluster.enabled ? "kubeharden ha simulate: no input (name files, directories or -)\n"
                        : "kubeharden ha simulate: give either --lose or --worst\n",
              stderr);
        rc = CLI_EXIT_ERROR;
        goto done;
    }
    if (kh_cluster_new_area(&c, KH_AREA_HA, on_error, NULL, &err) != 0) {
        fprintf(stderr, "kubeharden ha: %s\n", err.message);
        rc = CLI_EXIT_ERROR;
        goto done;
    }
    int input_failed = 0;
    for (size_t i = 0; i < a.npaths; i++)
        if (kh_cluster_load_path(c, a.paths[i], &err) != 0)
            input_failed = 1; /* already reported through on_error */
    if (a.cluster.enabled && cli_cluster_load(&a.cluster, "ha simulate", c, KH_AREA_HA)) {
        rc = CLI_EXIT_ERROR;
        goto done;
    }
    kh_ha *ha = NULL;
    if (kh_ha_load(&ha, c, &err) != 0) {
        fprintf(stderr, "kubeharden ha: %s\n", err.message);
        rc = CLI_EXIT_ERROR;
        goto done;
    }
    kh_ha_damage d;
    int fail = a.worst ? kh_ha_worst_write(ha, a.format, a.top, stdout, &d, &err)
                       : kh_ha_simulate_write(ha, a.lose, a.nlose, a.format, stdout, &d, &err);
    if (fail) {
        fprintf(stderr, "kubeharden ha simulate: %s\n", err.message);
        rc = CLI_EXIT_ERROR;
    } else if (input_failed || kh_cluster_errors(c))
        rc = CLI_EXIT_ERROR;
    else
        rc = kh_ha_damage_is_outage(&d) ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
done:
    kh_cluster_free(c);
    free(a.lose);
    free(a.paths);
    cli_cluster_free(&a.cluster);
    return rc;
}

int cmd_ha(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        if (argc >= 2)
            cli_print_exit_codes(stdout, 1);
        return argc < 2 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return cli_scan_area("ha", argc - 1, argv + 1);
    if (strcmp(argv[1], "simulate") == 0)
        return run_simulate(argc - 1, argv + 1);
    fprintf(stderr, "kubeharden ha: unknown subcommand '%s' (use simulate or check)\n", argv[1]);
    return CLI_EXIT_ERROR;
}
