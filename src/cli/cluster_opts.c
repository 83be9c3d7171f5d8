/*
 * cluster_opts.c -- `--cluster` and its companions for any command.
 *
 * A command adds the CLI_CLUSTER_OPTION_* rows to its option table, hands
 * those options to cli_cluster_option, and calls cli_cluster_connect and
 * cli_cluster_scan instead of reading paths. Everything about the cluster itself lives in the
 * library (kubeharden/client.h); this file only parses and prints.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/client.h"

int cli_cluster_option(struct cli_cluster *c, const char *command, int which,
                       const char *value)
{
    switch (which) {
    case CLI_CLUSTER_ON: c->enabled = 1; break;
    case CLI_CLUSTER_APPLY: c->apply = 1; break;
    case CLI_CLUSTER_CONTEXT: c->context = value; break;
    case CLI_CLUSTER_KUBECONFIG: c->kubeconfig = value; break;
    case CLI_CLUSTER_NAMESPACE: c->namespace_ = value; break;
    case CLI_CLUSTER_KINDS: {
        free(c->kinds_buf);
        free(c->kinds);
        c->kinds = NULL;
        c->kinds_buf = strdup(value);
        size_t n = 1;
        for (const char *p = value; *p; p++)
            n += *p == ',';
        c->kinds = calloc(n + 1, sizeof(char *));
        if (!c->kinds_buf || !c->kinds)
            return CLI_EXIT_ERROR;
        size_t k = 0;
        for (char *save = NULL, *t = strtok_r(c->kinds_buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            if (*t)
                c->kinds[k++] = t;
        if (k == 0) {
            fprintf(stderr, "kubeharden %s: --kinds needs at least one kind, not '%s'\n",
                    command, value);
            return CLI_EXIT_ERROR;
        }
        break;
    }
    }
    return 0;
}

int cli_cluster_check(const struct cli_cluster *c, const char *command, size_t npaths)
{
    if (!c->enabled && (c->kubeconfig || c->context || c->namespace_ || c->kinds || c->apply)) {
        fprintf(stderr, "kubeharden %s: --kubeconfig, --context, -n, --kinds and --apply need "
                        "--cluster\n", command);
        return CLI_EXIT_ERROR;
    }
    if (c->enabled && npaths) {
        fprintf(stderr, "kubeharden %s: --cluster reads the cluster, not files: drop the "
                        "paths or --cluster\n", command);
        return CLI_EXIT_ERROR;
    }
    return 0;
}

/* --apply: every finding goes to the command's report and to a
 * PolicyReport writer in memory. */
struct tee {
    kh_finding_cb cb;
    void *ud;
    kh_report *reports;
};

static int tee_finding(const kh_finding *f, void *ud)
{
    struct tee *t = ud;
    int rc = t->cb(f, t->ud);
    int rc2 = kh_report_add(t->reports, f);
    return rc ? rc : rc2;
}

/* Write the PolicyReports of the scan and apply them. */
static int apply_reports(kh_client *client, kh_report *reports, FILE *mem, char **buf,
                         size_t *len, const kh_scan_stats *st, kh_error *err)
{
    int rc = kh_report_end(reports, st, err);
    if (fclose(mem) != 0 && rc == KH_OK)
        rc = kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the PolicyReports");
    size_t applied = 0;
    if (rc == KH_OK)
        rc = kh_client_apply(client, *buf, *len, &applied, err);
    if (rc == KH_OK)
        fprintf(stderr, "kubeharden: applied %zu PolicyReport%s to %s\n", applied,
                applied == 1 ? "" : "s", kh_client_server(client));
    return rc;
}

/* Print a failure, naming the server once there is a client; free the
 * client; the command's exit status. */
static int finish(const char *command, kh_client *client, int rc, kh_error *err)
{
    if (rc != KH_OK) {
        char buf[512];
        kh_error_format(err, buf, sizeof(buf));
        if (client)
            fprintf(stderr, "kubeharden %s: %s (server %s)\n", command, buf,
                    kh_client_server(client));
        else
            fprintf(stderr, "kubeharden %s: %s\n", command, buf);
    }
    kh_client_free(client);
    return rc == KH_OK ? 0 : CLI_EXIT_ERROR;
}

/* One malloc arena for the process. A cluster is read on three threads
 * (pages fetched ahead, parsed, judged) whose allocations are mostly arena
 * blocks, so they hardly contend; but with an arena each, memory one
 * thread frees stays in its arena while another grows its own: the
 * served bench's peak swung from 54 to 60 MiB between runs, and stays at
 * 55-56 MiB with one. Called before the client starts its threads. */
static void one_malloc_arena(void)
{
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, 1);
#endif
}

int cli_cluster_connect(const struct cli_cluster *c, const char *command, int threads,
                        kh_client **out)
{
    one_malloc_arena();
    kh_client_options o = {
        .kubeconfig = c->kubeconfig,
        .context = c->context,
        .namespace_ = c->namespace_,
        .kinds = c->kinds,
        .threads = threads,
    };
    kh_error err = {0};
    *out = NULL;
    int rc = kh_client_new(out, &o, &err);
    return rc == KH_OK ? 0 : finish(command, NULL, rc, &err);
}

int cli_cluster_scan(const struct cli_cluster *c, kh_client *client, const char *command,
                     const kh_config *cfg, kh_finding_cb cb, void *ud, kh_scan_stats *st)
{
    kh_error err = {0};
    char *out = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    struct tee t = {cb, ud, NULL};
    int rc = KH_OK;
    if (c->apply) {
        mem = open_memstream(&out, &len);
        rc = mem ? kh_report_new(&t.reports, KH_FORMAT_POLICYREPORT, mem, NULL, &err)
                 : kh_error_set(&err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (rc == KH_OK)
        rc = c->apply ? kh_client_scan(client, cfg, tee_finding, &t, st, &err)
                      : kh_client_scan(client, cfg, cb, ud, st, &err);
    if (rc == KH_OK && c->apply) {
        rc = apply_reports(client, t.reports, mem, &out, &len, st, &err);
        mem = NULL;
    }
    if (mem)
        fclose(mem);
    kh_report_free(t.reports);
    free(out);
    return finish(command, client, rc, &err);
}

int cli_cluster_load(const struct cli_cluster *c, const char *command, kh_cluster *cl,
                     kh_area area)
{
    kh_client_options o = {
        .kubeconfig = c->kubeconfig,
        .context = c->context,
        .namespace_ = c->namespace_,
        .kinds = c->kinds,
    };
    kh_client *client = NULL;
    kh_error err = {0};
    one_malloc_arena();
    int rc = kh_client_new(&client, &o, &err);
    if (rc == KH_OK)
        rc = kh_client_load(client, cl, area, &err);
    return finish(command, client, rc, &err);
}

void cli_cluster_free(struct cli_cluster *c)
{
    free(c->kinds_buf);
    free(c->kinds);
    c->kinds_buf = NULL;
    c->kinds = NULL;
}
