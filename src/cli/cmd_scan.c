/*
 * cmd_scan.c -- `kubeharden scan`: scan manifests and report findings.
 *
 * Findings stream from the scanner straight into the report writer, so
 * memory stays flat however large the input. The configuration is
 * --config, else .kubeharden.yaml found walking up from the current
 * directory, else the defaults (--no-config forces the defaults); evidence
 * files (--vuln-report, --signatures) are added to it.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/client.h"

enum {
    OPT_AREA, OPT_CONFIG, OPT_FAIL_ON, OPT_FILENAME, OPT_HELP, OPT_KUBE_VERSION, OPT_NO_COLOR,
    OPT_NO_CONFIG, OPT_OUTPUT, OPT_PSS_LEVEL, OPT_PSS_VERSION, OPT_RULE, OPT_THREADS,
    OPT_SIGNATURES, OPT_VULN_REPORT, OPT_CLUSTER_BASE /* + CLI_CLUSTER_* */
};

/* Sorted by long name. */
static const struct cli_option options[] = {
    CLI_CLUSTER_OPTION_APPLY(OPT_CLUSTER_BASE),
    {"area", ' ', "AREA", "run only the rules of this area (pss, workload, image, rbac, netpol, ha, manifest); repeatable", OPT_AREA},
    CLI_CLUSTER_OPTION_CLUSTER(OPT_CLUSTER_BASE),
    {"config", ' ', "FILE", "configuration file (default: .kubeharden.yaml found upwards)", OPT_CONFIG},
    CLI_CLUSTER_OPTION_CONTEXT(OPT_CLUSTER_BASE),
    {"fail-on", ' ', "SEVERITY", "exit 1 when a finding is at least this severe (default info; never: exit 0)", OPT_FAIL_ON},
    {"filename", 'f', "PATH", "file, directory or - (stdin) to scan; repeatable", OPT_FILENAME},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    CLI_CLUSTER_OPTION_KINDS(OPT_CLUSTER_BASE),
    {"kube-version", ' ', "VERSION", "the API server's version: latest (default) or v1.N; --pss-version defaults to it", OPT_KUBE_VERSION},
    CLI_CLUSTER_OPTION_KUBECONFIG(OPT_CLUSTER_BASE),
    CLI_CLUSTER_OPTION_NAMESPACE(OPT_CLUSTER_BASE),
    {"no-color", ' ', NULL, "never colour the text output", OPT_NO_COLOR},
    {"no-config", ' ', NULL, "ignore any .kubeharden.yaml", OPT_NO_CONFIG},
    {"output", 'o', "FORMAT", "text (default), json, sarif, junit or policyreport", OPT_OUTPUT},
    {"pss-level", ' ', "LEVEL", "Pod Security level: baseline or restricted (default)", OPT_PSS_LEVEL},
    {"pss-version", ' ', "VERSION", "Pod Security version: latest (default) or v1.N", OPT_PSS_VERSION},
    {"rule", ' ', "ID", "run only this rule; repeatable", OPT_RULE},
    {"signatures", ' ', "FILE", "cosign verification result (cosign verify --output json); repeatable", OPT_SIGNATURES},
    {"threads", ' ', "N", "1: one thread; 2 (default with 2+ CPUs): parse and check in parallel", OPT_THREADS},
    {"vuln-report", ' ', "FILE", "Trivy or Grype JSON report of an image; repeatable", OPT_VULN_REPORT},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct scan_args {
    const char **paths;
    size_t npaths;
    const char **rules;
    size_t nrules;
    const char **signatures;
    size_t nsignatures;
    const char **reports;
    size_t nreports;
    kh_area areas[16];
    size_t nareas;
    const char *config;
    const char *pss_level, *pss_version, *kube_version;
    int no_config, no_color, help, threads;
    kh_format format;
    kh_severity fail_on;
    struct cli_cluster cluster;
};

static void help(void)
{
    fputs("Usage: kubeharden scan [OPTIONS] PATH...\n\n"
          "Scan Kubernetes manifests (YAML or JSON, multi-document, List kinds,\n"
          "kubectl get -o yaml dumps) in files, directories (recursively: *.yaml,\n"
          "*.yml, *.json) or stdin ('-'). A walk reads regular files only: a FIFO or\n"
          "device found in a directory is reported, not read; named as an argument\n"
          "it is read as a stream, like stdin. The configuration and evidence files\n"
          "(--config, --signatures, --vuln-report) are read whole, up to 64 MiB each.\n\n",
          stdout);
    cli_print_options(stdout, options, NOPTIONS);
    fputs("\nA finding is suppressed for one object with an annotation naming the\n"
          "rule and giving the reason, which reports show:\n"
          "  metadata.annotations: {ignore.kubeharden.io/<rule-id>: \"<reason>\"}\n\n"
          "Image evidence: image.vulnerable runs when a --vuln-report is given and\n"
          "reports vulnerabilities at or above images.vulnerabilities.failOn (default\n"
          "high); image.signature-missing and image.untrusted-registry run when the\n"
          "configuration lists images.trustedSigners or images.trustedRegistries.\n"
          "Formats: docs/supply-chain.md.\n\n"
          "Examples:\n"
          "  kubeharden scan ./manifests\n"
          "  kubectl get deploy -A -o yaml | kubeharden scan -o json -\n"
          "  kubeharden scan --fail-on high -o sarif deploy/ > kubeharden.sarif\n"
          "  trivy image -f json -o app.json registry.example/app:1.4.2\n"
          "  kubeharden scan --vuln-report app.json --fail-on high deploy/\n",
          stdout);
    cli_print_exit_codes(stdout, 1);
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct scan_args *a = ud;
    if (!o)
        return cli_push(&a->paths, &a->npaths, value);
    switch (o->id) {
    case OPT_AREA:
        if (kh_area_parse(&a->areas[a->nareas], value) != KH_OK) {
            fprintf(stderr, "kubeharden scan: unknown area '%s' (use pss, workload, image, "
                            "rbac, netpol, ha or manifest)\n", value);
            return CLI_EXIT_ERROR;
        }
        if (a->nareas < sizeof(a->areas) / sizeof(a->areas[0]) - 1)
            a->nareas++;
        break;
    case OPT_CONFIG: a->config = value; break;
    case OPT_FAIL_ON: return cli_parse_fail_on("scan", value, &a->fail_on);
    case OPT_FILENAME: return cli_push(&a->paths, &a->npaths, value);
    case OPT_HELP: a->help = 1; break;
    case OPT_KUBE_VERSION: a->kube_version = value; break;
    case OPT_NO_COLOR: a->no_color = 1; break;
    case OPT_NO_CONFIG: a->no_config = 1; break;
    case OPT_OUTPUT:
        if (kh_format_parse(&a->format, value) != KH_OK) {
            fprintf(stderr, "kubeharden scan: unknown output format '%s' "
                            "(use text, json, sarif, junit or policyreport)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_PSS_LEVEL: a->pss_level = value; break;
    case OPT_PSS_VERSION: a->pss_version = value; break;
    case OPT_RULE: return cli_push(&a->rules, &a->nrules, value);
    case OPT_THREADS:
        if (strcmp(value, "1") != 0 && strcmp(value, "2") != 0) {
            fprintf(stderr, "kubeharden scan: --threads must be 1 or 2, not '%s'\n", value);
            return CLI_EXIT_ERROR;
        }
        a->threads = value[0] - '0';
        break;
    case OPT_SIGNATURES: return cli_push(&a->signatures, &a->nsignatures, value);
    case OPT_VULN_REPORT: return cli_push(&a->reports, &a->nreports, value);
    default: return cli_cluster_option(&a->cluster, "scan", o->id - OPT_CLUSTER_BASE, value);
    }
    return 0;
}

static void print_error(const kh_error *err)
{
    char buf[512];
    kh_error_format(err, buf, sizeof(buf));
    fprintf(stderr, "kubeharden scan: %s\n", buf);
}

/* Build the configuration the options ask for; NULL after printing an error. */
static kh_config *load_config(const struct scan_args *a)
{
    kh_config *cfg = NULL;
    kh_error err = {0};
    char *found = NULL;
    int rc;
    if (a->config)
        rc = kh_config_load(&cfg, a->config, &err);
    else if (!a->no_config && kh_config_discover(&found, ".") == KH_OK)
        rc = kh_config_load(&cfg, found, &err);
    else
        rc = kh_config_new(&cfg, &err);
    if (rc == KH_OK)
        rc = kh_config_set_pss(cfg, a->pss_level, a->pss_version, &err);
    if (rc == KH_OK && a->kube_version)
        rc = kh_config_set_kube_version(cfg, a->kube_version, &err);
    for (size_t i = 0; rc == KH_OK && i < a->nreports; i++)
        rc = kh_config_add_vuln_report(cfg, a->reports[i], &err);
    for (size_t i = 0; rc == KH_OK && i < a->nsignatures; i++)
        rc = kh_config_add_signatures(cfg, a->signatures[i], &err);
    for (size_t i = 0; rc == KH_OK && i < a->nrules; i++)
        rc = kh_config_only_rule(cfg, a->rules[i], &err);
    for (size_t i = 0; rc == KH_OK && i < a->nareas; i++)
        rc = kh_config_only_area(cfg, a->areas[i], &err);
    if (rc) {
        print_error(&err);
        kh_config_free(cfg);
        cfg = NULL;
    }
    free(found);
    return cfg;
}

static int exit_status(const kh_scan_stats *st, kh_severity fail_on)
{
    if (st->errors)
        return CLI_EXIT_ERROR;
    for (int s = fail_on; s <= KH_SEVERITY_CRITICAL; s++)
        if (st->by_severity[s])
            return CLI_EXIT_FINDINGS;
    return CLI_EXIT_OK;
}

static int run(const struct scan_args *a, kh_config *cfg)
{
    kh_report *report = NULL;
    kh_scanner *scanner = NULL;
    kh_error err = {0};
    kh_report_options ropts = {
        .color = a->format == KH_FORMAT_TEXT && !a->no_color && isatty(STDOUT_FILENO) &&
                 !getenv("NO_COLOR"),
    };
    int status = CLI_EXIT_ERROR;
    kh_client *client = NULL;
    if (a->cluster.enabled) {
        if (cli_cluster_connect(&a->cluster, "scan", a->threads, &client))
            return CLI_EXIT_ERROR;
        ropts.api_server = kh_client_server(client);
    }
    if (kh_report_new(&report, a->format, stdout, &ropts, &err) ||
        kh_scanner_new(&scanner, cfg, kh_report_finding_cb, report, &err)) {
        print_error(&err);
        goto cleanup;
    }
    if (a->threads)
        kh_scanner_set_threads(scanner, a->threads);
    /* Unreadable paths are reported as error findings; go on with the rest. */
    for (size_t i = 0; i < a->npaths; i++)
        kh_scan_path(scanner, a->paths[i], NULL);
    kh_scanner_finish(scanner, NULL);
    kh_scan_stats st;
    kh_scanner_stats(scanner, &st);
    if (client) {
        kh_client *c = client;
        client = NULL; /* cli_cluster_scan frees it */
        if (cli_cluster_scan(&a->cluster, c, "scan", cfg, kh_report_finding_cb, report, &st))
            goto cleanup;
    }
    if (kh_report_end(report, &st, &err)) {
        print_error(&err);
        goto cleanup;
    }
    status = exit_status(&st, a->fail_on);
cleanup:
    kh_client_free(client);
    kh_scanner_free(scanner);
    kh_report_free(report);
    return status;
}

int cmd_scan(int argc, char **argv)
{
    struct scan_args a = {.format = KH_FORMAT_TEXT, .fail_on = KH_SEVERITY_INFO};
    int status = cli_parse("scan", options, NOPTIONS, argc, argv, on_option, &a);
    if (status)
        goto cleanup;
    if (a.help) {
        help();
        goto cleanup;
    }
    if ((status = cli_cluster_check(&a.cluster, "scan", a.npaths)))
        goto cleanup;
    if (a.npaths == 0 && !a.cluster.enabled) {
        fputs("kubeharden scan: no input: give files, directories or '-' for stdin\n"
              "Try 'kubeharden scan --help'.\n", stderr);
        status = CLI_EXIT_ERROR;
        goto cleanup;
    }
    kh_config *cfg = load_config(&a);
    if (!cfg) {
        status = CLI_EXIT_ERROR;
        goto cleanup;
    }
    status = run(&a, cfg);
    kh_config_free(cfg);
cleanup:
    free(a.paths);
    free(a.rules);
    free(a.signatures);
    free(a.reports);
    cli_cluster_free(&a.cluster);
    return status;
}
