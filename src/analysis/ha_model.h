/*
 * ha_model.h -- the high-availability model over an object set, shared by
 * the ha.* set rules (src/rules/ha_*.c) and the failure simulation
 * (ha_sim.c, include/kubeharden/ha.h).
 *
 * One build indexes what availability depends on: nodes and their zones,
 * workloads (controllers, and the owners pods name when the controller is
 * not in the input), pods by node and by workload, disruption budgets and
 * Services with the templates and pods they select, HPAs, etcd members and
 * API server endpoints. Everything is allocated in one arena, so a model
 * built by kh_rule__shared needs no free function.
 */
#ifndef KH_ANALYSIS_HA_MODEL_H
#define KH_ANALYSIS_HA_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "k8s/k8s.h"

/* The kinds the model reads, and the only fields it and the ha rules read
 * besides apiVersion, kind and metadata (NULL-terminated; kh_object_clone
 * paths). */
extern const char *const kh_ha__kinds[];
extern const char *const kh_ha__fields[];

/* An int-or-percent field (intstr.IntOrString). */
typedef enum kh_ha_intpct_kind {
    KH_HA_ABSENT = 0,
    KH_HA_INT,
    KH_HA_PERCENT,
    KH_HA_INVALID                /* a string that is not "N%" (upstream: an error) */
} kh_ha_intpct_kind;

typedef struct kh_ha_intpct {
    kh_ha_intpct_kind kind;
    int64_t value;
    const kh_node *node;         /* the value; NULL when absent */
} kh_ha_intpct;

/* Read an IntOrString as intstr does: an int, or a string "N%" whose N
 * strconv.Atoi accepts (an optional sign, digits). */
kh_ha_intpct kh_ha__intpct(const kh_node *n);
/* intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of
 * @p total rounded up (roundUp) or down. @p v must be INT or PERCENT. */
int64_t kh_ha__scaled(const kh_ha_intpct *v, int64_t total, bool round_up);

/* A membership list (a pod's budgets, a template's Services). */
typedef struct kh_ha_link {
    size_t idx;
    struct kh_ha_link *next;
} kh_ha_link;

typedef struct kh_ha_nodeinfo {
    const kh_object *obj;        /* NULL for a node only pods name */
    const char *name;
    const char *zone;            /* topology.kubernetes.io/zone (or the beta label); NULL */
    long zone_id;                /* index into zones, -1 without a zone */
    bool control_plane;          /* role label or taint */
    uint32_t *pods;              /* pods bound to it (spec.nodeName) */
    size_t npods;
} kh_ha_nodeinfo;

typedef struct kh_ha_zone {
    const char *name;
    size_t *nodes, nnodes;
} kh_ha_zone;

typedef enum kh_ha_wl_class {
    KH_HA_WL_REPLICATED = 0,     /* Deployment, StatefulSet, ReplicaSet, RC, Rollout, CloneSet */
    KH_HA_WL_DAEMON,             /* DaemonSet: one pod per node */
    KH_HA_WL_BARE                /* a pod with no controller */
} kh_ha_wl_class;

/* A workload as the rules and the simulation read it (kh_ha__workload). */
typedef struct kh_ha_workload {
    const kh_object *obj;        /* NULL when known only from its pods' owner references */
    const char *kind, *namespace_, *name;
    kh_ha_wl_class cls;
    int64_t replicas;            /* spec.replicas (default 1); pods seen when obj is NULL */
    const kh_node *replicas_key; /* spec.replicas key, or NULL */
    const kh_object *hpa;        /* the HPA scaling it, or NULL */
    int64_t hpa_min;             /* its minReplicas (default 1) */
    int64_t effective;           /* the fewest replicas it runs: hpa_min with an HPA */
    size_t npods, ready;         /* pods in the input, and the ready ones */
    long templ;                  /* its template entry, -1 */
} kh_ha_workload;

/* How the model keeps a workload: a pod with no controller (most of a
 * big cluster's workloads, when it runs bare pods) is these 12 bytes, its
 * names read from the pod and its replicas its pods; every other workload
 * has its details in an info record. */
typedef struct kh_ha_wl {
    uint32_t npods, ready;       /* pods in the input, and the ready ones */
    uint32_t at : 29;            /* info: its kh_ha_wl_info; else the pod in pods */
    uint32_t cls : 2;            /* kh_ha_wl_class */
    uint32_t info : 1;
} kh_ha_wl;

/* The most objects a model takes (kh_ha_wl.at). */
#define KH_HA_MAX_OBJECTS ((1u << 29) - 1)

/* The rest of a workload: kh_ha__workload reads replicas_key and hpa_min
 * from obj and hpa, and effective is hpa_min with an HPA, else replicas. */
typedef struct kh_ha_wl_info {
    const kh_object *obj;
    const char *kind, *namespace_, *name;
    const kh_object *hpa;
    int64_t replicas;
    int32_t templ;
} kh_ha_wl_info;

/* Info records are allocated in blocks of this many, as workloads are
 * found (how many there will be is known only at the end). */
#define KH_HA_INFO_BLOCK 4096

/* An object with a pod template (any kind kh_object_pod_metadata knows,
 * Pods aside): what budgets and Services select before pods exist. */
typedef struct kh_ha_templ {
    const kh_object *obj;
    const kh_node *labels;       /* template labels (a map), or NULL */
    kh_ha_link *services;        /* the Services selecting it (of budgets, the count) */
    int32_t workload;            /* -1: not a replicated workload (a Job, an RS a
                                  * Deployment owns) */
    uint32_t nbudgets, nservices;
    bool noscale;                /* DaemonSet, Job, CronJob: no scale subresource */
} kh_ha_templ;

/* 16 bytes: the indexes are below KH_HA_MAX_OBJECTS. */
typedef struct kh_ha_pod {
    const kh_object *obj;
    signed int node : 30;        /* -1: not bound */
    unsigned ready : 1;
    unsigned unmanaged : 1;      /* no controller reference */
    signed int workload : 30;    /* -1: Job, static (Node-owned) pod */
    unsigned noscale : 1;        /* owned by a controller without a scale */
} kh_ha_pod;

/* The budgets and Services that select a pod. */
typedef struct kh_ha_pod_links {
    kh_ha_link *budgets, *services;
} kh_ha_pod_links;

typedef enum kh_ha_budget_mode {
    KH_HA_BUDGET_NONE = 0,       /* neither field: expectedCount 0 */
    KH_HA_BUDGET_MIN,
    KH_HA_BUDGET_MAX
} kh_ha_budget_mode;

typedef struct kh_ha_budget {
    const kh_object *obj;
    const kh_selector *sel;      /* NULL: selects nothing (null, invalid, v1beta1 {}) */
    const char *why_nothing;     /* why sel is NULL */
    kh_ha_budget_mode mode;
    kh_ha_intpct value;          /* minAvailable or maxUnavailable */
    size_t ntempls, npods;       /* what it selects */
    kh_ha_link *templs;
    /* The disruption controller's view of the pods in the input. */
    int64_t expected, desired, healthy;
    bool failsafe;               /* a selected pod's controller has no scale */
} kh_ha_budget;

typedef struct kh_ha_service {
    const kh_object *obj;
    const kh_selector *sel;      /* NULL: no selector (endpoints managed by hand) */
    bool load_balancer;
    size_t ntempls, npods, endpoints; /* endpoints: ready pods selected */
    kh_ha_link *templs;
} kh_ha_service;

typedef struct kh_ha_member {   /* an etcd member */
    const char *name;
    const char *peer;            /* its peer URL from --initial-cluster, or NULL */
    long node;                   /* where it runs, -1 when unknown */
} kh_ha_member;

typedef struct kh_ha_endpoint { /* an API server endpoint */
    const kh_object *obj;        /* the kube-apiserver pod or the Endpoints */
    const char *what;            /* pod name or address */
    long node;
} kh_ha_endpoint;

/* A string-keyed hash map (open addressing, sized once). */
typedef struct kh_ha_map {
    const char **keys;
    size_t *vals;
    size_t mask;
} kh_ha_map;

typedef struct kh_ha_model {
    kh_arena *arena;
    kh_ha_map node_index, zone_index;
    kh_ha_nodeinfo *nodes;
    size_t nnodes, nnodes_obj;   /* all, and those from Node objects */
    kh_ha_zone *zones;
    size_t nzones;
    kh_ha_wl *workloads;         /* read whole with kh_ha__workload */
    size_t nworkloads;
    kh_ha_wl_info **infos;       /* in blocks of KH_HA_INFO_BLOCK */
    size_t ninfos;
    kh_ha_templ *templs;
    size_t ntempls;
    kh_ha_pod *pods;
    kh_ha_pod_links *pod_links;  /* per pod; NULL when the input has no budget and
                                  * no Service (kh_ha__pod_budgets, _services) */
    size_t npods;
    kh_ha_budget *budgets;
    size_t nbudgets;
    kh_ha_service *services;
    size_t nservices;
    kh_ha_member *members;       /* etcd */
    size_t nmembers;
    const kh_object *etcd_obj;   /* an etcd pod (where findings point) */
    const kh_node *etcd_at;      /* its --initial-cluster argument, or NULL */
    kh_ha_endpoint *apiservers;
    size_t napiservers;
} kh_ha_model;

/* Build the model over @p set in @p arena (which must outlive it). NULL
 * when out of memory. */
kh_ha_model *kh_ha__build(kh_arena *arena, const kh_objset *set);

/* Workload @p i of @p m, read whole. */
kh_ha_workload kh_ha__workload(const kh_ha_model *m, size_t i);

/* The budgets and the Services that select pod @p i (lists, NULL: none). */
static inline const kh_ha_link *kh_ha__pod_budgets(const kh_ha_model *m, size_t i)
{
    return m->pod_links ? m->pod_links[i].budgets : NULL;
}

static inline const kh_ha_link *kh_ha__pod_services(const kh_ha_model *m, size_t i)
{
    return m->pod_links ? m->pod_links[i].services : NULL;
}

/* The node a name stands for, -1 when none. */
long kh_ha__node_find(const kh_ha_model *m, const char *name);
/* The zone a name stands for, -1 when none. */
long kh_ha__zone_find(const kh_ha_model *m, const char *name);

/* Whether the nodes in the input span more than one zone. */
bool kh_ha__multi_zone(const kh_ha_model *m);

#endif
