/*
 * rbac.c -- RBAC risk rules over the object set.
 *
 * Every rule reads one shared model (analysis/rbac_paths.h, built once per
 * scan with kh_rule__shared): the authorizer's view of roles and bindings,
 * what each binding grants (decided with the authorizer's own matchers,
 * never by comparing strings), and the escalation graph. A finding sits on
 * the binding that grants (its roleRef, or the subject it is about), and
 * its related locations are the role and the rules that make it risky.
 * Kubernetes' own bootstrap bindings and kubeadm's are not reported.
 */
#include <string.h>

#include "analysis/rbac_paths.h"
#include "rules/rules.h"

/* kh_rbac__kinds (what the authorizer model reads), then the Namespaces
 * (sensitive labels) and Secrets (legacy tokens) the risk model reads;
 * keep the first part in step with analysis/rbac.c. */
const char *const kh_rbac__risk_kinds[] = {
    "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount",
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "ReplicationController", "PodTemplate", "Rollout", "CloneSet",
    "Namespace", "Secret", NULL,
};

/* All the rbac rules read besides identity: roles' rules, bindings' role and
 * subjects, service accounts' automount, token Secrets' type and owner
 * annotation, owners, and of pods and templates only what decides which
 * token they mount. A dump's pods keep nothing else. */
const char *const kh_rbac__risk_fields[] = {
    "aggregationRule", "automountServiceAccountToken", "Secret:metadata.annotations",
    "metadata.ownerReferences", "roleRef", "rules", "secrets", "subjects", "type",
    KH_FIELD_POD_SPEC ".automountServiceAccountToken", KH_FIELD_POD_SPEC ".serviceAccount",
    KH_FIELD_POD_SPEC ".serviceAccountName", KH_FIELD_POD_SPEC ".volumes", NULL,
};

static const int model_key;

static const kh_rbac_risk *model(kh_rule_ctx *ctx, const kh_objset *set)
{
    return kh_rule__shared(ctx, &model_key, kh_rbac_risk__build_shared, set);
}

/* ------------------------------------------------------------ locations */

/* A field path of @p obj: its List prefix, then @p suffix ("" names the
 * object itself, without the prefix's trailing dot). */
static const char *obj_path(kh_rule_ctx *ctx, const kh_object *obj, const char *suffix)
{
    if (!suffix[0]) {
        size_t n = strlen(obj->path_prefix);
        return kh_arena_strndup(ctx->arena, obj->path_prefix, n ? n - 1 : 0);
    }
    return kh_arena_printf(ctx->arena, "%s%s", obj->path_prefix, suffix);
}

static kh_location at_object(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                             const char *suffix, const char *message)
{
    if (!at)
        at = obj->root;
    return (kh_location){.file = obj->file, .line = at->line, .col = at->col,
                         .kind = obj->kind, .namespace_ = obj->namespace_,
                         .name = obj->name, .path = obj_path(ctx, obj, suffix),
                         .message = message};
}

static kh_location at_role(kh_rule_ctx *ctx, const kh_rbac_role *role)
{
    return at_object(ctx, role->obj, NULL, "",
                     kh_arena_printf(ctx->arena, "the %s the binding grants", role->kind));
}

static kh_location at_rule(kh_rule_ctx *ctx, const kh_rbac_role *granting,
                           const kh_rbac_rule *rule, const char *what)
{
    const char *msg = rule->role != granting
                          ? kh_arena_printf(ctx->arena, "%s (aggregated into %s '%s')", what,
                                            granting->kind, granting->name)
                          : what;
    return at_object(ctx, rule->role->obj, rule->node, rule->path, msg);
}

static kh_location at_subject(kh_rule_ctx *ctx, const kh_rbac_binding *b,
                              const kh_rbac_subject *s, const char *message)
{
    return at_object(ctx, b->obj, s->node, s->path, message);
}

/* "User alice, ServiceAccount ci/builder and 3 more" */
static const char *subjects_text(kh_rule_ctx *ctx, const kh_rbac_binding *b)
{
    const char *out = "";
    size_t shown = 0;
    for (size_t i = 0; i < b->nsubjects; i++) {
        const kh_rbac_subject *s = &b->subjects[i];
        if (shown == 3) {
            return kh_arena_printf(ctx->arena, "%s and %zu more", out, b->nsubjects - i);
        }
        const char *one = s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT
                              ? kh_arena_printf(ctx->arena, "%s %s/%s", s->kind_text,
                                                s->sa_namespace ? s->sa_namespace : "", s->name)
                              : kh_arena_printf(ctx->arena, "%s %s", s->kind_text, s->name);
        out = shown ? kh_arena_printf(ctx->arena, "%s, %s", out, one) : one;
        shown++;
    }
    return shown ? out : "no subject";
}

static const char *joined(kh_rule_ctx *ctx, const kh_rbac_strs *s)
{
    const char *out = "";
    for (size_t i = 0; i < s->n; i++)
        out = kh_arena_printf(ctx->arena, "%s%s%s", out, i ? "," : "",
                              s->v[i][0] ? s->v[i] : "\"\"");
    return out;
}

/* "get,list on pods", "create on deployments (apiGroups apps)", "get on
 * /healthz": what a rule says, for a related location. */
static const char *rule_summary(kh_rule_ctx *ctx, const kh_rbac_rule *rule)
{
    if (!rule->resources.n && rule->non_resource_urls.n)
        return kh_arena_printf(ctx->arena, "%s on %s", joined(ctx, &rule->verbs),
                               joined(ctx, &rule->non_resource_urls));
    bool core = rule->api_groups.n == 1 && !rule->api_groups.v[0][0];
    bool named = rule->resource_names.n > 0;
    return kh_arena_printf(ctx->arena, "%s on %s%s%s%s%s%s", joined(ctx, &rule->verbs),
                           joined(ctx, &rule->resources), named ? " named " : "",
                           named ? joined(ctx, &rule->resource_names) : "",
                           core ? "" : " (apiGroups ", core ? "" : joined(ctx, &rule->api_groups),
                           core ? "" : ")");
}

static const char *scope(kh_rule_ctx *ctx, const kh_rbac_binding *b)
{
    return b->namespace_[0] ? kh_arena_printf(ctx->arena, "in namespace '%s'", b->namespace_)
                            : "cluster-wide";
}

/* ------------------------------------------------------------ grants */

typedef bool (*rule_pred)(const kh_rbac_rule *rule, uint32_t rule_caps, const void *arg);

#define MAX_RELATED 9

/* "create pods, bind roles": the capabilities in @p bits. */
static const char *caps_text(kh_rule_ctx *ctx, uint32_t bits)
{
    const char *out = "";
    for (int c = 0; c < KH_RBAC_CAP_COUNT; c++) {
        if (!(bits & KH_RBAC_CAP(c)))
            continue;
        bits &= ~KH_RBAC_CAP(c);
        out = kh_arena_printf(ctx->arena, "%s%s%s", out, !out[0] ? "" : bits ? ", " : " and ",
                              kh_rbac__cap_text((kh_rbac_cap)c));
    }
    return out;
}

/* Report binding @p b when some rule of its role satisfies @p pred: at
 * roleRef, related to the role and each such rule (up to 8), each rule
 * saying what it allows (@p what, or the capabilities of @p mask it has). */
static void report_rules(kh_rule_ctx *ctx, const kh_rbac_risk *r, const kh_rbac_binding *b,
                         rule_pred pred, const void *arg, uint32_t mask, const char *what)
{
    kh_location rel[MAX_RELATED];
    size_t n = 0;
    /* The binding's capabilities are its rules' within its scope. */
    uint32_t scope_caps = r->caps[kh_rbac_risk__binding_index(r, b)], seen = 0;
    for (size_t k = 0; k < b->role->nrules; k++) {
        const kh_rbac_rule *rule = b->role->rules[k];
        uint32_t rc = kh_rbac_risk__rule_caps(r, rule) & scope_caps;
        if (!pred(rule, rc, arg))
            continue;
        seen |= rc & mask;
        if (n == 0)
            rel[n++] = at_role(ctx, b->role);
        if (n < MAX_RELATED)
            rel[n++] = at_rule(ctx, b->role, rule,
                               kh_arena_printf(ctx->arena, "%s: %s", rule_summary(ctx, rule),
                                               mask ? caps_text(ctx, rc & mask) : what));
    }
    if (n == 0)
        return;
    kh_rule__report_related(ctx, b->obj, kh_rule__key(b->obj->root, "roleRef"), "roleRef", rel,
                            n, "%s may %s %s through %s '%s'", subjects_text(ctx, b),
                            mask ? caps_text(ctx, seen) : what, scope(ctx, b), b->role->kind,
                            b->role->name);
}

static bool has_caps(const kh_rbac_rule *rule, uint32_t rc, const void *arg)
{
    (void)rule;
    uint32_t want = *(const uint32_t *)arg;
    /* A rule that allows everything is rbac.cluster-admin-binding's. */
    if (want != KH_RBAC_CAP(KH_RBAC_CAP_ALL) && (rc & KH_RBAC_CAP(KH_RBAC_CAP_ALL)))
        return false;
    return (rc & want) != 0;
}

/* The bindings (not Kubernetes' own) whose role grants some of @p mask
 * in their scope. */
static void cap_rule(kh_rule_ctx *ctx, const kh_objset *set, uint32_t mask,
                     bool sensitive_only)
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        if (r->system_default[i] || !(r->caps[i] & mask))
            continue;
        if (sensitive_only && b->namespace_[0] && !kh_rbac_risk__sensitive(r, b->namespace_))
            continue;
        report_rules(ctx, r, b, has_caps, &mask, mask, NULL);
    }
}

void kh_rbac__cluster_admin_binding(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_ALL), false);
}

void kh_rbac__secrets_read(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_SECRETS_READ), true);
}

void kh_rbac__pod_exec(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_POD_EXEC), false);
}

void kh_rbac__pod_create(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set,
             KH_RBAC_CAP(KH_RBAC_CAP_POD_CREATE) | KH_RBAC_CAP(KH_RBAC_CAP_WORKLOAD_CREATE),
             false);
}

void kh_rbac__bind_escalate_impersonate(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set,
             KH_RBAC_CAP(KH_RBAC_CAP_BIND) | KH_RBAC_CAP(KH_RBAC_CAP_ESCALATE) |
                 KH_RBAC_CAP(KH_RBAC_CAP_IMPERSONATE_USERS) |
                 KH_RBAC_CAP(KH_RBAC_CAP_IMPERSONATE_GROUPS) |
                 KH_RBAC_CAP(KH_RBAC_CAP_IMPERSONATE_SAS),
             false);
}

void kh_rbac__nodes_proxy(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_NODES_PROXY), false);
}

void kh_rbac__serviceaccount_token_create(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_TOKEN_CREATE), false);
}

void kh_rbac__csr_approve(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_CSR_APPROVE), false);
}

void kh_rbac__admission_webhook_write(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_WEBHOOK_WRITE), false);
}

void kh_rbac__persistentvolume_create(kh_rule_ctx *ctx, const kh_objset *set)
{
    cap_rule(ctx, set, KH_RBAC_CAP(KH_RBAC_CAP_PV_CREATE), false);
}

/* ------------------------------------------------------------ wildcards */

static bool lists_star(const kh_rbac_strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], "*") == 0)
            return true;
    return false;
}

static bool star_verbs(const kh_rbac_rule *rule, uint32_t rc, const void *arg)
{
    (void)arg;
    return !(rc & KH_RBAC_CAP(KH_RBAC_CAP_ALL)) && rule->resources.n && lists_star(&rule->verbs);
}

static bool star_resources(const kh_rbac_rule *rule, uint32_t rc, const void *arg)
{
    (void)arg;
    return !(rc & KH_RBAC_CAP(KH_RBAC_CAP_ALL)) && lists_star(&rule->resources);
}

static void wildcard_rule(kh_rule_ctx *ctx, const kh_objset *set, rule_pred pred,
                          const char *what)
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        if (!r->system_default[i] && b->role)
            report_rules(ctx, r, b, pred, NULL, 0, what);
    }
}

void kh_rbac__wildcard_verbs(kh_rule_ctx *ctx, const kh_objset *set)
{
    wildcard_rule(ctx, set, star_verbs, "use every verb ('*')");
}

void kh_rbac__wildcard_resources(kh_rule_ctx *ctx, const kh_objset *set)
{
    wildcard_rule(ctx, set, star_resources, "reach every resource ('*')");
}

/* ------------------------------------------------------------ subjects */

/* Report each subject of a granting binding that @p pick chooses, at the
 * subject, related to the role and its rules. */
static void subject_rule(kh_rule_ctx *ctx, const kh_objset *set,
                         const char *(*pick)(kh_rule_ctx *, const kh_rbac_subject *,
                                             const kh_rbac_binding *))
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        if (r->system_default[i] || !b->role || !b->role->nrules)
            continue;
        for (size_t k = 0; k < b->nsubjects; k++) {
            const char *why = pick(ctx, &b->subjects[k], b);
            if (!why)
                continue;
            kh_location rel[MAX_RELATED];
            size_t n = 0;
            rel[n++] = at_role(ctx, b->role);
            for (size_t j = 0; j < b->role->nrules && n < MAX_RELATED; j++)
                rel[n++] = at_rule(ctx, b->role, b->role->rules[j],
                                       rule_summary(ctx, b->role->rules[j]));
            kh_rule__report_related(ctx, b->obj, b->subjects[k].node,
                                    b->subjects[k].path, rel, n, "%s '%s' is granted %s to %s",
                                    b->role->kind, b->role->name, scope(ctx, b), why);
        }
    }
}

static const char *anonymous(kh_rule_ctx *ctx, const kh_rbac_subject *s,
                             const kh_rbac_binding *b)
{
    (void)ctx;
    (void)b;
    if (s->kind == KH_RBAC_SUBJECT_USER && strcmp(s->name, "system:anonymous") == 0)
        return "unauthenticated requests (User system:anonymous)";
    if (s->kind == KH_RBAC_SUBJECT_GROUP && strcmp(s->name, "system:unauthenticated") == 0)
        return "unauthenticated requests (Group system:unauthenticated)";
    return NULL;
}

void kh_rbac__anonymous_grant(kh_rule_ctx *ctx, const kh_objset *set)
{
    subject_rule(ctx, set, anonymous);
}

static const char *default_sa(kh_rule_ctx *ctx, const kh_rbac_subject *s,
                              const kh_rbac_binding *b)
{
    (void)b;
    if (s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT && s->username &&
        strcmp(s->name, "default") == 0)
        return kh_arena_printf(ctx->arena,
                               "the 'default' service account of namespace '%s' (every pod "
                               "that names no account runs as it)",
                               s->sa_namespace);
    if (s->kind != KH_RBAC_SUBJECT_GROUP)
        return NULL;
    if (strcmp(s->name, "system:serviceaccounts") == 0)
        return "every service account, each 'default' one included (Group "
               "system:serviceaccounts)";
    if (strncmp(s->name, "system:serviceaccounts:", 23) == 0 && s->name[23])
        return kh_arena_printf(ctx->arena,
                               "every service account of namespace '%s', its 'default' one "
                               "included (Group %s)",
                               s->name + 23, s->name);
    return NULL;
}

void kh_rbac__default_serviceaccount_permissions(kh_rule_ctx *ctx, const kh_objset *set)
{
    subject_rule(ctx, set, default_sa);
}

/* ------------------------------------------------------------ stale */

static bool has_default_role(const kh_objset *set, const char *kind)
{
    const kh_object *const *objs;
    size_t n = kh_objset_by_kind(set, kind, &objs);
    for (size_t i = 0; i < n; i++) {
        const char *v = kh_node_str(kh_node_get(objs[i]->labels, "kubernetes.io/bootstrapping"));
        if (v && strcmp(v, "rbac-defaults") == 0)
            return true;
    }
    return false;
}

void kh_rbac__binding_to_missing_role(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    /* A dump of a cluster always holds the API server's own roles
     * (labelled kubernetes.io/bootstrapping=rbac-defaults, ClusterRoles
     * and Roles in kube-system); without them the input is only part of
     * a cluster and a role it lacks may well exist. */
    bool cluster_roles = has_default_role(set, "ClusterRole");
    bool roles = has_default_role(set, "Role");
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        if (b->role || !b->role_name[0])
            continue;
        bool complete = strcmp(b->role_kind, "ClusterRole") == 0 ? cluster_roles
                        : strcmp(b->role_kind, "Role") == 0      ? roles
                                                                 : false;
        if (!complete)
            continue;
        const kh_node *ref = kh_node_get(b->obj->root, "roleRef");
        const kh_node *name = kh_rule__key(ref, "name");
        kh_rule__report(ctx, b->obj, name ? name : kh_rule__key(b->obj->root, "roleRef"),
                        name ? "roleRef.name" : "roleRef",
                        "%s '%s' refers to %s '%s', which does not exist: it grants nothing "
                        "(%s), and whoever creates that role later grants it to %s",
                        b->kind, b->name, b->role_kind, b->role_name,
                        b->error ? b->error : "not found", subjects_text(ctx, b));
    }
}

void kh_rbac__binding_to_missing_serviceaccount(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    for (size_t i = 0; i < r->nbindings; i++) {
        const kh_rbac_binding *b = r->bindings[i];
        for (size_t k = 0; k < b->nsubjects; k++) {
            const kh_rbac_subject *s = &b->subjects[k];
            if (s->kind != KH_RBAC_SUBJECT_SERVICE_ACCOUNT || !s->username ||
                !kh_rbac_risk__has_sas_in(r, s->sa_namespace))
                continue;
            const kh_rbac_sa *sa = kh_rbac__find_sa(r->m, s->sa_namespace, s->name);
            if (sa && sa->obj)
                continue;
            kh_rule__report(ctx, b->obj, s->node, s->path,
                            "%s '%s' names ServiceAccount %s/%s, which is not among the "
                            "accounts of namespace '%s': whoever creates it gets %s '%s'",
                            b->kind, b->name, s->sa_namespace, s->name, s->sa_namespace,
                            b->role_kind, b->role_name);
        }
    }
}

void kh_rbac__unused_serviceaccount_with_permissions(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_rbac_risk *r = model(ctx, set);
    const kh_rbac_pod *const *pods;
    /* With no pod nor workload in the input, every account looks unused. */
    if (!r || kh_rbac__pods(r->m, &pods) == 0)
        return;
    const kh_rbac_sa *const *sas;
    size_t n = kh_rbac__service_accounts(r->m, &sas);
    for (size_t i = 0; i < n; i++) {
        const kh_rbac_sa *sa = sas[i];
        const kh_rbac_grant *g;
        if (!sa->obj || sa->npods || !(g = kh_rbac_risk__sa_grant(r, sa)))
            continue;
        const kh_rbac_binding *b = g->binding;
        kh_location rel[2] = {
            at_subject(ctx, b, g->subject, kh_arena_printf(ctx->arena, "binds it to %s '%s'",
                                                           b->role->kind, b->role->name)),
            at_role(ctx, b->role),
        };
        kh_rule__report_related(ctx, sa->obj, kh_rule__key(sa->obj->root, "metadata"),
                                "metadata", rel, 2,
                                "no pod or workload runs as ServiceAccount %s/%s, yet %s '%s' "
                                "grants it %s '%s': a credential nothing needs, "
                                "there for whoever gets one of its tokens",
                                sa->namespace_, sa->name, b->kind, b->name, b->role->kind,
                                b->role->name);
    }
}

/* ------------------------------------------------------------ paths */

/* The related locations of a path: for each grant, the binding's subject
 * and the rule; for each pod or secret it goes through, that object. */
static size_t path_related(kh_rule_ctx *ctx, const kh_rbac_graph *g,
                           const kh_rbac_edge *const *path, size_t n, kh_location **out)
{
    kh_location *rel = kh_arena_calloc(ctx->arena, 2 * n + 1, sizeof(*rel));
    const kh_rbac_node *nodes;
    kh_rbac_graph__nodes(g, &nodes);
    size_t k = 0;
    unsigned step = 0;
    if (!rel)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const kh_rbac_edge *e = path[i];
        if (e->kind == KH_RBAC_EDGE_GRANT || e->kind == KH_RBAC_EDGE_HOLDS) {
            step++;
            const char *text = kh_rbac_graph__edge_text(g, e, ctx->arena);
            rel[k++] = at_subject(ctx, e->grant.binding, e->grant.subject,
                                  kh_arena_printf(ctx->arena, "step %u: %s may %s", step,
                                                  nodes[e->from].label, text));
            rel[k++] = at_rule(ctx, e->grant.role, e->grant.rule,
                               kh_arena_printf(ctx->arena, "step %u: %s", step,
                                               rule_summary(ctx, e->grant.rule)));
        } else if (e->via) {
            const char *why = strcmp(e->via->kind, "Secret") == 0
                                  ? "holds a token of %s"
                                  : "runs as %s with its token mounted";
            rel[k++] = at_object(ctx, e->via, NULL, "",
                                 kh_arena_printf(ctx->arena, why, nodes[e->to].label));
        }
    }
    *out = rel;
    return k;
}

/* "create pods in namespace 'ci' -> sa:ci/deployer; bind roles
 * cluster-wide -> cluster-admin-equivalent". A message holds 512 bytes,
 * so a long path is cut after a step and says how many follow (the
 * related locations name every one). */
static const char *path_text(kh_rule_ctx *ctx, const kh_rbac_graph *g,
                             const kh_rbac_edge *const *path, size_t n)
{
    const kh_rbac_node *nodes;
    kh_rbac_graph__nodes(g, &nodes);
    const char *out = "";
    size_t steps = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        total += path[i]->kind == KH_RBAC_EDGE_GRANT || path[i]->kind == KH_RBAC_EDGE_HOLDS;
    for (size_t i = 0; i < n; i++) {
        if ((path[i]->kind == KH_RBAC_EDGE_GRANT || path[i]->kind == KH_RBAC_EDGE_HOLDS) &&
            steps++ && strlen(out) > 300)
            return kh_arena_printf(ctx->arena, "%s; ... %zu more step%s", out,
                                   total - steps + 1, total - steps + 1 == 1 ? "" : "s");
        const kh_rbac_edge *e = path[i];
        const kh_rbac_node *to = &nodes[e->to];
        bool principal = to->kind == KH_RBAC_NODE_USER || to->kind == KH_RBAC_NODE_GROUP ||
                         to->kind == KH_RBAC_NODE_SA || to->kind == KH_RBAC_NODE_ADMIN ||
                         to->kind == KH_RBAC_NODE_TARGET;
        if (e->kind == KH_RBAC_EDGE_GRANT || e->kind == KH_RBAC_EDGE_HOLDS)
            out = kh_arena_printf(ctx->arena, "%s%s%s", out,
                                  !out[0] ? "" : out[strlen(out) - 1] == ':' ? " " : "; ",
                                  kh_rbac_graph__edge_text(g, e, ctx->arena));
        if (e->kind == KH_RBAC_EDGE_MEMBER)
            out = out[0] ? kh_arena_printf(ctx->arena, "%s (member of %s)", out, to->label)
                         : kh_arena_printf(ctx->arena, "as member of %s:", to->label);
        else if (principal)
            out = kh_arena_printf(ctx->arena, "%s -> %s", out, to->label);
    }
    return out;
}

void kh_rbac__escalation_path(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    const kh_rbac_graph *g = r->graph;
    const kh_rbac_node *nodes;
    size_t n = kh_rbac_graph__nodes(g, &nodes);
    for (size_t v = 0; v < n; v++) {
        if (nodes[v].kind != KH_RBAC_NODE_USER && nodes[v].kind != KH_RBAC_NODE_GROUP &&
            nodes[v].kind != KH_RBAC_NODE_SA)
            continue;
        const kh_rbac_edge *const *path;
        unsigned steps;
        size_t len = kh_rbac_graph__path(g, (uint32_t)v, &path, &steps);
        if (!kh_rbac_graph__reportable(g, r, (uint32_t)v, path, len))
            continue;
        kh_location *rel = NULL;
        size_t nrel = path_related(ctx, g, path, len, &rel);
        const kh_rbac_grant *first = &path[0]->grant;
        kh_rule__report_related(ctx, first->binding->obj, first->subject->node,
                                first->subject->path, rel, nrel,
                                "%s can become cluster-admin-equivalent in %u step%s: %s",
                                nodes[v].label, steps, steps == 1 ? "" : "s",
                                path_text(ctx, g, path, len));
    }
}

void kh_rbac__workload_powerful_token(kh_rule_ctx *ctx, const kh_objset *set)
{
    const kh_rbac_risk *r = model(ctx, set);
    if (!r)
        return;
    const kh_rbac_graph *g = r->graph;
    const kh_rbac_pod *const *pods;
    size_t n = kh_rbac__pods(r->m, &pods);
    for (size_t i = 0; i < n; i++) {
        const kh_rbac_pod *p = pods[i];
        if (!p->token_mounted || strcmp(p->obj->kind, "PodTemplate") == 0 ||
            kh_rbac_risk__owner_kept(r, p->obj))
            continue;
        long v = kh_rbac_graph__find_sa(g, p->namespace_, p->service_account);
        const kh_rbac_edge *const *path;
        unsigned steps;
        size_t len = v < 0 ? 0 : kh_rbac_graph__path(g, (uint32_t)v, &path, &steps);
        bool own = false; /* some grant on the way is not Kubernetes' own */
        for (size_t k = 0; k < len; k++)
            if ((path[k]->kind == KH_RBAC_EDGE_GRANT || path[k]->kind == KH_RBAC_EDGE_HOLDS) &&
                !r->system_default[path[k]->binding_index])
                own = true;
        if (!own)
            continue;
        kh_location *rel = NULL;
        size_t nrel = path_related(ctx, g, path, len, &rel);
        kh_podspec ps;
        const kh_node *spec = kh_object_podspec(p->obj, &ps) ? ps.spec : NULL;
        const kh_node *at = kh_rule__key(spec, "serviceAccountName");
        const char *field = "serviceAccountName";
        if (!at && (at = kh_rule__key(spec, "serviceAccount")))
            field = "serviceAccount";
        const char *path_s = kh_arena_printf(ctx->arena, "%s.%s", p->spec_path, field);
        if (!at) {
            at = spec;
            path_s = p->spec_path;
        }
        kh_rule__report_related(ctx, p->obj, at, path_s, rel, nrel,
                                "%s the token of ServiceAccount %s/%s, which can become "
                                "cluster-admin-equivalent (%s): whoever breaks into the "
                                "container gets the cluster",
                                strcmp(p->obj->kind, "Pod") == 0 ? "this pod mounts"
                                                                 : "its pods mount",
                                p->namespace_, p->service_account,
                                path_text(ctx, g, path, len));
    }
}
