/*
 * ha.h -- the high-availability set rules (ha.c, ha_workload.c,
 * ha_control.c) for the registry. They share one model per scan
 * (src/analysis/ha_model.h), built by the first of them that runs.
 */
#ifndef KH_RULES_HA_H
#define KH_RULES_HA_H

#include "analysis/ha_model.h"
#include "rules/rules.h"

/* The model of this scan's objects (kh_rule__shared), NULL when out of
 * memory. */
const kh_ha_model *kh_ha__model(kh_rule_ctx *ctx, const kh_objset *set);

void kh_ha__budget_blocks_eviction(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__budget_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__control_plane_zones(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__etcd_quorum(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__ingress_single_replica(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__no_anti_affinity(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__no_disruption_budget(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__no_readiness_probe(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__not_spread_across_zones(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__rolling_update_takes_all_down(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__service_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__single_apiserver(kh_rule_ctx *ctx, const kh_objset *set);
void kh_ha__single_replica(kh_rule_ctx *ctx, const kh_objset *set);

#endif
