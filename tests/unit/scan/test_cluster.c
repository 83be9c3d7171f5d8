/*
 * test_cluster.c -- kh_cluster keeps whole objects of the kinds asked for,
 * unwraps Lists, reports bad documents with file:line:col and goes on; and
 * kh_rule__shared builds an area's model once per finish.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/rules.h"
#include "scan/cluster.h"

typedef struct seen {
    size_t errors;
    unsigned line, col;
} seen;

static int on_error(const kh_finding *f, void *ud)
{
    seen *s = ud;
    assert_true(f->is_error);
    s->errors++;
    s->line = f->line;
    s->col = f->col;
    return 0;
}

static const char dump[] =
    "apiVersion: v1\n"
    "kind: List\n"
    "items:\n"
    "- apiVersion: rbac.authorization.k8s.io/v1\n"
    "  kind: ClusterRole\n"
    "  metadata: {name: reader}\n"
    "  rules: [{verbs: [get], resources: [pods], apiGroups: ['']}]\n"
    "- apiVersion: v1\n"
    "  kind: ConfigMap\n"
    "  metadata: {name: ignored, namespace: a}\n"
    "---\n"
    "kind: RoleBinding\n"
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "metadata: {name: b, namespace: a}\n"
    "roleRef: [unclosed\n"
    "---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: RoleBinding\n"
    "metadata: {name: ok, namespace: a, labels: {team: x}}\n"
    "roleRef: {kind: ClusterRole, name: reader, apiGroup: rbac.authorization.k8s.io}\n";

static void keeps_the_kinds_asked_for_whole(void **state)
{
    (void)state;
    static const char *const kinds[] = {"ClusterRole", "RoleBinding", NULL};
    kh_cluster *c = NULL;
    seen s = {0};
    kh_error err = {0};
    assert_int_equal(kh_cluster_new(&c, kinds, on_error, &s, &err), KH_OK);
    assert_int_equal(kh_cluster_load_buffer(c, dump, sizeof(dump) - 1, "dump.yaml", &err),
                     KH_OK);
    /* The broken binding is an error at its line; the documents around it
     * are still read. */
    assert_int_equal(s.errors, 1);
    assert_int_equal(kh_cluster_errors(c), 1);
    assert_int_equal(s.line, 16); /* where libyaml finds the flow unclosed: the next `---` */
    assert_int_equal(kh_cluster_count(c), 2);
    const kh_objset *set = kh_cluster__objects(c);
    const kh_object *role = kh_objset_at(set, 0);
    assert_string_equal(role->kind, "ClusterRole");
    assert_string_equal(role->file, "dump.yaml");
    assert_string_equal(role->path_prefix, "items[0].");
    /* Whole: the rules are there, not only metadata. */
    assert_non_null(kh_node_get(role->root, "rules"));
    const kh_object *rb = kh_objset_at(set, 1);
    assert_string_equal(rb->name, "ok");
    assert_string_equal(rb->namespace_, "a");
    assert_int_equal(rb->root->line, 17);
    assert_non_null(kh_node_get(rb->root, "roleRef"));
    assert_non_null(kh_cluster__arena(c));
    kh_cluster_free(c);
}

static void keeps_every_kind_when_none_named(void **state)
{
    (void)state;
    kh_cluster *c = NULL;
    kh_error err = {0};
    assert_int_equal(kh_cluster_new(&c, NULL, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_cluster_load_buffer(c, dump, sizeof(dump) - 1, "dump.yaml", &err),
                     KH_OK);
    assert_int_equal(kh_cluster_count(c), 3);
    assert_int_equal(kh_cluster_errors(c), 1);
    kh_cluster_free(c);
}

/* An area's cluster keeps what its set rules read, projected: a pod's
 * labels, not its volumes. */
static void keeps_what_an_area_reads(void **state)
{
    (void)state;
    static const char pods[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {app: x}}\n"
        "spec: {containers: [{name: c, image: nginx}], volumes: [{name: v, emptyDir: {}}]}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n";
    kh_cluster *c = NULL;
    kh_error err = {0};
    assert_int_equal(kh_cluster_new_area(&c, KH_AREA_HA, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_cluster_load_buffer(c, pods, sizeof(pods) - 1, "p.yaml", &err), KH_OK);
    assert_int_equal(kh_cluster_count(c), 1);
    const kh_object *pod = kh_objset_at(kh_cluster__objects(c), 0);
    assert_string_equal(pod->kind, "Pod");
    assert_non_null(pod->labels);
    assert_null(kh_node_get(kh_node_get(pod->root, "spec"), "volumes"));
    kh_cluster_free(c);
    /* An area without set rules has nothing to keep: an error, not an
     * empty cluster that would answer every query with "nobody". */
    assert_int_equal(kh_cluster_new_area(&c, KH_AREA_IMAGE, NULL, NULL, &err), KH_ENOTFOUND);
    assert_non_null(strstr(err.message, "'image'"));
}

/* "Kind:path" fields are kept of that kind only: a NetworkPolicy's spec,
 * not a Pod's, whose containers (ports) stay and whose status goes. */
static void kind_qualified_fields(void **state)
{
    (void)state;
    static const char objs[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n"
        "spec: {containers: [{name: c, ports: [{name: web, containerPort: 80}]}],"
        " volumes: [{name: v, emptyDir: {}}]}\n"
        "status: {phase: Running}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: d, namespace: a}\nspec: {podSelector: {}}\n";
    kh_cluster *c = NULL;
    kh_error err = {0};
    assert_int_equal(kh_cluster_new_area(&c, KH_AREA_NETPOL, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_cluster_load_buffer(c, objs, sizeof(objs) - 1, "o.yaml", &err), KH_OK);
    assert_int_equal(kh_cluster_count(c), 2);
    const kh_object *pod = kh_objset_at(kh_cluster__objects(c), 0);
    const kh_object *pol = kh_objset_at(kh_cluster__objects(c), 1);
    const kh_node *spec = kh_node_get(pod->root, "spec");
    assert_non_null(kh_node_get(spec, "containers"));
    assert_null(kh_node_get(spec, "volumes"));
    assert_null(kh_node_get(pod->root, "status"));
    assert_non_null(kh_node_get(kh_node_get(pol->root, "spec"), "podSelector"));
    kh_cluster_free(c);
}

static int builds;

static void *count_build(kh_arena *arena, const kh_objset *set)
{
    builds++;
    size_t *n = kh_arena_alloc(arena, sizeof(*n));
    if (n)
        *n = kh_objset_count(set);
    return n;
}

static void *failing_build(kh_arena *arena, const kh_objset *set)
{
    (void)arena;
    (void)set;
    builds++;
    return NULL;
}

static void shared_model_is_built_once(void **state)
{
    (void)state;
    static const int key_a, key_b;
    kh_arena arena;
    kh_arena_init(&arena, 4096);
    kh_objset *set = NULL;
    assert_int_equal(kh_objset_new(&set, NULL), KH_OK);
    kh_rule_ctx ctx = {.arena = &arena};
    builds = 0;
    size_t *first = kh_rule__shared(&ctx, &key_a, count_build, set);
    assert_non_null(first);
    assert_ptr_equal(kh_rule__shared(&ctx, &key_a, count_build, set), first);
    assert_int_equal(builds, 1);
    /* A failed build is remembered, not retried by every rule. */
    assert_null(kh_rule__shared(&ctx, &key_b, failing_build, set));
    assert_null(kh_rule__shared(&ctx, &key_b, failing_build, set));
    assert_int_equal(builds, 2);
    kh_objset_free(set);
    kh_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_the_kinds_asked_for_whole),
        cmocka_unit_test(keeps_every_kind_when_none_named),
        cmocka_unit_test(keeps_what_an_area_reads),
        cmocka_unit_test(kind_qualified_fields),
        cmocka_unit_test(shared_model_is_built_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
