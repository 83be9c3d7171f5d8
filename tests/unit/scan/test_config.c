/*
 * test_config.c -- .kubeharden.yaml: what it changes, and that every
 * mistake in it is an error with file:line:col, never a silent default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kubeharden.h"

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/kh-config-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int load(const char *text, kh_config **cfg, kh_error *err)
{
    char *path = write_temp(text);
    int rc = kh_config_load(cfg, path, err);
    unlink(path);
    free(path);
    return rc;
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *msg)
{
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(load(text, &cfg, &err), KH_ECONFIG);
    assert_null(cfg);
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    assert_string_equal(err.message, msg);
}

static int count(const kh_finding *f, void *ud)
{
    if (!f->is_error && !f->suppressed)
        ((size_t *)ud)[f->severity]++;
    return 0;
}

/* Scan @p yaml with @p cfg; returns the count of findings per severity. */
static void scan(const kh_config *cfg, const char *yaml, size_t out[5])
{
    kh_scanner *s = NULL;
    memset(out, 0, 5 * sizeof(size_t));
    assert_int_equal(kh_scanner_new(&s, cfg, count, out, NULL), KH_OK);
    kh_scan_buffer(s, yaml, strlen(yaml), "t.yaml", NULL);
    kh_scanner_free(s);
}

static const char *pod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  containers:\n  - name: app\n    image: nginx\n"
    "    resources: {limits: {cpu: 1, memory: 1Gi}, requests: {cpu: 1, memory: 1Gi}}\n";

static void test_scan_config__defaults_run_every_rule(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    size_t n[5];
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    scan(cfg, pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM], 1); /* image.tag-not-pinned */
    kh_config_free(cfg);
}

static void test_scan_config__disable_and_severity(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    size_t n[5];
    assert_int_equal(load("rules:\n  severity: {image.tag-not-pinned: critical}\n", &cfg, &err),
                     KH_OK);
    scan(cfg, pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM], 0);
    assert_int_equal(n[KH_SEVERITY_CRITICAL], 1);
    kh_config_free(cfg);
    assert_int_equal(load("rules:\n  disable: [image.tag-not-pinned]\n", &cfg, &err), KH_OK);
    scan(cfg, pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM] + n[KH_SEVERITY_CRITICAL], 0);
    kh_config_free(cfg);
}

static void test_scan_config__exclude_globs(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    size_t n[5];
    assert_int_equal(load("exclude:\n- {namespace: 'sh*', kind: Pod}\n", &cfg, &err), KH_OK);
    scan(cfg, pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM], 0);
    kh_config_free(cfg);
    /* Every field of an entry must match. */
    assert_int_equal(load("exclude:\n- {namespace: 'sh*', name: other}\n", &cfg, &err), KH_OK);
    scan(cfg, pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM], 1);
    kh_config_free(cfg);
}

static void test_scan_config__empty_file_is_the_default(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(load("# nothing yet\n", &cfg, &err), KH_OK);
    kh_config_free(cfg);
}

static void test_scan_config__errors_have_positions(void **state)
{
    (void)state;
    expect_error("rules:\n  disable: [image.tag-not-pinned, no.such-rule]\n", 2, 35,
                 "unknown rule 'no.such-rule'");
    expect_error("rule:\n  disable: []\n", 1, 1, "unknown key 'rule' (expected rules, exclude or pss)");
    expect_error("rules:\n  severity:\n    image.tag-not-pinned: severe\n", 3, 27,
                 "unknown severity 'severe' (use info, low, medium, high or critical)");
    expect_error("rules:\n  disable: image.tag-not-pinned\n", 2, 12,
                 "rules.disable must be a list of rule ids");
    expect_error("exclude:\n- {namespace: a, label: b}\n", 2, 18,
                 "unknown key 'exclude.label' (expected namespace, kind or name)");
    expect_error("rules: [\n", 2, 1,
                 "did not find expected node content (while parsing a flow node at line 2, column 1)");
}

static void test_scan_config__missing_file(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_load(&cfg, "/nonexistent/.kubeharden.yaml", &err), KH_EIO);
    assert_null(cfg);
    assert_string_equal(err.file, "/nonexistent/.kubeharden.yaml");
}

static void test_scan_config__only_rule(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "nope", &err), KH_ENOTFOUND);
    assert_string_equal(err.message, "unknown rule 'nope'");
    kh_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_config__defaults_run_every_rule),
        cmocka_unit_test(test_scan_config__disable_and_severity),
        cmocka_unit_test(test_scan_config__exclude_globs),
        cmocka_unit_test(test_scan_config__empty_file_is_the_default),
        cmocka_unit_test(test_scan_config__errors_have_positions),
        cmocka_unit_test(test_scan_config__missing_file),
        cmocka_unit_test(test_scan_config__only_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
