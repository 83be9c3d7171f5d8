/*
 * test_load.c -- the streaming reader: positions, multi-document streams,
 * JSON input, CRLF files, empty documents, malformed input and the
 * single-document loader (bad input at length: test_recover.c, JSON
 * streams: test_json.c).
 *
 * Streams are read both from buffers and from FILE * (fmemopen), since the
 * two feed libyaml differently. Positions are 1-based and point at the
 * first character of a node.
 */
#include <stdio.h>

#include "doc_test.h"

/* A reader over @p text, from a buffer or, with @p file set, a FILE *. */
typedef struct stream {
    kh_doc_reader *r;
    FILE *f;
} stream;

static void open_stream(stream *s, const char *text, bool file)
{
    kh_error err;
    s->f = NULL;
    if (file) {
        s->f = fmemopen((void *)text, strlen(text), "r");
        assert_non_null(s->f);
        assert_int_equal(kh_doc_reader_new_stream(&s->r, s->f, "t.yaml", &err), 0);
    } else {
        assert_int_equal(
            kh_doc_reader_new_buffer(&s->r, text, strlen(text), "t.yaml", &err), 0);
    }
}

static void close_stream(stream *s)
{
    kh_doc_reader_free(s->r);
    if (s->f)
        fclose(s->f);
}

static const kh_node *next_doc(stream *s, kh_doc *doc)
{
    kh_error err = {0};
    int rc = kh_doc_reader_next(s->r, &test_arena, doc, &err);
    if (rc != 1)
        print_error("next: %d %s\n", rc, err.message);
    assert_int_equal(rc, 1);
    assert_non_null(doc->root);
    assert_string_equal(doc->file, "t.yaml");
    return doc->root;
}

static void assert_end(stream *s)
{
    kh_doc doc;
    kh_error err = {0};
    assert_int_equal(kh_doc_reader_next(s->r, &test_arena, &doc, &err), 0);
    assert_int_equal(kh_doc_reader_next(s->r, &test_arena, &doc, &err), 0);
}

static void assert_pos(const kh_node *n, unsigned line, unsigned col)
{
    assert_non_null(n);
    if (n->line != line || n->col != col)
        print_error("at %u:%u, want %u:%u\n", n->line, n->col, line, col);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

/* The key node of @p key in @p map. */
static const kh_node *key_node(const kh_node *map, const char *key)
{
    for (uint32_t i = 0; i < map->len; i++)
        if (!strcmp(kh_node_str(map->u.pairs[i].key), key))
            return map->u.pairs[i].key;
    fail_msg("no key '%s'", key);
    return NULL;
}

static void test_doc_load__positions(void **state)
{
    (void)state;
    const kh_node *root = load("apiVersion: v1\n"
                               "kind: Pod\n"
                               "spec:\n"
                               "  containers:\n"
                               "  - name: app\n"
                               "    securityContext: {privileged: true}\n");
    assert_pos(root, 1, 1);
    assert_pos(key_node(root, "kind"), 2, 1);
    assert_pos(get(root, "kind"), 2, 7);
    const kh_node *spec = get(root, "spec");
    assert_pos(spec, 4, 3);
    const kh_node *containers = get(spec, "containers");
    assert_pos(containers, 5, 3);
    const kh_node *c0 = kh_node_at(containers, 0);
    assert_pos(c0, 5, 5);
    assert_pos(get(c0, "name"), 5, 11);
    const kh_node *sc = get(c0, "securityContext");
    assert_pos(sc, 6, 22);
    assert_pos(key_node(sc, "privileged"), 6, 23);
    assert_pos(get(sc, "privileged"), 6, 35);
    assert_ptr_equal(kh_node_path(root, "spec.containers"), containers);
}

static void check_multi_document(bool file)
{
    stream s;
    kh_doc doc;
    open_stream(&s, "a: 1\n---\nb: 2\n---\n# third\nc: 3\n...\n", file);
    assert_int_equal(kh_node_str(get(next_doc(&s, &doc), "a"))[0], '1');
    assert_int_equal(doc.index, 0);
    assert_int_equal(doc.line, 1);
    assert_non_null(kh_node_get(next_doc(&s, &doc), "b"));
    assert_int_equal(doc.index, 1);
    assert_int_equal(doc.line, 2);
    assert_int_equal(doc.col, 1);
    const kh_node *c = next_doc(&s, &doc);
    assert_int_equal(doc.index, 2);
    assert_pos(get(c, "c"), 6, 4);
    assert_end(&s);
    assert_true(kh_doc_reader_offset(s.r) > 0);
    close_stream(&s);
}

static void test_doc_load__multi_document_stream(void **state)
{
    (void)state;
    check_multi_document(false);
    check_multi_document(true);
}

static void test_doc_load__empty_documents_are_skipped(void **state)
{
    (void)state;
    stream s;
    kh_doc doc;
    open_stream(&s, "---\n---\n# only a comment\n---\nkind: A\n---\n~\n---\nnull\n---\n",
                false);
    next_doc(&s, &doc);
    assert_int_equal(doc.index, 2);
    assert_end(&s);
    close_stream(&s);

    open_stream(&s, "# nothing here\n\n", true);
    assert_end(&s);
    close_stream(&s);
    open_stream(&s, "", false);
    assert_end(&s);
    close_stream(&s);
}

static void test_doc_load__json_object(void **state)
{
    (void)state;
    const kh_node *root =
        load("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"n\":-1.5e2,\"i\":10,"
             "\"t\":true,\"f\":false,\"z\":null,"
             "\"s\":\"caf\\u00e9 \\\"q\\\" \\\\ \\/\",\"a\":[1,\"2\",{\"b\":[]}],"
             "\"e\":{}}");
    assert_string_equal(kh_node_str(get(root, "kind")), "Pod");
    assert_pos(get(root, "kind"), 1, 27);
    assert_int_equal(get(root, "n")->type, KH_NODE_FLOAT);
    int64_t i = 0;
    assert_true(kh_node_int(get(root, "i"), &i));
    assert_true(i == 10);
    assert_true(kh_node_is_true(get(root, "t")));
    assert_true(kh_node_is_false(get(root, "f")));
    assert_true(kh_node_is_null(get(root, "z")));
    assert_string_equal(kh_node_str(get(root, "s")), "caf\xc3\xa9 \"q\" \\ /");
    const kh_node *a = get(root, "a");
    assert_int_equal(a->len, 3);
    assert_int_equal(kh_node_at(a, 1)->type, KH_NODE_STRING);
    assert_true(kh_node_is_seq(get(kh_node_at(a, 2), "b")));
    assert_int_equal(get(kh_node_at(a, 2), "b")->len, 0);
    assert_true(kh_node_is_map(get(root, "e")));
    assert_int_equal(get(root, "e")->len, 0);
}

static void test_doc_load__json_multiline(void **state)
{
    (void)state;
    const kh_node *root = load("{\n"
                               "\t\"kind\": \"Pod\",\n"
                               "\t\"spec\": {\n"
                               "\t\t\"hostPID\": true,\n"
                               "\t\t\"containers\": [\n"
                               "\t\t\t{\"name\": \"a\"}\n"
                               "\t\t]\n"
                               "\t}\n"
                               "}\n");
    assert_pos(key_node(root, "kind"), 2, 2);
    assert_pos(get(root, "kind"), 2, 10);
    const kh_node *spec = get(root, "spec");
    assert_true(kh_node_is_true(get(spec, "hostPID")));
    assert_pos(get(spec, "hostPID"), 4, 14);
    assert_pos(kh_node_at(get(spec, "containers"), 0), 6, 4);
}

static void test_doc_load__json_list_document(void **state)
{
    (void)state;
    const kh_node *root = load("[{\"kind\":\"A\"},\r\n {\"kind\":\"B\"}]\r\n");
    assert_true(kh_node_is_seq(root));
    assert_string_equal(kh_node_str(get(kh_node_at(root, 1), "kind")), "B");
    assert_pos(kh_node_at(root, 1), 2, 2);
}

static void test_doc_load__crlf_input(void **state)
{
    (void)state;
    stream s;
    kh_doc doc;
    open_stream(&s, "a: 1\r\nb:\r\n  c: yes\r\n  d: |\r\n    x\r\n---\r\ne: f\r\n", true);
    const kh_node *root = next_doc(&s, &doc);
    const kh_node *b = get(root, "b");
    assert_pos(b, 3, 3);
    assert_true(kh_node_is_true(get(b, "c")));
    assert_pos(get(b, "c"), 3, 6);
    assert_string_equal(kh_node_str(get(b, "d")), "x\n");
    root = next_doc(&s, &doc);
    assert_int_equal(doc.line, 6);
    assert_string_equal(kh_node_str(get(root, "e")), "f");
    assert_end(&s);
    close_stream(&s);
}

static void check_malformed(bool file)
{
    stream s;
    kh_doc doc;
    kh_error err = {0};
    open_stream(&s, "ok: 1\n---\na: b: c\n---\nstill: read\n", file);
    next_doc(&s, &doc);
    assert_int_equal(kh_doc_reader_next(s.r, &test_arena, &doc, &err), KH_EPARSE);
    assert_error(&err, 3, 5, "mapping values are not allowed in this context");
    assert_non_null(kh_node_get(next_doc(&s, &doc), "still"));
    assert_int_equal(doc.index, 2);
    assert_end(&s);
    close_stream(&s);
}

static void test_doc_load__malformed_yaml_spoils_one_document(void **state)
{
    (void)state;
    check_malformed(false);
    check_malformed(true);
    kh_error err;
    load_error("a: [1, 2\nb: 3\n", &err);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 2);
    assert_string_equal(err.message,
                        "did not find expected ',' or ']' "
                        "(while parsing a flow sequence at line 1, column 4)");
    load_error("a: \"open\n", &err);
    assert_int_equal(err.code, KH_EPARSE);
    assert_int_equal(err.line, 2);
}

static void test_doc_load__invalid_utf8(void **state)
{
    (void)state;
    kh_error err;
    load_error("a: b\nc: \xff\n", &err);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 4);
    assert_string_equal(err.message,
                        "invalid leading UTF-8 octet (byte 0xff at offset 8)");
}

/* A file stream is decoded ahead of the parser, so the reader places a bad
 * byte by counting the bytes it still holds. */
static void test_doc_load__invalid_utf8_in_a_file_has_a_position(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    fputs("a: b\r\nc: d\r\ne: \xff\n", f);
    rewind(f);
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    assert_int_equal(kh_doc_reader_new_stream(&r, f, "f.yaml", &err), 0);
    assert_int_equal(kh_doc_reader_next(r, &test_arena, &doc, &err), KH_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 4);
    kh_doc_reader_free(r);
    fclose(f);
}

static void test_doc_load__load_buffer(void **state)
{
    (void)state;
    kh_error err;
    const kh_node *root = load("a: 1\n---\n");
    assert_non_null(kh_node_get(root, "a"));
    load_error("", &err);
    assert_int_equal(err.code, KH_EPARSE);
    assert_string_equal(err.message, "empty document");
    load_error("# just a comment\n---\n", &err);
    assert_string_equal(err.message, "empty document");
    load_error("a: 1\n---\nb: 2\n", &err);
    assert_error(&err, 2, 1, "expected a single document");
    load_error("a: 1\n---\nb: [\n", &err);
    assert_int_equal(err.code, KH_EPARSE);
    assert_int_equal(kh_doc_load_buffer(NULL, &test_arena, "", 0, NULL, NULL),
                     KH_EUSAGE);
}

static void test_doc_load__empty_collections(void **state)
{
    (void)state;
    const kh_node *map = load("{}");
    assert_true(kh_node_is_map(map));
    assert_int_equal(map->len, 0);
    assert_null(kh_node_get(map, "a"));
    const kh_node *seq = load("[]\n");
    assert_true(kh_node_is_seq(seq));
    assert_int_equal(seq->len, 0);
    assert_null(kh_node_at(seq, 0));
    assert_int_equal(get(load("a: {}\nb: []\n"), "b")->len, 0);
}

static void test_doc_load__offset_reaches_the_end(void **state)
{
    (void)state;
    stream s;
    const char *text = "a: 1\n---\nb: 2\n";
    open_stream(&s, text, false);
    assert_int_equal(kh_doc_reader_offset(s.r), 0);
    kh_doc doc;
    next_doc(&s, &doc);
    next_doc(&s, &doc);
    assert_end(&s);
    assert_int_equal(kh_doc_reader_offset(s.r), strlen(text));
    close_stream(&s);
    assert_int_equal(kh_doc_reader_offset(NULL), 0);
    kh_doc_reader_free(NULL);
}

static void test_doc_load__accessors_accept_null(void **state)
{
    (void)state;
    const kh_node *root = load("m: {a: {b: [x, y]}}\ns: text\n");
    assert_null(kh_node_get(NULL, "a"));
    assert_null(kh_node_get(root, NULL));
    assert_null(kh_node_get(get(root, "s"), "a"));
    assert_null(kh_node_path(NULL, "a.b"));
    assert_null(kh_node_path(root, "m.a.c"));
    assert_null(kh_node_path(root, "m.a.b.c"));
    assert_null(kh_node_path(root, "m."));
    assert_string_equal(kh_node_str(kh_node_at(kh_node_path(root, "m.a.b"), 1)), "y");
    assert_null(kh_node_at(kh_node_path(root, "m.a.b"), 2));
    assert_null(kh_node_at(NULL, 0));
    assert_null(kh_node_at(root, 0));
    assert_false(kh_node_is_map(NULL));
    assert_false(kh_node_is_seq(NULL));
    assert_false(kh_node_is_scalar(NULL));
    assert_false(kh_node_is_scalar(root));
    assert_false(kh_node_is_null(root));
    assert_null(kh_node_str(NULL));
    assert_null(kh_node_str(root));
    assert_false(kh_node_is_true(NULL));
    assert_false(kh_node_is_false(get(root, "s")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_load__positions),
        cmocka_unit_test(test_doc_load__multi_document_stream),
        cmocka_unit_test(test_doc_load__empty_documents_are_skipped),
        cmocka_unit_test(test_doc_load__json_object),
        cmocka_unit_test(test_doc_load__json_multiline),
        cmocka_unit_test(test_doc_load__json_list_document),
        cmocka_unit_test(test_doc_load__crlf_input),
        cmocka_unit_test(test_doc_load__malformed_yaml_spoils_one_document),
        cmocka_unit_test(test_doc_load__invalid_utf8),
        cmocka_unit_test(test_doc_load__invalid_utf8_in_a_file_has_a_position),
        cmocka_unit_test(test_doc_load__load_buffer),
        cmocka_unit_test(test_doc_load__empty_collections),
        cmocka_unit_test(test_doc_load__offset_reaches_the_end),
        cmocka_unit_test(test_doc_load__accessors_accept_null),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
