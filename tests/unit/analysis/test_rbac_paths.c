/*
 * test_rbac_paths.c -- risky capabilities read through the authorizer's
 * matchers, Kubernetes' and kubeadm's own bindings, and the escalation
 * graph's shortest paths: long chains, cycles, the shorter of two paths,
 * membership that costs no step. Each test is named after what it holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/rbac_paths.h"
#include "scan/cluster.h"

static kh_cluster *cluster;

static const kh_rbac_risk *load(const char *yaml)
{
    kh_error err = {0};
    if (cluster)
        kh_cluster_free(cluster);
    assert_int_equal(kh_cluster_new_area(&cluster, KH_AREA_RBAC, NULL, NULL, &err), 0);
    assert_int_equal(kh_cluster_load_buffer(cluster, yaml, strlen(yaml), "t.yaml", &err), 0);
    assert_int_equal(kh_cluster_errors(cluster), 0);
    kh_rbac_risk *r = NULL;
    assert_int_equal(
        kh_rbac_risk__build(&r, kh_cluster__objects(cluster), kh_cluster__arena(cluster)), 0);
    assert_non_null(r);
    return r;
}

static int teardown(void **state)
{
    (void)state;
    kh_cluster_free(cluster);
    cluster = NULL;
    return 0;
}

/* The capabilities of the one ClusterRole's rules, bound cluster-wide. */
static uint32_t caps_of(const char *rules)
{
    char yaml[2048];
    snprintf(yaml, sizeof(yaml),
             "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
             "metadata: {name: r}\nrules:\n%s\n---\n"
             "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
             "metadata: {name: b}\n"
             "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\n"
             "subjects: [{kind: User, name: u}]\n",
             rules);
    const kh_rbac_risk *r = load(yaml);
    assert_int_equal(r->nbindings, 1);
    return r->caps[0];
}

#define CAP(c) KH_RBAC_CAP(KH_RBAC_CAP_##c)

static void test_rbac_paths_caps__subresource_wildcard_matches_exec(void **state)
{
    (void)state;
    assert_int_equal(caps_of("- {apiGroups: [\"\"], resources: [\"*/exec\"], verbs: [create]}"),
                     CAP(POD_EXEC));
}

static void test_rbac_paths_caps__pods_star_is_no_wildcard(void **state)
{
    (void)state;
    assert_int_equal(caps_of("- {apiGroups: [\"\"], resources: [\"pods/*\"], verbs: [\"*\"]}"),
                     0);
}

static void test_rbac_paths_caps__star_verbs_on_pods_is_not_exec(void **state)
{
    (void)state;
    /* pods/exec is its own combined resource: "pods" does not name it. */
    assert_int_equal(caps_of("- {apiGroups: [\"\"], resources: [pods], verbs: [\"*\"]}"),
                     CAP(POD_CREATE));
}

static void test_rbac_paths_caps__resource_names_allow_no_open_grant(void **state)
{
    (void)state;
    assert_int_equal(caps_of("- {apiGroups: [\"\"], resources: [secrets], "
                             "resourceNames: [one], verbs: [get, list]}"),
                     0);
}

static void test_rbac_paths_caps__star_group_reaches_core_secrets(void **state)
{
    (void)state;
    assert_int_equal(caps_of("- {apiGroups: [\"*\"], resources: [secrets], verbs: [watch]}"),
                     CAP(SECRETS_READ));
}

static void test_rbac_paths_caps__everything(void **state)
{
    (void)state;
    uint32_t c = caps_of("- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}");
    assert_true(c & CAP(ALL));
    assert_true(c & CAP(NODES_PROXY));
    assert_true(c & CAP(IMPERSONATE_GROUPS));
}

static void test_rbac_paths_caps__uppercase_verb_is_another_verb(void **state)
{
    (void)state;
    assert_int_equal(caps_of("- {apiGroups: [\"\"], resources: [pods], verbs: [Create]}"), 0);
}

static void test_rbac_paths_defaults__kubeadm_binding_with_another_subject(void **state)
{
    (void)state;
    const kh_rbac_risk *r = load(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: \"kubeadm:cluster-admins\"}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: \"kubeadm:cluster-admins\"}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: \"kubeadm:get-nodes\"}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: \"system:bootstrappers:kubeadm:default-node-token\"}]\n");
    /* Bindings sorted by name: cluster-admins is kubeadm's; get-nodes
     * bound to another role is not. */
    assert_true(r->system_default[0]);
    assert_false(r->system_default[1]);
}

/* A chain of @p n namespaces: the account of each may mint tokens for the
 * next one's account; the last may bind roles. */
static char *chain(size_t n)
{
    size_t cap = n * 700 + 1024, len = 0;
    char *y = malloc(cap);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(
            y + len, cap - len,
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: n%zu}\n"
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
            "metadata: {name: t, namespace: n%zu}\n"
            "rules: [{apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create]}]\n"
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
            "metadata: {name: t, namespace: n%zu}\n"
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: t}\n"
            "subjects: [{kind: ServiceAccount, name: a, namespace: n%zu}]\n",
            i, i + 1, i + 1, i);
    }
    len += (size_t)snprintf(
        y + len, cap - len,
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: b}\n"
        "rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], "
        "verbs: [bind]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: ClusterRoleBinding\nmetadata: {name: b}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: b}\n"
        "subjects: [{kind: ServiceAccount, name: a, namespace: n%zu}]\n",
        n);
    return y;
}

static void test_rbac_paths_graph__a_long_chain_is_followed_to_its_end(void **state)
{
    (void)state;
    char *y = chain(2000);
    const kh_rbac_risk *r = load(y);
    free(y);
    long v = kh_rbac_graph__find(r->graph, "sa:n0/a");
    assert_true(v >= 0);
    const kh_rbac_edge *const *path;
    unsigned steps;
    size_t n = kh_rbac_graph__path(r->graph, (uint32_t)v, &path, &steps);
    assert_int_equal(steps, 2001);
    assert_true(n >= 2001);
    assert_int_equal(path[0]->grant.binding->namespace_[0], 'n');
    assert_int_equal(path[n - 1]->cap, KH_RBAC_CAP_BIND);
}

static void test_rbac_paths_graph__a_cycle_without_power_has_no_path(void **state)
{
    (void)state;
    const kh_rbac_risk *r = load(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: imp}\n"
        "rules: [{apiGroups: [\"\"], resources: [users], verbs: [impersonate], "
        "resourceNames: [x, y]}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: imp}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: imp}\n"
        "subjects: [{kind: User, name: x}, {kind: User, name: y}]\n");
    long x = kh_rbac_graph__find(r->graph, "user:x");
    assert_true(x >= 0);
    const kh_rbac_edge *const *path;
    unsigned steps;
    assert_int_equal(kh_rbac_graph__path(r->graph, (uint32_t)x, &path, &steps), 0);
}

static void test_rbac_paths_graph__the_shorter_of_two_paths(void **state)
{
    (void)state;
    /* u may read ci's secrets (ci/admin's legacy token, then everything:
     * 2 steps) or impersonate groups (system:masters: 1 step). */
    const kh_rbac_risk *r = load(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n  namespace: ci\n"
        "  annotations: {kubernetes.io/service-account.name: admin}\n"
        "type: kubernetes.io/service-account-token\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\n"
        "rules: [{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: admin}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\n"
        "subjects: [{kind: ServiceAccount, name: admin, namespace: ci}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: u}\n"
        "rules:\n- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}\n"
        "- {apiGroups: [\"\"], resources: [groups], verbs: [impersonate]}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata: {name: u-secrets, namespace: ci}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: u}\n"
        "subjects: [{kind: User, name: u}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: u-impersonates}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: u}\n"
        "subjects: [{kind: User, name: u}]\n");
    long u = kh_rbac_graph__find(r->graph, "user:u");
    const kh_rbac_edge *const *path;
    unsigned steps;
    size_t n = kh_rbac_graph__path(r->graph, (uint32_t)u, &path, &steps);
    assert_int_equal(steps, 1);
    assert_int_equal(n, 1);
    assert_int_equal(path[0]->cap, KH_RBAC_CAP_IMPERSONATE_GROUPS);
    assert_string_equal(path[0]->grant.binding->name, "u-impersonates");
}

static void test_rbac_paths_graph__membership_costs_no_step(void **state)
{
    (void)state;
    /* Every account of ci may create pods there, ci/admin holds
     * everything: ci/x is one step away, through its namespace's group. */
    const kh_rbac_risk *r = load(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: ci}\n---\n"
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: admin, namespace: ci}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\n"
        "rules: [{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: admin}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\n"
        "subjects: [{kind: ServiceAccount, name: admin, namespace: ci}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
        "metadata: {name: pods, namespace: ci}\n"
        "rules: [{apiGroups: [\"\"], resources: [pods], verbs: [create]}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata: {name: pods, namespace: ci}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods}\n"
        "subjects: [{kind: Group, name: \"system:serviceaccounts:ci\"}]\n");
    long x = kh_rbac_graph__find(r->graph, "sa:ci/x");
    const kh_rbac_edge *const *path;
    unsigned steps;
    size_t n = kh_rbac_graph__path(r->graph, (uint32_t)x, &path, &steps);
    assert_int_equal(steps, 2); /* create pods, then hold everything as ci/admin */
    assert_int_equal(path[0]->kind, KH_RBAC_EDGE_MEMBER);
    /* Its path starts as a member: the group's own path is the one shown. */
    assert_false(kh_rbac_graph__reportable(r->graph, r, (uint32_t)x, path, n));
    long g = kh_rbac_graph__find(r->graph, "group:system:serviceaccounts:ci");
    n = kh_rbac_graph__path(r->graph, (uint32_t)g, &path, &steps);
    assert_true(kh_rbac_graph__reportable(r->graph, r, (uint32_t)g, path, n));
}

static void test_rbac_paths_graph__holding_the_target_in_its_namespace_is_no_path(void **state)
{
    (void)state;
    /* cluster-admin through a RoleBinding in siem holds 'get secrets -n
     * siem': reachable in one step, but no escalation to report. */
    const kh_rbac_risk *r = load(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\n"
        "rules: [{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata: {name: siem-admin, namespace: siem}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\n"
        "subjects: [{kind: User, name: ann}]\n");
    kh_rbac_attrs to = {.verb = "get", .resource_request = true, .namespace_ = "siem",
                        .api_group = "", .resource = "secrets", .subresource = "", .name = ""};
    kh_rbac_graph *g = NULL;
    assert_int_equal(kh_rbac_graph__build(&g, r, &to, "get secrets -n siem", NULL,
                                          kh_cluster__arena(cluster)),
                     0);
    long ann = kh_rbac_graph__find(g, "user:ann");
    const kh_rbac_edge *const *path;
    unsigned steps;
    size_t n = kh_rbac_graph__path(g, (uint32_t)ann, &path, &steps);
    assert_int_equal(steps, 1);
    assert_false(kh_rbac_graph__reportable(g, r, (uint32_t)ann, path, n));
    /* and it is no path to cluster-admin-equivalent at all */
    ann = kh_rbac_graph__find(r->graph, "user:ann");
    assert_int_equal(kh_rbac_graph__path(r->graph, (uint32_t)ann, &path, &steps), 0);
}

static void test_rbac_paths_graph__everything_in_a_namespace_reaches_its_accounts(void **state)
{
    (void)state;
    /* Holding everything in ops (no grant on the way) still lets ann run
     * a pod as ops/admin, which holds everything cluster-wide. */
    const kh_rbac_risk *r = load(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: admin, namespace: ops}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\n"
        "rules: [{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata: {name: ops-admin, namespace: ops}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\n"
        "subjects: [{kind: User, name: ann}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: admin}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\n"
        "subjects: [{kind: ServiceAccount, name: admin, namespace: ops}]\n");
    long ann = kh_rbac_graph__find(r->graph, "user:ann");
    const kh_rbac_edge *const *path;
    unsigned steps;
    size_t n = kh_rbac_graph__path(r->graph, (uint32_t)ann, &path, &steps);
    assert_int_equal(steps, 2);
    assert_true(kh_rbac_graph__reportable(r->graph, r, (uint32_t)ann, path, n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rbac_paths_caps__subresource_wildcard_matches_exec, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_caps__pods_star_is_no_wildcard, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_caps__star_verbs_on_pods_is_not_exec, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_caps__resource_names_allow_no_open_grant, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_caps__star_group_reaches_core_secrets, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_caps__everything, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_caps__uppercase_verb_is_another_verb, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_defaults__kubeadm_binding_with_another_subject, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_graph__a_long_chain_is_followed_to_its_end, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_graph__a_cycle_without_power_has_no_path, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_graph__the_shorter_of_two_paths, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_graph__membership_costs_no_step, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_graph__holding_the_target_in_its_namespace_is_no_path, teardown),
        cmocka_unit_test_teardown(test_rbac_paths_graph__everything_in_a_namespace_reaches_its_accounts, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
