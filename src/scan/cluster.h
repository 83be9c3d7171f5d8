/*
 * cluster.h -- what the analyses (src/analysis) read of a kh_cluster.
 */
#ifndef KH_SCAN_CLUSTER_H
#define KH_SCAN_CLUSTER_H

#include "core/arena.h"
#include "k8s/k8s.h"
#include "kubeharden.h"

/* The objects kept so far: whole clones, each with its input's label and
 * the line and column of its own nodes (none after kh_cluster__share_kept).
 * Never NULL. */
const kh_objset *kh_cluster__objects(const kh_cluster *c);

/* The objects come from an API server, each an input of its own: kept trees
 * share equal subtrees and strings, have no positions (line and column 0,
 * which the queries' output leaves out) and no metadata.name (read the
 * object's name from kh_object.name). Call before the first load.
 * @return 0 or KH_ENOMEM. */
int kh_cluster__share_kept(kh_cluster *c);

/* An arena that lives as long as the cluster, for a model built over it. */
kh_arena *kh_cluster__arena(kh_cluster *c);

#endif
