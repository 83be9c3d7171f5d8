/*
 * test_nodeshare.c -- kh_nodeshare_tree: equal subtrees of kept trees, the
 * roots included, are stored once and have no position; metadata.name is
 * left out, so objects that differ only in their names share one tree;
 * what differs in type, quoting, order or text is not shared.
 */
#include "doc_test.h"

#include "doc/nodeshare.h"

static const char *const pod_a =
    "metadata: {name: a, labels: {app: web}}\n"
    "spec: {containers: [{name: app, image: 'r/app:1'}]}\n";
static const char *const pod_b =
    "metadata:\n  name: b\n  labels: {app: web}\n"
    "spec:\n  containers:\n  - {name: app, image: 'r/app:1'}\n";

static void test_doc_nodeshare__equal_subtrees_are_one_copy_without_position(void **state)
{
    (void)state;
    kh_nodeshare ns;
    kh_nodeshare_init(&ns);
    const kh_node *a = load(pod_a), *b = load(pod_b);
    const kh_node *sa = kh_nodeshare_tree(&ns, a, &test_arena, &test_arena);
    const kh_node *sb = kh_nodeshare_tree(&ns, b, &test_arena, &test_arena);
    assert_non_null(sa);
    assert_non_null(sb);
    /* Written differently (flow and block), equal in content: one spec. */
    assert_ptr_equal(get(sa, "spec"), get(sb, "spec"));
    assert_ptr_equal(get(get(sa, "metadata"), "labels"), get(get(sb, "metadata"), "labels"));
    assert_int_equal(get(sa, "spec")->line, 0);
    assert_int_equal(get(sa, "spec")->col, 0);
    /* Only the names differ, and they are left out: one metadata, one root,
     * at no position. */
    assert_null(kh_node_get(get(sb, "metadata"), "name"));
    assert_ptr_equal(get(sa, "metadata"), get(sb, "metadata"));
    assert_ptr_equal(sa, sb);
    assert_int_equal(sa->line, 0);
    assert_int_equal(sa->col, 0);
    /* The same text as a key and as a value is one string. */
    const kh_node *c0 = kh_node_at(get(get(sa, "spec"), "containers"), 0);
    const kh_node *labels = get(get(sa, "metadata"), "labels");
    assert_ptr_equal(get(c0, "name")->u.text, labels->u.pairs[0].key->u.text);
    kh_nodeshare_free(&ns);
}

static void test_doc_nodeshare__type_quoting_and_order_keep_trees_apart(void **state)
{
    (void)state;
    kh_nodeshare ns;
    kh_nodeshare_init(&ns);
    const kh_node *t = kh_nodeshare_tree(
        &ns, load("a: {x: 1, y: '1', z: true, w: 'true', o: {p: 1, q: 2}, r: {q: 2, p: 1}}"),
        &test_arena, &test_arena);
    const kh_node *m = get(t, "a");
    /* 1 (an int) and '1' (a string) have the same text but not the same type. */
    assert_ptr_not_equal(get(m, "x"), get(m, "y"));
    assert_int_equal(get(m, "x")->type, KH_NODE_INT);
    assert_int_equal(get(m, "y")->type, KH_NODE_STRING);
    assert_ptr_not_equal(get(m, "z"), get(m, "w"));
    assert_int_equal(get(m, "z")->type, KH_NODE_BOOL);
    assert_true(get(m, "z")->boolean);
    /* The same pairs in another order are another mapping (order is kept). */
    assert_ptr_not_equal(get(m, "o"), get(m, "r"));
    assert_string_equal(kh_node_str(get(m, "o")->u.pairs[0].key), "p");
    assert_string_equal(kh_node_str(get(m, "r")->u.pairs[0].key), "q");
    /* Equal values under different keys are one node. */
    assert_ptr_equal(get(get(m, "o"), "p"), get(get(m, "r"), "p"));
    kh_nodeshare_free(&ns);
}

static void test_doc_nodeshare__only_the_roots_metadata_loses_its_name(void **state)
{
    (void)state;
    kh_nodeshare ns;
    kh_nodeshare_init(&ns);
    /* The name is left out of the root's metadata only: a "name" anywhere
     * else (a container's, a template's metadata) is content like any
     * other, and a generateName stays. */
    const kh_node *t = kh_nodeshare_tree(
        &ns,
        load("metadata: {name: a, generateName: a-, namespace: n}\n"
             "spec: {name: a, metadata: {name: b}, template: {metadata: {name: c}}}\n"
             "status: {name: a}\n"),
        &test_arena, &test_arena);
    const kh_node *md = get(t, "metadata");
    assert_int_equal(md->len, 2);
    assert_null(kh_node_get(md, "name"));
    assert_string_equal(kh_node_str(get(md, "generateName")), "a-");
    assert_string_equal(kh_node_str(get(get(get(t, "spec"), "metadata"), "name")), "b");
    assert_string_equal(
        kh_node_str(get(get(get(get(t, "spec"), "template"), "metadata"), "name")), "c");
    assert_ptr_equal(get(get(t, "spec"), "name"), get(get(t, "status"), "name"));
    /* Objects that differ in more than their names keep their own trees. */
    const kh_node *x = kh_nodeshare_tree(&ns, load("metadata: {name: x, namespace: n}\n"),
                                         &test_arena, &test_arena);
    const kh_node *y = kh_nodeshare_tree(&ns, load("metadata: {name: y, namespace: m}\n"),
                                         &test_arena, &test_arena);
    assert_ptr_not_equal(x, y);
    assert_ptr_not_equal(get(x, "metadata"), get(y, "metadata"));
    kh_nodeshare_free(&ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_nodeshare__equal_subtrees_are_one_copy_without_position),
        cmocka_unit_test(test_doc_nodeshare__type_quoting_and_order_keep_trees_apart),
        cmocka_unit_test(test_doc_nodeshare__only_the_roots_metadata_loses_its_name),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
