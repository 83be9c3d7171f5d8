/*
 * ha_sim.c -- failure simulation over the HA model (kubeharden/ha.h).
 *
 * A loss marks its nodes, then walks only the ready pods bound to them,
 * counting per workload, budget and Service (through each pod's links)
 * what it loses; the touched entries are judged (down, violated, without
 * endpoints), reported, and their counters reset from the touched lists.
 * So one simulation costs O(pods on the lost nodes + links), and ranking
 * every single node and zone (--worst) costs O(pods) in all, each pod
 * being walked once for its node and once for its zone.
 */
#include "kubeharden/ha.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/ha_model.h"
#include "report/report.h"
#include "scan/cluster.h"

struct kh_ha {
    kh_ha_model *m;
    unsigned char *lost;         /* per node: lost in this simulation */
    uint32_t *wl_lost, *bu_lost, *svc_lost; /* ready pods lost (fewer than pods) */
    uint32_t *tw, *tb, *ts;      /* touched workloads, budgets, Services */
    size_t ntw, ntb, nts;
    uint32_t *nodes;             /* the lost nodes */
    size_t nnodes;
};

const char *const *kh_ha_kinds(void)
{
    return kh_ha__kinds;
}

int kh_ha_load(kh_ha **out, kh_cluster *c, kh_error *err)
{
    kh_arena *a = kh_cluster__arena(c);
    kh_ha *ha = kh_arena_calloc(a, 1, sizeof(*ha));
    kh_ha_model *m = ha ? kh_ha__build(a, kh_cluster__objects(c)) : NULL;
    *out = NULL;
    if (!m)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    ha->m = m;
    ha->lost = kh_arena_calloc(a, m->nnodes + 1, 1);
    ha->wl_lost = kh_arena_calloc(a, m->nworkloads + 1, sizeof(uint32_t));
    ha->bu_lost = kh_arena_calloc(a, m->nbudgets + 1, sizeof(uint32_t));
    ha->svc_lost = kh_arena_calloc(a, m->nservices + 1, sizeof(uint32_t));
    ha->tw = kh_arena_alloc(a, (m->nworkloads + 1) * sizeof(uint32_t));
    ha->tb = kh_arena_alloc(a, (m->nbudgets + 1) * sizeof(uint32_t));
    ha->ts = kh_arena_alloc(a, (m->nservices + 1) * sizeof(uint32_t));
    ha->nodes = kh_arena_alloc(a, (m->nnodes + 1) * sizeof(uint32_t));
    if (!ha->lost || !ha->wl_lost || !ha->bu_lost || !ha->svc_lost || !ha->tw || !ha->tb ||
        !ha->ts || !ha->nodes)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    *out = ha;
    return 0;
}

void kh_ha_counts(const kh_ha *ha, size_t *nodes, size_t *zones, size_t *workloads,
                  size_t *pods)
{
    if (nodes)
        *nodes = ha->m->nnodes;
    if (zones)
        *zones = ha->m->nzones;
    if (workloads)
        *workloads = ha->m->nworkloads;
    if (pods)
        *pods = ha->m->npods;
}

int kh_ha_damage_is_outage(const kh_ha_damage *d)
{
    return d->workloads_down || d->services_down || d->etcd_quorum == 0 || d->apiserver == 0;
}

/* ------------------------------------------------------------- the core */

static bool counts_as_workload(const kh_ha_wl *w)
{
    return w->cls != KH_HA_WL_DAEMON;
}

static void lose_node(kh_ha *h, size_t n)
{
    if (h->lost[n])
        return;
    h->lost[n] = 1;
    h->nodes[h->nnodes++] = (uint32_t)n;
}

/* Count what the marked nodes' ready pods take away. */
static void apply(kh_ha *h, kh_ha_damage *d)
{
    const kh_ha_model *m = h->m;
    *d = (kh_ha_damage){.nodes_lost = h->nnodes};
    for (size_t i = 0; i < h->nnodes; i++) {
        const kh_ha_nodeinfo *node = &m->nodes[h->nodes[i]];
        for (size_t k = 0; k < node->npods; k++) {
            const kh_ha_pod *p = &m->pods[node->pods[k]];
            if (!p->ready)
                continue;
            d->pods_lost++;
            if (p->workload >= 0 && counts_as_workload(&m->workloads[p->workload]) &&
                h->wl_lost[p->workload]++ == 0)
                h->tw[h->ntw++] = (uint32_t)p->workload;
            for (const kh_ha_link *l = kh_ha__pod_budgets(m, node->pods[k]); l; l = l->next)
                if (h->bu_lost[l->idx]++ == 0)
                    h->tb[h->ntb++] = (uint32_t)l->idx;
            for (const kh_ha_link *l = kh_ha__pod_services(m, node->pods[k]); l; l = l->next)
                if (h->svc_lost[l->idx]++ == 0)
                    h->ts[h->nts++] = (uint32_t)l->idx;
        }
    }
}

static bool budget_judged(const kh_ha_budget *b)
{
    return b->sel && !b->failsafe && b->expected > 0;
}

static bool budget_violated(const kh_ha *h, size_t i)
{
    const kh_ha_budget *b = &h->m->budgets[i];
    return budget_judged(b) && b->healthy >= b->desired &&
           b->healthy - (int64_t)h->bu_lost[i] < b->desired;
}

static size_t members_up(const kh_ha *h)
{
    size_t up = 0;
    for (size_t i = 0; i < h->m->nmembers; i++)
        up += h->m->members[i].node < 0 || !h->lost[h->m->members[i].node];
    return up;
}

static size_t apiservers_up(const kh_ha *h)
{
    size_t up = 0;
    for (size_t i = 0; i < h->m->napiservers; i++)
        up += h->m->apiservers[i].node < 0 || !h->lost[h->m->apiservers[i].node];
    return up;
}

static void judge(kh_ha *h, kh_ha_damage *d)
{
    const kh_ha_model *m = h->m;
    for (size_t i = 0; i < h->ntw; i++) {
        const kh_ha_wl *w = &m->workloads[h->tw[i]];
        d->workloads_hit++;
        d->replicas_lost += h->wl_lost[h->tw[i]];
        d->workloads_down += w->ready == h->wl_lost[h->tw[i]];
    }
    for (size_t i = 0; i < h->ntb; i++)
        d->budgets_violated += budget_violated(h, h->tb[i]);
    for (size_t i = 0; i < h->nts; i++)
        d->services_down += m->services[h->ts[i]].endpoints == h->svc_lost[h->ts[i]];
    d->etcd_quorum = m->nmembers ? members_up(h) >= m->nmembers / 2 + 1 : -1;
    d->apiserver = m->napiservers ? apiservers_up(h) > 0 : -1;
}

static void reset(kh_ha *h)
{
    for (size_t i = 0; i < h->ntw; i++)
        h->wl_lost[h->tw[i]] = 0;
    for (size_t i = 0; i < h->ntb; i++)
        h->bu_lost[h->tb[i]] = 0;
    for (size_t i = 0; i < h->nts; i++)
        h->svc_lost[h->ts[i]] = 0;
    for (size_t i = 0; i < h->nnodes; i++)
        h->lost[h->nodes[i]] = 0;
    h->ntw = h->ntb = h->nts = h->nnodes = 0;
}

/* Mark what @p lose names. */
static int mark(kh_ha *h, const char *const *lose, size_t nlose, kh_error *err)
{
    for (size_t i = 0; i < nlose; i++) {
        const char *s = lose[i];
        while (s && *s) {
            size_t len = strcspn(s, ",");
            char item[512];
            if (len >= sizeof(item)) {
                reset(h);
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "loss too long: '%.40s...'", s);
            }
            memcpy(item, s, len);
            item[len] = '\0';
            s += len + (s[len] == ',');
            if (len == 0)
                continue;
            const char *eq = strchr(item, '=');
            const char *name = eq ? eq + 1 : NULL;
            bool node = eq && (size_t)(eq - item) == 4 && strncmp(item, "node", 4) == 0;
            bool zone = eq && (size_t)(eq - item) == 4 && strncmp(item, "zone", 4) == 0;
            if ((!node && !zone) || !*name) {
                reset(h);
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                    "bad loss '%s': expected node=NAME or zone=NAME", item);
            }
            long at = node ? kh_ha__node_find(h->m, name) : kh_ha__zone_find(h->m, name);
            if (at < 0) {
                reset(h);
                return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                    "unknown %s '%s': no %s in the input", node ? "node" : "zone",
                                    name,
                                    node ? "Node object or pod bound to it"
                                         : "Node labelled with that zone");
            }
            if (node)
                lose_node(h, (size_t)at);
            else
                for (size_t k = 0; k < h->m->zones[at].nnodes; k++)
                    lose_node(h, h->m->zones[at].nodes[k]);
        }
    }
    return 0;
}

int kh_ha_simulate(kh_ha *ha, const char *const *lose, size_t nlose, kh_ha_damage *out,
                   kh_error *err)
{
    kh_ha_damage d;
    int rc = mark(ha, lose, nlose, err);
    if (rc)
        return rc;
    apply(ha, &d);
    judge(ha, &d);
    reset(ha);
    if (out)
        *out = d;
    return 0;
}

/* --------------------------------------------------------------- output */

static int cmp_index(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static const char *zone_of(const kh_ha_model *m, size_t node)
{
    long z = m->nodes[node].zone_id;
    return z >= 0 ? m->zones[z].name : NULL;
}

static unsigned long long nonneg(int64_t v)
{
    return v < 0 ? 0 : (unsigned long long)v;
}

static void text_label(FILE *out, const char *kind, const char *ns, const char *name)
{
    fprintf(out, "%s/%s%s%s", kind, ns, *ns ? "/" : "", name);
}

static void write_text(kh_ha *h, const char *const *lose, size_t nlose, const kh_ha_damage *d,
                       FILE *out)
{
    const kh_ha_model *m = h->m;
    fputs("Losing ", out);
    for (size_t i = 0; i < nlose; i++)
        fprintf(out, "%s%s", i ? ", " : "", lose[i]);
    fprintf(out, ": %zu of %zu node%s, %zu ready pod%s\n", d->nodes_lost, m->nnodes,
            m->nnodes == 1 ? "" : "s", d->pods_lost, d->pods_lost == 1 ? "" : "s");
    for (size_t i = 0; i < h->nnodes; i++) {
        const char *z = zone_of(m, h->nodes[i]);
        fprintf(out, "  node %s%s%s%s\n", m->nodes[h->nodes[i]].name, z ? " (zone " : "",
                z ? z : "", z ? ")" : "");
    }
    size_t judged = 0;
    for (size_t i = 0; i < m->nworkloads; i++)
        judged += counts_as_workload(&m->workloads[i]);
    fprintf(out, "\nWorkloads that lose ready replicas: %zu of %zu\n", h->ntw, judged);
    for (size_t i = 0; i < h->ntw; i++) {
        kh_ha_workload w = kh_ha__workload(m, h->tw[i]);
        size_t left = w.ready - h->wl_lost[h->tw[i]];
        fputs("  ", out);
        text_label(out, w.kind, w.namespace_, w.name);
        fprintf(out, ": %zu -> %zu ready of %lld%s\n", w.ready, left, (long long)w.replicas,
                left == 0 ? "  DOWN" : "");
    }
    fprintf(out, "\nPodDisruptionBudgets violated: %zu\n", d->budgets_violated);
    for (size_t i = 0; i < h->ntb; i++) {
        const kh_ha_budget *b = &m->budgets[h->tb[i]];
        if (!budget_violated(h, h->tb[i]))
            continue;
        fputs("  ", out);
        text_label(out, "PodDisruptionBudget", b->obj->namespace_, b->obj->name);
        fprintf(out, ": %lld -> %lld healthy, %lld required\n", (long long)b->healthy,
                (long long)(b->healthy - (int64_t)h->bu_lost[h->tb[i]]), (long long)b->desired);
    }
    fprintf(out, "\nServices left without endpoints: %zu\n", d->services_down);
    for (size_t i = 0; i < h->nts; i++) {
        const kh_ha_service *s = &m->services[h->ts[i]];
        if (s->endpoints != h->svc_lost[h->ts[i]])
            continue;
        fputs("  ", out);
        text_label(out, "Service", s->obj->namespace_, s->obj->name);
        fprintf(out, ": %zu -> 0 ready endpoints\n", s->endpoints);
    }
    fputc('\n', out);
    if (d->etcd_quorum < 0)
        fputs("etcd: no member in the input\n", out);
    else
        fprintf(out, "etcd: %zu of %zu members left, quorum %zu: %s\n", members_up(h),
                m->nmembers, m->nmembers / 2 + 1, d->etcd_quorum ? "kept" : "LOST");
    if (d->apiserver < 0)
        fputs("API server: no endpoint in the input\n", out);
    else
        fprintf(out, "API server: %zu of %zu endpoints left: %s\n", apiservers_up(h),
                m->napiservers, d->apiserver ? "reachable" : "UNREACHABLE");
}

static void json_damage(kh_jw *w, const kh_ha_damage *d)
{
    kh_jw__uint(w, "nodes_lost", d->nodes_lost);
    kh_jw__uint(w, "pods_lost", d->pods_lost);
    kh_jw__uint(w, "workloads_hit", d->workloads_hit);
    kh_jw__uint(w, "workloads_down", d->workloads_down);
    kh_jw__uint(w, "replicas_lost", d->replicas_lost);
    kh_jw__uint(w, "budgets_violated", d->budgets_violated);
    kh_jw__uint(w, "services_down", d->services_down);
    if (d->etcd_quorum < 0)
        kh_jw__null(w, "etcd_quorum");
    else
        kh_jw__bool(w, "etcd_quorum", d->etcd_quorum);
    if (d->apiserver < 0)
        kh_jw__null(w, "apiserver_reachable");
    else
        kh_jw__bool(w, "apiserver_reachable", d->apiserver);
}

static void write_json(kh_ha *h, const char *const *lose, size_t nlose, const kh_ha_damage *d,
                       FILE *out)
{
    const kh_ha_model *m = h->m;
    kh_jw w;
    kh_jw__init(&w, out, 0);
    kh_jw__open(&w, NULL, '{');
    kh_jw__open(&w, "lose", '[');
    for (size_t i = 0; i < nlose; i++)
        kh_jw__str(&w, NULL, lose[i]);
    kh_jw__close(&w, ']');
    kh_jw__open(&w, "nodes_lost", '[');
    for (size_t i = 0; i < h->nnodes; i++) {
        kh_jw__open(&w, NULL, '{');
        kh_jw__str(&w, "name", m->nodes[h->nodes[i]].name);
        if (zone_of(m, h->nodes[i]))
            kh_jw__str(&w, "zone", zone_of(m, h->nodes[i]));
        else
            kh_jw__null(&w, "zone");
        kh_jw__close(&w, '}');
    }
    kh_jw__close(&w, ']');
    kh_jw__open(&w, "summary", '{');
    json_damage(&w, d);
    kh_jw__close(&w, '}');
    kh_jw__open(&w, "workloads", '[');
    for (size_t i = 0; i < m->nworkloads; i++) {
        if (!counts_as_workload(&m->workloads[i]))
            continue;
        kh_ha_workload wv = kh_ha__workload(m, i);
        const kh_ha_workload *wl = &wv;
        size_t left = wl->ready - h->wl_lost[i];
        kh_jw__open(&w, NULL, '{');
        kh_jw__str(&w, "kind", wl->kind);
        kh_jw__str(&w, "namespace", wl->namespace_);
        kh_jw__str(&w, "name", wl->name);
        kh_jw__uint(&w, "replicas", nonneg(wl->replicas));
        kh_jw__uint(&w, "ready_before", wl->ready);
        kh_jw__uint(&w, "ready_after", left);
        kh_jw__bool(&w, "down", wl->ready > 0 && left == 0);
        kh_jw__close(&w, '}');
    }
    kh_jw__close(&w, ']');
    kh_jw__open(&w, "budgets", '[');
    for (size_t i = 0; i < m->nbudgets; i++) {
        const kh_ha_budget *b = &m->budgets[i];
        kh_jw__open(&w, NULL, '{');
        kh_jw__str(&w, "namespace", b->obj->namespace_);
        kh_jw__str(&w, "name", b->obj->name);
        kh_jw__uint(&w, "expected_pods", nonneg(b->expected));
        kh_jw__uint(&w, "desired_healthy", nonneg(b->desired));
        kh_jw__uint(&w, "healthy_before", nonneg(b->healthy));
        kh_jw__uint(&w, "healthy_after", nonneg(b->healthy - (int64_t)h->bu_lost[i]));
        kh_jw__bool(&w, "judged", budget_judged(b));
        kh_jw__bool(&w, "violated", budget_violated(h, i));
        kh_jw__close(&w, '}');
    }
    kh_jw__close(&w, ']');
    kh_jw__open(&w, "services", '[');
    for (size_t i = 0; i < m->nservices; i++) {
        const kh_ha_service *s = &m->services[i];
        if (!s->sel)
            continue;
        kh_jw__open(&w, NULL, '{');
        kh_jw__str(&w, "namespace", s->obj->namespace_);
        kh_jw__str(&w, "name", s->obj->name);
        kh_jw__uint(&w, "endpoints_before", s->endpoints);
        kh_jw__uint(&w, "endpoints_after", s->endpoints - h->svc_lost[i]);
        kh_jw__bool(&w, "down", s->endpoints > 0 && s->endpoints == h->svc_lost[i]);
        kh_jw__close(&w, '}');
    }
    kh_jw__close(&w, ']');
    if (m->nmembers) {
        kh_jw__open(&w, "etcd", '{');
        kh_jw__uint(&w, "members", m->nmembers);
        kh_jw__uint(&w, "members_left", members_up(h));
        kh_jw__uint(&w, "quorum", m->nmembers / 2 + 1);
        kh_jw__bool(&w, "quorum_kept", d->etcd_quorum == 1);
        kh_jw__close(&w, '}');
    } else
        kh_jw__null(&w, "etcd");
    if (m->napiservers) {
        kh_jw__open(&w, "apiserver", '{');
        kh_jw__uint(&w, "endpoints", m->napiservers);
        kh_jw__uint(&w, "endpoints_left", apiservers_up(h));
        kh_jw__bool(&w, "reachable", d->apiserver == 1);
        kh_jw__close(&w, '}');
    } else
        kh_jw__null(&w, "apiserver");
    kh_jw__close(&w, '}');
    fputc('\n', out);
}

static int finish_output(FILE *dst, kh_error *err)
{
    if (fflush(dst) != 0 || ferror(dst))
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the simulation");
    return 0;
}

int kh_ha_simulate_write(kh_ha *ha, const char *const *lose, size_t nlose, kh_format fmt,
                         FILE *dst, kh_ha_damage *out, kh_error *err)
{
    if (fmt != KH_FORMAT_TEXT && fmt != KH_FORMAT_JSON)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "a simulation is written as text or json");
    kh_ha_damage d;
    int rc = mark(ha, lose, nlose, err);
    if (rc)
        return rc;
    apply(ha, &d);
    judge(ha, &d);
    /* Input order, whatever order the pods were walked in. */
    qsort(ha->tw, ha->ntw, sizeof(uint32_t), cmp_index);
    qsort(ha->tb, ha->ntb, sizeof(uint32_t), cmp_index);
    qsort(ha->ts, ha->nts, sizeof(uint32_t), cmp_index);
    if (fmt == KH_FORMAT_TEXT)
        write_text(ha, lose, nlose, &d, dst);
    else
        write_json(ha, lose, nlose, &d, dst);
    reset(ha);
    if (out)
        *out = d;
    return finish_output(dst, err);
}

/* -------------------------------------------------------------- --worst */

typedef struct ranked {
    bool zone;
    size_t idx;                  /* node or zone */
    const char *name;
    kh_ha_damage d;
} ranked;

/* More damage first: API server, etcd, then the counts. */
static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
#define MORE(x, y) if ((x) != (y)) return (x) > (y) ? -1 : 1
    MORE(a->d.apiserver == 0, b->d.apiserver == 0);
    MORE(a->d.etcd_quorum == 0, b->d.etcd_quorum == 0);
    MORE(a->d.workloads_down, b->d.workloads_down);
    MORE(a->d.services_down, b->d.services_down);
    MORE(a->d.budgets_violated, b->d.budgets_violated);
    MORE(a->d.replicas_lost, b->d.replicas_lost);
    MORE(a->d.pods_lost, b->d.pods_lost);
    MORE(a->zone, b->zone);
#undef MORE
    return strcmp(a->name, b->name);
}

static const char *tri(int v, const char *yes, const char *no)
{
    return v < 0 ? "-" : v ? yes : no;
}

int kh_ha_worst_write(kh_ha *ha, kh_format fmt, size_t top, FILE *dst, kh_ha_damage *worst,
                      kh_error *err)
{
    if (fmt != KH_FORMAT_TEXT && fmt != KH_FORMAT_JSON)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "a ranking is written as text or json");
    const kh_ha_model *m = ha->m;
    size_t n = m->nnodes + m->nzones;
    ranked *r = malloc((n ? n : 1) * sizeof(*r));
    if (!r)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ranked *e = &r[i];
        e->zone = i >= m->nnodes;
        e->idx = e->zone ? i - m->nnodes : i;
        e->name = e->zone ? m->zones[e->idx].name : m->nodes[e->idx].name;
        if (e->zone)
            for (size_t k = 0; k < m->zones[e->idx].nnodes; k++)
                lose_node(ha, m->zones[e->idx].nodes[k]);
        else
            lose_node(ha, e->idx);
        apply(ha, &e->d);
        judge(ha, &e->d);
        reset(ha);
    }
    qsort(r, n, sizeof(*r), cmp_ranked);
    size_t shown = top && top < n ? top : n;
    if (fmt == KH_FORMAT_TEXT) {
        fprintf(dst, "%zu node%s and %zu zone%s, ranked by the damage their loss does\n\n",
                m->nnodes, m->nnodes == 1 ? "" : "s", m->nzones, m->nzones == 1 ? "" : "s");
        fprintf(dst, "%4s  %-32s %5s %5s %5s %9s %6s %6s %10s\n", "RANK", "LOSE", "DOWN",
                "NOEP", "PDBS", "REPLICAS", "PODS", "ETCD", "APISERVER");
        for (size_t i = 0; i < shown; i++) {
            char what[512];
            snprintf(what, sizeof(what), "%s=%s", r[i].zone ? "zone" : "node", r[i].name);
            fprintf(dst, "%4zu  %-32s %5zu %5zu %5zu %9zu %6zu %6s %10s\n", i + 1, what,
                    r[i].d.workloads_down, r[i].d.services_down, r[i].d.budgets_violated,
                    r[i].d.replicas_lost, r[i].d.pods_lost, tri(r[i].d.etcd_quorum, "kept", "LOST"),
                    tri(r[i].d.apiserver, "up", "DOWN"));
        }
        if (shown < n)
            fprintf(dst, "(%zu more)\n", n - shown);
    } else {
        kh_jw w;
        kh_jw__init(&w, dst, 0);
        kh_jw__open(&w, NULL, '{');
        kh_jw__uint(&w, "nodes", m->nnodes);
        kh_jw__uint(&w, "zones", m->nzones);
        kh_jw__open(&w, "ranking", '[');
        for (size_t i = 0; i < shown; i++) {
            kh_jw__open(&w, NULL, '{');
            kh_jw__uint(&w, "rank", i + 1);
            kh_jw__str(&w, r[i].zone ? "zone" : "node", r[i].name);
            json_damage(&w, &r[i].d);
            kh_jw__close(&w, '}');
        }
        kh_jw__close(&w, ']');
        kh_jw__close(&w, '}');
        fputc('\n', dst);
    }
    if (worst)
        *worst = n ? r[0].d : (kh_ha_damage){.etcd_quorum = -1, .apiserver = -1};
    free(r);
    return finish_output(dst, err);
}
