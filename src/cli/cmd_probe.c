/*
 * cmd_probe.c -- `kubeharden probe HOST[:PORT]...`: what an attacker on the
 * network sees of a cluster's nodes.
 *
 * The library (kubeharden/probe.h) probes the well-known Kubernetes ports
 * of each host (or the port given with it), narrowed by --ports; each
 * result becomes a finding for the usual report writers, in the order of
 * the targets, addresses and ports. The text report ends with how many
 * ports were tried and found open. A bad target or option exits 2.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kubeharden/probe.h"

enum {
    OPT_CONCURRENCY, OPT_FAIL_ON, OPT_HELP, OPT_NO_COLOR, OPT_NODEPORTS, OPT_OUTPUT, OPT_PORTS,
    OPT_TIMEOUT
};

/* Sorted by long name. */
static const struct cli_option options[] = {
    {"concurrency", ' ', "N", "connections at once (default 32, at most 1024)", OPT_CONCURRENCY},
    {"fail-on", ' ', "SEVERITY", "exit 1 when a finding is at least this severe (default low; never: exit 0)", OPT_FAIL_ON},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    {"no-color", ' ', NULL, "never colour the text output", OPT_NO_COLOR},
    {"nodeports", ' ', NULL, "also probe the NodePort range 30000-32767 on a bare HOST", OPT_NODEPORTS},
    {"output", 'o', "FORMAT", "text (default), json, sarif or junit", OPT_OUTPUT},
    {"ports", 'p', "LIST", "probe only these ports on a bare HOST: 6443,10250,30000-30010", OPT_PORTS},
    {"timeout", ' ', "SECONDS", "connect timeout, and again for each exchange (default 2, at most 60)", OPT_TIMEOUT},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct probe_args {
    const char **targets;
    size_t ntargets;
    unsigned short *ports;
    size_t nports;
    int help, no_color, nodeports;
    unsigned timeout_ms, concurrency;
    kh_format format;
    kh_severity fail_on;
};

static void help(void)
{
    fputs("Usage: kubeharden probe [OPTIONS] HOST[:PORT]...\n\n"
          "Probe the well-known Kubernetes ports of each HOST (or only PORT) as a client\n"
          "without credentials would: API server 443, 6443, 8080; kubelet 10250, 10255;\n"
          "etcd 2379, 2380; controller-manager 10257; scheduler 10259; kube-proxy 10249,\n"
          "10256; dashboard 8443, 9090 (NodePorts 30000-32767 with --nodeports). For\n"
          "each open port: plain HTTP or TLS, the TLS versions accepted, the certificate\n"
          "(expiry, self-signed, SANs, issuer), and which read-only requests work\n"
          "anonymously (API /version, /api, /apis, /api/v1/namespaces; kubelet /pods,\n"
          "/runningpods/, the exec handler, /metrics, /debug/pprof/; etcd /version,\n"
          "/metrics and a key count through its v3 gateway). Each risk is a finding with\n"
          "the evidence. Checks: docs/probe.md.\n\n"
          "Read-only: only GET requests and etcd's read-only POST /v3/kv/range; nothing\n"
          "is written, executed or deleted. Bounded: timeouts, a concurrency limit, and\n"
          "only the addresses the targets name (a name is resolved once; redirects are\n"
          "not followed). Probe only hosts you are allowed to test.\n\n",
          stdout);
    cli_print_options(stdout, options, NOPTIONS);
    fputs("\nExamples:\n"
          "  kubeharden probe 10.0.0.10 10.0.0.11\n"
          "  kubeharden probe --ports 10250,10255 node-1.example -o json\n"
          "  kubeharden probe '[fd00::10]:6443' --fail-on high\n",
          stdout);
    cli_print_exit_codes(stdout, 1);
}

/* "6443,10250,30000-30010" */
static int parse_ports(struct probe_args *a, const char *value)
{
    const char *p = value;
    free(a->ports);
    a->ports = NULL;
    a->nports = 0;
    size_t cap = 0;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            return -1;
        if (*end == '-') {
            const char *q = end + 1;
            hi = strtol(q, &end, 10);
            if (end == q)
                return -1;
        }
        if (lo < 1 || hi > 65535 || lo > hi || (*end && *end != ','))
            return -1;
        for (long n = lo; n <= hi; n++) {
            int dup = 0;
            for (size_t i = 0; i < a->nports && !dup; i++)
                dup = a->ports[i] == n;
            if (dup)
                continue;
            if (a->nports == cap) {
                cap = cap ? cap * 2 : 16;
                unsigned short *grown = realloc(a->ports, cap * sizeof(*grown));
                if (!grown)
                    return -1;
                a->ports = grown;
            }
            a->ports[a->nports++] = (unsigned short)n;
        }
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return -1; /* a trailing comma */
    }
    return a->nports ? 0 : -1;
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct probe_args *a = ud;
    if (!o) {
        const char **grown = realloc(a->targets, (a->ntargets + 1) * sizeof(*grown));
        if (!grown)
            return CLI_EXIT_ERROR;
        a->targets = grown;
        a->targets[a->ntargets++] = value;
        return 0;
    }
    char *end;
    switch (o->id) {
    case OPT_CONCURRENCY: {
        long n = strtol(value, &end, 10);
        if (!*value || *end || n < 1 || n > 1024) {
            fprintf(stderr, "kubeharden probe: bad --concurrency '%s' (use 1-1024)\n", value);
            return CLI_EXIT_ERROR;
        }
        a->concurrency = (unsigned)n;
        break;
    }
    case OPT_FAIL_ON: return cli_parse_fail_on("probe", value, &a->fail_on);
    case OPT_HELP: a->help = 1; break;
    case OPT_NO_COLOR: a->no_color = 1; break;
    case OPT_NODEPORTS: a->nodeports = 1; break;
    case OPT_OUTPUT:
        if (kh_format_parse(&a->format, value) != KH_OK) {
            fprintf(stderr, "kubeharden probe: unknown output format '%s' "
                            "(use text, json, sarif or junit)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_PORTS:
        if (parse_ports(a, value)) {
            fprintf(stderr, "kubeharden probe: bad --ports '%s' "
                            "(use numbers and ranges 1-65535: 6443,10250,30000-30010)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_TIMEOUT: {
        double s = strtod(value, &end);
        if (!*value || *end || !(s >= 0.001 && s <= 60)) {
            fprintf(stderr, "kubeharden probe: bad --timeout '%s' (use seconds, 0.001-60)\n", value);
            return CLI_EXIT_ERROR;
        }
        a->timeout_ms = (unsigned)(s * 1000 + 0.5);
        break;
    }
    }
    return 0;
}

static int run(const struct probe_args *a)
{
    kh_probe *probe = NULL;
    kh_report *report = NULL;
    kh_error err = {0};
    char buf[512];
    kh_probe_options o = {.ports = a->ports, .nports = a->nports, .nodeports = a->nodeports,
                          .timeout_ms = a->timeout_ms, .concurrency = a->concurrency};
    int rc = kh_probe_run(&probe, a->targets, a->ntargets, &o, &err);
    if (rc) {
        kh_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "kubeharden probe: %s\n", buf);
        return CLI_EXIT_ERROR;
    }
    int status = CLI_EXIT_ERROR;
    kh_report_options ropts = {
        .color = a->format == KH_FORMAT_TEXT && !a->no_color && isatty(STDOUT_FILENO) &&
                 !getenv("NO_COLOR"),
    };
    if (kh_report_new(&report, a->format, stdout, &ropts, &err))
        goto fail;
    kh_scan_stats st = {0};
    st.objects = kh_probe_open(probe);
    const char *last = NULL;
    size_t n = kh_probe_count(probe), failing[5] = {0};
    for (size_t i = 0; i < n; i++) {
        char msg[2048];
        kh_finding f;
        kh_probe_result_finding(kh_probe_result_at(probe, i), &f, msg, sizeof(msg));
        kh_report_add(report, &f);
        st.findings++;
        st.by_severity[f.severity]++;
        failing[f.severity]++;
        if (!last || strcmp(last, f.file) != 0)
            st.files++;
        last = f.file;
    }
    if (kh_report_end(report, &st, &err))
        goto fail;
    if (a->format == KH_FORMAT_TEXT)
        printf("\n%zu ports tried, %zu open\n", kh_probe_tried(probe), kh_probe_open(probe));
    status = CLI_EXIT_OK;
    for (int s = a->fail_on; s <= KH_SEVERITY_CRITICAL; s++)
        if (failing[s])
            status = CLI_EXIT_FINDINGS;
    goto done;
fail:
    kh_error_format(&err, buf, sizeof(buf));
    fprintf(stderr, "kubeharden probe: %s\n", buf);
done:
    kh_report_free(report);
    kh_probe_free(probe);
    return status;
}

int cmd_probe(int argc, char **argv)
{
    struct probe_args a = {.format = KH_FORMAT_TEXT, .fail_on = KH_SEVERITY_LOW};
    int status = cli_parse("probe", options, NOPTIONS, argc, argv, on_option, &a);
    if (!status && a.help)
        help();
    else if (!status && !a.ntargets) {
        fputs("kubeharden probe: no target given (usage: kubeharden probe [OPTIONS] HOST[:PORT]...)\n",
              stderr);
        status = CLI_EXIT_ERROR;
    } else if (!status)
        status = run(&a);
    free(a.targets);
    free(a.ports);
    return status;
}
