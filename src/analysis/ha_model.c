/*
 * ha_model.c -- build the high-availability model (ha_model.h) over an
 * object set in one pass per kind.
 *
 * Names are resolved through hash maps (nodes by name and address,
 * workloads by namespace/kind/name, HPA targets), and what budgets and
 * Services select comes from label-indexed selects: over a stand-in set of
 * pod templates keyed by their template labels, and over the input's own
 * pods (mapped back to the model by a pointer map), so the build costs
 * O(objects + matches), never objects x selectors. Pods are
 * resolved to their workload the way the disruption controller does: the
 * controller owner reference, through a ReplicaSet to its Deployment.
 * The model is a big scan's largest structure, so it is kept small: a bare
 * pod's workload is 12 bytes (names read from its pod), the workload map
 * holds indexes and compares against the workloads themselves, what only
 * selects need is built only when the input has a budget or a Service,
 * and the tables only the build reads are malloc'd and freed after it.
 */
#include "analysis/ha_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const kh_ha__kinds[] = {
    "CloneSet", "CronJob", "DaemonSet", "Deployment", "EndpointSlice", "Endpoints",
    "HorizontalPodAutoscaler", "Job", "Node", "Pod", "PodDisruptionBudget",
    "ReplicaSet", "ReplicationController", "Rollout", "Service", "StatefulSet", NULL,
};

/* Everything the model and the ha rules read besides apiVersion, kind and
 * the name, namespace and labels, so a scan or a query keeps only these of the objects (a
 * dump's pods drop their container statuses, volumes, env...; of the pods' spec, only the
 * scheduling constraints and what tells a container apart: its name, image, command and
 * readiness probe). */
const char *const kh_ha__fields[] = {
    KH_FIELD_POD_METADATA, KH_FIELD_POD_SPEC ".affinity",
    KH_FIELD_POD_SPEC ".containers.args", KH_FIELD_POD_SPEC ".containers.command",
    KH_FIELD_POD_SPEC ".containers.image", KH_FIELD_POD_SPEC ".containers.name",
    KH_FIELD_POD_SPEC ".containers.readinessProbe", KH_FIELD_POD_SPEC ".topologySpreadConstraints",
    "endpoints", "metadata.deletionTimestamp", "metadata.ownerReferences", "spec.maxUnavailable",
    "spec.minAvailable", "spec.minReplicas", "spec.nodeName", "spec.replicas",
    "spec.scaleTargetRef", "spec.selector", "spec.strategy", "spec.taints", "spec.type",
    "spec.updateStrategy", "status.addresses", "status.conditions.status", "status.conditions.type",
    "status.phase", "subsets",
    NULL,
};

/* ---------------------------------------------------------- string map */

/* Open addressing, sized once for the most keys it can get (no rehash). */
typedef kh_ha_map smap;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool smap_init(smap *m, kh_arena *a, size_t most)
{
    size_t cap = 16;
    while (cap < 2 * most + 16)
        cap *= 2;
    m->keys = kh_arena_calloc(a, cap, sizeof(*m->keys));
    m->vals = kh_arena_alloc(a, cap * sizeof(*m->vals));
    m->mask = cap - 1;
    return m->keys && m->vals;
}

static long smap_get(const smap *m, const char *key)
{
    for (size_t i = fnv(key) & m->mask;; i = (i + 1) & m->mask) {
        if (!m->keys[i])
            return -1;
        if (strcmp(m->keys[i], key) == 0)
            return (long)m->vals[i];
    }
}

/* Insert (the first value of a key wins); @p key must outlive the map. */
static void smap_put(smap *m, const char *key, size_t val)
{
    for (size_t i = fnv(key) & m->mask;; i = (i + 1) & m->mask) {
        if (!m->keys[i]) {
            m->keys[i] = key;
            m->vals[i] = val;
            return;
        }
        if (strcmp(m->keys[i], key) == 0)
            return;
    }
}

/* "namespace\x1fkind\x1fname" in @p buf: a key of the HPA and ReplicaSet
 * maps, and what the workload map compares. */
static const char *wkey(char *buf, size_t size, const char *ns, const char *kind,
                        const char *name)
{
    int n = snprintf(buf, size, "%s\x1f%s\x1f%s", ns ? ns : "", kind, name);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

/* Workloads by their wkey: open addressing over workload indexes + 1 (0
 * is empty), sized once; a slot's key is formed from its workload. Only
 * the build needs it: malloc'd, and freed when the model is built. */
typedef struct wmap {
    uint32_t *slots;
    size_t mask;
} wmap;

static bool wmap_init(wmap *m, size_t most)
{
    size_t cap = 16;
    while (cap < 2 * most + 16)
        cap *= 2;
    m->slots = calloc(cap, sizeof(*m->slots));
    m->mask = cap - 1;
    return m->slots != NULL;
}

static kh_ha_wl_info *info_of(const kh_ha_model *m, uint32_t i)
{
    return &m->infos[i / KH_HA_INFO_BLOCK][i % KH_HA_INFO_BLOCK];
}

static void wl_names(const kh_ha_model *m, size_t i, const char **ns, const char **kind,
                     const char **name)
{
    const kh_ha_wl *w = &m->workloads[i];
    if (w->info) {
        const kh_ha_wl_info *in = info_of(m, w->at);
        *ns = in->namespace_, *kind = in->kind, *name = in->name;
    } else {
        const kh_object *pod = m->pods[w->at].obj;
        *ns = pod->namespace_ ? pod->namespace_ : "", *kind = "Pod", *name = pod->name;
    }
}

/* Whether @p key is workload @p i's wkey, compared part by part. */
static bool wl_is(const kh_ha_model *m, size_t i, const char *key)
{
    const char *parts[3];
    wl_names(m, i, &parts[0], &parts[1], &parts[2]);
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(parts[k]);
        if (strncmp(key, parts[k], n) != 0)
            return false;
        key += n;
        if (k < 2 && *key++ != '\x1f')
            return false;
    }
    return *key == '\0';
}

/* The slot of @p key: its workload's, or the empty one it would take. */
static size_t wmap_slot(const wmap *w, const kh_ha_model *m, const char *key)
{
    size_t i = fnv(key) & w->mask;
    while (w->slots[i] && !wl_is(m, w->slots[i] - 1, key))
        i = (i + 1) & w->mask;
    return i;
}

static long wmap_get(const wmap *w, const kh_ha_model *m, const char *key)
{
    return (long)w->slots[wmap_slot(w, m, key)] - 1;
}

/* ------------------------------------------------------- small readers */

kh_ha_intpct kh_ha__intpct(const kh_node *n)
{
    kh_ha_intpct v = {.kind = KH_HA_ABSENT, .node = n};
    if (!n || kh_node_is_null(n))
        return (kh_ha_intpct){.kind = KH_HA_ABSENT};
    if (n->type == KH_NODE_INT && kh_node_int(n, &v.value)) {
        v.kind = KH_HA_INT;
        return v;
    }
    v.kind = KH_HA_INVALID;
    if (n->type != KH_NODE_STRING)
        return v;
    /* strconv.Atoi of the text before a trailing '%': optional sign,
     * then decimal digits only. */
    const char *s = n->u.text;
    size_t len = strlen(s);
    if (len < 2 || s[len - 1] != '%')
        return v;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len - 1)
        return v;
    int64_t x = 0;
    for (; i < len - 1; i++) {
        if (s[i] < '0' || s[i] > '9' || x > (INT64_MAX - 9) / 10)
            return v;
        x = x * 10 + (s[i] - '0');
    }
    v.kind = KH_HA_PERCENT;
    v.value = neg ? -x : x;
    return v;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t kh_ha__scaled(const kh_ha_intpct *v, int64_t total, bool round_up)
{
    if (v->kind != KH_HA_PERCENT)
        return v->value;
    /* math.Ceil / math.Floor of value*total/100, in exact integers. */
    int64_t p = v->value * total;
    return round_up ? -floor_div(-p, 100) : floor_div(p, 100);
}

static const char *label(const kh_node *labels, const char *key)
{
    const char *s = kh_node_str(kh_node_get(labels, key));
    return s && *s ? s : NULL;
}

/* The owner reference with controller: true (metav1.GetControllerOf). */
static const kh_node *controller_ref(const kh_object *o)
{
    const kh_node *refs = kh_node_get(o->metadata, "ownerReferences");
    for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++) {
        const kh_node *r = kh_node_at(refs, i);
        if (kh_node_is_true(kh_node_get(r, "controller")) &&
            kh_node_str(kh_node_get(r, "kind")) && kh_node_str(kh_node_get(r, "name")))
            return r;
    }
    return NULL;
}

/* The key node of @p key in @p map (where findings point), or NULL. */
static const kh_node *key_of(const kh_node *map, const char *key)
{
    for (uint32_t i = 0; kh_node_is_map(map) && i < map->len; i++) {
        const char *k = kh_node_str(map->u.pairs[i].key);
        if (k && strcmp(k, key) == 0)
            return map->u.pairs[i].key;
    }
    return NULL;
}

static bool is_kind(const kh_object *o, const char *kind)
{
    return o->kind && strcmp(o->kind, kind) == 0;
}

static kh_ha_wl_class wl_class(const char *kind, bool *ok)
{
    static const char *const replicated[] = {
        "CloneSet", "Deployment", "ReplicaSet", "ReplicationController", "Rollout",
        "StatefulSet",
    };
    *ok = true;
    for (size_t i = 0; i < sizeof(replicated) / sizeof(replicated[0]); i++)
        if (strcmp(kind, replicated[i]) == 0)
            return KH_HA_WL_REPLICATED;
    if (strcmp(kind, "DaemonSet") == 0)
        return KH_HA_WL_DAEMON;
    *ok = false;
    return KH_HA_WL_BARE;
}

/* Kinds whose pods the disruption controller finds no scale for. */
static bool noscale_kind(const char *kind)
{
    return strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "Job") == 0 ||
           strcmp(kind, "CronJob") == 0 || strcmp(kind, "Node") == 0;
}

/* --------------------------------------------------------------- build */

typedef struct build {
    kh_ha_model *m;
    kh_arena *a;
    const kh_objset *set;
    smap addrs, hpas, rs_owner;
    wmap workloads;
    size_t nodes_cap, workloads_cap;
    /* What selects need, built only when there is a budget or a Service
     * (malloc'd, freed after the build): the templates' stand-ins, and
     * pods by object pointer (open addressing: selects run over the
     * input's own label index, so no second set of pods is built). */
    kh_objset *templ_set;
    const kh_object **pod_keys;
    uint32_t *pod_vals;
    size_t pod_mask;
    uint32_t *stamp;             /* per workload: last budget that counted it, +1 */
} build;

static long add_node(build *b, const char *name, const kh_object *obj)
{
    long at = smap_get(&b->m->node_index, name);
    if (at >= 0)
        return at;
    if (b->m->nnodes == b->nodes_cap)
        return -1;
    kh_ha_nodeinfo *n = &b->m->nodes[b->m->nnodes];
    *n = (kh_ha_nodeinfo){.obj = obj, .name = name, .zone_id = -1};
    smap_put(&b->m->node_index, name, b->m->nnodes);
    return (long)b->m->nnodes++;
}

static bool control_plane_role(const kh_object *o)
{
    static const char *const roles[] = {"node-role.kubernetes.io/control-plane",
                                        "node-role.kubernetes.io/master"};
    for (size_t i = 0; i < 2; i++)
        if (kh_node_get(o->labels, roles[i]))
            return true;
    const kh_node *taints = kh_node_path(o->root, "spec.taints");
    for (size_t t = 0; kh_node_is_seq(taints) && t < taints->len; t++) {
        const char *key = kh_node_str(kh_node_get(kh_node_at(taints, t), "key"));
        for (size_t i = 0; key && i < 2; i++)
            if (strcmp(key, roles[i]) == 0)
                return true;
    }
    return false;
}

static bool build_nodes(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(b->set, "Node", &objs);
    for (size_t i = 0; i < n; i++) {
        if (!objs[i]->name || !*objs[i]->name || smap_get(&b->m->node_index, objs[i]->name) >= 0)
            continue;
        long at = add_node(b, objs[i]->name, objs[i]);
        if (at < 0)
            return false;
        kh_ha_nodeinfo *node = &m->nodes[at];
        node->control_plane = control_plane_role(objs[i]);
        node->zone = label(objs[i]->labels, "topology.kubernetes.io/zone");
        if (!node->zone)
            node->zone = label(objs[i]->labels, "failure-domain.beta.kubernetes.io/zone");
        if (node->zone) {
            long z = smap_get(&m->zone_index, node->zone);
            if (z < 0) {
                z = (long)m->nzones++;
                smap_put(&m->zone_index, node->zone, (size_t)z);
            }
            node->zone_id = z;
        }
        const kh_node *addrs = kh_node_path(objs[i]->root, "status.addresses");
        for (size_t k = 0; kh_node_is_seq(addrs) && k < addrs->len; k++) {
            const char *ip = kh_node_str(kh_node_get(kh_node_at(addrs, k), "address"));
            if (ip && *ip)
                smap_put(&b->addrs, ip, (size_t)at);
        }
    }
    m->nnodes_obj = m->nnodes;
    m->zones = kh_arena_calloc(b->a, m->nzones ? m->nzones : 1, sizeof(*m->zones));
    if (!m->zones)
        return false;
    for (size_t i = 0; i < m->nnodes; i++)
        if (m->nodes[i].zone_id >= 0) {
            kh_ha_zone *z = &m->zones[m->nodes[i].zone_id];
            z->name = m->nodes[i].zone;
            z->nnodes++;
        }
    for (size_t z = 0; z < m->nzones; z++) {
        m->zones[z].nodes = kh_arena_alloc(b->a, m->zones[z].nnodes * sizeof(size_t) + 1);
        if (!m->zones[z].nodes)
            return false;
        m->zones[z].nnodes = 0;
    }
    for (size_t i = 0; i < m->nnodes; i++)
        if (m->nodes[i].zone_id >= 0) {
            kh_ha_zone *z = &m->zones[m->nodes[i].zone_id];
            z->nodes[z->nnodes++] = i;
        }
    return true;
}

static bool build_hpas(build *b)
{
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(b->set, "HorizontalPodAutoscaler", &objs);
    if (!smap_init(&b->hpas, b->a, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        const kh_node *ref = kh_node_path(objs[i]->root, "spec.scaleTargetRef");
        const char *kind = kh_node_str(kh_node_get(ref, "kind"));
        const char *name = kh_node_str(kh_node_get(ref, "name"));
        char buf[512];
        if (!kind || !name || !wkey(buf, sizeof(buf), objs[i]->namespace_, kind, name))
            continue;
        const char *key = kh_arena_strdup(b->a, buf);
        if (!key)
            return false;
        smap_put(&b->hpas, key, i);
    }
    return true;
}

/* A controller's spec.replicas into *@p r, and its key; NULL (and *@p r
 * untouched) when it has none that is an integer. */
static const kh_node *replicas_of(const kh_object *obj, kh_ha_wl_class cls, int64_t *r)
{
    if (!obj || cls != KH_HA_WL_REPLICATED)
        return NULL;
    const kh_node *spec = kh_node_get(obj->root, "spec");
    return kh_node_int(kh_node_get(spec, "replicas"), r) ? key_of(spec, "replicas") : NULL;
}

/* An HPA's spec.minReplicas, 1 when unset or not an integer. */
static int64_t hpa_min(const kh_object *hpa)
{
    int64_t min = 1;
    const kh_node *mn = kh_node_path(hpa->root, "spec.minReplicas");
    if (mn && !kh_node_is_null(mn) && !kh_node_int(mn, &min))
        min = 1;
    return min;
}

/* A new info record for @p w, NULL when out of memory. */
static kh_ha_wl_info *new_info(build *b, kh_ha_wl *w)
{
    kh_ha_model *m = b->m;
    if (m->ninfos % KH_HA_INFO_BLOCK == 0) {
        m->infos[m->ninfos / KH_HA_INFO_BLOCK] =
            kh_arena_alloc(b->a, KH_HA_INFO_BLOCK * sizeof(kh_ha_wl_info));
        if (!m->infos[m->ninfos / KH_HA_INFO_BLOCK])
            return NULL;
    }
    w->at = (uint32_t)m->ninfos++;
    w->info = 1;
    return info_of(m, w->at);
}

/* The workload of that name, added when new. A bare pod's (@p cls
 * KH_HA_WL_BARE: only a pod without a controller adds one) is the pod
 * being built, m->pods[m->npods]. */
static long add_workload(build *b, const kh_object *obj, const char *ns, const char *kind,
                         const char *name, kh_ha_wl_class cls)
{
    kh_ha_model *m = b->m;
    char buf[512];
    if (!wkey(buf, sizeof(buf), ns, kind, name) || m->nworkloads == b->workloads_cap)
        return -1;
    size_t slot = wmap_slot(&b->workloads, m, buf);
    if (b->workloads.slots[slot])
        return (long)b->workloads.slots[slot] - 1;
    kh_ha_wl *w = &m->workloads[m->nworkloads];
    *w = (kh_ha_wl){.at = (uint32_t)m->npods, .cls = (uint32_t)cls};
    long h = smap_get(&b->hpas, buf);
    if (cls != KH_HA_WL_BARE || h >= 0) {
        kh_ha_wl_info *in = new_info(b, w);
        if (!in)
            return -1;
        *in = (kh_ha_wl_info){.obj = obj, .kind = kind, .namespace_ = ns ? ns : "",
                              .name = name, .replicas = 1, .templ = -1};
        replicas_of(obj, cls, &in->replicas);
        if (h >= 0) {
            const kh_object *const *hpas;
            kh_objset_by_kind(b->set, "HorizontalPodAutoscaler", &hpas);
            in->hpa = hpas[h];
        }
    }
    b->workloads.slots[slot] = (uint32_t)m->nworkloads + 1;
    return (long)m->nworkloads++;
}

static bool build_workloads(build *b)
{
    kh_ha_model *m = b->m;
    size_t n = kh_objset_count(b->set), ntempl = 0;
    for (size_t i = 0; i < n; i++) {
        const kh_object *o = kh_objset_at(b->set, i);
        const char *path = NULL;
        ntempl += o->kind && !is_kind(o, "Pod") && (kh_object_pod_metadata(o, &path) || path);
    }
    m->templs = kh_arena_calloc(b->a, ntempl ? ntempl : 1, sizeof(*m->templs));
    if (!m->templs)
        return false;
    /* Controllers first (a ReplicaSet's Deployment may come after it). */
    for (size_t i = 0; i < n; i++) {
        const kh_object *o = kh_objset_at(b->set, i);
        bool ok;
        kh_ha_wl_class cls = o->kind ? wl_class(o->kind, &ok) : KH_HA_WL_BARE;
        if (!o->kind || !ok || !o->name || !*o->name)
            continue;
        const kh_node *ref = controller_ref(o);
        if (is_kind(o, "ReplicaSet") && ref &&
            strcmp(kh_node_str(kh_node_get(ref, "kind")), "Deployment") == 0)
            continue; /* stands for its Deployment: resolved below */
        if (add_workload(b, o, o->namespace_, o->kind, o->name, cls) < 0)
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        const kh_object *o = kh_objset_at(b->set, i);
        const char *path = NULL;
        if (!o->kind || is_kind(o, "Pod"))
            continue;
        const kh_node *meta = kh_object_pod_metadata(o, &path);
        if (!meta && !path)
            continue; /* no pod template */
        long w = -1;
        char buf[512];
        if (o->name && *o->name && wkey(buf, sizeof(buf), o->namespace_, o->kind, o->name))
            w = wmap_get(&b->workloads, m, buf);
        if (w >= 0 && (!m->workloads[w].info || info_of(m, m->workloads[w].at)->obj != o))
            w = -1; /* a second object of that name */
        if (is_kind(o, "ReplicaSet") && w < 0 && o->name && *o->name) {
            const kh_node *ref = controller_ref(o);
            const char *dep = ref ? kh_node_str(kh_node_get(ref, "name")) : NULL;
            long d = dep ? add_workload(b, NULL, o->namespace_, "Deployment", dep,
                                        KH_HA_WL_REPLICATED)
                         : -1;
            const char *key = kh_arena_strdup(b->a, buf);
            if (d < 0 || !key)
                return false;
            smap_put(&b->rs_owner, key, (size_t)d);
        }
        kh_ha_templ *t = &m->templs[m->ntempls];
        *t = (kh_ha_templ){.obj = o, .workload = (int32_t)w, .noscale = noscale_kind(o->kind),
                           .labels = kh_node_is_map(kh_node_get(meta, "labels"))
                                         ? kh_node_get(meta, "labels")
                                         : NULL};
        if (w >= 0)
            info_of(m, m->workloads[w].at)->templ = (int32_t)m->ntempls;
        m->ntempls++;
    }
    return true;
}

/* A pod is ready as the disruption controller counts it (IsPodReady): its
 * Ready condition is True. A hand-written pod without a status is taken as
 * running and ready; one being deleted never counts. */
static bool pod_ready(const kh_object *o)
{
    if (kh_node_get(o->metadata, "deletionTimestamp") &&
        !kh_node_is_null(kh_node_get(o->metadata, "deletionTimestamp")))
        return false;
    const kh_node *status = kh_node_get(o->root, "status");
    if (!kh_node_is_map(status))
        return true;
    const kh_node *conds = kh_node_get(status, "conditions");
    for (size_t i = 0; kh_node_is_seq(conds) && i < conds->len; i++) {
        const kh_node *c = kh_node_at(conds, i);
        const char *type = kh_node_str(kh_node_get(c, "type"));
        if (type && strcmp(type, "Ready") == 0) {
            const char *s = kh_node_str(kh_node_get(c, "status"));
            return s && strcmp(s, "True") == 0;
        }
    }
    const char *phase = kh_node_str(kh_node_get(status, "phase"));
    return !phase || strcmp(phase, "Running") == 0;
}

static size_t ptr_slot(const build *b, const kh_object *o)
{
    size_t i = (size_t)(((uintptr_t)o >> 4) * 0x9e3779b97f4a7c15ull) & b->pod_mask;
    while (b->pod_keys[i] && b->pod_keys[i] != o)
        i = (i + 1) & b->pod_mask;
    return i;
}

/* The workload a pod belongs to, -1 for none; sets the pod's flags. */
static long pod_workload(build *b, const kh_object *o, kh_ha_pod *p)
{
    const kh_node *ref = controller_ref(o);
    if (!ref) {
        p->unmanaged = true;
        return add_workload(b, NULL, o->namespace_, "Pod", o->name, KH_HA_WL_BARE);
    }
    const char *kind = kh_node_str(kh_node_get(ref, "kind"));
    const char *name = kh_node_str(kh_node_get(ref, "name"));
    if (noscale_kind(kind))
        p->noscale = true;
    if (strcmp(kind, "Job") == 0 || strcmp(kind, "CronJob") == 0 || strcmp(kind, "Node") == 0)
        return -1;
    char buf[512];
    if (!wkey(buf, sizeof(buf), o->namespace_, kind, name))
        return -1;
    long w = wmap_get(&b->workloads, b->m, buf);
    if (w >= 0)
        return w;
    if (strcmp(kind, "ReplicaSet") == 0) {
        long d = smap_get(&b->rs_owner, buf);
        if (d >= 0)
            return d;
        /* The ReplicaSet is not in the input: a Deployment's is named
         * <deployment>-<pod-template-hash>. */
        const char *hash = label(o->labels, "pod-template-hash");
        size_t nl = strlen(name), hl = hash ? strlen(hash) : 0;
        if (hash && nl > hl + 1 && name[nl - hl - 1] == '-' &&
            strcmp(name + nl - hl, hash) == 0) {
            const char *dep = kh_arena_strndup(b->a, name, nl - hl - 1);
            return dep ? add_workload(b, NULL, o->namespace_, "Deployment", dep,
                                      KH_HA_WL_REPLICATED)
                       : -1;
        }
    }
    bool ok;
    kh_ha_wl_class cls = wl_class(kind, &ok);
    return add_workload(b, NULL, o->namespace_, kind, name, ok ? cls : KH_HA_WL_REPLICATED);
}

static bool build_pods(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(b->set, "Pod", &objs);
    m->pods = kh_arena_calloc(b->a, n ? n : 1, sizeof(*m->pods));
    if (!m->pods)
        return false;
    for (size_t i = 0; i < n; i++) {
        const kh_object *o = objs[i];
        const char *phase = kh_node_str(kh_node_path(o->root, "status.phase"));
        if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
            continue; /* finished: holds no replica */
        kh_ha_pod *p = &m->pods[m->npods];
        *p = (kh_ha_pod){.obj = o, .node = -1, .ready = pod_ready(o)};
        const char *node = kh_node_str(kh_node_path(o->root, "spec.nodeName"));
        if (node && *node && (p->node = (int)add_node(b, node, NULL)) < 0)
            return false;
        p->workload = (int)pod_workload(b, o, p);
        if (p->workload >= 0) {
            kh_ha_wl *w = &m->workloads[p->workload];
            w->npods++;
            w->ready += p->ready;
        }
        m->npods++;
    }
    /* What is known only from pods has as many replicas as pods (a bare
     * pod's workload reads them from npods). */
    for (size_t i = 0; i < m->nworkloads; i++) {
        kh_ha_wl *w = &m->workloads[i];
        kh_ha_wl_info *in = w->info ? info_of(m, w->at) : NULL;
        if (in && (!in->obj || w->cls == KH_HA_WL_DAEMON))
            in->replicas = (int64_t)w->npods;
    }
    /* Pods by node. */
    for (size_t i = 0; i < m->npods; i++)
        if (m->pods[i].node >= 0)
            m->nodes[m->pods[i].node].npods++;
    for (size_t i = 0; i < m->nnodes; i++) {
        m->nodes[i].pods = kh_arena_alloc(b->a, m->nodes[i].npods * sizeof(uint32_t) + 1);
        if (!m->nodes[i].pods)
            return false;
        m->nodes[i].npods = 0;
    }
    for (size_t i = 0; i < m->npods; i++)
        if (m->pods[i].node >= 0) {
            kh_ha_nodeinfo *nd = &m->nodes[m->pods[i].node];
            nd->pods[nd->npods++] = (uint32_t)i;
        }
    return true;
}

/* --------------------------------------------------- budgets, Services */

static bool link(kh_arena *a, kh_ha_link **head, size_t idx)
{
    kh_ha_link *l = kh_arena_alloc(a, sizeof(*l));
    if (!l)
        return false;
    *l = (kh_ha_link){.idx = idx, .next = *head};
    *head = l;
    return true;
}

typedef struct sel_ctx {
    build *b;
    size_t idx;                  /* the budget or Service */
    bool service, failed;
} sel_ctx;

static int on_templ(const kh_object *standin, void *ud)
{
    sel_ctx *c = ud;
    kh_ha_model *m = c->b->m;
    kh_ha_templ *t = &m->templs[standin->input];
    bool ok;
    if (c->service) {
        kh_ha_service *s = &m->services[c->idx];
        ok = link(c->b->a, &t->services, c->idx) && link(c->b->a, &s->templs, standin->input);
        t->nservices++;
        s->ntempls++;
    } else {
        kh_ha_budget *bu = &m->budgets[c->idx];
        ok = link(c->b->a, &bu->templs, standin->input);
        t->nbudgets++;
        bu->ntempls++;
    }
    c->failed |= !ok;
    return 0;
}

static int on_pod(const kh_object *obj, void *ud)
{
    sel_ctx *c = ud;
    kh_ha_model *m = c->b->m;
    size_t slot = ptr_slot(c->b, obj);
    if (!c->b->pod_keys[slot])
        return 0; /* a finished pod, left out of the model */
    kh_ha_pod *p = &m->pods[c->b->pod_vals[slot]];
    kh_ha_pod_links *pl = &m->pod_links[c->b->pod_vals[slot]];
    if (c->service) {
        kh_ha_service *s = &m->services[c->idx];
        c->failed |= !link(c->b->a, &pl->services, c->idx);
        s->npods++;
        s->endpoints += p->ready;
        return 0;
    }
    kh_ha_budget *bu = &m->budgets[c->idx];
    c->failed |= !link(c->b->a, &pl->budgets, c->idx);
    bu->npods++;
    bu->healthy += p->ready;
    /* Only a scaled budget asks for the controllers' scale, and fails on a
     * DaemonSet, Job or static pod, which have none. */
    if (p->noscale && (bu->mode == KH_HA_BUDGET_MAX || bu->value.kind == KH_HA_PERCENT))
        bu->failsafe = true;
    /* getExpectedScale: the sum of the scales of the pods' controllers,
     * each counted once; pods without a controller are left out. */
    if (p->workload >= 0 && !p->unmanaged && c->b->stamp[p->workload] != c->idx + 1) {
        c->b->stamp[p->workload] = (uint32_t)c->idx + 1;
        bu->expected += kh_ha__workload(m, (size_t)p->workload).replicas;
    }
    return 0;
}

/* A budget's selector as the API server reads it: null matches nothing;
 * {} everything in policy/v1 and nothing in v1beta1 (its conversion maps
 * {} to match-none); an invalid one is skipped by the disruption lister. */
static void budget_selector(build *b, kh_ha_budget *bu)
{
    const kh_node *sel = kh_node_path(bu->obj->root, "spec.selector");
    const kh_selector *out = NULL;
    if (kh_selector_compile(&out, sel, b->a, NULL) != KH_OK) {
        bu->why_nothing = "its selector is invalid, so the disruption controller skips it";
        return;
    }
    if (!sel || kh_node_is_null(sel)) {
        bu->why_nothing = "it has no selector, which matches no pod";
        return;
    }
    if (kh_selector_matches_everything(out) && bu->obj->api_version &&
        strcmp(bu->obj->api_version, "policy/v1") != 0) {
        bu->why_nothing = "an empty selector matches no pod in policy/v1beta1";
        return;
    }
    bu->sel = out;
}

/* What selects need (the templates' stand-ins, the pod map, the stamps and
 * the pods' links), built only when the input has a budget or a Service:
 * a cluster of bare pods and Deployments has none, and this would be a
 * third of its model. */
static bool prepare_selects(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *objs;
    if (!kh_objset_by_kind(b->set, "PodDisruptionBudget", &objs) &&
        !kh_objset_by_kind(b->set, "Service", &objs))
        return true;
    if (kh_objset_new(&b->templ_set, NULL) != KH_OK)
        return false;
    for (size_t i = 0; i < m->ntempls; i++) {
        const kh_ha_templ *t = &m->templs[i];
        if (!t->labels)
            continue;
        kh_object standin = {.root = t->obj->root, .kind = t->obj->kind,
                             .namespace_ = t->obj->namespace_, .labels = t->labels,
                             .input = (unsigned)i};
        if (kh_objset_add(b->templ_set, &standin) != KH_OK)
            return false;
    }
    size_t cap = 16;
    while (cap < 2 * m->npods + 16)
        cap *= 2;
    b->pod_keys = calloc(cap, sizeof(*b->pod_keys));
    b->pod_vals = malloc(cap * sizeof(*b->pod_vals));
    b->pod_mask = cap - 1;
    m->pod_links = kh_arena_calloc(b->a, m->npods ? m->npods : 1, sizeof(*m->pod_links));
    b->stamp = calloc(m->nworkloads ? m->nworkloads : 1, sizeof(*b->stamp));
    if (!b->pod_keys || !b->pod_vals || !m->pod_links || !b->stamp)
        return false;
    for (size_t i = 0; i < m->npods; i++) {
        size_t slot = ptr_slot(b, m->pods[i].obj);
        b->pod_keys[slot] = m->pods[i].obj;
        b->pod_vals[slot] = (uint32_t)i;
    }
    return true;
}

static bool build_budgets(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(b->set, "PodDisruptionBudget", &objs);
    m->budgets = kh_arena_calloc(b->a, n ? n : 1, sizeof(*m->budgets));
    if (!m->budgets)
        return false;
    for (size_t i = 0; i < n; i++) {
        kh_ha_budget *bu = &m->budgets[m->nbudgets];
        *bu = (kh_ha_budget){.obj = objs[i]};
        const kh_node *spec = kh_node_get(objs[i]->root, "spec");
        /* getExpectedPodCount reads maxUnavailable first. */
        kh_ha_intpct mu = kh_ha__intpct(kh_node_get(spec, "maxUnavailable"));
        kh_ha_intpct ma = kh_ha__intpct(kh_node_get(spec, "minAvailable"));
        if (mu.kind != KH_HA_ABSENT) {
            bu->mode = KH_HA_BUDGET_MAX;
            bu->value = mu;
        } else if (ma.kind != KH_HA_ABSENT) {
            bu->mode = KH_HA_BUDGET_MIN;
            bu->value = ma;
        }
        budget_selector(b, bu);
        sel_ctx c = {.b = b, .idx = m->nbudgets};
        if (bu->sel) {
            kh_objset_select(b->templ_set, NULL, objs[i]->namespace_, bu->sel, on_templ, &c);
            kh_objset_select(b->set, "Pod", objs[i]->namespace_, bu->sel, on_pod, &c);
        }
        if (c.failed)
            return false;
        /* The controller's arithmetic over the pods in the input. */
        if (bu->value.kind == KH_HA_INVALID)
            bu->failsafe = true;
        else if (bu->mode == KH_HA_BUDGET_MAX) {
            int64_t d = bu->expected - kh_ha__scaled(&bu->value, bu->expected, true);
            bu->desired = d < 0 ? 0 : d;
        } else if (bu->mode == KH_HA_BUDGET_MIN && bu->value.kind == KH_HA_INT) {
            bu->desired = bu->value.value;
            bu->expected = (int64_t)bu->npods;
        } else if (bu->mode == KH_HA_BUDGET_MIN) {
            bu->desired = kh_ha__scaled(&bu->value, bu->expected, true);
        } else {
            bu->expected = 0;
        }
        m->nbudgets++;
    }
    return true;
}

static bool build_services(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(b->set, "Service", &objs);
    m->services = kh_arena_calloc(b->a, n ? n : 1, sizeof(*m->services));
    if (!m->services)
        return false;
    for (size_t i = 0; i < n; i++) {
        kh_ha_service *s = &m->services[m->nservices];
        *s = (kh_ha_service){.obj = objs[i]};
        const kh_node *spec = kh_node_get(objs[i]->root, "spec");
        const char *type = kh_node_str(kh_node_get(spec, "type"));
        s->load_balancer = type && strcmp(type, "LoadBalancer") == 0;
        const kh_node *sel = kh_node_get(spec, "selector");
        bool external = type && strcmp(type, "ExternalName") == 0;
        if (!external && kh_node_is_map(sel) && sel->len > 0 &&
            kh_selector_from_map(&s->sel, sel, b->a, NULL) != KH_OK)
            s->sel = NULL;
        if (external || !kh_node_is_map(sel) || sel->len == 0)
            s->sel = NULL;
        sel_ctx c = {.b = b, .idx = m->nservices, .service = true};
        if (s->sel) {
            kh_objset_select(b->templ_set, NULL, objs[i]->namespace_, s->sel, on_templ, &c);
            kh_objset_select(b->set, "Pod", objs[i]->namespace_, s->sel, on_pod, &c);
        }
        if (c.failed)
            return false;
        m->nservices++;
    }
    return true;
}

/* --------------------------------------------------------- control plane */

/* The value of --flag=value or "--flag value" in a container's command
 * and args; *at is the argument's node. */
static const char *flag(const kh_node *c, const char *name, const kh_node **at)
{
    static const char *const lists[] = {"command", "args"};
    size_t nl = strlen(name);
    for (size_t l = 0; l < 2; l++) {
        const kh_node *seq = kh_node_get(c, lists[l]);
        for (size_t i = 0; kh_node_is_seq(seq) && i < seq->len; i++) {
            const char *s = kh_node_str(kh_node_at(seq, i));
            if (!s || strncmp(s, name, nl) != 0)
                continue;
            if (at)
                *at = kh_node_at(seq, i);
            if (s[nl] == '=')
                return s + nl + 1;
            if (s[nl] == '\0' && i + 1 < seq->len)
                return kh_node_str(kh_node_at(seq, i + 1));
        }
    }
    return NULL;
}

/* The container running @p binary (command[0]'s base name, or the
 * component label naming it), or NULL. */
static const kh_node *component(const kh_object *pod, const char *binary)
{
    const kh_node *cs = kh_node_path(pod->root, "spec.containers");
    const char *comp = label(pod->labels, "component");
    for (size_t i = 0; kh_node_is_seq(cs) && i < cs->len; i++) {
        const kh_node *c = kh_node_at(cs, i);
        const char *cmd = kh_node_str(kh_node_at(kh_node_get(c, "command"), 0));
        const char *base = cmd ? strrchr(cmd, '/') : NULL;
        base = base ? base + 1 : cmd;
        if (base && strcmp(base, binary) == 0)
            return c;
    }
    if (comp && strcmp(comp, binary) == 0)
        return kh_node_at(cs, 0) ? kh_node_at(cs, 0) : pod->root;
    return NULL;
}

/* The host of a URL ("https://10.0.0.1:2380" is 10.0.0.1), in the arena. */
static const char *url_host(kh_arena *a, const char *url)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    size_t n = strcspn(s, "/");
    if (s[0] == '[') { /* [v6]:port */
        const char *e = memchr(s, ']', n);
        return e ? kh_arena_strndup(a, s + 1, (size_t)(e - s - 1)) : NULL;
    }
    const char *colon = memchr(s, ':', n);
    return kh_arena_strndup(a, s, colon ? (size_t)(colon - s) : n);
}

static long node_of_addr(build *b, const char *host)
{
    return host ? smap_get(&b->addrs, host) : -1;
}

static bool add_member(build *b, smap *names, const char *name, const char *peer, long node)
{
    kh_ha_model *m = b->m;
    long at = smap_get(names, name);
    if (at < 0) {
        at = (long)m->nmembers++;
        m->members[at] = (kh_ha_member){.name = name, .peer = peer, .node = -1};
        smap_put(names, name, (size_t)at);
    }
    kh_ha_member *mem = &m->members[at];
    if (!mem->peer)
        mem->peer = peer;
    if (node >= 0)
        mem->node = node;
    return true;
}

static bool build_etcd(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *pods;
    size_t n = kh_objset_by_kind(b->set, "Pod", &pods), cap = 0;
    /* Room: every pod's own name plus every --initial-cluster entry. */
    for (size_t i = 0; i < n; i++) {
        const kh_node *c = component(pods[i], "etcd");
        const char *ic = c ? flag(c, "--initial-cluster", NULL) : NULL;
        if (!c)
            continue;
        cap++;
        for (; ic && *ic; ic++)
            cap += *ic == ',';
        cap += ic != NULL;
    }
    smap names;
    m->members = kh_arena_calloc(b->a, cap ? cap : 1, sizeof(*m->members));
    if (!m->members || !smap_init(&names, b->a, cap))
        return false;
    for (size_t i = 0; i < n; i++) {
        const kh_node *c = component(pods[i], "etcd");
        if (!c)
            continue;
        const kh_node *at = NULL;
        const char *ic = flag(c, "--initial-cluster", &at);
        if (!m->etcd_obj || (!m->etcd_at && ic)) {
            m->etcd_obj = pods[i];
            m->etcd_at = ic ? at : NULL;
        }
        const char *node = kh_node_str(kh_node_path(pods[i]->root, "spec.nodeName"));
        const char *own = flag(c, "--name", NULL);
        own = own && *own ? own : pods[i]->name;
        long where = node && *node ? kh_ha__node_find(m, node) : -1;
        if (own && !add_member(b, &names, own, NULL, where))
            return false;
        /* name1=url1,name2=url2 (a member may list several peer URLs,
         * each as its own name=url entry) */
        while (ic && *ic) {
            size_t len = strcspn(ic, ",");
            const char *eq = memchr(ic, '=', len);
            if (eq && eq > ic) {
                const char *name = kh_arena_strndup(b->a, ic, (size_t)(eq - ic));
                const char *peer = kh_arena_strndup(b->a, eq + 1, len - (size_t)(eq - ic) - 1);
                if (!name || !peer || !add_member(b, &names, name, peer, -1))
                    return false;
            }
            ic += len + (ic[len] == ',');
        }
    }
    /* Members seen only in --initial-cluster: kubeadm names a member after
     * its node; else the peer URL's host is one of a node's addresses. */
    for (size_t i = 0; i < m->nmembers; i++) {
        kh_ha_member *mem = &m->members[i];
        if (mem->node < 0)
            mem->node = kh_ha__node_find(m, mem->name);
        if (mem->node < 0 && mem->peer)
            mem->node = node_of_addr(b, url_host(b->a, mem->peer));
    }
    return true;
}

static bool add_apiserver(build *b, smap *seen, const kh_object *obj, const char *what,
                          long node, const char *addr)
{
    kh_ha_model *m = b->m;
    char buf[64];
    const char *key = node >= 0 ? (snprintf(buf, sizeof(buf), "node:%ld", node), buf) : addr;
    if (!key || smap_get(seen, key) >= 0)
        return true;
    key = kh_arena_strdup(b->a, key);
    if (!key)
        return false;
    smap_put(seen, key, m->napiservers);
    m->apiservers[m->napiservers++] = (kh_ha_endpoint){.obj = obj, .what = what, .node = node};
    return true;
}

/* Addresses of the `kubernetes` Service's endpoints: Endpoints
 * subsets[].addresses[].ip, EndpointSlice endpoints[].addresses[]. */
static size_t endpoint_addrs(const kh_object *o, const char **out, size_t cap)
{
    size_t n = 0;
    if (is_kind(o, "Endpoints")) {
        const kh_node *subs = kh_node_get(o->root, "subsets");
        for (size_t i = 0; kh_node_is_seq(subs) && i < subs->len; i++) {
            const kh_node *as = kh_node_get(kh_node_at(subs, i), "addresses");
            for (size_t k = 0; kh_node_is_seq(as) && k < as->len && n < cap; k++) {
                const char *ip = kh_node_str(kh_node_get(kh_node_at(as, k), "ip"));
                if (ip && *ip)
                    out[n++] = ip;
            }
        }
    } else {
        const kh_node *eps = kh_node_get(o->root, "endpoints");
        for (size_t i = 0; kh_node_is_seq(eps) && i < eps->len; i++) {
            const kh_node *as = kh_node_get(kh_node_at(eps, i), "addresses");
            for (size_t k = 0; kh_node_is_seq(as) && k < as->len && n < cap; k++) {
                const char *ip = kh_node_str(kh_node_at(as, k));
                if (ip && *ip)
                    out[n++] = ip;
            }
        }
    }
    return n;
}

static bool build_apiservers(build *b)
{
    kh_ha_model *m = b->m;
    const kh_object *const *pods;
    size_t n = kh_objset_by_kind(b->set, "Pod", &pods), cap = 0;
    const kh_object *const *eps[2];
    size_t neps[2] = {kh_objset_by_kind(b->set, "Endpoints", &eps[0]),
                      kh_objset_by_kind(b->set, "EndpointSlice", &eps[1])};
    for (size_t i = 0; i < n; i++)
        cap += component(pods[i], "kube-apiserver") != NULL;
    const char *addrs[64];
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < neps[k]; i++)
            cap += endpoint_addrs(eps[k][i], addrs, 64);
    smap seen;
    m->apiservers = kh_arena_calloc(b->a, cap ? cap : 1, sizeof(*m->apiservers));
    if (!m->apiservers || !smap_init(&seen, b->a, cap))
        return false;
    for (size_t i = 0; i < n; i++) {
        const kh_node *c = component(pods[i], "kube-apiserver");
        if (!c)
            continue;
        const char *node = kh_node_str(kh_node_path(pods[i]->root, "spec.nodeName"));
        const char *adv = flag(c, "--advertise-address", NULL);
        long where = node && *node ? kh_ha__node_find(m, node) : node_of_addr(b, adv);
        const char *key = adv ? adv : pods[i]->name;
        if (!add_apiserver(b, &seen, pods[i], pods[i]->name, where, key))
            return false;
    }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < neps[k]; i++) {
            const kh_object *o = eps[k][i];
            bool mine = k == 0 ? strcmp(o->name, "kubernetes") == 0
                               : (label(o->labels, "kubernetes.io/service-name") &&
                                  strcmp(label(o->labels, "kubernetes.io/service-name"),
                                         "kubernetes") == 0);
            if (!mine || strcmp(o->namespace_, "default") != 0)
                continue;
            size_t na = endpoint_addrs(o, addrs, 64);
            for (size_t a = 0; a < na; a++)
                if (!add_apiserver(b, &seen, o, addrs[a], node_of_addr(b, addrs[a]), addrs[a]))
                    return false;
        }
    return true;
}

/* ---------------------------------------------------------------- API */

kh_ha_workload kh_ha__workload(const kh_ha_model *m, size_t i)
{
    const kh_ha_wl *s = &m->workloads[i];
    kh_ha_workload w = {.cls = (kh_ha_wl_class)s->cls, .npods = s->npods, .ready = s->ready,
                        .templ = -1};
    wl_names(m, i, &w.namespace_, &w.kind, &w.name);
    if (!s->info) {
        w.replicas = w.effective = (int64_t)s->npods;
        return w;
    }
    const kh_ha_wl_info *in = info_of(m, s->at);
    int64_t r;
    w.obj = in->obj;
    w.replicas = in->replicas;
    w.replicas_key = replicas_of(in->obj, w.cls, &r);
    w.hpa = in->hpa;
    w.hpa_min = in->hpa ? hpa_min(in->hpa) : 0;
    w.effective = in->hpa ? w.hpa_min : in->replicas;
    w.templ = in->templ;
    return w;
}

long kh_ha__node_find(const kh_ha_model *m, const char *name)
{
    return name ? smap_get(&m->node_index, name) : -1;
}

long kh_ha__zone_find(const kh_ha_model *m, const char *name)
{
    return name ? smap_get(&m->zone_index, name) : -1;
}

bool kh_ha__multi_zone(const kh_ha_model *m)
{
    return m->nzones > 1;
}

/* Distinct spec.nodeName values and distinct owners (or pods without
 * one) among the pods, counted by 64-bit hash: what the model may add. A
 * hash collision would undercount by one, so one slot is kept spare per
 * 2^32 names (none is needed in practice: the count only sizes arrays). */
static bool count_pod_names(const kh_objset *set, size_t *nodes, size_t *owners)
{
    const kh_object *const *pods;
    size_t n = kh_objset_by_kind(set, "Pod", &pods), cap = 16;
    while (cap < 4 * n + 16)
        cap *= 2;
    uint64_t *seen = calloc(cap, sizeof(*seen));
    if (!seen)
        return false;
    *nodes = *owners = 0;
    for (size_t i = 0; i < n; i++) {
        for (int what = 0; what < 2; what++) {
            uint64_t h = what ? 0x51ed27 : 0x2545f491;
            const char *parts[3] = {NULL, NULL, NULL};
            if (what == 0) {
                parts[0] = kh_node_str(kh_node_path(pods[i]->root, "spec.nodeName"));
                if (!parts[0] || !*parts[0])
                    continue;
            } else {
                const kh_node *ref = controller_ref(pods[i]);
                parts[0] = pods[i]->namespace_;
                parts[1] = ref ? kh_node_str(kh_node_get(ref, "kind")) : "Pod";
                parts[2] = ref ? kh_node_str(kh_node_get(ref, "name")) : pods[i]->name;
            }
            for (int k = 0; k < 3; k++) {
                for (const char *c = parts[k]; c && *c; c++)
                    h = (h ^ (unsigned char)*c) * 1099511628211ull;
                h = (h ^ 0x1f) * 1099511628211ull;
            }
            h |= 1; /* 0 marks an empty slot */
            size_t j = (size_t)h & (cap - 1);
            while (seen[j] && seen[j] != h)
                j = (j + 1) & (cap - 1);
            if (!seen[j]) {
                seen[j] = h;
                *(what ? owners : nodes) += 1;
            }
        }
    }
    free(seen);
    return true;
}

/* How many objects are of a kind that adds a workload (wl_class). */
static size_t count_controllers(const kh_objset *set)
{
    static const char *const kinds[] = {
        "CloneSet", "DaemonSet", "Deployment", "ReplicaSet", "ReplicationController",
        "Rollout", "StatefulSet",
    };
    const kh_object *const *objs;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        n += kh_objset_by_kind(set, kinds[i], &objs);
    return n;
}

kh_ha_model *kh_ha__build(kh_arena *arena, const kh_objset *set)
{
    kh_ha_model *m = kh_arena_calloc(arena, 1, sizeof(*m));
    if (!m)
        return NULL;
    build b = {.m = m, .a = arena, .set = set};
    const kh_object *const *objs;
    size_t npods = kh_objset_by_kind(set, "Pod", &objs);
    size_t nnodes = kh_objset_by_kind(set, "Node", &objs);
    size_t nobjs = kh_objset_count(set);
    /* Room for what the pods may add: each distinct node name they are
     * bound to, each distinct owner (or the pod itself, with none). */
    size_t pod_nodes = 0, pod_owners = 0, nrs = kh_objset_by_kind(set, "ReplicaSet", &objs);
    if (nobjs > KH_HA_MAX_OBJECTS || !count_pod_names(set, &pod_nodes, &pod_owners))
        return NULL;
    b.nodes_cap = nnodes + pod_nodes;
    b.workloads_cap = nobjs - npods - nnodes + pod_owners;
    /* What can be added: one per controller (a ReplicaSet stands for its
     * Deployment) and at most one per pod. The workloads are written as
     * they are found, so room never used is never touched. */
    size_t room = count_controllers(set) + npods;
    room = room < b.workloads_cap ? room : b.workloads_cap;
    m->arena = arena;
    m->nodes = kh_arena_calloc(arena, b.nodes_cap ? b.nodes_cap : 1, sizeof(*m->nodes));
    m->workloads = kh_arena_alloc(arena, (room ? room : 1) * sizeof(*m->workloads));
    m->infos = kh_arena_calloc(arena, room / KH_HA_INFO_BLOCK + 1, sizeof(*m->infos));
    bool ok = m->nodes && m->workloads && m->infos &&
              smap_init(&m->node_index, arena, b.nodes_cap) &&
              smap_init(&m->zone_index, arena, nnodes) &&
              smap_init(&b.addrs, arena, 4 * nnodes) &&
              wmap_init(&b.workloads, room) && smap_init(&b.rs_owner, arena, nrs);
    b.workloads_cap = room;
    ok = ok && build_nodes(&b) && build_hpas(&b) && build_workloads(&b) && build_pods(&b) &&
         prepare_selects(&b) && build_budgets(&b) && build_services(&b) && build_etcd(&b) &&
         build_apiservers(&b);
    kh_objset_free(b.templ_set);
    free(b.workloads.slots);
    free(b.pod_keys);
    free(b.pod_vals);
    free(b.stamp);
    return ok ? m : NULL;
}
