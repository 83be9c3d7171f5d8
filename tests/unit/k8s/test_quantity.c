/*
 * test_quantity.c -- resource.Quantity parsing to exact nano-units, against
 * a table of valid and invalid strings (upstream behaviour, and where we
 * deliberately differ, the documented grammar).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "k8s/k8s.h"
#include "nodes.h"

static int teardown(void **state)
{
    (void)state;
    t_arena_free();
    return 0;
}

/* Decimal text of a 128-bit value. */
static const char *i128_str(__int128 v, char buf[64])
{
    char tmp[64];
    size_t n = 0;
    unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    size_t j = 0;
    if (v < 0)
        buf[j++] = '-';
    while (n)
        buf[j++] = tmp[--n];
    buf[j] = '\0';
    return buf;
}

static void expect_nano(const char *text, const char *nano)
{
    kh_quantity q = {0};
    char buf[64];
    int rc = kh_quantity_parse(&q, text);
    if (rc != 0)
        fail_msg("'%s' did not parse", text);
    if (strcmp(i128_str(q.nano, buf), nano) != 0)
        fail_msg("'%s' parsed to %s nano, want %s", text, buf, nano);
}

static void expect_invalid(const char *text)
{
    kh_quantity q = {0};
    char buf[64];
    if (kh_quantity_parse(&q, text) != KH_EINVALID)
        fail_msg("'%s' parsed (to %s nano), want KH_EINVALID", text,
                 i128_str(q.nano, buf));
}

static void test_k8s_quantity__valid_table(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"0", "0"},
        {"100m", "100000000"},
        {"0.5", "500000000"},
        {".5", "500000000"},
        {"5.", "5000000000"},
        {"1.G", "1000000000000000000"},
        {"1Ki", "1024000000000"},
        {"1Mi", "1048576000000000"},
        {"1.5Gi", "1610612736000000000"},
        {"1Ei", "1152921504606846976000000000"},
        {"0.1Ki", "102400000000"},
        {"1e3", "1000000000000"},
        {"1E3", "1000000000000"},
        {"1e+3", "1000000000000"},
        {"1E-3", "1000000"},
        {"0.1e1", "1000000000"},
        {"-1", "-1000000000"},
        {"+1", "1000000000"},
        {"-0", "0"},
        {"007", "7000000000"},
        {"5n", "5"},
        {"1u", "1000"},
        {"1k", "1000000000000"},
        {"2M", "2000000000000000"},
        {"3G", "3000000000000000000"},
        {"1T", "1000000000000000000000"},
        {"1P", "1000000000000000000000000"},
        {"1E", "1000000000000000000000000000"},
        {"12345678901234567890", "12345678901234567890000000000"},
        {"0.000000001", "1"},
        {"-0.25m", "-250000"},
        {"1e29", "100000000000000000000000000000000000000"},
        /* the extremes of 128 bits */
        {"170141183460469231731687303715.884105727",
         "170141183460469231731687303715884105727"},
        {"-170141183460469231731687303715.884105727",
         "-170141183460469231731687303715884105727"},
        {"170141183460469231731687303715884105727n",
         "170141183460469231731687303715884105727"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_nano(cases[i][0], cases[i][1]);
}

static void test_k8s_quantity__sub_nano_rounds_away_from_zero(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"0.1n", "1"},
        {"-0.1n", "-1"},
        {"1.5n", "2"},
        {"15e-10", "2"},
        {"9e-10", "1"},
        {"1e-100", "1"},
        {"-1e-2147483647", "-1"},
        {"1.0000000001", "1000000001"},
        {"1000000000000000000000e-30", "1"},
        {"1000000000000000000001e-30", "2"},
        {"999999999999999999999e-30", "1"},
        {"0.00000000000000000000001Ki", "1"},
        {"0.0000000000001Mi", "105"},
        /* zero is never rounded up */
        {"0e-2147483647", "0"},
        {"0.0e-100", "0"},
        {"0e9223372036854775807", "0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_nano(cases[i][0], cases[i][1]);
}

static void test_k8s_quantity__invalid_table(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", " 1", "1 ", "1 Ki", "1K", "1Kb", "1mi", "1i", "1.1.1", "1.5.5",
        "Ki", "m", ".", "-", "+", ".e3", "e3", "--1", "+-1", "1e", "1e+",
        "1e1.5", "1ee3", "1Ee3", "abc", "0x10", "1_000", "1,5", "1e-",
        "0e99999999999999999999",
        /* beyond 2^127-1 nano: rejected, not capped */
        "1e30", "200000000000000000000Ei",
        "170141183460469231731687303715.884105728",
        "-170141183460469231731687303715.884105728",
        "170141183460469231731687303715884105728n",
        "1e4294967296", "1e9223372036854775807",
        "1000000000000000000000000000000000000000000000000",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_invalid(cases[i]);
    kh_quantity q;
    assert_int_equal(kh_quantity_parse(&q, NULL), KH_EINVALID);
}

static void test_k8s_quantity__from_node(void **state)
{
    (void)state;
    const kh_node *m = yaml_load("{int: 2, hex: 0x10, float: 0.5, str: 100m,"
                                 " quoted: '250m', bool: true, nil: ~,"
                                 " map: {a: b}, bad: 1K, seq: [1]}");
    static const struct {
        const char *key;
        int rc;
        const char *nano;
    } cases[] = {
        {"int", 0, "2000000000"},
        {"hex", 0, "16000000000"},
        {"float", 0, "500000000"},
        {"str", 0, "100000000"},
        {"quoted", 0, "250000000"},
        {"bool", KH_EINVALID, NULL},
        {"nil", KH_EINVALID, NULL},
        {"map", KH_EINVALID, NULL},
        {"bad", KH_EINVALID, NULL},
        {"seq", KH_EINVALID, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const kh_node *v = NULL;
        for (uint32_t j = 0; j < m->len; j++)
            if (strcmp(m->u.pairs[j].key->u.text, cases[i].key) == 0)
                v = m->u.pairs[j].value;
        assert_non_null(v);
        kh_quantity q = {0};
        char buf[64];
        assert_int_equal(kh_quantity_from_node(&q, v), cases[i].rc);
        if (cases[i].nano)
            assert_string_equal(i128_str(q.nano, buf), cases[i].nano);
    }
    kh_quantity q;
    assert_int_equal(kh_quantity_from_node(&q, NULL), KH_EINVALID);
}

static void test_k8s_quantity__cmp_and_zero(void **state)
{
    (void)state;
    kh_quantity a, b, c, z;
    assert_int_equal(kh_quantity_parse(&a, "1Gi"), 0);
    assert_int_equal(kh_quantity_parse(&b, "1073741824"), 0);
    assert_int_equal(kh_quantity_parse(&c, "1G"), 0);
    assert_int_equal(kh_quantity_parse(&z, "0m"), 0);
    assert_int_equal(kh_quantity_cmp(&a, &b), 0);
    assert_int_equal(kh_quantity_cmp(&c, &a), -1);
    assert_int_equal(kh_quantity_cmp(&a, &c), 1);
    assert_true(kh_quantity_is_zero(&z));
    assert_false(kh_quantity_is_zero(&c));
    kh_quantity half, milli;
    assert_int_equal(kh_quantity_parse(&half, "0.5"), 0);
    assert_int_equal(kh_quantity_parse(&milli, "500m"), 0);
    assert_int_equal(kh_quantity_cmp(&half, &milli), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_k8s_quantity__valid_table, teardown),
        cmocka_unit_test_teardown(
            test_k8s_quantity__sub_nano_rounds_away_from_zero, teardown),
        cmocka_unit_test_teardown(test_k8s_quantity__invalid_table, teardown),
        cmocka_unit_test_teardown(test_k8s_quantity__from_node, teardown),
        cmocka_unit_test_teardown(test_k8s_quantity__cmp_and_zero, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
