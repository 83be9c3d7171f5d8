/*
 * ha_workload.c -- high-availability rules over workloads, their budgets
 * and their Services: replicas, PodDisruptionBudgets that select nothing
 * or can never allow an eviction, anti-affinity and topology spread over
 * nodes and zones, rollouts that may take every replica down, Service
 * backends without readiness probes and Services that select nothing.
 *
 * Every rule reads the shared model (analysis/ha_model.h); the arithmetic
 * is upstream's: PDBs as the disruption controller computes them
 * (getExpectedPodCount, percentages rounded up), rollouts as the
 * Deployment controller resolves them (ResolveFenceposts: maxSurge rounded
 * up, maxUnavailable down, both zero means one) and as the StatefulSet
 * controller does (maxUnavailable rounded down, at least one).
 */
#include <string.h>

#include "rules/ha.h"

static const char model_key = 0;

static void *build_model(kh_arena *arena, const kh_objset *set)
{
    return kh_ha__build(arena, set);
}

const kh_ha_model *kh_ha__model(kh_rule_ctx *ctx, const kh_objset *set)
{
    return kh_rule__shared(ctx, &model_key, build_model, set);
}

/* -------------------------------------------------------------- helpers */

/* A workload whose replica count the rules judge: a controller object of a
 * replicated kind (not a DaemonSet, not a ReplicaSet a Deployment owns). */
static bool judged(const kh_ha_workload *w)
{
    return w->obj && w->cls == KH_HA_WL_REPLICATED;
}

/* Where a finding about a workload's pods points: its template labels. */
static const kh_node *labels_at(const kh_object *o, const char **path, kh_rule_ctx *ctx)
{
    const char *meta_path = "metadata";
    const kh_node *meta = kh_object_pod_metadata(o, &meta_path);
    const kh_node *at = kh_rule__key(meta, "labels");
    *path = kh_arena_printf(ctx->arena, "%s%s", meta_path, at ? ".labels" : "");
    return at ? at : (meta ? meta : o->root);
}

static const char *plural(int64_t n)
{
    return n == 1 ? "" : "s";
}

/* "spec.replicas 3", "spec.replicas unset (1)", "minReplicas 2 of HPA 'x'" */
static const char *replicas_text(kh_rule_ctx *ctx, const kh_ha_workload *w)
{
    if (w->hpa)
        return kh_arena_printf(ctx->arena, "HorizontalPodAutoscaler '%s' minReplicas %lld",
                               w->hpa->name, (long long)w->hpa_min);
    if (!w->replicas_key)
        return "spec.replicas unset, so 1";
    return kh_arena_printf(ctx->arena, "spec.replicas %lld", (long long)w->replicas);
}

/* ------------------------------------------------------ ha.single-replica */

void kh_ha__single_replica(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nworkloads; i++) {
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *w = &wv;
        /* 0 replicas is a workload switched off on purpose: nothing runs
         * that could be highly available. */
        if (!judged(w) || w->effective != 1)
            continue;
        if (w->hpa) {
            const kh_node *spec = kh_node_get(w->hpa->root, "spec");
            const kh_node *at = kh_rule__key(spec, "minReplicas");
            kh_location rel = kh_rule__location(ctx, w->hpa, at ? at : kh_rule__key(w->hpa->root, "spec"),
                                  at ? "spec.minReplicas" : "spec",
                                  at ? "minReplicas 1" : "minReplicas unset, so 1");
            kh_rule__report_related(ctx, w->obj, w->replicas_key, "spec.replicas", &rel, 1,
                                    "may run a single replica (%s): when its pod or node "
                                    "goes down, so does the service",
                                    replicas_text(ctx, w));
            continue;
        }
        kh_rule__report(ctx, w->obj, w->replicas_key ? w->replicas_key
                                                     : kh_rule__key(w->obj->root, "spec"),
                        w->replicas_key ? "spec.replicas" : "spec",
                        "runs a single replica (%s): when its pod or node goes down, so "
                        "does the service",
                        replicas_text(ctx, w));
    }
}

/* ------------------------------------------------- ha.no-disruption-budget */

void kh_ha__no_disruption_budget(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nworkloads; i++) {
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *w = &wv;
        if (!judged(w) || w->effective < 2 || w->templ < 0 || m->templs[w->templ].nbudgets)
            continue;
        const char *path;
        const kh_node *at = labels_at(w->obj, &path, ctx);
        kh_rule__report(ctx, w->obj, at, path,
                        "%lld replicas (%s) and no PodDisruptionBudget selects its pods: a "
                        "node drain or cluster upgrade may evict every replica at once",
                        (long long)w->effective, replicas_text(ctx, w));
    }
}

/* ------------------------------------------------ ha.budget-blocks-eviction */

static const char *budget_field(const kh_ha_budget *b)
{
    return b->mode == KH_HA_BUDGET_MAX ? "maxUnavailable" : "minAvailable";
}

static const char *value_text(kh_rule_ctx *ctx, const kh_ha_intpct *v)
{
    if (v->kind == KH_HA_PERCENT)
        return kh_arena_printf(ctx->arena, "%lld%%", (long long)v->value);
    return kh_arena_printf(ctx->arena, "%lld", (long long)v->value);
}

/*
 * Why the budget can never allow an eviction while all @p pods replicas of
 * a scale of @p expected run and are ready, or NULL when it can. As
 * getExpectedPodCount + updatePdbStatus: maxUnavailable (read first) and a
 * percentage minAvailable scale with the controllers' replicas, rounded
 * up; an integer minAvailable compares with the pods; no field at all
 * leaves expectedCount 0, and disruptionsAllowed is 0 whenever
 * expectedCount is.
 */
static const char *never_allows(kh_rule_ctx *ctx, const kh_ha_budget *b, int64_t expected,
                                int64_t pods, bool noscale, bool unmanaged_only)
{
    const char *f = budget_field(b);
    if (b->mode == KH_HA_BUDGET_NONE)
        return "it sets neither minAvailable nor maxUnavailable: the disruption controller "
               "then expects 0 pods and keeps disruptionsAllowed at 0";
    if (b->value.kind == KH_HA_INVALID)
        return kh_arena_printf(ctx->arena,
                               "%s '%s' is neither an integer nor a percentage: the "
                               "disruption controller fails on it and keeps "
                               "disruptionsAllowed at 0",
                               f, kh_node_str(b->value.node) ? kh_node_str(b->value.node) : "");
    bool scaled = b->mode == KH_HA_BUDGET_MAX || b->value.kind == KH_HA_PERCENT;
    if (scaled && noscale)
        return kh_arena_printf(ctx->arena,
                               "with %s it needs the scale of its pods' controllers, and a "
                               "DaemonSet, Job or static pod has none: the disruption "
                               "controller fails and keeps disruptionsAllowed at 0",
                               b->value.kind == KH_HA_PERCENT ? "a percentage" : f);
    if (scaled && unmanaged_only)
        return kh_arena_printf(ctx->arena,
                               "its pods have no controller, so with %s %s the disruption "
                               "controller expects 0 pods and keeps disruptionsAllowed at 0 "
                               "(only an integer minAvailable counts such pods)",
                               f, value_text(ctx, &b->value));
    int64_t desired;
    const char *how;
    if (b->mode == KH_HA_BUDGET_MAX) {
        int64_t mu = kh_ha__scaled(&b->value, expected, true);
        desired = expected - mu < 0 ? 0 : expected - mu;
        how = b->value.kind == KH_HA_PERCENT
                  ? kh_arena_printf(ctx->arena, "maxUnavailable %s of %lld rounds up to %lld",
                                    value_text(ctx, &b->value), (long long)expected,
                                    (long long)mu)
                  : kh_arena_printf(ctx->arena, "maxUnavailable %lld",
                                    (long long)b->value.value);
    } else if (b->value.kind == KH_HA_PERCENT) {
        desired = kh_ha__scaled(&b->value, expected, true);
        how = kh_arena_printf(ctx->arena, "minAvailable %s of %lld rounds up to %lld",
                              value_text(ctx, &b->value), (long long)expected,
                              (long long)desired);
    } else {
        desired = b->value.value;
        how = kh_arena_printf(ctx->arena, "minAvailable %lld", (long long)desired);
    }
    int64_t count = b->mode == KH_HA_BUDGET_MIN && b->value.kind == KH_HA_INT ? pods : expected;
    if (count > 0 && pods - desired > 0)
        return NULL;
    if (count <= 0)
        return kh_arena_printf(ctx->arena,
                               "%s, but the disruption controller expects 0 pods, and with 0 "
                               "expected it keeps disruptionsAllowed at 0",
                               how);
    return kh_arena_printf(ctx->arena,
                           "%s, so %lld of %lld pod%s must stay healthy and none may be "
                           "evicted even when all are ready",
                           how, (long long)desired, (long long)pods, plural(pods));
}

void kh_ha__budget_blocks_eviction(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nbudgets; i++) {
        const kh_ha_budget *b = &m->budgets[i];
        if (!b->sel)
            continue;
        /* Templates stand for the pods they make: every replica running
         * and ready. Without them, the pods in the input. */
        int64_t expected = 0;
        bool noscale = false, counted = false;
        kh_ha_workload firstv;
        const kh_ha_workload *first = NULL;
        for (const kh_ha_link *l = b->templs; l; l = l->next) {
            const kh_ha_templ *t = &m->templs[l->idx];
            noscale |= t->noscale;
            if (t->workload < 0)
                continue;
            kh_ha_workload tw = kh_ha__workload(m, (size_t)t->workload);
            if (judged(&tw)) {
                expected += tw.effective;
                firstv = tw;
                first = &firstv;
                counted = true;
            }
        }
        const char *why;
        bool pods_counted = b->mode == KH_HA_BUDGET_MIN && b->value.kind == KH_HA_INT;
        if (!counted && noscale && pods_counted)
            noscale = false; /* an integer minAvailable counts pods: judge those, if any */
        if (counted || (noscale && b->ntempls))
            why = never_allows(ctx, b, expected, expected, noscale, false);
        else if (b->npods) {
            bool unmanaged_only = b->expected == 0 && !b->failsafe;
            why = never_allows(ctx, b, b->expected, (int64_t)b->npods, b->failsafe,
                               unmanaged_only);
        } else
            continue; /* selects nothing: ha.budget-selects-nothing */
        if (!why || (counted && expected == 0 && b->mode != KH_HA_BUDGET_NONE && !noscale))
            continue; /* scaled to zero: nothing to evict */
        const kh_node *spec = kh_node_get(b->obj->root, "spec");
        const kh_node *at = b->mode == KH_HA_BUDGET_NONE ? kh_rule__key(b->obj->root, "spec")
                                                         : kh_rule__key(spec, budget_field(b));
        const char *path = b->mode == KH_HA_BUDGET_NONE
                               ? "spec"
                               : kh_arena_printf(ctx->arena, "spec.%s", budget_field(b));
        if (first) {
            const char *p;
            const kh_node *wat = labels_at(first->obj, &p, ctx);
            kh_location rel = kh_rule__location(ctx, first->obj, wat, p,
                                  kh_arena_printf(ctx->arena, "%lld replica%s",
                                                  (long long)first->effective,
                                                  plural(first->effective)));
            kh_rule__report_related(ctx, b->obj, at, path, &rel, 1,
                                    "never allows an eviction: %s; node drains stall on its "
                                    "pods",
                                    why);
        } else
            kh_rule__report(ctx, b->obj, at, path,
                            "never allows an eviction: %s; node drains stall on its pods", why);
    }
}

/* ------------------------------------------------ ha.budget-selects-nothing */

void kh_ha__budget_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nbudgets; i++) {
        const kh_ha_budget *b = &m->budgets[i];
        if (b->sel && (b->ntempls || b->npods))
            continue;
        const kh_node *spec = kh_node_get(b->obj->root, "spec");
        const kh_node *at = kh_rule__key(spec, "selector");
        kh_rule__report(ctx, b->obj, at ? at : kh_rule__key(b->obj->root, "spec"),
                        at ? "spec.selector" : "spec",
                        "protects nothing: %s",
                        b->sel ? kh_arena_printf(ctx->arena,
                                                 "no pod or pod template in namespace '%s' "
                                                 "matches its selector",
                                                 b->obj->namespace_)
                               : b->why_nothing);
    }
}

/* ------------------------------------- ha.no-anti-affinity, zones variant */

static const char *const host_keys[] = {
    "kubernetes.io/hostname", "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region", NULL,
};
static const char *const zone_keys[] = {
    "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region", NULL,
};

static bool key_in(const char *key, const char *const *keys)
{
    for (; key && *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

/* Does the pod affinity term count the workload's own pods? A null
 * labelSelector matches nothing; the namespaces are the term's list, or
 * the pod's own namespace when both the list and namespaceSelector are
 * empty, or every namespace for namespaceSelector {}. */
static bool term_selects_own(kh_rule_ctx *ctx, const kh_node *term, const kh_node *labels,
                             const char *ns)
{
    const kh_selector *sel = NULL;
    if (kh_selector_compile(&sel, kh_node_get(term, "labelSelector"), ctx->arena, NULL) ||
        !kh_selector_matches(sel, labels))
        return false;
    const kh_node *nss = kh_node_get(term, "namespaces");
    for (size_t i = 0; kh_node_is_seq(nss) && i < nss->len; i++) {
        const char *s = kh_node_str(kh_node_at(nss, i));
        if (s && strcmp(s, ns) == 0)
            return true;
    }
    const kh_node *nsel = kh_node_get(term, "namespaceSelector");
    if (kh_node_is_map(nsel))
        return nsel->len == 0;
    return !kh_node_is_seq(nss) || nss->len == 0;
}

typedef enum spread { SPREAD_NONE = 0, SPREAD_WEAK, SPREAD_REQUIRED } spread;

/* How firmly the pod spec keeps replicas apart over @p keys. *why says
 * what the weak rule is. */
static spread spread_of(kh_rule_ctx *ctx, const kh_ha_workload *w, const kh_podspec *ps,
                        const kh_node *labels, const char *const *keys, const char **why)
{
    spread best = SPREAD_NONE;
    const kh_node *anti = kh_node_path(ps->spec, "affinity.podAntiAffinity");
    const kh_node *req = kh_node_get(anti, "requiredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; kh_node_is_seq(req) && i < req->len; i++) {
        const kh_node *t = kh_node_at(req, i);
        if (key_in(kh_node_str(kh_node_get(t, "topologyKey")), keys) &&
            term_selects_own(ctx, t, labels, w->namespace_))
            return SPREAD_REQUIRED;
    }
    const kh_node *pref = kh_node_get(anti, "preferredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; kh_node_is_seq(pref) && i < pref->len; i++) {
        const kh_node *t = kh_node_get(kh_node_at(pref, i), "podAffinityTerm");
        if (key_in(kh_node_str(kh_node_get(t, "topologyKey")), keys) &&
            term_selects_own(ctx, t, labels, w->namespace_) && best == SPREAD_NONE) {
            best = SPREAD_WEAK;
            *why = kh_arena_printf(ctx->arena,
                                   "its anti-affinity over '%s' is only preferred, so the "
                                   "scheduler may still place every replica together",
                                   kh_node_str(kh_node_get(t, "topologyKey")));
        }
    }
    const kh_node *tsc = kh_node_get(ps->spec, "topologySpreadConstraints");
    for (size_t i = 0; kh_node_is_seq(tsc) && i < tsc->len; i++) {
        const kh_node *c = kh_node_at(tsc, i);
        const char *key = kh_node_str(kh_node_get(c, "topologyKey"));
        const kh_selector *sel = NULL;
        if (!key_in(key, keys) ||
            kh_selector_compile(&sel, kh_node_get(c, "labelSelector"), ctx->arena, NULL) ||
            !kh_selector_matches(sel, labels))
            continue;
        int64_t skew = 1;
        kh_node_int(kh_node_get(c, "maxSkew"), &skew);
        const char *when = kh_node_str(kh_node_get(c, "whenUnsatisfiable"));
        bool hard = when && strcmp(when, "DoNotSchedule") == 0;
        /* With maxSkew >= replicas, every replica on one domain and none
         * on another is a skew the constraint allows. */
        if (hard && skew < w->effective)
            return SPREAD_REQUIRED;
        if (best == SPREAD_NONE) {
            best = SPREAD_WEAK;
            *why = hard ? kh_arena_printf(ctx->arena,
                                          "topologySpreadConstraints[%zu] over '%s' allows "
                                          "maxSkew %lld with %lld replicas, so every replica "
                                          "may still run together",
                                          i, key, (long long)skew, (long long)w->effective)
                        : kh_arena_printf(ctx->arena,
                                          "topologySpreadConstraints[%zu] over '%s' is "
                                          "whenUnsatisfiable: %s, a preference the scheduler "
                                          "may ignore",
                                          i, key, when ? when : "unset");
        }
    }
    return best;
}

static void spread_rule(kh_rule_ctx *ctx, const kh_objset *set, bool zones)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    if (!m || (zones && !kh_ha__multi_zone(m)))
        return;
    for (size_t i = 0; i < m->nworkloads; i++) {
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *w = &wv;
        kh_podspec ps;
        if (!judged(w) || w->effective < 2 || w->templ < 0 || !kh_object_podspec(w->obj, &ps))
            continue;
        const kh_node *labels = m->templs[w->templ].labels;
        const char *why = NULL;
        spread s = spread_of(ctx, w, &ps, labels, zones ? zone_keys : host_keys, &why);
        if (s == SPREAD_REQUIRED)
            continue;
        const kh_node *at = kh_rule__key(ps.spec, "topologySpreadConstraints");
        const char *field = "topologySpreadConstraints";
        if (!at && (at = kh_rule__key(ps.spec, "affinity")))
            field = "affinity";
        const char *path = at ? kh_arena_printf(ctx->arena, "%s.%s", ps.path, field) : ps.path;
        const char *where = zones ? kh_arena_printf(ctx->arena, "zones (the nodes span %zu)",
                                                    m->nzones)
                                  : "nodes";
        if (s == SPREAD_WEAK)
            kh_rule__report_severity(ctx, KH_SEVERITY_LOW, w->obj, at ? at : ps.spec, path,
                                     "%lld replicas are not kept apart across %s: %s",
                                     (long long)w->effective, where, why);
        else
            kh_rule__report(ctx, w->obj, at ? at : ps.spec, path,
                            "%lld replicas with no pod anti-affinity or topology spread "
                            "across %s: the scheduler may place every replica %s",
                            (long long)w->effective, where,
                            zones ? "in one zone" : "on one node");
    }
}

void kh_ha__no_anti_affinity(kh_rule_ctx *ctx, const kh_objset *set)
{
    spread_rule(ctx, set, false);
}

void kh_ha__not_spread_across_zones(kh_rule_ctx *ctx, const kh_objset *set)
{
    spread_rule(ctx, set, true);
}

/* ---------------------------------------- ha.rolling-update-takes-all-down */

static void rolling_deployment(kh_rule_ctx *ctx, const kh_ha_workload *w)
{
    const kh_node *strategy = kh_node_path(w->obj->root, "spec.strategy");
    const char *type = kh_node_str(kh_node_get(strategy, "type"));
    int64_t r = w->effective;
    if (type && strcmp(type, "Recreate") == 0) {
        kh_rule__report(ctx, w->obj, kh_node_get(strategy, "type"), "spec.strategy.type",
                        "strategy Recreate stops all %lld replicas before it starts new ones: "
                        "every rollout is an outage",
                        (long long)r);
        return;
    }
    if (type && strcmp(type, "RollingUpdate") != 0)
        return;
    /* API defaults: 25% and 25%. ResolveFenceposts: surge rounds up,
     * unavailable rounds down, and both zero means 1 unavailable. */
    const kh_node *ru = kh_node_get(strategy, "rollingUpdate");
    kh_ha_intpct mu = kh_ha__intpct(kh_node_get(ru, "maxUnavailable"));
    kh_ha_intpct ms = kh_ha__intpct(kh_node_get(ru, "maxSurge"));
    if (mu.kind == KH_HA_ABSENT)
        mu = (kh_ha_intpct){.kind = KH_HA_PERCENT, .value = 25};
    if (ms.kind == KH_HA_ABSENT)
        ms = (kh_ha_intpct){.kind = KH_HA_PERCENT, .value = 25};
    if (mu.kind == KH_HA_INVALID || ms.kind == KH_HA_INVALID)
        return;
    int64_t surge = kh_ha__scaled(&ms, r, true), unavailable = kh_ha__scaled(&mu, r, false);
    bool fencepost = surge == 0 && unavailable == 0;
    if (fencepost)
        unavailable = 1;
    if (unavailable < r)
        return;
    const kh_node *at = mu.node ? kh_rule__key(ru, "maxUnavailable") : NULL;
    const char *how = fencepost ? kh_arena_printf(ctx->arena,
                                                  "maxSurge and maxUnavailable both resolve "
                                                  "to 0 of %lld, so the controller takes 1",
                                                  (long long)r)
                      : mu.kind == KH_HA_PERCENT
                          ? kh_arena_printf(ctx->arena,
                                            "maxUnavailable %lld%% of %lld rounds down to %lld",
                                            (long long)mu.value, (long long)r,
                                            (long long)unavailable)
                          : kh_arena_printf(ctx->arena, "maxUnavailable %lld",
                                            (long long)unavailable);
    kh_rule__report(ctx, w->obj, at ? at : (strategy ? kh_rule__key(
                                                           kh_node_get(w->obj->root, "spec"),
                                                           "strategy")
                                                     : NULL),
                    at ? "spec.strategy.rollingUpdate.maxUnavailable" : "spec.strategy",
                    "a rollout may take all %lld replicas down at once: %s", (long long)r,
                    how);
}

static void rolling_statefulset(kh_rule_ctx *ctx, const kh_ha_workload *w)
{
    const kh_node *strategy = kh_node_path(w->obj->root, "spec.updateStrategy");
    const char *type = kh_node_str(kh_node_get(strategy, "type"));
    if (type && strcmp(type, "RollingUpdate") != 0)
        return; /* OnDelete: pods are replaced only when someone deletes them */
    const kh_node *ru = kh_node_get(strategy, "rollingUpdate");
    kh_ha_intpct mu = kh_ha__intpct(kh_node_get(ru, "maxUnavailable"));
    if (mu.kind == KH_HA_ABSENT || mu.kind == KH_HA_INVALID)
        return; /* default 1: one pod at a time */
    /* getStatefulSetMaxUnavailable: rounded down, at least 1. */
    int64_t r = w->effective, unavailable = kh_ha__scaled(&mu, r, false);
    if (unavailable < 1)
        unavailable = 1;
    if (unavailable < r)
        return;
    kh_rule__report(ctx, w->obj, kh_rule__key(ru, "maxUnavailable"),
                    "spec.updateStrategy.rollingUpdate.maxUnavailable",
                    "a rolling update may take all %lld replicas down at once: maxUnavailable "
                    "%s resolves to %lld (with the MaxUnavailableStatefulSet feature on)",
                    (long long)r, value_text(ctx, &mu), (long long)unavailable);
}

void kh_ha__rolling_update_takes_all_down(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nworkloads; i++) {
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *w = &wv;
        if (!judged(w) || w->effective < 2)
            continue;
        if (strcmp(w->kind, "Deployment") == 0)
            rolling_deployment(ctx, w);
        else if (strcmp(w->kind, "StatefulSet") == 0)
            rolling_statefulset(ctx, w);
    }
}

/* ------------------------------------------------- ha.no-readiness-probe */

void kh_ha__no_readiness_probe(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nworkloads; i++) {
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *w = &wv;
        kh_podspec ps;
        if (!w->obj || w->templ < 0 || !m->templs[w->templ].nservices ||
            (w->cls == KH_HA_WL_REPLICATED && w->effective < 2) ||
            !kh_object_podspec(w->obj, &ps))
            continue;
        /* The Service it backs (the first in input order is the last linked). */
        const kh_ha_link *l = m->templs[w->templ].services;
        while (l->next)
            l = l->next;
        const kh_object *svc = m->services[l->idx].obj;
        kh_container_iter it;
        kh_container c;
        kh_container_iter_init(&it, &ps);
        while (kh_container_next(&it, &c)) {
            if (c.kind != KH_CONTAINER_REGULAR || kh_node_get(c.node, "readinessProbe"))
                continue;
            kh_location rel = kh_rule__location(ctx, svc, kh_rule__key(svc->root, "spec"), "spec",
                                  "sends traffic to these pods");
            kh_rule__report_related(
                ctx, w->obj, c.node, kh_rule__container_path(ctx, &ps, &c, "readinessProbe"),
                &rel, 1,
                "container '%s' has no readinessProbe: Service '%s' sends traffic to each "
                "of %s as soon as its containers start, and while it cannot serve",
                c.name, svc->name,
                w->cls == KH_HA_WL_DAEMON
                    ? "its pods"
                    : kh_arena_printf(ctx->arena, "its %lld replicas", (long long)w->effective));
        }
    }
}

/* ------------------------------------------------ ha.service-selects-nothing */

void kh_ha__service_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    for (size_t i = 0; m && i < m->nservices; i++) {
        const kh_ha_service *s = &m->services[i];
        if (!s->sel || s->ntempls || s->npods)
            continue;
        kh_rule__report(ctx, s->obj, kh_rule__key(kh_node_get(s->obj->root, "spec"), "selector"),
                        "spec.selector",
                        "no pod or pod template in namespace '%s' matches its selector: the "
                        "Service has no endpoints",
                        s->obj->namespace_);
    }
}
