/*
 * rbac_paths.h -- risky capabilities of RBAC rules and the escalation
 * graph ("who can become whom") over the RBAC model (analysis/rbac.h).
 *
 * kh_rbac_risk__build makes one model for every rbac.* set rule: the
 * authorizer model, what each binding grants (capabilities decided with
 * the authorizer's own matchers), the sensitive namespaces, and the
 * escalation graph with every subject's shortest path to
 * cluster-admin-equivalent power. Everything lives in one arena.
 */
#ifndef KH_ANALYSIS_RBAC_PATHS_H
#define KH_ANALYSIS_RBAC_PATHS_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/rbac.h"
#include "kubeharden/rbac_paths.h"

/* What a rule lets its holder do that matters for risk and escalation,
 * each for any object name (a rule limited by resourceNames has none of
 * these; the graph follows named grants on its own). */
typedef enum kh_rbac_cap {
    KH_RBAC_CAP_ALL = 0,            /* every verb on every resource of every group */
    KH_RBAC_CAP_SECRETS_READ,       /* get, list or watch secrets */
    KH_RBAC_CAP_POD_EXEC,           /* pods/exec, attach, portforward */
    KH_RBAC_CAP_POD_CREATE,         /* create pods */
    KH_RBAC_CAP_WORKLOAD_CREATE,    /* create a pod-creating workload */
    KH_RBAC_CAP_BIND,               /* bind roles or clusterroles */
    KH_RBAC_CAP_ESCALATE,           /* escalate roles or clusterroles */
    KH_RBAC_CAP_IMPERSONATE_USERS,
    KH_RBAC_CAP_IMPERSONATE_GROUPS,
    KH_RBAC_CAP_IMPERSONATE_SAS,
    KH_RBAC_CAP_NODES_PROXY,        /* get or create nodes/proxy (the kubelet API) */
    KH_RBAC_CAP_NODES_WRITE,        /* patch or update nodes */
    KH_RBAC_CAP_TOKEN_CREATE,       /* create serviceaccounts/token */
    KH_RBAC_CAP_CSR_APPROVE,        /* approve or sign certificate requests */
    KH_RBAC_CAP_WEBHOOK_WRITE,      /* write admission webhooks and policies */
    KH_RBAC_CAP_PV_CREATE,          /* create persistentvolumes */
    KH_RBAC_CAP_COUNT
} kh_rbac_cap;

#define KH_RBAC_CAP(c) (1u << (c))

/* "create pods", "bind roles or clusterroles": for messages. */
const char *kh_rbac__cap_text(kh_rbac_cap cap);
/* Cluster-scoped resources: a RoleBinding can never grant the capability. */
bool kh_rbac__cap_cluster_only(kh_rbac_cap cap);

typedef struct kh_rbac_graph kh_rbac_graph;

typedef struct kh_rbac_risk {
    const kh_rbac *m;
    const kh_objset *set;
    kh_arena *arena;
    const kh_rbac_binding *const *bindings; /* kh_rbac__bindings' order */
    size_t nbindings;
    uint32_t *caps;                  /* per binding: KH_RBAC_CAP bits its role grants
                                      * in its scope (0 when the role is missing) */
    bool *system_default;            /* per binding: Kubernetes' or kubeadm's own */
    const char *const *sensitive;    /* namespaces whose secrets are sensitive, sorted */
    size_t nsensitive;
    kh_rbac_graph *graph;            /* target: cluster-admin-equivalent */
    struct kh_rbac_risk_index *ix;   /* lookups below */
} kh_rbac_risk;

/* Build the whole model into @p arena. @return 0 or KH_ENOMEM. */
int kh_rbac_risk__build(kh_rbac_risk **out, const kh_objset *set, kh_arena *arena);
/* As a kh_rule_build_fn: the model or NULL. */
void *kh_rbac_risk__build_shared(kh_arena *arena, const kh_objset *set);

/* The capabilities @p rule grants (bits), decided by kh_rbac__rule_allows. */
uint32_t kh_rbac__rule_caps(const kh_rbac_rule *rule);
/* The same, computed once per rule when the model was built. */
uint32_t kh_rbac_risk__rule_caps(const kh_rbac_risk *r, const kh_rbac_rule *rule);

/* The binding is Kubernetes' own bootstrap policy (label
 * kubernetes.io/bootstrapping=rbac-defaults, a system name, system
 * subjects only) or one kubeadm creates (exact name, role and subjects). */
bool kh_rbac__binding_is_default(const kh_rbac_binding *b);

/* Secrets of @p ns are sensitive (kube-system, or labelled
 * kubeharden.io/sensitive=true). */
bool kh_rbac_risk__sensitive(const kh_rbac_risk *r, const char *ns);

/* The input holds ServiceAccount objects in namespace @p ns (so it
 * looks like a complete dump of that namespace's accounts). */
bool kh_rbac_risk__has_sas_in(const kh_rbac_risk *r, const char *ns);

/* @p obj (a pod or workload) has a controller owner (ownerReferences
 * with controller: true) that is in the input too. */
bool kh_rbac_risk__owner_kept(const kh_rbac_risk *r, const kh_object *obj);

/* The first binding (and its subject) that is not Kubernetes' own and
 * grants account @p sa some rule, naming it or its user name; NULL when
 * none. */
const kh_rbac_grant *kh_rbac_risk__sa_grant(const kh_rbac_risk *r, const kh_rbac_sa *sa);

/* Index of @p b in r->bindings, or (size_t)-1. */
size_t kh_rbac_risk__binding_index(const kh_rbac_risk *r, const kh_rbac_binding *b);

/* ------------------------------------------------------------- the graph */

typedef enum kh_rbac_node_kind {
    KH_RBAC_NODE_USER = 0,
    KH_RBAC_NODE_GROUP,
    KH_RBAC_NODE_SA,
    KH_RBAC_NODE_ADMIN,              /* cluster-admin-equivalent */
    KH_RBAC_NODE_TARGET,             /* the --to permission */
    KH_RBAC_NODE_SA_IN,              /* any service account of a namespace */
    KH_RBAC_NODE_SA_ALL,             /* any service account */
    KH_RBAC_NODE_PODS_IN,            /* the accounts of running pods of a namespace */
    KH_RBAC_NODE_PODS_ALL,
    KH_RBAC_NODE_SECRETS_IN,         /* the accounts of token secrets of a namespace */
    KH_RBAC_NODE_SECRETS_ALL,
    KH_RBAC_NODE_NS_ALL,             /* every permission in a namespace */
    KH_RBAC_NODE_USERS_ALL           /* any user */
} kh_rbac_node_kind;

typedef struct kh_rbac_node {
    kh_rbac_node_kind kind;
    const char *name;                /* user, group or account name; "" otherwise */
    const char *namespace_;          /* account or namespace, else "" */
    const char *label;               /* "user:alice", "sa:ci/builder", "any service
                                      * account in namespace 'ci'" */
} kh_rbac_node;

typedef enum kh_rbac_edge_kind {
    KH_RBAC_EDGE_GRANT = 0,          /* a grant lets the subject become the target (1 step) */
    KH_RBAC_EDGE_HOLDS,              /* the subject holds the target permission (1 step) */
    KH_RBAC_EDGE_MEMBER,             /* the user is in the group (free) */
    KH_RBAC_EDGE_FANOUT              /* "any account in ns" is each of them (free) */
} kh_rbac_edge_kind;

typedef struct kh_rbac_edge {
    uint32_t from, to;
    uint8_t kind;                    /* kh_rbac_edge_kind */
    uint8_t cap;                     /* GRANT, HOLDS: kh_rbac_cap, or KH_RBAC_CAP_COUNT
                                      * for the --to permission */
    uint32_t binding_index;          /* GRANT, HOLDS: in r->bindings */
    kh_rbac_grant grant;             /* GRANT, HOLDS: binding, subject, role, rule */
    const char *name;                /* GRANT, HOLDS: the object name a rule with
                                      * resourceNames allows, else NULL */
    const kh_object *via;            /* FANOUT, named GRANT: the pod or secret behind
                                      * it, or NULL */
} kh_rbac_edge;

/* What a GRANT or HOLDS edge allows, in @p arena: "create pods in
 * namespace 'ci'", "bind roles or clusterroles cluster-wide". */
const char *kh_rbac_graph__edge_text(const kh_rbac_graph *g, const kh_rbac_edge *e,
                                     kh_arena *arena);

/* Build the graph over @p r with target cluster-admin-equivalent, or
 * @p to (its namespace_ "" for cluster-wide) when not NULL; shortest paths
 * to it are computed at once. @p subject (may be NULL: "user:NAME",
 * "group:NAME", "sa:NS/NAME") gets a node even when no binding names it,
 * so that the groups the authenticators put it in still count.
 * @return 0 or KH_ENOMEM. */
int kh_rbac_graph__build(kh_rbac_graph **out, const kh_rbac_risk *r, const kh_rbac_attrs *to,
                         const char *to_text, const char *subject, kh_arena *arena);

size_t kh_rbac_graph__nodes(const kh_rbac_graph *g, const kh_rbac_node **out);
size_t kh_rbac_graph__edges(const kh_rbac_graph *g, const kh_rbac_edge **out);
/* The node of a subject ("user:alice", "group:dev", "sa:ns/name"), or -1. */
long kh_rbac_graph__find(const kh_rbac_graph *g, const char *subject);
/* The node of the account @p ns/@p name, or -1. */
long kh_rbac_graph__find_sa(const kh_rbac_graph *g, const char *ns, const char *name);
/* The target node. */
uint32_t kh_rbac_graph__target(const kh_rbac_graph *g);

/* The shortest path from node @p from to the target: its edges in order
 * (in the graph's arena) and their count; 0 when there is none or @p from
 * is the target. *steps gets the number of 1-step edges. */
size_t kh_rbac_graph__path(const kh_rbac_graph *g, uint32_t from,
                           const kh_rbac_edge *const **out, unsigned *steps);

/* A path worth reporting: it exists, it is more than holding the target
 * permission directly, and it starts with a grant of @p from's own (not
 * one it has as a member of a group, which the group's path shows) that
 * is not Kubernetes' own. */
bool kh_rbac_graph__reportable(const kh_rbac_graph *g, const kh_rbac_risk *r, uint32_t from,
                               const kh_rbac_edge *const *path, size_t n);

#endif
