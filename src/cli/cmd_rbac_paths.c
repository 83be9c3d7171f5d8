/*
 * cmd_rbac_paths.c -- `kubeharden rbac paths` and `kubeharden rbac graph`:
 * privilege-escalation paths between RBAC subjects, and the graph behind
 * them (include/kubeharden/rbac_paths.h).
 *
 * Both load their paths into a kh_cluster keeping what the rbac rules of
 * `scan` read, so they see exactly the objects `scan --area rbac` judges.
 * --to takes a request as one argument ("get secrets -n siem") and is
 * parsed here into the attributes the library asks the authorizer about.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/rbac_paths.h"

enum { OPT_FROM, OPT_HELP, OPT_OUTPUT, OPT_TO, OPT_CLUSTER_BASE };

/* Sorted by long name. */
static const struct cli_option paths_options[] = {
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE),
    {"from", ' ', "SUBJECT", "only this subject: user:NAME, group:NAME or sa:NAMESPACE/NAME", OPT_FROM},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_NAMESPACE(OPT_CLUSTER_BASE),
    {"output", 'o', "FORMAT", "text (default) or json", OPT_OUTPUT},
    {"to", ' ', "REQUEST", "another target: 'VERB RESOURCE[.GROUP][/SUB] [-n NS] [--name NAME]'", OPT_TO},
};

static const struct cli_option graph_options[] = {
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE),
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_NAMESPACE(OPT_CLUSTER_BASE),
    {"output", 'o', "FORMAT", "dot (default) or json", OPT_OUTPUT},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct paths_args {
    const char *command;
    const char **pos;
    size_t npos;
    const char *from, *to, *output;
    bool help;
    struct cli_cluster cluster;
};

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct paths_args *a = ud;
    if (!o) {
        const char **bigger = realloc(a->pos, (a->npos + 1) * sizeof(char *));
        if (!bigger)
            return CLI_EXIT_ERROR;
        bigger[a->npos++] = value;
        a->pos = bigger;
        return 0;
    }
    switch (o->id) {
    case OPT_FROM: a->from = value; break;
    case OPT_HELP: a->help = true; break;
    case OPT_OUTPUT: a->output = value; break;
    case OPT_TO: a->to = value; break;
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

/* Read every path into a cluster that keeps what the rbac rules read. */
static int load(const struct paths_args *a, kh_cluster **c)
{
    kh_error err = {0};
    char msg[512];
    *c = NULL;
    if (cli_cluster_check(&a->cluster, a->command, a->npos))
        return CLI_EXIT_ERROR;
    if (a->npos == 0 && !a->cluster.enabled) {
        fprintf(stderr, "kubeharden %s: no input: give files, directories or '-' for stdin\n"
                        "Try 'kubeharden %s --help'.\n", a->command, a->command);
        return CLI_EXIT_ERROR;
    }
    if (kh_cluster_new_area(c, KH_AREA_RBAC, on_input_error, NULL, &err) != KH_OK)
        goto fail;
    for (size_t i = 0; i < a->npos; i++)
        if (kh_cluster_load_path(*c, a->pos[i], &err) != KH_OK)
            goto fail;
    if (a->cluster.enabled && cli_cluster_load(&a->cluster, a->command, *c, KH_AREA_RBAC)) {
        kh_cluster_free(*c);
        *c = NULL;
        return CLI_EXIT_ERROR;
    }
    return kh_cluster_errors(*c) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
fail:
    kh_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "kubeharden %s: %s\n", a->command, msg);
    kh_cluster_free(*c);
    *c = NULL;
    return CLI_EXIT_ERROR;
}

/* "VERB RESOURCE[.GROUP][/SUB] [-n NS] [--name NAME] [--api-group G]"
 * into @p r; the strings are cut out of @p buf. */
static int parse_to(const char *command, const char *text, char *buf, size_t size,
                    kh_rbac_attrs *r)
{
    char *words[16];
    size_t n = 0;
    if (strlen(text) >= size)
        goto bad;
    strcpy(buf, text);
    for (char *w = strtok(buf, " \t"); w && n < 16; w = strtok(NULL, " \t"))
        words[n++] = w;
    if (n < 2 || words[1][0] == '-')
        goto bad;
    *r = (kh_rbac_attrs){.verb = words[0], .resource_request = true, .namespace_ = "",
                         .api_group = "", .subresource = "", .name = ""};
    char *res = words[1], *slash = strchr(res, '/'), *dot;
    if (slash) {
        *slash = '\0';
        r->subresource = slash + 1;
    }
    if ((dot = strchr(res, '.'))) {
        *dot = '\0';
        r->api_group = dot + 1;
    }
    r->resource = res;
    for (size_t i = 2; i < n; i += 2) {
        if (i + 1 >= n)
            goto bad;
        if (!strcmp(words[i], "-n") || !strcmp(words[i], "--namespace"))
            r->namespace_ = words[i + 1];
        else if (!strcmp(words[i], "--name"))
            r->name = words[i + 1];
        else if (!strcmp(words[i], "--api-group"))
            r->api_group = words[i + 1];
        else
            goto bad;
    }
    return 0;
bad:
    fprintf(stderr,
            "kubeharden %s: bad --to '%s': give 'VERB RESOURCE[.GROUP][/SUBRESOURCE] "
            "[-n NAMESPACE] [--name NAME] [--api-group GROUP]'\n",
            command, text);
    return CLI_EXIT_ERROR;
}

static void paths_help(void)
{
    fputs("Usage: kubeharden rbac paths [--from SUBJECT] [--to REQUEST] [-o text|json] PATH...\n\n"
          "Privilege-escalation paths in the RBAC objects of PATH (files, directories,\n"
          "'-' for stdin, kubectl get -A -o yaml dumps): for every subject, the shortest\n"
          "chain of grants that makes it cluster-admin-equivalent (allowed every verb on\n"
          "every resource cluster-wide, or in system:masters), step by step with the\n"
          "binding, role and rule behind each. A step is: create pods or pod-creating\n"
          "workloads in a namespace (run as any of its service accounts), impersonate,\n"
          "create serviceaccounts/token, read a legacy token secret, exec or attach into\n"
          "a pod running as another account, bind or escalate roles, use nodes/proxy or\n"
          "patch nodes. Group membership is free: a service account is in\n"
          "system:serviceaccounts, system:serviceaccounts:NS and system:authenticated.\n"
          "Without --from, subjects that hold the power themselves and paths made only\n"
          "of Kubernetes' own bindings are left out. --to names another target, a\n"
          "request as 'kubeharden rbac who-can' takes it.\n\n",
          stdout);
    cli_print_options(stdout, paths_options, COUNT(paths_options));
    fputs("\nExamples:\n"
          "  kubeharden rbac paths cluster-dump.yaml\n"
          "  kubeharden rbac paths --from sa:ci/builder rbac/\n"
          "  kubeharden rbac paths --to 'get secrets -n siem' -o json cluster-dump.yaml\n"
          "\nExit status: 0 no path, 1 some path was printed, 2 usage error, unreadable\n"
          "or malformed input, or a malformed --from subject.\n",
          stdout);
}

static void graph_help(void)
{
    fputs("Usage: kubeharden rbac graph [-o dot|json] PATH...\n\n"
          "The escalation graph of the RBAC objects in PATH: subjects (users, groups,\n"
          "service accounts), fan-out nodes (any service account of a namespace, the\n"
          "accounts of its running pods or token secrets) and cluster-admin-equivalent,\n"
          "with an edge for every grant that lets one become another (labelled with the\n"
          "permission and binding), dashed edges for group membership and dotted ones\n"
          "for fan-outs. JSON nodes carry stepsToClusterAdmin when they have a path.\n\n",
          stdout);
    cli_print_options(stdout, graph_options, COUNT(graph_options));
    fputs("\nExamples:\n"
          "  kubeharden rbac graph cluster-dump.yaml | dot -Tsvg > rbac.svg\n"
          "  kubeharden rbac graph -o json rbac/\n",
          stdout);
    cli_print_exit_codes(stdout, 0);
}

int cmd_rbac_paths(int argc, char **argv)
{
    struct paths_args a = {.command = "rbac paths"};
    kh_cluster *c = NULL;
    kh_rbac_attrs to;
    char to_buf[1024];
    kh_rbac_paths_options opt = {.from = NULL};
    kh_error err = {0};
    size_t n = 0;
    int status = cli_parse(a.command, paths_options, COUNT(paths_options), argc, argv,
                           on_option, &a);
    if (status != 0 || a.help) {
        if (a.help && status == 0)
            paths_help();
        goto done;
    }
    if (a.output && strcmp(a.output, "json") && strcmp(a.output, "text")) {
        fprintf(stderr, "kubeharden %s: unknown output format '%s' (use text or json)\n",
                a.command, a.output);
        status = CLI_EXIT_ERROR;
        goto done;
    }
    opt.format = a.output && !strcmp(a.output, "json") ? KH_RBAC_PATHS_JSON : KH_RBAC_PATHS_TEXT;
    opt.from = a.from;
    if (a.to) {
        if ((status = parse_to(a.command, a.to, to_buf, sizeof(to_buf), &to)) != 0)
            goto done;
        opt.to = &to;
        opt.to_text = a.to;
    }
    if ((status = load(&a, &c)) != CLI_EXIT_OK && !c)
        goto done;
    if (kh_rbac_paths_write(c, &opt, stdout, &n, &err) != KH_OK) {
        char msg[512];
        kh_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "kubeharden %s: %s\n", a.command, msg);
        status = CLI_EXIT_ERROR;
    } else if (status == CLI_EXIT_OK) {
        status = n ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
    }
done:
    kh_cluster_free(c);
    free(a.pos);
    cli_cluster_free(&a.cluster);
    return status;
}

int cmd_rbac_graph(int argc, char **argv)
{
    struct paths_args a = {.command = "rbac graph"};
    kh_cluster *c = NULL;
    kh_rbac_paths_format format = KH_RBAC_PATHS_DOT;
    kh_error err = {0};
    int status = cli_parse(a.command, graph_options, COUNT(graph_options), argc, argv,
                           on_option, &a);
    if (status != 0 || a.help) {
        if (a.help && status == 0)
            graph_help();
        goto done;
    }
    if (a.output && !strcmp(a.output, "json")) {
        format = KH_RBAC_PATHS_JSON;
    } else if (a.output && strcmp(a.output, "dot")) {
        fprintf(stderr, "kubeharden %s: unknown output format '%s' (use dot or json)\n",
                a.command, a.output);
        status = CLI_EXIT_ERROR;
        goto done;
    }
    if ((status = load(&a, &c)) != CLI_EXIT_OK && !c)
        goto done;
    if (kh_rbac_graph_write(c, format, stdout, &err) != KH_OK) {
        char msg[512];
        kh_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "kubeharden %s: %s\n", a.command, msg);
        status = CLI_EXIT_ERROR;
    }
done:
    kh_cluster_free(c);
    free(a.pos);
    cli_cluster_free(&a.cluster);
    return status;
}
