/*
 * test_nodeshare.c -- kh_nodeshare_tree: equal subtrees of kept trees are
 * stored once and have no position; the root is each tree's own and keeps
 * its position; the metadata and the name are each object's own too; what
 * differs in type, quoting, order or text is not shared.
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
    /* The names differ, so the metadata does too. */
    assert_ptr_not_equal(get(sa, "metadata"), get(sb, "metadata"));
    assert_string_equal(kh_node_str(get(get(sb, "metadata"), "name")), "b");
    /* Each root is its own, at its own position. */
    assert_ptr_not_equal(sa, sb);
    assert_int_equal(sa->line, a->line);
    assert_int_equal(sa->col, a->col);
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

static void test_doc_nodeshare__an_objects_metadata_and_name_are_its_own(void **state)
{
    (void)state;
    kh_nodeshare ns;
    kh_nodeshare_init(&ns);
    /* Two copies of one object (as a re-list would give): the name, unique in
     * its kind and namespace, is never looked up, so neither is the metadata
     * that holds it; what lies below it is still shared. */
    const char *text = "metadata: {name: a, namespace: n, labels: {app: web}}\nspec: {x: 1}\n";
    const kh_node *sa = kh_nodeshare_tree(&ns, load(text), &test_arena, &test_arena);
    const kh_node *sb = kh_nodeshare_tree(&ns, load(text), &test_arena, &test_arena);
    const kh_node *ma = get(sa, "metadata"), *mb = get(sb, "metadata");
    assert_ptr_not_equal(ma, mb);
    assert_ptr_not_equal(get(ma, "name"), get(mb, "name"));
    assert_ptr_not_equal(get(ma, "name")->u.text, get(mb, "name")->u.text);
    assert_int_equal(get(ma, "name")->line, 0);
    assert_ptr_equal(get(ma, "namespace"), get(mb, "namespace"));
    assert_ptr_equal(get(ma, "labels"), get(mb, "labels"));
    assert_ptr_equal(get(sa, "spec"), get(sb, "spec"));
    /* A "name" elsewhere is an ordinary value. */
    const kh_node *t = kh_nodeshare_tree(&ns, load("spec: {name: a}\nstatus: {name: a}\n"),
                                         &test_arena, &test_arena);
    assert_ptr_equal(get(get(t, "spec"), "name"), get(get(t, "status"), "name"));
    kh_nodeshare_free(&ns);
}

static void test_doc_nodeshare__without_root_positions_nothing_has_one(void **state)
{
    (void)state;
    kh_nodeshare ns;
    kh_nodeshare_init(&ns);
    ns.root_positions = false; /* each object an input of its own (kh_cluster) */
    const kh_node *src = load("\n\n  metadata: {name: a}\n  spec: {x: 1}\n");
    assert_true(src->line > 1);
    const kh_node *t = kh_nodeshare_tree(&ns, src, &test_arena, &test_arena);
    assert_int_equal(t->line, 0);
    assert_int_equal(t->col, 0);
    kh_nodeshare_free(&ns);
    assert_false(ns.root_positions); /* freeing keeps the setting */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_nodeshare__equal_subtrees_are_one_copy_without_position),
        cmocka_unit_test(test_doc_nodeshare__type_quoting_and_order_keep_trees_apart),
        cmocka_unit_test(test_doc_nodeshare__an_objects_metadata_and_name_are_its_own),
        cmocka_unit_test(test_doc_nodeshare__without_root_positions_nothing_has_one),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
