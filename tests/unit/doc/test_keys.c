/*
 * test_keys.c -- mapping keys: a duplicate keeps its last value, as the API
 * server decodes, and is listed in the document for the scanner to report
 * (small maps compare pairwise, big ones hash); lookups find keys by text.
 *
 * A duplicate `privileged:` is the textbook scanner bypass: one tool reads
 * the first value, another the last. kubeharden evaluates what Kubernetes
 * stores and reports the duplicate itself as a finding.
 */
#include <stdio.h>
#include <stdlib.h>

#include "doc_test.h"

/* Load the one document of @p text, keeping its duplicate-key list. */
static kh_doc load_doc(const char *text)
{
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    assert_int_equal(kh_doc_reader_new_buffer(&r, text, strlen(text), "t.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    kh_doc_reader_free(r);
    return doc;
}

/* The document's duplicates are exactly @p n keys, the first at line:col. */
static void assert_duplicates(const kh_doc *doc, size_t n, unsigned line, unsigned col,
                              const char *key)
{
    assert_int_equal(doc->nduplicate_keys, n);
    assert_int_equal(doc->duplicate_keys[0]->line, line);
    assert_int_equal(doc->duplicate_keys[0]->col, col);
    assert_string_equal(kh_node_str(doc->duplicate_keys[0]), key);
}

static void test_doc_keys__duplicate_key_last_wins_and_is_listed(void **state)
{
    (void)state;
    kh_doc doc = load_doc("apiVersion: v1\n"
                          "kind: Pod\n"
                          "spec:\n"
                          "  hostPID: false\n"
                          "  hostPID: true\n");
    assert_duplicates(&doc, 1, 5, 3, "hostPID");
    const kh_node *spec = get(doc.root, "spec");
    assert_int_equal(spec->len, 1);
    assert_true(kh_node_is_true(get(spec, "hostPID")));
}

static void test_doc_keys__no_duplicates_no_list(void **state)
{
    (void)state;
    kh_doc doc = load_doc("kind: A\nspec: {x: 1}\n");
    assert_int_equal(doc.nduplicate_keys, 0);
    assert_null(doc.duplicate_keys);
}

static void test_doc_keys__three_times_keeps_the_last(void **state)
{
    (void)state;
    kh_doc doc = load_doc("a: 1\nb: 2\na: 3\na: 4\n");
    assert_int_equal(doc.nduplicate_keys, 2);
    assert_int_equal(doc.root->len, 2);
    assert_string_equal(kh_node_str(get(doc.root, "a")), "4");
    assert_string_equal(kh_node_str(doc.root->u.pairs[0].key), "b");
}

static void test_doc_keys__next_document_has_its_own_list(void **state)
{
    (void)state;
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    const char *text = "kind: A\nkind: B\nspec: {x: [1, 2, {y: 3}]}\n---\nkind: C\n";
    assert_int_equal(kh_doc_reader_new_buffer(&r, text, strlen(text), "t.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    assert_duplicates(&doc, 1, 2, 1, "kind");
    assert_string_equal(kh_node_str(get(doc.root, "kind")), "B");
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 1);
    assert_string_equal(kh_node_str(get(doc.root, "kind")), "C");
    assert_int_equal(doc.nduplicate_keys, 0);
    assert_int_equal(doc.index, 1);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), 0);
    kh_doc_reader_free(r);
}

static void test_doc_keys__quoted_and_plain_keys_collide(void **state)
{
    (void)state;
    kh_doc doc = load_doc("privileged: false\n\"privileged\": true\n");
    assert_duplicates(&doc, 1, 2, 1, "privileged");
    assert_true(kh_node_is_true(get(doc.root, "privileged")));
    doc = load_doc("1: a\n'1': b\n");
    assert_duplicates(&doc, 1, 2, 1, "1");
}

static void test_doc_keys__duplicate_in_json(void **state)
{
    (void)state;
    kh_doc doc = load_doc("{\"a\":1,\"a\":2}");
    assert_duplicates(&doc, 1, 1, 8, "a");
    doc = load_doc("{\"a\": 1, \"\\u0061\": 2}"); /* same key once unescaped */
    assert_duplicates(&doc, 1, 1, 10, "a");
    assert_string_equal(kh_node_str(get(doc.root, "a")), "2");
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
    static const struct { int n, dup; unsigned line; const char *key; } cases[] = {
        {100, 57, 102, "k57"},
        {17, 0, 19, "k0"},  /* just over the pairwise-compare size */
        {16, 15, 18, "k15"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = big_map(cases[i].n, cases[i].dup);
        kh_doc doc = load_doc(text);
        assert_duplicates(&doc, 1, cases[i].line, 3, cases[i].key);
        const kh_node *data = get(doc.root, "data");
        assert_int_equal(data->len, (uint32_t)cases[i].n);
        assert_string_equal(kh_node_str(get(data, cases[i].key)), "again");
        free(text);
    }
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
        cmocka_unit_test(test_doc_keys__duplicate_key_last_wins_and_is_listed),
        cmocka_unit_test(test_doc_keys__no_duplicates_no_list),
        cmocka_unit_test(test_doc_keys__three_times_keeps_the_last),
        cmocka_unit_test(test_doc_keys__next_document_has_its_own_list),
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
