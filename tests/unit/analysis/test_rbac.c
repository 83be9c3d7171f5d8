/*
 * test_rbac.c -- the RBAC model answers as the API server's RBAC
 * authorizer does. One test per corner case of upstream's matchers
 * (evaluation_helpers.go), rule resolver (rule.go), aggregation controller
 * and authenticators; each test is named after the case it holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/rbac.h"
#include "scan/cluster.h"

static kh_cluster *cluster;

static kh_rbac *load(const char *yaml)
{
    kh_error err = {0};
    if (cluster)
        kh_cluster_free(cluster);
    assert_int_equal(kh_cluster_new(&cluster, kh_rbac_kinds(), NULL, NULL, &err), 0);
    assert_int_equal(kh_cluster_load_buffer(cluster, yaml, strlen(yaml), "t.yaml", &err), 0);
    assert_int_equal(kh_cluster_errors(cluster), 0);
    kh_rbac *m = NULL;
    assert_int_equal(kh_rbac_load(&m, cluster, &err), 0);
    assert_non_null(m);
    return m;
}

static int teardown(void **state)
{
    (void)state;
    kh_cluster_free(cluster);
    cluster = NULL;
    return 0;
}

/* "a,b" into a static group array. */
static const char *gbuf[8];
static char gstore[256];
static size_t groups_of(const char *csv)
{
    size_t n = 0;
    if (!csv || !*csv)
        return 0;
    snprintf(gstore, sizeof gstore, "%s", csv);
    for (char *tok = strtok(gstore, ","); tok && n < 8; tok = strtok(NULL, ","))
        gbuf[n++] = tok;
    return n;
}

static kh_rbac_attrs res(const char *user, const char *groups, const char *verb,
                         const char *ns, const char *group, const char *resource,
                         const char *sub, const char *name)
{
    size_t n = groups_of(groups);
    return (kh_rbac_attrs){.user = user, .groups = gbuf, .ngroups = n, .verb = verb,
                           .resource_request = true, .namespace_ = ns, .api_group = group,
                           .resource = resource, .subresource = sub, .name = name};
}

static bool allows(kh_rbac *m, kh_rbac_attrs a)
{
    return kh_rbac__authorize(m, &a, NULL);
}

static const char *reason(kh_rbac *m, kh_rbac_attrs a, bool *allowed)
{
    kh_rbac_decision d;
    assert_int_equal(kh_rbac__decide(m, &a, kh_rbac__arena(m), &d), 0);
    if (allowed)
        *allowed = d.allowed;
    return d.reason;
}

#define HEAD "apiVersion: rbac.authorization.k8s.io/v1\n"
#define CR(name, rules) HEAD "kind: ClusterRole\nmetadata: {name: " name "}\nrules: " rules "\n---\n"
#define ROLE(ns, name, rules)                                                            \
    HEAD "kind: Role\nmetadata: {name: " name ", namespace: " ns "}\nrules: " rules "\n---\n"
#define CRB(name, role, subjects)                                                        \
    HEAD "kind: ClusterRoleBinding\nmetadata: {name: " name "}\nroleRef: {apiGroup: "    \
         "rbac.authorization.k8s.io, kind: ClusterRole, name: " role "}\nsubjects: "     \
    subjects "\n---\n"
#define RB(ns, name, kind, role, subjects)                                               \
    HEAD "kind: RoleBinding\nmetadata: {name: " name ", namespace: " ns "}\nroleRef: "   \
         "{apiGroup: rbac.authorization.k8s.io, kind: " kind ", name: " role "}\n"       \
         "subjects: " subjects "\n---\n"
#define ALICE "[{kind: User, name: alice}]"

/* A ClusterRole bound to alice cluster-wide, for the matcher tests. */
static kh_rbac *alice_may(const char *rules)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             HEAD "kind: ClusterRole\nmetadata: {name: r}\nrules: %s\n---\n" CRB("b", "r", ALICE),
             rules);
    return load(buf);
}

/* ------------------------------------------------------------- verbs */

static void test_rbac_verbs__star_matches_every_verb(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: ['*'], apiGroups: [''], resources: [pods]}]");
    assert_true(allows(m, res("alice", "", "delete", "a", "", "pods", "", "")));
    assert_true(allows(m, res("alice", "", "anything", "", "", "pods", "", "")));
}

static void test_rbac_verbs__case_sensitive(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [GET], apiGroups: [''], resources: [Pods]}]");
    assert_false(allows(m, res("alice", "", "get", "a", "", "pods", "", "")));
    assert_true(allows(m, res("alice", "", "GET", "a", "", "Pods", "", "")));
}

/* ------------------------------------------------------------- groups */

static void test_rbac_api_groups__empty_string_is_the_core_group(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [get], apiGroups: [''], resources: ['*']}]");
    assert_true(allows(m, res("alice", "", "get", "a", "", "pods", "", "")));
    assert_false(allows(m, res("alice", "", "get", "a", "apps", "deployments", "", "")));
}

static void test_rbac_api_groups__star_matches_every_group(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [get], apiGroups: ['*'], resources: [deployments]}]");
    assert_true(allows(m, res("alice", "", "get", "a", "apps", "deployments", "", "")));
    assert_true(allows(m, res("alice", "", "get", "a", "", "deployments", "", "")));
}

static void test_rbac_api_groups__missing_matches_nothing(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [get], resources: [pods]}]");
    assert_false(allows(m, res("alice", "", "get", "a", "", "pods", "", "")));
}

/* ------------------------------------------------------------- resources */

static void test_rbac_resources__star_matches_subresources_too(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [create], apiGroups: [''], resources: ['*']}]");
    assert_true(allows(m, res("alice", "", "create", "a", "", "pods", "exec", "x")));
}

static void test_rbac_resources__plain_resource_is_no_match_for_a_subresource(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [create, get], apiGroups: [''], resources: [pods]}]");
    assert_true(allows(m, res("alice", "", "get", "a", "", "pods", "", "x")));
    assert_false(allows(m, res("alice", "", "create", "a", "", "pods", "exec", "x")));
}

static void test_rbac_resources__subresource_named_exactly(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [create], apiGroups: [''], resources: [pods/exec]}]");
    assert_true(allows(m, res("alice", "", "create", "a", "", "pods", "exec", "x")));
    assert_false(allows(m, res("alice", "", "create", "a", "", "pods", "attach", "x")));
    assert_false(allows(m, res("alice", "", "create", "a", "", "pods", "", "")));
}

static void test_rbac_resources__star_slash_subresource_matches_any_resource(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [update], apiGroups: ['*'], resources: ['*/scale']}]");
    assert_true(allows(m, res("alice", "", "update", "a", "apps", "deployments", "scale", "d")));
    assert_true(allows(m, res("alice", "", "update", "a", "", "replicationcontrollers", "scale", "")));
    assert_false(allows(m, res("alice", "", "update", "a", "apps", "deployments", "", "d")));
    assert_false(allows(m, res("alice", "", "update", "a", "apps", "deployments", "status", "d")));
}

static void test_rbac_resources__resource_slash_star_is_no_wildcard(void **state)
{
    (void)state;
    /* upstream has no resource-slash-star form: it is compared as written */
    kh_rbac *m = alice_may("[{verbs: [get], apiGroups: [''], resources: ['pods/*']}]");
    assert_false(allows(m, res("alice", "", "get", "a", "", "pods", "", "x")));
    assert_false(allows(m, res("alice", "", "get", "a", "", "pods", "log", "x")));
    assert_true(allows(m, res("alice", "", "get", "a", "", "pods", "*", "x")));
}

/* ------------------------------------------------------------- names */

static void test_rbac_resource_names__empty_list_matches_every_name(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [get], apiGroups: [''], resources: [configmaps]}]");
    assert_true(allows(m, res("alice", "", "get", "a", "", "configmaps", "", "x")));
    assert_true(allows(m, res("alice", "", "get", "a", "", "configmaps", "", "")));
}

static void test_rbac_resource_names__never_allow_create(void **state)
{
    (void)state;
    /* a create request carries no name, so a named rule cannot match it */
    kh_rbac *m = alice_may(
        "[{verbs: [create, get, update], apiGroups: [''], resources: [configmaps], "
        "resourceNames: [cfg]}]");
    assert_false(allows(m, res("alice", "", "create", "a", "", "configmaps", "", "")));
    assert_true(allows(m, res("alice", "", "get", "a", "", "configmaps", "", "cfg")));
    assert_false(allows(m, res("alice", "", "get", "a", "", "configmaps", "", "other")));
    assert_true(allows(m, res("alice", "", "update", "a", "", "configmaps", "", "cfg")));
}

static void test_rbac_resource_names__list_watch_only_with_a_name(void **state)
{
    (void)state;
    /* list/watch carry a name only through fieldSelector metadata.name */
    kh_rbac *m = alice_may(
        "[{verbs: [list, watch], apiGroups: [''], resources: [secrets], resourceNames: [s]}]");
    assert_false(allows(m, res("alice", "", "list", "a", "", "secrets", "", "")));
    assert_false(allows(m, res("alice", "", "watch", "a", "", "secrets", "", "")));
    assert_true(allows(m, res("alice", "", "list", "a", "", "secrets", "", "s")));
    assert_true(allows(m, res("alice", "", "watch", "a", "", "secrets", "", "s")));
}

/* ------------------------------------------------------------- URLs */

static kh_rbac_attrs url(const char *user, const char *verb, const char *path)
{
    return (kh_rbac_attrs){.user = user, .verb = verb, .path = path};
}

static void test_rbac_non_resource_urls__trailing_star_is_a_prefix(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [get], nonResourceURLs: ['/healthz/*', '/api*']}]");
    assert_true(kh_rbac__authorize(m, &(kh_rbac_attrs){.user = "alice", .verb = "get",
                                                       .path = "/healthz/ready"}, NULL));
    kh_rbac_attrs a = url("alice", "get", "/healthz/");
    assert_true(kh_rbac__authorize(m, &a, NULL));
    a = url("alice", "get", "/healthz");
    assert_false(kh_rbac__authorize(m, &a, NULL));
    a = url("alice", "get", "/apis/apps");
    assert_true(kh_rbac__authorize(m, &a, NULL));
    a = url("alice", "post", "/api");
    assert_false(kh_rbac__authorize(m, &a, NULL));
}

static void test_rbac_non_resource_urls__star_and_exact(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: [get], nonResourceURLs: ['/version']}, "
                           "{verbs: [post], nonResourceURLs: ['*']}]");
    kh_rbac_attrs a = url("alice", "get", "/version");
    assert_true(kh_rbac__authorize(m, &a, NULL));
    a = url("alice", "get", "/version/");
    assert_false(kh_rbac__authorize(m, &a, NULL));
    a = url("alice", "post", "/anything/at/all");
    assert_true(kh_rbac__authorize(m, &a, NULL));
}

static void test_rbac_non_resource_urls__not_for_resource_requests(void **state)
{
    (void)state;
    kh_rbac *m = alice_may("[{verbs: ['*'], nonResourceURLs: ['*']}]");
    assert_false(allows(m, res("alice", "", "get", "", "", "pods", "", "")));
    /* and resource rules grant no URL */
    m = alice_may("[{verbs: ['*'], apiGroups: ['*'], resources: ['*']}]");
    kh_rbac_attrs a = url("alice", "get", "/healthz");
    assert_false(kh_rbac__authorize(m, &a, NULL));
}

/* ------------------------------------------------------------- bindings */

static void test_rbac_bindings__rolebinding_to_clusterrole_grants_only_in_its_namespace(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("reader", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          RB("a", "b", "ClusterRole", "reader", ALICE));
    assert_true(allows(m, res("alice", "", "get", "a", "", "pods", "", "")));
    assert_false(allows(m, res("alice", "", "get", "b", "", "pods", "", "")));
    assert_false(allows(m, res("alice", "", "get", "", "", "pods", "", "")));
}

static void test_rbac_bindings__clusterrolebinding_grants_everywhere(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("reader", "[{verbs: [get], apiGroups: [''], resources: [pods, nodes]}]")
                          CRB("b", "reader", ALICE));
    assert_true(allows(m, res("alice", "", "get", "a", "", "pods", "", "")));
    assert_true(allows(m, res("alice", "", "get", "", "", "pods", "", "")));
    assert_true(allows(m, res("alice", "", "get", "", "", "nodes", "", "n1")));
}

static void test_rbac_bindings__role_resolves_in_the_binding_namespace(void **state)
{
    (void)state;
    kh_rbac *m = load(ROLE("b", "r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          RB("a", "x", "Role", "r", ALICE));
    bool allowed;
    const char *why = reason(m, res("alice", "", "get", "a", "", "pods", "", ""), &allowed);
    assert_false(allowed);
    assert_string_equal(why, "RBAC: role.rbac.authorization.k8s.io \"r\" not found");
}

static void test_rbac_bindings__missing_role_grants_nothing_with_the_resolver_error(void **state)
{
    (void)state;
    kh_rbac *m = load(CRB("b", "gone", ALICE) CRB("c", "gone", "[{kind: Group, name: dev}]")
                          RB("a", "d", "Role", "nope", ALICE));
    bool allowed;
    const char *why = reason(m, res("alice", "", "get", "a", "", "pods", "", ""), &allowed);
    assert_false(allowed);
    assert_string_equal(why, "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, "
                             "role.rbac.authorization.k8s.io \"nope\" not found]");
    /* the same message twice is printed once, and alone without brackets */
    why = reason(m, res("alice", "dev", "get", "", "", "pods", "", ""), &allowed);
    assert_string_equal(why, "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
    /* bindings that do not apply to the user add nothing */
    why = reason(m, res("bob", "", "get", "a", "", "pods", "", ""), &allowed);
    assert_string_equal(why, "");
    const kh_rbac_binding *const *bs;
    assert_int_equal(kh_rbac__bindings(m, &bs), 3);
    assert_null(bs[0]->role);
}

static void test_rbac_bindings__clusterrolebinding_to_a_role_is_an_error(void **state)
{
    (void)state;
    kh_rbac *m = load(ROLE("a", "r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          HEAD "kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: "
                               "Role, name: r}\nsubjects: " ALICE "\n---\n"
                          HEAD "kind: ClusterRoleBinding\nmetadata: {name: c}\nroleRef: {kind: "
                               "Thing, name: r}\nsubjects: " ALICE "\n");
    bool allowed;
    const char *why = reason(m, res("alice", "", "get", "a", "", "pods", "", ""), &allowed);
    assert_false(allowed);
    assert_string_equal(why, "RBAC: [role.rbac.authorization.k8s.io \"r\" not found, "
                             "unsupported role reference kind: \"Thing\"]");
}

static void test_rbac_bindings__later_duplicate_wins(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CR("r", "[{verbs: [list], apiGroups: [''], resources: [pods]}]")
                              CRB("b", "r", ALICE));
    assert_false(allows(m, res("alice", "", "get", "a", "", "pods", "", "")));
    assert_true(allows(m, res("alice", "", "list", "a", "", "pods", "", "")));
}

static void test_rbac_bindings__namespaceless_role_and_binding_live_in_default(void **state)
{
    (void)state;
    kh_rbac *m = load(HEAD "kind: Role\nmetadata: {name: r}\nrules: [{verbs: [get], apiGroups: "
                           "[''], resources: [pods]}]\n---\n" HEAD
                           "kind: RoleBinding\nmetadata: {name: b}\nroleRef: {kind: Role, name: "
                           "r}\nsubjects: " ALICE "\n");
    assert_true(allows(m, res("alice", "", "get", "default", "", "pods", "", "")));
}

/* ------------------------------------------------------------- subjects */

static void test_rbac_subjects__kinds_are_case_sensitive(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("b", "r", "[{kind: user, name: alice}, {kind: group, name: dev}]"));
    assert_false(allows(m, res("alice", "dev", "get", "a", "", "pods", "", "")));
}

static void test_rbac_subjects__group_matches_any_of_the_users_groups(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("b", "r", "[{kind: Group, name: dev}]"));
    assert_true(allows(m, res("bob", "ops,dev", "get", "a", "", "pods", "", "")));
    assert_false(allows(m, res("dev", "ops", "get", "a", "", "pods", "", "")));
}

static void test_rbac_subjects__service_account_username(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("b", "r", "[{kind: ServiceAccount, name: bot, namespace: ci}]"));
    assert_true(allows(m, res("system:serviceaccount:ci:bot", "", "get", "x", "", "pods", "", "")));
    assert_false(allows(m, res("system:serviceaccount:ci:bot2", "", "get", "x", "", "pods", "", "")));
    assert_false(allows(m, res("system:serviceaccount:c:i:bot", "", "get", "x", "", "pods", "", "")));
    assert_false(allows(m, res("bot", "", "get", "x", "", "pods", "", "")));
}

static void test_rbac_subjects__unqualified_service_account_takes_the_rolebinding_namespace(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          RB("ci", "b", "ClusterRole", "r", "[{kind: ServiceAccount, name: bot}]"));
    assert_true(allows(m, res("system:serviceaccount:ci:bot", "", "get", "ci", "", "pods", "", "")));
    bool allowed;
    const char *why = reason(m, res("system:serviceaccount:ci:bot", "", "get", "ci", "", "pods",
                                    "", ""), &allowed);
    assert_true(allowed);
    assert_string_equal(why, "RBAC: allowed by RoleBinding \"b/ci\" of ClusterRole \"r\" to "
                             "ServiceAccount \"bot/ci\"");
}

static void test_rbac_subjects__unqualified_service_account_in_a_clusterrolebinding_is_no_one(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("b", "r", "[{kind: ServiceAccount, name: bot}]"));
    assert_false(allows(m, res("system:serviceaccount:default:bot", "", "get", "default", "",
                               "pods", "", "")));
    assert_false(allows(m, res("system:serviceaccount::bot", "", "get", "", "", "pods", "", "")));
}

static void test_rbac_subjects__first_applying_subject_is_named(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("b", "r", "[{kind: User, name: bob}, {kind: Group, name: dev}, "
                                        "{kind: User, name: alice}]"));
    bool allowed;
    const char *why = reason(m, res("alice", "dev", "get", "", "", "pods", "", ""), &allowed);
    assert_true(allowed);
    assert_string_equal(why, "RBAC: allowed by ClusterRoleBinding \"b\" of ClusterRole \"r\" to "
                             "Group \"dev\"");
}

/* ------------------------------------------------------------- users */

static void test_rbac_users__authenticated_groups_added(void **state)
{
    (void)state;
    kh_arena a;
    kh_arena_init(&a, 0);
    const char *const *g;
    size_t n;
    const char *given[] = {"dev"};
    assert_int_equal(kh_rbac__authenticated_groups(&a, "alice", given, 1, &g, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(g[0], "dev");
    assert_string_equal(g[1], "system:authenticated");

    assert_int_equal(kh_rbac__authenticated_groups(&a, "system:serviceaccount:ci:bot", NULL, 0,
                                                   &g, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(g[0], "system:serviceaccounts");
    assert_string_equal(g[1], "system:serviceaccounts:ci");
    assert_string_equal(g[2], "system:authenticated");

    assert_int_equal(kh_rbac__authenticated_groups(&a, "system:anonymous", NULL, 0, &g, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(g[0], "system:unauthenticated");

    const char *unauth[] = {"system:unauthenticated"};
    assert_int_equal(kh_rbac__authenticated_groups(&a, "x", unauth, 1, &g, &n), 0);
    assert_int_equal(n, 1);
    kh_arena_free(&a);
}

static void test_rbac_users__system_masters_is_allowed_everything(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[]"));
    bool allowed;
    const char *why = reason(m, res("root", "system:masters", "delete", "", "", "nodes", "", "n"),
                             &allowed);
    assert_true(allowed);
    assert_string_equal(why, "");
    assert_false(allows(m, res("root", "system:masters", "delete", "", "", "nodes", "", "n")));
}

static void test_rbac_users__authenticated_group_binding(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("basic", "[{verbs: [create], apiGroups: [authorization.k8s.io], "
                                  "resources: [selfsubjectaccessreviews]}]")
                          CRB("basic", "basic", "[{kind: Group, name: system:authenticated}]"));
    assert_true(allows(m, res("anyone", "system:authenticated", "create", "",
                              "authorization.k8s.io", "selfsubjectaccessreviews", "", "")));
    assert_false(allows(m, res("system:anonymous", "system:unauthenticated", "create", "",
                               "authorization.k8s.io", "selfsubjectaccessreviews", "", "")));
}

/* ------------------------------------------------------------- aggregation */

#define AGG_CR(name, labels, rules)                                                      \
    HEAD "kind: ClusterRole\nmetadata: {name: " name ", labels: " labels "}\nrules: " rules \
         "\n---\n"

static void test_rbac_aggregation__selected_roles_by_name_without_duplicates(void **state)
{
    (void)state;
    kh_rbac *m = load(
        HEAD "kind: ClusterRole\nmetadata: {name: view, labels: {agg: 'yes'}}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: 'yes'}}]}\n"
             "rules: [{verbs: [delete], apiGroups: [''], resources: [stale]}]\n---\n"
        AGG_CR("zz", "{agg: 'yes'}", "[{verbs: [get], apiGroups: [''], resources: [b]}]")
        AGG_CR("aa", "{agg: 'yes'}", "[{verbs: [get], apiGroups: [''], resources: [a]}, "
                                     "{verbs: [get], apiGroups: [''], resources: [b]}]")
        AGG_CR("other", "{agg: 'no'}", "[{verbs: [get], apiGroups: [''], resources: [c]}]"));
    const kh_rbac_role *v = kh_rbac__find_role(m, "", "view");
    assert_non_null(v);
    assert_true(v->aggregated);
    /* the written rule is replaced; aa's rules first, zz's duplicate dropped */
    assert_int_equal(v->nrules, 2);
    assert_string_equal(v->rules[0]->resources.v[0], "a");
    assert_string_equal(v->rules[1]->resources.v[0], "b");
    assert_string_equal(v->rules[1]->role->name, "aa");
    assert_int_equal(v->nsources, 2);
    assert_string_equal(v->sources[0]->name, "aa");
    assert_string_equal(v->sources[1]->name, "zz");
}

static void test_rbac_aggregation__nested_roles_reach_the_fixpoint(void **state)
{
    (void)state;
    /* admin <- edit <- view-extra, written in the order that needs two rounds */
    kh_rbac *m = load(
        HEAD "kind: ClusterRole\nmetadata: {name: admin}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchLabels: {to-admin: 'true'}}]}\n---\n"
        HEAD "kind: ClusterRole\nmetadata: {name: edit, labels: {to-admin: 'true'}}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchLabels: {to-edit: 'true'}}]}\n---\n"
        AGG_CR("extra", "{to-edit: 'true'}",
               "[{verbs: [create], apiGroups: [''], resources: [pods/exec]}]")
            CRB("b", "admin", ALICE));
    assert_true(allows(m, res("alice", "", "create", "a", "", "pods", "exec", "p")));
    const kh_rbac_role *admin = kh_rbac__find_role(m, "", "admin");
    assert_int_equal(admin->nrules, 1);
    assert_string_equal(admin->rules[0]->role->name, "extra");
}

static void test_rbac_aggregation__match_expressions_and_empty_selector(void **state)
{
    (void)state;
    kh_rbac *m = load(
        HEAD "kind: ClusterRole\nmetadata: {name: all}\n"
             "aggregationRule: {clusterRoleSelectors: [{}]}\n---\n"
        HEAD "kind: ClusterRole\nmetadata: {name: some}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: tier, "
             "operator: In, values: [gold]}]}]}\n---\n"
        AGG_CR("g", "{tier: gold}", "[{verbs: [get], apiGroups: [''], resources: [g]}]")
        AGG_CR("s", "{tier: silver}", "[{verbs: [get], apiGroups: [''], resources: [s]}]"));
    const kh_rbac_role *all = kh_rbac__find_role(m, "", "all");
    const kh_rbac_role *some = kh_rbac__find_role(m, "", "some");
    /* the empty selector matches every other ClusterRole, some included */
    assert_int_equal(all->nrules, 2);
    assert_int_equal(some->nrules, 1);
    assert_string_equal(some->rules[0]->resources.v[0], "g");
}

static void test_rbac_aggregation__invalid_selector_keeps_the_written_rules(void **state)
{
    (void)state;
    kh_rbac *m = load(
        HEAD "kind: ClusterRole\nmetadata: {name: bad}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: tier, "
             "operator: Near}]}]}\n"
             "rules: [{verbs: [get], apiGroups: [''], resources: [kept]}]\n---\n"
        AGG_CR("g", "{tier: gold}", "[{verbs: [get], apiGroups: [''], resources: [g]}]"));
    const kh_rbac_role *bad = kh_rbac__find_role(m, "", "bad");
    assert_true(bad->aggregation_failed);
    assert_int_equal(bad->nrules, 1);
    assert_string_equal(bad->rules[0]->resources.v[0], "kept");
}

static void test_rbac_aggregation__roles_are_never_aggregated_from_namespaced_roles(void **state)
{
    (void)state;
    kh_rbac *m = load(
        HEAD "kind: ClusterRole\nmetadata: {name: agg}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: 'y'}}]}\n---\n"
        HEAD "kind: Role\nmetadata: {name: r, namespace: a, labels: {x: 'y'}}\n"
             "rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]\n");
    assert_int_equal(kh_rbac__find_role(m, "", "agg")->nrules, 0);
}

static void test_rbac_aggregation__roles_selecting_each_other_settle(void **state)
{
    (void)state;
    /* a and b aggregate each other and c: both end with c's rule and the
     * build terminates (the controller's syncs stop changing anything) */
    kh_rbac *m = load(
        HEAD "kind: ClusterRole\nmetadata: {name: a, labels: {ring: 'yes'}}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchLabels: {ring: 'yes'}}]}\n---\n"
        HEAD "kind: ClusterRole\nmetadata: {name: b, labels: {ring: 'yes'}}\n"
             "aggregationRule: {clusterRoleSelectors: [{matchLabels: {ring: 'yes'}}]}\n---\n"
        AGG_CR("c", "{ring: 'yes'}", "[{verbs: [get], apiGroups: [''], resources: [c]}]"));
    assert_int_equal(kh_rbac__find_role(m, "", "a")->nrules, 1);
    assert_int_equal(kh_rbac__find_role(m, "", "b")->nrules, 1);
    assert_string_equal(kh_rbac__find_role(m, "", "b")->rules[0]->role->name, "c");
}

/* ------------------------------------------------------------- queries */

typedef struct collected {
    char lines[16][160];
    size_t n;
} collected;

static int collect(const kh_rbac_grant *g, void *ud)
{
    collected *c = ud;
    if (c->n < 16)
        snprintf(c->lines[c->n++], 160, "%s %s/%s %s:%s %s", g->binding->kind,
                 g->binding->namespace_, g->binding->name, g->subject->kind_text,
                 g->subject->name, g->rule ? g->rule->role->name : "-");
    return 0;
}

static void test_rbac_who_can__cluster_and_namespace_bindings(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("reader", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CR("nothing", "[{verbs: [get], apiGroups: [''], resources: [nodes]}]")
                              CRB("z", "reader", "[{kind: Group, name: g1}, {kind: User, name: u1}]")
                                  CRB("y", "nothing", ALICE)
                                      RB("a", "rb", "ClusterRole", "reader", ALICE)
                                          RB("b", "rb", "ClusterRole", "reader", "[{kind: User, name: other}]"));
    collected c = {0};
    kh_rbac_attrs a = res("", "", "get", "a", "", "pods", "", "");
    assert_int_equal(kh_rbac__who_can(m, &a, collect, &c), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[0], "ClusterRoleBinding /z Group:g1 reader");
    assert_string_equal(c.lines[1], "ClusterRoleBinding /z User:u1 reader");
    assert_string_equal(c.lines[2], "RoleBinding a/rb User:alice reader");
    /* cluster-wide: only ClusterRoleBindings */
    c.n = 0;
    a.namespace_ = "";
    assert_int_equal(kh_rbac__who_can(m, &a, collect, &c), 0);
    assert_int_equal(c.n, 2);
}

static void test_rbac_who_can__every_namespace_at_once(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("reader", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          RB("b", "rb", "ClusterRole", "reader", "[{kind: User, name: u2}]")
                              RB("a", "rb", "ClusterRole", "reader", ALICE)
                                  CRB("z", "reader", "[{kind: Group, name: g1}]"));
    collected c = {0};
    kh_rbac_attrs a = res("", "", "get", "ignored", "", "pods", "", "");
    assert_int_equal(kh_rbac__who_can_all(m, &a, collect, &c), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[0], "ClusterRoleBinding /z Group:g1 reader");
    assert_string_equal(c.lines[1], "RoleBinding a/rb User:alice reader");
    assert_string_equal(c.lines[2], "RoleBinding b/rb User:u2 reader");
}

static void test_rbac_visit__clusterrolebindings_then_rolebindings_of_the_namespace(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r1", "[{verbs: [get], apiGroups: [''], resources: [a]}, "
                               "{verbs: [get], apiGroups: [''], resources: [b]}]")
                          RB("ns", "a-first", "ClusterRole", "r1", ALICE)
                              CRB("z-last", "r1", ALICE) CRB("missing", "gone", ALICE)
                                  RB("other", "x", "ClusterRole", "r1", ALICE));
    collected c = {0};
    kh_rbac_attrs a = res("alice", "", "", "ns", "", "", "", "");
    assert_int_equal(kh_rbac__visit(m, &a, collect, &c), 0);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.lines[0], "ClusterRoleBinding /missing User:alice -");
    assert_string_equal(c.lines[1], "ClusterRoleBinding /z-last User:alice r1");
    assert_string_equal(c.lines[3], "RoleBinding ns/a-first User:alice r1");
}

static void test_rbac_accounts__pods_and_token_mounts(void **state)
{
    (void)state;
    kh_rbac *m = load(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet, namespace: a}\n"
        "automountServiceAccountToken: false\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: a}\n"
        "spec: {containers: [{name: c, image: i}]}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\n"
        "spec: {template: {spec: {serviceAccountName: quiet, containers: [{name: c, image: i}]}}}\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p2, namespace: a}\n"
        "spec: {serviceAccountName: quiet, automountServiceAccountToken: true, "
        "containers: [{name: c, image: i}]}\n"
        "---\n" RB("a", "b", "ClusterRole", "view", "[{kind: ServiceAccount, name: ghost}]"));
    assert_true(kh_rbac__has_service_accounts(m));
    const kh_rbac_sa *quiet = kh_rbac__find_sa(m, "a", "quiet");
    assert_non_null(quiet);
    assert_non_null(quiet->obj);
    assert_int_equal(quiet->npods, 2);
    assert_false(quiet->pods[0]->token_mounted);
    assert_true(quiet->pods[1]->token_mounted);
    const kh_rbac_sa *def = kh_rbac__find_sa(m, "a", "default");
    assert_non_null(def);
    assert_null(def->obj);
    assert_int_equal(def->npods, 1);
    assert_string_equal(def->username, "system:serviceaccount:a:default");
    const kh_rbac_sa *ghost = kh_rbac__find_sa(m, "a", "ghost");
    assert_non_null(ghost);
    assert_null(ghost->obj);
    assert_int_equal(ghost->npods, 0);
}

/* ------------------------------------------------------------- reviews */

static int count_errors(const kh_finding *f, void *ud)
{
    assert_true(f->is_error);
    ++*(size_t *)ud;
    return 0;
}

static void test_rbac_review__answers_as_the_api_server(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("b", "r", ALICE));
    static const char in[] =
        "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\n"
        "spec: {user: alice, resourceAttributes: {verb: get, resource: pods, namespace: a}}\n"
        "---\n"
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
        "\"spec\":{\"user\":\"bob\",\"nonResourceAttributes\":{\"verb\":\"get\",\"path\":\"/x\"}}}\n"
        "---\n"
        "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\n"
        "spec: {resourceAttributes: {verb: get, resource: pods}}\n";
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    size_t answered = 0, allowed = 0;
    kh_error err = {0};
    assert_int_equal(kh_rbac_review_buffer(m, in, strlen(in), "in", out, NULL, NULL, &answered,
                                           &allowed, &err), 0);
    fclose(out);
    assert_int_equal(answered, 2);
    assert_int_equal(allowed, 1);
    assert_non_null(strstr(text, "\"status\":{\"allowed\":true,\"reason\":\"RBAC: allowed by "
                                 "ClusterRoleBinding \\\"b\\\" of ClusterRole \\\"r\\\" to User "
                                 "\\\"alice\\\"\"}}\n"));
    assert_non_null(strstr(text, "\"spec\":{\"user\":\"bob\",\"nonResourceAttributes\":{\"verb\":"
                                 "\"get\",\"path\":\"/x\"}},\"status\":{\"allowed\":false}}\n"));
    free(text);
}

static void test_rbac_reasons__names_quoted_as_go_does(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("'r\"1'", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                          CRB("'b\\x'", "'r\"1'", "[{kind: User, name: \"tab\\there\"}]"));
    bool allowed;
    const char *why = reason(m, res("tab\there", "", "get", "", "", "pods", "", ""), &allowed);
    assert_true(allowed);
    assert_string_equal(why, "RBAC: allowed by ClusterRoleBinding \"b\\\\x\" of ClusterRole "
                             "\"r\\\"1\" to User \"tab\\there\"");
    /* printable UTF-8 stays, a no-break space is escaped as Go does */
    m = load(CR("r", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
                 CRB("b", "r", "[{kind: User, name: \"J\u00f6rg\u00a0K\"}]"));
    why = reason(m, res("J\u00f6rg\u00a0K", "", "get", "", "", "pods", "", ""), &allowed);
    assert_true(allowed);
    assert_string_equal(why, "RBAC: allowed by ClusterRoleBinding \"b\" of ClusterRole \"r\" to "
                             "User \"J\u00f6rg\\u00a0K\"");
}

static void test_rbac_review__invalid_reviews_are_reported_and_skipped(void **state)
{
    (void)state;
    kh_rbac *m = load(CR("r", "[]"));
    static const char in[] =
        "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\n"
        "spec: {user: a, resourceAttributes: {verb: get}, nonResourceAttributes: {verb: get}}\n"
        "---\n"
        "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec: {user: a}\n"
        "---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        "---\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: authorization.k8s.io/v1\n  kind: SubjectAccessReview\n"
        "  spec: {groups: [g], nonResourceAttributes: {verb: get, path: /}}\n";
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    size_t answered = 0, errors = 0;
    kh_error err = {0};
    assert_int_equal(kh_rbac_review_buffer(m, in, strlen(in), "in", out, count_errors, &errors,
                                           &answered, NULL, &err), 0);
    fclose(out);
    assert_int_equal(errors, 3);
    assert_int_equal(answered, 1);
    assert_non_null(strstr(text, "\"status\":{\"allowed\":false}}\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rbac_verbs__star_matches_every_verb, teardown),
        cmocka_unit_test_teardown(test_rbac_verbs__case_sensitive, teardown),
        cmocka_unit_test_teardown(test_rbac_api_groups__empty_string_is_the_core_group, teardown),
        cmocka_unit_test_teardown(test_rbac_api_groups__star_matches_every_group, teardown),
        cmocka_unit_test_teardown(test_rbac_api_groups__missing_matches_nothing, teardown),
        cmocka_unit_test_teardown(test_rbac_resources__star_matches_subresources_too, teardown),
        cmocka_unit_test_teardown(test_rbac_resources__plain_resource_is_no_match_for_a_subresource, teardown),
        cmocka_unit_test_teardown(test_rbac_resources__subresource_named_exactly, teardown),
        cmocka_unit_test_teardown(test_rbac_resources__star_slash_subresource_matches_any_resource, teardown),
        cmocka_unit_test_teardown(test_rbac_resources__resource_slash_star_is_no_wildcard, teardown),
        cmocka_unit_test_teardown(test_rbac_resource_names__empty_list_matches_every_name, teardown),
        cmocka_unit_test_teardown(test_rbac_resource_names__never_allow_create, teardown),
        cmocka_unit_test_teardown(test_rbac_resource_names__list_watch_only_with_a_name, teardown),
        cmocka_unit_test_teardown(test_rbac_non_resource_urls__trailing_star_is_a_prefix, teardown),
        cmocka_unit_test_teardown(test_rbac_non_resource_urls__star_and_exact, teardown),
        cmocka_unit_test_teardown(test_rbac_non_resource_urls__not_for_resource_requests, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__rolebinding_to_clusterrole_grants_only_in_its_namespace, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__clusterrolebinding_grants_everywhere, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__role_resolves_in_the_binding_namespace, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__missing_role_grants_nothing_with_the_resolver_error, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__clusterrolebinding_to_a_role_is_an_error, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__later_duplicate_wins, teardown),
        cmocka_unit_test_teardown(test_rbac_bindings__namespaceless_role_and_binding_live_in_default, teardown),
        cmocka_unit_test_teardown(test_rbac_subjects__kinds_are_case_sensitive, teardown),
        cmocka_unit_test_teardown(test_rbac_subjects__group_matches_any_of_the_users_groups, teardown),
        cmocka_unit_test_teardown(test_rbac_subjects__service_account_username, teardown),
        cmocka_unit_test_teardown(test_rbac_subjects__unqualified_service_account_takes_the_rolebinding_namespace, teardown),
        cmocka_unit_test_teardown(test_rbac_subjects__unqualified_service_account_in_a_clusterrolebinding_is_no_one, teardown),
        cmocka_unit_test_teardown(test_rbac_subjects__first_applying_subject_is_named, teardown),
        cmocka_unit_test_teardown(test_rbac_users__authenticated_groups_added, teardown),
        cmocka_unit_test_teardown(test_rbac_users__system_masters_is_allowed_everything, teardown),
        cmocka_unit_test_teardown(test_rbac_users__authenticated_group_binding, teardown),
        cmocka_unit_test_teardown(test_rbac_aggregation__selected_roles_by_name_without_duplicates, teardown),
        cmocka_unit_test_teardown(test_rbac_aggregation__nested_roles_reach_the_fixpoint, teardown),
        cmocka_unit_test_teardown(test_rbac_aggregation__match_expressions_and_empty_selector, teardown),
        cmocka_unit_test_teardown(test_rbac_aggregation__invalid_selector_keeps_the_written_rules, teardown),
        cmocka_unit_test_teardown(test_rbac_aggregation__roles_are_never_aggregated_from_namespaced_roles, teardown),
        cmocka_unit_test_teardown(test_rbac_who_can__cluster_and_namespace_bindings, teardown),
        cmocka_unit_test_teardown(test_rbac_who_can__every_namespace_at_once, teardown),
        cmocka_unit_test_teardown(test_rbac_aggregation__roles_selecting_each_other_settle, teardown),
        cmocka_unit_test_teardown(test_rbac_visit__clusterrolebindings_then_rolebindings_of_the_namespace, teardown),
        cmocka_unit_test_teardown(test_rbac_accounts__pods_and_token_mounts, teardown),
        cmocka_unit_test_teardown(test_rbac_review__answers_as_the_api_server, teardown),
        cmocka_unit_test_teardown(test_rbac_review__invalid_reviews_are_reported_and_skipped, teardown),
        cmocka_unit_test_teardown(test_rbac_reasons__names_quoted_as_go_does, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
