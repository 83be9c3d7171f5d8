/*
 * test_jsontree.c -- the one-pass JSON reader (src/doc/jsontree.c) builds
 * the tree the event path builds, corner case by corner case: surrogates,
 * \u0000, nesting at 256 and 257 levels, big numbers, -0, 1e400, duplicate
 * keys, a BOM, trailing garbage, the empty key, line breaks inside strings
 * (NEL, LS, PS), CRLF, invalid UTF-8. Each case states whether the reader
 * takes the input itself or leaves it to kh_doc_load_buffer, and then the
 * two must agree exactly (jsontree_diff.h); the values are checked too.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

#include "doc_test.h"
#include "jsontree_diff.h"

enum { DECLINED = 0, TAKEN = 1 };

/* @p text (of @p len bytes) read both ways: the same result, and the reader
 * took it or not as @p want says. */
static void same_n(const char *text, size_t len, int want)
{
    char why[512];
    int fast = -1;
    const char *d = jsontree_diff(text, len, &fast, why, sizeof(why));
    if (d)
        print_error("%s\n", d);
    assert_null(d);
    assert_int_equal(fast, want);
}

static void same(const char *text, int want)
{
    same_n(text, strlen(text), want);
}

static void assert_pos(const kh_node *n, unsigned line, unsigned col)
{
    assert_non_null(n);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

/* Root of @p text read by the one-pass reader alone. */
static const kh_node *fast_root(const char *text, size_t len)
{
    const kh_node *root = NULL;
    assert_int_equal(kh_doc__json_tree(&root, &test_arena, text, len), 1);
    return root;
}

static void test_jsontree__audit_event(void **state)
{
    (void)state;
    const char *ev =
        "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
        "\"auditID\":\"5b9f\",\"stage\":\"ResponseComplete\",\"requestURI\":"
        "\"/api/v1/namespaces/shop/pods?limit=500\",\"verb\":\"list\",\"user\":{"
        "\"username\":\"alice@example.com\",\"groups\":[\"dev\",\"system:authenticated\"]},"
        "\"sourceIPs\":[\"10.0.0.7\"],\"objectRef\":{\"resource\":\"pods\",\"namespace\":"
        "\"shop\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"metadata\":{},\"code\":200},"
        "\"requestReceivedTimestamp\":\"2025-11-30T10:00:00.000000Z\",\"annotations\":{"
        "\"authorization.k8s.io/decision\":\"allow\"}}\n";
    same(ev, TAKEN);
    const kh_node *root = fast_root(ev, strlen(ev));
    assert_string_equal(kh_node_str(kh_node_path(root, "user.username")), "alice@example.com");
    int64_t code = 0;
    assert_true(kh_node_int(kh_node_path(root, "responseStatus.code"), &code));
    assert_int_equal(code, 200);
    assert_int_equal(kh_node_path(root, "responseStatus.metadata")->type, KH_NODE_MAP);
    assert_int_equal(kh_node_path(root, "responseStatus.metadata")->len, 0);
}

static void test_jsontree__scalar_types_and_positions(void **state)
{
    (void)state;
    const char *t = "  \r\n\t{ \"s\" : \"x\",\r\n \"t\":true,\"f\":false,\"n\":null,\n"
                    "\"i\":-12,\"x\":1.5e3,\"e\":[],\"m\":{},\"a\":[1,[2,{}],\"3\"]}\n\n";
    same(t, TAKEN);
    const kh_node *root = fast_root(t, strlen(t));
    assert_pos(root, 2, 2);
    assert_pos(get(root, "t"), 3, 6);
    assert_int_equal(get(root, "t")->type, KH_NODE_BOOL);
    assert_true(kh_node_is_true(get(root, "t")));
    assert_true(kh_node_is_false(get(root, "f")));
    assert_int_equal(get(root, "n")->type, KH_NODE_NULL);
    assert_int_equal(get(root, "i")->type, KH_NODE_INT);
    assert_int_equal(get(root, "x")->type, KH_NODE_FLOAT);
    assert_int_equal(get(root, "s")->quoted, 1);
    assert_int_equal(get(root, "i")->quoted, 0);
    assert_pos(get(root, "i"), 4, 5);
}

static void test_jsontree__surrogates_join_and_lone_ones_become_fffd(void **state)
{
    (void)state;
    const char *t = "{\"pair\":\"\\ud83d\\ude00\",\"lone_high\":\"\\ud83dx\","
                    "\"lone_low\":\"\\ude00\",\"high_high\":\"\\ud83d\\ud83d\\ude00\","
                    "\"high_then_escape\":\"\\ud800\\n\"}";
    same(t, TAKEN);
    const kh_node *root = fast_root(t, strlen(t));
    assert_string_equal(kh_node_str(get(root, "pair")), "\xf0\x9f\x98\x80");
    assert_string_equal(kh_node_str(get(root, "lone_high")), "\xef\xbf\xbdx");
    assert_string_equal(kh_node_str(get(root, "lone_low")), "\xef\xbf\xbd");
    assert_string_equal(kh_node_str(get(root, "high_high")), "\xef\xbf\xbd\xf0\x9f\x98\x80");
    assert_string_equal(kh_node_str(get(root, "high_then_escape")), "\xef\xbf\xbd\n");
}

static void test_jsontree__escaped_nul_is_kept_in_the_length(void **state)
{
    (void)state;
    const char t[] = "{\"k\":\"a\\u0000b\",\"\\u0000\":1}";
    same(t, TAKEN);
    const kh_node *root = fast_root(t, strlen(t));
    const kh_node *v = root->u.pairs[0].value;
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->u.text, "a\0b", 4);
    assert_int_equal(root->u.pairs[1].key->len, 1);
}

static void test_jsontree__escapes(void **state)
{
    (void)state;
    const char *t = "{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\"}";
    same(t, TAKEN);
    assert_string_equal(kh_node_str(get(fast_root(t, strlen(t)), "e")),
                        "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac");
    same("{\"e\":\"\\x\"}", DECLINED);     /* bad escape */
    same("{\"e\":\"\\u12g4\"}", DECLINED); /* bad hex */
    same("{\"e\":\"\\u12\"}", DECLINED);   /* short */
}

static void test_jsontree__invalid_utf8_becomes_fffd_and_columns_count_code_points(void **state)
{
    (void)state;
    /* a stray continuation byte, an overlong, a surrogate, a cut sequence */
    const char *t = "{\"k\":\"\x80\xc0\xaf\xed\xa0\x80\xe2\x82\",\"\xc3\xa9t\xc3\xa9\":7}";
    same(t, TAKEN);
    const kh_node *root = fast_root(t, strlen(t));
    const kh_node *v = root->u.pairs[0].value;
    assert_int_equal(v->len, 3 * 8);
    assert_pos(root->u.pairs[1].value, 1, 18);
}

static void test_jsontree__nel_ls_ps_in_strings_end_lines(void **state)
{
    (void)state;
    same("{\"a\":\"x\xc2\x85y\",\"b\":1}", TAKEN);
    same("{\"a\":\"x\xe2\x80\xa8y\",\"b\":1,\"c\":\"\xe2\x80\xa9\",\"d\":2}", TAKEN);
    const char *t = "{\"a\":\"x\xc2\x85y\",\"b\":1}";
    assert_pos(get(fast_root(t, strlen(t)), "b"), 2, 8);
}

static void test_jsontree__nesting_256_is_read_257_is_refused(void **state)
{
    (void)state;
    char buf[2 * 260 + 16];
    for (int depth = 255; depth <= 258; depth++) {
        size_t n = 0;
        buf[n++] = '{';
        memcpy(buf + n, "\"k\":", 4), n += 4;
        for (int i = 1; i < depth; i++)
            buf[n++] = '[';
        for (int i = 1; i < depth; i++)
            buf[n++] = ']';
        buf[n++] = '}';
        same_n(buf, n, depth <= KH_DOC_MAX_DEPTH ? TAKEN : DECLINED);
    }
    kh_error err;
    memset(buf, '[', 300);
    buf[0] = '{';
    memcpy(buf + 1, "\"k\":", 4);
    const kh_node *root = NULL;
    memset(&err, 0, sizeof(err));
    assert_int_equal(kh_doc_load_json(&root, &test_arena, buf, 300, "t.json", &err),
                     KH_ELIMIT);
    assert_string_equal(err.message, "nesting depth exceeds limit of 256");
}

static void test_jsontree__numbers(void **state)
{
    (void)state;
    const char *t = "{\"zero\":-0,\"max\":9223372036854775807,\"u64\":18446744073709551615,"
                    "\"over\":18446744073709551616,\"big\":1e400,\"small\":1e-400,"
                    "\"neg\":-9223372036854775808,\"frac\":0.5,\"exp\":2E+3,\"d18\":"
                    "999999999999999999,\"d19\":-999999999999999999}";
    same(t, TAKEN);
    const kh_node *root = fast_root(t, strlen(t));
    assert_int_equal(get(root, "zero")->type, KH_NODE_INT);
    assert_string_equal(kh_node_str(get(root, "zero")), "-0");
    assert_int_equal(get(root, "max")->type, KH_NODE_INT);
    assert_int_equal(get(root, "u64")->type, KH_NODE_INT);
    assert_int_equal(get(root, "over")->type, KH_NODE_FLOAT);
    assert_int_equal(get(root, "big")->type, KH_NODE_STRING); /* overflows, as in Go */
    assert_int_equal(get(root, "big")->quoted, 0);
    assert_int_equal(get(root, "small")->type, KH_NODE_FLOAT);
    assert_int_equal(get(root, "d19")->type, KH_NODE_INT);
    for (const char *bad = "01 1. .5 -  1e 1e+ +1 0x1"; *bad;) {
        char doc[32];
        size_t n = strcspn(bad, " ");
        snprintf(doc, sizeof(doc), "{\"n\":%.*s}", (int)n, bad);
        same(doc, DECLINED);
        bad += n + (bad[n] == ' ');
    }
}

static void test_jsontree__duplicate_keys_last_wins(void **state)
{
    (void)state;
    same("{\"a\":1,\"b\":2,\"a\":3,\"a\":4}", TAKEN);
    const char *t = "{\"a\":1,\"b\":2,\"a\":3}";
    const kh_node *root = fast_root(t, strlen(t));
    assert_int_equal(root->len, 2);
    assert_string_equal(kh_node_str(root->u.pairs[0].key), "b");
    assert_string_equal(kh_node_str(get(root, "a")), "3");
    /* past 16 keys the loader hashes them: same result */
    char big[1024];
    size_t n = 0;
    big[n++] = '{';
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d", i ? "," : "",
                              i % 13, i);
    big[n++] = '}';
    same_n(big, n, TAKEN);
    assert_int_equal(fast_root(big, n)->len, 13);
}

static void test_jsontree__empty_key(void **state)
{
    (void)state;
    const char *t = "{\"\":\"\",\"\":[\"\"]}";
    same(t, TAKEN);
    const kh_node *root = fast_root(t, strlen(t));
    assert_int_equal(root->len, 1);
    assert_int_equal(root->u.pairs[0].key->len, 0);
    assert_int_equal(root->u.pairs[0].value->type, KH_NODE_SEQ);
}

static void test_jsontree__other_inputs_go_to_the_loader(void **state)
{
    (void)state;
    same("\xef\xbb\xbf{\"a\":1}", DECLINED);       /* BOM: YAML reads it */
    same("{\"a\":1} x", DECLINED);                 /* trailing garbage */
    same("{\"a\":1}{\"b\":2}", DECLINED);          /* two values */
    same("{\"a\":1}\n---\n", DECLINED);
    same("{a: 1}", DECLINED);                      /* YAML flow, not JSON */
    same("{\"a\":1,}", DECLINED);
    same("{\"a\" 1}", DECLINED);
    same("{\"a\":\"x\ty\"}", DECLINED);            /* control byte in a string */
    same("{\"a\":[1 2]}", DECLINED);
    same("{\"a\":tru}", DECLINED);
    same("{\"a\":\"", DECLINED);
    same("{", DECLINED);
    same("[1,2]", DECLINED);
    same("\v{\"a\":1}", DECLINED);
    same("", DECLINED);
    same("   ", DECLINED);
    same("{\"a\":1}\r\n \t", TAKEN);
    char pad[4200];
    memset(pad, ' ', sizeof(pad));
    memcpy(pad + 4094, "{\"a\":1}", 7);
    same_n(pad, 4101, TAKEN);
    memcpy(pad + 4095, "{\"a\":1}", 7);
    same_n(pad, 4102, DECLINED); /* kubectl looks for the '{' in the first 4 KiB */
}

/* Every line of @p path that starts with '{', then the whole file, read both
 * ways; @return how many the one-pass reader took. */
static size_t same_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 1 << 20, f), taken = 0;
    fclose(f);
    char why[512];
    int fast;
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && buf[b] != '\n')
            b++;
        if (b > a && buf[a] == '{') {
            const char *d = jsontree_diff(buf + a, b - a, &fast, why, sizeof(why));
            if (d)
                print_error("%s: %s\n", path, d);
            assert_null(d);
            taken += fast;
        }
        a = b + 1;
    }
    const char *d = jsontree_diff(buf, n, &fast, why, sizeof(why));
    if (d)
        print_error("%s: %s\n", path, d);
    assert_null(d);
    free(buf);
    return taken + fast;
}

static void test_jsontree__audit_cases_and_admission_reviews(void **state)
{
    (void)state;
    const char *src = getenv("KH_SOURCE_DIR");
    if (!src)
        skip();
    const char *patterns[] = {"tests/cases/audit.*/*.json", "tests/cases/_admission/*.json",
                              "tests/fixtures/audit/*.jsonl"};
    size_t files = 0, taken = 0;
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        char pat[1024];
        glob_t g;
        snprintf(pat, sizeof(pat), "%s/%s", src, patterns[i]);
        if (glob(pat, 0, NULL, &g) != 0)
            continue;
        for (size_t k = 0; k < g.gl_pathc; k++, files++)
            taken += same_file(g.gl_pathv[k]);
        globfree(&g);
    }
    assert_true(files >= 20);
    assert_true(taken >= files); /* the events and reviews are the reader's own */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsontree__audit_event),
        cmocka_unit_test(test_jsontree__scalar_types_and_positions),
        cmocka_unit_test(test_jsontree__surrogates_join_and_lone_ones_become_fffd),
        cmocka_unit_test(test_jsontree__escaped_nul_is_kept_in_the_length),
        cmocka_unit_test(test_jsontree__escapes),
        cmocka_unit_test(test_jsontree__invalid_utf8_becomes_fffd_and_columns_count_code_points),
        cmocka_unit_test(test_jsontree__nel_ls_ps_in_strings_end_lines),
        cmocka_unit_test(test_jsontree__nesting_256_is_read_257_is_refused),
        cmocka_unit_test(test_jsontree__numbers),
        cmocka_unit_test(test_jsontree__duplicate_keys_last_wins),
        cmocka_unit_test(test_jsontree__empty_key),
        cmocka_unit_test(test_jsontree__other_inputs_go_to_the_loader),
        cmocka_unit_test(test_jsontree__audit_cases_and_admission_reviews),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
