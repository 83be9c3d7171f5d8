/*
 * netpol_mtls.c -- encryption in transit for sensitive namespaces: is a
 * service mesh's mutual TLS in force for their workloads, and does a
 * DestinationRule turn TLS off towards them?
 *
 * Sensitive namespaces are those labelled kubeharden.io/sensitive=true and
 * those a netpol.isolation assertion protects. A workload has mTLS when
 * Linkerd injects it (linkerd.io/inject on the namespace or the pod
 * template), or when Istio does (sidecar injection or ambient mode) and
 * the PeerAuthentication in force is STRICT: the workload's own (selector
 * matching its labels) over the namespace's (no selector) over the mesh's
 * (no selector, in the root namespace istio-system), UNSET inheriting, and
 * PERMISSIVE when none is set; a workload policy's portLevelMtls can relax
 * single ports. The workloads come from the NetworkPolicy model.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/netpol.h"
#include "rules/policy.h"
#include "rules/rules.h"

const char *const kh_netpol__mtls_kinds[] = {
    "CloneSet", "CronJob", "DaemonSet", "Deployment", "DestinationRule", "Job", "Namespace",
    "NetworkPolicy", "PeerAuthentication", "Pod", "ReplicaSet", "ReplicationController",
    "Rollout", "Service", "StatefulSet", NULL,
};

static const char *const root_namespace = "istio-system";

static const char *str_at(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    return kh_node_is_scalar(v) && !kh_node_is_null(v) ? kh_node_str(v) : NULL;
}

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Is namespace @p n sensitive? */
static bool sensitive(kh_rule_ctx *ctx, const np_namespace *n)
{
    if (eq(str_at(n->labels, "kubeharden.io/sensitive"), "true"))
        return true;
    const kh_policy *pol = ctx->policy;
    for (size_t i = 0; pol && i < pol->nnetpol_isolations; i++) {
        const kh_selector *sel = NULL;
        if (kh_selector_compile(&sel, pol->netpol_isolations[i].namespaces, ctx->arena, NULL) ==
                KH_OK &&
            kh_selector_matches(sel, n->labels))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------- meshes */

typedef enum mesh { MESH_NONE = 0, MESH_LINKERD, MESH_ISTIO } mesh;

static const kh_node *pod_meta(const kh_object *o, const char *key)
{
    const char *path;
    return kh_node_get(kh_object_pod_metadata(o, &path), key);
}

static mesh mesh_of(const np_namespace *ns, const kh_object *w)
{
    const kh_node *nsl = ns && ns->obj ? ns->obj->labels : NULL;
    const kh_node *nsa = ns && ns->obj ? ns->obj->annotations : NULL;
    const kh_node *pl = pod_meta(w, "labels"), *pa = pod_meta(w, "annotations");
    /* Linkerd: the pod's annotation wins over the namespace's. */
    const char *l = str_at(pa, "linkerd.io/inject");
    if (!l)
        l = str_at(nsa, "linkerd.io/inject");
    if (eq(l, "enabled") || eq(l, "ingress"))
        return MESH_LINKERD;
    /* Istio ambient: the pod's dataplane-mode label, else the namespace's. */
    const char *amb = str_at(pl, "istio.io/dataplane-mode");
    if (!amb)
        amb = str_at(nsl, "istio.io/dataplane-mode");
    if (eq(amb, "ambient"))
        return MESH_ISTIO;
    /* Istio sidecars: istio-injection=disabled never injects; the pod's
     * sidecar.istio.io/inject label (or the older annotation) decides
     * next; then istio-injection=enabled or a revision label. */
    const char *nsinj = str_at(nsl, "istio-injection");
    if (eq(nsinj, "disabled"))
        return MESH_NONE;
    const char *podinj = str_at(pl, "sidecar.istio.io/inject");
    if (!podinj)
        podinj = str_at(pa, "sidecar.istio.io/inject");
    if (podinj)
        return eq(podinj, "true") ? MESH_ISTIO : MESH_NONE;
    if (eq(nsinj, "enabled") || str_at(nsl, "istio.io/rev"))
        return MESH_ISTIO;
    return MESH_NONE;
}

/* The mode a PeerAuthentication sets: NULL for UNSET or absent. */
static const char *pa_mode(const kh_node *mtls)
{
    const char *m = str_at(mtls, "mode");
    return m && strcmp(m, "UNSET") != 0 ? m : NULL;
}

static bool pa_has_selector(const kh_object *pa)
{
    const kh_node *ml = kh_node_get(kh_node_get(kh_node_get(pa->root, "spec"), "selector"),
                                    "matchLabels");
    return kh_node_is_map(ml) && ml->len > 0;
}

static bool pa_selects(kh_rule_ctx *ctx, const kh_object *pa, const kh_node *labels)
{
    const kh_node *ml = kh_node_get(kh_node_get(kh_node_get(pa->root, "spec"), "selector"),
                                    "matchLabels");
    const kh_selector *sel = NULL;
    return kh_selector_from_map(&sel, ml, ctx->arena, NULL) == KH_OK &&
           kh_selector_matches(sel, labels);
}

typedef struct verdict {
    const char *mode;            /* the effective mode */
    const kh_object *from;       /* the policy that set it, NULL: Istio's default */
    const char *port;            /* a port relaxed by portLevelMtls, or NULL */
    const char *port_mode;
    const kh_object *workload_pa;
} verdict;

static verdict istio_mode(kh_rule_ctx *ctx, const kh_objset *set, const char *ns,
                          const kh_node *labels)
{
    const kh_object *const *pas;
    size_t n = kh_objset_by_kind(set, "PeerAuthentication", &pas);
    const kh_object *wl = NULL, *nsw = NULL, *meshwide = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *pns = kh_netpol__ns(pas[i]);
        bool sel = pa_has_selector(pas[i]);
        if (strcmp(pns, ns) == 0 && sel && !wl && strcmp(ns, root_namespace) != 0 &&
            pa_selects(ctx, pas[i], labels))
            wl = pas[i];
        else if (strcmp(pns, ns) == 0 && !sel && !nsw)
            nsw = pas[i];
        if (strcmp(pns, root_namespace) == 0 && !sel && !meshwide)
            meshwide = pas[i];
    }
    verdict v = {.mode = "PERMISSIVE", .workload_pa = wl};
    const kh_object *levels[] = {wl, nsw, meshwide};
    for (int i = 0; i < 3; i++) {
        const char *m = levels[i] ? pa_mode(kh_node_get(kh_node_get(levels[i]->root, "spec"),
                                                        "mtls"))
                                  : NULL;
        if (m) {
            v.mode = m;
            v.from = levels[i];
            break;
        }
    }
    /* portLevelMtls counts on workload policies only. */
    const kh_node *plm = wl ? kh_node_get(kh_node_get(wl->root, "spec"), "portLevelMtls") : NULL;
    for (size_t i = 0; kh_node_is_map(plm) && i < plm->len; i++) {
        const char *m = pa_mode(plm->u.pairs[i].value);
        if (!m)
            m = v.mode; /* UNSET inherits */
        if (strcmp(m, "STRICT") != 0 && !v.port) {
            v.port = kh_node_str(plm->u.pairs[i].key);
            v.port_mode = m;
        }
    }
    return v;
}

static kh_location at_object(kh_rule_ctx *ctx, const kh_object *o, const char *path,
                             const char *msg)
{
    const kh_node *at = o->root;
    return (kh_location){.file = o->file, .line = at ? at->line : 0, .col = at ? at->col : 0,
                         .kind = o->kind, .namespace_ = kh_netpol__ns(o), .name = o->name,
                         .path = kh_arena_printf(ctx->arena, "%s%s", o->path_prefix, path),
                         .message = msg};
}

void kh_netpol__sensitive_without_mtls(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    np_paths paths = {0};
    for (size_t i = 0; m && i < m->nwl; i++) {
        const np_workload *w = &m->wl[i];
        const kh_object *o = kh_netpol__obj(m, (uint32_t)i);
        const char *wns = m->cls[w->cls].ns;
        const np_namespace *ns = &m->ns[m->cls[w->cls].nsi];
        if (!sensitive(ctx, ns))
            continue;
        const char *meta = "metadata";
        const kh_node *mn = kh_object_pod_metadata(o, &meta);
        const kh_node *key = kh_rule__key(mn, "labels");
        const kh_node *at = key ? key : o->root;
        const char *path = kh_netpol__labels_path(ctx->arena, &paths, meta);
        mesh mm = mesh_of(ns, o);
        if (mm == MESH_LINKERD)
            continue;
        if (mm == MESH_NONE) {
            kh_rule__report(ctx, o, at, path,
                            "namespace '%s' is sensitive but no service mesh encrypts this "
                            "workload's traffic: no Istio sidecar or ambient mode "
                            "(istio-injection=enabled, istio.io/dataplane-mode=ambient) and no "
                            "Linkerd injection (linkerd.io/inject: enabled)",
                            wns);
            continue;
        }
        verdict v = istio_mode(ctx, set, wns, m->cls[w->cls].labels);
        kh_location rel[2];
        size_t nrel = 0;
        if (v.from)
            rel[nrel++] = at_object(ctx, v.from, "spec.mtls.mode", "sets the mTLS mode");
        if (strcmp(v.mode, "STRICT") != 0) {
            kh_rule__report_related(ctx, o, at, path, rel, nrel,
                                    "namespace '%s' is sensitive but Istio's mTLS mode for this "
                                    "workload is %s (%s), so it also accepts plaintext",
                                    wns, v.mode,
                                    v.from ? "set by the PeerAuthentication in the related location"
                                           : "no PeerAuthentication sets STRICT; Istio's "
                                             "default is PERMISSIVE");
        } else if (v.port) {
            rel[nrel++] = at_object(ctx, v.workload_pa, "spec.portLevelMtls",
                                    "relaxes a port");
            kh_rule__report_related(ctx, o, at, path, rel, nrel,
                                    "namespace '%s' is sensitive and Istio's mTLS mode is STRICT, "
                                    "but portLevelMtls sets port %s to %s",
                                    wns, v.port, v.port_mode);
        }
    }
}

/* ------------------------------------------------------ DestinationRule */

/* The namespace a DestinationRule host names ("svc", "svc.ns",
 * "svc.ns.svc.cluster.local", "*.ns.svc.cluster.local"), or "*" for a
 * wildcard over every namespace ("*", "*.local", "*.cluster.local"). */
static const char *host_namespace(kh_rule_ctx *ctx, const char *host, const char *own)
{
    static const char *const suffixes[] = {".svc.cluster.local", ".svc", NULL};
    if (strcmp(host, "*") == 0 || strcmp(host, "*.local") == 0 ||
        strcmp(host, "*.cluster.local") == 0 || strcmp(host, "*.svc.cluster.local") == 0)
        return "*";
    size_t n = strlen(host);
    for (size_t i = 0; suffixes[i]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(host + n - k, suffixes[i]) == 0) {
            n -= k;
            break;
        }
    }
    const char *dot = memchr(host, '.', n);
    if (!dot)
        return own; /* a short name: the rule's own namespace */
    const char *rest = dot + 1;
    if (memchr(rest, '.', n - (size_t)(rest - host)))
        return NULL; /* an outside host name */
    return kh_arena_strndup(ctx->arena, rest, n - (size_t)(rest - host));
}

void kh_netpol__destination_rule_disables_tls(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    const kh_object *const *drs;
    size_t n = kh_objset_by_kind(set, "DestinationRule", &drs);
    for (size_t i = 0; m && i < n; i++) {
        const kh_object *dr = drs[i];
        const kh_node *spec = kh_node_get(dr->root, "spec");
        const char *host = str_at(spec, "host");
        if (!host)
            continue;
        const char *target = host_namespace(ctx, host, kh_netpol__ns(dr));
        if (!target)
            continue;
        const char *hit = NULL;
        for (size_t k = 0; k < m->nns && !hit; k++)
            if ((strcmp(target, "*") == 0 || strcmp(target, m->ns[k].name) == 0) &&
                sensitive(ctx, &m->ns[k]))
                hit = m->ns[k].name;
        if (!hit)
            continue;
        const kh_node *tp = kh_node_get(spec, "trafficPolicy");
        if (eq(str_at(kh_node_get(tp, "tls"), "mode"), "DISABLE"))
            kh_rule__report(ctx, dr, kh_rule__key(kh_node_get(tp, "tls"), "mode"),
                            "spec.trafficPolicy.tls.mode",
                            "this DestinationRule sends plaintext to '%s' in sensitive "
                            "namespace '%s' (tls.mode: DISABLE)",
                            host, hit);
        const kh_node *pls = kh_node_get(tp, "portLevelSettings");
        for (size_t k = 0; kh_node_is_seq(pls) && k < pls->len; k++) {
            const kh_node *tls = kh_node_get(kh_node_at(pls, k), "tls");
            if (!eq(str_at(tls, "mode"), "DISABLE"))
                continue;
            const char *port = str_at(kh_node_get(kh_node_at(pls, k), "port"), "number");
            kh_rule__report(ctx, dr, kh_rule__key(tls, "mode"),
                            kh_arena_printf(ctx->arena,
                                            "spec.trafficPolicy.portLevelSettings[%zu].tls.mode", k),
                            "this DestinationRule sends plaintext to '%s' port %s in sensitive "
                            "namespace '%s' (tls.mode: DISABLE)",
                            host, port ? port : "?", hit);
        }
    }
}
