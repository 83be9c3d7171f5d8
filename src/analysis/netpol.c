/*
 * netpol.c -- the NetworkPolicy model: workloads grouped into classes,
 * namespaces with their labels, and every policy parsed, validated as the
 * API server validates it and resolved to the classes it selects.
 *
 * Workloads are Pods and objects whose pod template stands for their pods
 * (template labels, the workload's namespace); a Pod or ReplicaSet whose
 * controlling owner is in the input is left to that owner. Classes (same
 * namespace, labels and container ports) go into an object set keyed by
 * their labels, so each selector is one indexed kh_objset_select, and
 * namespace selectors run over the namespaces' labels with the automatic
 * kubernetes.io/metadata.name label added, as the API server adds it.
 * Sized for a cluster of 100,000 pods: arrays are counted before they
 * are allocated in the arena, what only the build needs is malloc'd and
 * freed, and the stand-in set is made only when there are policies.
 */
#include "analysis/netpol.h"

#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "k8s/internal.h"

const char *const kh_netpol__kinds[] = {
    "CloneSet", "CronJob", "DaemonSet", "Deployment", "Job", "Namespace", "NetworkPolicy",
    "Pod", "ReplicaSet", "ReplicationController", "Rollout", "Service", "StatefulSet", NULL,
};

/* All the netpol rules and queries read besides identity: pods' metadata
 * (labels, and annotations for mesh injection), their containers' ports,
 * namespaces' annotations, owners (a pod left to its controller), and the
 * specs of policies, Services and the mesh's policies. Not a pod's status,
 * volumes or anything else a dump carries. */
const char *const kh_netpol__fields[] = {
    KH_FIELD_POD_METADATA, KH_FIELD_POD_SPEC ".containers.ports",
    "Namespace:metadata.annotations", "metadata.ownerReferences", "DestinationRule:spec",
    "NetworkPolicy:spec", "PeerAuthentication:spec", "Service:spec", NULL,
};

static const kh_node empty_map = {.type = KH_NODE_MAP};

const char *kh_netpol__ns(const kh_object *obj)
{
    return obj->namespace_ && *obj->namespace_ ? obj->namespace_ : "default";
}

const char *kh_netpol__labels_path(kh_arena *arena, np_paths *c, const char *meta)
{
    size_t i = 0, n = sizeof(c->meta) / sizeof(c->meta[0]);
    for (; i < n && c->meta[i]; i++)
        if (strcmp(c->meta[i], meta) == 0)
            return c->path[i];
    const char *path = kh_arena_printf(arena, "%s.labels", meta);
    if (i < n && path) {
        c->meta[i] = meta;
        c->path[i] = path;
    }
    return path;
}

bool kh_netpol__has(const uint32_t *list, size_t n, uint32_t cls)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (list[mid] == cls)
            return true;
        if (list[mid] < cls)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* ---------------------------------------------------------- string map */

/* Open addressing from a string to an index. The maps serve only the
 * build, so they live in malloc'd memory the builder frees, not in the
 * scan's arena; keys are copied. */
typedef struct strmap {
    char **keys;
    uint32_t *vals;
    size_t cap, n;
} strmap;

static uint64_t hash_add(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_str(const char *s, size_t len)
{
    return hash_add(1469598103934665603ull, s, len);
}

/* Rehash into @p cap slots (a power of two above twice the keys). */
static int strmap_resize(strmap *m, size_t cap)
{
    char **keys = calloc(cap, sizeof(*keys));
    uint32_t *vals = calloc(cap, sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = hash_str(m->keys[i], strlen(m->keys[i])) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

static void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
}

/* The value of @p key, or insert it with @p val (the key is copied).
 * *found tells which. -1 when out of memory. */
static int64_t strmap_put(strmap *m, const char *key, uint32_t val, bool *found)
{
    if ((m->n + 1) * 2 > m->cap && strmap_resize(m, m->cap ? m->cap * 2 : 64) != 0)
        return -1;
    size_t j = hash_str(key, strlen(key)) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            *found = true;
            return m->vals[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = strdup(key);
    if (!m->keys[j])
        return -1;
    m->vals[j] = val;
    m->n++;
    *found = false;
    return val;
}

static int64_t strmap_get(const strmap *m, const char *key)
{
    if (!m->cap)
        return -1;
    size_t j = hash_str(key, strlen(key)) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0)
            return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

/* -------------------------------------------------------------- owners */

/* The objects a controlling ownerReference may name, found by namespace,
 * kind and name: open addressing over their indexes in the set (+1, as
 * 0 is an empty slot), built only when some object has an owner. */
typedef struct owners {
    const kh_objset *set;
    uint32_t *slots;
    size_t cap;
} owners;

static uint64_t hash_ref(const char *ns, const char *kind, const char *name)
{
    uint64_t h = hash_str(ns, strlen(ns));
    h = hash_add(h, "/", 1);
    h = hash_add(h, kind, strlen(kind));
    h = hash_add(h, "/", 1);
    return hash_add(h, name, strlen(name));
}

/* Everything but policies and namespaces can own a workload. */
static bool may_own(const kh_object *o)
{
    return o->kind && strcmp(o->kind, "NetworkPolicy") != 0 && strcmp(o->kind, "Namespace") != 0;
}

static bool has_owners(const kh_object *o)
{
    const kh_node *refs = kh_node_get(o->metadata, "ownerReferences");
    return kh_node_is_seq(refs) && refs->len > 0;
}

static int owners_build(owners *t, const kh_objset *set)
{
    size_t total = kh_objset_count(set), cap = 64;
    t->set = set;
    while (cap < 2 * total + 2)
        cap *= 2;
    t->slots = calloc(cap, sizeof(*t->slots));
    if (!t->slots)
        return -1;
    t->cap = cap;
    for (size_t i = 0; i < total; i++) {
        const kh_object *o = kh_objset_at(set, i);
        if (!may_own(o))
            continue;
        size_t j = hash_ref(kh_netpol__ns(o), o->kind, o->name) & (cap - 1);
        while (t->slots[j])
            j = (j + 1) & (cap - 1);
        t->slots[j] = (uint32_t)i + 1;
    }
    return 0;
}

static bool owners_has(const owners *t, const char *ns, const char *kind, const char *name)
{
    if (!t->cap)
        return false;
    size_t j = hash_ref(ns, kind, name) & (t->cap - 1);
    for (; t->slots[j]; j = (j + 1) & (t->cap - 1)) {
        const kh_object *o = kh_objset_at(t->set, t->slots[j] - 1);
        if (strcmp(o->name, name) == 0 && strcmp(o->kind, kind) == 0 &&
            strcmp(kh_netpol__ns(o), ns) == 0)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ builder */

typedef struct builder {
    np_model *m;
    kh_arena *a;
    kh_objset *pods;             /* one stand-in per class */
    kh_objset *nss;              /* one stand-in per namespace */
    strmap classes, namespaces;
    strmap peers;                /* serialized peer -> index in peer_memo */
    struct peer_memo {
        uint32_t *classes;
        size_t nclasses, nnamespaces, npopulated;
    } *memo;
    size_t nmemo;
    char *buf;                   /* key scratch (malloc) */
    size_t len, cap;
    uint32_t *hits;              /* select scratch (malloc) */
    size_t nhits, caphits;
    struct class_seed {          /* a class while workloads come (malloc) */
        uint32_t first, nsi;     /* its first workload, its namespace */
        np_cport *ports;
        uint32_t nports;
    } *seeds;
    size_t capseeds;
    np_cport *cports;            /* container_ports scratch (malloc) */
    size_t capcports;
    owners owners;               /* empty when no object has an owner */
    bool oom;
} builder;

static void buf_add(builder *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->buf, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->buf = p;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void buf_str(builder *b, const char *s)
{
    buf_add(b, s, strlen(s) + 1); /* with its NUL as separator */
}

static int namespace_of(builder *b, const char *name, const kh_object *obj)
{
    bool found;
    int64_t i = strmap_put(&b->namespaces, name, (uint32_t)b->m->nns, &found);
    if (i < 0)
        return -1;
    if (!found) {
        np_namespace *ns = kh_array__push(b->a, &b->m->ns, &b->m->nns, sizeof(*ns));
        if (!ns)
            return -1;
        ns->name = kh_arena_strdup(b->a, name);
    }
    if (obj && !b->m->ns[i].obj)
        b->m->ns[i].obj = obj;
    return (int)i;
}

static int cmp_pair(const void *x, const void *y)
{
    const kh_pair *p = x, *q = y;
    return strcmp(kh_k8s__label_text(p->key), kh_k8s__label_text(q->key));
}

static int cmp_cport(const void *x, const void *y)
{
    const np_cport *p = x, *q = y;
    int c = strcmp(p->name ? p->name : "", q->name ? q->name : "");
    if (c)
        return c;
    if (p->proto != q->proto)
        return p->proto < q->proto ? -1 : 1;
    return p->port < q->port ? -1 : p->port > q->port;
}

int kh_netpol__proto(const char *s)
{
    if (!s || strcmp(s, "TCP") == 0)
        return NP_TCP;
    if (strcmp(s, "UDP") == 0)
        return NP_UDP;
    if (strcmp(s, "SCTP") == 0)
        return NP_SCTP;
    return -1;
}

/* The regular containers' ports: named ports resolve against these, as
 * kube-network-policies reads pod.Spec.Containers. Into b->cports: only a
 * new class keeps a copy. */
static size_t container_ports(builder *b, const kh_object *obj)
{
    kh_podspec ps;
    size_t n = 0;
    if (!kh_object_podspec(obj, &ps))
        return 0;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        if (c.kind != KH_CONTAINER_REGULAR)
            continue;
        const kh_node *ports = kh_node_get(c.node, "ports");
        for (size_t i = 0; kh_node_is_seq(ports) && i < ports->len; i++) {
            const kh_node *p = kh_node_at(ports, i);
            int64_t num;
            if (!kh_node_int(kh_node_get(p, "containerPort"), &num) || num < 1 || num > 65535)
                continue;
            const kh_node *pn = kh_node_get(p, "protocol");
            int proto = kh_netpol__proto(kh_node_is_null(pn) ? NULL : kh_node_str(pn));
            if (proto < 0)
                continue;
            if (n == b->capcports) {
                size_t cap = b->capcports ? b->capcports * 2 : 16;
                np_cport *more = realloc(b->cports, cap * sizeof(*more));
                if (!more) {
                    b->oom = true;
                    return n;
                }
                b->cports = more;
                b->capcports = cap;
            }
            np_cport *cp = &b->cports[n++];
            const char *name = kh_node_str(kh_node_get(p, "name"));
            cp->name = name && *name ? name : NULL;
            cp->proto = (uint8_t)proto;
            cp->port = (uint16_t)num;
        }
    }
    if (n > 1)
        qsort(b->cports, n, sizeof(*b->cports), cmp_cport);
    return n;
}

static const kh_node *pod_labels(const kh_object *obj)
{
    const char *path;
    const kh_node *labels = kh_node_get(kh_object_pod_metadata(obj, &path), "labels");
    return kh_node_is_map(labels) ? labels : NULL;
}

/* Add one workload to its class (new when its key is new). A new class
 * is only a seed until finish_classes knows how many there are. */
static int add_workload(builder *b, const kh_object *obj, uint32_t index)
{
    const char *ns = kh_netpol__ns(obj);
    const kh_node *labels = pod_labels(obj);
    size_t nports = container_ports(b, obj);
    const np_cport *ports = b->cports;
    /* Key: namespace, sorted labels, sorted ports. */
    b->len = 0;
    buf_str(b, ns);
    kh_pair *pairs = NULL;
    size_t npairs = 0;
    if (labels && labels->len) {
        pairs = malloc(labels->len * sizeof(*pairs));
        if (!pairs)
            return -1;
        for (uint32_t i = 0; i < labels->len; i++)
            if (kh_k8s__label_text(labels->u.pairs[i].key) &&
                kh_k8s__label_text(labels->u.pairs[i].value))
                pairs[npairs++] = labels->u.pairs[i];
        qsort(pairs, npairs, sizeof(*pairs), cmp_pair);
        for (size_t i = 0; i < npairs; i++) {
            buf_str(b, kh_k8s__label_text(pairs[i].key));
            buf_str(b, kh_k8s__label_text(pairs[i].value));
        }
        free(pairs);
    }
    buf_add(b, "\1", 1);
    for (size_t i = 0; i < nports; i++) {
        char num[16];
        snprintf(num, sizeof(num), "%u/%u", ports[i].port, ports[i].proto);
        buf_str(b, ports[i].name ? ports[i].name : "");
        buf_str(b, num);
    }
    int ni = namespace_of(b, ns, NULL);
    if (b->oom || ni < 0)
        return -1;
    /* The key holds NULs: hash it as text by mapping them to \2. */
    for (size_t i = 0; i < b->len; i++)
        if (b->buf[i] == '\0')
            b->buf[i] = '\2';
    bool found;
    int64_t c = strmap_put(&b->classes, b->buf, (uint32_t)b->m->ncls, &found);
    if (c < 0)
        return -1;
    if (!found) {
        if (b->m->ncls == b->capseeds) {
            size_t cap = b->capseeds ? b->capseeds * 2 : 64;
            struct class_seed *more = realloc(b->seeds, cap * sizeof(*more));
            if (!more)
                return -1;
            b->seeds = more;
            b->capseeds = cap;
        }
        struct class_seed *seed = &b->seeds[b->m->ncls++];
        *seed = (struct class_seed){.first = (uint32_t)b->m->nwl, .nsi = (uint32_t)ni,
                                    .nports = (uint32_t)nports};
        if (nports) {
            seed->ports = kh_arena_alloc(b->a, nports * sizeof(*seed->ports));
            if (!seed->ports)
                return -1;
            memcpy(seed->ports, ports, nports * sizeof(*seed->ports));
        }
    }
    np_workload *w = &b->m->wl[b->m->nwl++];
    w->obj = index;
    w->cls = (uint32_t)c;
    b->m->ns[ni].nworkloads++;
    return 0;
}

/* The classes into the arena at their exact size, and each class's
 * workloads as one slice of a single array (workload order, ascending). */
static int finish_classes(builder *b)
{
    np_model *m = b->m;
    if (!m->ncls)
        return 0;
    np_class *cls = kh_arena_calloc(b->a, m->ncls, sizeof(*cls));
    uint32_t *all = kh_arena_alloc(b->a, m->nwl * sizeof(*all));
    if (!cls || !all)
        return -1;
    for (size_t c = 0; c < m->ncls; c++) {
        const struct class_seed *seed = &b->seeds[c];
        cls[c] = (np_class){.ns = m->ns[seed->nsi].name,
                            .labels = pod_labels(kh_netpol__obj(m, seed->first)),
                            .ports = seed->ports, .nports = seed->nports, .nsi = seed->nsi};
    }
    free(b->seeds);
    b->seeds = NULL;
    m->cls = cls;
    for (size_t i = 0; i < m->nwl; i++)
        cls[m->wl[i].cls].nworkloads++;
    size_t at = 0;
    for (size_t c = 0; c < m->ncls; c++) {
        cls[c].workloads = all + at;
        at += cls[c].nworkloads;
        cls[c].nworkloads = 0;
    }
    for (size_t i = 0; i < m->nwl; i++) {
        np_class *c = &cls[m->wl[i].cls];
        c->workloads[c->nworkloads++] = (uint32_t)i;
    }
    return 0;
}

/* One stand-in Pod per class (its first workload's tree, the class's
 * namespace and labels, the class index as input) for kh_objset_select. */
static int pod_standins(builder *b)
{
    const np_model *m = b->m;
    if (kh_objset_new(&b->pods, NULL) != KH_OK)
        return -1;
    for (size_t c = 0; c < m->ncls; c++) {
        const np_class *cls = &m->cls[c];
        kh_object standin = {.root = kh_netpol__obj(m, cls->workloads[0])->root, .kind = "Pod",
                             .namespace_ = cls->ns, .labels = cls->labels,
                             .input = (unsigned)c};
        if (kh_objset_add(b->pods, &standin) != KH_OK)
            return -1;
    }
    return 0;
}

/* Is a controlling owner of @p obj among the workloads? Then that owner
 * stands for it (a dump holds a Deployment, its ReplicaSet and its Pods). */
static bool owned_by_input(const owners *t, const kh_object *obj)
{
    const kh_node *refs = kh_node_get(obj->metadata, "ownerReferences");
    for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++) {
        const kh_node *r = kh_node_at(refs, i);
        if (!kh_node_is_true(kh_node_get(r, "controller")))
            continue;
        const char *kind = kh_node_str(kh_node_get(r, "kind"));
        const char *name = kh_node_str(kh_node_get(r, "name"));
        if (kind && name && owners_has(t, kh_netpol__ns(obj), kind, name))
            return true;
    }
    return false;
}

/* The namespace's labels with kubernetes.io/metadata.name set to its name
 * (the API server sets that label on every Namespace). */
static const kh_node *namespace_labels(builder *b, const np_namespace *ns)
{
    static const char key[] = "kubernetes.io/metadata.name";
    const kh_node *own = ns->obj ? ns->obj->labels : NULL;
    size_t n = kh_node_is_map(own) ? own->len : 0;
    kh_node *map = kh_arena_calloc(b->a, 1, sizeof(*map));
    kh_pair *pairs = kh_arena_calloc(b->a, n + 1, sizeof(*pairs));
    kh_node *k = kh_arena_calloc(b->a, 2, sizeof(*k));
    if (!map || !pairs || !k)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = kh_k8s__label_text(own->u.pairs[i].key);
        if (t && strcmp(t, key) == 0)
            continue;
        pairs[used++] = own->u.pairs[i];
    }
    k[0] = (kh_node){.type = KH_NODE_STRING, .len = sizeof(key) - 1, .u.text = key};
    k[1] = (kh_node){.type = KH_NODE_STRING, .len = (uint32_t)strlen(ns->name),
                     .u.text = ns->name};
    pairs[used++] = (kh_pair){&k[0], &k[1]};
    *map = (kh_node){.type = KH_NODE_MAP, .len = (uint32_t)used, .u.pairs = pairs};
    return map;
}

/* ------------------------------------------------------------ selection */

static int on_hit(const kh_object *o, void *ud)
{
    builder *b = ud;
    if (b->nhits == b->caphits) {
        size_t cap = b->caphits ? b->caphits * 2 : 256;
        uint32_t *p = realloc(b->hits, cap * sizeof(*p));
        if (!p) {
            b->oom = true;
            return 1;
        }
        b->hits = p;
        b->caphits = cap;
    }
    b->hits[b->nhits++] = o->input;
    return 0;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;
    return a < c ? -1 : a > c;
}

/* The hits, sorted and unique, copied into the arena. */
static size_t take_hits(builder *b, uint32_t **out)
{
    size_t n = 0;
    if (b->nhits > 1)
        qsort(b->hits, b->nhits, sizeof(*b->hits), cmp_u32);
    for (size_t i = 0; i < b->nhits; i++)
        if (n == 0 || b->hits[n - 1] != b->hits[i])
            b->hits[n++] = b->hits[i];
    *out = NULL;
    if (n) {
        *out = kh_arena_alloc(b->a, n * sizeof(**out));
        if (!*out) {
            b->oom = true;
            return 0;
        }
        memcpy(*out, b->hits, n * sizeof(**out));
    }
    b->nhits = 0;
    return n;
}

/* ------------------------------------------------------------- policies */

static void invalid(builder *b, np_policy *p, const kh_node *at, const char *path,
                    const char *why)
{
    (void)b;
    if (p->invalid)
        return;
    p->invalid = why;
    p->invalid_at = at;
    p->invalid_path = path;
}

/* validation.IsValidPortName: 1-15 of [a-z0-9-], a letter, no leading,
 * trailing or doubled '-'. */
static bool valid_port_name(const char *s)
{
    size_t n = strlen(s);
    bool letter = false;
    if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            letter = true;
        else if (!(c >= '0' && c <= '9') && c != '-')
            return false;
    }
    return letter;
}

static void parse_ports(builder *b, np_policy *p, np_rule *r, const kh_node *ports,
                        const char *path)
{
    for (size_t i = 0; kh_node_is_seq(ports) && i < ports->len; i++) {
        const kh_node *pn = kh_node_at(ports, i);
        const char *here = kh_arena_printf(b->a, "%s.ports[%zu]", path, i);
        np_portspec *ps = kh_array__push(b->a, &r->ports, &r->nports, sizeof(*ps));
        if (!ps || !here) {
            b->oom = true;
            return;
        }
        ps->node = pn;
        ps->index = i;
        const kh_node *proto = kh_node_get(pn, "protocol");
        int pr = kh_netpol__proto(kh_node_is_null(proto) ? NULL : kh_node_str(proto));
        if (pr < 0) {
            invalid(b, p, proto, here, "protocol must be TCP, UDP or SCTP");
            pr = NP_TCP;
        }
        ps->proto = (uint8_t)pr;
        const kh_node *port = kh_node_get(pn, "port");
        const kh_node *end = kh_node_get(pn, "endPort");
        int64_t lo = 0, hi = 0;
        bool has_end = !kh_node_is_null(end);
        if (has_end && (!kh_node_int(end, &hi) || hi < 1 || hi > 65535))
            invalid(b, p, end, here, "endPort must be a port number between 1 and 65535");
        if (kh_node_is_null(port)) {
            ps->kind = NP_PORT_ALL;
            if (has_end)
                invalid(b, p, end, here, "endPort may not be specified when port is not");
        } else if (port->type == KH_NODE_INT) {
            if (!kh_node_int(port, &lo) || lo < 1 || lo > 65535)
                invalid(b, p, port, here, "port must be between 1 and 65535");
            if (!has_end)
                hi = lo;
            else if (hi < lo)
                invalid(b, p, end, here, "endPort must be greater than or equal to port");
            ps->kind = NP_PORT_RANGE;
            ps->lo = (uint16_t)(lo < 1 ? 1 : lo > 65535 ? 65535 : lo);
            ps->hi = (uint16_t)(hi < ps->lo ? ps->lo : hi > 65535 ? 65535 : hi);
        } else {
            /* A quoted "80" is an IntOrString string: a port name, and an
             * invalid one (a name needs a letter). */
            const char *name = kh_node_str(port);
            ps->kind = NP_PORT_NAMED;
            ps->name = name ? name : "";
            if (!name || !valid_port_name(name))
                invalid(b, p, port, here, "a named port must be 1-15 lower-case letters, "
                                          "digits or '-' with at least one letter");
            if (has_end)
                invalid(b, p, end, here, "endPort may not be specified when port is non-numeric");
        }
    }
}

static int cmp_range(const void *x, const void *y)
{
    const np_range *a = x, *c = y;
    if (a->fam != c->fam)
        return a->fam < c->fam ? -1 : 1;
    return a->lo < c->lo ? -1 : a->lo > c->lo;
}

/* Sort and merge ranges in place; @return the new count. */
static size_t merge_ranges(np_range *r, size_t n)
{
    if (n < 2)
        return n;
    qsort(r, n, sizeof(*r), cmp_range);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[i].fam == r[k].fam && (r[k].hi == ~(unsigned __int128)0 || r[i].lo <= r[k].hi + 1)) {
            if (r[i].hi > r[k].hi)
                r[k].hi = r[i].hi;
        } else {
            r[++k] = r[i];
        }
    }
    return k + 1;
}

/* cidr minus the excepts: the except ranges are inside the cidr and cut it. */
static void parse_ipblock(builder *b, np_policy *p, np_peer *peer, const kh_node *blk,
                          const char *path)
{
    const char *cidr = kh_node_str(kh_node_get(blk, "cidr"));
    np_range whole;
    int bits;
    peer->kind = NP_PEER_IPBLOCK;
    peer->cidr = cidr;
    if (!cidr || !*cidr) {
        invalid(b, p, blk, path, "ipBlock.cidr is required");
        return;
    }
    if (kh_netpol__parse_cidr(cidr, &whole, &bits) != 0) {
        invalid(b, p, kh_node_get(blk, "cidr"), path,
                "ipBlock.cidr must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)");
        return;
    }
    const kh_node *ex = kh_node_get(blk, "except");
    size_t nex = kh_node_is_seq(ex) ? ex->len : 0;
    np_range *cuts = kh_arena_calloc(b->a, nex + 1, sizeof(*cuts));
    np_range *out = kh_arena_calloc(b->a, nex + 1, sizeof(*out));
    if (!cuts || !out) {
        b->oom = true;
        return;
    }
    size_t ncuts = 0;
    for (size_t i = 0; i < nex; i++) {
        const char *t = kh_node_str(kh_node_at(ex, i));
        np_range e;
        int ebits;
        if (!t || kh_netpol__parse_cidr(t, &e, &ebits) != 0) {
            invalid(b, p, kh_node_at(ex, i), path, "ipBlock.except entries must be valid CIDRs");
            continue;
        }
        if (e.fam != whole.fam || e.lo < whole.lo || e.lo > whole.hi || ebits <= bits) {
            invalid(b, p, kh_node_at(ex, i), path,
                    "ipBlock.except entries must be strict subsets of cidr");
            continue;
        }
        cuts[ncuts++] = e;
    }
    ncuts = merge_ranges(cuts, ncuts);
    size_t n = 0;
    unsigned __int128 at = whole.lo;
    bool done = false;
    for (size_t i = 0; i < ncuts && !done; i++) {
        if (cuts[i].lo > at)
            out[n++] = (np_range){.lo = at, .hi = cuts[i].lo - 1, .fam = whole.fam};
        if (cuts[i].hi >= whole.hi)
            done = true;
        else
            at = cuts[i].hi + 1;
    }
    if (!done)
        out[n++] = (np_range){.lo = at, .hi = whole.hi, .fam = whole.fam};
    peer->ranges = out;
    peer->nranges = n;
}

static int on_namespace(const kh_object *o, void *ud)
{
    builder *b = ud;
    return on_hit(o, b);
}

/* The classes a pod peer selects: podSelector pods in the policy's
 * namespace, or in the namespaces namespaceSelector selects (both: AND). */
static void select_peer(builder *b, np_policy *p, np_peer *peer, const kh_node *psel,
                        const kh_node *nsel, const char *path)
{
    const kh_selector *pods = NULL, *nss = NULL;
    kh_error err = {0};
    peer->kind = NP_PEER_PODS;
    if (kh_selector_compile(&pods, kh_node_is_null(psel) ? &empty_map : psel, b->a, &err)) {
        invalid(b, p, psel, path, "podSelector is not a valid label selector");
        return;
    }
    if (kh_node_is_null(nsel)) {
        peer->nnamespaces = 1;
        int64_t ni = strmap_get(&b->namespaces, p->ns);
        peer->npopulated = ni >= 0 && b->m->ns[ni].nworkloads > 0;
        kh_objset_select(b->pods, NULL, p->ns, pods, on_hit, b);
        peer->nclasses = take_hits(b, &peer->classes);
        return;
    }
    peer->has_ns_selector = true;
    if (kh_selector_compile(&nss, nsel, b->a, &err)) {
        invalid(b, p, nsel, path, "namespaceSelector is not a valid label selector");
        return;
    }
    if (kh_selector_matches_everything(nss)) {
        peer->nnamespaces = b->m->nns;
        for (size_t i = 0; i < b->m->nns; i++)
            peer->npopulated += b->m->ns[i].nworkloads > 0;
        kh_objset_select(b->pods, NULL, NULL, pods, on_hit, b);
        peer->nclasses = take_hits(b, &peer->classes);
        return;
    }
    kh_objset_select(b->nss, NULL, NULL, nss, on_namespace, b);
    uint32_t *list;
    size_t n = take_hits(b, &list);
    peer->nnamespaces = n;
    for (size_t i = 0; i < n; i++)
        peer->npopulated += b->m->ns[list[i]].nworkloads > 0;
    /* One select per namespace, or one over all of them filtered by
     * namespace, whichever has fewer candidates. */
    size_t per_ns = 0, all = kh_objset__candidates(b->pods, NULL, NULL, pods);
    for (size_t i = 0; i < n && per_ns <= all; i++)
        per_ns += kh_objset__candidates(b->pods, NULL, b->m->ns[list[i]].name, pods);
    if (per_ns <= all) {
        for (size_t i = 0; i < n; i++)
            kh_objset_select(b->pods, NULL, b->m->ns[list[i]].name, pods, on_hit, b);
    } else {
        bool *in = calloc(b->m->nns ? b->m->nns : 1, sizeof(*in));
        if (!in) {
            b->oom = true;
            return;
        }
        for (size_t i = 0; i < n; i++)
            in[list[i]] = true;
        kh_objset_select(b->pods, NULL, NULL, pods, on_hit, b);
        size_t k = 0;
        for (size_t i = 0; i < b->nhits; i++)
            if (in[b->m->cls[b->hits[i]].nsi])
                b->hits[k++] = b->hits[i];
        b->nhits = k;
        free(in);
    }
    peer->nclasses = take_hits(b, &peer->classes);
}

/* A node as text for a memo key (\1 and \3 separate; scalars as written). */
static void serialize(builder *b, const kh_node *n)
{
    if (!n || n->type == KH_NODE_NULL) {
        buf_add(b, "~", 1);
    } else if (n->type == KH_NODE_MAP) {
        buf_add(b, "{", 1);
        for (uint32_t i = 0; i < n->len; i++) {
            serialize(b, n->u.pairs[i].key);
            buf_add(b, "\3", 1);
            serialize(b, n->u.pairs[i].value);
            buf_add(b, "\1", 1);
        }
        buf_add(b, "}", 1);
    } else if (n->type == KH_NODE_SEQ) {
        buf_add(b, "[", 1);
        for (uint32_t i = 0; i < n->len; i++) {
            serialize(b, n->u.items[i]);
            buf_add(b, "\1", 1);
        }
        buf_add(b, "]", 1);
    } else {
        const char *t = kh_k8s__label_text(n);
        buf_add(b, "'", 1);
        buf_add(b, t, strlen(t));
        buf_add(b, "'", 1);
    }
}

/* select_peer, once per distinct peer: policies repeat the same selectors
 * (every namespace's DNS rule, the monitoring namespace...). A bare
 * podSelector depends on the policy's namespace, a namespaceSelector
 * does not. */
static void select_peer_memo(builder *b, np_policy *p, np_peer *peer, const kh_node *psel,
                             const kh_node *nsel, const char *path)
{
    b->len = 0;
    bool bare = kh_node_is_null(nsel);
    buf_add(b, bare ? "P" : "N", 1);
    if (bare)
        buf_add(b, p->ns, strlen(p->ns));
    buf_add(b, "\1", 1);
    serialize(b, psel);
    buf_add(b, "\1", 1);
    serialize(b, nsel);
    if (b->oom)
        return;
    int64_t hit = strmap_get(&b->peers, b->buf);
    if (hit >= 0) {
        const struct peer_memo *pm = &b->memo[hit];
        peer->kind = NP_PEER_PODS;
        peer->has_ns_selector = !bare;
        peer->classes = pm->classes;
        peer->nclasses = pm->nclasses;
        peer->nnamespaces = pm->nnamespaces;
        peer->npopulated = pm->npopulated;
        return;
    }
    char *key = strdup(b->buf);
    const char *was_invalid = p->invalid;
    select_peer(b, p, peer, psel, nsel, path);
    if (!key || b->oom || p->invalid != was_invalid) {
        free(key);
        return; /* an invalid selector is reported for every policy */
    }
    struct peer_memo *pm = kh_array__push(b->a, &b->memo, &b->nmemo, sizeof(*pm));
    bool found;
    if (!pm || strmap_put(&b->peers, key, (uint32_t)(b->nmemo - 1), &found) < 0) {
        free(key);
        b->oom = true;
        return;
    }
    free(key);
    *pm = (struct peer_memo){peer->classes, peer->nclasses, peer->nnamespaces,
                             peer->npopulated};
}

static void parse_rules(builder *b, np_policy *p, bool egress)
{
    const char *key = egress ? "egress" : "ingress";
    const char *peers_key = egress ? "to" : "from";
    const kh_node *list = kh_node_get(kh_node_get(p->obj->root, "spec"), key);
    size_t n = kh_node_is_seq(list) ? list->len : 0;
    np_rule *rules = n ? kh_arena_calloc(b->a, n, sizeof(*rules)) : NULL;
    if (n && !rules) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        np_rule *r = &rules[i];
        const kh_node *rn = kh_node_at(list, i);
        const char *path = kh_arena_printf(b->a, "spec.%s[%zu]", key, i);
        r->pol = p;
        r->egress = egress;
        r->index = i;
        r->node = rn;
        parse_ports(b, p, r, kh_node_get(rn, "ports"), path);
        const kh_node *peers = kh_node_get(rn, peers_key);
        size_t np = kh_node_is_seq(peers) ? peers->len : 0;
        r->all_peers = np == 0; /* missing or empty: every source/destination */
        r->peers = np ? kh_arena_calloc(b->a, np, sizeof(*r->peers)) : NULL;
        if (np && !r->peers) {
            b->oom = true;
            return;
        }
        r->npeers = np;
        size_t nranges = 0;
        for (size_t j = 0; j < np; j++) {
            const kh_node *pe = kh_node_at(peers, j);
            const char *ppath = kh_arena_printf(b->a, "%s.%s[%zu]", path, peers_key, j);
            np_peer *peer = &r->peers[j];
            peer->node = pe;
            peer->index = j;
            const kh_node *psel = kh_node_get(pe, "podSelector");
            const kh_node *nsel = kh_node_get(pe, "namespaceSelector");
            const kh_node *blk = kh_node_get(pe, "ipBlock");
            bool hp = !kh_node_is_null(psel), hn = !kh_node_is_null(nsel),
                 hb = !kh_node_is_null(blk);
            if (!hp && !hn && !hb) {
                invalid(b, p, pe, ppath, "must specify a peer (an empty peer {} is refused)");
                continue;
            }
            if (hb && (hp || hn)) {
                invalid(b, p, pe, ppath, "may not specify both ipBlock and another peer");
                continue;
            }
            if (hb) {
                parse_ipblock(b, p, peer, blk, ppath);
                nranges += peer->nranges;
            } else {
                select_peer_memo(b, p, peer, psel, nsel, ppath);
            }
        }
        for (size_t j = 0; j < np; j++)
            for (size_t k = 0; k < r->peers[j].nclasses; k++)
                on_hit(&(kh_object){.input = r->peers[j].classes[k]}, b);
        r->nclasses = take_hits(b, &r->classes);
        if (nranges) {
            r->ranges = kh_arena_calloc(b->a, nranges, sizeof(*r->ranges));
            if (!r->ranges) {
                b->oom = true;
                return;
            }
            for (size_t j = 0; j < np; j++)
                for (size_t k = 0; r->peers[j].kind == NP_PEER_IPBLOCK && k < r->peers[j].nranges; k++)
                    r->ranges[r->nranges++] = r->peers[j].ranges[k];
            r->nranges = merge_ranges(r->ranges, r->nranges);
        }
    }
    if (egress) {
        p->eg = rules;
        p->neg = n;
    } else {
        p->in = rules;
        p->nin = n;
    }
}

static void parse_policy(builder *b, np_policy *p)
{
    const kh_node *spec = kh_node_get(p->obj->root, "spec");
    const kh_node *types = kh_node_get(spec, "policyTypes");
    const kh_node *egress = kh_node_get(spec, "egress");
    if (kh_node_is_seq(types) && types->len > 0) {
        if (types->len > 2)
            invalid(b, p, types, "spec.policyTypes", "may not specify more than two policyTypes");
        for (size_t i = 0; i < types->len; i++) {
            const char *t = kh_node_str(kh_node_at(types, i));
            if (t && strcmp(t, "Ingress") == 0)
                p->ingress = true;
            else if (t && strcmp(t, "Egress") == 0)
                p->egress = true;
            else
                invalid(b, p, kh_node_at(types, i), "spec.policyTypes",
                        "policyTypes entries must be Ingress or Egress");
        }
    } else {
        /* SetDefaults_NetworkPolicy: Ingress always, Egress when rules exist
         * (an empty egress list adds nothing). */
        p->ingress = true;
        p->egress = kh_node_is_seq(egress) && egress->len > 0;
    }
    const kh_node *psel = kh_node_get(spec, "podSelector");
    const kh_selector *sel = NULL;
    kh_error err = {0};
    /* podSelector is not a pointer in the Go type: absent is {}. */
    if (kh_selector_compile(&sel, kh_node_is_null(psel) ? &empty_map : psel, b->a, &err))
        invalid(b, p, psel, "spec.podSelector", "podSelector is not a valid label selector");
    else
        kh_objset_select(b->pods, NULL, p->ns, sel, on_hit, b);
    p->nselected = take_hits(b, &p->selected);
    parse_rules(b, p, false);
    parse_rules(b, p, true);
}

/* Per class: the policies selecting it and the rules that then apply,
 * counted first (into @p ap, one per class) so that each list is
 * allocated once at its size. */
static void attach_pass(const np_model *m, np_applied *ap, bool fill)
{
    for (size_t i = 0; i < m->npol; i++) {
        np_policy *p = &m->pol[i];
        if (p->invalid)
            continue; /* the API server never stored it */
        for (size_t k = 0; k < p->nselected; k++) {
            np_applied *c = &ap[p->selected[k]];
            if (fill)
                c->pols[c->npols] = p;
            c->npols++;
            if (p->ingress) {
                c->in_iso = true;
                for (size_t j = 0; j < p->nin; j++, c->nin++)
                    if (fill)
                        c->in_rules[c->nin] = &p->in[j];
            }
            if (p->egress) {
                c->eg_iso = true;
                for (size_t j = 0; j < p->neg; j++, c->neg++)
                    if (fill)
                        c->eg_rules[c->neg] = &p->eg[j];
            }
        }
    }
}

static int attach(builder *b)
{
    static const np_applied none = {0};
    np_model *m = b->m;
    for (size_t i = 0; i < m->ncls; i++)
        m->cls[i].ap = &none;
    if (!m->npol || !m->ncls)
        return 0;
    np_applied *ap = calloc(m->ncls, sizeof(*ap));
    if (!ap)
        return -1;
    attach_pass(m, ap, false);
    size_t nsel = 0;
    for (size_t i = 0; i < m->ncls; i++) {
        np_applied *c = &ap[i];
        if (!c->npols)
            continue;
        nsel++;
        c->pols = kh_arena_alloc(b->a, c->npols * sizeof(*c->pols));
        c->in_rules = c->nin ? kh_arena_alloc(b->a, c->nin * sizeof(*c->in_rules)) : NULL;
        c->eg_rules = c->neg ? kh_arena_alloc(b->a, c->neg * sizeof(*c->eg_rules)) : NULL;
        if (!c->pols || (c->nin && !c->in_rules) || (c->neg && !c->eg_rules)) {
            free(ap);
            return -1;
        }
        c->npols = c->nin = c->neg = 0;
    }
    attach_pass(m, ap, true);
    /* Only the selected classes keep a record. */
    np_applied *kept = nsel ? kh_arena_alloc(b->a, nsel * sizeof(*kept)) : NULL;
    for (size_t i = 0; kept && i < m->ncls; i++)
        if (ap[i].npols) {
            *kept = ap[i];
            m->cls[i].ap = kept++;
        }
    free(ap);
    return nsel && !kept ? -1 : 0;
}

static void builder_free(builder *b)
{
    kh_objset_free(b->pods);
    kh_objset_free(b->nss);
    strmap_free(&b->classes);
    strmap_free(&b->namespaces);
    strmap_free(&b->peers);
    free(b->buf);
    free(b->hits);
    free(b->seeds);
    free(b->cports);
    free(b->owners.slots);
}

int kh_netpol__ids(np_model *m)
{
    if (m->ids || !m->nwl)
        return 0;
    const char **ids = kh_arena_alloc(m->arena, m->nwl * sizeof(*ids));
    if (!ids)
        return -1;
    for (size_t i = 0; i < m->nwl; i++) {
        const kh_object *o = kh_netpol__obj(m, (uint32_t)i);
        ids[i] = kh_arena_printf(m->arena, "%s/%s/%s", m->cls[m->wl[i].cls].ns, o->kind, o->name);
        if (!ids[i])
            return -1;
    }
    m->ids = ids;
    return 0;
}

const kh_object *kh_netpol__obj(const np_model *m, uint32_t i)
{
    return kh_objset_at(m->set, m->wl[i].obj);
}

const char *kh_netpol__id(kh_arena *arena, const np_model *m, uint32_t i)
{
    const kh_object *o = kh_netpol__obj(m, i);
    if (m->ids)
        return m->ids[i];
    const char *id = kh_arena_printf(arena, "%s/%s/%s", m->cls[m->wl[i].cls].ns, o->kind, o->name);
    return id ? id : o->name;
}

np_model *kh_netpol__build(kh_arena *arena, const kh_objset *set)
{
    builder b = {.a = arena};
    uint32_t *picked = NULL;
    np_model *m = kh_arena_calloc(arena, 1, sizeof(*m));
    if (!m)
        return NULL;
    m->arena = arena;
    m->set = set;
    b.m = m;
    if (kh_objset_new(&b.nss, NULL) != KH_OK)
        goto fail;
    /* Namespaces first (their objects carry the labels). */
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(set, "Namespace", &objs);
    for (size_t i = 0; i < n; i++)
        if (namespace_of(&b, objs[i]->name, objs[i]) < 0)
            goto fail;
    /* Owners by name, to leave owned objects to them: only when some
     * object names an owner (a cluster's bare pods need no table). */
    size_t total = kh_objset_count(set);
    for (size_t i = 0; i < total; i++) {
        const kh_object *o = kh_objset_at(set, i);
        if (may_own(o) && has_owners(o)) {
            if (owners_build(&b.owners, set) != 0)
                goto fail;
            break;
        }
    }
    /* The workloads, picked first so that m->wl is allocated once. */
    picked = malloc((total ? total : 1) * sizeof(*picked));
    if (!picked)
        goto fail;
    size_t npicked = 0;
    for (size_t i = 0; i < total; i++) {
        const kh_object *o = kh_objset_at(set, i);
        if (!may_own(o))
            continue;
        kh_podspec ps;
        if (!kh_object_podspec(o, &ps) && !kh_object_pod_metadata(o, &(const char *){NULL}))
            continue;
        if (strcmp(o->kind, "PodTemplate") == 0 || owned_by_input(&b.owners, o))
            continue;
        picked[npicked++] = (uint32_t)i;
    }
    m->wl = kh_arena_alloc(arena, (npicked ? npicked : 1) * sizeof(*m->wl));
    if (!m->wl)
        goto fail;
    for (size_t i = 0; i < npicked; i++)
        if (add_workload(&b, kh_objset_at(set, picked[i]), picked[i]) != 0)
            goto fail;
    free(picked);
    picked = NULL;
    strmap_free(&b.classes);
    b.classes = (strmap){0};
    if (finish_classes(&b) != 0)
        goto fail;
    n = kh_objset_by_kind(set, "NetworkPolicy", &objs);
    /* Selectors run over one stand-in Pod per class; only policies have
     * selectors, so a cluster without them needs no such set. */
    if (n && pod_standins(&b) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (namespace_of(&b, kh_netpol__ns(objs[i]), NULL) < 0)
            goto fail;
    for (size_t i = 0; i < m->nns; i++) {
        m->ns[i].labels = namespace_labels(&b, &m->ns[i]);
        kh_object standin = {.kind = "Namespace", .namespace_ = "", .labels = m->ns[i].labels,
                             .input = (unsigned)i, .root = m->ns[i].labels};
        if (!m->ns[i].labels || kh_objset_add(b.nss, &standin) != KH_OK)
            goto fail;
    }
    if (n) {
        m->pol = kh_arena_calloc(arena, n, sizeof(*m->pol));
        if (!m->pol)
            goto fail;
    }
    m->npol = n;
    for (size_t i = 0; i < n; i++) {
        m->pol[i].obj = objs[i];
        m->pol[i].ns = kh_netpol__ns(objs[i]);
        parse_policy(&b, &m->pol[i]);
    }
    if (b.oom || attach(&b) != 0)
        goto fail;
    builder_free(&b);
    return m;
fail:
    free(picked);
    builder_free(&b);
    return NULL;
}
