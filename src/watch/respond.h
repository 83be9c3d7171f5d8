/*
 * respond.h -- response actions (respond.c): what watch.c calls, and the
 * target resolution the unit tests reach.
 */
#ifndef KH_WATCH_RESPOND_H
#define KH_WATCH_RESPOND_H

#include "kubeharden/client.h"
#include "kubeharden/watch.h"
#include "watch/event.h"

typedef struct kh_respond kh_respond;

/* Receives each response alert, on the thread that called
 * kh_respond__detected or kh_respond__drain (the watcher's). */
typedef void (*kh_respond_emit)(void *ud, kh_alert *a);

/* A responder for the actions @p pol's rules name, in @p mode, talking to
 * the cluster of @p cluster (NULL: found as kubectl does). *out stays
 * NULL when no rule names an action or the mode is off. Notices (dry run
 * against which server, or without one) go to cluster->warnings or stderr.
 * @return 0, KH_ECONFIG (live mode without a cluster, a bad kubeconfig)
 * or KH_ENOMEM. */
int kh_respond__new(kh_respond **out, const kh_watch_policy *pol, kh_respond_mode mode,
                    const kh_client_options *cluster, kh_respond_emit emit, void *ud,
                    kh_error *err);

/* The rule of @p rc fired on @p ev (its alert @p a, before dedup): plan
 * each of its actions (target, allow-lists, rate limit) and queue them
 * for the worker; refusals are emitted at once. */
void kh_respond__detected(kh_respond *r, const kh_watch_rule_cfg *rc, const kh_alert *a,
                          const kh_audit_event *ev);

typedef enum kh_respond_drain {
    KH_RESPOND_DRAIN_DONE,       /* the alerts of the actions finished */
    KH_RESPOND_DRAIN_FLUSH,      /* those and the rate limit's held counts */
    KH_RESPOND_DRAIN_FINISH      /* first wait (30 s at most) for every queued action */
} kh_respond_drain;

/* Emit what @p how says, on the caller's thread. */
void kh_respond__drain(kh_respond *r, kh_respond_drain how);

/* Stop the worker (an action under way finishes; queued ones are dropped). */
void kh_respond__free(kh_respond *r);

/* What an event lets an action aim at without asking the cluster. Strings
 * point into the event's tree (pod_ns of a token's pod: into a per-thread
 * buffer, until the next call); NULL when the event does not say. */
typedef struct kh_respond_target {
    const char *pod_ns, *pod;     /* the pod whose token made the request (actor), else
                                   * the pod the request was about */
    bool actor;
    const char *node;             /* that pod's node */
    const char *owner_kind, *owner; /* that pod's controller (ownerReferences) */
    const char *workload_res, *workload_ns, *workload; /* a scalable workload the request
                                   * was about: deployments, statefulsets, replicasets,
                                   * replicationcontrollers */
    const char *binding_res, *binding_ns, *binding; /* rolebindings or clusterrolebindings */
    const char *node_ref;         /* a node the request was about (nodes/NAME) */
} kh_respond_target;

void kh_respond__target(const kh_audit_event *ev, kh_respond_target *t);

/* Is @p name allowed by @p globs? kube-system (as a namespace) and system:
 * names (as ClusterRoleBindings) only when listed by their exact name. */
bool kh_respond__allowed(const char *const *globs, size_t n, const char *name);

#endif
