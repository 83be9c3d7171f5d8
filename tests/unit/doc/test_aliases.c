/*
 * test_aliases.c -- anchors, aliases, `<<` merges and the limits that keep
 * hostile documents (alias bombs, deep nesting) cheap to refuse.
 *
 * An alias must share its anchor's node, a bomb must fail with KH_ELIMIT
 * while using almost no memory, and a merge must give the mapping that
 * Kubernetes would see, with no `<<` pair and no duplicate key left.
 */
#include <stdio.h>
#include <stdlib.h>

#include "doc_test.h"

static void test_doc_aliases__alias_shares_the_anchored_node(void **state)
{
    (void)state;
    const kh_node *root = load("a: &sc {privileged: true}\n"
                               "b: *sc\n"
                               "c: &name web\n"
                               "d: [*name, *sc]\n");
    assert_ptr_equal(get(root, "a"), get(root, "b"));
    assert_ptr_equal(get(root, "c"), kh_node_at(get(root, "d"), 0));
    assert_ptr_equal(get(root, "a"), kh_node_at(get(root, "d"), 1));
    assert_true(kh_node_is_true(kh_node_path(root, "b.privileged")));
}

static void test_doc_aliases__redefined_anchor_uses_the_latest(void **state)
{
    (void)state;
    const kh_node *root = load("a: &x 1\nb: *x\nc: &x 2\nd: *x\n"
                               "e: &y [&y inner, *y]\nf: *y\n");
    assert_string_equal(kh_node_str(get(root, "b")), "1");
    assert_string_equal(kh_node_str(get(root, "d")), "2");
    assert_string_equal(kh_node_str(kh_node_at(get(root, "e"), 1)), "inner");
    assert_string_equal(kh_node_str(get(root, "f")), "inner");
}

static void test_doc_aliases__unknown_alias(void **state)
{
    (void)state;
    kh_error err;
    assert_int_equal(load_error("a: 1\nb: *nope\n", &err), KH_EPARSE);
    assert_error(&err, 2, 4, "unknown anchor 'nope' referenced");
}

static void test_doc_aliases__anchors_end_with_their_document(void **state)
{
    (void)state;
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    const char *text = "a: &x 1\n---\nb: *x\n---\nc: 3\n";
    assert_int_equal(kh_doc_reader_new_buffer(&r, text, strlen(text), "t.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), KH_EPARSE);
    assert_error(&err, 3, 4, "unknown anchor 'x' referenced");
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    assert_non_null(kh_node_get(doc.root, "c"));
    assert_int_equal(doc.index, 2);
    kh_doc_reader_free(r);
}

static void test_doc_aliases__recursive_alias(void **state)
{
    (void)state;
    kh_error err;
    load_error("a: &a [1, *a]\n", &err);
    assert_error(&err, 1, 11, "anchor 'a' value contains itself");
}

/* The classic: nine levels, each a list of nine aliases of the level below. */
static char *billion_laughs(int levels)
{
    char *buf = malloc(4096);
    size_t n = (size_t)sprintf(buf, "kind: ConfigMap\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i <= levels; i++) {
        n += (size_t)sprintf(buf + n, "l%d: &l%d [", i, i);
        for (int j = 0; j < 9; j++)
            n += (size_t)sprintf(buf + n, "%s*l%d", j ? ", " : "", i - 1);
        n += (size_t)sprintf(buf + n, "]\n");
    }
    sprintf(buf + n, "---\nkind: After\n");
    return buf;
}

static void test_doc_aliases__billion_laughs_is_refused(void **state)
{
    (void)state;
    char *text = billion_laughs(9);
    kh_arena arena;
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    kh_arena_init(&arena, 4096);
    assert_int_equal(kh_doc_reader_new_buffer(&r, text, strlen(text), "t.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &arena, &doc, &err), KH_ELIMIT);
    assert_string_equal(err.message, "alias expansion exceeds limit of 4194304 nodes");
    /* l5 expands to 597871 nodes, and the 6th alias of it in l6 takes
     * the document past 4M: refused there, before l7..l9 are even read */
    assert_int_equal(err.line, 8);
    assert_int_equal(err.col, 10 + 5 * 5); /* "*l5, " is 5 columns */
    /* the tree is a DAG: memory is a few KiB, not proportional to 9^9 */
    assert_true(arena.used_total < 64 * 1024);
    assert_int_equal(kh_doc_reader_next(r, &arena, &doc, &err), 1);
    assert_string_equal(kh_node_str(get(doc.root, "kind")), "After");
    kh_doc_reader_free(r);
    kh_arena_free(&arena);
    free(text);
}

static void test_doc_aliases__moderate_aliasing_is_allowed(void **state)
{
    (void)state;
    char *text = billion_laughs(5); /* 9^6 = 531441 nodes when expanded */
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    assert_int_equal(kh_doc_reader_new_buffer(&r, text, strlen(text), "t.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    const kh_node *l5 = get(doc.root, "l5");
    assert_int_equal(l5->len, 9);
    assert_ptr_equal(kh_node_at(l5, 0), kh_node_at(l5, 8));
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    kh_doc_reader_free(r);
    free(text);
}

static char *nested(int depth)
{
    char *buf = malloc((size_t)depth * 2 + 2);
    for (int i = 0; i < depth; i++) {
        buf[i] = '[';
        buf[2 * depth - 1 - i] = ']';
    }
    buf[2 * depth] = '\n';
    buf[2 * depth + 1] = '\0';
    return buf;
}

static void test_doc_aliases__depth_limit(void **state)
{
    (void)state;
    kh_error err;
    char *ok = nested(KH_DOC_MAX_DEPTH), *deep = nested(KH_DOC_MAX_DEPTH + 1);
    const kh_node *n = load(ok);
    for (int i = 1; i < KH_DOC_MAX_DEPTH; i++)
        n = kh_node_at(n, 0);
    assert_true(kh_node_is_seq(n));
    assert_int_equal(n->len, 0);
    assert_int_equal(load_error(deep, &err), KH_ELIMIT);
    assert_error(&err, 1, KH_DOC_MAX_DEPTH + 1, "nesting depth exceeds limit of 256");
    free(ok);
    free(deep);
}

static void test_doc_aliases__merge_single_map(void **state)
{
    (void)state;
    const kh_node *root = load("base: &base {image: nginx, privileged: true}\n"
                               "c:\n"
                               "  <<: *base\n"
                               "  name: web\n");
    const kh_node *c = get(root, "c");
    assert_int_equal(c->len, 3);
    assert_null(kh_node_get(c, "<<"));
    assert_string_equal(kh_node_str(get(c, "image")), "nginx");
    assert_true(kh_node_is_true(get(c, "privileged")));
    /* merged values are the anchor's nodes, not copies */
    assert_ptr_equal(get(c, "image"), kh_node_path(root, "base.image"));
    /* order: merged pairs where `<<` stood */
    assert_string_equal(kh_node_str(c->u.pairs[0].key), "image");
    assert_string_equal(kh_node_str(c->u.pairs[2].key), "name");
}

static void test_doc_aliases__merge_list_earlier_wins(void **state)
{
    (void)state;
    const kh_node *root = load("a: &a {x: from-a, y: from-a}\n"
                               "b: &b {x: from-b, z: from-b}\n"
                               "m:\n"
                               "  <<: [*a, *b, {w: inline}]\n");
    const kh_node *m = get(root, "m");
    assert_int_equal(m->len, 4);
    assert_string_equal(kh_node_str(get(m, "x")), "from-a");
    assert_string_equal(kh_node_str(get(m, "y")), "from-a");
    assert_string_equal(kh_node_str(get(m, "z")), "from-b");
    assert_string_equal(kh_node_str(get(m, "w")), "inline");
}

static void test_doc_aliases__merge_explicit_keys_after_win(void **state)
{
    (void)state;
    const kh_node *root = load("base: &base {privileged: true, image: x}\n"
                               "c:\n"
                               "  <<: *base\n"
                               "  privileged: false\n");
    const kh_node *c = get(root, "c");
    assert_int_equal(c->len, 2);
    assert_true(kh_node_is_false(get(c, "privileged")));
    assert_int_equal(get(c, "privileged")->line, 4);
}

static void test_doc_aliases__merge_over_an_earlier_key_is_ambiguous(void **state)
{
    (void)state;
    kh_error err;
    /* go-yaml v2 (kubectl) would give true here, the YAML spec false */
    load_error("base: &base {privileged: true}\n"
               "c:\n"
               "  privileged: false\n"
               "  <<: *base\n", &err);
    assert_error(&err, 4, 3,
                 "ambiguous merge: key 'privileged' is set before '<<' "
                 "and by the merged mapping");
}

static void test_doc_aliases__merge_nested_and_flow(void **state)
{
    (void)state;
    const kh_node *root = load("a: &a {x: 1}\n"
                               "b: &b {<<: *a, y: 2}\n"
                               "c: {<<: *b, z: 3}\n"
                               "d: {\"<<\": not-a-merge}\n"
                               "e: {!!merge <<: {t: 1}}\n");
    const kh_node *c = get(root, "c");
    assert_int_equal(c->len, 3);
    assert_non_null(kh_node_get(c, "x"));
    assert_non_null(kh_node_get(c, "y"));
    assert_string_equal(kh_node_str(get(get(root, "d"), "<<")), "not-a-merge");
    assert_non_null(kh_node_get(get(root, "e"), "t"));
}

static void test_doc_aliases__bad_merge_values(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "m:\n  <<: 5\n",
        "m:\n  <<:\n",
        "m:\n  <<: [{a: 1}, 2]\n",
        "s: &s [{a: 1}]\nm:\n  <<: *s\n",
        "x: &x str\nm:\n  <<: [*x]\n",
    };
    static const unsigned lines[] = {2, 2, 2, 3, 3};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kh_error err;
        assert_int_equal(load_error(bad[i], &err), KH_EPARSE);
        assert_error(&err, lines[i], 3,
                     "map merge requires map or sequence of maps as the value");
    }
}

static void test_doc_aliases__two_merge_keys_are_duplicates(void **state)
{
    (void)state;
    kh_error err;
    load_error("m:\n  <<: {a: 1}\n  <<: {b: 1}\n", &err);
    assert_error(&err, 3, 3, "duplicate key '<<'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_aliases__alias_shares_the_anchored_node),
        cmocka_unit_test(test_doc_aliases__redefined_anchor_uses_the_latest),
        cmocka_unit_test(test_doc_aliases__unknown_alias),
        cmocka_unit_test(test_doc_aliases__anchors_end_with_their_document),
        cmocka_unit_test(test_doc_aliases__recursive_alias),
        cmocka_unit_test(test_doc_aliases__billion_laughs_is_refused),
        cmocka_unit_test(test_doc_aliases__moderate_aliasing_is_allowed),
        cmocka_unit_test(test_doc_aliases__depth_limit),
        cmocka_unit_test(test_doc_aliases__merge_single_map),
        cmocka_unit_test(test_doc_aliases__merge_list_earlier_wins),
        cmocka_unit_test(test_doc_aliases__merge_explicit_keys_after_win),
        cmocka_unit_test(test_doc_aliases__merge_over_an_earlier_key_is_ambiguous),
        cmocka_unit_test(test_doc_aliases__merge_nested_and_flow),
        cmocka_unit_test(test_doc_aliases__bad_merge_values),
        cmocka_unit_test(test_doc_aliases__two_merge_keys_are_duplicates),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
