/*
 * cluster_opts.c -- `--cluster` and its companions for any command.
 *
 * A command adds the CLI_CLUSTER_OPTION_* rows to its option table, hands
 * those options to cli_cluster_option, and calls cli_cluster_scan instead
 * of reading paths. Everything about the cluster itself lives in the
 * library (kubeharden/client.h); this file only parses and prints.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/client.h"

int cli_cluster_option(struct cli_cluster *c, const char *command, int which,
                       const char *value)
{
    switch (which) {
    case CLI_CLUSTER_ON: c->enabled = 1; break;
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
    if (!c->enabled && (c->kubeconfig || c->context || c->namespace_ || c->kinds)) {
        fprintf(stderr, "kubeharden %s: --kubeconfig, --context, -n and --kinds need "
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

int cli_cluster_scan(const struct cli_cluster *c, const char *command, const kh_config *cfg,
                     int threads, kh_finding_cb cb, void *ud, kh_scan_stats *st)
{
    kh_client_options o = {
        .kubeconfig = c->kubeconfig,
        .context = c->context,
        .namespace_ = c->namespace_,
        .kinds = c->kinds,
        .threads = threads,
    };
    kh_client *client = NULL;
    kh_error err = {0};
    char buf[512];
    int rc = kh_client_new(&client, &o, &err);
    if (rc == KH_OK)
        rc = kh_client_scan(client, cfg, cb, ud, st, &err);
    if (rc != KH_OK) {
        kh_error_format(&err, buf, sizeof(buf));
        if (client)
            fprintf(stderr, "kubeharden %s: %s (server %s)\n", command, buf,
                    kh_client_server(client));
        else
            fprintf(stderr, "kubeharden %s: %s\n", command, buf);
    }
    kh_client_free(client);
    return rc == KH_OK ? 0 : CLI_EXIT_ERROR;
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
    char buf[512];
    int rc = kh_client_new(&client, &o, &err);
    if (rc == KH_OK)
        rc = kh_client_load(client, cl, area, &err);
    if (rc != KH_OK) {
        kh_error_format(&err, buf, sizeof(buf));
        if (client)
            fprintf(stderr, "kubeharden %s: %s (server %s)\n", command, buf,
                    kh_client_server(client));
        else
            fprintf(stderr, "kubeharden %s: %s\n", command, buf);
    }
    kh_client_free(client);
    return rc == KH_OK ? 0 : CLI_EXIT_ERROR;
}

void cli_cluster_free(struct cli_cluster *c)
{
    free(c->kinds_buf);
    free(c->kinds);
    c->kinds_buf = NULL;
    c->kinds = NULL;
}
