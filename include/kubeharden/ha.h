/*
 * kubeharden/ha.h -- high availability: what losing nodes or zones does to
 * a cluster described by a dump (pods with spec.nodeName and owner
 * references, nodes with zone labels, budgets, Services, control-plane
 * pods).
 *
 * Load objects with kh_cluster_new(kh_ha_kinds()) (or
 * kh_cluster_new_area(KH_AREA_HA)) and kh_cluster_load_*, then build the
 * model with kh_ha_load. The model lives in the cluster's memory and goes
 * with kh_cluster_free. A simulation marks the lost nodes, walks only the
 * pods bound to them (pods are indexed by node and by workload) and
 * undoes its counts afterwards, so each costs O(pods on the lost nodes);
 * run simulations from one thread at a time. The ha.* rules that judge
 * the same objects statically run in `kubeharden scan --area ha`.
 */
#ifndef KUBEHARDEN_HA_H
#define KUBEHARDEN_HA_H

#include <stddef.h>
#include <stdio.h>

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kh_ha kh_ha;

/** The kinds the model reads (NULL-terminated), for kh_cluster_new. */
const char *const *kh_ha_kinds(void);

/**
 * Build the model of the objects @p c holds, in the cluster's memory
 * (freed by kh_cluster_free; there is no kh_ha_free).
 * @return 0, or KH_ENOMEM.
 */
int kh_ha_load(kh_ha **out, kh_cluster *c, kh_error *err);

/** Counts of the model: nodes (from Node objects and pods' spec.nodeName),
 *  zones, workloads, pods. */
void kh_ha_counts(const kh_ha *ha, size_t *nodes, size_t *zones, size_t *workloads,
                  size_t *pods);

/**
 * What a loss does. Pods count when ready (their Ready condition True, or
 * no status at all in a hand-written manifest). A workload is down when
 * it had ready pods and has none left; DaemonSets and pods without a
 * replicated owner (Jobs, static pods) are not workloads here. A budget is
 * violated when its ready pods fall below what it requires (its
 * desiredHealthy, computed as the disruption controller does) and were
 * not below it before.
 */
typedef struct kh_ha_damage {
    size_t nodes_lost;           /**< nodes the loss takes */
    size_t pods_lost;            /**< ready pods on them */
    size_t workloads_hit;        /**< workloads that lose a ready replica */
    size_t workloads_down;       /**< ... and have none left */
    size_t replicas_lost;        /**< ready replicas of workloads lost */
    size_t budgets_violated;     /**< PodDisruptionBudgets pushed below their minimum */
    size_t services_down;        /**< Services left without a ready endpoint */
    int etcd_quorum;             /**< 1 kept, 0 lost, -1 no etcd member in the input */
    int apiserver;               /**< 1 an endpoint is left, 0 none, -1 none in the input */
} kh_ha_damage;

/**
 * Simulate losing what @p lose names: each string is "node=NAME" or
 * "zone=NAME", or several joined with commas ("node=a,zone=b"). A node is
 * a Node object or a name pods are bound to; a zone is a
 * topology.kubernetes.io/zone (or failure-domain.beta.kubernetes.io/zone)
 * label value of a Node. @p out may be NULL.
 * @return 0, or KH_EUSAGE naming an unknown node or zone or a malformed
 * item.
 */
int kh_ha_simulate(kh_ha *ha, const char *const *lose, size_t nlose, kh_ha_damage *out,
                   kh_error *err);

/**
 * The same, writing the outcome to @p dst: KH_FORMAT_TEXT lists what the
 * loss touches (workloads with the ready replicas left, budgets violated,
 * Services without endpoints, etcd quorum, the API server); KH_FORMAT_JSON
 * (docs/ha.md) lists every workload, budget and Service.
 * @return 0, KH_EUSAGE as kh_ha_simulate or for another format, KH_EIO.
 */
int kh_ha_simulate_write(kh_ha *ha, const char *const *lose, size_t nlose, kh_format fmt,
                         FILE *dst, kh_ha_damage *out, kh_error *err);

/**
 * Simulate the loss of every single node and every single zone and rank
 * them by damage: API server unreachable, then etcd quorum lost, then
 * workloads down, Services without endpoints, budgets violated, replicas
 * lost and pods lost; ties by zone before node, then name. Writes the
 * first @p top (0: all) to @p dst as text or JSON; @p worst (may be NULL)
 * receives the damage of the first.
 * @return 0, KH_EUSAGE for another format, KH_ENOMEM, KH_EIO.
 */
int kh_ha_worst_write(kh_ha *ha, kh_format fmt, size_t top, FILE *dst, kh_ha_damage *worst,
                      kh_error *err);

/** Whether a loss leaves an outage: a workload down, a Service without
 *  endpoints, etcd without quorum or no API server. */
int kh_ha_damage_is_outage(const kh_ha_damage *d);

#ifdef __cplusplus
}
#endif

#endif
