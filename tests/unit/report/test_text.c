/*
 * test_text.c -- the human report: exact layout, grouping, escaping of
 * terminal controls, colour only on request, and the summary sentence.
 */
#include "report_fixture.h"

static const char expected_text[] =
    "deploy/web.yaml\n"
    "  Deployment/shop/web\n"
    "    12:9  critical  pss.baseline.privileged  container 'app' runs privileged\n"
    "      at spec.template.spec.containers[0].securityContext.privileged\n"
    "    14:11  medium  workload.no-resource-limits  container \"app\" has no memory limit\n"
    "      at spec.template.spec.containers[0].resources\n"
    "  Pod/shop/debug\n"
    "    30:14  suppressed  image.tag-not-pinned  image 'busybox' has no tag"
    " (reason: pinned by the release pipeline)\n"
    "      at spec.containers[0].image\n"
    "  deploy/web.yaml:41:1: error: duplicate key 'kind'\n"
    "\n"
    "other dir/bad\\x01.yaml\n"
    "  Namespace/caf\xc3\xa9\n"
    "    3:1  low  workload.default-namespace  line1\\nline2\\t\"q\" <&> \\xff\\x1b[2J end\n"
    "\n"
    "3 findings (1 critical, 1 medium, 1 low) in 4 objects from 3 files; 1 suppressed; 1 error\n";

static void test_report_text__groups_by_file_and_object(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_TEXT);
    assert_string_equal(out, expected_text);
    free(out);
}

static void test_report_text__no_escape_codes_without_color(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_TEXT);
    assert_null(strchr(out, '\033'));
    free(out);
}

static void test_report_text__colors_severity_when_asked(void **state)
{
    (void)state;
    kh_report_options opts = {.color = 1};
    char *out = run_report(KH_FORMAT_TEXT, &opts, fixture_findings, NFIXTURE, &fixture_stats);
    assert_non_null(strstr(out, "\033[1;31mcritical\033[0m"));
    assert_non_null(strstr(out, "\033[33mmedium\033[0m"));
    assert_non_null(strstr(out, "\033[36mlow\033[0m"));
    assert_non_null(strstr(out, "\033[2msuppressed\033[0m"));
    assert_non_null(strstr(out, "\033[1mdeploy/web.yaml\033[0m\n"));
    /* The manifest's own escape sequence is still neutralised. */
    assert_non_null(strstr(out, "\\x1b[2J"));
    free(out);
}

static void test_report_text__object_header_repeats_after_error(void **state)
{
    (void)state;
    kh_finding fs[3] = {fixture_findings[0], fixture_findings[3], fixture_findings[1]};
    fs[1].line = 13;
    char *out = run_report(KH_FORMAT_TEXT, NULL, fs, 3, NULL);
    assert_int_equal(count_of(out, "  Deployment/shop/web\n"), 2);
    free(out);
}

static void test_report_text__summary_without_findings(void **state)
{
    (void)state;
    kh_scan_stats stats = {.files = 2, .documents = 3, .objects = 1};
    char *out = run_report(KH_FORMAT_TEXT, NULL, NULL, 0, &stats);
    assert_string_equal(out, "no findings in 1 object from 2 files\n");
    free(out);
}

static void test_report_text__summary_counts_itself_without_stats(void **state)
{
    (void)state;
    kh_finding fs[2] = {fixture_findings[0], fixture_findings[3]};
    fs[1].line = 50;
    char *out = run_report(KH_FORMAT_TEXT, NULL, fs, 2, NULL);
    assert_non_null(strstr(out, "\n\n1 finding (1 critical) in 1 object from 1 file; 1 error\n"));
    free(out);
}

static void test_report_text__error_without_position(void **state)
{
    (void)state;
    kh_finding f = {.rule_id = "error", .is_error = 1, .file = "missing.yaml",
                    .message = "cannot open 'missing.yaml': no such file"};
    char *out = run_report(KH_FORMAT_TEXT, NULL, &f, 1, NULL);
    assert_string_equal(out, "missing.yaml\n"
                             "  missing.yaml: error: cannot open 'missing.yaml': no such file\n"
                             "\n"
                             "no findings in 0 objects from 1 file; 1 error\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_text__groups_by_file_and_object),
        cmocka_unit_test(test_report_text__no_escape_codes_without_color),
        cmocka_unit_test(test_report_text__colors_severity_when_asked),
        cmocka_unit_test(test_report_text__object_header_repeats_after_error),
        cmocka_unit_test(test_report_text__summary_without_findings),
        cmocka_unit_test(test_report_text__summary_counts_itself_without_stats),
        cmocka_unit_test(test_report_text__error_without_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
