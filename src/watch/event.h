/*
 * event.h -- what the audit rules (src/rules/audit.c) see of an audit
 * event, the watcher's configuration (`watch:`), and the few calls a rule
 * makes: report an alert, count an event in a sliding window.
 */
#ifndef KH_WATCH_EVENT_H
#define KH_WATCH_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "doc/node.h"
#include "kubeharden.h"

/* One audit event, decoded once for every rule. Strings are "" when absent. */
typedef struct kh_audit_event {
    const kh_node *root;
    const char *file;
    unsigned line, col;
    const char *audit_id, *stage, *verb, *request_uri, *user, *user_agent, *timestamp;
    const kh_node *groups;        /* user.groups (sequence or NULL) */
    const kh_node *source_ips;    /* sourceIPs */
    const char *impersonated_user;/* impersonatedUser.username, "" when none */
    const char *resource, *subresource, *namespace_, *name, *api_group;
    int code;                     /* responseStatus.code, 0 when absent */
    const char *decision;         /* annotation authorization.k8s.io/decision */
    const kh_node *request_object;/* requestObject when it is an object (has a kind) */
    int64_t t_us;                 /* stageTimestamp (else requestReceivedTimestamp), µs */
} kh_audit_event;

/* Exceptions: globs (fnmatch) on the event's user, groups, namespace, user agent. */
typedef struct kh_watch_except {
    const char **users, **groups, **namespaces, **user_agents;
    size_t nusers, ngroups, nnamespaces, nuser_agents;
} kh_watch_except;

/* Response actions (watch.rules.<id>.actions; src/watch/respond.c). */
typedef enum kh_watch_action {
    KH_ACTION_DELETE_POD = 1, KH_ACTION_ISOLATE_POD, KH_ACTION_CORDON_NODE,
    KH_ACTION_DRAIN_NODE, KH_ACTION_SCALE_TO_ZERO, KH_ACTION_DELETE_BINDING,
    KH_ACTION_MAX = KH_ACTION_DELETE_BINDING
} kh_watch_action;

/* Per-rule settings (watch.rules.<id>). */
typedef struct kh_watch_rule_cfg {
    const char *id;
    long threshold;               /* 0: the rule's default */
    long window_s;                /* 0: the rule's default */
    int severity;                 /* -1: the registry's (or rules.severity) */
    kh_watch_except except;
    unsigned char actions[KH_ACTION_MAX]; /* kh_watch_action, in the order written */
    size_t nactions;
} kh_watch_rule_cfg;

/* "delete-pod", ... ("?" for another value). */
const char *kh_watch__action_name(kh_watch_action a);

/* watch.response: where and how fast actions may run (globs: fnmatch). */
typedef struct kh_watch_response {
    bool act;                     /* dryRun: false (zeroed: a dry run) */
    const char **namespaces;      /* allow.namespaces */
    const char **nodes;           /* allow.nodes */
    const char **cluster_bindings;/* allow.clusterRoleBindings */
    size_t nnamespaces, nnodes, ncluster_bindings;
    long rate_window_s;           /* rateLimit.window (0: 60) */
    long rate_actions;            /* rateLimit.actions (0: 3) */
} kh_watch_response;

/* An allowed source network (watch.allowedSourceCIDRs). */
typedef struct kh_watch_cidr {
    const char *text;             /* as written */
    int family;                   /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
} kh_watch_cidr;

typedef struct kh_watch_policy {
    long dedup_window_s;          /* watch.dedup.window (default 60) */
    long dedup_burst;             /* watch.dedup.burst: alerts per window (default 1) */
    const char **sensitive_namespaces; /* watch.sensitiveNamespaces */
    size_t nsensitive_namespaces;
    kh_watch_cidr *cidrs;         /* watch.allowedSourceCIDRs */
    size_t ncidrs;
    kh_watch_except except;       /* watch.exceptions: every rule */
    kh_watch_rule_cfg *rules;
    size_t nrules;
    kh_watch_response response;   /* watch.response */
} kh_watch_policy;

/* Read one key of the `watch:` mapping into *pol (allocated in @p arena on
 * the first call). Used by the configuration loader (src/scan/config.c).
 * @return 0 or KH_ECONFIG with @p err naming file:line:col. */
int kh_watch__config_pair(kh_arena *arena, struct kh_watch_policy **pol, const kh_pair *p,
                          const char *file, kh_error *err);

/* ------------------------------------------------------- for the rules */

typedef struct kh_audit_ctx kh_audit_ctx;

/* Report an alert for the event being judged, keyed by @p subject (dedup
 * and rate limits are per rule and subject; NULL: the user). */
void kh_audit__alert(kh_audit_ctx *ctx, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Count the event under @p subject in the rule's sliding window (of the
 * configured or @p def_window_s seconds); true exactly when the count
 * reaches the threshold (configured or @p def_threshold), *count set to it.
 * The window then starts over, so a burst alerts once per threshold. */
bool kh_audit__burst(kh_audit_ctx *ctx, const char *subject, long def_threshold,
                     long def_window_s, long *count);
/* The watch policy (never NULL: defaults when none configured). */
const kh_watch_policy *kh_audit__policy(const kh_audit_ctx *ctx);
/* Pod Security baseline violations of the event's requestObject (privileged,
 * host namespaces, hostPath): their messages joined with "; ", or NULL. */
const char *kh_audit__pod_violations(kh_audit_ctx *ctx, const kh_audit_event *ev);
kh_arena *kh_audit__arena(kh_audit_ctx *ctx);

/* A user that is a control-plane component rather than a person or a
 * workload: "system:" names other than service accounts, and the service
 * accounts of kube-system (the controllers). */
bool kh_audit__system_user(const char *user);
/* The response was a success (2xx, or 101 for an upgraded stream). */
bool kh_audit__succeeded(const kh_audit_event *ev);
/* A write verb: create, update, patch, delete, deletecollection. */
bool kh_audit__write(const char *verb);
bool kh_audit__in(const char *s, const char *const *list);
/* Is @p ip (textual IPv4 or IPv6) inside @p c? false for an unparsable address. */
bool kh_watch__cidr_contains(const kh_watch_cidr *c, const char *ip);

#endif
