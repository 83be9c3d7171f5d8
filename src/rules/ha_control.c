/*
 * ha_control.c -- high-availability rules over the control plane and the
 * way in: control-plane nodes across zones, the etcd member count, the
 * number of API server endpoints, and ingress controllers or LoadBalancer
 * Services that rest on one replica or one zone.
 *
 * The model (analysis/ha_model.h) finds control-plane nodes by role label
 * or taint, etcd members in the etcd pods' --initial-cluster (and the etcd
 * pods themselves), and API server endpoints in kube-apiserver pods and
 * the `kubernetes` Service's Endpoints and EndpointSlices.
 */
#include <string.h>

#include "rules/ha.h"

/* ---------------------------------------------------- ha.control-plane-zones */

void kh_ha__control_plane_zones(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    if (!m)
        return;
    size_t ncp = 0, nz = 0, first = 0;
    bool *seen = kh_arena_calloc(ctx->arena, m->nzones + 1, sizeof(bool));
    if (!seen)
        return;
    const char *zones = "";
    for (size_t i = 0; i < m->nnodes_obj; i++) {
        const kh_ha_nodeinfo *n = &m->nodes[i];
        if (!n->control_plane)
            continue;
        if (ncp++ == 0)
            first = i;
        if (n->zone_id >= 0 && !seen[n->zone_id]) {
            seen[n->zone_id] = true;
            zones = kh_arena_printf(ctx->arena, "%s%s'%s'", zones, nz++ ? ", " : "", n->zone);
        }
    }
    if (ncp == 0 || nz >= 3)
        return;
    kh_location *rel = kh_arena_calloc(ctx->arena, ncp, sizeof(*rel));
    size_t nrel = 0;
    for (size_t i = first + 1; rel && i < m->nnodes_obj; i++)
        if (m->nodes[i].control_plane)
            rel[nrel++] = kh_rule__location(ctx, m->nodes[i].obj, kh_rule__key(m->nodes[i].obj->root,
                                                                 "metadata"),
                              "metadata.labels",
                              m->nodes[i].zone ? kh_arena_printf(ctx->arena, "zone '%s'",
                                                                 m->nodes[i].zone)
                                               : "no zone label");
    const kh_object *o = m->nodes[first].obj;
    const kh_node *at = kh_rule__key(o->metadata, "labels");
    kh_rule__report_related(
        ctx, o, at ? at : kh_rule__key(o->root, "metadata"), "metadata.labels", rel, nrel,
        "%zu control-plane node%s in %s: losing one zone can take the control plane "
        "down; spread them over at least 3 zones (topology.kubernetes.io/zone)",
        ncp, ncp == 1 ? "" : "s",
        nz ? kh_arena_printf(ctx->arena, "%zu zone%s (%s)", nz, nz == 1 ? "" : "s", zones)
           : "no labelled zone");
}

/* ------------------------------------------------------------ ha.etcd-quorum */

void kh_ha__etcd_quorum(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    if (!m || !m->nmembers || (m->nmembers >= 3 && m->nmembers % 2 == 1))
        return;
    size_t n = m->nmembers, quorum = n / 2 + 1, tolerated = (n - 1) / 2;
    const char *names = "";
    for (size_t i = 0; i < n && i < 8; i++)
        names = kh_arena_printf(ctx->arena, "%s%s'%s'", names, i ? ", " : "", m->members[i].name);
    const kh_object *o = m->etcd_obj;
    const char *path = "spec.containers";
    if (m->etcd_at) {
        /* The argument's index in command or args. */
        const kh_node *cs = kh_node_path(o->root, "spec.containers");
        for (size_t c = 0; kh_node_is_seq(cs) && c < cs->len; c++)
            for (int l = 0; l < 2; l++) {
                const char *list = l ? "args" : "command";
                const kh_node *seq = kh_node_get(kh_node_at(cs, c), list);
                for (size_t i = 0; kh_node_is_seq(seq) && i < seq->len; i++)
                    if (kh_node_at(seq, i) == m->etcd_at)
                        path = kh_arena_printf(ctx->arena, "spec.containers[%zu].%s[%zu]", c,
                                               list, i);
            }
    }
    kh_rule__report(ctx, o, m->etcd_at ? m->etcd_at : kh_rule__key(kh_node_get(o->root, "spec"),
                                                                     "containers"),
                    path,
                    "%zu etcd member%s (%s%s): quorum is %zu, so %s%s; run %s", n,
                    n == 1 ? "" : "s", names, n > 8 ? ", ..." : "", quorum,
                    tolerated == 0 ? "losing any member stops etcd, and the API server with it"
                                   : kh_arena_printf(ctx->arena,
                                                     "it survives only %zu failure%s",
                                                     tolerated, tolerated == 1 ? "" : "s"),
                    n % 2 == 0 ? kh_arena_printf(ctx->arena,
                                                 ": an even count survives no more failures "
                                                 "than %zu member%s",
                                                 n - 1, n - 1 == 1 ? "" : "s")
                               : "",
                    n < 3 ? "an odd number, at least 3" : "an odd number");
}

/* -------------------------------------------------------- ha.single-apiserver */

void kh_ha__single_apiserver(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    if (!m || m->napiservers != 1)
        return;
    const kh_ha_endpoint *e = &m->apiservers[0];
    bool pod = strcmp(e->obj->kind, "Pod") == 0;
    kh_rule__report(ctx, e->obj,
                    kh_rule__key(e->obj->root, pod || strcmp(e->obj->kind, "Endpoints") == 0
                                                   ? (pod ? "spec" : "subsets")
                                                   : "endpoints"),
                    pod ? "spec" : strcmp(e->obj->kind, "Endpoints") == 0 ? "subsets"
                                                                           : "endpoints",
                    "the API server has a single endpoint (%s%s%s): when it or its node goes "
                    "down, nothing in the cluster can be changed or scheduled",
                    e->what, e->node >= 0 ? " on node " : "",
                    e->node >= 0 ? m->nodes[e->node].name : "");
}

/* ---------------------------------------------------- ha.ingress-single-replica */

/* An ingress controller, by what it runs: an image whose name says
 * ingress (ingress-nginx, nginx-ingress, haproxy-ingress, kubernetes-
 * ingress), Traefik or Contour, or an --ingress-class / --controller-class
 * argument. A heuristic: other controllers are reached through their
 * LoadBalancer Service. */
static bool ingress_controller(const kh_object *o)
{
    kh_podspec ps;
    if (!kh_object_podspec(o, &ps))
        return false;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        if (c.kind != KH_CONTAINER_REGULAR)
            continue;
        const char *image = kh_node_str(kh_node_get(c.node, "image"));
        if (image) {
            size_t n = strcspn(image, "@");
            const char *slash = NULL;
            for (const char *p = image; p < image + n; p++)
                slash = *p == '/' ? p : slash;
            const char *last = slash ? slash + 1 : image;
            size_t ln = strcspn(last, ":@");
            for (const char *p = image; p + 7 <= last + ln; p++)
                if (strncmp(p, "ingress", 7) == 0)
                    return true;
            if ((ln == 7 && strncmp(last, "traefik", 7) == 0) ||
                (ln == 7 && strncmp(last, "contour", 7) == 0))
                return true;
        }
        static const char *const lists[] = {"command", "args"};
        for (int l = 0; l < 2; l++) {
            const kh_node *seq = kh_node_get(c.node, lists[l]);
            for (size_t i = 0; kh_node_is_seq(seq) && i < seq->len; i++) {
                const char *s = kh_node_str(kh_node_at(seq, i));
                if (s && (strncmp(s, "--ingress-class", 15) == 0 ||
                          strncmp(s, "--controller-class", 18) == 0 ||
                          strncmp(s, "--providers.kubernetesingress", 29) == 0))
                    return true;
            }
        }
    }
    return false;
}

/* The one zone every ready pod of a Service or workload runs in, when the
 * nodes span several and they all share one; else -1. */
typedef struct zone_track {
    long zone;                   /* -2: none seen yet; -1: several or unknown */
    size_t pods;
} zone_track;

static void track(zone_track *t, long zone)
{
    t->pods++;
    if (t->zone == -2)
        t->zone = zone;
    else if (t->zone != zone)
        t->zone = -1;
}

void kh_ha__ingress_single_replica(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_ha_model *m = kh_ha__model(ctx, set);
    if (!m)
        return;
    /* Zones are tracked only when the nodes span several (the arrays would
     * be a tenth of the model on a big cluster). */
    bool multi = kh_ha__multi_zone(m);
    zone_track *svc = NULL, *wl = NULL;
    if (multi) {
        svc = kh_arena_alloc(ctx->arena, (m->nservices + 1) * sizeof(*svc));
        wl = kh_arena_alloc(ctx->arena, (m->nworkloads + 1) * sizeof(*wl));
        if (!svc || !wl)
            return;
        for (size_t i = 0; i < m->nservices; i++)
            svc[i] = (zone_track){.zone = -2};
        for (size_t i = 0; i < m->nworkloads; i++)
            wl[i] = (zone_track){.zone = -2};
    }
    for (size_t i = 0; multi && i < m->npods; i++) {
        const kh_ha_pod *p = &m->pods[i];
        if (!p->ready)
            continue;
        long zone = p->node >= 0 ? m->nodes[p->node].zone_id : -1;
        for (const kh_ha_link *l = kh_ha__pod_services(m, i); l; l = l->next)
            track(&svc[l->idx], zone);
        if (p->workload >= 0)
            track(&wl[p->workload], zone);
    }
    /* LoadBalancer Services. */
    for (size_t i = 0; i < m->nservices; i++) {
        const kh_ha_service *s = &m->services[i];
        if (!s->load_balancer || !s->sel || (!s->ntempls && !s->npods))
            continue;
        int64_t replicas = 0;
        bool daemon = false, templates = false;
        for (const kh_ha_link *l = s->templs; l; l = l->next) {
            const kh_ha_templ *t = &m->templs[l->idx];
            if (t->workload < 0)
                continue;
            kh_ha_workload wv = kh_ha__workload(m, (size_t)t->workload);
            const kh_ha_workload *w = &wv;
            daemon |= w->cls == KH_HA_WL_DAEMON;
            templates |= w->cls == KH_HA_WL_REPLICATED;
            replicas += w->cls == KH_HA_WL_REPLICATED ? w->effective : 0;
        }
        if (!templates)
            replicas = (int64_t)s->endpoints;
        const kh_node *at = kh_rule__key(kh_node_get(s->obj->root, "spec"), "type");
        if (!daemon && replicas == 1)
            kh_rule__report(ctx, s->obj, at, "spec.type",
                            "LoadBalancer Service backed by a single replica: traffic from "
                            "outside stops when that pod or its node goes down");
        else if (multi && svc[i].zone >= 0 && svc[i].pods > 1)
            kh_rule__report(ctx, s->obj, at, "spec.type",
                            "LoadBalancer Service whose %zu ready backends all run in zone "
                            "'%s' of %zu: losing that zone cuts traffic from outside",
                            svc[i].pods, m->zones[svc[i].zone].name, m->nzones);
    }
    /* Ingress controllers. */
    for (size_t i = 0; i < m->nworkloads; i++) {
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *w = &wv;
        if (!w->obj || w->cls != KH_HA_WL_REPLICATED || !ingress_controller(w->obj))
            continue;
        const kh_node *spec = kh_node_get(w->obj->root, "spec");
        if (w->effective == 1)
            kh_rule__report(ctx, w->obj, w->replicas_key ? w->replicas_key
                                                         : kh_rule__key(w->obj->root, "spec"),
                            w->replicas_key ? "spec.replicas" : "spec",
                            "ingress controller with a single replica%s: every Ingress it "
                            "serves goes down with that pod or its node",
                            w->hpa ? " (its HorizontalPodAutoscaler's minReplicas)" : "");
        else if (multi && wl[i].zone >= 0 && wl[i].pods > 1)
            kh_rule__report(ctx, w->obj, kh_rule__key(spec, "template"), "spec.template",
                            "ingress controller whose %zu ready pods all run in zone '%s' "
                            "of %zu: losing that zone takes every Ingress down",
                            wl[i].pods, m->zones[wl[i].zone].name, m->nzones);
    }
}
