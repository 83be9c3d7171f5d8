/*
 * test_object.c -- kh_object_from_node, pod-spec locations
 * of every workload kind and container iteration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "k8s/k8s.h"
#include "nodes.h"

static kh_object load_object(const char *yaml, const char *prefix)
{
    kh_object obj;
    kh_error err = {0};
    int rc = kh_object_from_node(&obj, yaml_load(yaml), "t.yaml", prefix,
                                 t_arena(), &err);
    if (rc != 0)
        fail_msg("kh_object_from_node: %s", err.message);
    return obj;
}

static int teardown(void **state)
{
    (void)state;
    t_arena_free();
    return 0;
}

/* ---------------------------------------------------------------- objects */

static void test_k8s_object__fields(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: apps/v1\n"
                              "kind: Deployment\n"
                              "metadata:\n"
                              "  name: web\n"
                              "  namespace: shop\n"
                              "  labels: {app: web}\n"
                              "  annotations: {a: b}\n",
                              NULL);
    assert_string_equal(o.api_version, "apps/v1");
    assert_string_equal(o.group, "apps");
    assert_string_equal(o.kind, "Deployment");
    assert_string_equal(o.namespace_, "shop");
    assert_string_equal(o.name, "web");
    assert_string_equal(o.file, "t.yaml");
    assert_string_equal(o.path_prefix, "");
    assert_non_null(o.metadata);
    assert_non_null(o.labels);
    assert_int_equal(o.labels->len, 1);
    assert_non_null(o.annotations);
}

static void test_k8s_object__core_group_is_empty(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: v1\nkind: Pod\n", "items[3].");
    assert_string_equal(o.group, "");
    assert_string_equal(o.namespace_, "");
    assert_string_equal(o.name, "");
    assert_null(o.metadata);
    assert_null(o.labels);
    assert_null(o.annotations);
    assert_string_equal(o.path_prefix, "items[3].");
}

static void test_k8s_object__generate_name_is_the_name(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: batch/v1\nkind: Job\n"
                              "metadata: {generateName: migrate-}\n",
                              NULL);
    assert_string_equal(o.name, "migrate-");
    o = load_object("apiVersion: batch/v1\nkind: Job\n"
                    "metadata: {name: a, generateName: b-}\n",
                    NULL);
    assert_string_equal(o.name, "a");
}

static void test_k8s_object__labels_not_a_map_are_null(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: v1\nkind: Pod\n"
                              "metadata: {labels: [a], annotations: x}\n",
                              NULL);
    assert_null(o.labels);
    assert_null(o.annotations);
}

static void expect_invalid(const char *yaml, unsigned line, unsigned col,
                           const char *message)
{
    kh_object obj;
    kh_error err = {0};
    assert_int_equal(kh_object_from_node(&obj, yaml_load(yaml), "t.yaml", "",
                                         t_arena(), &err),
                     KH_EINVALID);
    assert_int_equal(err.code, KH_EINVALID);
    assert_string_equal(err.file, "t.yaml");
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    assert_string_equal(err.message, message);
}

static void test_k8s_object__missing_kind_is_an_error(void **state)
{
    (void)state;
    expect_invalid("\napiVersion: v1\nmetadata: {name: x}\n", 2, 1,
                   "document is not a Kubernetes object: missing 'kind'");
    expect_invalid("apiVersion: v1\nkind: ''\n", 1, 1,
                   "document is not a Kubernetes object: missing 'kind'");
    expect_invalid("kind: Pod\n", 1, 1,
                   "document is not a Kubernetes object: missing 'apiVersion'");
    expect_invalid("apiVersion: v1\nkind: {a: b}\n", 2, 7,
                   "'kind' must be a string");
    expect_invalid("apiVersion: 1\nkind: Pod\n", 1, 13,
                   "'apiVersion' must be a string");
    expect_invalid("- a\n- b\n", 1, 1,
                   "document is not a Kubernetes object: not a mapping");
    expect_invalid("apiVersion: a/b/c\nkind: X\n", 1, 13,
                   "invalid apiVersion 'a/b/c'");
}

static void test_k8s_object__null_root_is_an_error(void **state)
{
    (void)state;
    kh_object obj;
    kh_error err = {0};
    assert_int_equal(kh_object_from_node(&obj, NULL, NULL, NULL, t_arena(),
                                         &err),
                     KH_EINVALID);
    assert_int_equal(err.line, 0);
    assert_int_equal(kh_object_from_node(&obj, NULL, NULL, NULL, t_arena(),
                                         NULL),
                     KH_EINVALID);
}

/* -------------------------------------------------------------- pod specs */

/* A workload of @p kind with the pod template at the usual place. */
static void expect_podspec(const char *yaml, const char *path,
                           const char *marker)
{
    kh_object o = load_object(yaml, "items[2].");
    kh_podspec ps;
    assert_true(kh_object_podspec(&o, &ps));
    assert_string_equal(ps.path, path);
    assert_non_null(ps.spec);
    assert_int_equal(ps.spec->type, KH_NODE_MAP);
    /* the spec found is the one whose container is named marker */
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    assert_true(kh_container_next(&it, &c));
    assert_string_equal(c.name, marker);
    assert_non_null(ps.meta);
    const kh_node *labels = NULL;
    for (uint32_t i = 0; i < ps.meta->len; i++)
        if (strcmp(ps.meta->u.pairs[i].key->u.text, "labels") == 0)
            labels = ps.meta->u.pairs[i].value;
    assert_non_null(labels);
    assert_string_equal(labels->u.pairs[0].value->u.text, marker);
    char *full = kh_container_path(&o, &ps, &c, t_arena());
    char want[128];
    snprintf(want, sizeof(want), "items[2].%s.containers[0]", path);
    assert_string_equal(full, want);
}

#define TEMPLATE(indent)                                                     \
    indent "template:\n"                                                     \
    indent "  metadata: {labels: {app: tmpl}}\n"                             \
    indent "  spec:\n"                                                       \
    indent "    containers: [{name: tmpl, image: x}]\n"

static void test_k8s_podspec__every_workload_kind(void **state)
{
    (void)state;
    static const char *const kinds[][2] = {
        {"apps/v1", "Deployment"},  {"apps/v1", "ReplicaSet"},
        {"apps/v1", "StatefulSet"}, {"apps/v1", "DaemonSet"},
        {"batch/v1", "Job"},        {"v1", "ReplicationController"},
        {"extensions/v1beta1", "Deployment"},
        {"apps/v1beta2", "DaemonSet"},
        {"extensions/v1beta1", "ReplicaSet"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml),
                 "apiVersion: %s\nkind: %s\nmetadata: {labels: {app: own}}\n"
                 "spec:\n  replicas: 1\n" TEMPLATE("  "),
                 kinds[i][0], kinds[i][1]);
        expect_podspec(yaml, "spec.template.spec", "tmpl");
    }
}

static void test_k8s_podspec__pod_uses_its_own_metadata(void **state)
{
    (void)state;
    expect_podspec("apiVersion: v1\nkind: Pod\n"
                   "metadata: {name: p, labels: {app: pod}}\n"
                   "spec:\n  containers: [{name: pod}]\n",
                   "spec", "pod");
}

static void test_k8s_podspec__pod_template(void **state)
{
    (void)state;
    expect_podspec("apiVersion: v1\nkind: PodTemplate\n"
                   "metadata: {name: t, labels: {app: own}}\n" TEMPLATE(""),
                   "template.spec", "tmpl");
}

static void test_k8s_podspec__cronjob(void **state)
{
    (void)state;
    static const char *const versions[] = {"batch/v1", "batch/v1beta1"};
    for (size_t i = 0; i < 2; i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml),
                 "apiVersion: %s\nkind: CronJob\nmetadata: {labels: {app: own}}\n"
                 "spec:\n  schedule: '* * * * *'\n  jobTemplate:\n"
                 "    metadata: {labels: {app: job}}\n    spec:\n" TEMPLATE("      "),
                 versions[i]);
        expect_podspec(yaml, "spec.jobTemplate.spec.template.spec", "tmpl");
    }
}

static bool has_podspec(const char *yaml)
{
    kh_object o = load_object(yaml, NULL);
    kh_podspec ps;
    return kh_object_podspec(&o, &ps);
}

static void test_k8s_podspec__none_for_other_shapes(void **state)
{
    (void)state;
    assert_false(has_podspec("apiVersion: v1\nkind: Service\n"
                             "spec: {selector: {app: x}}\n"));
    assert_false(has_podspec("apiVersion: apps/v1\nkind: Deployment\n"
                             "spec: {replicas: 1}\n"));
    assert_false(has_podspec("apiVersion: apps/v1\nkind: Deployment\n"));
    assert_false(has_podspec("apiVersion: apps/v1\nkind: Deployment\n"
                             "spec: {template: {spec: [a]}}\n"));
    assert_false(has_podspec("apiVersion: v1\nkind: Pod\nspec: ~\n"));
    assert_false(has_podspec("apiVersion: batch/v1\nkind: CronJob\n"
                             "spec: {template: {spec: {containers: []}}}\n"));
    /* kinds are case-sensitive */
    assert_false(has_podspec("apiVersion: v1\nkind: pod\nspec: {}\n"));
    assert_false(kh_object_podspec(NULL, &(kh_podspec){0}));
}

static void test_k8s_podspec__template_without_metadata(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: apps/v1\nkind: Deployment\n"
                              "spec:\n  template:\n    spec: {containers: []}\n",
                              NULL);
    kh_podspec ps;
    assert_true(kh_object_podspec(&o, &ps));
    assert_null(ps.meta);
}

/* ------------------------------------------------------------- containers */

static void test_k8s_podspec__well_known_custom_resources(void **state)
{
    (void)state;
    static const char *const crds[][2] = {
        {"argoproj.io/v1alpha1", "Rollout"},
        {"apps.kruise.io/v1alpha1", "CloneSet"},
        {"serving.knative.dev/v1", "Service"},
        {"serving.knative.dev/v1", "Configuration"},
    };
    for (size_t i = 0; i < sizeof(crds) / sizeof(crds[0]); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml),
                 "apiVersion: %s\nkind: %s\nmetadata: {labels: {app: own}}\n"
                 "spec:\n" TEMPLATE("  "),
                 crds[i][0], crds[i][1]);
        expect_podspec(yaml, "spec.template.spec", "tmpl");
    }
}

static void test_k8s_podspec__custom_resources_need_their_group(void **state)
{
    (void)state;
    kh_podspec ps;
    /* A core Service and a Rollout of another group carry no pod spec. */
    kh_object svc = load_object("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
                                "spec:\n" TEMPLATE("  "),
                                NULL);
    assert_false(kh_object_podspec(&svc, &ps));
    kh_object other = load_object("apiVersion: example.com/v1\nkind: Rollout\n"
                                  "metadata: {name: r}\nspec:\n" TEMPLATE("  "),
                                  NULL);
    assert_false(kh_object_podspec(&other, &ps));
}

static void test_k8s_podspec__configured_locations(void **state)
{
    (void)state;
    static const kh_pod_template_loc extra[] = {
        {"example.com", "Widget", "spec.runner.template.spec", "spec.runner.template.metadata"},
        {"example.com", "Bare", "spec.pod", NULL},
        /* The configuration wins over the built-in kinds. */
        {"example.com", "Deployment", "spec.other.spec", NULL},
    };
    kh_podspec ps;
    kh_object w = load_object("apiVersion: example.com/v1\nkind: Widget\n"
                              "metadata: {name: w, labels: {app: own}}\n"
                              "spec:\n  runner:\n" TEMPLATE("    "),
                              "items[2].");
    assert_false(kh_object_podspec(&w, &ps));
    assert_true(kh_object_podspec_ext(&w, extra, 3, &ps));
    assert_string_equal(ps.path, "spec.runner.template.spec");
    w.pod_templates = extra;
    w.npod_templates = 3;
    assert_true(kh_object_podspec(&w, &ps));
    assert_string_equal(ps.path, "spec.runner.template.spec");
    kh_object b = load_object("apiVersion: example.com/v1\nkind: Bare\n"
                              "metadata: {name: b, labels: {app: own}}\n"
                              "spec:\n  pod:\n    containers: [{name: c, image: x}]\n",
                              NULL);
    assert_true(kh_object_podspec_ext(&b, extra, 3, &ps));
    assert_string_equal(ps.path, "spec.pod");
    assert_ptr_equal(ps.meta, b.metadata);
    kh_object d = load_object("apiVersion: example.com/v1\nkind: Deployment\n"
                              "metadata: {name: d}\nspec:\n  other:\n    spec: {}\n" TEMPLATE("  "),
                              NULL);
    assert_true(kh_object_podspec_ext(&d, extra, 3, &ps));
    assert_string_equal(ps.path, "spec.other.spec");
    kh_object apps = load_object("apiVersion: apps/v1\nkind: Deployment\n"
                                 "metadata: {name: d}\nspec:\n" TEMPLATE("  "),
                                 NULL);
    assert_true(kh_object_podspec_ext(&apps, extra, 3, &ps));
    assert_string_equal(ps.path, "spec.template.spec");
}

static void test_k8s_container__order_and_indexes(void **state)
{
    (void)state;
    kh_object o = load_object(
        "apiVersion: v1\nkind: Pod\nspec:\n"
        "  ephemeralContainers:\n  - name: debug\n"
        "  containers:\n"
        "  - name: app\n"
        "  - just a string\n"
        "  - ~\n"
        "  - {image: sidecar}\n"
        "  - [nested]\n"
        "  - name: last\n"
        "  initContainers:\n  - 42\n  - name: init\n",
        NULL);
    kh_podspec ps;
    assert_true(kh_object_podspec(&o, &ps));
    static const struct {
        const char *name, *list;
        kh_container_kind kind;
        size_t index;
    } want[] = {
        {"init", "initContainers", KH_CONTAINER_INIT, 1},
        {"app", "containers", KH_CONTAINER_REGULAR, 0},
        {"", "containers", KH_CONTAINER_REGULAR, 3},
        {"last", "containers", KH_CONTAINER_REGULAR, 5},
        {"debug", "ephemeralContainers", KH_CONTAINER_EPHEMERAL, 0},
    };
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_true(kh_container_next(&it, &c));
        assert_string_equal(c.name, want[i].name);
        assert_string_equal(c.list, want[i].list);
        assert_int_equal(c.kind, want[i].kind);
        assert_int_equal(c.index, want[i].index);
        assert_int_equal(c.node->type, KH_NODE_MAP);
    }
    assert_false(kh_container_next(&it, &c));
    assert_false(kh_container_next(&it, &c));
    assert_string_equal(kh_container_path(&o, &ps, &c, t_arena()),
                        "spec.ephemeralContainers[0]");
}

static void test_k8s_container__lists_that_are_not_sequences(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: v1\nkind: Pod\nspec:\n"
                              "  initContainers: {name: x}\n"
                              "  containers: ~\n"
                              "  ephemeralContainers: nope\n",
                              NULL);
    kh_podspec ps;
    kh_container_iter it;
    kh_container c;
    assert_true(kh_object_podspec(&o, &ps));
    kh_container_iter_init(&it, &ps);
    assert_false(kh_container_next(&it, &c));
}

/* ---------------------------------------------------------------- keeping */

static void test_k8s_object__clone_keeps_only_what_is_asked(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: apps/v1\nkind: Deployment\n"
                              "metadata:\n  name: web\n  namespace: shop\n"
                              "  labels: {team: a}\n"
                              "  managedFields: [{manager: kubectl}]\n"
                              "  annotations:\n"
                              "    kubectl.kubernetes.io/last-applied-configuration: big\n"
                              "    ignore.kubeharden.io/some.rule: reason\n"
                              "spec:\n  selector: {matchLabels: {app: web}}\n"
                              "  template:\n    metadata: {labels: {app: web}}\n"
                              "    spec: {containers: [{name: c, image: x}]}\n",
                              "items[2].");
    static const char *const fields[] = {KH_FIELD_POD_METADATA};
    kh_object c;
    kh_arena keep;
    kh_arena_init(&keep, 0);
    assert_int_equal(kh_object_clone(&c, &o, "kept.yaml", fields, 1, &keep, NULL), 0);
    assert_string_equal(c.kind, "Deployment");
    assert_string_equal(c.group, "apps");
    assert_string_equal(c.name, "web");
    assert_string_equal(c.namespace_, "shop");
    assert_string_equal(c.file, "kept.yaml");
    assert_string_equal(c.path_prefix, "items[2].");
    assert_string_equal(kh_node_str(kh_node_get(c.labels, "team")), "a");
    /* Positions survive the copy. */
    assert_int_equal(c.root->line, o.root->line);
    /* The pods' labels are kept, the containers and the selector are not. */
    const char *path;
    const kh_node *meta = kh_object_pod_metadata(&c, &path);
    assert_string_equal(path, "spec.template.metadata");
    assert_string_equal(kh_node_str(kh_node_path(meta, "labels.app")), "web");
    assert_null(kh_node_path(c.root, "spec.template.spec"));
    assert_null(kh_node_path(c.root, "spec.selector"));
    /* Only suppressions among the annotations; no managedFields. */
    assert_null(kh_node_get(c.metadata, "managedFields"));
    assert_int_equal(c.annotations->len, 1);
    assert_string_equal(kh_node_str(kh_node_get(c.annotations, "ignore.kubeharden.io/some.rule")),
                        "reason");
    /* A whole copy keeps everything. */
    kh_object w;
    assert_int_equal(kh_object_clone(&w, &o, "kept.yaml", NULL, 0, &keep, NULL), 0);
    assert_non_null(kh_node_path(w.root, "spec.template.spec"));
    assert_int_equal(w.annotations->len, 2);
    kh_arena_free(&keep);
}

/* A Pod's metadata kept for its pods is its labels and annotations (not its
 * uid or timestamps), and a path through a sequence keeps that key of each
 * item: the containers keep their ports, each container its mapping. */
static void test_k8s_object__clone_projects_pods_and_sequences(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: v1\nkind: Pod\n"
                              "metadata:\n  name: p\n  uid: u-1\n"
                              "  creationTimestamp: \"2026-11-30T10:00:00Z\"\n"
                              "  labels: {app: web}\n  annotations: {mesh: on}\n"
                              "spec:\n  containers:\n"
                              "  - {name: a, image: x, ports: [{containerPort: 80}],\n"
                              "     securityContext: {privileged: true}}\n"
                              "  - {name: b, image: y}\n",
                              NULL);
    static const char *const fields[] = {KH_FIELD_POD_METADATA,
                                         KH_FIELD_POD_SPEC ".containers.ports"};
    kh_object c;
    kh_arena keep;
    kh_arena_init(&keep, 0);
    assert_int_equal(kh_object_clone(&c, &o, "kept.yaml", fields, 2, &keep, NULL), 0);
    assert_string_equal(c.kind, "Pod");
    assert_string_equal(c.api_version, "v1");
    assert_null(kh_node_get(c.root, "kind")); /* a field of the copy, not a node */
    assert_null(kh_node_get(c.metadata, "uid"));
    assert_null(kh_node_get(c.metadata, "creationTimestamp"));
    assert_string_equal(kh_node_str(kh_node_get(c.labels, "app")), "web");
    assert_string_equal(kh_node_str(kh_node_get(c.annotations, "mesh")), "on");
    const kh_node *cs = kh_node_path(c.root, "spec.containers");
    assert_int_equal(cs->len, 2);
    const kh_node *a = kh_node_at(cs, 0), *b = kh_node_at(cs, 1);
    assert_int_equal(a->len, 1);
    assert_int_equal(kh_node_at(kh_node_get(a, "ports"), 0)->len, 1);
    assert_null(kh_node_get(a, "image"));
    assert_int_equal(b->type, KH_NODE_MAP);
    assert_int_equal(b->len, 0);
    /* Positions survive: the container mapping is where it was. */
    assert_int_equal(a->line, kh_node_at(kh_node_path(o.root, "spec.containers"), 0)->line);
    kh_arena_free(&keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_k8s_object__fields, teardown),
        cmocka_unit_test_teardown(test_k8s_object__clone_keeps_only_what_is_asked, teardown),
        cmocka_unit_test_teardown(test_k8s_object__clone_projects_pods_and_sequences, teardown),
        cmocka_unit_test_teardown(test_k8s_object__core_group_is_empty, teardown),
        cmocka_unit_test_teardown(test_k8s_object__generate_name_is_the_name,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_object__labels_not_a_map_are_null,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_object__missing_kind_is_an_error,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_object__null_root_is_an_error,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__every_workload_kind,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__pod_uses_its_own_metadata,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__pod_template, teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__cronjob, teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__none_for_other_shapes,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__template_without_metadata,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__well_known_custom_resources,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__custom_resources_need_their_group,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_podspec__configured_locations, teardown),
        cmocka_unit_test_teardown(test_k8s_container__order_and_indexes,
                                  teardown),
        cmocka_unit_test_teardown(
            test_k8s_container__lists_that_are_not_sequences, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
