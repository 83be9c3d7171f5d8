/*
 * ha.c -- high-availability rules over the object set.
 *
 * ha.pod-in-several-disruption-budgets: the eviction API refuses to evict a
 * pod that more than one PodDisruptionBudget selects ("This pod has more
 * than one PodDisruptionBudget, which the eviction subresource does not
 * support"), so `kubectl drain` stalls on it. Pods and workload templates
 * (whose template labels stand for their pods) are put in a second object
 * set keyed by those labels; each budget's selector is then one indexed
 * select in its namespace, so the cost follows the matches, not
 * budgets x workloads.
 */
#include <string.h>

#include "rules/rules.h"

/* Budgets and what they can select: pods, and the workloads whose
 * templates stand for pods (jobs run to completion and are not evicted
 * for a drain's sake, so they are left out). */
const char *const kh_ha__disruption_budget_kinds[] = {
    "CloneSet", "DaemonSet", "Deployment", "Pod", "PodDisruptionBudget",
    "ReplicaSet", "ReplicationController", "Rollout", "StatefulSet", NULL,
};
/* All it reads: budgets' selectors and pods' labels (the scanner keeps
 * nothing else of these objects, so containers cost no memory). */
const char *const kh_ha__disruption_budget_fields[] = {
    "spec.selector", KH_FIELD_POD_METADATA, NULL,
};

/* What a budget's selector matches, as the API server reads it: a null
 * selector matches nothing; an empty one everything in policy/v1 and
 * nothing in policy/v1beta1 (its conversion maps {} to match-none); an
 * invalid one is skipped, as the disruption lister skips it. */
static const kh_selector *budget_selector(kh_rule_ctx *ctx, const kh_object *pdb)
{
    const kh_node *sel = kh_node_get(kh_node_get(pdb->root, "spec"), "selector");
    const kh_selector *out = NULL;
    if (kh_selector_compile(&out, sel, ctx->arena, NULL) != KH_OK)
        return NULL;
    if (kh_selector_matches_everything(out) && strcmp(pdb->api_version, "policy/v1") != 0)
        return NULL;
    return kh_selector_matches_nothing(out) ? NULL : out;
}

typedef struct budget_link {
    const kh_object *pdb;
    struct budget_link *next;
} budget_link;

typedef struct overlap {
    kh_rule_ctx *ctx;
    const kh_object *pdb;
    const kh_object **owners;    /* stand-in's input field indexes this */
    budget_link **budgets;       /* per owner: the budgets that select it */
    size_t *counts;
} overlap;

static int on_selected(const kh_object *standin, void *ud)
{
    overlap *o = ud;
    size_t i = standin->input;
    budget_link *l = kh_arena_alloc(o->ctx->arena, sizeof(*l));
    if (!l)
        return 0;
    l->pdb = o->pdb;
    l->next = o->budgets[i];
    o->budgets[i] = l;
    o->counts[i]++;
    return 0;
}

static void report_overlap(kh_rule_ctx *ctx, const kh_object *owner, size_t n,
                           const budget_link *budgets)
{
    kh_location *rel = kh_arena_calloc(ctx->arena, n, sizeof(*rel));
    if (!rel)
        return;
    /* The list is newest first; the locations read in input order. */
    size_t k = n;
    for (const budget_link *l = budgets; l && k; l = l->next) {
        const kh_object *pdb = l->pdb;
        const kh_node *sel = kh_rule__key(kh_node_get(pdb->root, "spec"), "selector");
        rel[--k] = kh_rule__location(ctx, pdb, sel, "spec.selector", "selects these pods");
    }
    /* Point at the labels the budgets matched: a Pod's own, or the
     * template's (spec.template.metadata.labels). */
    const char *meta_path = "metadata";
    const kh_node *meta = kh_object_pod_metadata(owner, &meta_path);
    const kh_node *at = kh_rule__key(meta, "labels");
    const char *path = kh_arena_printf(ctx->arena, "%s.labels", meta_path);
    bool is_pod = strcmp(owner->kind, "Pod") == 0;
    kh_rule__report_related(ctx, owner, at ? at : owner->root, path ? path : "", rel, n,
                            "%s selected by %zu PodDisruptionBudgets: the eviction API "
                            "refuses to evict a pod with more than one, so node drains stall",
                            is_pod ? "this pod is" : "its pods are each", n);
}

/* The object's pods' labels: a Pod's own, a workload's template's. */
static const kh_node *pod_labels(const kh_object *obj)
{
    const char *path;
    const kh_node *labels = kh_node_get(kh_object_pod_metadata(obj, &path), "labels");
    return kh_node_is_map(labels) ? labels : NULL;
}

void kh_ha__pod_in_several_disruption_budgets(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_object *const *pdbs;
    size_t npdb = kh_objset_by_kind(set, "PodDisruptionBudget", &pdbs);
    if (npdb < 2)
        return;
    kh_objset *standins = NULL;
    if (kh_objset_new(&standins, NULL) != KH_OK)
        return;
    size_t n = kh_objset_count(set), nowners = 0;
    overlap o = {.ctx = ctx};
    o.owners = kh_arena_calloc(ctx->arena, n ? n : 1, sizeof(*o.owners));
    o.budgets = kh_arena_calloc(ctx->arena, n ? n : 1, sizeof(*o.budgets));
    o.counts = kh_arena_calloc(ctx->arena, n ? n : 1, sizeof(*o.counts));
    if (!o.owners || !o.budgets || !o.counts)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        const kh_object *obj = kh_objset_at(set, i);
        if (strcmp(obj->kind, "PodDisruptionBudget") == 0)
            continue;
        const kh_node *labels = pod_labels(obj);
        if (!labels)
            continue; /* no labels: no budget's selector can match */
        kh_object standin = {.root = obj->root, .kind = obj->kind,
                             .namespace_ = obj->namespace_, .labels = labels,
                             .input = (unsigned)nowners};
        if (kh_objset_add(standins, &standin) != KH_OK)
            goto cleanup;
        o.owners[nowners++] = obj;
    }
    for (size_t i = 0; i < npdb; i++) {
        const kh_selector *sel = budget_selector(ctx, pdbs[i]);
        if (!sel)
            continue;
        o.pdb = pdbs[i];
        kh_objset_select(standins, NULL, pdbs[i]->namespace_, sel, on_selected, &o);
    }
    for (size_t i = 0; i < nowners; i++)
        if (o.counts[i] > 1)
            report_overlap(ctx, o.owners[i], o.counts[i], o.budgets[i]);
cleanup:
    kh_objset_free(standins);
}
