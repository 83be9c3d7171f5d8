/*
 * rbac.h -- the RBAC authorizer model over a kept object set, and its
 * queries (internal; front ends use include/kubeharden/rbac.h).
 *
 * kh_rbac__build reads Roles, ClusterRoles, RoleBindings,
 * ClusterRoleBindings, ServiceAccounts and every object with a pod spec,
 * resolves ClusterRole aggregation as the aggregation controller does and
 * each binding's roleRef as the rule resolver does, and keeps it all in
 * one arena: nothing is ever freed on its own. The queries follow
 * kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows),
 * pkg/apis/rbac/v1/evaluation_helpers.go (the matchers) and
 * pkg/registry/rbac/validation/rule.go (VisitRulesFor, appliesToUser) to
 * the letter. Everything returned points into the model and lives as long
 * as its arena. A built model is read-only: queries may run concurrently.
 *
 * Order. The API server visits bindings in its informer cache's order
 * (unordered); here ClusterRoleBindings are visited sorted by name, then
 * the RoleBindings of the request's namespace sorted by name, so that
 * "the first allowing grant" (the reason text) is deterministic.
 */
#ifndef KH_ANALYSIS_RBAC_H
#define KH_ANALYSIS_RBAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "k8s/k8s.h"
#include "kubeharden/rbac.h"

/* ------------------------------------------------------------- the model */

/* Lists of strings (kh_rbac_strs, public) hold scalars as written; other
 * items are skipped. */

struct kh_rbac_role;

/* One PolicyRule, where it is written. Aggregated ClusterRoles point at
 * the rules of the roles they aggregate, so rule->role is the role that
 * wrote it (the aggregation source), not necessarily the role granting. */
typedef struct kh_rbac_rule {
    kh_rbac_strs verbs;
    kh_rbac_strs api_groups;
    kh_rbac_strs resources;
    kh_rbac_strs resource_names;
    kh_rbac_strs non_resource_urls;
    const struct kh_rbac_role *role; /* where it is written */
    const kh_node *node;             /* the rule's mapping (line/col) */
    const char *path;                /* "rules[2]" (prefix: role->obj->path_prefix) */
    size_t index;                    /* 2 in rules[2] */
    const char *full_path;           /* "items[4].rules[2]": with the object's prefix */
    uint64_t hash;                   /* of the five lists: equal rules hash equal */
} kh_rbac_rule;

typedef struct kh_rbac_role {
    const kh_object *obj;
    const char *kind;                /* "Role" or "ClusterRole" */
    const char *namespace_;          /* "" for a ClusterRole */
    const char *name;
    bool cluster;                    /* a ClusterRole */
    /* The rules the authorizer sees: the written ones, or for a ClusterRole
     * with an aggregationRule the controller's result (the written rules
     * are then replaced, as the controller overwrites them). */
    const kh_rbac_rule *const *rules;
    size_t nrules;
    kh_rbac_rule *written;           /* rules: as written in this object */
    size_t nwritten;
    bool aggregated;                 /* has aggregationRule (rules are computed) */
    bool aggregation_failed;         /* a selector is invalid: the controller gives
                                      * up, rules stay as written */
    const struct kh_rbac_role *const *sources; /* ClusterRoles aggregated, in the */
    size_t nsources;                 /* controller's order (selector, then name) */
} kh_rbac_role;

typedef enum kh_rbac_subject_kind {
    KH_RBAC_SUBJECT_USER = 0,
    KH_RBAC_SUBJECT_GROUP,
    KH_RBAC_SUBJECT_SERVICE_ACCOUNT,
    KH_RBAC_SUBJECT_OTHER            /* any other kind: applies to no one */
} kh_rbac_subject_kind;

typedef struct kh_rbac_subject {
    kh_rbac_subject_kind kind;
    const char *kind_text;           /* as written ("" when absent) */
    const char *name;                /* "" when absent */
    const char *namespace_;          /* as written, "" when absent */
    /* A ServiceAccount's effective namespace: the written one, else the
     * binding's (a ClusterRoleBinding has none: the subject then applies
     * to no one); "" otherwise. */
    const char *sa_namespace;
    /* The user name it matches: a User's name, a ServiceAccount's
     * "system:serviceaccount:<ns>:<name>" (NULL without a namespace);
     * NULL for groups and other kinds. */
    const char *username;
    const kh_node *node;             /* subjects[i] mapping */
    const char *path;                /* "subjects[1]" */
    size_t index;
} kh_rbac_subject;

typedef struct kh_rbac_binding {
    const kh_object *obj;
    const char *kind;                /* "RoleBinding" or "ClusterRoleBinding" */
    const char *namespace_;          /* "" for a ClusterRoleBinding (cluster-wide) */
    const char *name;
    const char *role_kind;           /* roleRef.kind, "" when absent */
    const char *role_name;           /* roleRef.name, "" when absent */
    const kh_node *role_ref;         /* roleRef mapping, or NULL */
    /* The role roleRef names (a Role in the binding's namespace, or a
     * ClusterRole); NULL when it does not exist: the binding then grants
     * nothing and error holds the resolver's message, e.g.
     * clusterrole.rbac.authorization.k8s.io "x" not found. */
    const kh_rbac_role *role;
    const char *error;
    const kh_rbac_subject *subjects;
    size_t nsubjects;
} kh_rbac_binding;

/* A pod template's use of a service account: a Pod or any workload whose
 * pod spec kh_object_podspec finds. */
typedef struct kh_rbac_pod {
    const kh_object *obj;
    const char *namespace_;
    const char *service_account;     /* spec.serviceAccountName, else the deprecated
                                      * spec.serviceAccount, else "default" */
    const char *spec_path;           /* "spec.template.spec" (no prefix) */
    /* The token is mounted: spec.automountServiceAccountToken, else the
     * ServiceAccount's, else true; or a projected serviceAccountToken
     * volume exists. */
    bool token_mounted;
} kh_rbac_pod;

typedef struct kh_rbac_sa {
    const kh_object *obj;            /* NULL: not in the input, only referenced */
    const char *namespace_;
    const char *name;
    const char *username;            /* system:serviceaccount:<ns>:<name> */
    const kh_rbac_pod *const *pods;  /* pods and workloads running as it */
    size_t npods;
} kh_rbac_sa;

/* The kinds the model reads (NULL-terminated), for a set rule's .kinds
 * or kh_cluster_new: the four RBAC kinds, ServiceAccount, and the kinds
 * with a pod spec. */
extern const char *const kh_rbac__kinds[];

/*
 * Build the model of @p set in @p arena. RBAC kinds count only in group
 * rbac.authorization.k8s.io (any version); a namespaced object without
 * a namespace is in "default" (where `kubectl apply` puts it); when two
 * objects share kind, namespace and name the later one wins, as applying
 * them in order would leave it. @return 0, or KH_ENOMEM (*out NULL). Invalid fields are
 * read as the API server's decoder would tolerate them (non-scalar list
 * items skipped); nothing here fails on odd input.
 */
int kh_rbac__build(kh_rbac **out, const kh_objset *set, kh_arena *arena);

/* kh_rbac__build as a kh_rule_build_fn (rules/rules.h): the model or NULL. */
void *kh_rbac__build_shared(kh_arena *arena, const kh_objset *set);

/* The arena the model lives in (for callers that allocate answers). */
kh_arena *kh_rbac__arena(const kh_rbac *m);

/* ------------------------------------------------------------- accessors */

/* Every role: ClusterRoles by name, then Roles by namespace and name. */
size_t kh_rbac__roles(const kh_rbac *m, const kh_rbac_role *const **out);
/* The Role @p name in namespace @p ns, or with @p ns "" the ClusterRole. */
const kh_rbac_role *kh_rbac__find_role(const kh_rbac *m, const char *ns, const char *name);
/* Every binding: ClusterRoleBindings by name, then RoleBindings by
 * namespace and name. */
size_t kh_rbac__bindings(const kh_rbac *m, const kh_rbac_binding *const **out);
/* ClusterRoleBindings by name (@p ns "") or the RoleBindings of @p ns by name. */
size_t kh_rbac__bindings_in(const kh_rbac *m, const char *ns,
                            const kh_rbac_binding *const **out);
/* Service accounts by namespace and name: every ServiceAccount object, and
 * (obj NULL) every account a pod or a binding subject names that has none. */
size_t kh_rbac__service_accounts(const kh_rbac *m, const kh_rbac_sa *const **out);
const kh_rbac_sa *kh_rbac__find_sa(const kh_rbac *m, const char *ns, const char *name);
/* Every pod and workload, in input order. */
size_t kh_rbac__pods(const kh_rbac *m, const kh_rbac_pod *const **out);
/* The namespaces that hold RoleBindings, sorted. */
size_t kh_rbac__namespaces(const kh_rbac *m, const char *const **out);
/* Does the input hold any ServiceAccount object (a complete dump does)? */
bool kh_rbac__has_service_accounts(const kh_rbac *m);

/* ------------------------------------------------------------- matching */

/* Upstream's matchers, exactly (evaluation_helpers.go). */
bool kh_rbac__verb_matches(const kh_rbac_rule *r, const char *verb);
bool kh_rbac__api_group_matches(const kh_rbac_rule *r, const char *group);
/* @p combined is "resource" or "resource/subresource"; matches "*", an
 * exact combined name, or "*<slash><sub>" when there is a subresource. */
bool kh_rbac__resource_matches(const kh_rbac_rule *r, const char *combined,
                               const char *subresource);
/* An empty resourceNames matches every name (and none). */
bool kh_rbac__resource_name_matches(const kh_rbac_rule *r, const char *name);
/* "*", exact, or a trailing '*' as a prefix. */
bool kh_rbac__non_resource_url_matches(const kh_rbac_rule *r, const char *path);

/* RuleAllows: does @p rule allow the request @p a (user and groups unused)? */
bool kh_rbac__rule_allows(const kh_rbac_rule *rule, const kh_rbac_attrs *a);

/* appliesToUser: does @p s name the user of @p a, with @p ns the binding's
 * namespace ("" for a ClusterRoleBinding)? */
bool kh_rbac__subject_applies(const kh_rbac_subject *s, const kh_rbac_attrs *a,
                              const char *ns);

/* ------------------------------------------------------------- queries */

/* One grant: @p binding binds @p subject to @p role, whose @p rule applies.
 * In kh_rbac__visit, rule is NULL for a binding whose role does not
 * resolve (binding->error says why), as upstream's visitor gets an error. */
typedef struct kh_rbac_grant {
    const kh_rbac_binding *binding;
    const kh_rbac_subject *subject;
    const kh_rbac_role *role;        /* binding->role (NULL with rule NULL) */
    const kh_rbac_rule *rule;
} kh_rbac_grant;

/* Return non-zero to stop; the iterator then returns that value. */
typedef int (*kh_rbac_grant_fn)(const kh_rbac_grant *g, void *ud);

/*
 * VisitRulesFor: every rule that applies to the user of @p a (name and
 * groups) in namespace @p a->namespace_ ("" = cluster-wide): the
 * ClusterRoleBindings whose subjects apply (first applying subject, as
 * upstream), then the RoleBindings of that namespace; for each, every
 * rule of its role in order, or one grant with rule NULL when the role
 * does not resolve. The verb, resource and path of @p a are not looked at.
 * This is a subject's effective rules in a namespace.
 * @return 0 or the callback's non-zero value.
 */
int kh_rbac__visit(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_fn fn,
                   void *ud);

/*
 * The RBAC authorizer: true when some rule kh_rbac__visit reaches allows
 * @p a; *why (may be NULL) is then the first such grant. The system:masters
 * bypass is not RBAC's: see kh_rbac__decide.
 */
bool kh_rbac__authorize(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant *why);

/*
 * Who can: every (binding, subject, role, rule) that allows @p a whatever
 * the user is: ClusterRoleBindings, and RoleBindings of a->namespace_ when
 * it is not "" (a->user and groups are ignored). A binding with several
 * allowing rules yields each; each of its subjects yields its own grant,
 * whether or not it could ever apply (a ServiceAccount subject without a
 * namespace in a ClusterRoleBinding is still yielded; check
 * subject->username). Bindings in kh_rbac__visit's order, then subjects in
 * written order, then rules in order (one subject's grants are adjacent). @return 0 or the callback's non-zero value.
 */
int kh_rbac__who_can(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_fn fn,
                     void *ud);

/* Who can, anywhere: kh_rbac__who_can over the ClusterRoleBindings and
 * then the RoleBindings of every namespace (a->namespace_ is ignored; a
 * RoleBinding's grant holds in its own namespace). */
int kh_rbac__who_can_all(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_fn fn,
                         void *ud);

/* ------------------------------------------------------------- users */

/*
 * The groups the authenticators add to a request's user, into @p arena:
 * @p groups as given, then for "system:serviceaccount:<ns>:<name>" the
 * groups system:serviceaccounts and system:serviceaccounts:<ns> (the
 * token authenticator's), and system:authenticated unless the user is
 * system:anonymous or the groups already hold system:authenticated or
 * system:unauthenticated (AuthenticatedGroupAdder); system:anonymous gets
 * system:unauthenticated. Nothing is added twice. @return 0 or KH_ENOMEM.
 */
int kh_rbac__authenticated_groups(kh_arena *arena, const char *user,
                                  const char *const *groups, size_t ngroups,
                                  const char *const **out, size_t *nout);

/* The user is in system:masters: the privileged-group authorizer allows
 * everything before RBAC is asked (reason ""). */
bool kh_rbac__is_privileged(const kh_rbac_attrs *a);

/* ------------------------------------------------------------- reasons */

/* Upstream's source text of a grant: ClusterRoleBinding "x" of ClusterRole
 * "y" to User "z" / RoleBinding "x/ns" of Role "y" to ServiceAccount
 * "name/ns". Into @p arena; NULL when out of memory. */
char *kh_rbac__grant_source(kh_arena *arena, const kh_rbac_grant *g);

/*
 * The whole decision as the API server's authorizer chain
 * (system:masters, then RBAC) gives it for a SubjectAccessReview:
 * allowed, and the reason text: "" for system:masters, "RBAC: allowed by
 * <source>" when RBAC allows, and when nothing allows "RBAC: " followed by
 * the resolution errors of the bindings that apply to the user (one
 * message, or "[a, b]"), or "" when there are none. @p why (may be NULL)
 * gets the allowing grant (binding NULL for system:masters or a denial).
 * @return 0 or KH_ENOMEM.
 */
typedef struct kh_rbac_decision {
    bool allowed;
    bool privileged;                 /* allowed by system:masters */
    const char *reason;              /* in the arena */
    kh_rbac_grant grant;             /* RBAC's allowing grant */
} kh_rbac_decision;

int kh_rbac__decide(const kh_rbac *m, const kh_rbac_attrs *a, kh_arena *arena,
                    kh_rbac_decision *out);

#endif
