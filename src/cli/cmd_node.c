/*
 * cmd_node.c -- `kubeharden node`: configuration audit of a Kubernetes node.
 *
 * The library (kubeharden/node.h) finds the components on the node under
 * --root and evaluates the CIS checks and the node checks; FAIL, WARN and
 * INFO results become findings for the usual report writers, sorted by
 * file, line and check so the text report groups them by file. The text
 * report adds the components found and the PASS/FAIL/WARN counts per
 * section. Input errors (a malformed manifest or kubelet configuration)
 * are error findings and exit 2, as in scan.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kubeharden/node.h"

enum { OPT_FAIL_ON, OPT_HELP, OPT_NO_COLOR, OPT_OUTPUT, OPT_ROOT, OPT_SHOW_PASS };

/* Sorted by long name. */
static const struct cli_option options[] = {
    {"fail-on", ' ', "SEVERITY", "exit 1 when a finding is at least this severe (default low: any FAIL; never: exit 0)", OPT_FAIL_ON},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    {"no-color", ' ', NULL, "never colour the text output", OPT_NO_COLOR},
    {"output", 'o', "FORMAT", "text (default), json, sarif or junit", OPT_OUTPUT},
    {"root", ' ', "DIR", "audit the node file system under DIR (default /), processes from DIR/proc", OPT_ROOT},
    {"show-pass", ' ', NULL, "also report the checks that pass (as info findings that never fail the run)", OPT_SHOW_PASS},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct node_args {
    const char *root;
    int help, no_color, show_pass;
    kh_format format;
    kh_severity fail_on;
};

static void help(void)
{
    fputs("Usage: kubeharden node [OPTIONS]\n\n"
          "Audit the configuration of the Kubernetes node this runs on (or the copy of\n"
          "a node's file system under --root): the components running there\n"
          "(kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kubelet,\n"
          "kube-proxy, containerd, CRI-O) from /proc/*/cmdline and static pod\n"
          "manifests, the kubelet's configuration file with its flags on top, the files\n"
          "the CIS Kubernetes Benchmark names, listening sockets, the OS.\n\n"
          "Evaluates the CIS Kubernetes Benchmark v1.12.0 sections 1-4 (ids cis.1.2.5)\n"
          "and kubeharden's node checks (node.*). Each FAIL, WARN (a manual check to\n"
          "review, or a component that is not here) and INFO is a finding with its\n"
          "evidence (flag or key, value, file:line:col or /proc/<pid>/cmdline) and the\n"
          "fix; FAIL findings carry the check's severity, WARN and INFO are info.\n"
          "Reading other processes' /proc entries and root-owned files needs root\n"
          "(CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE suffice). Checks: docs/node.md.\n\n",
          stdout);
    cli_print_options(stdout, options, NOPTIONS);
    fputs("\nExamples:\n"
          "  sudo kubeharden node\n"
          "  kubeharden node --root /mnt/node-image -o sarif > node.sarif\n"
          "  kubeharden node --fail-on high -o json\n",
          stdout);
    cli_print_exit_codes(stdout, 1);
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct node_args *a = ud;
    if (!o) {
        fprintf(stderr, "kubeharden node: unexpected argument '%s'\n", value);
        return CLI_EXIT_ERROR;
    }
    switch (o->id) {
    case OPT_FAIL_ON: return cli_parse_fail_on("node", value, &a->fail_on);
    case OPT_HELP: a->help = 1; break;
    case OPT_NO_COLOR: a->no_color = 1; break;
    case OPT_OUTPUT:
        if (kh_format_parse(&a->format, value) != KH_OK) {
            fprintf(stderr, "kubeharden node: unknown output format '%s' "
                            "(use text, json, sarif or junit)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_ROOT: a->root = value; break;
    case OPT_SHOW_PASS: a->show_pass = 1; break;
    }
    return 0;
}

static const char *file_of(const kh_node_result *r)
{
    return *r->file ? r->file : "<node>";
}

static int by_place(const void *pa, const void *pb)
{
    const kh_node_result *a = *(const kh_node_result *const *)pa;
    const kh_node_result *b = *(const kh_node_result *const *)pb;
    int d = strcmp(file_of(a), file_of(b));
    if (d)
        return d;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a < b ? -1 : a > b; /* the audit's order: by check */
}

static void components(const kh_node_audit *audit)
{
    size_t n = kh_node_audit_components(audit);
    fputs("Components:", stdout);
    if (!n)
        fputs(" none found", stdout);
    for (size_t i = 0; i < n; i++) {
        const kh_node_component *k = kh_node_audit_component(audit, i);
        printf("%s %s", i ? "," : "", k->name);
        if (k->pid)
            printf(" (pid %d)", k->pid);
        else if (k->manifest)
            printf(" (not running; manifest %s)", k->manifest);
        else
            printf(" (not running; %s)", k->source);
    }
    fputs("\n\n", stdout);
}

/* PASS/FAIL/WARN/INFO per section, in the audit's order. */
static void sections(const kh_node_audit *audit)
{
    size_t n = kh_node_audit_count(audit);
    fputs("\nsection  pass  fail  warn  info\n", stdout);
    for (size_t i = 0; i < n;) {
        const char *sec = kh_node_audit_result(audit, i)->section;
        size_t count[4] = {0};
        for (; i < n && strcmp(kh_node_audit_result(audit, i)->section, sec) == 0; i++)
            count[kh_node_audit_result(audit, i)->status]++;
        printf("%-7s %5zu %5zu %5zu %5zu\n", sec, count[KH_NODE_PASS], count[KH_NODE_FAIL],
               count[KH_NODE_WARN], count[KH_NODE_INFO]);
    }
}

static int run(const struct node_args *a)
{
    kh_node_audit *audit = NULL;
    kh_report *report = NULL;
    const kh_node_result **list = NULL;
    kh_error err = {0};
    char buf[512];
    int status = CLI_EXIT_ERROR;
    if (kh_node_audit_run(&audit, a->root, &err)) {
        kh_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "kubeharden node: %s\n", buf);
        return CLI_EXIT_ERROR;
    }
    kh_report_options ropts = {
        .color = a->format == KH_FORMAT_TEXT && !a->no_color && isatty(STDOUT_FILENO) &&
                 !getenv("NO_COLOR"),
    };
    if (a->format == KH_FORMAT_TEXT)
        components(audit);
    if (kh_report_new(&report, a->format, stdout, &ropts, &err))
        goto fail;
    kh_scan_stats st = {0};
    st.objects = kh_node_audit_components(audit);
    for (size_t i = 0; i < kh_node_audit_errors(audit); i++) {
        const kh_error *e = kh_node_audit_error(audit, i);
        kh_finding f = {.rule_id = "error", .is_error = 1, .file = e->file ? e->file : "<node>",
                        .line = e->line, .col = e->col, .message = e->message};
        kh_report_add(report, &f);
        st.errors++;
    }
    size_t n = kh_node_audit_count(audit), nlist = 0, failing[5] = {0};
    list = calloc(n ? n : 1, sizeof(*list));
    if (!list)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const kh_node_result *r = kh_node_audit_result(audit, i);
        if (r->status != KH_NODE_PASS || a->show_pass)
            list[nlist++] = r;
    }
    qsort(list, nlist, sizeof(*list), by_place);
    const char *last = NULL;
    for (size_t i = 0; i < nlist; i++) {
        char msg[2048];
        kh_finding f;
        kh_node_result_finding(list[i], &f, msg, sizeof(msg));
        kh_report_add(report, &f);
        st.findings++;
        st.by_severity[f.severity]++;
        if (list[i]->status != KH_NODE_PASS)
            failing[f.severity]++;          /* a PASS never fails the run */
        if (!last || strcmp(last, f.file) != 0)
            st.files++;
        last = f.file;
    }
    if (kh_report_end(report, &st, &err))
        goto fail;
    if (a->format == KH_FORMAT_TEXT)
        sections(audit);
    status = CLI_EXIT_OK;
    if (st.errors)
        status = CLI_EXIT_ERROR;
    else
        for (int s = a->fail_on; s <= KH_SEVERITY_CRITICAL; s++)
            if (failing[s])
                status = CLI_EXIT_FINDINGS;
    goto done;
fail:
    kh_error_format(&err, buf, sizeof(buf));
    fprintf(stderr, "kubeharden node: %s\n", buf);
done:
    free(list);
    kh_report_free(report);
    kh_node_audit_free(audit);
    return status;
}

int cmd_node(int argc, char **argv)
{
    struct node_args a = {.root = "/", .format = KH_FORMAT_TEXT, .fail_on = KH_SEVERITY_LOW};
    int status = cli_parse("node", options, NOPTIONS, argc, argv, on_option, &a);
    if (status)
        return status;
    if (a.help) {
        help();
        return CLI_EXIT_OK;
    }
    return run(&a);
}
