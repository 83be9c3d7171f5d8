/*
 * test_pss.c -- the Pod Security helpers that read values the way the API
 * server's Go types decode them (numbers, strings, pointers), and the
 * position of a finding for a missing field, the registry's override
 * columns against upstream's OverrideCheckIDs, and how the API server's
 * version sets the policy version. The controls themselves are
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
#include "scan/config.h"

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

/* Each restricted check's OverrideCheckIDs and the MinimumVersion of its
 * first VersionedCheck that names them (k8s.io/pod-security-admission/policy). */
static void test_rules_pss__overrides_match_upstream(void **state)
{
    (void)state;
    static const struct {
        const char *rule, *overrides;
        int since;
    } upstream[] = {
        {"pss.restricted.capabilities", "pss.baseline.capabilities", 22},
        {"pss.restricted.proc-mount", "pss.baseline.proc-mount", 35},
        {"pss.restricted.seccomp", "pss.baseline.seccomp", 19},
        {"pss.restricted.volume-types", "pss.baseline.host-path-volumes", 0},
    };
    size_t n, found = 0;
    const kh_rule_def *t = kh_rules__table(&n);
    for (size_t i = 0; i < n; i++) {
        if (!t[i].overrides)
            continue;
        found++;
        const kh_rule_def *base = kh_rules__find(t[i].overrides);
        assert_non_null(base);
        assert_int_equal(t[i].pss_level, KH_PSS_RESTRICTED);
        assert_int_equal(base->pss_level, KH_PSS_BASELINE);
    }
    assert_int_equal(found, sizeof(upstream) / sizeof(upstream[0]));
    for (size_t i = 0; i < found; i++) {
        const kh_rule_def *def = kh_rules__find(upstream[i].rule);
        assert_non_null(def);
        assert_string_equal(def->overrides, upstream[i].overrides);
        assert_int_equal(def->overrides_since, upstream[i].since);
    }
}

static void test_rules_pss__kube_version_sets_policy_version(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_new(&cfg, &err), KH_OK);
    assert_int_equal(cfg->kube_minor, KH_PSS_LATEST);
    assert_int_equal(kh_config_set_kube_version(cfg, "v1.26", &err), KH_OK);
    assert_int_equal(cfg->kube_minor, 26);
    assert_int_equal(cfg->pss_minor, 26); /* follows the API server */
    assert_int_equal(kh_config_set_pss(cfg, NULL, "v1.18", &err), KH_OK);
    assert_int_equal(kh_config_set_kube_version(cfg, "v1.24", &err), KH_OK);
    assert_int_equal(cfg->pss_minor, 18); /* an explicit version wins */
    assert_int_equal(cfg->kube_minor, 24);
    assert_int_equal(kh_config_set_kube_version(cfg, "1.24", &err), KH_EUSAGE);
    assert_non_null(strstr(err.message, "'1.24'"));
    assert_int_equal(cfg->kube_minor, 24);
    kh_config_free(cfg);
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
        cmocka_unit_test(test_rules_pss__overrides_match_upstream),
        cmocka_unit_test(test_rules_pss__kube_version_sets_policy_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
