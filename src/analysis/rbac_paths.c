/*
 * rbac_paths.c -- what RBAC grants are risky, and who can become whom.
 *
 * Capabilities: a fixed table of requests (verb, group, resource, names)
 * that make a rule risky; a rule has a capability when the authorizer's
 * RuleAllows (analysis/rbac.h) allows one of them, so wildcards and
 * subresources are read exactly as the API server reads them.
 *
 * The escalation graph: nodes are subjects (users, groups, service
 * accounts) and a few fan-out nodes ("any service account in namespace
 * ci"); an edge is a grant that lets its subject become another (create a
 * pod that runs as the account, impersonate, mint a token, read a legacy
 * token secret, exec into a pod) or reach cluster-admin-equivalent power
 * (bind/escalate, nodes/proxy, patch nodes, impersonate groups). Grants
 * cost one step, group membership and fan-outs none; one 0-1 BFS from the
 * target over reversed edges gives every subject its shortest path, so the
 * cost is linear in nodes and edges.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rbac_paths.h"
#include "core/array.h"

/* ================================================================
 * Capabilities
 * ================================================================ */

typedef struct probe {
    const char *group, *resource, *sub;
    const char *const *verbs;
    const char *const *names;        /* NULL: any name only */
} probe;

typedef struct cap_def {
    const char *text;
    bool cluster_only;
    const probe *probes;             /* ends with a NULL resource */
} cap_def;

static const char *const v_all[] = {"*", NULL};
static const char *const v_read[] = {"get", "list", "watch", NULL};
static const char *const v_create[] = {"create", NULL};
/* A WebSocket upgrade is an HTTP GET: before v1.35 (feature gate
 * AuthorizePodWebsocketUpgradeCreatePermission) `get` was enough. */
static const char *const v_connect[] = {"create", "get", NULL};
static const char *const v_bind[] = {"bind", NULL};
static const char *const v_escalate[] = {"escalate", NULL};
static const char *const v_impersonate[] = {"impersonate", NULL};
static const char *const v_update[] = {"patch", "update", NULL};
static const char *const v_signer[] = {"approve", "sign", NULL};
static const char *const v_write[] = {"create", "update", "patch", "delete",
                                      "deletecollection", NULL};
/* The signers that issue credentials the API server and kubelets trust;
 * the approver's check asks for the signer's name and "<domain>/<star>". */
static const char *const kube_signers[] = {
    "", "kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/kubelet-serving", "kubernetes.io/*", NULL,
};

static const probe p_all[] = {{"*", "*", NULL, v_all, NULL}, {0}};
static const probe p_secrets[] = {{"", "secrets", NULL, v_read, NULL}, {0}};
static const probe p_exec[] = {
    {"", "pods", "exec", v_connect, NULL},
    {"", "pods", "attach", v_connect, NULL},
    {"", "pods", "portforward", v_connect, NULL},
    {0},
};
static const probe p_pods[] = {{"", "pods", NULL, v_create, NULL}, {0}};
static const probe p_workloads[] = {
    {"apps", "deployments", NULL, v_create, NULL},
    {"apps", "replicasets", NULL, v_create, NULL},
    {"apps", "statefulsets", NULL, v_create, NULL},
    {"apps", "daemonsets", NULL, v_create, NULL},
    {"batch", "jobs", NULL, v_create, NULL},
    {"batch", "cronjobs", NULL, v_create, NULL},
    {"", "replicationcontrollers", NULL, v_create, NULL},
    {0},
};
static const probe p_bind[] = {
    {"rbac.authorization.k8s.io", "clusterroles", NULL, v_bind, NULL},
    {"rbac.authorization.k8s.io", "roles", NULL, v_bind, NULL},
    {0},
};
static const probe p_escalate[] = {
    {"rbac.authorization.k8s.io", "clusterroles", NULL, v_escalate, NULL},
    {"rbac.authorization.k8s.io", "roles", NULL, v_escalate, NULL},
    {0},
};
static const probe p_imp_users[] = {{"", "users", NULL, v_impersonate, NULL}, {0}};
static const probe p_imp_groups[] = {{"", "groups", NULL, v_impersonate, NULL}, {0}};
static const probe p_imp_sas[] = {{"", "serviceaccounts", NULL, v_impersonate, NULL}, {0}};
static const probe p_nodes_proxy[] = {{"", "nodes", "proxy", v_connect, NULL}, {0}};
static const probe p_nodes_write[] = {{"", "nodes", NULL, v_update, NULL}, {0}};
static const probe p_token[] = {{"", "serviceaccounts", "token", v_create, NULL}, {0}};
static const probe p_csr[] = {
    {"certificates.k8s.io", "certificatesigningrequests", "approval", v_update, NULL},
    {"certificates.k8s.io", "signers", NULL, v_signer, kube_signers},
    {0},
};
static const probe p_webhooks[] = {
    {"admissionregistration.k8s.io", "validatingwebhookconfigurations", NULL, v_write, NULL},
    {"admissionregistration.k8s.io", "mutatingwebhookconfigurations", NULL, v_write, NULL},
    {"admissionregistration.k8s.io", "validatingadmissionpolicies", NULL, v_write, NULL},
    {"admissionregistration.k8s.io", "validatingadmissionpolicybindings", NULL, v_write, NULL},
    {"admissionregistration.k8s.io", "mutatingadmissionpolicies", NULL, v_write, NULL},
    {"admissionregistration.k8s.io", "mutatingadmissionpolicybindings", NULL, v_write, NULL},
    {0},
};
static const probe p_pv[] = {{"", "persistentvolumes", NULL, v_create, NULL}, {0}};

static const cap_def caps[KH_RBAC_CAP_COUNT] = {
    [KH_RBAC_CAP_ALL] = {"do everything (every verb on every resource)", false, p_all},
    [KH_RBAC_CAP_SECRETS_READ] = {"read secrets", false, p_secrets},
    [KH_RBAC_CAP_POD_EXEC] = {"exec, attach or port-forward into pods", false, p_exec},
    [KH_RBAC_CAP_POD_CREATE] = {"create pods", false, p_pods},
    [KH_RBAC_CAP_WORKLOAD_CREATE] = {"create pod-creating workloads", false, p_workloads},
    [KH_RBAC_CAP_BIND] = {"bind roles", false, p_bind},
    [KH_RBAC_CAP_ESCALATE] = {"escalate roles", false, p_escalate},
    [KH_RBAC_CAP_IMPERSONATE_USERS] = {"impersonate users", true, p_imp_users},
    [KH_RBAC_CAP_IMPERSONATE_GROUPS] = {"impersonate groups", true, p_imp_groups},
    [KH_RBAC_CAP_IMPERSONATE_SAS] = {"impersonate service accounts", false, p_imp_sas},
    [KH_RBAC_CAP_NODES_PROXY] = {"use nodes/proxy (the kubelet API)", true, p_nodes_proxy},
    [KH_RBAC_CAP_NODES_WRITE] = {"patch nodes", true, p_nodes_write},
    [KH_RBAC_CAP_TOKEN_CREATE] = {"create service account tokens", false, p_token},
    [KH_RBAC_CAP_CSR_APPROVE] = {"approve or sign certificate requests", true, p_csr},
    [KH_RBAC_CAP_WEBHOOK_WRITE] = {"write admission webhooks or policies", true, p_webhooks},
    [KH_RBAC_CAP_PV_CREATE] = {"create persistent volumes", true, p_pv},
};

const char *kh_rbac__cap_text(kh_rbac_cap cap)
{
    return cap < KH_RBAC_CAP_COUNT ? caps[cap].text : "";
}

bool kh_rbac__cap_cluster_only(kh_rbac_cap cap)
{
    return cap < KH_RBAC_CAP_COUNT && caps[cap].cluster_only;
}

static bool allows(const kh_rbac_rule *rule, const char *verb, const char *group,
                   const char *resource, const char *sub, const char *name)
{
    kh_rbac_attrs a = {.verb = verb, .resource_request = true, .api_group = group,
                       .resource = resource, .subresource = sub ? sub : "",
                       .name = name ? name : "", .namespace_ = ""};
    return kh_rbac__rule_allows(rule, &a);
}

static bool probe_allows(const kh_rbac_rule *rule, const probe *p)
{
    /* The group is the cheapest test and fails for most rules. */
    if (!kh_rbac__api_group_matches(rule, p->group))
        return false;
    static const char *const any[] = {"", NULL};
    const char *const *names = p->names ? p->names : any;
    for (const char *const *v = p->verbs; *v; v++)
        for (const char *const *n = names; *n; n++)
            if (allows(rule, *v, p->group, p->resource, p->sub, *n))
                return true;
    return false;
}

uint32_t kh_rbac__rule_caps(const kh_rbac_rule *rule)
{
    uint32_t out = 0;
    if (rule->resources.n == 0)
        return 0; /* a non-resource rule */
    for (int c = 0; c < KH_RBAC_CAP_COUNT; c++)
        for (const probe *p = caps[c].probes; p->resource; p++)
            if (probe_allows(rule, p)) {
                out |= KH_RBAC_CAP(c);
                break;
            }
    return out;
}

/* ================================================================
 * Kubernetes' and kubeadm's own bindings
 * ================================================================ */

static bool has_label(const kh_object *o, const char *key, const char *value)
{
    const char *v = kh_node_str(kh_node_get(o->labels, key));
    return v && strcmp(v, value) == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Bindings kubeadm creates (cmd/kubeadm/app/phases: bootstraptoken,
 * kubeconfig, addons/proxy), matched on every field that decides what
 * they grant: a changed copy is judged like any other binding. */
static const struct kubeadm_binding {
    const char *kind, *namespace_, *name, *role_kind, *role_name, *subject_kind,
        *subject_ns, *subject;
} kubeadm_bindings[] = {
    /* admin.conf's group since kubeadm v1.29 (super-admin.conf is system:masters) */
    {"ClusterRoleBinding", "", "kubeadm:cluster-admins", "ClusterRole", "cluster-admin",
     "Group", "", "kubeadm:cluster-admins"},
    /* anonymous read of the cluster-info ConfigMap, for node join discovery */
    {"RoleBinding", "kube-public", "kubeadm:bootstrap-signer-clusterinfo", "Role",
     "kubeadm:bootstrap-signer-clusterinfo", "User", "", "system:anonymous"},
    {"ClusterRoleBinding", "", "kubeadm:get-nodes", "ClusterRole", "kubeadm:get-nodes",
     "Group", "", "system:bootstrappers:kubeadm:default-node-token"},
    {"ClusterRoleBinding", "", "kubeadm:kubelet-bootstrap", "ClusterRole",
     "system:node-bootstrapper", "Group", "", "system:bootstrappers:kubeadm:default-node-token"},
    {"ClusterRoleBinding", "", "kubeadm:node-autoapprove-bootstrap", "ClusterRole",
     "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "Group", "",
     "system:bootstrappers:kubeadm:default-node-token"},
    {"ClusterRoleBinding", "", "kubeadm:node-autoapprove-certificate-rotation", "ClusterRole",
     "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "Group", "",
     "system:nodes"},
    {"ClusterRoleBinding", "", "kubeadm:node-proxier", "ClusterRole", "system:node-proxier",
     "ServiceAccount", "kube-system", "kube-proxy"},
};

static bool is_kubeadm(const kh_rbac_binding *b)
{
    for (size_t i = 0; i < sizeof(kubeadm_bindings) / sizeof(kubeadm_bindings[0]); i++) {
        const struct kubeadm_binding *k = &kubeadm_bindings[i];
        if (strcmp(b->kind, k->kind) || strcmp(b->namespace_, k->namespace_) ||
            strcmp(b->name, k->name) || strcmp(b->role_kind, k->role_kind) ||
            strcmp(b->role_name, k->role_name) || b->nsubjects != 1)
            continue;
        const kh_rbac_subject *s = &b->subjects[0];
        const char *ns = s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT ? s->sa_namespace : "";
        if (!strcmp(s->kind_text, k->subject_kind) && !strcmp(s->name, k->subject) &&
            !strcmp(ns ? ns : "", k->subject_ns))
            return true;
    }
    return false;
}

bool kh_rbac__binding_is_default(const kh_rbac_binding *b)
{
    if (is_kubeadm(b))
        return true;
    /* The API server's bootstrap policy (plugin/pkg/auth/authorizer/rbac/
     * bootstrappolicy) labels what it creates; its only binding without
     * the system: prefix is cluster-admin (to system:masters). The label
     * alone proves nothing, so the subjects must be system identities. */
    if (!has_label(b->obj, "kubernetes.io/bootstrapping", "rbac-defaults"))
        return false;
    if (!starts_with(b->name, "system:") && strcmp(b->name, "cluster-admin") != 0)
        return false;
    for (size_t i = 0; i < b->nsubjects; i++) {
        const kh_rbac_subject *s = &b->subjects[i];
        if (s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT) {
            if (!s->sa_namespace || strcmp(s->sa_namespace, "kube-system") != 0)
                return false;
        } else if (!starts_with(s->name, "system:")) {
            return false;
        }
    }
    return true;
}

/* ================================================================
 * A string and pointer hash map (open addressing, in the arena)
 * ================================================================ */

typedef struct hmap {
    const void **keys;
    uint32_t *vals;
    size_t cap, n;
    bool strings;                    /* keys are strings, else pointers */
} hmap;

static uint64_t hash_key(const hmap *h, const void *key)
{
    uint64_t x = 1469598103934665603ull;
    if (h->strings) {
        for (const unsigned char *s = key; *s; s++)
            x = (x ^ *s) * 1099511628211ull;
        return x;
    }
    x = (uint64_t)(uintptr_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    return x ^ (x >> 33);
}

static bool key_eq(const hmap *h, const void *a, const void *b)
{
    return h->strings ? strcmp(a, b) == 0 : a == b;
}

static uint32_t *hmap_get(const hmap *h, const void *key)
{
    if (!h->cap)
        return NULL;
    for (size_t i = hash_key(h, key) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
        if (!h->keys[i])
            return NULL;
        if (key_eq(h, h->keys[i], key))
            return &h->vals[i];
    }
}

/* Insert (the key must be absent and live as long as the map). */
static int hmap_put(hmap *h, kh_arena *arena, const void *key, uint32_t val)
{
    if ((h->n + 1) * 2 > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        const void **keys = kh_arena_calloc(arena, cap, sizeof(*keys));
        uint32_t *vals = kh_arena_calloc(arena, cap, sizeof(*vals));
        if (!keys || !vals)
            return KH_ENOMEM;
        hmap old = *h;
        h->keys = keys;
        h->vals = vals;
        h->cap = cap;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i])
                continue;
            size_t j = hash_key(h, old.keys[i]) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = old.keys[i];
            vals[j] = old.vals[i];
        }
    }
    size_t j = hash_key(h, key) & (h->cap - 1);
    while (h->keys[j])
        j = (j + 1) & (h->cap - 1);
    h->keys[j] = key;
    h->vals[j] = val;
    h->n++;
    return KH_OK;
}

static bool sa_username(kh_arena *a, const char *user, const char **ns, const char **name);

/* ================================================================
 * The risk model
 * ================================================================ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool kh_rbac_risk__sensitive(const kh_rbac_risk *r, const char *ns)
{
    return bsearch(&ns, r->sensitive, r->nsensitive, sizeof(*r->sensitive), cmp_str) != NULL;
}

static int find_sensitive(kh_rbac_risk *r)
{
    const kh_object *const *nss;
    size_t n = kh_objset_by_kind(r->set, "Namespace", &nss);
    const char **out = kh_arena_calloc(r->arena, n + 1, sizeof(*out));
    if (!out)
        return KH_ENOMEM;
    size_t k = 0;
    out[k++] = "kube-system";
    for (size_t i = 0; i < n; i++)
        if (strcmp(nss[i]->group, "") == 0 && strcmp(nss[i]->name, "kube-system") != 0 &&
            has_label(nss[i], "kubeharden.io/sensitive", "true"))
            out[k++] = nss[i]->name;
    qsort(out, k, sizeof(*out), cmp_str);
    r->sensitive = out;
    r->nsensitive = k;
    return KH_OK;
}

struct kh_rbac_risk_index {
    hmap bindings;                   /* binding -> index */
    hmap sa_namespaces;              /* namespaces with ServiceAccount objects */
    hmap objects;                    /* "Kind\x1fns\x1fname" of pods and workloads */
    hmap sa_grants;                  /* account -> index in grants */
    hmap rule_caps;                  /* rule -> its capabilities */
    kh_rbac_grant *grants;
    size_t ngrants;
};

size_t kh_rbac_risk__binding_index(const kh_rbac_risk *r, const kh_rbac_binding *b)
{
    const uint32_t *i = hmap_get(&r->ix->bindings, b);
    return i ? *i : (size_t)-1;
}

bool kh_rbac_risk__has_sas_in(const kh_rbac_risk *r, const char *ns)
{
    return hmap_get(&r->ix->sa_namespaces, ns) != NULL;
}

static const char *object_key(char *buf, size_t size, const char *kind, const char *ns,
                              const char *name)
{
    int n = snprintf(buf, size, "%s\x1f%s\x1f%s", kind, ns, name);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

bool kh_rbac_risk__owner_kept(const kh_rbac_risk *r, const kh_object *obj)
{
    const kh_node *refs = kh_node_get(obj->metadata, "ownerReferences");
    for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++) {
        const kh_node *ref = refs->u.items[i];
        const char *kind = kh_node_str(kh_node_get(ref, "kind"));
        const char *name = kh_node_str(kh_node_get(ref, "name"));
        char buf[1024];
        const char *key;
        if (kh_node_is_true(kh_node_get(ref, "controller")) && kind && name &&
            (key = object_key(buf, sizeof(buf), kind, obj->namespace_, name)) &&
            hmap_get(&r->ix->objects, key))
            return true;
    }
    return false;
}

uint32_t kh_rbac_risk__rule_caps(const kh_rbac_risk *r, const kh_rbac_rule *rule)
{
    const uint32_t *known = hmap_get(&r->ix->rule_caps, rule);
    return known ? *known : kh_rbac__rule_caps(rule);
}

const kh_rbac_grant *kh_rbac_risk__sa_grant(const kh_rbac_risk *r, const kh_rbac_sa *sa)
{
    const uint32_t *i = hmap_get(&r->ix->sa_grants, sa);
    return i ? &r->ix->grants[*i] : NULL;
}

static int build_index(kh_rbac_risk *r)
{
    struct kh_rbac_risk_index *ix = kh_arena_calloc(r->arena, 1, sizeof(*ix));
    if (!ix)
        return KH_ENOMEM;
    r->ix = ix;
    ix->sa_namespaces.strings = ix->objects.strings = true;
    for (size_t i = 0; i < r->nbindings; i++)
        if (hmap_put(&ix->bindings, r->arena, r->bindings[i], (uint32_t)i) != KH_OK)
            return KH_ENOMEM;
    const kh_rbac_sa *const *sas;
    size_t nsas = kh_rbac__service_accounts(r->m, &sas);
    for (size_t i = 0; i < nsas; i++)
        if (sas[i]->obj && !hmap_get(&ix->sa_namespaces, sas[i]->namespace_) &&
            hmap_put(&ix->sa_namespaces, r->arena, sas[i]->namespace_, 1) != KH_OK)
            return KH_ENOMEM;
    const kh_rbac_pod *const *pods;
    size_t npods = kh_rbac__pods(r->m, &pods);
    for (size_t i = 0; i < npods; i++) {
        const kh_object *o = pods[i]->obj;
        char buf[1024];
        if (strcmp(o->kind, "Pod") == 0)
            continue; /* a pod owns nothing */
        const char *key = object_key(buf, sizeof(buf), o->kind, o->namespace_, o->name);
        if (!key || hmap_get(&ix->objects, key))
            continue;
        if (!(key = kh_arena_strdup(r->arena, key)) ||
            hmap_put(&ix->objects, r->arena, key, 1) != KH_OK)
            return KH_ENOMEM;
    }
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        if (r->system_default[i] || !b->role || !b->role->nrules)
            continue;
        for (size_t k = 0; k < b->nsubjects; k++) {
            const kh_rbac_subject *s = &b->subjects[k];
            const char *ns = NULL, *name = NULL;
            if (s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT && s->username) {
                ns = s->sa_namespace;
                name = s->name;
            } else if (s->kind == KH_RBAC_SUBJECT_USER &&
                       sa_username(r->arena, s->name, &ns, &name)) {
                /* a User named system:serviceaccount:ns:name is the account */
            } else {
                continue;
            }
            const kh_rbac_sa *sa = kh_rbac__find_sa(r->m, ns, name);
            if (!sa || hmap_get(&ix->sa_grants, sa))
                continue;
            kh_rbac_grant *g = kh_array__push(r->arena, &ix->grants, &ix->ngrants, sizeof(*g));
            if (!g)
                return KH_ENOMEM;
            *g = (kh_rbac_grant){.binding = b, .subject = s, .role = b->role,
                                 .rule = b->role->rules[0]};
            if (hmap_put(&ix->sa_grants, r->arena, sa, (uint32_t)(ix->ngrants - 1)) != KH_OK)
                return KH_ENOMEM;
        }
    }
    return KH_OK;
}

static uint32_t scope_mask(const kh_rbac_binding *b)
{
    uint32_t m = ~0u;
    if (b->namespace_[0]) /* a RoleBinding grants nothing cluster-scoped */
        for (int c = 0; c < KH_RBAC_CAP_COUNT; c++)
            if (caps[c].cluster_only)
                m &= ~KH_RBAC_CAP(c);
    return m;
}

int kh_rbac_risk__build(kh_rbac_risk **out, const kh_objset *set, kh_arena *arena)
{
    *out = NULL;
    kh_rbac_risk *r = kh_arena_calloc(arena, 1, sizeof(*r));
    if (!r)
        return KH_ENOMEM;
    r->set = set;
    r->arena = arena;
    kh_rbac *m = NULL;
    int rc = kh_rbac__build(&m, set, arena);
    if (rc != KH_OK)
        return rc;
    r->m = m;
    r->nbindings = kh_rbac__bindings(m, &r->bindings);
    r->caps = kh_arena_calloc(arena, r->nbindings + 1, sizeof(*r->caps));
    r->system_default = kh_arena_calloc(arena, r->nbindings + 1, sizeof(*r->system_default));
    if (!r->caps || !r->system_default)
        return KH_ENOMEM;
    for (size_t i = 0; i < r->nbindings; i++)
        r->system_default[i] = kh_rbac__binding_is_default(r->bindings[i]);
    if ((rc = find_sensitive(r)) != KH_OK || (rc = build_index(r)) != KH_OK)
        return rc;
    /* Every rule is judged once (aggregated ClusterRoles share the rules
     * they aggregate), every role once (many bindings share edit, view). */
    const kh_rbac_role *const *roles;
    size_t nroles = kh_rbac__roles(m, &roles);
    hmap role_caps = {0};
    for (size_t i = 0; i < nroles; i++) {
        uint32_t mask = 0;
        for (size_t k = 0; k < roles[i]->nwritten; k++) {
            uint32_t c = kh_rbac__rule_caps(&roles[i]->written[k]);
            if (hmap_put(&r->ix->rule_caps, arena, &roles[i]->written[k], c) != KH_OK)
                return KH_ENOMEM;
        }
        for (size_t k = 0; k < roles[i]->nrules; k++)
            mask |= kh_rbac_risk__rule_caps(r, roles[i]->rules[k]);
        if (hmap_put(&role_caps, arena, roles[i], mask) != KH_OK)
            return KH_ENOMEM;
    }
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        const uint32_t *mask = b->role ? hmap_get(&role_caps, b->role) : NULL;
        r->caps[i] = mask ? *mask & scope_mask(b) : 0;
    }
    if ((rc = kh_rbac_graph__build(&r->graph, r, NULL, NULL, NULL, arena)) != KH_OK)
        return rc;
    *out = r;
    return KH_OK;
}

void *kh_rbac_risk__build_shared(kh_arena *arena, const kh_objset *set)
{
    kh_rbac_risk *r = NULL;
    return kh_rbac_risk__build(&r, set, arena) == KH_OK ? r : NULL;
}

/* ================================================================
 * The escalation graph
 * ================================================================ */

struct kh_rbac_graph {
    const kh_rbac_risk *r;
    kh_arena *arena;
    kh_rbac_node *nodes;
    size_t nnodes;
    hmap index;                      /* node key -> node */
    kh_rbac_edge *edges;
    size_t nedges;
    uint32_t admin, target;
    const kh_rbac_attrs *to;
    const char *to_text;
    uint32_t *dist;                  /* steps to the target; UINT32_MAX: none */
    uint32_t *next;                  /* the edge to follow; UINT32_MAX at the target */
    bool failed;                     /* out of memory while building */
};

#define NONE UINT32_MAX

/* "k\x1fns\x1fname": one key space for every node kind. */
static const char *node_key(char *buf, size_t size, kh_rbac_node_kind kind, const char *ns,
                            const char *name)
{
    int n = snprintf(buf, size, "%c\x1f%s\x1f%s", 'a' + (int)kind, ns, name);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

static const char *scope_text(kh_arena *a, const char *ns)
{
    return ns[0] ? kh_arena_printf(a, "in namespace '%s'", ns) : "cluster-wide";
}

static const char *node_label(kh_arena *a, kh_rbac_node_kind kind, const char *ns,
                              const char *name)
{
    switch (kind) {
    case KH_RBAC_NODE_USER: return kh_arena_printf(a, "user:%s", name);
    case KH_RBAC_NODE_GROUP: return kh_arena_printf(a, "group:%s", name);
    case KH_RBAC_NODE_SA: return kh_arena_printf(a, "sa:%s/%s", ns, name);
    case KH_RBAC_NODE_ADMIN: return "cluster-admin-equivalent";
    case KH_RBAC_NODE_TARGET: return name;
    case KH_RBAC_NODE_SA_IN:
        return kh_arena_printf(a, "any service account in namespace '%s'", ns);
    case KH_RBAC_NODE_SA_ALL: return "any service account";
    case KH_RBAC_NODE_PODS_IN:
        return kh_arena_printf(a, "the accounts of running pods in namespace '%s'", ns);
    case KH_RBAC_NODE_PODS_ALL: return "the accounts of running pods in every namespace";
    case KH_RBAC_NODE_SECRETS_IN:
        return kh_arena_printf(a, "the accounts of token secrets in namespace '%s'", ns);
    case KH_RBAC_NODE_SECRETS_ALL: return "the accounts of every token secret";
    case KH_RBAC_NODE_NS_ALL:
        return kh_arena_printf(a, "every permission in namespace '%s'", ns);
    case KH_RBAC_NODE_USERS_ALL: return "any user";
    }
    return "";
}

static long find_node(const kh_rbac_graph *g, kh_rbac_node_kind kind, const char *ns,
                      const char *name)
{
    char buf[1024];
    const char *key = node_key(buf, sizeof(buf), kind, ns, name);
    const uint32_t *v = key ? hmap_get(&g->index, key) : NULL;
    return v ? (long)*v : -1;
}

static uint32_t get_node(kh_rbac_graph *g, kh_rbac_node_kind kind, const char *ns,
                         const char *name)
{
    long found = find_node(g, kind, ns, name);
    if (found >= 0)
        return (uint32_t)found;
    char buf[1024];
    const char *key = node_key(buf, sizeof(buf), kind, ns, name);
    kh_rbac_node *n = NULL;
    if (!key || !(key = kh_arena_strdup(g->arena, key)) ||
        !(n = kh_array__push(g->arena, &g->nodes, &g->nnodes, sizeof(*n)))) {
        g->failed = true;
        return 0;
    }
    n->kind = kind;
    n->namespace_ = ns;
    n->name = name;
    n->label = node_label(g->arena, kind, ns, name);
    uint32_t id = (uint32_t)(g->nnodes - 1);
    if (!n->label || hmap_put(&g->index, g->arena, key, id) != KH_OK)
        g->failed = true;
    return id;
}

static kh_rbac_edge *add_edge(kh_rbac_graph *g, uint32_t from, uint32_t to,
                              kh_rbac_edge_kind kind)
{
    kh_rbac_edge *e = kh_array__push(g->arena, &g->edges, &g->nedges, sizeof(*e));
    if (!e) {
        g->failed = true;
        return NULL;
    }
    e->from = from;
    e->to = to;
    e->kind = (uint8_t)kind;
    e->cap = KH_RBAC_CAP_COUNT;
    return e;
}

/* "system:serviceaccount:<ns>:<name>" as the account (ns and name into
 * the arena), as the token authenticator names it. */
static bool sa_username(kh_arena *a, const char *user, const char **ns, const char **name)
{
    static const char prefix[] = "system:serviceaccount:";
    if (strncmp(user, prefix, sizeof(prefix) - 1) != 0)
        return false;
    const char *rest = user + sizeof(prefix) - 1, *colon = strchr(rest, ':');
    if (!colon || colon == rest || !colon[1] || strchr(colon + 1, ':'))
        return false;
    *ns = kh_arena_strndup(a, rest, (size_t)(colon - rest));
    *name = colon + 1;
    return *ns != NULL;
}

static long user_node(kh_rbac_graph *g, const char *user, bool create)
{
    const char *ns, *name;
    if (sa_username(g->arena, user, &ns, &name))
        return create ? (long)get_node(g, KH_RBAC_NODE_SA, ns, name)
                      : find_node(g, KH_RBAC_NODE_SA, ns, name);
    return create ? (long)get_node(g, KH_RBAC_NODE_USER, "", user)
                  : find_node(g, KH_RBAC_NODE_USER, "", user);
}

/* The node a binding subject names, or -1 when it applies to no one. */
static long subject_node(kh_rbac_graph *g, const kh_rbac_subject *s)
{
    switch (s->kind) {
    case KH_RBAC_SUBJECT_USER: return s->name[0] ? user_node(g, s->name, true) : -1;
    case KH_RBAC_SUBJECT_GROUP: return s->name[0] ? (long)get_node(g, KH_RBAC_NODE_GROUP, "", s->name) : -1;
    case KH_RBAC_SUBJECT_SERVICE_ACCOUNT:
        if (!s->username)
            return -1;
        return (long)get_node(g, KH_RBAC_NODE_SA, s->sa_namespace, s->name);
    default: return -1;
    }
}

/* Where a capability, granted in @p ns ("" cluster-wide), takes its holder. */
static long cap_target(kh_rbac_graph *g, kh_rbac_cap cap, const char *ns,
                       kh_rbac_edge_kind *kind)
{
    *kind = KH_RBAC_EDGE_GRANT;
    switch (cap) {
    case KH_RBAC_CAP_ALL: /* held, not gained: everything, or everything in ns */
        *kind = KH_RBAC_EDGE_HOLDS;
        return ns[0] ? get_node(g, KH_RBAC_NODE_NS_ALL, ns, "") : g->admin;
    case KH_RBAC_CAP_BIND:
    case KH_RBAC_CAP_ESCALATE:
        /* Bind or escalate: grant oneself any role, so everything the
         * binding's scope allows (in a namespace, only there). */
        return ns[0] ? get_node(g, KH_RBAC_NODE_NS_ALL, ns, "") : g->admin;
    case KH_RBAC_CAP_SECRETS_READ:
        return ns[0] ? get_node(g, KH_RBAC_NODE_SECRETS_IN, ns, "")
                     : get_node(g, KH_RBAC_NODE_SECRETS_ALL, "", "");
    case KH_RBAC_CAP_POD_EXEC:
        return ns[0] ? get_node(g, KH_RBAC_NODE_PODS_IN, ns, "")
                     : get_node(g, KH_RBAC_NODE_PODS_ALL, "", "");
    case KH_RBAC_CAP_POD_CREATE:
    case KH_RBAC_CAP_WORKLOAD_CREATE:
    case KH_RBAC_CAP_IMPERSONATE_SAS:
    case KH_RBAC_CAP_TOKEN_CREATE:
        return ns[0] ? get_node(g, KH_RBAC_NODE_SA_IN, ns, "")
                     : get_node(g, KH_RBAC_NODE_SA_ALL, "", "");
    case KH_RBAC_CAP_IMPERSONATE_USERS:
        return get_node(g, KH_RBAC_NODE_USERS_ALL, "", "");
    case KH_RBAC_CAP_IMPERSONATE_GROUPS: /* Impersonate-Group: system:masters */
    case KH_RBAC_CAP_NODES_PROXY:        /* exec in any pod through the kubelet */
    case KH_RBAC_CAP_NODES_WRITE:        /* taint others away, attract pods */
        return g->admin;
    default:
        return -1;
    }
}

typedef struct named_ctx {
    kh_rbac_graph *g;
    hmap secrets_by_name;            /* token secret name -> first in chain */
    const kh_object **secrets;       /* token secrets, and chains */
    uint32_t *secret_next;
    const char **secret_sa;
    size_t nsecrets;
    hmap sas_by_name;                /* account name -> first in chain */
    const kh_rbac_sa *const *sas;
    uint32_t *sa_next;
    size_t nsas;
} named_ctx;

static void grant_edge(kh_rbac_graph *g, uint32_t from, uint32_t to, kh_rbac_edge_kind kind,
                       kh_rbac_cap cap, size_t bi, const kh_rbac_subject *s,
                       const kh_rbac_rule *rule, const char *name, const kh_object *via)
{
    kh_rbac_edge *e = add_edge(g, from, to, kind);
    if (!e)
        return;
    const kh_rbac_binding *b = g->r->bindings[bi];
    e->cap = (uint8_t)cap;
    e->binding_index = (uint32_t)bi;
    e->grant = (kh_rbac_grant){.binding = b, .subject = s, .role = b->role, .rule = rule};
    e->name = name;
    e->via = via;
}

/* Grants limited by resourceNames: read one token secret, impersonate or
 * mint a token for one account, impersonate one user or group. Each name
 * is confirmed by the authorizer before it becomes an edge. */
static void named_grants(named_ctx *nc, uint32_t from, size_t bi, const kh_rbac_subject *s,
                         const kh_rbac_rule *rule, uint32_t have)
{
    kh_rbac_graph *g = nc->g;
    const kh_rbac_binding *b = g->r->bindings[bi];
    const char *ns = b->namespace_;
    for (size_t k = 0; k < rule->resource_names.n; k++) {
        const char *name = rule->resource_names.v[k];
        if (!(have & KH_RBAC_CAP(KH_RBAC_CAP_SECRETS_READ)) &&
            allows(rule, "get", "", "secrets", NULL, name)) {
            const uint32_t *first = hmap_get(&nc->secrets_by_name, name);
            for (uint32_t i = first ? *first : NONE; i != NONE; i = nc->secret_next[i])
                if (!ns[0] || strcmp(nc->secrets[i]->namespace_, ns) == 0)
                    grant_edge(g, from,
                               get_node(g, KH_RBAC_NODE_SA, nc->secrets[i]->namespace_,
                                        nc->secret_sa[i]),
                               KH_RBAC_EDGE_GRANT, KH_RBAC_CAP_SECRETS_READ, bi, s, rule, name,
                               nc->secrets[i]);
        }
        kh_rbac_cap sa_caps[] = {KH_RBAC_CAP_IMPERSONATE_SAS, KH_RBAC_CAP_TOKEN_CREATE};
        for (size_t c = 0; c < 2; c++) {
            if (have & KH_RBAC_CAP(sa_caps[c]))
                continue;
            bool ok = c == 0 ? allows(rule, "impersonate", "", "serviceaccounts", NULL, name)
                             : allows(rule, "create", "", "serviceaccounts", "token", name);
            if (!ok)
                continue;
            if (ns[0]) {
                grant_edge(g, from, get_node(g, KH_RBAC_NODE_SA, ns, name), KH_RBAC_EDGE_GRANT,
                           sa_caps[c], bi, s, rule, name, NULL);
                continue;
            }
            const uint32_t *first = hmap_get(&nc->sas_by_name, name);
            for (uint32_t i = first ? *first : NONE; i != NONE; i = nc->sa_next[i])
                grant_edge(g, from,
                           get_node(g, KH_RBAC_NODE_SA, nc->sas[i]->namespace_, nc->sas[i]->name),
                           KH_RBAC_EDGE_GRANT, sa_caps[c], bi, s, rule, name, NULL);
        }
        if (ns[0])
            continue; /* users and groups are cluster-scoped */
        const char *sa_ns, *sa_name;
        if (!(have & KH_RBAC_CAP(KH_RBAC_CAP_IMPERSONATE_USERS)) &&
            !sa_username(g->arena, name, &sa_ns, &sa_name) &&
            allows(rule, "impersonate", "", "users", NULL, name))
            grant_edge(g, from, get_node(g, KH_RBAC_NODE_USER, "", name), KH_RBAC_EDGE_GRANT,
                       KH_RBAC_CAP_IMPERSONATE_USERS, bi, s, rule, name, NULL);
        if (!(have & KH_RBAC_CAP(KH_RBAC_CAP_IMPERSONATE_GROUPS)) &&
            allows(rule, "impersonate", "", "groups", NULL, name))
            grant_edge(g, from, get_node(g, KH_RBAC_NODE_GROUP, "", name), KH_RBAC_EDGE_GRANT,
                       KH_RBAC_CAP_IMPERSONATE_GROUPS, bi, s, rule, name, NULL);
    }
}

/* The legacy token secrets (type kubernetes.io/service-account-token)
 * and the account each belongs to (its annotation). */
static int index_named(named_ctx *nc)
{
    kh_rbac_graph *g = nc->g;
    const kh_object *const *secrets;
    size_t n = kh_objset_by_kind(g->r->set, "Secret", &secrets);
    nc->secrets = kh_arena_calloc(g->arena, n + 1, sizeof(*nc->secrets));
    nc->secret_next = kh_arena_calloc(g->arena, n + 1, sizeof(*nc->secret_next));
    nc->secret_sa = kh_arena_calloc(g->arena, n + 1, sizeof(*nc->secret_sa));
    if (!nc->secrets || !nc->secret_next || !nc->secret_sa)
        return KH_ENOMEM;
    nc->secrets_by_name.strings = true;
    for (size_t i = 0; i < n; i++) {
        const kh_object *o = secrets[i];
        const char *type = kh_node_str(kh_node_get(o->root, "type"));
        const char *sa =
            kh_node_str(kh_node_get(o->annotations, "kubernetes.io/service-account.name"));
        if (strcmp(o->group, "") != 0 || !type || !sa || !sa[0] || !o->namespace_[0] ||
            strcmp(type, "kubernetes.io/service-account-token") != 0)
            continue;
        uint32_t k = (uint32_t)nc->nsecrets++;
        nc->secrets[k] = o;
        nc->secret_sa[k] = sa;
        uint32_t *first = hmap_get(&nc->secrets_by_name, o->name);
        if (first) {
            nc->secret_next[k] = *first;
            *first = k;
        } else {
            nc->secret_next[k] = NONE;
            if (hmap_put(&nc->secrets_by_name, g->arena, o->name, k) != KH_OK)
                return KH_ENOMEM;
        }
    }
    nc->nsas = kh_rbac__service_accounts(g->r->m, &nc->sas);
    nc->sa_next = kh_arena_calloc(g->arena, nc->nsas + 1, sizeof(*nc->sa_next));
    if (!nc->sa_next)
        return KH_ENOMEM;
    nc->sas_by_name.strings = true;
    for (size_t i = nc->nsas; i-- > 0;) { /* chains in model order */
        uint32_t *first = hmap_get(&nc->sas_by_name, nc->sas[i]->name);
        nc->sa_next[i] = first ? *first : NONE;
        if (first)
            *first = (uint32_t)i;
        else if (hmap_put(&nc->sas_by_name, g->arena, nc->sas[i]->name, (uint32_t)i) != KH_OK)
            return KH_ENOMEM;
    }
    return KH_OK;
}

typedef struct holder_ctx {
    kh_rbac_graph *g;
    const kh_rbac_risk *r;
    hmap bindex;                     /* binding -> index */
} holder_ctx;

static int on_holder(const kh_rbac_grant *gr, void *ud)
{
    holder_ctx *hc = ud;
    kh_rbac_graph *g = hc->g;
    const uint32_t *bi = hmap_get(&hc->bindex, gr->binding);
    long from = bi ? subject_node(g, gr->subject) : -1;
    if (from < 0)
        return 0;
    kh_rbac_edge *e = add_edge(g, (uint32_t)from, g->target, KH_RBAC_EDGE_HOLDS);
    if (e) {
        e->binding_index = *bi;
        e->grant = *gr;
    }
    return 0;
}

static void add_grants(kh_rbac_graph *g, named_ctx *nc)
{
    const kh_rbac_risk *r = g->r;
    for (size_t bi = 0; bi < r->nbindings && !g->failed; bi++) {
        const kh_rbac_binding *b = r->bindings[bi];
        if (!b->role)
            continue;
        uint32_t scope = scope_mask(b);
        for (size_t k = 0; k < b->role->nrules; k++) {
            const kh_rbac_rule *rule = b->role->rules[k];
            uint32_t have = kh_rbac_risk__rule_caps(r, rule) & scope;
            bool named = rule->resource_names.n > 0;
            if (!have && !named)
                continue;
            for (size_t si = 0; si < b->nsubjects; si++) {
                const kh_rbac_subject *s = &b->subjects[si];
                long from = subject_node(g, s);
                if (from < 0)
                    continue;
                for (int c = 0; c < KH_RBAC_CAP_COUNT; c++) {
                    if (!(have & KH_RBAC_CAP(c)))
                        continue;
                    kh_rbac_edge_kind kind;
                    long to = cap_target(g, (kh_rbac_cap)c, b->namespace_, &kind);
                    if (to >= 0)
                        grant_edge(g, (uint32_t)from, (uint32_t)to, kind, (kh_rbac_cap)c, bi,
                                   s, rule, NULL, NULL);
                }
                if (named)
                    named_grants(nc, (uint32_t)from, bi, s, rule, have);
            }
        }
    }
}

/* Every account's groups, every user's system:authenticated (the
 * authenticators add them, analysis/rbac.h), system:masters' power. */
static void add_members(kh_rbac_graph *g)
{
    long authenticated = find_node(g, KH_RBAC_NODE_GROUP, "", "system:authenticated");
    long unauthenticated = find_node(g, KH_RBAC_NODE_GROUP, "", "system:unauthenticated");
    long all_sas = find_node(g, KH_RBAC_NODE_GROUP, "", "system:serviceaccounts");
    long masters = find_node(g, KH_RBAC_NODE_GROUP, "", "system:masters");
    size_t n = g->nnodes;
    for (size_t i = 0; i < n && !g->failed; i++) {
        const kh_rbac_node *node = &g->nodes[i];
        if (node->kind == KH_RBAC_NODE_SA) {
            char buf[600];
            snprintf(buf, sizeof(buf), "system:serviceaccounts:%s", node->namespace_);
            long ns_group = find_node(g, KH_RBAC_NODE_GROUP, "", buf);
            if (all_sas >= 0)
                add_edge(g, (uint32_t)i, (uint32_t)all_sas, KH_RBAC_EDGE_MEMBER);
            if (ns_group >= 0)
                add_edge(g, (uint32_t)i, (uint32_t)ns_group, KH_RBAC_EDGE_MEMBER);
            if (authenticated >= 0)
                add_edge(g, (uint32_t)i, (uint32_t)authenticated, KH_RBAC_EDGE_MEMBER);
        } else if (node->kind == KH_RBAC_NODE_USER) {
            bool anonymous = strcmp(node->name, "system:anonymous") == 0;
            long group = anonymous ? unauthenticated : authenticated;
            if (group >= 0)
                add_edge(g, (uint32_t)i, (uint32_t)group, KH_RBAC_EDGE_MEMBER);
        }
    }
    if (masters >= 0) /* the privileged-group authorizer allows everything */
        add_edge(g, (uint32_t)masters, g->admin, KH_RBAC_EDGE_FANOUT);
}

static void add_fanouts(kh_rbac_graph *g, named_ctx *nc)
{
    /* Every permission in a namespace: create pods there, read its
     * secrets, exec into its pods, and the target when it lies there. */
    size_t n = g->nnodes;
    const char *to_ns = g->to && g->to->namespace_ ? g->to->namespace_ : "";
    for (size_t i = 0; i < n && !g->failed; i++) {
        if (g->nodes[i].kind != KH_RBAC_NODE_NS_ALL)
            continue;
        const char *ns = g->nodes[i].namespace_;
        add_edge(g, (uint32_t)i, get_node(g, KH_RBAC_NODE_SA_IN, ns, ""), KH_RBAC_EDGE_FANOUT);
        add_edge(g, (uint32_t)i, get_node(g, KH_RBAC_NODE_PODS_IN, ns, ""), KH_RBAC_EDGE_FANOUT);
        add_edge(g, (uint32_t)i, get_node(g, KH_RBAC_NODE_SECRETS_IN, ns, ""),
                 KH_RBAC_EDGE_FANOUT);
        if (g->target != g->admin && to_ns[0] && strcmp(to_ns, ns) == 0)
            add_edge(g, (uint32_t)i, g->target, KH_RBAC_EDGE_FANOUT);
    }
    long sa_all = find_node(g, KH_RBAC_NODE_SA_ALL, "", "");
    long pods_all = find_node(g, KH_RBAC_NODE_PODS_ALL, "", "");
    long secrets_all = find_node(g, KH_RBAC_NODE_SECRETS_ALL, "", "");
    for (size_t i = 0; i < nc->nsas && !g->failed; i++) {
        const kh_rbac_sa *sa = nc->sas[i];
        long sa_in = find_node(g, KH_RBAC_NODE_SA_IN, sa->namespace_, "");
        long pods_in = find_node(g, KH_RBAC_NODE_PODS_IN, sa->namespace_, "");
        const kh_object *pod = NULL; /* one running pod with the token mounted (a
                                      * PodTemplate runs nothing) */
        for (size_t k = 0; k < sa->npods && !pod; k++)
            if (sa->pods[k]->token_mounted && strcmp(sa->pods[k]->obj->kind, "PodTemplate") != 0)
                pod = sa->pods[k]->obj;
        if (sa_in < 0 && sa_all < 0 && !(pod && (pods_in >= 0 || pods_all >= 0)))
            continue;
        uint32_t node = get_node(g, KH_RBAC_NODE_SA, sa->namespace_, sa->name);
        if (sa_in >= 0)
            add_edge(g, (uint32_t)sa_in, node, KH_RBAC_EDGE_FANOUT);
        if (sa_all >= 0)
            add_edge(g, (uint32_t)sa_all, node, KH_RBAC_EDGE_FANOUT);
        kh_rbac_edge *e;
        if (pod && pods_in >= 0 && (e = add_edge(g, (uint32_t)pods_in, node, KH_RBAC_EDGE_FANOUT)))
            e->via = pod;
        if (pod && pods_all >= 0 &&
            (e = add_edge(g, (uint32_t)pods_all, node, KH_RBAC_EDGE_FANOUT)))
            e->via = pod;
    }
    for (size_t i = 0; i < nc->nsecrets && !g->failed; i++) {
        const kh_object *s = nc->secrets[i];
        long in = find_node(g, KH_RBAC_NODE_SECRETS_IN, s->namespace_, "");
        if (in < 0 && secrets_all < 0)
            continue;
        uint32_t node = get_node(g, KH_RBAC_NODE_SA, s->namespace_, nc->secret_sa[i]);
        kh_rbac_edge *e;
        if (in >= 0 && (e = add_edge(g, (uint32_t)in, node, KH_RBAC_EDGE_FANOUT)))
            e->via = s;
        if (secrets_all >= 0 && (e = add_edge(g, (uint32_t)secrets_all, node, KH_RBAC_EDGE_FANOUT)))
            e->via = s;
    }
    long users_all = find_node(g, KH_RBAC_NODE_USERS_ALL, "", "");
    n = g->nnodes;
    for (size_t i = 0; users_all >= 0 && i < n && !g->failed; i++)
        if (g->nodes[i].kind == KH_RBAC_NODE_USER)
            add_edge(g, (uint32_t)users_all, (uint32_t)i, KH_RBAC_EDGE_FANOUT);
    if (g->target != g->admin)
        add_edge(g, g->admin, g->target, KH_RBAC_EDGE_FANOUT);
}

/* 0-1 BFS from the target over reversed edges: grants cost 1, the rest 0. */
static int shortest_paths(kh_rbac_graph *g)
{
    size_t n = g->nnodes, m = g->nedges;
    uint32_t *off = kh_arena_calloc(g->arena, n + 1, sizeof(*off));
    uint32_t *in = kh_arena_calloc(g->arena, m + 1, sizeof(*in));
    /* A node is pushed again each time its distance drops (at most once
     * per edge into it, plus the target): 2 m + n bounds the queue. */
    uint32_t *deque = kh_arena_calloc(g->arena, 2 * m + n + 2, sizeof(*deque));
    g->dist = kh_arena_calloc(g->arena, n + 1, sizeof(*g->dist));
    g->next = kh_arena_calloc(g->arena, n + 1, sizeof(*g->next));
    if (!off || !in || !deque || !g->dist || !g->next)
        return KH_ENOMEM;
    for (size_t e = 0; e < m; e++)
        off[g->edges[e].to + 1]++;
    for (size_t v = 0; v < n; v++)
        off[v + 1] += off[v];
    uint32_t *fill = kh_arena_calloc(g->arena, n + 1, sizeof(*fill));
    if (!fill)
        return KH_ENOMEM;
    memcpy(fill, off, (n + 1) * sizeof(*fill));
    for (size_t e = 0; e < m; e++)
        in[fill[g->edges[e].to]++] = (uint32_t)e;
    for (size_t v = 0; v < n; v++)
        g->dist[v] = g->next[v] = NONE;
    size_t cap = 2 * m + n + 2, head = 0, count = 0;
    g->dist[g->target] = 0;
    deque[0] = g->target;
    count = 1;
    while (count) {
        uint32_t u = deque[head];
        head = (head + 1) % cap;
        count--;
        for (uint32_t k = off[u]; k < off[u + 1]; k++) {
            const kh_rbac_edge *e = &g->edges[in[k]];
            uint32_t w = e->kind == KH_RBAC_EDGE_GRANT || e->kind == KH_RBAC_EDGE_HOLDS;
            if (g->dist[u] + w >= g->dist[e->from])
                continue;
            g->dist[e->from] = g->dist[u] + w;
            g->next[e->from] = in[k];
            if (count == cap)
                return KH_ENOMEM; /* cannot happen, see above */
            if (w) {
                deque[(head + count) % cap] = e->from;
            } else {
                head = (head + cap - 1) % cap;
                deque[head] = e->from;
            }
            count++;
        }
    }
    return KH_OK;
}

/* The node of "user:NAME", "group:NAME" or "sa:NS/NAME", made if needed;
 * -1 for any other text. */
static long subject_text_node(kh_rbac_graph *g, const char *subject)
{
    if (strncmp(subject, "user:", 5) == 0 && subject[5])
        return user_node(g, subject + 5, true);
    if (strncmp(subject, "group:", 6) == 0 && subject[6])
        return (long)get_node(g, KH_RBAC_NODE_GROUP, "", subject + 6);
    const char *slash = strncmp(subject, "sa:", 3) == 0 ? strchr(subject + 3, '/') : NULL;
    if (!slash || slash == subject + 3 || !slash[1])
        return -1;
    const char *ns = kh_arena_strndup(g->arena, subject + 3, (size_t)(slash - subject - 3));
    return ns ? (long)get_node(g, KH_RBAC_NODE_SA, ns, slash + 1) : -1;
}

int kh_rbac_graph__build(kh_rbac_graph **out, const kh_rbac_risk *r, const kh_rbac_attrs *to,
                         const char *to_text, const char *subject, kh_arena *arena)
{
    *out = NULL;
    kh_rbac_graph *g = kh_arena_calloc(arena, 1, sizeof(*g));
    if (!g)
        return KH_ENOMEM;
    g->r = r;
    g->arena = arena;
    g->index.strings = true;
    g->to = to;
    g->to_text = to_text ? to_text : "the target permission";
    g->admin = get_node(g, KH_RBAC_NODE_ADMIN, "", "");
    g->target = to ? get_node(g, KH_RBAC_NODE_TARGET, "", g->to_text) : g->admin;
    named_ctx nc = {.g = g};
    if (index_named(&nc) != KH_OK)
        return KH_ENOMEM;
    /* Accounts first, in the model's order, so node numbers are stable. */
    for (size_t i = 0; i < nc.nsas; i++)
        get_node(g, KH_RBAC_NODE_SA, nc.sas[i]->namespace_, nc.sas[i]->name);
    add_grants(g, &nc);
    if (subject)
        subject_text_node(g, subject);
    if (to && !g->failed) {
        holder_ctx hc = {.g = g, .r = r};
        for (size_t i = 0; i < r->nbindings; i++)
            if (hmap_put(&hc.bindex, arena, r->bindings[i], (uint32_t)i) != KH_OK)
                return KH_ENOMEM;
        kh_rbac_attrs a = *to;
        a.user = NULL;
        a.groups = NULL;
        a.ngroups = 0;
        kh_rbac__who_can(r->m, &a, on_holder, &hc);
    }
    /* Fan-outs may add accounts (a token secret's): members after them. */
    add_fanouts(g, &nc);
    add_members(g);
    if (g->failed || shortest_paths(g) != KH_OK)
        return KH_ENOMEM;
    *out = g;
    return KH_OK;
}

size_t kh_rbac_graph__nodes(const kh_rbac_graph *g, const kh_rbac_node **out)
{
    *out = g->nodes;
    return g->nnodes;
}

size_t kh_rbac_graph__edges(const kh_rbac_graph *g, const kh_rbac_edge **out)
{
    *out = g->edges;
    return g->nedges;
}

uint32_t kh_rbac_graph__target(const kh_rbac_graph *g)
{
    return g->target;
}

long kh_rbac_graph__find_sa(const kh_rbac_graph *g, const char *ns, const char *name)
{
    return find_node(g, KH_RBAC_NODE_SA, ns, name);
}

long kh_rbac_graph__find(const kh_rbac_graph *g, const char *subject)
{
    if (strncmp(subject, "user:", 5) == 0) {
        const char *ns, *name;
        if (sa_username(g->arena, subject + 5, &ns, &name))
            return find_node(g, KH_RBAC_NODE_SA, ns, name);
        return find_node(g, KH_RBAC_NODE_USER, "", subject + 5);
    }
    if (strncmp(subject, "group:", 6) == 0)
        return find_node(g, KH_RBAC_NODE_GROUP, "", subject + 6);
    if (strncmp(subject, "sa:", 3) == 0) {
        const char *slash = strchr(subject + 3, '/');
        if (!slash)
            return -1;
        char ns[256];
        size_t len = (size_t)(slash - subject - 3);
        if (len >= sizeof(ns))
            return -1;
        memcpy(ns, subject + 3, len);
        ns[len] = '\0';
        return find_node(g, KH_RBAC_NODE_SA, ns, slash + 1);
    }
    return -1;
}

size_t kh_rbac_graph__path(const kh_rbac_graph *g, uint32_t from,
                           const kh_rbac_edge *const **out, unsigned *steps)
{
    *out = NULL;
    *steps = 0;
    if (from >= g->nnodes || g->dist[from] == NONE || from == g->target)
        return 0;
    size_t n = 0;
    for (uint32_t v = from; v != g->target && n <= g->nnodes; v = g->edges[g->next[v]].to)
        n++;
    const kh_rbac_edge **path = kh_arena_calloc(g->arena, n, sizeof(*path));
    if (!path)
        return 0;
    size_t k = 0;
    for (uint32_t v = from; k < n; v = g->edges[g->next[v]].to)
        path[k++] = &g->edges[g->next[v]];
    *out = path;
    *steps = g->dist[from];
    return n;
}

bool kh_rbac_graph__reportable(const kh_rbac_graph *g, const kh_rbac_risk *r, uint32_t from,
                               const kh_rbac_edge *const *path, size_t n)
{
    (void)g;
    (void)from;
    if (n == 0 || (path[0]->kind != KH_RBAC_EDGE_GRANT && path[0]->kind != KH_RBAC_EDGE_HOLDS))
        return false;
    /* Kubernetes' own components (the replicaset controller creates pods
     * everywhere) start no reportable path: the grant to blame is a later
     * one, reported on its own binding. */
    if (r->system_default[path[0]->binding_index])
        return false;
    /* One step that only holds the target (cluster-admin itself, or
     * everything in the target's namespace) is no escalation. */
    size_t weighted = 0;
    for (size_t i = 0; i < n; i++) {
        if (path[i]->kind == KH_RBAC_EDGE_GRANT)
            return true;
        weighted += path[i]->kind == KH_RBAC_EDGE_HOLDS;
    }
    return weighted > 1;
}

const char *kh_rbac_graph__edge_text(const kh_rbac_graph *g, const kh_rbac_edge *e,
                                     kh_arena *arena)
{
    if (e->kind != KH_RBAC_EDGE_GRANT && e->kind != KH_RBAC_EDGE_HOLDS)
        return "";
    if (e->cap >= KH_RBAC_CAP_COUNT)
        return g->to_text;
    const char *ns = e->grant.binding->namespace_;
    const char *where = kh_rbac__cap_cluster_only((kh_rbac_cap)e->cap)
                            ? "cluster-wide"
                            : scope_text(arena, ns);
    if (e->name)
        return kh_arena_printf(arena, "%s named '%s' %s", caps[e->cap].text, e->name,
                               where ? where : "");
    return kh_arena_printf(arena, "%s %s", caps[e->cap].text, where ? where : "");
}
