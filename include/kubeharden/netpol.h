/*
 * kubeharden/netpol.h -- who can reach whom under NetworkPolicies, exactly
 * as Kubernetes defines them, from policies, Pods, workload templates and
 * Namespaces.
 *
 * Load objects with kh_cluster_new_area(KH_AREA_NETPOL) and
 * kh_cluster_load_*, then build the model with kh_netpol_load. The model
 * lives in the cluster's memory and goes with kh_cluster_free. Queries
 * write their answer to a stream; run them from one thread at a time.
 */
#ifndef KUBEHARDEN_NETPOL_H
#define KUBEHARDEN_NETPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kh_netpol kh_netpol;

/** The kinds the model reads (NULL-terminated), for kh_cluster_new. */
const char *const *kh_netpol_kinds(void);

/**
 * Build the model of the objects @p c holds (allocated in the cluster,
 * freed by kh_cluster_free). @return 0, or KH_ENOMEM.
 */
int kh_netpol_load(kh_netpol **out, kh_cluster *c, kh_error *err);

/** Formats of the connectivity matrix. */
typedef enum kh_netpol_format {
    KH_NETPOL_TEXT = 0,      /**< one line per allowed connection */
    KH_NETPOL_JSON,          /**< {"workloads", "connections", "summary"} */
    KH_NETPOL_CSV,           /**< from,to,protocol,port,end_port: one row per port range */
    KH_NETPOL_DOT            /**< a Graphviz digraph, one cluster per namespace */
} kh_netpol_format;

/** What the matrix held. */
typedef struct kh_netpol_stats {
    size_t workloads;        /**< Pods and workloads standing for their pods */
    size_t classes;          /**< groups of identical namespace, labels and ports */
    size_t policies;
    size_t external;         /**< address ranges outside the cluster told apart */
    size_t connections;      /**< workload pairs with some port allowed */
    size_t external_connections; /**< workload to or from an outside range */
} kh_netpol_stats;

/**
 * Write the workload-to-workload connectivity (and to and from the
 * address ranges outside the cluster that the policies tell apart) to
 * @p out; @p out may be NULL to compute only (benchmarks). @p stats may
 * be NULL. @return 0, KH_ENOMEM or KH_EIO.
 */
int kh_netpol_matrix(const kh_netpol *np, FILE *out, kh_netpol_format format,
                     kh_netpol_stats *stats, kh_error *err);

/**
 * Can @p src reach @p dst? Each is "ns/Kind/name", "ns/name" (any kind,
 * which must be unique) or an IP address outside the cluster; @p dst may
 * also be a Service, "ns/service/name" (or ns/svc/name), which stands for
 * its backends on each service port's targetPort (@p port then names the
 * service port: its number or name). @p port is
 * "443", "443/TCP", "53/UDP", "dns/UDP" (a port name of the destination)
 * or NULL for every port. Writes "yes"/"no" with the policies and rules
 * that decide each direction to @p out and sets *reachable.
 * @return 0, or KH_EINVALID (unknown or ambiguous workload, bad port) with
 * @p err set.
 */
int kh_netpol_can_reach(const kh_netpol *np, const char *src, const char *dst,
                        const char *port, FILE *out, bool *reachable, kh_error *err);

#ifdef __cplusplus
}
#endif

#endif
