/*
 * test_scalars.c -- scalar resolution as Kubernetes' YAML decoder does it.
 *
 * go-yaml v2 reads plain scalars with YAML 1.1 rules (yes/on/True are
 * booleans, 0x/0o/leading-0 integers, '_' separators), quoted and block
 * scalars are always strings, and explicit tags override. A scanner that
 * disagrees here can be bypassed with `privileged: yes`.
 */
#include "doc_test.h"

static const kh_node *value(const char *yaml)
{
    return get(load(yaml), "v");
}

static void assert_type(const char *yaml, kh_node_type type)
{
    const kh_node *n = value(yaml);
    if (n->type != type)
        print_error("%s: type %d, want %d\n", yaml, n->type, type);
    assert_int_equal(n->type, type);
}

static void assert_int_value(const char *yaml, int64_t want)
{
    int64_t got = 0;
    const kh_node *n = value(yaml);
    assert_int_equal(n->type, KH_NODE_INT);
    assert_true(kh_node_int(n, &got));
    assert_true(got == want);
}

static void test_doc_scalars__yaml11_booleans(void **state)
{
    (void)state;
    static const char *const truths[] = {
        "v: y", "v: Y", "v: yes", "v: Yes", "v: YES", "v: true", "v: True",
        "v: TRUE", "v: on", "v: On", "v: ON",
    };
    static const char *const lies[] = {
        "v: n", "v: N", "v: no", "v: No", "v: NO", "v: false", "v: False",
        "v: FALSE", "v: off", "v: Off", "v: OFF",
    };
    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
        const kh_node *n = value(truths[i]);
        assert_int_equal(n->type, KH_NODE_BOOL);
        assert_true(kh_node_is_true(n));
        assert_false(kh_node_is_false(n));
    }
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        const kh_node *n = value(lies[i]);
        assert_true(kh_node_is_false(n));
        assert_false(kh_node_is_true(n));
    }
    /* not in the word list: plain strings */
    assert_type("v: yES", KH_NODE_STRING);
    assert_type("v: oN", KH_NODE_STRING);
    assert_type("v: truee", KH_NODE_STRING);
}

static void test_doc_scalars__privileged_spellings(void **state)
{
    (void)state;
    const kh_node *root = load("securityContext:\n"
                               "  privileged: yes\n"
                               "  allowPrivilegeEscalation: On\n"
                               "  readOnlyRootFilesystem: TRUE\n"
                               "  runAsNonRoot: \"yes\"\n");
    const kh_node *sc = get(root, "securityContext");
    assert_true(kh_node_is_true(get(sc, "privileged")));
    assert_string_equal(kh_node_str(get(sc, "privileged")), "yes");
    assert_true(kh_node_is_true(get(sc, "allowPrivilegeEscalation")));
    assert_true(kh_node_is_true(get(sc, "readOnlyRootFilesystem")));
    const kh_node *quoted = get(sc, "runAsNonRoot");
    assert_int_equal(quoted->type, KH_NODE_STRING);
    assert_int_equal(quoted->quoted, 1);
    assert_false(kh_node_is_true(quoted));
    assert_string_equal(kh_node_str(quoted), "yes");
}

static void test_doc_scalars__nulls(void **state)
{
    (void)state;
    static const char *const nulls[] = {"v:", "v: ~", "v: null", "v: Null",
                                        "v: NULL", "v: !!null ''"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        const kh_node *n = value(nulls[i]);
        assert_int_equal(n->type, KH_NODE_NULL);
        assert_true(kh_node_is_null(n));
        assert_true(kh_node_is_scalar(n));
        assert_null(kh_node_str(n));
    }
    assert_type("v: nULL", KH_NODE_STRING);
    assert_type("v: 'null'", KH_NODE_STRING);
    assert_string_equal(kh_node_str(value("v: \"~\"")), "~");
    assert_string_equal(kh_node_str(value("v: !!str null")), "null");
    assert_true(kh_node_is_null(NULL));
}

static void test_doc_scalars__ints(void **state)
{
    (void)state;
    assert_int_value("v: 0", 0);
    assert_int_value("v: 42", 42);
    assert_int_value("v: -17", -17);
    assert_int_value("v: +5", 5);
    assert_int_value("v: 0x1F", 31);
    assert_int_value("v: -0x10", -16);
    assert_int_value("v: 0o17", 15);
    assert_int_value("v: 017", 15);
    assert_int_value("v: 0b101", 5);
    assert_int_value("v: 0b-101", -5); /* go-yaml's 0b fallback takes a sign */
    assert_int_value("v: 1_000_000", 1000000);
    assert_int_value("v: 1__0", 10);
    assert_int_value("v: 9223372036854775807", INT64_MAX);
    assert_int_value("v: -9223372036854775808", INT64_MIN);
    /* an INT for go-yaml (uint64), but out of kh_node_int's range */
    const kh_node *big = value("v: 18446744073709551615");
    assert_int_equal(big->type, KH_NODE_INT);
    assert_false(kh_node_int(big, NULL));
    assert_string_equal(kh_node_str(value("v: 0x1F")), "0x1F");
}

static void test_doc_scalars__not_ints(void **state)
{
    (void)state;
    int64_t v;
    assert_type("v: 089", KH_NODE_FLOAT); /* bad octal, good decimal float */
    assert_type("v: 18446744073709551616", KH_NODE_FLOAT);
    assert_type("v: 0x", KH_NODE_STRING);
    assert_type("v: 0xZZ", KH_NODE_STRING);
    assert_type("v: 1.2.3", KH_NODE_STRING);
    assert_type("v: +", KH_NODE_STRING);
    assert_type("v: -x", KH_NODE_STRING);
    assert_type("v: 12ab", KH_NODE_STRING);
    assert_type("v: 2001-12-14", KH_NODE_STRING); /* a timestamp stays a string */
    assert_type("v: _1", KH_NODE_STRING);
    assert_type("v: '42'", KH_NODE_STRING);
    assert_false(kh_node_int(value("v: '42'"), &v));
    assert_false(kh_node_int(value("v: 1.5"), &v));
    assert_false(kh_node_int(NULL, &v));
}

static void test_doc_scalars__floats(void **state)
{
    (void)state;
    static const char *const floats[] = {
        "v: 1.5",  "v: -2.5e3", "v: 1e3",  "v: 1.",   "v: .5",   "v: +.5",
        "v: 1E+2", "v: .inf",   "v: .Inf", "v: .INF", "v: -.inf", "v: +.Inf",
        "v: .nan", "v: .NaN",   "v: .NAN", "v: 1_0.5", "v: 1e308", "v: 0.0",
    };
    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++)
        assert_type(floats[i], KH_NODE_FLOAT);
    assert_type("v: 1e400", KH_NODE_STRING); /* overflows: ParseFloat fails */
    assert_type("v: 1.8e308", KH_NODE_STRING);
    assert_type("v: 1.7976931348623157e308", KH_NODE_FLOAT);
    assert_type("v: .", KH_NODE_STRING);
    assert_type("v: .e3", KH_NODE_STRING);
    assert_type("v: 1e", KH_NODE_STRING);
    assert_type("v: .infinity", KH_NODE_STRING);
    assert_type("v: \"1.5\"", KH_NODE_STRING);
}

static void test_doc_scalars__strings(void **state)
{
    (void)state;
    const kh_node *n = value("v: nginx:1.25");
    assert_int_equal(n->type, KH_NODE_STRING);
    assert_int_equal(n->quoted, 0);
    assert_string_equal(kh_node_str(n), "nginx:1.25");
    assert_int_equal(n->len, 10);
    n = value("v: 'it''s'");
    assert_int_equal(n->quoted, 1);
    assert_string_equal(kh_node_str(n), "it's");
    n = value("v: \"tab\\there\"");
    assert_string_equal(kh_node_str(n), "tab\there");
    assert_string_equal(kh_node_str(value("v: yes")), "yes");
}

static void test_doc_scalars__block_literals(void **state)
{
    (void)state;
    const kh_node *root = load("lit: |\n  yes\n  line two\n"
                               "fold: >\n  true\n  words\n"
                               "strip: |-\n  on\n");
    const kh_node *lit = get(root, "lit");
    assert_int_equal(lit->type, KH_NODE_STRING);
    assert_int_equal(lit->quoted, 1);
    assert_string_equal(kh_node_str(lit), "yes\nline two\n");
    const kh_node *fold = get(root, "fold");
    assert_int_equal(fold->type, KH_NODE_STRING);
    assert_string_equal(kh_node_str(fold), "true words\n");
    const kh_node *strip = get(root, "strip");
    assert_int_equal(strip->type, KH_NODE_STRING);
    assert_false(kh_node_is_true(strip));
    assert_string_equal(kh_node_str(strip), "on");
}

static void test_doc_scalars__explicit_tags(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_type("v: !!str 12", KH_NODE_STRING);
    assert_type("v: !!str yes", KH_NODE_STRING);
    const kh_node *b = value("v: !!bool \"yes\"");
    assert_true(kh_node_is_true(b));
    assert_int_equal(b->quoted, 1);
    assert_true(kh_node_int(value("v: !!int \"0x10\""), &v));
    assert_true(v == 16);
    assert_type("v: !!float 1", KH_NODE_FLOAT);
    assert_type("v: !!float '2.5'", KH_NODE_FLOAT);
    assert_type("v: !<tag:yaml.org,2002:bool> on", KH_NODE_BOOL);
    assert_type("v: !!timestamp 2001-12-14", KH_NODE_STRING);
    /* unknown tags keep the untagged rules */
    assert_true(kh_node_is_true(value("v: !custom yes")));
    assert_type("v: !custom 'yes'", KH_NODE_STRING);
}

static void test_doc_scalars__binary_tag_is_decoded(void **state)
{
    (void)state;
    const kh_node *root = load("? !!binary cHJpdmlsZWdlZA==\n: true\n"
                               "data: !!binary |\n  aGVs\n  bG8=\n");
    assert_true(kh_node_is_true(kh_node_get(root, "privileged")));
    const kh_node *data = get(root, "data");
    assert_int_equal(data->type, KH_NODE_STRING);
    assert_int_equal(data->len, 5);
    assert_string_equal(kh_node_str(data), "hello");
}

static void test_doc_scalars__tag_mismatch_is_an_error(void **state)
{
    (void)state;
    kh_error err;
    assert_int_equal(load_error("a: 1\nv: !!bool maybe\n", &err), KH_EPARSE);
    assert_error(&err, 2, 4, "cannot decode 'maybe' as !!bool");
    load_error("v: !!int 1.5\n", &err);
    assert_error(&err, 1, 4, "cannot decode '1.5' as !!int");
    load_error("v: !!null x\n", &err);
    assert_error(&err, 1, 4, "cannot decode 'x' as !!null");
    load_error("v: !!binary \"not base64!\"\n", &err);
    assert_error(&err, 1, 4, "!!binary value contains invalid base64 data");
    load_error("v: !!binary YQ=\n", &err);
    assert_int_equal(err.code, KH_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_scalars__yaml11_booleans),
        cmocka_unit_test(test_doc_scalars__privileged_spellings),
        cmocka_unit_test(test_doc_scalars__nulls),
        cmocka_unit_test(test_doc_scalars__ints),
        cmocka_unit_test(test_doc_scalars__not_ints),
        cmocka_unit_test(test_doc_scalars__floats),
        cmocka_unit_test(test_doc_scalars__strings),
        cmocka_unit_test(test_doc_scalars__block_literals),
        cmocka_unit_test(test_doc_scalars__explicit_tags),
        cmocka_unit_test(test_doc_scalars__binary_tag_is_decoded),
        cmocka_unit_test(test_doc_scalars__tag_mismatch_is_an_error),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
