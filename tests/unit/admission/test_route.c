/*
 * test_route.c -- kh_route_parse and kh_mode_parse: what a webhook path
 * and its query select, and the errors a mistyped webhook URL gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kubeharden.h"

static void test_route_parse__defaults_are_latest_and_enforce(void **state)
{
    (void)state;
    kh_route r;
    assert_int_equal(kh_route_parse(&r, "/validate/baseline", NULL, NULL), KH_OK);
    assert_int_equal(r.level, KH_PSS_BASELINE);
    assert_string_equal(r.version, "latest");
    assert_int_equal(r.mode, KH_MODE_ENFORCE);
    assert_int_equal(kh_route_parse(&r, "/validate/restricted", "", NULL), KH_OK);
    assert_int_equal(r.level, KH_PSS_RESTRICTED);
    assert_int_equal(kh_route_parse(&r, "/validate/privileged", NULL, NULL), KH_OK);
    assert_int_equal(r.level, KH_PSS_PRIVILEGED);
}

static void test_route_parse__every_parameter(void **state)
{
    (void)state;
    kh_route r;
    assert_int_equal(kh_route_parse(&r, "/validate/restricted", "version=v1.30&mode=warn", NULL),
                     KH_OK);
    assert_string_equal(r.version, "v1.30");
    assert_int_equal(r.mode, KH_MODE_WARN);
    assert_int_equal(kh_route_parse(&r, "/validate/baseline", "mode=audit&version=latest", NULL),
                     KH_OK);
    assert_string_equal(r.version, "latest");
    assert_int_equal(r.mode, KH_MODE_AUDIT);
    assert_int_equal(kh_route_parse(&r, "/validate/baseline", "mode=enforce", NULL), KH_OK);
    assert_int_equal(r.mode, KH_MODE_ENFORCE);
    /* v1.0 is a version upstream knows; empty parameters say nothing */
    assert_int_equal(kh_route_parse(&r, "/validate/baseline", "&version=v1.0&&", NULL), KH_OK);
    assert_string_equal(r.version, "v1.0");
    assert_int_equal(kh_route_parse(&r, "/validate/baseline", "version=v1.999999", NULL), KH_OK);
}

/* The form a ValidatingWebhookConfiguration can use: the API server takes
 * no query string in a webhook's path, and each segment must be a DNS-1123
 * subdomain (v1.30 is one). */
static void test_route_parse__path_segments(void **state)
{
    (void)state;
    kh_route r;
    assert_int_equal(kh_route_parse(&r, "/validate/restricted/v1.30/warn", NULL, NULL), KH_OK);
    assert_int_equal(r.level, KH_PSS_RESTRICTED);
    assert_string_equal(r.version, "v1.30");
    assert_int_equal(r.mode, KH_MODE_WARN);
    assert_int_equal(kh_route_parse(&r, "/validate/baseline/latest", NULL, NULL), KH_OK);
    assert_string_equal(r.version, "latest");
    assert_int_equal(r.mode, KH_MODE_ENFORCE);
    /* a version in the path, the mode in the query */
    assert_int_equal(kh_route_parse(&r, "/validate/baseline/v1.25", "mode=audit", NULL), KH_OK);
    assert_string_equal(r.version, "v1.25");
    assert_int_equal(r.mode, KH_MODE_AUDIT);
}

static void expect_usage(const char *path, const char *query, const char *needle)
{
    kh_route r = {.level = KH_PSS_BASELINE};
    kh_error err = {0};
    assert_int_equal(kh_route_parse(&r, path, query, &err), KH_EUSAGE);
    if (!strstr(err.message, needle))
        fail_msg("'%s' not in '%s'", needle, err.message);
    assert_int_equal(r.level, KH_PSS_BASELINE); /* untouched on error */
}

static void test_route_parse__bad_values_name_the_value(void **state)
{
    (void)state;
    expect_usage("/validate/strict", NULL, "unknown Pod Security level 'strict'");
    expect_usage("/validate/", NULL, "unknown Pod Security level ''");
    expect_usage("/validate/restricted/", NULL, "bad route '/validate/restricted/'");
    expect_usage("/validate/restricted//warn", NULL, "bad route");
    expect_usage("/validate/restricted/v1.30/warn/x", NULL, "bad route");
    expect_usage("/validate/restricted/1.30", NULL, "version '1.30' in the path");
    expect_usage("/validate/restricted/latest/deny", NULL, "unknown mode 'deny' in the path");
    expect_usage("/validate/restricted/v1.30", "version=v1.29", "version given twice");
    expect_usage("/validate/restricted/v1.30/warn", "mode=warn", "mode given twice");
    expect_usage("/validate/restricted", "version=1.30", "bad Pod Security version '1.30'");
    expect_usage("/validate/restricted", "version=v1.030", "version 'v1.030'"); /* upstream refuses leading zeros */
    expect_usage("/validate/restricted", "version=v2.1", "version 'v2.1'");
    expect_usage("/validate/restricted", "version=", "version ''");
    expect_usage("/validate/restricted", "version=v1.1234567", "version 'v1.1234567'");
    expect_usage("/validate/restricted", "mode=deny", "unknown mode 'deny'");
    expect_usage("/validate/restricted", "mode=Enforce", "unknown mode 'Enforce'");
    expect_usage("/validate/restricted", "level=baseline", "unknown query parameter 'level'");
    expect_usage("/validate/restricted", "mode", "bad query parameter 'mode'");
    expect_usage("/validate/restricted", "mode=warn&mode=audit", "mode given twice");
    expect_usage("/validate/restricted", "version=latest&version=v1.30", "version given twice");
    expect_usage("/validate/restricted", "mode=%65nforce", "bad query parameter");
}

static void test_route_parse__other_paths_are_not_found(void **state)
{
    (void)state;
    kh_route r;
    assert_int_equal(kh_route_parse(&r, "/healthz", NULL, NULL), KH_ENOTFOUND);
    assert_int_equal(kh_route_parse(&r, "/validate", NULL, NULL), KH_ENOTFOUND);
    assert_int_equal(kh_route_parse(&r, "/validatex/restricted", NULL, NULL), KH_ENOTFOUND);
    assert_int_equal(kh_route_parse(&r, NULL, NULL, NULL), KH_ENOTFOUND);
}

static void test_mode__names_round_trip(void **state)
{
    (void)state;
    kh_mode m;
    for (int i = KH_MODE_ENFORCE; i <= KH_MODE_AUDIT; i++) {
        assert_int_equal(kh_mode_parse(&m, kh_mode_name((kh_mode)i)), KH_OK);
        assert_int_equal(m, i);
    }
    assert_int_equal(kh_mode_parse(&m, "dryrun"), KH_EUSAGE);
    assert_int_equal(kh_mode_parse(&m, NULL), KH_EUSAGE);
    assert_string_equal(kh_mode_name((kh_mode)7), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_parse__defaults_are_latest_and_enforce),
        cmocka_unit_test(test_route_parse__every_parameter),
        cmocka_unit_test(test_route_parse__path_segments),
        cmocka_unit_test(test_route_parse__bad_values_name_the_value),
        cmocka_unit_test(test_route_parse__other_paths_are_not_found),
        cmocka_unit_test(test_mode__names_round_trip),
    };
    return cmocka_run_group_tests_name("admission/route", tests, NULL, NULL);
}
