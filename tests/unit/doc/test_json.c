/*
 * test_json.c -- JSON input read as kubectl reads it: values one after
 * another ({...}{...}, one per line), strings decoded as Go's encoding/json
 * decodes them (surrogate pairs, U+FFFD for lone surrogates and bad
 * UTF-8), keys of any length, and YAML taking over when the first values
 * are not JSON (k8s.io/apimachinery's YAMLOrJSONDecoder).
 */
#include <stdio.h>
#include <stdlib.h>

#include "doc_test.h"

/* Read every result of @p text from a FILE * stream into @p docs (roots, or
 * NULL for an error, whose message goes to @p errs). @return the count. */
static size_t read_stream(const char *text, const kh_node **docs, kh_error *errs,
                          size_t max)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    kh_doc_reader *r;
    kh_error err;
    assert_int_equal(kh_doc_reader_new_stream(&r, f, "t.yaml", &err), 0);
    size_t n = 0;
    for (; n < max; n++) {
        kh_doc doc;
        memset(&errs[n], 0, sizeof(errs[n]));
        int rc = kh_doc_reader_next(r, &test_arena, &doc, &errs[n]);
        if (rc == 0)
            break;
        docs[n] = rc == 1 ? doc.root : NULL;
    }
    assert_int_equal(kh_doc_reader_offset(r), strlen(text));
    kh_doc_reader_free(r);
    fclose(f);
    return n;
}

static void assert_pos(const kh_node *n, unsigned line, unsigned col)
{
    assert_non_null(n);
    if (n->line != line || n->col != col)
        print_error("at %u:%u, want %u:%u\n", n->line, n->col, line, col);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

static void test_doc_json__stream_of_objects(void **state)
{
    (void)state;
    const kh_node *d[8];
    kh_error e[8];
    assert_int_equal(read_stream("{\"kind\":\"A\"}\n{\"kind\":\"B\"}\n", d, e, 8), 2);
    assert_string_equal(kh_node_str(get(d[1], "kind")), "B");
    assert_pos(d[1], 2, 1);
    /* back to back, and with blanks of every JSON kind between */
    assert_int_equal(read_stream("{\"a\":1}{\"b\":2}", d, e, 8), 2);
    assert_pos(d[1], 1, 8);
    assert_pos(get(d[1], "b"), 1, 13);
    assert_int_equal(read_stream(" \t{\"a\":1} \r\n\r\n\t {\"b\":[]}\n  ", d, e, 8), 2);
    assert_pos(d[0], 1, 3);
    assert_pos(d[1], 3, 3);
    assert_true(kh_node_is_seq(get(d[1], "b")));
}

static void test_doc_json__values_keep_their_types(void **state)
{
    (void)state;
    const kh_node *root = load("{\"i\": -0, \"f\": 1e3, \"g\": 0.5E-2, \"t\": true, "
                               "\"n\": null, \"s\": \"10\", \"<<\": {\"x\": 1}}");
    assert_int_equal(get(root, "i")->type, KH_NODE_INT);
    assert_int_equal(get(root, "f")->type, KH_NODE_FLOAT);
    assert_int_equal(get(root, "g")->type, KH_NODE_FLOAT);
    assert_true(kh_node_is_true(get(root, "t")));
    assert_true(kh_node_is_null(get(root, "n")));
    assert_int_equal(get(root, "s")->type, KH_NODE_STRING);
    /* "<<" is an ordinary key in JSON, never a YAML merge */
    assert_true(kh_node_is_map(get(root, "<<")));
    assert_null(kh_node_get(root, "x"));
}

/* Python's json.dumps writes non-ASCII as \u escapes, astral characters as
 * surrogate pairs. */
static void test_doc_json__surrogate_pairs_decode_to_utf8(void **state)
{
    (void)state;
    const kh_node *root = load("{\"s\": \"\\ud83d\\ude00 caf\\u00e9\", \"\\ud83d\\ude00\": 1}");
    assert_string_equal(kh_node_str(get(root, "s")), "\xf0\x9f\x98\x80 caf\xc3\xa9");
    assert_non_null(kh_node_get(root, "\xf0\x9f\x98\x80"));
}

/* Go's encoding/json: a surrogate that is not half of a pair becomes
 * U+FFFD, and so does each byte of invalid UTF-8 in a string. */
static void test_doc_json__lone_surrogates_and_bad_utf8_become_fffd(void **state)
{
    (void)state;
    const char *fffd = "\xef\xbf\xbd";
    const kh_node *root = load("{\"hi\": \"\\ud800\", \"lo\": \"\\udc00x\", "
                               "\"hi-a\": \"\\ud800\\u0041\", "
                               "\"hi-pair\": \"\\ud800\\ud83d\\ude00\", "
                               "\"lo-hi\": \"\\udc00\\ud800\", "
                               "\"bad\": \"a\xff\xc3(\xed\xa0\x80\"}");
    assert_string_equal(kh_node_str(get(root, "hi")), fffd);
    char want[64];
    snprintf(want, sizeof(want), "%sx", fffd);
    assert_string_equal(kh_node_str(get(root, "lo")), want);
    snprintf(want, sizeof(want), "%sA", fffd);
    assert_string_equal(kh_node_str(get(root, "hi-a")), want);
    snprintf(want, sizeof(want), "%s\xf0\x9f\x98\x80", fffd);
    assert_string_equal(kh_node_str(get(root, "hi-pair")), want);
    snprintf(want, sizeof(want), "%s%s", fffd, fffd);
    assert_string_equal(kh_node_str(get(root, "lo-hi")), want);
    snprintf(want, sizeof(want), "a%s%s(%s%s%s", fffd, fffd, fffd, fffd, fffd);
    assert_string_equal(kh_node_str(get(root, "bad")), want);
}

/* libyaml (and go-yaml, kubectl's YAML path) refuse a key whose ':' is more
 * than 1,024 characters on; JSON has no such limit, and kubectl reads JSON
 * with encoding/json. */
static void test_doc_json__keys_over_1024_bytes(void **state)
{
    (void)state;
    size_t n = 3000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    text[0] = '{';
    text[1] = '"';
    memset(text + 2, 'k', n);
    strcpy(text + 2 + n, "\": \"v\", \"b\": 1}");
    const kh_node *root = load(text);
    assert_int_equal(root->len, 2);
    assert_int_equal(root->u.pairs[0].key->len, n);
    assert_pos(root->u.pairs[0].value, 1, (unsigned)n + 6);
    assert_pos(get(root, "b"), 1, (unsigned)n + 16);
    /* the same key in YAML is refused, as go-yaml v2 refuses it */
    kh_error err;
    memset(text, 'k', n);
    strcpy(text + n, ": v\n");
    load_error(text, &err);
    assert_string_equal(err.message, "mapping values are not allowed in this context");
    assert_int_equal(err.col, (unsigned)n + 1);
    free(text);
}

/* YAMLOrJSONDecoder: when the first or second value is not JSON, YAML takes
 * over after the last good value; the error reported, if YAML fails too,
 * is the JSON one. */
static void test_doc_json__yaml_takes_over_from_the_first_values(void **state)
{
    (void)state;
    const kh_node *d[8];
    kh_error e[8];
    assert_int_equal(read_stream("{\"a\":1}\n---\nb: 2\n", d, e, 8), 2);
    assert_non_null(kh_node_get(d[1], "b"));
    assert_int_equal(read_stream("{a: 1, b: [x]}\n", d, e, 8), 1);
    assert_pos(get(d[0], "b"), 1, 11);
    /* YAML starts mid-line, where the JSON value ended: columns stay the file's */
    assert_int_equal(read_stream("{\"a\":1} {b: 2}", d, e, 8), 2);
    assert_pos(d[1], 1, 9);
    assert_pos(get(d[1], "b"), 1, 13);
    assert_int_equal(read_stream("{\"a\": [1, 2}", d, e, 8), 1);
    assert_null(d[0]);
    assert_int_equal(e[0].code, KH_EPARSE);
    assert_string_equal(e[0].message, "invalid character '}' after array element");
    assert_int_equal(e[0].line, 1);
    assert_int_equal(e[0].col, 12);
}

/* After two JSON values the stream is JSON: an error is a JSON error, and
 * reading goes on at the next separator line. */
static void test_doc_json__error_after_two_values_resumes_at_a_separator(void **state)
{
    (void)state;
    const kh_node *d[8];
    kh_error e[8];
    assert_int_equal(read_stream("{\"a\":1}\n{\"b\":2}\n{\"c\": [1,}\n{\"d\":4}\n---\n"
                                 "{\"e\":5}\n",
                                 d, e, 8),
                     4);
    assert_null(d[2]);
    assert_int_equal(e[2].line, 3);
    assert_int_equal(e[2].col, 10);
    assert_string_equal(e[2].message, "invalid character '}' looking for beginning of value");
    assert_non_null(kh_node_get(d[3], "e"));
    /* strict JSON: no trailing comma, no comment, no single quotes */
    assert_int_equal(read_stream("{}\n{}\n{\"x\": 'y'}\n", d, e, 8), 3);
    assert_string_equal(e[2].message, "invalid character ''' looking for beginning of value");
    assert_int_equal(read_stream("{}{}{\"x\"}", d, e, 8), 3);
    assert_string_equal(e[2].message, "invalid character '}' after object key");
    assert_int_equal(read_stream("{}{}{\"x\": tru", d, e, 8), 3);
    assert_string_equal(e[2].message, "unexpected end of JSON input");
    assert_int_equal(read_stream("{}{}{\"x\": 1.e5}", d, e, 8), 3);
    assert_string_equal(e[2].message,
                        "invalid character 'e' after decimal point in numeric literal");
    assert_int_equal(read_stream("{}{}{\"x\": \"\\q\"}", d, e, 8), 3);
    assert_string_equal(e[2].message, "invalid character 'q' in string escape code");
    assert_int_equal(read_stream("{}{}{\"x\": \"a\tb\"}", d, e, 8), 3);
    assert_string_equal(e[2].message, "invalid character '\\t' in string literal");
}

static void test_doc_json__deep_nesting_fails_at_once(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = malloc(2 * n + 16);
    assert_non_null(text);
    strcpy(text, "{\"a\":");
    memset(text + 5, '[', n);
    memset(text + 5 + n, ']', n);
    strcpy(text + 5 + 2 * n, "}");
    kh_error err;
    load_error(text, &err);
    assert_int_equal(err.code, KH_ELIMIT);
    assert_error(&err, 1, 261, "nesting depth exceeds limit of 256");
    free(text);
}

static void test_doc_json__single_document_loader(void **state)
{
    (void)state;
    kh_error err;
    load_error("{\"a\":1}\n{\"b\":2}", &err);
    assert_error(&err, 2, 1, "expected a single document");
    assert_string_equal(kh_node_str(get(load("\n\n  {\"a\": \"b\"}  \n"), "a")), "b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_json__stream_of_objects),
        cmocka_unit_test(test_doc_json__values_keep_their_types),
        cmocka_unit_test(test_doc_json__surrogate_pairs_decode_to_utf8),
        cmocka_unit_test(test_doc_json__lone_surrogates_and_bad_utf8_become_fffd),
        cmocka_unit_test(test_doc_json__keys_over_1024_bytes),
        cmocka_unit_test(test_doc_json__yaml_takes_over_from_the_first_values),
        cmocka_unit_test(test_doc_json__error_after_two_values_resumes_at_a_separator),
        cmocka_unit_test(test_doc_json__deep_nesting_fails_at_once),
        cmocka_unit_test(test_doc_json__single_document_loader),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
