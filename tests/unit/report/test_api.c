/*
 * test_api.c -- the report API contract: format names, argument checks,
 * kh_report_free(NULL), use after end, and KH_EIO when the output cannot
 * be written (a full disk, a stream nobody can write to).
 */
#include "report_fixture.h"

static void test_report_api__format_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        kh_format format;
    } names[] = {{"text", KH_FORMAT_TEXT}, {"json", KH_FORMAT_JSON},
                 {"sarif", KH_FORMAT_SARIF}, {"junit", KH_FORMAT_JUNIT}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        kh_format f = (kh_format)-1;
        assert_int_equal(kh_format_parse(&f, names[i].name), 0);
        assert_int_equal(f, names[i].format);
    }
    kh_format f = KH_FORMAT_TEXT;
    assert_int_equal(kh_format_parse(&f, "xml"), KH_EUSAGE);
    assert_int_equal(kh_format_parse(&f, "JSON"), KH_EUSAGE);
    assert_int_equal(kh_format_parse(&f, ""), KH_EUSAGE);
    assert_int_equal(kh_format_parse(&f, NULL), KH_EUSAGE);
}

static void test_report_api__new_rejects_bad_arguments(void **state)
{
    (void)state;
    kh_report *r = (kh_report *)&r;
    kh_error err = {0};
    assert_int_equal(kh_report_new(&r, KH_FORMAT_JSON, NULL, NULL, &err), KH_EUSAGE);
    assert_null(r);
    assert_int_equal(err.code, KH_EUSAGE);
    assert_int_equal(kh_report_new(&r, (kh_format)42, stdout, NULL, &err), KH_EUSAGE);
    assert_null(r);
    assert_non_null(strstr(err.message, "unknown output format"));
    assert_int_equal(kh_report_new(&r, (kh_format)42, stdout, NULL, NULL), KH_EUSAGE);
}

static void test_report_api__free_null_is_a_no_op(void **state)
{
    (void)state;
    kh_report_free(NULL);
}

static void test_report_api__no_use_after_end(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    kh_report *r = NULL;
    kh_error err = {0};
    assert_int_equal(kh_report_new(&r, KH_FORMAT_JSON, out, NULL, &err), 0);
    assert_int_equal(kh_report_finding_cb(&fixture_findings[0], r), 0);
    assert_int_equal(kh_report_end(r, NULL, &err), 0);
    assert_int_equal(kh_report_add(r, &fixture_findings[1]), KH_EUSAGE);
    assert_int_equal(kh_report_end(r, NULL, &err), KH_EUSAGE);
    assert_int_equal(kh_report_add(NULL, &fixture_findings[1]), KH_EUSAGE);
    assert_int_equal(kh_report_add(r, NULL), KH_EUSAGE);
    kh_report_free(r);
    fclose(out);
    assert_int_equal(count_of(buf, "\"type\": \"finding\""), 1);
    free(buf);
}

static void test_report_api__default_tool_version(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_JSON, NULL, NULL, 0, NULL);
    assert_non_null(strstr(out, "\"version\": \"" KH_VERSION "\""));
    free(out);
}

static void test_report_api__full_disk_is_eio(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/full", "w");
    if (!out)
        skip();
    kh_format formats[] = {KH_FORMAT_TEXT, KH_FORMAT_JSON, KH_FORMAT_SARIF, KH_FORMAT_JUNIT};
    for (size_t i = 0; i < 4; i++) {
        kh_report *r = NULL;
        kh_error err = {0};
        clearerr(out);
        /* Small writes stay in the stdio buffer: the failure shows at the end. */
        int rc = kh_report_new(&r, formats[i], out, NULL, &err);
        for (size_t j = 0; !rc && j < NFIXTURE; j++)
            rc = kh_report_add(r, &fixture_findings[j]);
        if (!rc)
            rc = kh_report_end(r, &fixture_stats, &err);
        assert_int_equal(rc, KH_EIO);
        kh_report_free(r);
    }
    fclose(out);
}

static void test_report_api__end_sets_error_on_failed_write(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/full", "w");
    if (!out)
        skip();
    kh_report *r = NULL;
    kh_error err = {0};
    assert_int_equal(kh_report_new(&r, KH_FORMAT_TEXT, out, NULL, &err), 0);
    assert_int_equal(kh_report_end(r, NULL, &err), KH_EIO);
    assert_int_equal(err.code, KH_EIO);
    assert_string_equal(err.message, "cannot write the report");
    kh_report_free(r);
    fclose(out);
}

static void test_report_api__add_stops_when_stream_fails(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "r");   /* every write fails at once */
    assert_non_null(out);
    kh_report *r = NULL;
    kh_error err = {0};
    assert_int_equal(kh_report_new(&r, KH_FORMAT_TEXT, out, NULL, &err), 0);
    assert_int_equal(kh_report_add(r, &fixture_findings[0]), KH_EIO);
    kh_report_free(r);
    assert_int_equal(kh_report_new(&r, KH_FORMAT_JSON, out, NULL, &err), KH_EIO);
    assert_null(r);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_api__format_names),
        cmocka_unit_test(test_report_api__new_rejects_bad_arguments),
        cmocka_unit_test(test_report_api__free_null_is_a_no_op),
        cmocka_unit_test(test_report_api__no_use_after_end),
        cmocka_unit_test(test_report_api__default_tool_version),
        cmocka_unit_test(test_report_api__full_disk_is_eio),
        cmocka_unit_test(test_report_api__end_sets_error_on_failed_write),
        cmocka_unit_test(test_report_api__add_stops_when_stream_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
