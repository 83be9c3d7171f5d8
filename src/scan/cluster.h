/*
 * cluster.h -- what the analyses (src/analysis) read of a kh_cluster.
 */
#ifndef KH_SCAN_CLUSTER_H
#define KH_SCAN_CLUSTER_H

#include "core/arena.h"
#include "k8s/k8s.h"
#include "kubeharden.h"

/* The objects kept so far: whole clones, each with its input's label and
 * the line and column of its own nodes. Never NULL. */
const kh_objset *kh_cluster__objects(const kh_cluster *c);

/* An arena that lives as long as the cluster, for a model built over it. */
kh_arena *kh_cluster__arena(kh_cluster *c);

#endif
