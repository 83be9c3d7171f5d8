/*
 * netpol_query.c -- the public NetworkPolicy queries (kubeharden/netpol.h):
 * the connectivity matrix in text, JSON, CSV and Graphviz DOT, and
 * can-reach with the policies and rules that decide each direction.
 *
 * The matrix streams: class pairs come from kh_netpol__pairs (grouped by
 * destination) and are expanded to their workloads as they arrive, so
 * memory follows the classes, not the pairs. Outside the cluster, each
 * class's egress and ingress are evaluated per address atom and runs of
 * atoms with the same ports are written as one range.
 */
#include "kubeharden/netpol.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/netpol.h"
#include "scan/cluster.h"

struct kh_netpol {
    np_model *m;
    kh_arena *arena;
    const kh_objset *set;        /* the cluster's objects (Services) */
};

const char *const *kh_netpol_kinds(void)
{
    return kh_netpol__kinds;
}

int kh_netpol_load(kh_netpol **out, kh_cluster *c, kh_error *err)
{
    kh_arena *arena = kh_cluster__arena(c);
    kh_netpol *np = kh_arena_calloc(arena, 1, sizeof(*np));
    *out = NULL;
    if (!np || !(np->m = kh_netpol__build(arena, kh_cluster__objects(c))))
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    np->arena = arena;
    np->set = kh_cluster__objects(c);
    *out = np;
    return KH_OK;
}

/* ------------------------------------------------------------- writing */

static void put_json(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* DOT ids and labels are quoted strings: escape quotes and backslashes. */
static void put_dot(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('"', f);
}

static void put_csv(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static const char *const proto_names[] = {"TCP", "UDP", "SCTP"};

typedef struct writer {
    const kh_netpol *np;
    np_eval *ev;
    FILE *out;
    kh_netpol_format fmt;
    kh_netpol_stats st;
    bool first;                  /* JSON: no comma before the next connection */
} writer;

static void edge(writer *w, const char *from, const char *to, uint32_t ps)
{
    FILE *f = w->out;
    if (!f)
        return;
    const uint32_t *iv;
    size_t n = kh_netpol__ps_intervals(w->ev, ps, &iv);
    switch (w->fmt) {
    case KH_NETPOL_TEXT:
        fprintf(f, "%s -> %s: %s\n", from, to, kh_netpol__ps_text(w->ev, ps));
        break;
    case KH_NETPOL_CSV:
        for (size_t i = 0; i < n; i++) {
            put_csv(f, from);
            fputc(',', f);
            put_csv(f, to);
            fprintf(f, ",%s,%u,%u\n", proto_names[iv[2 * i] >> 16], iv[2 * i] & 0xffff,
                    iv[2 * i + 1] & 0xffff);
        }
        break;
    case KH_NETPOL_JSON:
        fputs(w->first ? "\n    {\"from\": " : ",\n    {\"from\": ", f);
        w->first = false;
        put_json(f, from);
        fputs(", \"to\": ", f);
        put_json(f, to);
        fputs(", \"ports\": ", f);
        put_json(f, kh_netpol__ps_text(w->ev, ps));
        fputs(", \"allowed\": [", f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s{\"protocol\": \"%s\", \"port\": %u, \"endPort\": %u}", i ? ", " : "",
                    proto_names[iv[2 * i] >> 16], iv[2 * i] & 0xffff, iv[2 * i + 1] & 0xffff);
        fputs("]}", f);
        break;
    case KH_NETPOL_DOT:
        fputs("  ", f);
        put_dot(f, from);
        fputs(" -> ", f);
        put_dot(f, to);
        fputs(" [label=", f);
        put_dot(f, kh_netpol__ps_text(w->ev, ps));
        fputs("];\n", f);
        break;
    }
}

static void on_pair(void *ud, uint32_t src, uint32_t dst, uint32_t ps)
{
    writer *w = ud;
    const np_model *m = w->np->m;
    const np_class *s = &m->cls[src], *d = &m->cls[dst];
    for (size_t i = 0; i < s->nworkloads; i++)
        for (size_t j = 0; j < d->nworkloads; j++) {
            if (s->workloads[i] == d->workloads[j])
                continue; /* a workload and itself: its own pods, left out */
            w->st.connections++;
            edge(w, m->ids[s->workloads[i]], m->ids[d->workloads[j]], ps);
        }
}

static void ext_node(writer *w, const char *name)
{
    if (w->out && w->fmt == KH_NETPOL_DOT) {
        fputs("  ", w->out);
        put_dot(w->out, name);
        fputs(" [shape=ellipse, style=dashed];\n", w->out);
    }
}

/* One class against every outside atom, both directions; runs of atoms
 * of one family with the same ports are one range. */
static void external(writer *w, uint32_t c, bool egress)
{
    const np_model *m = w->np->m;
    const np_class *cls = &m->cls[c];
    np_range *atoms = NULL;
    size_t natoms = kh_netpol__class_atoms(m, c, egress, &atoms);
    size_t i = 0;
    while (i < natoms) {
        uint32_t ps = egress ? kh_netpol__egress(w->ev, m, c, -1, atoms[i].fam, atoms[i].lo)
                             : kh_netpol__ingress(w->ev, m, c, -1, atoms[i].fam, atoms[i].lo);
        size_t j = i + 1;
        if ((egress ? !cls->ap->eg_iso : !cls->ap->in_iso)) {
            while (j < natoms && atoms[j].fam == atoms[i].fam)
                j++;
        } else {
            while (j < natoms && atoms[j].fam == atoms[i].fam &&
                   (egress ? kh_netpol__egress(w->ev, m, c, -1, atoms[j].fam, atoms[j].lo)
                           : kh_netpol__ingress(w->ev, m, c, -1, atoms[j].fam, atoms[j].lo)) == ps)
                j++;
        }
        if (ps != NP_PS_NONE) {
            np_range r = {.fam = atoms[i].fam, .lo = atoms[i].lo, .hi = atoms[j - 1].hi};
            const char *name = kh_netpol__range_text(w->np->arena, &r);
            if (name) {
                ext_node(w, name);
                for (size_t k = 0; k < cls->nworkloads; k++) {
                    const char *wl = m->ids[cls->workloads[k]];
                    w->st.external_connections++;
                    edge(w, egress ? wl : name, egress ? name : wl, ps);
                }
            }
        }
        i = j;
    }
    free(atoms);
}

int kh_netpol_matrix(const kh_netpol *np, FILE *out, kh_netpol_format format,
                     kh_netpol_stats *stats, kh_error *err)
{
    const np_model *m = np->m;
    writer w = {.np = np, .out = out, .fmt = format, .first = true};
    np_range *atoms = NULL;
    size_t natoms = kh_netpol__atoms(m, &atoms);
    w.ev = kh_netpol__ids(np->m) == 0 ? kh_netpol__eval_new(m) : NULL;
    if (!w.ev || !atoms) {
        kh_netpol__eval_free(w.ev);
        free(atoms);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    w.st.workloads = m->nwl;
    w.st.classes = m->ncls;
    w.st.policies = m->npol;
    w.st.external = natoms;
    if (out && format == KH_NETPOL_JSON) {
        fputs("{\n  \"workloads\": [", out);
        for (size_t i = 0; i < m->nwl; i++) {
            const kh_object *o = kh_netpol__obj(m, (uint32_t)i);
            const np_class *c = &m->cls[m->wl[i].cls];
            fputs(i ? ",\n    {\"id\": " : "\n    {\"id\": ", out);
            put_json(out, m->ids[i]);
            fputs(", \"namespace\": ", out);
            put_json(out, c->ns);
            fputs(", \"kind\": ", out);
            put_json(out, o->kind);
            fputs(", \"name\": ", out);
            put_json(out, o->name);
            fprintf(out, ", \"ingressIsolated\": %s, \"egressIsolated\": %s}",
                    c->ap->in_iso ? "true" : "false", c->ap->eg_iso ? "true" : "false");
        }
        fputs(m->nwl ? "\n  ],\n  \"connections\": [" : "],\n  \"connections\": [", out);
    } else if (out && format == KH_NETPOL_CSV) {
        fputs("from,to,protocol,port,end_port\n", out);
    } else if (out && format == KH_NETPOL_DOT) {
        fputs("digraph netpol {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n"
              "  edge [fontsize=9];\n", out);
        for (size_t n = 0; n < m->nns; n++) {
            if (!m->ns[n].nworkloads)
                continue;
            fputs("  subgraph ", out);
            put_dot(out, kh_arena_printf(np->arena, "cluster_%s", m->ns[n].name));
            fputs(" {\n    label=", out);
            put_dot(out, m->ns[n].name);
            fputs(";\n", out);
            for (size_t i = 0; i < m->nwl; i++) {
                if (m->cls[m->wl[i].cls].nsi != n)
                    continue;
                fputs("    ", out);
                put_dot(out, m->ids[i]);
                fputs(" [label=", out);
                const kh_object *o = kh_netpol__obj(m, (uint32_t)i);
                put_dot(out, kh_arena_printf(np->arena, "%s/%s", o->kind, o->name));
                fputs("];\n", out);
            }
            fputs("  }\n", out);
        }
    }
    int rc = kh_netpol__pairs(w.ev, m, on_pair, &w);
    for (uint32_t c = 0; rc == 0 && c < m->ncls; c++) {
        external(&w, c, true);
        external(&w, c, false);
    }
    if (out && format == KH_NETPOL_JSON)
        fprintf(out, "%s],\n  \"summary\": {\"workloads\": %zu, \"classes\": %zu, "
                     "\"policies\": %zu, \"externalRanges\": %zu, \"connections\": %zu, "
                     "\"externalConnections\": %zu}\n}\n",
                w.first ? "" : "\n  ", w.st.workloads, w.st.classes, w.st.policies,
                w.st.external, w.st.connections, w.st.external_connections);
    else if (out && format == KH_NETPOL_DOT)
        fputs("}\n", out);
    else if (out && format == KH_NETPOL_TEXT)
        fprintf(out, "# %zu workloads (%zu classes), %zu policies: %zu connections between "
                     "workloads, %zu to or from %zu outside address ranges\n",
                w.st.workloads, w.st.classes, w.st.policies, w.st.connections,
                w.st.external_connections, w.st.external);
    kh_netpol__eval_free(w.ev);
    free(atoms);
    if (stats)
        *stats = w.st;
    if (rc != 0)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (out && ferror(out))
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "writing the matrix failed");
    return KH_OK;
}

/* ----------------------------------------------------------- can-reach */

typedef struct endpoint {
    int cls;                     /* -1: outside */
    uint8_t fam;
    unsigned __int128 addr;
    const char *id;
} endpoint;

static int find_endpoint(const kh_netpol *np, const char *text, endpoint *e, kh_error *err)
{
    const np_model *m = np->m;
    e->cls = -1;
    e->id = text;
    if (kh_netpol__parse_ip(text, &e->fam, &e->addr) == 0)
        return KH_OK;
    const char *s1 = strchr(text, '/');
    if (!s1)
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                            "'%s' is neither ns/kind/name, ns/name nor an IP address", text);
    const char *s2 = strchr(s1 + 1, '/');
    size_t found = 0;
    for (size_t i = 0; i < m->nwl; i++) {
        const np_workload *w = &m->wl[i];
        const kh_object *o = kh_netpol__obj(m, (uint32_t)i);
        const char *wns = m->cls[w->cls].ns;
        bool match = !s2 && strlen(wns) == (size_t)(s1 - text) &&
                     strncmp(wns, text, (size_t)(s1 - text)) == 0 &&
                     strcmp(o->name, s1 + 1) == 0;
        if (s2) {
            /* ns/kind/name; kinds compare without case: deployment is Deployment */
            size_t nl = strlen(wns), kl = strlen(o->kind);
            match = strncmp(text, wns, nl) == 0 && text[nl] == '/' &&
                    strncasecmp(text + nl + 1, o->kind, kl) == 0 &&
                    text[nl + 1 + kl] == '/' && strcmp(text + nl + 2 + kl, o->name) == 0;
        }
        if (match) {
            if (found++ && e->cls >= 0)
                return kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                                    "'%s' is ambiguous: '%s' and '%s' (use ns/kind/name)", text,
                                    e->id, kh_netpol__id(np->arena, m, (uint32_t)i));
            e->cls = (int)w->cls;
            e->id = kh_netpol__id(np->arena, m, (uint32_t)i);
        }
    }
    if (!found)
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0, "no workload '%s' in the input", text);
    return KH_OK;
}

/* The port query: a number or a name, then an optional /PROTO. */
static int parse_port(const char *text, int *proto, unsigned *num, const char **name,
                      kh_arena *a, kh_error *err)
{
    const char *slash = strchr(text, '/');
    char head[64];
    size_t hl = slash ? (size_t)(slash - text) : strlen(text);
    *proto = NP_TCP;
    *num = 0;
    *name = NULL;
    if (slash) {
        char up[8] = {0};
        for (size_t i = 0; slash[1 + i] && i < sizeof(up) - 1; i++)
            up[i] = (char)(slash[1 + i] >= 'a' && slash[1 + i] <= 'z' ? slash[1 + i] - 32
                                                                        : slash[1 + i]);
        if (strlen(slash + 1) >= sizeof(up) || (*proto = kh_netpol__proto(up)) < 0)
            return kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                                "unknown protocol in '%s' (use TCP, UDP or SCTP)", text);
    }
    if (hl == 0 || hl >= sizeof(head))
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0, "bad port '%s'", text);
    memcpy(head, text, hl);
    head[hl] = '\0';
    char *end;
    long v = strtol(head, &end, 10);
    if (!*end && head[0] >= '0' && head[0] <= '9') {
        if (v < 1 || v > 65535)
            return kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                                "port '%s' is not between 1 and 65535", text);
        *num = (unsigned)v;
    } else {
        *name = kh_arena_strdup(a, head);
    }
    return KH_OK;
}

static const char *rule_where(kh_arena *a, const np_rule *r)
{
    const kh_object *o = r->pol->obj;
    return kh_arena_printf(a, "%s/NetworkPolicy/%s %s%s[%zu]", kh_netpol__ns(o), o->name,
                           o->path_prefix, r->egress ? "spec.egress" : "spec.ingress", r->index);
}

/* One direction: the verdict and why. Returns the ports it allows. */
static uint32_t explain(const kh_netpol *np, np_eval *ev, FILE *out, const endpoint *self,
                        const endpoint *peer, bool egress, int proto, unsigned port,
                        const char *lead)
{
    const np_model *m = np->m;
    const char *dir = egress ? "egress" : "ingress";
    if (self->cls < 0) {
        fprintf(out, "%s  %s of %s: outside the cluster, no NetworkPolicy applies\n", lead, dir,
                self->id);
        return NP_PS_ALL;
    }
    const np_class *c = &m->cls[self->cls];
    bool iso = egress ? c->ap->eg_iso : c->ap->in_iso;
    if (!iso) {
        fprintf(out, "%s  %s of %s: allowed: no NetworkPolicy with policyType %s selects it\n",
                lead, dir, self->id, egress ? "Egress" : "Ingress");
        return NP_PS_ALL;
    }
    const np_class *dst = egress ? (peer->cls >= 0 ? &m->cls[peer->cls] : NULL) : c;
    uint32_t acc = NP_PS_NONE;
    size_t n = egress ? c->ap->neg : c->ap->nin;
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        const np_rule *r = egress ? c->ap->eg_rules[i] : c->ap->in_rules[i];
        bool ok = peer->cls >= 0 ? kh_netpol__rule_admits_class(r, (uint32_t)peer->cls)
                                 : kh_netpol__rule_admits_addr(r, peer->fam, peer->addr);
        if (!ok)
            continue;
        uint32_t ps = kh_netpol__rule_ports(ev, r, dst);
        if (ps == NP_PS_NONE || (port && !kh_netpol__ps_has(ev, ps, proto, port)))
            continue;
        acc = kh_netpol__ps_union(ev, acc, ps);
        fprintf(out, "%s  %s of %s: allowed by %s (%s)\n", lead, dir, self->id,
                rule_where(np->arena, r), kh_netpol__ps_text(ev, ps));
        shown++;
    }
    if (!shown) {
        fprintf(out, "%s  %s of %s: denied: isolated by", lead, dir, self->id);
        size_t k = 0;
        for (size_t i = 0; i < c->ap->npols; i++) {
            const np_policy *p = c->ap->pols[i];
            if (!(egress ? p->egress : p->ingress))
                continue;
            fprintf(out, "%s %s/NetworkPolicy/%s", k++ ? "," : "", p->ns, p->obj->name);
        }
        fprintf(out, "; no %s rule admits %s%s%s\n", dir, peer->id, port ? " on " : "",
                port ? kh_arena_printf(np->arena, "%s %u", proto_names[proto], port) : "");
    }
    return acc;
}

/* Decide and explain one pair; returns whether it is reachable. */
static bool decide(const kh_netpol *np, np_eval *ev, FILE *out, const endpoint *s,
                   const endpoint *d, int proto, unsigned num, const char *lead)
{
    const np_model *m = np->m;
    uint32_t eg = s->cls >= 0 ? kh_netpol__egress(ev, m, (uint32_t)s->cls, d->cls, d->fam, d->addr)
                              : NP_PS_ALL;
    uint32_t in = d->cls >= 0 ? kh_netpol__ingress(ev, m, (uint32_t)d->cls, s->cls, s->fam, s->addr)
                              : NP_PS_ALL;
    uint32_t both = kh_netpol__ps_inter(ev, eg, in);
    bool yes = num ? kh_netpol__ps_has(ev, both, proto, num) : both != NP_PS_NONE;
    if (num)
        fprintf(out, "%s%s: %s %s %s on %s %u\n", lead, yes ? "yes" : "no", s->id,
                yes ? "can reach" : "cannot reach", d->id, proto_names[proto], num);
    else
        fprintf(out, "%s%s: %s %s %s%s%s\n", lead, yes ? "yes" : "no", s->id,
                yes ? "can reach" : "cannot reach", d->id, yes ? " on " : "",
                yes ? kh_netpol__ps_text(ev, both) : "");
    explain(np, ev, out, s, d, true, proto, num, lead);
    explain(np, ev, out, d, s, false, proto, num, lead);
    return yes;
}

/* "ns/service/name" or "ns/svc/name": the Service, or NULL. */
static const kh_object *find_service(const kh_netpol *np, const char *text, bool *is_service)
{
    const char *s1 = strchr(text, '/');
    const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    *is_service = s2 && ((s2 - s1 - 1 == 7 && strncasecmp(s1 + 1, "service", 7) == 0) ||
                         (s2 - s1 - 1 == 3 && strncasecmp(s1 + 1, "svc", 3) == 0));
    if (!*is_service)
        return NULL;
    const kh_object *const *svcs;
    size_t n = kh_objset_by_kind(np->set, "Service", &svcs);
    for (size_t i = 0; i < n; i++) {
        const char *ns = kh_netpol__ns(svcs[i]);
        if (strlen(ns) == (size_t)(s1 - text) && strncmp(ns, text, (size_t)(s1 - text)) == 0 &&
            strcmp(svcs[i]->name, s2 + 1) == 0)
            return svcs[i];
    }
    return NULL;
}

/* A Service stands for its backends: the classes its selector matches in
 * its namespace, reached on each service port's targetPort (a number, a
 * container port name resolved per backend, or the port itself). */
static int reach_service(const kh_netpol *np, np_eval *ev, const endpoint *s,
                         const kh_object *svc, const char *port, FILE *out, bool *reachable,
                         kh_error *err)
{
    const np_model *m = np->m;
    const char *ns = kh_netpol__ns(svc);
    const char *svc_id = kh_arena_printf(np->arena, "Service %s/%s", ns, svc->name);
    const kh_node *spec = kh_node_get(svc->root, "spec");
    const kh_selector *sel = NULL;
    kh_selector_from_map(&sel, kh_node_get(spec, "selector"), np->arena, NULL);
    int qproto = NP_TCP;
    unsigned qnum = 0;
    const char *qname = NULL;
    if (port && parse_port(port, &qproto, &qnum, &qname, np->arena, err) != KH_OK)
        return err ? err->code : KH_EINVALID;
    const kh_node *ports = kh_node_get(spec, "ports");
    size_t matched = 0, reached = 0, tried = 0;
    /* The backends' details go below the verdict: gather them first. */
    FILE *final = out;
    char *detail = NULL;
    size_t detail_len = 0;
    out = open_memstream(&detail, &detail_len);
    if (!out)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; kh_node_is_seq(ports) && i < ports->len; i++) {
        const kh_node *sp = kh_node_at(ports, i);
        int64_t pnum = 0;
        kh_node_int(kh_node_get(sp, "port"), &pnum);
        const kh_node *pr = kh_node_get(sp, "protocol");
        int proto = kh_netpol__proto(kh_node_is_null(pr) ? NULL : kh_node_str(pr));
        const char *pname = kh_node_str(kh_node_get(sp, "name"));
        if (proto < 0 || (port && qnum && ((unsigned)pnum != qnum || proto != qproto)) ||
            (port && qname && (!pname || strcmp(pname, qname) != 0)))
            continue;
        matched++;
        const kh_node *tp = kh_node_get(sp, "targetPort");
        int64_t tnum = pnum;
        const char *tname = NULL;
        if (!kh_node_is_null(tp) && tp->type != KH_NODE_INT)
            tname = kh_node_str(tp);
        else if (!kh_node_is_null(tp))
            kh_node_int(tp, &tnum);
        for (uint32_t c = 0; c < m->ncls; c++) {
            const np_class *cls = &m->cls[c];
            if (strcmp(cls->ns, ns) != 0 || !sel || !kh_selector_matches(sel, cls->labels))
                continue;
            unsigned target = tname ? 0 : (unsigned)tnum;
            for (size_t k = 0; tname && k < cls->nports && !target; k++)
                if (cls->ports[k].name && cls->ports[k].proto == proto &&
                    strcmp(cls->ports[k].name, tname) == 0)
                    target = cls->ports[k].port;
            endpoint d = {.cls = (int)c, .id = kh_netpol__id(np->arena, m, cls->workloads[0])};
            tried++;
            fprintf(out, "  %s port %lld (%s) -> backend %s", svc_id, (long long)pnum,
                    proto_names[proto], d.id);
            if (!target) {
                fprintf(out, ": no container port named '%s'\n", tname);
                continue;
            }
            fprintf(out, " on %s %u\n", proto_names[proto], target);
            if (decide(np, ev, out, s, &d, proto, target, "  "))
                reached++;
        }
    }
    fclose(out);
    if (port && !matched) {
        free(detail);
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0, "%s has no port '%s'", svc_id, port);
    }
    *reachable = reached > 0;
    fprintf(final, "%s: %s %s %s (%zu of %zu backend ports reachable)\n%s",
            reached ? "yes" : "no", s->id, reached ? "can reach" : "cannot reach", svc_id,
            reached, tried, detail ? detail : "");
    free(detail);
    return KH_OK;
}

int kh_netpol_can_reach(const kh_netpol *np, const char *src, const char *dst,
                        const char *port, FILE *out, bool *reachable, kh_error *err)
{
    const np_model *m = np->m;
    endpoint s, d;
    int proto = NP_TCP;
    unsigned num = 0;
    const char *name = NULL;
    *reachable = false;
    int rc = find_endpoint(np, src, &s, err);
    bool is_service = false;
    const kh_object *svc = find_service(np, dst, &is_service);
    if (rc == KH_OK && is_service) {
        if (!svc)
            return kh_error_set(err, KH_EINVALID, NULL, 0, 0, "no Service '%s' in the input", dst);
        np_eval *ev = kh_netpol__eval_new(m);
        if (!ev)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        rc = reach_service(np, ev, &s, svc, port, out, reachable, err);
        kh_netpol__eval_free(ev);
        return rc;
    }
    if (rc == KH_OK)
        rc = find_endpoint(np, dst, &d, err);
    if (rc == KH_OK && port)
        rc = parse_port(port, &proto, &num, &name, np->arena, err);
    if (rc != KH_OK)
        return rc;
    if (s.cls < 0 && d.cls < 0)
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                            "'%s' and '%s' are both outside the cluster", src, dst);
    if (name) {
        /* A port name means the destination's container port. */
        const np_class *c = d.cls >= 0 ? &m->cls[d.cls] : NULL;
        for (size_t i = 0; c && i < c->nports && !num; i++)
            if (c->ports[i].name && c->ports[i].proto == proto &&
                strcmp(c->ports[i].name, name) == 0)
                num = c->ports[i].port;
        if (!num)
            return kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                                "'%s' has no container port named '%s' (%s)", d.id, name,
                                proto_names[proto]);
    }
    np_eval *ev = kh_netpol__eval_new(m);
    if (!ev)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    *reachable = decide(np, ev, out, &s, &d, proto, num, "");
    kh_netpol__eval_free(ev);
    return KH_OK;
}
