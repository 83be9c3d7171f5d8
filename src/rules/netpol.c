/*
 * netpol.c -- NetworkPolicy rules over the object set.
 *
 * Every rule reads one model (analysis/netpol.h) built once per scan with
 * kh_rule__shared: workloads grouped into classes, policies parsed,
 * validated and resolved to the classes they select. Coverage rules read
 * the selections; the peer and port rules read each rule's peers; the
 * isolation assertions of the configuration (netpol.isolation) evaluate
 * both directions of every connection into the protected namespaces.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/netpol.h"
#include "rules/policy.h"
#include "rules/rules.h"

static const char model_key = 0;

static void *build(kh_arena *arena, const kh_objset *set)
{
    return kh_netpol__build(arena, set);
}

np_model *kh_netpol__rule_model(kh_rule_ctx *ctx, const kh_objset *set)
{
    return kh_rule__shared(ctx, &model_key, build, set);
}


static kh_location where(kh_rule_ctx *ctx, const kh_object *o, const kh_node *at,
                         const char *path, const char *msg)
{
    at = at ? at : o->root;
    return (kh_location){.file = o->file, .line = at ? at->line : 0, .col = at ? at->col : 0,
                         .kind = o->kind, .namespace_ = kh_netpol__ns(o), .name = o->name,
                         .path = kh_arena_printf(ctx->arena, "%s%s", o->path_prefix, path),
                         .message = msg};
}

/* Policies the API server stores and that apply: valid ones. */
static bool live(const np_policy *p)
{
    return !p->invalid;
}

/* ------------------------------------------------------------- invalid */

void kh_netpol__invalid_policy(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    for (size_t i = 0; m && i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (p->invalid)
            kh_rule__report(ctx, p->obj, p->invalid_at ? p->invalid_at : p->obj->root,
                            p->invalid_path ? p->invalid_path : "spec",
                            "the API server refuses this NetworkPolicy: %s; it neither "
                            "isolates nor allows anything",
                            p->invalid);
    }
}

/* ----------------------------------------------------------- coverage */

/* Does namespace @p ns hold a default deny for the direction: a policy
 * selecting every pod ({} or absent podSelector) with that type and no
 * rules? */
static bool has_default_deny(const np_model *m, const char *ns, bool egress)
{
    for (size_t i = 0; i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (!live(p) || strcmp(p->ns, ns) != 0 || !(egress ? p->egress : p->ingress) ||
            (egress ? p->neg : p->nin) != 0)
            continue;
        const kh_node *sel = kh_node_get(kh_node_get(p->obj->root, "spec"), "podSelector");
        const kh_node *ml = kh_node_get(sel, "matchLabels");
        const kh_node *me = kh_node_get(sel, "matchExpressions");
        if (kh_node_is_null(sel) ||
            ((kh_node_is_null(ml) || (kh_node_is_map(ml) && ml->len == 0)) &&
             (kh_node_is_null(me) || (kh_node_is_seq(me) && me->len == 0))))
            return true;
    }
    return false;
}

static void default_deny(kh_rule_ctx *ctx, const kh_objset *set, bool egress)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    /* Each namespace's first workload, found in one pass (a search per
     * namespace would cost namespaces x workloads). */
    const kh_object **first = m ? kh_arena_calloc(ctx->arena, m->nns + 1, sizeof(*first)) : NULL;
    for (size_t i = 0; first && i < m->nwl; i++) {
        uint32_t n = m->cls[m->wl[i].cls].nsi;
        if (!first[n])
            first[n] = kh_netpol__obj(m, (uint32_t)i);
    }
    for (size_t n = 0; first && n < m->nns; n++) {
        const np_namespace *ns = &m->ns[n];
        if (!ns->nworkloads || has_default_deny(m, ns->name, egress))
            continue;
        /* On the Namespace when the input has it, else on its first workload. */
        const kh_object *at = ns->obj ? ns->obj : first[n];
        if (!at)
            continue;
        const kh_node *key = ns->obj ? NULL : kh_rule__key(at->metadata, "namespace");
        kh_rule__report(ctx, at, key ? key : at->root, key ? "metadata.namespace" : "",
                        "namespace '%s' has no default-deny %s NetworkPolicy (podSelector: {}, "
                        "policyTypes: [%s], no %s rules): a pod no policy selects %s",
                        ns->name, egress ? "egress" : "ingress", egress ? "Egress" : "Ingress",
                        egress ? "egress" : "ingress",
                        egress ? "may connect anywhere" : "accepts connections from anywhere");
    }
}

void kh_netpol__namespace_without_default_deny_ingress(kh_rule_ctx *ctx, const kh_objset *set)
{
    default_deny(ctx, set, false);
}

void kh_netpol__namespace_without_default_deny_egress(kh_rule_ctx *ctx, const kh_objset *set)
{
    default_deny(ctx, set, true);
}

static const kh_node *labels_key(const kh_object *o, const char **path)
{
    const kh_node *meta = kh_object_pod_metadata(o, path);
    const kh_node *k = kh_rule__key(meta, "labels");
    return k ? k : o->root;
}

void kh_netpol__workload_not_selected(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    np_paths paths = {0};
    for (size_t i = 0; m && i < m->nwl; i++) {
        if (m->cls[m->wl[i].cls].ap->npols)
            continue;
        const kh_object *o = kh_netpol__obj(m, (uint32_t)i);
        const char *meta = "metadata";
        const kh_node *at = labels_key(o, &meta);
        kh_rule__report(ctx, o, at, kh_netpol__labels_path(ctx->arena, &paths, meta),
                        "no NetworkPolicy selects %s: %s connections from anywhere and "
                        "may connect anywhere",
                        strcmp(o->kind, "Pod") == 0 ? "this pod" : "its pods",
                        strcmp(o->kind, "Pod") == 0 ? "it accepts" : "they accept");
    }
}

void kh_netpol__policy_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    for (size_t i = 0; m && i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (!live(p) || p->nselected)
            continue;
        /* Only where the input shows the namespace's workloads: a file of
         * policies alone says nothing about what they select. */
        size_t nwl = 0;
        for (size_t n = 0; n < m->nns; n++)
            if (strcmp(m->ns[n].name, p->ns) == 0)
                nwl = m->ns[n].nworkloads;
        if (!nwl)
            continue;
        const kh_node *spec = kh_node_get(p->obj->root, "spec");
        const kh_node *at = kh_rule__key(spec, "podSelector");
        kh_rule__report(ctx, p->obj, at ? at : p->obj->root, "spec.podSelector",
                        "podSelector matches none of the %zu workloads in namespace '%s': the "
                        "policy isolates and allows nothing",
                        nwl, p->ns);
    }
}

/* ---------------------------------------------------------------- peers */

/* A peer that selects nothing is reported only where the input shows what
 * it could have selected: its namespaces' workloads, or, for a namespace
 * selector that matches no namespace, Namespace objects with labels (a
 * manifest repository rarely holds kube-system, which DNS rules name). */
void kh_netpol__peer_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    if (!m || !m->nwl)
        return;
    bool labelled_namespaces = false;
    for (size_t n = 0; n < m->nns; n++)
        labelled_namespaces |= m->ns[n].obj && m->ns[n].obj->labels &&
                               kh_node_is_map(m->ns[n].obj->labels) &&
                               m->ns[n].obj->labels->len > 0;
    for (size_t i = 0; i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (!live(p))
            continue;
        for (int e = 0; e < 2; e++) {
            const np_rule *rs = e ? p->eg : p->in;
            size_t nr = e ? p->neg : p->nin;
            for (size_t j = 0; j < nr; j++)
                for (size_t k = 0; k < rs[j].npeers; k++) {
                    const np_peer *pe = &rs[j].peers[k];
                    if (pe->kind != NP_PEER_PODS || pe->nclasses)
                        continue;
                    bool no_ns = pe->has_ns_selector && !pe->nnamespaces;
                    if (no_ns ? !labelled_namespaces : !pe->npopulated)
                        continue;
                    const char *why = no_ns ? "namespaceSelector matches no namespace in the input"
                                      : pe->has_ns_selector
                                          ? "no workload in the namespaces it selects "
                                            "matches podSelector"
                                          : "podSelector matches no workload in the "
                                            "policy's namespace";
                    kh_rule__report(ctx, p->obj, pe->node,
                                    kh_arena_printf(ctx->arena, "spec.%s[%zu].%s[%zu]",
                                                    e ? "egress" : "ingress", j,
                                                    e ? "to" : "from", k),
                                    "this peer matches no workload of the input (%s): it allows "
                                    "no %s unless pods the input does not hold (an operator's, "
                                    "say) match it",
                                    why, e ? "destination" : "source");
                }
        }
    }
}

static bool is_everything(const np_peer *pe)
{
    if (pe->kind != NP_PEER_IPBLOCK || pe->nranges != 1)
        return false;
    const np_range *r = &pe->ranges[0];
    unsigned __int128 max = r->fam == 4 ? 0xffffffffu : ~(unsigned __int128)0;
    return r->lo == 0 && r->hi == max;
}

/* The rule's ports as written: "TCP 80, TCP http, UDP 53-60". */
static const char *spec_text(kh_rule_ctx *ctx, const np_rule *r)
{
    static const char *const protos[] = {"TCP", "UDP", "SCTP"};
    if (!r->nports)
        return "every port";
    const char *out = "";
    for (size_t i = 0; i < r->nports; i++) {
        const np_portspec *ps = &r->ports[i];
        const char *sep = i ? ", " : "";
        if (ps->kind == NP_PORT_ALL)
            out = kh_arena_printf(ctx->arena, "%s%s%s all", out, sep, protos[ps->proto]);
        else if (ps->kind == NP_PORT_NAMED)
            out = kh_arena_printf(ctx->arena, "%s%s%s %s", out, sep, protos[ps->proto], ps->name);
        else if (ps->lo == ps->hi)
            out = kh_arena_printf(ctx->arena, "%s%s%s %u", out, sep, protos[ps->proto], ps->lo);
        else
            out = kh_arena_printf(ctx->arena, "%s%s%s %u-%u", out, sep, protos[ps->proto],
                                  ps->lo, ps->hi);
        if (!out)
            return "";
    }
    return out;
}

void kh_netpol__allow_from_anywhere(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    for (size_t i = 0; m && i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (!live(p) || !p->ingress)
            continue;
        for (size_t j = 0; j < p->nin; j++) {
            const np_rule *r = &p->in[j];
            if (r->all_peers) {
                kh_rule__report(ctx, p->obj, r->node,
                                kh_arena_printf(ctx->arena, "spec.ingress[%zu]", j),
                                "this ingress rule has no 'from', so it admits every source, "
                                "inside the cluster and out, on %s",
                                spec_text(ctx, r));
                continue;
            }
            for (size_t k = 0; k < r->npeers; k++)
                if (is_everything(&r->peers[k]))
                    kh_rule__report(ctx, p->obj, r->peers[k].node,
                                    kh_arena_printf(ctx->arena, "spec.ingress[%zu].from[%zu]", j, k),
                                    "ipBlock %s admits every address outside the cluster on %s",
                                    r->peers[k].cidr, spec_text(ctx, r));
        }
    }
}

/* Addresses that are not the internet: private, shared, loopback,
 * link-local, multicast and reserved ranges. */
static const char *const non_public[] = {
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3", "::/127", "fc00::/7", "fe80::/10",
    "ff00::/8", NULL,
};

/* The first public address range the rule's ipBlocks reach, as text. */
static bool reaches_internet(const np_rule *r)
{
    if (r->all_peers)
        return true;
    np_range priv[16];
    size_t np = 0;
    for (size_t i = 0; non_public[i]; i++) {
        int bits;
        kh_netpol__parse_cidr(non_public[i], &priv[np++], &bits);
    }
    for (size_t i = 0; i < r->nranges; i++) {
        const np_range *x = &r->ranges[i];
        unsigned __int128 at = x->lo;
        bool covered = false;
        /* The private list is sorted by family and address within one. */
        for (size_t k = 0; k < np && !covered; k++) {
            if (priv[k].fam != x->fam || priv[k].hi < at)
                continue;
            if (priv[k].lo > at || priv[k].lo > x->hi)
                return true;
            if (priv[k].hi >= x->hi)
                covered = true;
            else
                at = priv[k].hi + 1;
        }
        if (!covered)
            return true;
    }
    return false;
}

void kh_netpol__egress_to_internet(kh_rule_ctx *ctx, const kh_objset *set)
{
    np_model *m = kh_netpol__rule_model(ctx, set);
    np_eval *ev = m ? kh_netpol__eval_new(m) : NULL;
    for (size_t i = 0; ev && i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (!live(p) || !p->egress || !p->nselected)
            continue;
        for (size_t j = 0; j < p->neg; j++) {
            const np_rule *r = &p->eg[j];
            if (!reaches_internet(r))
                continue;
            uint32_t ps = kh_netpol__rule_ports(ev, r, NULL);
            if (ps == NP_PS_NONE)
                continue; /* only named ports: nothing outside the cluster matches */
            kh_rule__report(ctx, p->obj, r->node,
                            kh_arena_printf(ctx->arena, "spec.egress[%zu]", j),
                            "this egress rule lets the selected pods connect to the internet "
                            "(%s) on %s",
                            r->all_peers ? "it has no 'to'" : "its ipBlock reaches public addresses",
                            kh_netpol__ps_text(ev, ps));
        }
    }
    kh_netpol__eval_free(ev);
}

/* ---------------------------------------------------------------- ports */

static bool class_has_port(const np_class *c, const np_portspec *ps)
{
    for (size_t i = 0; i < c->nports; i++)
        if (c->ports[i].name && c->ports[i].proto == ps->proto &&
            strcmp(c->ports[i].name, ps->name) == 0)
            return true;
    return false;
}

void kh_netpol__named_port_unresolved(kh_rule_ctx *ctx, const kh_objset *set)
{
    static const char *const protos[] = {"TCP", "UDP", "SCTP"};
    np_model *m = kh_netpol__rule_model(ctx, set);
    if (!m || !m->nwl)
        return;
    for (size_t i = 0; i < m->npol; i++) {
        const np_policy *p = &m->pol[i];
        if (!live(p) || !p->nselected)
            continue;
        for (int e = 0; e < 2; e++) {
            const np_rule *rs = e ? p->eg : p->in;
            size_t nr = e ? p->neg : p->nin;
            for (size_t j = 0; j < nr; j++) {
                const np_rule *r = &rs[j];
                for (size_t k = 0; k < r->nports; k++) {
                    const np_portspec *ps = &r->ports[k];
                    if (ps->kind != NP_PORT_NAMED)
                        continue;
                    /* Ingress: the selected pods' ports; egress: the peers'. */
                    bool found = false;
                    if (!e)
                        for (size_t c = 0; c < p->nselected && !found; c++)
                            found = class_has_port(&m->cls[p->selected[c]], ps);
                    else if (r->all_peers)
                        for (size_t c = 0; c < m->ncls && !found; c++)
                            found = class_has_port(&m->cls[c], ps);
                    else
                        for (size_t c = 0; c < r->nclasses && !found; c++)
                            found = class_has_port(&m->cls[r->classes[c]], ps);
                    /* Pod peers the input holds no workload of: unknown
                     * destinations, not judged. */
                    bool pod_peers = false;
                    for (size_t q = 0; q < r->npeers; q++)
                        pod_peers |= r->peers[q].kind == NP_PEER_PODS;
                    if (found || (e && !r->all_peers && pod_peers && !r->nclasses))
                        continue;
                    kh_rule__report(ctx, p->obj, ps->node,
                                    kh_arena_printf(ctx->arena, "spec.%s[%zu].ports[%zu]",
                                                    e ? "egress" : "ingress", j, k),
                                    "named port '%s' (%s) is declared by no container of the %s, "
                                    "so this entry allows nothing",
                                    ps->name, protos[ps->proto],
                                    !e ? "pods the policy selects"
                                    : pod_peers || r->all_peers
                                        ? "destinations this rule names"
                                        : "destinations this rule names (only addresses outside "
                                          "the cluster, which have no port names)");
                }
            }
        }
    }
}

/* ------------------------------------------------------------ isolation */

/* The ports an assertion allows, as one set. */
static uint32_t allowed_ports(np_eval *ev, const kh_netpol_isolation *iso)
{
    uint32_t ok = NP_PS_NONE;
    for (size_t i = 0; i < iso->nports; i++)
        ok = kh_netpol__ps_union(ev, ok, kh_netpol__ps_range(ev, iso->ports[i].proto, iso->ports[i].lo,
                                                  iso->ports[i].hi));
    return ok;
}

/* Are all of @p ps's ports in @p ok? Else *bad is the first interval not. */
static bool port_allowed(np_eval *ev, const kh_netpol_isolation *iso, uint32_t ok, uint32_t ps,
                         uint32_t *bad)
{
    if (!iso->nports)
        return true; /* no ports named: any port from an allowed namespace */
    if (kh_netpol__ps_inter(ev, ps, ok) == ps)
        return true;
    const uint32_t *iv;
    size_t n = kh_netpol__ps_intervals(ev, ps, &iv);
    for (size_t i = 0; i < n; i++) {
        uint32_t lo = iv[2 * i], hi = iv[2 * i + 1];
        uint32_t one = kh_netpol__ps_range(ev, (int)(lo >> 16), lo & 0xffff, hi & 0xffff);
        if (kh_netpol__ps_inter(ev, one, ok) != one) {
            *bad = one;
            return false;
        }
        n = kh_netpol__ps_intervals(ev, ps, &iv); /* the pool may have moved */
    }
    return true;
}

/* The rules (or openness) behind one direction, as related locations. */
static size_t reasons(kh_rule_ctx *ctx, np_eval *ev, const np_model *m, kh_location *rel,
                      size_t max, uint32_t self, int peer, uint8_t fam, unsigned __int128 addr,
                      bool egress, const np_class *dst, uint32_t bad)
{
    const np_class *c = &m->cls[self];
    size_t n = 0;
    if (!(egress ? c->ap->eg_iso : c->ap->in_iso)) {
        const kh_object *o = kh_netpol__obj(m, c->workloads[0]);
        rel[n++] = where(ctx, o, o->root, "",
                         egress ? "its egress is not isolated: no policy with Egress selects it"
                                : "its ingress is not isolated: no policy with Ingress selects it");
        return n;
    }
    size_t nr = egress ? c->ap->neg : c->ap->nin;
    for (size_t i = 0; i < nr && n < max; i++) {
        const np_rule *r = egress ? c->ap->eg_rules[i] : c->ap->in_rules[i];
        bool ok = peer >= 0 ? kh_netpol__rule_admits_class(r, (uint32_t)peer)
                            : kh_netpol__rule_admits_addr(r, fam, addr);
        if (!ok)
            continue;
        uint32_t ps = kh_netpol__rule_ports(ev, r, dst);
        if (kh_netpol__ps_inter(ev, ps, bad) == NP_PS_NONE)
            continue;
        rel[n++] = where(ctx, r->pol->obj, r->node,
                         kh_arena_printf(ctx->arena, "spec.%s[%zu]", egress ? "egress" : "ingress",
                                         r->index),
                         egress ? "this egress rule allows it" : "this ingress rule allows it");
    }
    return n;
}

/* Per namespace of the model: does @p sel match its labels? (calloc'd) */
static bool *ns_marks(const np_model *m, const kh_selector *sel)
{
    bool *marks = calloc(m->nns ? m->nns : 1, sizeof(*marks));
    for (size_t i = 0; marks && i < m->nns; i++)
        marks[i] = kh_selector_matches(sel, m->ns[i].labels);
    return marks;
}

static void check_isolation(kh_rule_ctx *ctx, const np_model *m, np_eval *ev, np_columns *cols,
                            const kh_netpol_isolation *iso)
{
    const kh_selector *protect = NULL, *from = NULL;
    if (kh_selector_compile(&protect, iso->namespaces, ctx->arena, NULL) != KH_OK ||
        kh_selector_compile(&from, iso->allow_from, ctx->arena, NULL) != KH_OK)
        return; /* the configuration loader validated both */
    bool *protected_ns = ns_marks(m, protect), *allowed_ns = ns_marks(m, from);
    uint32_t ok_ports = allowed_ports(ev, iso);
    for (uint32_t d = 0; protected_ns && allowed_ns && d < m->ncls; d++) {
        const np_class *dc = &m->cls[d];
        if (!protected_ns[dc->nsi])
            continue;
        const uint32_t *col_in, *col_out;
        kh_netpol__column(cols, d, &col_in, &col_out);
        /* Outside sources: the address ranges this class's ingress rules
         * tell apart. */
        np_range *atoms = NULL;
        size_t natoms = kh_netpol__class_atoms(m, d, false, &atoms);
        for (size_t w = 0; w < dc->nworkloads; w++) {
            const kh_object *dobj = kh_netpol__obj(m, dc->workloads[w]);
            kh_location rel[12];
            size_t nrel = 0, nbroken = 0;
            const char *first = NULL, *first_ports = NULL;
            for (int s = -1; s < (int)m->ncls; s++) {
                /* s == -1: the outside atoms */
                size_t nat = s < 0 ? natoms : 1;
                for (size_t a = 0; a < nat; a++) {
                    uint8_t fam = s < 0 ? atoms[a].fam : 0;
                    unsigned __int128 addr = s < 0 ? atoms[a].lo : 0;
                    bool allowed_src = false;
                    if (s >= 0) {
                        const np_class *sc = &m->cls[s];
                        allowed_src = allowed_ns[sc->nsi] ||
                                      (!iso->deny_same_namespace && sc->nsi == dc->nsi);
                        if (sc->nworkloads == 1 && sc->workloads[0] == dc->workloads[w])
                            continue;
                    }
                    uint32_t in = s >= 0 ? col_in[s] : kh_netpol__ingress(ev, m, d, s, fam, addr);
                    uint32_t out = s >= 0 ? col_out[s] : NP_PS_ALL;
                    uint32_t ps = kh_netpol__ps_inter(ev, in, out);
                    if (ps == NP_PS_NONE)
                        continue;
                    uint32_t bad = ps;
                    if (allowed_src && port_allowed(ev, iso, ok_ports, ps, &bad))
                        continue;
                    nbroken++;
                    if (nrel + 4 > sizeof(rel) / sizeof(rel[0]))
                        continue;
                    const char *src_id;
                    if (s >= 0) {
                        const kh_object *sobj = kh_netpol__obj(m, m->cls[s].workloads[0]);
                        src_id = kh_netpol__id(ctx->arena, m, m->cls[s].workloads[0]);
                        rel[nrel++] = where(ctx, sobj, sobj->root, "",
                                            kh_arena_printf(ctx->arena, "reaches it on %s%s",
                                                            kh_netpol__ps_text(ev, bad),
                                                            allowed_src ? " (a port the assertion "
                                                                          "does not allow)" : ""));
                        nrel += reasons(ctx, ev, m, rel + nrel, 2, (uint32_t)s, (int)d, 0, 0, true,
                                        dc, bad);
                    } else {
                        np_range r = atoms[a];
                        src_id = kh_netpol__range_text(ctx->arena, &r);
                    }
                    nrel += reasons(ctx, ev, m, rel + nrel, 2, d, s, fam, addr, false, dc, bad);
                    if (!first) {
                        first = src_id;
                        first_ports = kh_arena_printf(ctx->arena, "%s",
                                                      kh_netpol__ps_text(ev, bad));
                    }
                }
            }
            if (!nbroken)
                continue;
            const char *meta = "metadata";
            const kh_node *at = labels_key(dobj, &meta);
            kh_rule__report_related(
                ctx, dobj, at, kh_arena_printf(ctx->arena, "%s.labels", meta), rel, nrel,
                "isolation '%s' is broken: %zu source%s outside what it allows can reach %s, "
                "e.g. %s on %s",
                iso->name ? iso->name : "netpol.isolation", nbroken, nbroken == 1 ? "" : "s",
                kh_netpol__id(ctx->arena, m, dc->workloads[w]), first, first_ports);
        }
        free(atoms);
    }
    free(protected_ns);
    free(allowed_ns);
}

void kh_netpol__isolation_assertion_broken(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_policy *pol = ctx->policy;
    if (!pol || !pol->nnetpol_isolations)
        return;
    np_model *m = kh_netpol__rule_model(ctx, set);
    np_eval *ev = m ? kh_netpol__eval_new(m) : NULL;
    np_columns *cols = ev ? kh_netpol__columns_new(ev, m) : NULL;
    for (size_t i = 0; cols && i < pol->nnetpol_isolations; i++)
        check_isolation(ctx, m, ev, cols, &pol->netpol_isolations[i]);
    kh_netpol__columns_free(cols);
    kh_netpol__eval_free(ev);
}
