/*
 * test_selector.c -- metav1.LabelSelector compilation, validation and
 * matching, and Service-style map selectors.
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

static const kh_selector *compile(const char *yaml)
{
    const kh_selector *sel = NULL;
    kh_error err = {0};
    if (kh_selector_compile(&sel, yaml ? yaml_load(yaml) : NULL, t_arena(),
                            &err) != 0)
        fail_msg("kh_selector_compile: %s", err.message);
    assert_non_null(sel);
    return sel;
}

static bool matches(const kh_selector *sel, const char *labels_yaml)
{
    return kh_selector_matches(sel, labels_yaml ? yaml_load(labels_yaml)
                                                : NULL);
}

/* ---------------------------------------------------------- nil vs empty */

static void test_k8s_selector__nil_matches_nothing(void **state)
{
    (void)state;
    const kh_selector *sels[] = {compile(NULL), compile("~"), compile("")};
    for (size_t i = 0; i < 3; i++) {
        assert_true(kh_selector_matches_nothing(sels[i]));
        assert_false(kh_selector_matches_everything(sels[i]));
        assert_false(matches(sels[i], "{app: web}"));
        assert_false(matches(sels[i], NULL));
    }
}

static void test_k8s_selector__empty_matches_everything(void **state)
{
    (void)state;
    const kh_selector *sels[] = {
        compile("{}"), compile("{matchLabels: {}}"),
        compile("{matchExpressions: []}"),
        compile("{matchLabels: ~, matchExpressions: ~}"),
    };
    for (size_t i = 0; i < 4; i++) {
        assert_true(kh_selector_matches_everything(sels[i]));
        assert_false(kh_selector_matches_nothing(sels[i]));
        assert_true(matches(sels[i], "{app: web}"));
        assert_true(matches(sels[i], "{}"));
        assert_true(matches(sels[i], NULL));
    }
}

/* -------------------------------------------------------------- operators */

static void test_k8s_selector__match_labels(void **state)
{
    (void)state;
    const kh_selector *s = compile("matchLabels: {app: web, tier: front}");
    assert_false(kh_selector_matches_everything(s));
    assert_false(kh_selector_matches_nothing(s));
    assert_true(matches(s, "{app: web, tier: front, extra: x}"));
    assert_false(matches(s, "{app: web}"));
    assert_false(matches(s, "{app: web, tier: back}"));
    assert_false(matches(s, "{App: web, tier: front}"));
    assert_false(matches(s, NULL));
}

static void test_k8s_selector__in(void **state)
{
    (void)state;
    const kh_selector *s = compile(
        "matchExpressions:\n- {key: env, operator: In, values: [prod, stage]}\n");
    assert_true(matches(s, "{env: prod}"));
    assert_true(matches(s, "{env: stage}"));
    assert_false(matches(s, "{env: dev}"));
    assert_false(matches(s, "{other: prod}"));
    assert_false(matches(s, NULL));
}

static void test_k8s_selector__not_in_matches_missing_key(void **state)
{
    (void)state;
    const kh_selector *s = compile(
        "matchExpressions:\n- {key: env, operator: NotIn, values: [prod]}\n");
    assert_true(matches(s, "{env: dev}"));
    assert_true(matches(s, "{other: prod}"));
    assert_true(matches(s, "{}"));
    assert_true(matches(s, NULL));
    assert_false(matches(s, "{env: prod}"));
}

static void test_k8s_selector__exists_and_does_not_exist(void **state)
{
    (void)state;
    const kh_selector *ex = compile(
        "matchExpressions: [{key: canary, operator: Exists}]");
    const kh_selector *dne = compile(
        "matchExpressions: [{key: canary, operator: DoesNotExist, values: []}]");
    assert_true(matches(ex, "{canary: ''}"));
    assert_true(matches(ex, "{canary: ~}"));
    assert_false(matches(ex, "{app: x}"));
    assert_false(matches(ex, NULL));
    assert_false(matches(dne, "{canary: 'true'}"));
    assert_true(matches(dne, "{app: x}"));
    assert_true(matches(dne, NULL));
}

static void test_k8s_selector__requirements_are_anded(void **state)
{
    (void)state;
    const kh_selector *s = compile(
        "matchLabels: {app: web}\n"
        "matchExpressions:\n"
        "- {key: env, operator: In, values: [prod]}\n"
        "- {key: canary, operator: DoesNotExist}\n");
    assert_true(matches(s, "{app: web, env: prod}"));
    assert_false(matches(s, "{app: web, env: prod, canary: x}"));
    assert_false(matches(s, "{app: api, env: prod}"));
    assert_false(matches(s, "{app: web, env: dev}"));
}

static void test_k8s_selector__yaml_scalar_label_values(void **state)
{
    (void)state;
    const kh_selector *s = compile("matchLabels: {version: '1', enabled: 'true'}");
    assert_true(matches(s, "{version: 1, enabled: true}"));
    assert_true(matches(s, "{version: '1', enabled: 'true'}"));
    assert_false(matches(s, "{version: 1.0, enabled: true}"));
    /* the selector side may be unquoted too */
    s = compile("matchLabels: {version: 1, enabled: yes}");
    assert_true(matches(s, "{version: '1', enabled: 'yes'}"));
    assert_false(matches(s, "{version: '1', enabled: 'true'}"));
    s = compile("matchExpressions: [{key: v, operator: In, values: [1, 2]}]");
    assert_true(matches(s, "{v: 2}"));
    /* keys compare exactly, as text */
    s = compile("matchLabels: {1: a}");
    assert_true(matches(s, "{'1': a}"));
    assert_false(matches(s, "{'01': a}"));
}

/* ------------------------------------------------------------- validation */

static void expect_invalid(const char *yaml, unsigned line, unsigned col,
                           const char *message)
{
    const kh_selector *sel = NULL;
    kh_error err = {0};
    assert_int_equal(kh_selector_compile(&sel, yaml_load(yaml), t_arena(),
                                         &err),
                     KH_EINVALID);
    assert_string_equal(err.message, message);
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    assert_true(kh_selector_matches_nothing(sel));
}

static void test_k8s_selector__validation_errors(void **state)
{
    (void)state;
    expect_invalid("matchExpressions:\n- key: a\n  operator: Foo\n", 3, 13,
                   "operator 'Foo' is not one of In, NotIn, Exists, DoesNotExist");
    expect_invalid("matchExpressions:\n- key: a\n  operator: in\n  values: [x]\n",
                   3, 13,
                   "operator 'in' is not one of In, NotIn, Exists, DoesNotExist");
    expect_invalid("matchExpressions:\n- key: a\n  operator: In\n", 2, 3,
                   "values: must be non-empty for operator 'In'");
    expect_invalid("matchExpressions:\n- key: a\n  operator: NotIn\n  values: []\n",
                   4, 11, "values: must be non-empty for operator 'NotIn'");
    expect_invalid("matchExpressions:\n- key: a\n  operator: Exists\n  values: [x]\n",
                   4, 11, "values: must be empty for operator 'Exists'");
    expect_invalid("matchExpressions:\n- {key: a, operator: DoesNotExist, "
                   "values: [x]}\n",
                   2, 44, "values: must be empty for operator 'DoesNotExist'");
    expect_invalid("matchLabels:\n  app: [web]\n", 2, 8,
                   "matchLabels.app: value must be a string");
    expect_invalid("matchLabels:\n  app: {a: b}\n", 2, 8,
                   "matchLabels.app: value must be a string");
    expect_invalid("matchLabels: [a]\n", 1, 14, "matchLabels: must be a mapping");
    expect_invalid("matchExpressions: {a: b}\n", 1, 19,
                   "matchExpressions: must be a list");
    expect_invalid("matchExpressions: [x]\n", 1, 20,
                   "matchExpressions: items must be mappings");
    expect_invalid("matchExpressions: [{operator: Exists}]\n", 1, 20,
                   "key: must be non-empty");
    expect_invalid("matchExpressions: [{key: a}]\n", 1, 20,
                   "operator: must be one of In, NotIn, Exists, DoesNotExist");
    expect_invalid("matchExpressions: [{key: a, operator: In, values: x}]\n",
                   1, 51, "values: must be a list");
    expect_invalid("matchExpressions: [{key: a, operator: In, values: [[x]]}]\n",
                   1, 52, "values: items must be strings");
    expect_invalid("[a]\n", 1, 1, "selector: must be a mapping");
}

/* ------------------------------------------------------------ map selectors */

static const kh_selector *from_map(const char *yaml)
{
    const kh_selector *sel = NULL;
    kh_error err = {0};
    if (kh_selector_from_map(&sel, yaml ? yaml_load(yaml) : NULL, t_arena(),
                             &err) != 0)
        fail_msg("kh_selector_from_map: %s", err.message);
    return sel;
}

static void test_k8s_selector__from_map(void **state)
{
    (void)state;
    const kh_selector *s = from_map("{app: web, version: 2}");
    assert_true(matches(s, "{app: web, version: '2', x: y}"));
    assert_false(matches(s, "{app: web}"));
    assert_false(kh_selector_matches_everything(s));
    /* NULL, null and {} select nothing, as for a Service */
    const kh_selector *none[] = {from_map(NULL), from_map("~"), from_map("{}")};
    for (size_t i = 0; i < 3; i++) {
        assert_true(kh_selector_matches_nothing(none[i]));
        assert_false(matches(none[i], "{app: web}"));
        assert_false(matches(none[i], "{}"));
    }
    /* a map must hold scalars */
    kh_error err = {0};
    assert_int_equal(kh_selector_from_map(&s, yaml_load("\napp: [x]\n"),
                                          t_arena(), &err),
                     KH_EINVALID);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 6);
    assert_string_equal(err.message, "selector.app: value must be a string");
    assert_int_equal(kh_selector_from_map(&s, yaml_load("[x]"), t_arena(), NULL),
                     KH_EINVALID);
}

static void test_k8s_selector__null_selector_pointer(void **state)
{
    (void)state;
    assert_false(kh_selector_matches(NULL, NULL));
    assert_true(kh_selector_matches_nothing(NULL));
    assert_false(kh_selector_matches_everything(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_k8s_selector__nil_matches_nothing,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__empty_matches_everything,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__match_labels, teardown),
        cmocka_unit_test_teardown(test_k8s_selector__in, teardown),
        cmocka_unit_test_teardown(test_k8s_selector__not_in_matches_missing_key,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__exists_and_does_not_exist,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__requirements_are_anded,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__yaml_scalar_label_values,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__validation_errors,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_selector__from_map, teardown),
        cmocka_unit_test_teardown(test_k8s_selector__null_selector_pointer,
                                  teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
