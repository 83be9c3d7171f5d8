/*
 * kubeharden/rbac_paths.h -- privilege-escalation paths between RBAC
 * subjects ("who can become whom"), and the graph behind them.
 *
 * Load objects with kh_cluster_new_area(KH_AREA_RBAC) and
 * kh_cluster_load_*, then write every subject's shortest path to
 * cluster-admin-equivalent power (or to another permission) with
 * kh_rbac_paths_write, or the whole graph with kh_rbac_graph_write.
 */
#ifndef KUBEHARDEN_RBAC_PATHS_H
#define KUBEHARDEN_RBAC_PATHS_H

#include <stdio.h>

#include "kubeharden.h"
#include "kubeharden/rbac.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kh_rbac_paths_format {
    KH_RBAC_PATHS_TEXT = 0,
    KH_RBAC_PATHS_JSON,
    KH_RBAC_PATHS_DOT               /**< kh_rbac_graph_write only */
} kh_rbac_paths_format;

typedef struct kh_rbac_paths_options {
    const char *from;               /**< one subject ("user:alice", "group:dev",
                                     *   "sa:ns/name"), or NULL for every subject */
    const kh_rbac_attrs *to;        /**< the target permission (user ignored), or NULL
                                     *   for cluster-admin-equivalent power */
    const char *to_text;            /**< how to name the target ("get secrets -n siem") */
    kh_rbac_paths_format format;
} kh_rbac_paths_options;

/**
 * Write the shortest path of every subject that has one (or of @p o->from
 * only) to the target, step by step with the binding, role and rule behind
 * each step. Without from, paths that only Kubernetes' own bindings make
 * are left out, as are subjects that hold the target themselves. The
 * model is built in the cluster's memory. @p npaths (may be NULL) gets
 * the number of paths written. A from subject no binding names is still
 * answered (through the groups the API server puts it in). @return 0,
 * KH_EINVALID (from is not user:NAME, group:NAME or sa:NS/NAME), KH_ENOMEM
 * or KH_EIO.
 */
int kh_rbac_paths_write(kh_cluster *c, const kh_rbac_paths_options *o, FILE *out,
                        size_t *npaths, kh_error *err);

/**
 * Write the escalation graph (nodes, and edges with the grant behind
 * each) as Graphviz DOT or JSON (@p format). @return 0, KH_ENOMEM or KH_EIO.
 */
int kh_rbac_graph_write(kh_cluster *c, kh_rbac_paths_format format, FILE *out,
                        kh_error *err);

#ifdef __cplusplus
}
#endif

#endif
