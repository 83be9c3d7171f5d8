/*
 * test_objset.c -- the object set: kind and namespace indexes, stable
 * object pointers, and kh_objset_select through the label index (10,000
 * objects), with results in insertion order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "k8s/internal.h"
#include "k8s/k8s.h"
#include "nodes.h"

static int teardown(void **state)
{
    (void)state;
    t_arena_free();
    return 0;
}

/* Add every item of a YAML sequence of objects; @return the set. */
static kh_objset *load_set(const char *yaml)
{
    kh_objset *set = NULL;
    kh_error err = {0};
    assert_int_equal(kh_objset_new(&set, &err), 0);
    const kh_node *seq = yaml_load(yaml);
    assert_int_equal(seq->type, KH_NODE_SEQ);
    for (uint32_t i = 0; i < seq->len; i++) {
        kh_object o;
        char *prefix = kh_arena_printf(t_arena(), "items[%u].", i);
        if (kh_object_from_node(&o, seq->u.items[i], "t.yaml", prefix,
                                t_arena(), &err) != 0)
            fail_msg("item %u: %s", i, err.message);
        assert_int_equal(kh_objset_add(set, &o), 0);
    }
    return set;
}

static const kh_selector *selector(const char *yaml)
{
    const kh_selector *sel = NULL;
    kh_error err = {0};
    if (kh_selector_compile(&sel, yaml_load(yaml), t_arena(), &err) != 0)
        fail_msg("selector: %s", err.message);
    return sel;
}

/* Collects the names of selected objects, comma-separated. */
typedef struct names {
    char buf[4096];
    size_t calls;
    size_t stop_after;           /* 0 = never stop */
} names;

static int collect(const kh_object *obj, void *ud)
{
    names *n = ud;
    size_t len = strlen(n->buf);
    snprintf(n->buf + len, sizeof(n->buf) - len, "%s%s", len ? "," : "",
             obj->name);
    n->calls++;
    return n->stop_after && n->calls == n->stop_after ? 7 : 0;
}

static const char *select_names(const kh_objset *set, const char *kind,
                                const char *ns, const kh_selector *sel)
{
    static names n;
    memset(&n, 0, sizeof(n));
    assert_int_equal(kh_objset_select(set, kind, ns, sel, collect, &n), 0);
    return n.buf;
}

static const char small_set[] =
    "- {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: shop,"
    " labels: {app: web, tier: front}}}\n"
    "- {apiVersion: v1, kind: Service, metadata: {name: b, namespace: shop,"
    " labels: {app: web}}}\n"
    "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: c,"
    " namespace: shop, labels: {app: api, version: 1}}}\n"
    "- {apiVersion: v1, kind: Pod, metadata: {name: d, namespace: blog,"
    " labels: {app: web, tier: back}}}\n"
    "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole,"
    " metadata: {name: e}}\n"
    "- {apiVersion: v1, kind: Pod, metadata: {name: f, labels: {app: web,"
    " version: '1', canary: 'true'}}}\n";

/* ---------------------------------------------------------------- indexes */

static void test_k8s_objset__by_kind_and_namespace(void **state)
{
    (void)state;
    kh_objset *set = load_set(small_set);
    const kh_object *const *objs;
    assert_int_equal(kh_objset_count(set), 6);
    assert_int_equal(kh_objset_by_kind(set, "Pod", &objs), 3);
    assert_string_equal(objs[0]->name, "a");
    assert_string_equal(objs[1]->name, "d");
    assert_string_equal(objs[2]->name, "f");
    assert_ptr_equal(objs[1], kh_objset_at(set, 3));
    assert_int_equal(kh_objset_by_kind(set, "ClusterRole", &objs), 1);
    assert_string_equal(objs[0]->path_prefix, "items[4].");
    assert_int_equal(kh_objset_by_kind(set, "pod", &objs), 0);
    assert_null(objs);
    assert_int_equal(kh_objset_by_kind(set, "Secret", &objs), 0);
    assert_string_equal(select_names(set, NULL, "shop", selector("{}")), "a,b,c");
    assert_string_equal(select_names(set, NULL, "", selector("{}")), "e,f");
    assert_int_equal(kh_objset__candidates(set, NULL, "", selector("{}")), 2);
    assert_null(kh_objset_at(set, 6));
    kh_objset_free(set);
}

static void test_k8s_objset__pointers_survive_growth(void **state)
{
    (void)state;
    kh_objset *set = load_set(small_set);
    const kh_object *first = kh_objset_at(set, 0);
    const kh_node *item = yaml_load("{apiVersion: v1, kind: ConfigMap,"
                                    " metadata: {name: cm, labels: {k: v}}}");
    kh_object cm;
    assert_int_equal(kh_object_from_node(&cm, item, NULL, NULL, t_arena(),
                                         NULL),
                     0);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(kh_objset_add(set, &cm), 0);
    assert_ptr_equal(kh_objset_at(set, 0), first);
    assert_string_equal(first->name, "a");
    const kh_object *const *objs;
    assert_int_equal(kh_objset_by_kind(set, "ConfigMap", &objs), 3000);
    assert_ptr_equal(objs[2999], kh_objset_at(set, 3005));
    assert_int_equal(kh_objset_count(set), 3006);
    kh_objset_free(set);
    kh_objset_free(NULL);
}

/* ---------------------------------------------------------------- select */

static void test_k8s_objset__select_filters(void **state)
{
    (void)state;
    kh_objset *set = load_set(small_set);
    const kh_selector *web = selector("matchLabels: {app: web}");
    assert_string_equal(select_names(set, NULL, NULL, web), "a,b,d,f");
    assert_string_equal(select_names(set, "Pod", NULL, web), "a,d,f");
    assert_string_equal(select_names(set, "Pod", "shop", web), "a");
    assert_string_equal(select_names(set, NULL, "", web), "f");
    assert_string_equal(select_names(set, "Secret", NULL, web), "");
    assert_string_equal(select_names(set, NULL, "nope", web), "");
    /* equality plus set-based requirements */
    assert_string_equal(
        select_names(set, NULL, NULL,
                     selector("matchLabels: {app: web}\nmatchExpressions:\n"
                              "- {key: tier, operator: NotIn, values: [back]}\n")),
        "a,b,f");
    /* no equality requirement: a scan, still in insertion order */
    assert_string_equal(
        select_names(set, NULL, NULL,
                     selector("matchExpressions: [{key: tier, operator: Exists}]")),
        "a,d");
    assert_string_equal(
        select_names(set, "Pod", NULL,
                     selector("matchExpressions: [{key: app, operator: In,"
                              " values: [api, web]}]")),
        "a,d,f");
    /* everything and nothing */
    assert_string_equal(select_names(set, NULL, "shop", selector("{}")), "a,b,c");
    assert_string_equal(select_names(set, NULL, NULL, selector("~")), "");
    /* a value absent from the index */
    assert_string_equal(select_names(set, NULL, NULL,
                                     selector("matchLabels: {app: nope}")),
                        "");
    kh_objset_free(set);
}

static void test_k8s_objset__select_scalar_label_values(void **state)
{
    (void)state;
    kh_objset *set = load_set(small_set);
    /* `version: 1` and `version: '1'` are the same label value */
    assert_string_equal(select_names(set, NULL, NULL,
                                     selector("matchLabels: {version: '1'}")),
                        "c,f");
    assert_string_equal(select_names(set, NULL, NULL,
                                     selector("matchLabels: {canary: true}")),
                        "f");
    const kh_selector *svc = NULL;
    assert_int_equal(kh_selector_from_map(&svc, yaml_load("{app: web, tier: back}"),
                                          t_arena(), NULL),
                     0);
    assert_string_equal(select_names(set, "Pod", NULL, svc), "d");
    kh_objset_free(set);
}

static void test_k8s_objset__select_stops_on_nonzero(void **state)
{
    (void)state;
    kh_objset *set = load_set(small_set);
    names n;
    memset(&n, 0, sizeof(n));
    n.stop_after = 2;
    assert_int_equal(kh_objset_select(set, NULL, NULL,
                                      selector("matchLabels: {app: web}"),
                                      collect, &n),
                     7);
    assert_string_equal(n.buf, "a,b");
    kh_objset_free(set);
}

/* 10,000 objects in 100 namespaces, each with a unique app label. */
static char *big_yaml(size_t count)
{
    size_t cap = count * 160 + 1;
    char *buf = malloc(cap);
    size_t len = 0;
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(buf + len, cap - len,
                                "- {apiVersion: v1, kind: %s, metadata: {name: "
                                "o%zu, namespace: ns%zu, labels: {app: a%zu,"
                                " tier: t%zu, shard: s%zu}}}\n",
                                i % 2 ? "Service" : "Pod", i, i % 100, i,
                                i % 3, i % 1000);
    return buf;
}

static void test_k8s_objset__select_uses_label_index(void **state)
{
    (void)state;
    enum { N = 10000 };
    char *yaml = big_yaml(N);
    kh_objset *set = load_set(yaml);
    free(yaml);
    assert_int_equal(kh_objset_count(set), N);

    const kh_selector **sels = malloc(N * sizeof(*sels));
    for (size_t i = 0; i < N; i++) {
        char text[96];
        snprintf(text, sizeof(text),
                 "matchLabels: {tier: t%zu, app: a%zu}", i % 3, i);
        sels[i] = selector(text);
    }
    size_t found = 0, wrong = 0;
    for (size_t i = 0; i < N; i++) {
        names n;
        n.buf[0] = '\0';
        n.calls = n.stop_after = 0;
        kh_objset_select(set, NULL, NULL, sels[i], collect, &n);
        char want[32];
        snprintf(want, sizeof(want), "o%zu", i);
        found += n.calls;
        wrong += strcmp(n.buf, want) != 0;
    }
    assert_int_equal(found, N);
    assert_int_equal(wrong, 0);
    /* the smallest posting list (app=a<i>) has one object */
    for (size_t i = 0; i < N; i++)
        assert_int_equal(kh_objset__candidates(set, NULL, NULL, sels[i]), 1);
    free(sels);

    /* shard=s7 has ten objects, in insertion order; kind narrows further */
    const kh_selector *shard = selector("matchLabels: {shard: s7}");
    assert_int_equal(kh_objset__candidates(set, NULL, NULL, shard), 10);
    assert_string_equal(select_names(set, NULL, NULL, shard),
                        "o7,o1007,o2007,o3007,o4007,o5007,o6007,o7007,o8007,o9007");
    assert_string_equal(select_names(set, "Pod", NULL, shard), "");
    /* with no equality requirement the namespace list is the candidates */
    const kh_selector *exists = selector(
        "matchExpressions: [{key: shard, operator: In, values: [s7, s8]}]");
    assert_int_equal(kh_objset__candidates(set, NULL, "ns7", exists), 100);
    assert_string_equal(select_names(set, NULL, "ns7", exists),
                        "o7,o1007,o2007,o3007,o4007,o5007,o6007,o7007,o8007,o9007");
    assert_int_equal(kh_objset__candidates(set, "Pod", NULL, exists), N / 2);
    assert_int_equal(kh_objset__candidates(set, NULL, NULL, exists), N);
    assert_int_equal(kh_objset__candidates(set, NULL, NULL, selector("~")), 0);
    kh_objset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_k8s_objset__by_kind_and_namespace,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_objset__pointers_survive_growth,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_objset__select_filters, teardown),
        cmocka_unit_test_teardown(test_k8s_objset__select_scalar_label_values,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_objset__select_stops_on_nonzero,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_objset__select_uses_label_index,
                                  teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
