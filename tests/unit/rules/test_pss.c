/*
 * test_pss.c -- the Pod Security helpers that read values the way the API
 * server's Go types decode them (numbers, strings, pointers), and the
 * position of a finding for a missing field. The controls themselves are
 * covered by the data-driven cases in tests/cases/pss.*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../k8s/nodes.h"
#include "rules/rules.h"

static const kh_node *value(const char *yaml)
{
    return kh_node_get(yaml_load(yaml), "v");
}

static void test_rules_pss__integers_and_integral_floats(void **state)
{
    (void)state;
    int64_t n = -1;
    assert_true(kh_pss__int(value("v: 0"), &n));
    assert_int_equal(n, 0);
    assert_true(kh_pss__int(value("v: 0x1F90"), &n));
    assert_int_equal(n, 8080);
    assert_true(kh_pss__int(value("v: 8443.0"), &n));
    assert_int_equal(n, 8443);
    assert_true(kh_pss__int(value("v: 0.0"), &n));
    assert_int_equal(n, 0);
    assert_true(kh_pss__int(value("v: 1e3"), &n));
    assert_int_equal(n, 1000);
    assert_false(kh_pss__int(value("v: 8080.5"), &n));
    assert_false(kh_pss__int(value("v: .inf"), &n));
    assert_false(kh_pss__int(value("v: .nan"), &n));
    assert_false(kh_pss__int(value("v: \"0\""), &n));
    assert_false(kh_pss__int(value("v: null"), &n));
    assert_false(kh_pss__int(value("v: [0]"), &n));
    assert_false(kh_pss__int(NULL, &n));
    t_arena_free();
}

static void test_rules_pss__strings_and_pointers(void **state)
{
    (void)state;
    assert_string_equal(kh_pss__str(value("v: Unmasked")), "Unmasked");
    assert_string_equal(kh_pss__str(value("v: null")), "");
    assert_string_equal(kh_pss__str(value("v: {}")), "");
    assert_string_equal(kh_pss__str(NULL), "");
    assert_true(kh_pss__present(value("v: {}")));
    assert_true(kh_pss__present(value("v: \"\"")));
    assert_false(kh_pss__present(value("v: ~")));
    assert_false(kh_pss__present(NULL));
    t_arena_free();
}

static void test_rules_pss__deepest_key_positions_missing_fields(void **state)
{
    (void)state;
    const kh_node *c = yaml_load("name: app\n"
                                 "securityContext:\n"
                                 "  capabilities: {add: [CHOWN]}\n");
    const kh_node *at = kh_pss__deepest_key(c, "securityContext.capabilities.drop", c);
    assert_non_null(at);
    assert_int_equal(at->line, 3);
    assert_int_equal(at->col, 3);
    at = kh_pss__deepest_key(c, "securityContext.runAsNonRoot", c);
    assert_int_equal(at->line, 2);
    assert_int_equal(at->col, 1);
    assert_ptr_equal(kh_pss__deepest_key(c, "resources.limits", c), c);
    assert_null(kh_pss__deepest_key(c, "resources", NULL));
    t_arena_free();
}

static void test_rules_pss__windows_and_user_namespaces(void **state)
{
    (void)state;
    kh_podspec ps = {.spec = yaml_load("os: {name: windows}\nhostUsers: false\n")};
    assert_true(kh_pss__windows(&ps));
    assert_true(kh_pss__user_namespace(&ps));
    ps.spec = yaml_load("os: {name: Windows}\nhostUsers: \"false\"\n");
    assert_false(kh_pss__windows(&ps));
    assert_false(kh_pss__user_namespace(&ps));
    ps.spec = yaml_load("hostUsers: true\n");
    assert_false(kh_pss__windows(&ps));
    assert_false(kh_pss__user_namespace(&ps));
    t_arena_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_pss__integers_and_integral_floats),
        cmocka_unit_test(test_rules_pss__strings_and_pointers),
        cmocka_unit_test(test_rules_pss__deepest_key_positions_missing_fields),
        cmocka_unit_test(test_rules_pss__windows_and_user_namespaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
