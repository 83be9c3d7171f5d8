/*
 * rules.h -- the rule registry and the context a rule's check runs in.
 *
 * A rule is a registry row (public kh_rule_info) plus a pure function that
 * reads one object and reports findings through kh_rule__report. A check
 * never knows whether its object came from a file, stdin or a webhook
 * request, and it never allocates outside the context's arena.
 */
#ifndef KH_RULES_H
#define KH_RULES_H

#include "k8s/k8s.h"
#include "kubeharden.h"

typedef struct kh_rule_ctx kh_rule_ctx;
typedef void (*kh_rule_check_fn)(kh_rule_ctx *ctx, const kh_object *obj);
typedef void (*kh_rule_set_fn)(kh_rule_ctx *ctx, const kh_objset *set);
struct kh_audit_ctx;
struct kh_audit_event;
/* Audit-event rules (src/rules/audit.c): run by the watcher, never by scan. */
typedef void (*kh_rule_event_fn)(struct kh_audit_ctx *ctx, const struct kh_audit_event *ev);

/* Flags of a registry row. */
#define KH_RULE_SEES_ENVELOPE 1u /* also checks an envelope's own mapping (a List's
                                  * keys), not only the objects it carries */

/*
 * A registry row. A rule is per object (check: called for every object as
 * the input streams by) or over the object set (check_set: called once by
 * kh_scanner_finish with the objects of the kinds it names, which the
 * scanner keeps for it; no other objects are kept).
 */
typedef struct kh_rule_def {
    kh_rule_info info;          /* first member: kh_rule_at returns &def->info */
    kh_rule_check_fn check;     /* per-object rules */
    kh_rule_set_fn check_set;   /* set rules */
    const char *const *kinds;   /* set rules: the kinds kept for it, NULL-terminated */
    const char *const *fields;  /* set rules: the only fields they read besides
                                 * apiVersion, kind and metadata (dotted paths,
                                 * KH_FIELD_POD_METADATA, KH_FIELD_POD_SPEC[.path];
                                 * "Kind:path" for one kind only), NULL-terminated;
                                 * NULL keeps whole objects */
    kh_pss_level pss_level;     /* the Pod Security level the check belongs to;
                                 * KH_PSS_PRIVILEGED (no level) for other rules */
    /* A restricted check that upstream runs *instead of* a baseline check
     * (OverrideCheckIDs in k8s.io/pod-security-admission/policy): at the
     * restricted level, from policy version 1.<overrides_since>, the
     * baseline rule named here is not evaluated. */
    const char *overrides;
    int overrides_since;
    unsigned flags;             /* KH_RULE_* */
    kh_rule_event_fn check_event; /* audit-event rules (kubeharden watch) */
} kh_rule_def;

/* The whole table, sorted by id. */
const kh_rule_def *kh_rules__table(size_t *count);
const kh_rule_def *kh_rules__find(const char *id);

/*
 * What a check sees besides its object: the arena for messages and paths
 * (document lifetime) and the sink. Defined by the scanner; rules use only
 * the functions below.
 */
typedef void (*kh_rule_sink_fn)(void *sink, const kh_rule_def *rule,
                                const kh_object *obj, const kh_node *at,
                                const char *path, const char *message,
                                int severity, const kh_location *related,
                                size_t nrelated);

struct kh_policy;

/* Builds a model that several set rules of one area read (the RBAC
 * authorizer's grants, the pods a NetworkPolicy selects): everything in
 * @p arena, NULL on failure. */
typedef void *(*kh_rule_build_fn)(kh_arena *arena, const kh_objset *set);

#define KH_RULE_MAX_SHARED 8

struct kh_rule_ctx {
    const kh_rule_def *rule;     /* the rule being run */
    kh_arena *arena;             /* per-document scratch */
    kh_rule_sink_fn sink;
    void *sink_ud;
    int pss_minor;               /* Kubernetes 1.N whose PSS semantics apply */
    int kube_minor;              /* the API server's Kubernetes 1.N (what it does to
                                  * an object before admission) */
    const kh_doc *doc;           /* the object's document (its repeated keys);
                                  * NULL for set rules */
    const kh_node *const *inner; /* checking an envelope's own mapping (a List's
                                  * keys): the objects it carries, which are */
    size_t ninner;               /* checked on their own; else NULL and 0 */
    const struct kh_policy *policy; /* registries, signers, evidence (rules/policy.h);
                                  * NULL means none configured */
    kh_podview *pod;             /* the object's pod view (in the arena), built by
                                  * the first kh_rule__pod, keyed by the object:
                                  * NULL in a new context, and set back to NULL
                                  * when the arena is reset under a reused one */
    struct kh_strset *messages;  /* set rules: each distinct message kept once (one rule
                                  * may say the same of 100,000 pods); NULL: a
                                  * copy per finding */
    struct {                     /* set rules: models built by kh_rule__shared */
        const void *key;
        void *model;
    } shared[KH_RULE_MAX_SHARED];
};

/* The model @p key names, built by @p build over @p set on the first call
 * of a kh_scanner_finish and handed to every later caller of that finish,
 * so the rules of one area share one model (and one build). NULL when the
 * build failed (it is not retried) or the table is full. */
void *kh_rule__shared(kh_rule_ctx *ctx, const void *key, kh_rule_build_fn build,
                      const kh_objset *set);

/* Report a finding at node @p at (position) with field path @p path (the
 * object's path_prefix is added by the caller of the sink) and a printf
 * message. */
void kh_rule__report(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                     const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The same with a severity for this finding instead of the rule's (a
 * vulnerability finding takes its worst CVE's severity). A severity set
 * in the configuration still wins. */
void kh_rule__report_severity(kh_rule_ctx *ctx, kh_severity severity,
                              const kh_object *obj, const kh_node *at,
                              const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The same with related locations (copied: the caller's array may be on
 * its stack); their strings must live as long as the context's arena. */
void kh_rule__report_related(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                             const char *path, const kh_location *related,
                             size_t nrelated, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* A related location: object @p obj at node @p at (its root when NULL),
 * field @p path under the object's path prefix, in the context's arena. */
kh_location kh_rule__location(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                              const char *path, const char *message);

/* The key node of @p key in @p map (findings point at the field's key, as
 * an editor would), or NULL when absent. */
const kh_node *kh_rule__key(const kh_node *map, const char *key);

/* The object's pod view (k8s.h), built on the first call for the object
 * and shared by its checks; NULL when it has no pod spec (or out of
 * memory). kh_rule__pod_images also has every image parsed. */
const kh_podview *kh_rule__pod(kh_rule_ctx *ctx, const kh_object *obj);
const kh_podview *kh_rule__pod_images(kh_rule_ctx *ctx, const kh_object *obj);

/* "spec.template.spec.containers[1]" + "." + suffix, in the ctx arena. */
const char *kh_rule__container_path(kh_rule_ctx *ctx, const kh_podspec *ps,
                                    const kh_container *c, const char *suffix);

/* Checks, one group per area file. */
void kh_manifest__duplicate_key(kh_rule_ctx *ctx, const kh_object *obj);
void kh_manifest__invalid_pod_os_fields(kh_rule_ctx *ctx, const kh_object *obj);
void kh_manifest__volume_multiple_sources(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__privileged(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__host_namespaces(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__host_path_volumes(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__host_ports(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__capabilities(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__apparmor(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__selinux(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__proc_mount_baseline(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__seccomp_baseline(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__sysctls(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__windows_host_process(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__host_probes(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__volume_types(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__privilege_escalation(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__run_as_non_root(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__run_as_user(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__seccomp_restricted(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__capabilities_restricted(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__proc_mount_restricted(kh_rule_ctx *ctx, const kh_object *obj);

/* Pod Security helpers shared by pss.c and pss_restricted.c. Values are
 * read as the API server's Go types decode them (see pss.c).
 *
 * kh_pss_pod is what every Pod Security check reads first: the object's
 * pod view (obj, ps, psc, and containers c[0..n) with their securityContext
 * sc[i]), built once per object and shared with the other rules. */
typedef kh_podview kh_pss_pod;

/* The object's pod, or NULL when it has no pod spec (or out of memory). */
const kh_pss_pod *kh_pss__pod(kh_rule_ctx *ctx, const kh_object *obj);
bool kh_pss__windows(const kh_podspec *ps);          /* spec.os.name is "windows" */
bool kh_pss__user_namespace(const kh_podspec *ps);   /* spec.hostUsers is false */
const char *kh_pss__str(const kh_node *n);           /* a Go string: "" for null */
bool kh_pss__present(const kh_node *n);              /* a Go pointer: non-nil */
bool kh_pss__int(const kh_node *n, int64_t *out);    /* an int, or an integral float */
/* The key of the deepest field of dotted path @p dotted that @p map has
 * (where a missing field would go), or @p fallback when it has none. */
const kh_node *kh_pss__deepest_key(const kh_node *map, const char *dotted,
                                   const kh_node *fallback);
const char *kh_pss__pod_path(kh_rule_ctx *ctx, const kh_podspec *ps, const char *suffix);
const char *kh_pss__who(kh_rule_ctx *ctx, const kh_container *c); /* "pod" when NULL */
bool kh_pss__seccomp_type_ok(const char *type);      /* RuntimeDefault or Localhost */
/* A seccomp profile as Pod Security admission sees it: the field as
 * written or, on a Pod created through a v1.19-v1.26 API server, the one
 * the server copied from the seccomp annotation (pss.c). */
typedef struct kh_pss_seccomp {
    const char *type;            /* the profile's type; NULL when none is set */
    const kh_node *at;           /* where a finding about it points */
    const char *path;            /* the field (or annotation) path */
    const char *synced_from;     /* "; a v1.N API server sets it from annotation
                                  * k=\"v\"" for a copied profile, else NULL */
} kh_pss_seccomp;
/* The profile of the pod (c == NULL, @p sc its securityContext) or of
 * container @p c. */
kh_pss_seccomp kh_pss__seccomp(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                               const kh_node *sc, const kh_container *c);
void kh_pss__proc_mount(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod);
void kh_workload__default_namespace(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__no_resource_limits(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__no_resource_requests(kh_rule_ctx *ctx, const kh_object *obj);
void kh_ha__pod_in_several_disruption_budgets(kh_rule_ctx *ctx, const kh_objset *set);
extern const char *const kh_ha__disruption_budget_kinds[];
extern const char *const kh_ha__disruption_budget_fields[];
extern const char *const kh_rbac__risk_kinds[];
extern const char *const kh_rbac__risk_fields[];
void kh_rbac__admission_webhook_write(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__anonymous_grant(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__bind_escalate_impersonate(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__binding_to_missing_role(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__binding_to_missing_serviceaccount(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__cluster_admin_binding(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__csr_approve(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__default_serviceaccount_permissions(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__escalation_path(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__nodes_proxy(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__persistentvolume_create(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__pod_create(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__pod_exec(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__secrets_read(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__serviceaccount_token_create(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__unused_serviceaccount_with_permissions(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__wildcard_resources(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__wildcard_verbs(kh_rule_ctx *ctx, const kh_objset *set);
void kh_rbac__workload_powerful_token(kh_rule_ctx *ctx, const kh_objset *set);
void kh_image__tag_not_pinned(kh_rule_ctx *ctx, const kh_object *obj);
extern const char *const kh_netpol__kinds[];
extern const char *const kh_netpol__fields[];
void kh_netpol__allow_from_anywhere(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__egress_to_internet(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__invalid_policy(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__isolation_assertion_broken(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__named_port_unresolved(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__namespace_without_default_deny_egress(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__namespace_without_default_deny_ingress(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__peer_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__policy_selects_nothing(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__workload_not_selected(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__sensitive_without_mtls(kh_rule_ctx *ctx, const kh_objset *set);
void kh_netpol__destination_rule_disables_tls(kh_rule_ctx *ctx, const kh_objset *set);
extern const char *const kh_netpol__mtls_kinds[];
struct np_model *kh_netpol__rule_model(kh_rule_ctx *ctx, const kh_objset *set);
void kh_image__digest_not_pinned(kh_rule_ctx *ctx, const kh_object *obj);
void kh_image__invalid_reference(kh_rule_ctx *ctx, const kh_object *obj);
void kh_image__pull_policy_drift(kh_rule_ctx *ctx, const kh_object *obj);
void kh_image__signature_missing(kh_rule_ctx *ctx, const kh_object *obj);
void kh_image__untrusted_registry(kh_rule_ctx *ctx, const kh_object *obj);
void kh_image__vulnerable(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__credential_in_env(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__host_aliases(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__host_user_namespace(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__no_liveness_probe(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__no_readiness_probe(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__service_account_token_mounted(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__service_external_ips(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__service_load_balancer(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__service_node_port(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__shared_process_namespace(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__writable_root_filesystem(kh_rule_ctx *ctx, const kh_object *obj);

#endif
