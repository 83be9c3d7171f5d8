/*
 * kubeharden/rbac.h -- who can do what, from Roles, ClusterRoles and their
 * bindings, answered as the API server's RBAC authorizer would.
 *
 * Load objects with kh_cluster_new(kh_rbac_kinds()) and kh_cluster_load_*,
 * then build the model with kh_rbac_load. The model lives in the
 * cluster's memory and goes with kh_cluster_free. Queries: who can make a
 * request (kh_rbac_who_can), what a subject may do (kh_rbac_rules_for),
 * may it make this request and why (kh_rbac_can), and answering
 * SubjectAccessReviews (kh_rbac_review_buffer). Everything a query hands
 * out points into the model and stays valid as long as the cluster.
 * who-can and rules-for only read the model; queries that build text
 * (kh_rbac_can, kh_rbac_user_groups, reviews) allocate in it: run those
 * from one thread at a time.
 */
#ifndef KUBEHARDEN_RBAC_H
#define KUBEHARDEN_RBAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kh_rbac kh_rbac;

/** A request, as authorizer.Attributes: who (user and groups) and what. */
typedef struct kh_rbac_attrs {
    const char *user;               /**< user name; "" or NULL for none */
    const char *const *groups;      /**< the user's groups (as given: see kh_rbac_user_groups) */
    size_t ngroups;
    const char *verb;               /**< "get", "list", "create", ... */
    bool resource_request;          /**< true: resource request; false: non-resource (path) */
    const char *namespace_;         /**< "" or NULL: cluster-wide */
    const char *api_group;          /**< "" or NULL: the core group */
    const char *resource;           /**< "pods" */
    const char *subresource;        /**< "exec", "" or NULL for none */
    const char *name;               /**< object name, "" or NULL for none */
    const char *path;               /**< non-resource requests: "/healthz" */
} kh_rbac_attrs;

/** A list of strings. */
typedef struct kh_rbac_strs {
    const char *const *v;
    size_t n;
} kh_rbac_strs;

/** The kinds to keep for RBAC (NULL-terminated), for kh_cluster_new: the
 * four RBAC kinds, ServiceAccounts and every kind with a pod spec. */
const char *const *kh_rbac_kinds(void);

/** Only Roles, ClusterRoles, RoleBindings and ClusterRoleBindings: enough
 * for who-can, can and reviews, which never look at accounts or pods. */
const char *const *kh_rbac_authorizer_kinds(void);

/**
 * Build the RBAC model of the objects @p c holds. The model is allocated
 * in the cluster and freed by kh_cluster_free (there is no kh_rbac_free).
 * @return 0, or KH_ENOMEM.
 */
int kh_rbac_load(kh_rbac **out, kh_cluster *c, kh_error *err);

/** The namespaces that hold RoleBindings, sorted (for queries over every
 * namespace). The array lives in the model. */
size_t kh_rbac_namespaces(const kh_rbac *m, const char *const **out);

/** A grant seen from outside: a binding, its subject, its role and one rule. */
typedef struct kh_rbac_grant_view {
    const char *binding_kind;       /**< "ClusterRoleBinding" or "RoleBinding" */
    const char *binding_namespace;  /**< "" for a ClusterRoleBinding */
    const char *binding_name;
    const char *binding_file;       /**< input label, line and column of the binding */
    unsigned binding_line, binding_col;
    const char *role_kind;          /**< roleRef.kind */
    const char *role_name;          /**< roleRef.name */
    const char *subject_kind;       /**< as written: "User", "Group", "ServiceAccount" */
    const char *subject_name;
    const char *subject_namespace;  /**< a ServiceAccount's effective namespace, else "" */
    bool has_rule;                  /**< false: the role does not exist (see error) */
    kh_rbac_strs verbs, api_groups, resources, resource_names, non_resource_urls;
    const char *rule_role_kind;     /**< where the rule is written (for an aggregated */
    const char *rule_role_namespace;/**< ClusterRole, the role it was aggregated from) */
    const char *rule_role_name;
    const char *rule_file;          /**< input label, line, column and field path of the rule */
    unsigned rule_line, rule_col;
    const char *rule_path;          /**< "rules[1]" ("items[4].rules[1]" in a List) */
    const char *error;              /**< why the binding grants nothing, or NULL */
} kh_rbac_grant_view;

/** Receives grants; return non-zero to stop (the query then returns it). */
typedef int (*kh_rbac_grant_cb)(const kh_rbac_grant_view *g, void *ud);

/**
 * Every binding, subject and rule that allows the request @p a (its user
 * and groups are ignored): ClusterRoleBindings by name, then (when
 * a->namespace_ is set) RoleBindings of that namespace by name; each
 * allowing rule of a binding's role, for each subject. Members of
 * system:masters may do everything too; that group is no binding and is
 * not reported here. @return 0 or the callback's non-zero value.
 */
int kh_rbac_who_can(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_cb cb, void *ud);

/**
 * kh_rbac_who_can in every namespace at once: the ClusterRoleBindings,
 * then the RoleBindings of every namespace by namespace and name (each
 * grant holds in its binding's namespace; a->namespace_ is ignored).
 * @return 0 or the callback's non-zero value.
 */
int kh_rbac_who_can_all(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_cb cb,
                        void *ud);

/**
 * Every rule that applies to the user and groups of @p a in a->namespace_
 * ("" = the cluster-wide rules only), in the authorizer's visiting order;
 * bindings whose role does not exist come with has_rule false. The verb
 * and resource of @p a are ignored. @return 0 or the callback's value.
 */
int kh_rbac_rules_for(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_cb cb, void *ud);

/**
 * The groups the API server's authenticators add to @p user (service
 * account groups, system:authenticated, or system:unauthenticated for
 * system:anonymous), after @p groups. The array is in the model's memory.
 * @return 0 or KH_ENOMEM.
 */
int kh_rbac_user_groups(kh_rbac *m, const char *user, const char *const *groups,
                        size_t ngroups, const char *const **out, size_t *nout,
                        kh_error *err);

/** Is the user of @p a in system:masters, which the API server allows every
 * request before RBAC is asked? */
bool kh_rbac_privileged(const kh_rbac_attrs *a);

/** A decision on one request. */
typedef struct kh_rbac_answer {
    bool allowed;
    bool privileged;                /**< allowed because the user is in system:masters */
    const char *reason;             /**< the API server's reason text ("" when none) */
    bool has_grant;                 /**< RBAC allowed: grant is the first allowing one */
    kh_rbac_grant_view grant;
} kh_rbac_answer;

/**
 * May the user of @p a make the request @p a? As the chain system:masters
 * then RBAC decides it, groups taken as given. @return 0 or KH_ENOMEM.
 */
int kh_rbac_can(kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_answer *out, kh_error *err);

/**
 * Answer every SubjectAccessReview (authorization.k8s.io/v1, YAML or JSON
 * stream; Lists unwrapped) in @p buf: each is written to @p out as one line
 * of JSON, the review with status {allowed, reason} as the API server would
 * set it from these RBAC objects. A document that is not a valid
 * SubjectAccessReview is reported to @p on_error (may be NULL) as an error
 * finding (file:line:col and the API server's validation message) and
 * skipped. @p answered and @p allowed (may be NULL) count the reviews
 * written and those allowed. @return 0, or KH_EIO / KH_ENOMEM.
 */
int kh_rbac_review_buffer(kh_rbac *m, const char *buf, size_t len, const char *name,
                          FILE *out, kh_finding_cb on_error, void *ud,
                          size_t *answered, size_t *allowed, kh_error *err);

#ifdef __cplusplus
}
#endif

#endif
