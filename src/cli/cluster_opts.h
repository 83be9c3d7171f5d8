/*
 * cluster_opts.h -- the options that point a command at a live cluster
 * (--cluster, --kubeconfig, --context, -n, --kinds) and the scan they run.
 */
#ifndef KH_CLI_CLUSTER_OPTS_H
#define KH_CLI_CLUSTER_OPTS_H

#include <stddef.h>

#include "kubeharden.h"

struct cli_cluster {
    int enabled;                /* --cluster */
    int apply;                  /* --apply: server-side apply the PolicyReports */
    const char *kubeconfig, *context, *namespace_;
    char *kinds_buf;            /* --kinds, split in place */
    const char **kinds;         /* NULL-terminated, or NULL */
};

enum {
    CLI_CLUSTER_ON = 0, CLI_CLUSTER_CONTEXT, CLI_CLUSTER_KINDS, CLI_CLUSTER_KUBECONFIG,
    CLI_CLUSTER_NAMESPACE, CLI_CLUSTER_APPLY
};

/* The option rows, sorted by long name, for a command's table (ids are
 * @p base + CLI_CLUSTER_*). */
#define CLI_CLUSTER_OPTION_APPLY(base) \
    {"apply", ' ', NULL, "with --cluster: also apply the findings as PolicyReports (server-side apply)", (base) + CLI_CLUSTER_APPLY}
#define CLI_CLUSTER_OPTION_CLUSTER(base) \
    {"cluster", ' ', NULL, "read a live cluster through its API server (docs/cluster.md)", (base) + CLI_CLUSTER_ON}
#define CLI_CLUSTER_OPTION_CONTEXT(base) \
    {"context", ' ', "NAME", "with --cluster: the kubeconfig context (default: current-context)", (base) + CLI_CLUSTER_CONTEXT}
#define CLI_CLUSTER_OPTION_KINDS(base) \
    {"kinds", ' ', "K1,K2", "with --cluster: read only these kinds (never Secret contents)", (base) + CLI_CLUSTER_KINDS}
#define CLI_CLUSTER_OPTION_KUBECONFIG(base) \
    {"kubeconfig", ' ', "FILE", "with --cluster: this kubeconfig only (default: $KUBECONFIG, ~/.kube/config)", (base) + CLI_CLUSTER_KUBECONFIG}
#define CLI_CLUSTER_OPTION_NAMESPACE(base) \
    {"namespace", 'n', "NS", "with --cluster: read only this namespace", (base) + CLI_CLUSTER_NAMESPACE}

/* Record option @p which (a CLI_CLUSTER_* value). @return 0 or an exit code. */
int cli_cluster_option(struct cli_cluster *c, const char *command, int which,
                       const char *value);
/* After parsing: cluster options without --cluster, or --cluster with
 * paths, are usage errors (printed). @return 0 or CLI_EXIT_ERROR. */
int cli_cluster_check(const struct cli_cluster *c, const char *command, size_t npaths);
struct kh_client;
/* The client for the cluster the options name (kubeconfig or in-cluster),
 * before anything is read: its server names the report's locations.
 * @return 0, or CLI_EXIT_ERROR after printing why there is none. */
int cli_cluster_connect(const struct cli_cluster *c, const char *command, int threads,
                        struct kh_client **out);
/* Scan the cluster into @p cb; @p st receives the scan's counters. Frees
 * @p client. @return 0, or CLI_EXIT_ERROR after printing why the cluster
 * could not be read. */
int cli_cluster_scan(const struct cli_cluster *c, struct kh_client *client, const char *command,
                     const kh_config *cfg, kh_finding_cb cb, void *ud, kh_scan_stats *st);
/* Read what @p area's cluster-wide rules read (or --kinds) into @p cl, for
 * a query command. @return 0, or CLI_EXIT_ERROR after printing why. */
int cli_cluster_load(const struct cli_cluster *c, const char *command, kh_cluster *cl,
                     kh_area area);
void cli_cluster_free(struct cli_cluster *c);

#endif
