/*
 * netpol_eval.c -- what the NetworkPolicy model allows: port sets, each
 * direction of a connection, the address atoms outside the cluster and
 * the class-to-class matrix.
 *
 * A port set is a sorted list of disjoint intervals over proto<<16 | port,
 * interned (equal sets share an id), with unions and intersections
 * memoised by id pair: a matrix over thousands of classes combines only a
 * handful of distinct sets. A connection is allowed on the ports both the
 * source's egress and the destination's ingress allow; a side no policy
 * isolates in that direction allows everything, a side outside the
 * cluster has no policy at all.
 */
#include "analysis/netpol.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

typedef struct ps_ref {
    uint32_t off, n;             /* n intervals at pool[off .. off + 2n) */
} ps_ref;

struct np_eval {
    const np_model *m;
    uint32_t *pool;
    size_t npool, cappool;
    ps_ref *sets;
    size_t nsets, capsets;
    uint32_t *tab;               /* id + 1 per slot, 0 empty */
    size_t captab;
    uint64_t *mkeys;             /* memo: key + 1, 0 empty */
    uint32_t *mvals;
    size_t mcap, mn;
    struct rp_slot {             /* rule ports: (rule, class + 1) -> set + 1 */
        const np_rule *rule;
        uint32_t cls, ps;
    } *rp;
    size_t rpcap, rpn;
    uint32_t *tmp;
    size_t captmp;
    char *text;
    size_t captext;
    bool oom;
};

static uint64_t hash_iv(const uint32_t *iv, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ n;
    for (size_t i = 0; i < 2 * n; i++)
        h = (h ^ iv[i]) * 1099511628211ull;
    return h;
}

static int tab_grow(np_eval *ev)
{
    size_t cap = ev->captab ? ev->captab * 2 : 256;
    uint32_t *tab = calloc(cap, sizeof(*tab));
    if (!tab)
        return -1;
    for (size_t id = 0; id < ev->nsets; id++) {
        const ps_ref *r = &ev->sets[id];
        size_t j = hash_iv(ev->pool + r->off, r->n) & (cap - 1);
        while (tab[j])
            j = (j + 1) & (cap - 1);
        tab[j] = (uint32_t)id + 1;
    }
    free(ev->tab);
    ev->tab = tab;
    ev->captab = cap;
    return 0;
}

/* The id of the set of @p n intervals @p iv (sorted, disjoint). */
static uint32_t intern(np_eval *ev, const uint32_t *iv, size_t n)
{
    if ((ev->nsets + 1) * 2 > ev->captab && tab_grow(ev) != 0)
        goto oom;
    uint64_t h = hash_iv(iv, n);
    size_t j = h & (ev->captab - 1);
    while (ev->tab[j]) {
        const ps_ref *r = &ev->sets[ev->tab[j] - 1];
        if (r->n == n && memcmp(ev->pool + r->off, iv, 2 * n * sizeof(*iv)) == 0)
            return ev->tab[j] - 1;
        j = (j + 1) & (ev->captab - 1);
    }
    if (ev->npool + 2 * n > ev->cappool) {
        size_t cap = (ev->npool + 2 * n) * 2;
        uint32_t *p = realloc(ev->pool, cap * sizeof(*p));
        if (!p)
            goto oom;
        ev->pool = p;
        ev->cappool = cap;
    }
    if (ev->nsets == ev->capsets) {
        size_t cap = ev->capsets ? ev->capsets * 2 : 64;
        ps_ref *s = realloc(ev->sets, cap * sizeof(*s));
        if (!s)
            goto oom;
        ev->sets = s;
        ev->capsets = cap;
    }
    memcpy(ev->pool + ev->npool, iv, 2 * n * sizeof(*iv));
    ev->sets[ev->nsets] = (ps_ref){(uint32_t)ev->npool, (uint32_t)n};
    ev->npool += 2 * n;
    ev->tab[j] = (uint32_t)ev->nsets + 1;
    return (uint32_t)ev->nsets++;
oom:
    ev->oom = true;
    return NP_PS_NONE;
}

np_eval *kh_netpol__eval_new(const np_model *m)
{
    np_eval *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->m = m;
    /* Never NULL, so the empty set's zero-length copies have a base. */
    ev->pool = malloc(64 * sizeof(*ev->pool));
    ev->cappool = ev->pool ? 64 : 0;
    uint32_t all[2 * NP_NPROTO];
    for (int p = 0; p < NP_NPROTO; p++) {
        all[2 * p] = (uint32_t)p << 16 | 1;
        all[2 * p + 1] = (uint32_t)p << 16 | 65535;
    }
    if (!ev->pool || intern(ev, all, 0) != NP_PS_NONE || intern(ev, all, NP_NPROTO) != NP_PS_ALL ||
        ev->oom) {
        kh_netpol__eval_free(ev);
        return NULL;
    }
    return ev;
}

void kh_netpol__eval_free(np_eval *ev)
{
    if (!ev)
        return;
    free(ev->pool);
    free(ev->sets);
    free(ev->tab);
    free(ev->mkeys);
    free(ev->mvals);
    free(ev->rp);
    free(ev->tmp);
    free(ev->text);
    free(ev);
}

static uint32_t *tmp(np_eval *ev, size_t n)
{
    if (n > ev->captmp) {
        uint32_t *p = realloc(ev->tmp, n * 2 * sizeof(*p));
        if (!p) {
            ev->oom = true;
            return NULL;
        }
        ev->tmp = p;
        ev->captmp = n * 2;
    }
    return ev->tmp;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static bool memo_get(np_eval *ev, uint64_t key, uint32_t *out)
{
    if (!ev->mcap)
        return false;
    size_t j = mix(key) & (ev->mcap - 1);
    while (ev->mkeys[j]) {
        if (ev->mkeys[j] == key + 1) {
            *out = ev->mvals[j];
            return true;
        }
        j = (j + 1) & (ev->mcap - 1);
    }
    return false;
}

static void memo_put(np_eval *ev, uint64_t key, uint32_t val)
{
    if ((ev->mn + 1) * 2 > ev->mcap) {
        size_t cap = ev->mcap ? ev->mcap * 2 : 1024;
        uint64_t *k = calloc(cap, sizeof(*k));
        uint32_t *v = calloc(cap, sizeof(*v));
        if (!k || !v) {
            free(k);
            free(v);
            return; /* the memo is only a cache */
        }
        for (size_t i = 0; i < ev->mcap; i++) {
            if (!ev->mkeys[i])
                continue;
            size_t j = mix(ev->mkeys[i] - 1) & (cap - 1);
            while (k[j])
                j = (j + 1) & (cap - 1);
            k[j] = ev->mkeys[i];
            v[j] = ev->mvals[i];
        }
        free(ev->mkeys);
        free(ev->mvals);
        ev->mkeys = k;
        ev->mvals = v;
        ev->mcap = cap;
    }
    size_t j = mix(key) & (ev->mcap - 1);
    while (ev->mkeys[j])
        j = (j + 1) & (ev->mcap - 1);
    ev->mkeys[j] = key + 1;
    ev->mvals[j] = val;
    ev->mn++;
}

static uint32_t combine(np_eval *ev, uint32_t a, uint32_t b, int inter)
{
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    uint64_t key = (uint64_t)a << 33 | (uint64_t)b << 1 | (uint64_t)inter;
    uint32_t id;
    if (memo_get(ev, key, &id))
        return id;
    ps_ref ra = ev->sets[a], rb = ev->sets[b];
    uint32_t *out = tmp(ev, 2 * (ra.n + rb.n) + 2);
    if (!out)
        return NP_PS_NONE;
    /* The pool may move while interning: read through offsets. */
    const uint32_t *x = ev->pool + ra.off, *y = ev->pool + rb.off;
    size_t i = 0, j = 0, n = 0;
    if (inter) {
        while (i < ra.n && j < rb.n) {
            uint32_t lo = x[2 * i] > y[2 * j] ? x[2 * i] : y[2 * j];
            uint32_t hi = x[2 * i + 1] < y[2 * j + 1] ? x[2 * i + 1] : y[2 * j + 1];
            if (lo <= hi) {
                out[2 * n] = lo;
                out[2 * n + 1] = hi;
                n++;
            }
            if (x[2 * i + 1] < y[2 * j + 1])
                i++;
            else
                j++;
        }
    } else {
        while (i < ra.n || j < rb.n) {
            const uint32_t *next;
            if (j >= rb.n || (i < ra.n && x[2 * i] <= y[2 * j]))
                next = &x[2 * i++];
            else
                next = &y[2 * j++];
            /* Adjacent intervals of one protocol merge. */
            if (n && next[0] <= out[2 * n - 1] + 1 && (next[0] >> 16) == (out[2 * n - 1] >> 16)) {
                if (next[1] > out[2 * n - 1])
                    out[2 * n - 1] = next[1];
            } else {
                out[2 * n] = next[0];
                out[2 * n + 1] = next[1];
                n++;
            }
        }
    }
    id = intern(ev, out, n);
    memo_put(ev, key, id);
    return id;
}

uint32_t kh_netpol__ps_union(np_eval *ev, uint32_t a, uint32_t b)
{
    if (a == b || b == NP_PS_NONE || a == NP_PS_ALL)
        return a;
    if (a == NP_PS_NONE || b == NP_PS_ALL)
        return b;
    return combine(ev, a, b, 0);
}

uint32_t kh_netpol__ps_inter(np_eval *ev, uint32_t a, uint32_t b)
{
    if (a == b || b == NP_PS_ALL || a == NP_PS_NONE)
        return a;
    if (b == NP_PS_NONE || a == NP_PS_ALL)
        return b;
    return combine(ev, a, b, 1);
}

static int cmp_iv(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

static uint32_t rule_ports(np_eval *ev, const np_rule *r, const np_class *dst);

static size_t rp_hash(const np_rule *r, uint32_t cls, size_t cap)
{
    uint64_t k = (uint64_t)(uintptr_t)r * 0x9e3779b97f4a7c15ull ^ cls;
    k ^= k >> 29;
    k *= 0xbf58476d1ce4e5b9ull;
    return (size_t)(k ^ (k >> 32)) & (cap - 1);
}

/* Cached per rule, and per destination class when the rule names ports
 * (named ports resolve per destination). */
uint32_t kh_netpol__rule_ports(np_eval *ev, const np_rule *r, const np_class *dst)
{
    if (r->nports == 0)
        return NP_PS_ALL;
    bool named = false;
    for (size_t i = 0; i < r->nports && !named; i++)
        named = r->ports[i].kind == NP_PORT_NAMED;
    uint32_t cls = named && dst ? (uint32_t)(dst - ev->m->cls) + 1 : 0;
    if (ev->rpcap) {
        for (size_t j = rp_hash(r, cls, ev->rpcap); ev->rp[j].rule; j = (j + 1) & (ev->rpcap - 1))
            if (ev->rp[j].rule == r && ev->rp[j].cls == cls)
                return ev->rp[j].ps;
    }
    uint32_t ps = rule_ports(ev, r, dst);
    if ((ev->rpn + 1) * 2 > ev->rpcap) {
        size_t cap = ev->rpcap ? ev->rpcap * 2 : 256;
        struct rp_slot *t = calloc(cap, sizeof(*t));
        if (!t)
            return ps; /* only a cache */
        for (size_t i = 0; i < ev->rpcap; i++) {
            if (!ev->rp[i].rule)
                continue;
            size_t j = rp_hash(ev->rp[i].rule, ev->rp[i].cls, cap);
            while (t[j].rule)
                j = (j + 1) & (cap - 1);
            t[j] = ev->rp[i];
        }
        free(ev->rp);
        ev->rp = t;
        ev->rpcap = cap;
    }
    size_t j = rp_hash(r, cls, ev->rpcap);
    while (ev->rp[j].rule)
        j = (j + 1) & (ev->rpcap - 1);
    ev->rp[j] = (struct rp_slot){r, cls, ps};
    ev->rpn++;
    return ps;
}

static uint32_t rule_ports(np_eval *ev, const np_rule *r, const np_class *dst)
{
    size_t cap = 0;
    for (size_t i = 0; i < r->nports; i++)
        cap += r->ports[i].kind == NP_PORT_NAMED ? (dst ? dst->nports : 0) : 1;
    uint32_t *iv = tmp(ev, 2 * cap + 2);
    if (!iv)
        return NP_PS_NONE;
    size_t n = 0;
    for (size_t i = 0; i < r->nports; i++) {
        const np_portspec *ps = &r->ports[i];
        uint32_t base = (uint32_t)ps->proto << 16;
        if (ps->kind == NP_PORT_ALL) {
            iv[2 * n] = base | 1;
            iv[2 * n + 1] = base | 65535;
            n++;
        } else if (ps->kind == NP_PORT_RANGE) {
            iv[2 * n] = base | ps->lo;
            iv[2 * n + 1] = base | ps->hi;
            n++;
        } else {
            /* A named port means the destination's container port of that
             * name and protocol: it can differ from pod to pod. */
            for (size_t k = 0; dst && k < dst->nports; k++)
                if (dst->ports[k].name && dst->ports[k].proto == ps->proto &&
                    strcmp(dst->ports[k].name, ps->name) == 0) {
                    iv[2 * n] = iv[2 * n + 1] = base | dst->ports[k].port;
                    n++;
                }
        }
    }
    qsort(iv, n, 2 * sizeof(*iv), cmp_iv);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && iv[2 * i] <= iv[2 * k - 1] + 1 && (iv[2 * i] >> 16) == (iv[2 * k - 1] >> 16)) {
            if (iv[2 * i + 1] > iv[2 * k - 1])
                iv[2 * k - 1] = iv[2 * i + 1];
        } else {
            iv[2 * k] = iv[2 * i];
            iv[2 * k + 1] = iv[2 * i + 1];
            k++;
        }
    }
    return intern(ev, iv, k);
}

uint32_t kh_netpol__ps_range(np_eval *ev, int proto, unsigned lo, unsigned hi)
{
    uint32_t iv[2] = {(uint32_t)proto << 16 | lo, (uint32_t)proto << 16 | hi};
    return intern(ev, iv, 1);
}

bool kh_netpol__ps_has(const np_eval *ev, uint32_t ps, int proto, unsigned port)
{
    const ps_ref *r = &ev->sets[ps];
    uint32_t code = (uint32_t)proto << 16 | port;
    for (size_t i = 0; i < r->n; i++)
        if (ev->pool[r->off + 2 * i] <= code && code <= ev->pool[r->off + 2 * i + 1])
            return true;
    return false;
}

size_t kh_netpol__ps_intervals(const np_eval *ev, uint32_t ps, const uint32_t **iv)
{
    *iv = ev->pool + ev->sets[ps].off;
    return ev->sets[ps].n;
}

static const char *const proto_names[] = {"TCP", "UDP", "SCTP"};

const char *kh_netpol__ps_text(np_eval *ev, uint32_t ps)
{
    if (ps == NP_PS_ALL)
        return "all ports";
    if (ps == NP_PS_NONE)
        return "none";
    const ps_ref *r = &ev->sets[ps];
    size_t need = 16 + r->n * 16;
    if (need > ev->captext) {
        char *t = realloc(ev->text, need);
        if (!t)
            return "?";
        ev->text = t;
        ev->captext = need;
    }
    size_t used = 0;
    int last = -1;
    for (size_t i = 0; i < r->n; i++) {
        uint32_t lo = ev->pool[r->off + 2 * i], hi = ev->pool[r->off + 2 * i + 1];
        int proto = (int)(lo >> 16);
        const char *sep = last == proto ? "," : last < 0 ? "" : "; ";
        if (last != proto)
            used += (size_t)snprintf(ev->text + used, need - used, "%s%s ", sep,
                                     proto_names[proto]);
        else
            used += (size_t)snprintf(ev->text + used, need - used, "%s", sep);
        lo &= 0xffff;
        hi &= 0xffff;
        if (lo == 1 && hi == 65535)
            used += (size_t)snprintf(ev->text + used, need - used, "all");
        else if (lo == hi)
            used += (size_t)snprintf(ev->text + used, need - used, "%u", lo);
        else
            used += (size_t)snprintf(ev->text + used, need - used, "%u-%u", lo, hi);
        last = proto;
    }
    return ev->text;
}

/* ---------------------------------------------------------- directions */

bool kh_netpol__rule_admits_class(const np_rule *r, uint32_t c)
{
    return r->all_peers || kh_netpol__has(r->classes, r->nclasses, c);
}

bool kh_netpol__rule_admits_addr(const np_rule *r, uint8_t fam, unsigned __int128 a)
{
    if (r->all_peers)
        return true;
    size_t lo = 0, hi = r->nranges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const np_range *x = &r->ranges[mid];
        if (x->fam < fam || (x->fam == fam && x->hi < a))
            lo = mid + 1;
        else if (x->fam > fam || x->lo > a)
            hi = mid;
        else
            return true;
    }
    return false;
}

uint32_t kh_netpol__egress(np_eval *ev, const np_model *m, uint32_t src, int dst, uint8_t fam,
                           unsigned __int128 addr)
{
    const np_class *s = &m->cls[src];
    if (!s->ap->eg_iso)
        return NP_PS_ALL;
    uint32_t acc = NP_PS_NONE;
    for (size_t i = 0; i < s->ap->neg && acc != NP_PS_ALL; i++) {
        const np_rule *r = s->ap->eg_rules[i];
        bool ok = dst >= 0 ? kh_netpol__rule_admits_class(r, (uint32_t)dst)
                           : kh_netpol__rule_admits_addr(r, fam, addr);
        if (ok)
            acc = kh_netpol__ps_union(ev, acc,
                                      kh_netpol__rule_ports(ev, r, dst >= 0 ? &m->cls[dst] : NULL));
    }
    return acc;
}

uint32_t kh_netpol__ingress(np_eval *ev, const np_model *m, uint32_t dst, int src, uint8_t fam,
                            unsigned __int128 addr)
{
    const np_class *d = &m->cls[dst];
    if (!d->ap->in_iso)
        return NP_PS_ALL;
    uint32_t acc = NP_PS_NONE;
    for (size_t i = 0; i < d->ap->nin && acc != NP_PS_ALL; i++) {
        const np_rule *r = d->ap->in_rules[i];
        bool ok = src >= 0 ? kh_netpol__rule_admits_class(r, (uint32_t)src)
                           : kh_netpol__rule_admits_addr(r, fam, addr);
        if (ok)
            acc = kh_netpol__ps_union(ev, acc, kh_netpol__rule_ports(ev, r, d));
    }
    return acc;
}

/* --------------------------------------------------------------- atoms */

typedef struct bound {
    uint8_t fam;
    unsigned __int128 at;
} bound;

static int cmp_bound(const void *x, const void *y)
{
    const bound *a = x, *b = y;
    if (a->fam != b->fam)
        return a->fam < b->fam ? -1 : 1;
    return a->at < b->at ? -1 : a->at > b->at;
}

static unsigned __int128 fam_max(uint8_t fam)
{
    return fam == 4 ? (unsigned __int128)0xffffffffu : ~(unsigned __int128)0;
}

static void add_bounds(bound *b, size_t *k, const np_rule *r)
{
    for (size_t q = 0; q < r->nranges; q++) {
        b[(*k)++] = (bound){r->ranges[q].fam, r->ranges[q].lo};
        if (r->ranges[q].hi != fam_max(r->ranges[q].fam))
            b[(*k)++] = (bound){r->ranges[q].fam, r->ranges[q].hi + 1};
    }
}

/* Cut both families' address space at each boundary of the ranges of
 * @p rules (n of them), or, with @p m, of every rule of every policy. */
static size_t cut(const np_model *m, np_rule *const *rules, size_t n, np_range **out)
{
    size_t cap = 2, k = 0;
    for (size_t i = 0; m && i < m->npol; i++) {
        for (size_t j = 0; j < m->pol[i].nin; j++)
            cap += 2 * m->pol[i].in[j].nranges;
        for (size_t j = 0; j < m->pol[i].neg; j++)
            cap += 2 * m->pol[i].eg[j].nranges;
    }
    for (size_t i = 0; i < n; i++)
        cap += 2 * rules[i]->nranges;
    bound *b = malloc(cap * sizeof(*b));
    *out = NULL;
    if (!b)
        return 0;
    b[k++] = (bound){4, 0};
    b[k++] = (bound){6, 0};
    for (size_t i = 0; m && i < m->npol; i++) {
        for (size_t j = 0; j < m->pol[i].nin; j++)
            add_bounds(b, &k, &m->pol[i].in[j]);
        for (size_t j = 0; j < m->pol[i].neg; j++)
            add_bounds(b, &k, &m->pol[i].eg[j]);
    }
    for (size_t i = 0; i < n; i++)
        add_bounds(b, &k, rules[i]);
    qsort(b, k, sizeof(*b), cmp_bound);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || cmp_bound(&b[u - 1], &b[i]) != 0)
            b[u++] = b[i];
    np_range *atoms = malloc(u * sizeof(*atoms));
    if (!atoms) {
        free(b);
        return 0;
    }
    for (size_t i = 0; i < u; i++) {
        bool last = i + 1 == u || b[i + 1].fam != b[i].fam;
        atoms[i] = (np_range){.fam = b[i].fam, .lo = b[i].at,
                              .hi = last ? fam_max(b[i].fam) : b[i + 1].at - 1};
    }
    free(b);
    *out = atoms;
    return u;
}

size_t kh_netpol__atoms(const np_model *m, np_range **out)
{
    return cut(m, NULL, 0, out);
}

size_t kh_netpol__class_atoms(const np_model *m, uint32_t c, bool egress, np_range **out)
{
    const np_class *cls = &m->cls[c];
    const np_applied *ap = cls->ap;
    return cut(NULL, egress ? ap->eg_rules : ap->in_rules, egress ? ap->neg : ap->nin, out);
}

/* --------------------------------------------------------------- pairs */

struct np_columns {
    np_eval *ev;
    const np_model *m;
    uint32_t *in, *out;          /* per source class, for the current destination */
    size_t *start;               /* egress rules by destination class (CSR) */
    const np_rule **to, **any;
    size_t nany;
};

void kh_netpol__columns_free(np_columns *c)
{
    if (!c)
        return;
    free(c->in);
    free(c->out);
    free(c->start);
    free(c->to);
    free(c->any);
    free(c);
}

np_columns *kh_netpol__columns_new(np_eval *ev, const np_model *m)
{
    size_t nc = m->ncls;
    np_columns *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ev = ev;
    c->m = m;
    c->in = malloc((nc ? nc : 1) * sizeof(*c->in));
    c->out = malloc((nc ? nc : 1) * sizeof(*c->out));
    c->start = calloc(nc + 1, sizeof(*c->start));
    if (!c->in || !c->out || !c->start)
        goto fail;
    /* Egress rules by the destination classes they name (all-peer rules
     * apart), so a destination finds the rules that reach it directly. */
    size_t nto = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->npol; i++) {
            const np_policy *p = &m->pol[i];
            if (p->invalid || !p->egress || !p->nselected)
                continue;
            for (size_t j = 0; j < p->neg; j++) {
                const np_rule *r = &p->eg[j];
                if (r->all_peers) {
                    if (pass)
                        c->any[c->nany] = r;
                    c->nany++;
                    continue;
                }
                for (size_t k = 0; k < r->nclasses; k++) {
                    if (pass)
                        c->to[c->start[r->classes[k]]++] = r;
                    else
                        c->start[r->classes[k] + 1]++, nto++;
                }
            }
        }
        if (pass == 0) {
            for (size_t k = 0; k < nc; k++)
                c->start[k + 1] += c->start[k];
            c->to = malloc((nto ? nto : 1) * sizeof(*c->to));
            c->any = malloc((c->nany ? c->nany : 1) * sizeof(*c->any));
            if (!c->to || !c->any)
                goto fail;
            c->nany = 0;
        }
    }
    /* start[k] now ends class k's slice; class k's begins at start[k - 1]. */
    return c;
fail:
    kh_netpol__columns_free(c);
    return NULL;
}

void kh_netpol__column(np_columns *c, uint32_t d, const uint32_t **in, const uint32_t **out)
{
    const np_model *m = c->m;
    np_eval *ev = c->ev;
    size_t nc = m->ncls;
    const np_class *dc = &m->cls[d];
    uint32_t fill = dc->ap->in_iso ? NP_PS_NONE : NP_PS_ALL;
    for (size_t s = 0; s < nc; s++)
        c->in[s] = fill;
    for (size_t i = 0; i < dc->ap->nin; i++) {
        const np_rule *r = dc->ap->in_rules[i];
        uint32_t ps = kh_netpol__rule_ports(ev, r, dc);
        if (ps == NP_PS_NONE)
            continue;
        if (r->all_peers)
            for (size_t s = 0; s < nc; s++)
                c->in[s] = kh_netpol__ps_union(ev, c->in[s], ps);
        else
            for (size_t k = 0; k < r->nclasses; k++)
                c->in[r->classes[k]] = kh_netpol__ps_union(ev, c->in[r->classes[k]], ps);
    }
    for (size_t s = 0; s < nc; s++)
        c->out[s] = m->cls[s].ap->eg_iso ? NP_PS_NONE : NP_PS_ALL;
    size_t lo = d ? c->start[d - 1] : 0, hi = c->start[d];
    for (size_t i = 0; i < c->nany + (hi - lo); i++) {
        const np_rule *r = i < c->nany ? c->any[i] : c->to[lo + i - c->nany];
        uint32_t ps = kh_netpol__rule_ports(ev, r, dc);
        if (ps == NP_PS_NONE)
            continue;
        for (size_t k = 0; k < r->pol->nselected; k++) {
            uint32_t s = r->pol->selected[k];
            c->out[s] = kh_netpol__ps_union(ev, c->out[s], ps);
        }
    }
    *in = c->in;
    *out = c->out;
}

int kh_netpol__pairs(np_eval *ev, const np_model *m, np_pair_fn fn, void *ud)
{
    if (m->ncls == 0)
        return 0;
    np_columns *c = kh_netpol__columns_new(ev, m);
    if (!c)
        return -1;
    for (uint32_t d = 0; d < m->ncls && !ev->oom; d++) {
        const uint32_t *in, *out;
        kh_netpol__column(c, d, &in, &out);
        for (uint32_t s = 0; s < m->ncls; s++) {
            if (in[s] == NP_PS_NONE || out[s] == NP_PS_NONE)
                continue;
            uint32_t ps = kh_netpol__ps_inter(ev, in[s], out[s]);
            if (ps != NP_PS_NONE)
                fn(ud, s, d, ps);
        }
    }
    kh_netpol__columns_free(c);
    return ev->oom ? -1 : 0;
}

/* ----------------------------------------------------------- addresses */

int kh_netpol__parse_ip(const char *text, uint8_t *fam, unsigned __int128 *addr)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, text, b) == 1) {
        *fam = 4;
        *addr = (unsigned __int128)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                                    (uint32_t)b[2] << 8 | b[3]);
        return 0;
    }
    if (inet_pton(AF_INET6, text, b) == 1) {
        *fam = 6;
        *addr = 0;
        for (int i = 0; i < 16; i++)
            *addr = *addr << 8 | b[i];
        return 0;
    }
    return -1;
}

int kh_netpol__parse_cidr(const char *text, np_range *out, int *bits)
{
    const char *slash = strchr(text, '/');
    char ip[64];
    if (!slash || (size_t)(slash - text) >= sizeof(ip) || !slash[1])
        return -1;
    memcpy(ip, text, (size_t)(slash - text));
    ip[slash - text] = '\0';
    char *end;
    long n = strtol(slash + 1, &end, 10);
    if (*end || slash[1] < '0' || slash[1] > '9')
        return -1;
    uint8_t fam;
    unsigned __int128 a;
    if (kh_netpol__parse_ip(ip, &fam, &a) != 0)
        return -1;
    int width = fam == 4 ? 32 : 128;
    if (n < 0 || n > width)
        return -1;
    unsigned __int128 host = 0;
    if (width - n == 128)
        host = ~(unsigned __int128)0;
    else if (n < width)
        host = ((unsigned __int128)1 << (width - n)) - 1;
    out->fam = fam;
    out->lo = a & ~host;
    if (fam == 4)
        out->lo &= 0xffffffffu;
    out->hi = out->lo | host;
    *bits = (int)n;
    return 0;
}

static void addr_text(char *buf, size_t size, uint8_t fam, unsigned __int128 a)
{
    unsigned char b[16];
    if (fam == 4) {
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(a >> (24 - 8 * i));
        inet_ntop(AF_INET, b, buf, (socklen_t)size);
    } else {
        for (int i = 0; i < 16; i++)
            b[i] = (unsigned char)(a >> (120 - 8 * i));
        inet_ntop(AF_INET6, b, buf, (socklen_t)size);
    }
}

const char *kh_netpol__range_text(kh_arena *arena, const np_range *r)
{
    char lo[64], hi[64];
    addr_text(lo, sizeof(lo), r->fam, r->lo);
    int width = r->fam == 4 ? 32 : 128;
    unsigned __int128 size = r->hi - r->lo; /* size - 1 */
    /* A CIDR when size is a power of two and lo is aligned to it. */
    if ((size & (size + 1)) == 0 && (r->lo & size) == 0) {
        int host = 0;
        while (host < width && ((size >> host) & 1))
            host++;
        return kh_arena_printf(arena, "%s/%d", lo, width - host);
    }
    addr_text(hi, sizeof(hi), r->fam, r->hi);
    return kh_arena_printf(arena, "%s-%s", lo, hi);
}
