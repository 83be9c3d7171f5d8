/*
 * test_keys.c -- mapping keys: duplicates are errors at their second
 * occurrence (small maps compare pairwise, big ones hash), the reader goes
 * on with the next document, and lookups find keys by exact text.
 *
 * A duplicate `privileged:` is the textbook scanner bypass: one tool reads
 * the first value, another the last.
 */
#include <stdio.h>
#include <stdlib.h>

#include "doc_test.h"

static void test_doc_keys__duplicate_key_is_an_error(void **state)
{
    (void)state;
    kh_error err;
    assert_int_equal(load_error("apiVersion: v1\n"
                                "kind: Pod\n"
                                "spec:\n"
                                "  hostPID: false\n"
                                "  hostPID: true\n", &err),
                     KH_EPARSE);
    assert_error(&err, 5, 3, "duplicate key 'hostPID'");
}

static void test_doc_keys__next_document_still_loads(void **state)
{
    (void)state;
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    const char *text = "kind: A\nkind: B\nspec: {x: [1, 2, {y: 3}]}\n---\nkind: C\n";
    assert_int_equal(kh_doc_reader_new_buffer(&r, text, strlen(text), "t.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), KH_EPARSE);
    assert_error(&err, 2, 1, "duplicate key 'kind'");
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    assert_string_equal(kh_node_str(get(doc.root, "kind")), "C");
    assert_int_equal(doc.index, 1);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 0);
    kh_doc_reader_free(r);
}

static void test_doc_keys__quoted_and_plain_keys_collide(void **state)
{
    (void)state;
    kh_error err;
    load_error("privileged: false\n\"privileged\": true\n", &err);
    assert_error(&err, 2, 1, "duplicate key 'privileged'");
    load_error("1: a\n'1': b\n", &err);
    assert_error(&err, 2, 1, "duplicate key '1'");
}

static void test_doc_keys__duplicate_in_json(void **state)
{
    (void)state;
    kh_error err;
    load_error("{\"a\":1,\"a\":2}", &err);
    assert_error(&err, 1, 8, "duplicate key 'a'");
    load_error("{\"a\": 1, \"\\u0061\": 2}", &err); /* same key once unescaped */
    assert_error(&err, 1, 10, "duplicate key 'a'");
}

/* A mapping of @p n keys k0..k{n-1}, then key k{dup} again when dup >= 0. */
static char *big_map(int n, int dup)
{
    char *buf = malloc((size_t)n * 32 + 64);
    size_t len = (size_t)sprintf(buf, "data:\n");
    for (int i = 0; i < n; i++)
        len += (size_t)sprintf(buf + len, "  k%d: v%d\n", i, i);
    if (dup >= 0)
        sprintf(buf + len, "  k%d: again\n", dup);
    return buf;
}

static void test_doc_keys__big_map_with_a_duplicate(void **state)
{
    (void)state;
    kh_error err;
    char *text = big_map(100, 57);
    load_error(text, &err);
    assert_error(&err, 102, 3, "duplicate key 'k57'");
    free(text);
    text = big_map(17, 0); /* just over the pairwise-compare size */
    load_error(text, &err);
    assert_error(&err, 19, 3, "duplicate key 'k0'");
    free(text);
    text = big_map(16, 15);
    load_error(text, &err);
    assert_error(&err, 18, 3, "duplicate key 'k15'");
    free(text);
}

static void test_doc_keys__big_map_without_duplicates(void **state)
{
    (void)state;
    char *text = big_map(1000, -1);
    const kh_node *data = get(load(text), "data");
    assert_int_equal(data->len, 1000);
    assert_string_equal(kh_node_str(get(data, "k0")), "v0");
    assert_string_equal(kh_node_str(get(data, "k999")), "v999");
    assert_null(kh_node_get(data, "k1000"));
    assert_null(kh_node_get(data, "k"));
    free(text);
}

static void test_doc_keys__same_key_in_different_maps(void **state)
{
    (void)state;
    const kh_node *root = load("a: {name: x}\nb: {name: y}\nc: [{name: 1}, {name: 2}]\n");
    assert_string_equal(kh_node_str(kh_node_path(root, "b.name")), "y");
}

static void test_doc_keys__non_scalar_keys_are_kept(void **state)
{
    (void)state;
    const kh_node *root = load("? [a]\n: 1\n? [a]\n: 2\n? {k: v}\n: 3\na: 4\n");
    assert_int_equal(root->len, 4);
    assert_true(kh_node_is_seq(root->u.pairs[0].key));
    assert_true(kh_node_is_map(root->u.pairs[2].key));
    assert_string_equal(kh_node_str(get(root, "a")), "4");
}

static void test_doc_keys__lookup_is_exact(void **state)
{
    (void)state;
    const kh_node *root = load("Kind: A\nkind: B\n\"\": empty\nnull: n\n~: t\n");
    assert_string_equal(kh_node_str(get(root, "kind")), "B");
    assert_string_equal(kh_node_str(get(root, "Kind")), "A");
    assert_string_equal(kh_node_str(get(root, "")), "empty");
    assert_null(kh_node_get(root, "kin"));
    assert_null(kh_node_get(root, "kinds"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_keys__duplicate_key_is_an_error),
        cmocka_unit_test(test_doc_keys__next_document_still_loads),
        cmocka_unit_test(test_doc_keys__quoted_and_plain_keys_collide),
        cmocka_unit_test(test_doc_keys__duplicate_in_json),
        cmocka_unit_test(test_doc_keys__big_map_with_a_duplicate),
        cmocka_unit_test(test_doc_keys__big_map_without_duplicates),
        cmocka_unit_test(test_doc_keys__same_key_in_different_maps),
        cmocka_unit_test(test_doc_keys__non_scalar_keys_are_kept),
        cmocka_unit_test(test_doc_keys__lookup_is_exact),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
