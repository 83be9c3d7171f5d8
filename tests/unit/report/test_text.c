/*
 * test_text.c -- the human report: exact layout, grouping, escaping of
 * terminal controls, colour only on request, the summary sentence, and
 * related locations under their finding.
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
    "  deploy/web.yaml:41:1: error: mapping values are not allowed in this context\n"
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

static void test_report_text__summary_of_a_cluster_names_its_server(void **state)
{
    (void)state;
    kh_scan_stats stats = {.files = 3, .documents = 9, .objects = 9};
    kh_report_options o = {.api_server = "https://10.0.0.1:6443"};
    char *out = run_report(KH_FORMAT_TEXT, &o, NULL, 0, &stats);
    assert_string_equal(out, "no findings in 9 objects from https://10.0.0.1:6443\n");
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

static const char expected_related[] =
    "rbac/grants.yaml\n"
    "  ServiceAccount/shop/builder\n"
    "    2:1  high  rbac.secret-readers  ServiceAccount 'builder' can read secrets\n"
    "  ServiceAccount/shop/ci\n"
    "    12:5  high  rbac.secret-readers  ServiceAccount 'ci' can read secrets\n"
    "      at metadata.name\n"
    "      related: binds the role 'reader' to ServiceAccount 'ci'\n"
    "        RoleBinding/shop/ci-read  rbac/grants.yaml:7:3  at roleRef\n"
    "  ServiceAccount/shop/deployer\n"
    "    40:5  high  rbac.secret-readers  ServiceAccount 'deployer' can read secrets\n"
    "      related: binds the role 'reader' to ServiceAccount 'ci'\n"
    "        RoleBinding/shop/ci-read  rbac/grants.yaml:7:3  at roleRef\n"
    "      related: allows get on secrets\n"
    "        ClusterRole/reader  rbac/grants.yaml:20:1  at rules[0]\n"
    "      related: the API server's default authorizer\n"
    "      related: grants \"*\" \\x1b[2J & <all> \\u202e end\n"
    "        Role/sh\\nop/r\\xff<&>  odd dir/ro\"le\\x01.yaml:4:5  at rules[\"*\"]\n"
    "      related: Role/shop/empty  rbac/grants.yaml:30\n"
    "\n"
    "3 findings (3 high) in 3 objects from 1 file\n";

static void test_report_text__related_locations_under_their_finding(void **state)
{
    (void)state;
    char *out = run_related(KH_FORMAT_TEXT);
    assert_string_equal(out, expected_related);
    free(out);
}

static void test_report_text__related_strings_cannot_reach_the_terminal(void **state)
{
    (void)state;
    char *out = run_related(KH_FORMAT_TEXT);
    assert_null(strchr(out, '\033'));
    assert_null(strstr(out, "\xe2\x80\xae"));   /* the bidirectional override */
    assert_true(clean_utf8(out, 0));            /* no tab, no raw control, valid UTF-8 */
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
        cmocka_unit_test(test_report_text__summary_of_a_cluster_names_its_server),
        cmocka_unit_test(test_report_text__summary_counts_itself_without_stats),
        cmocka_unit_test(test_report_text__error_without_position),
        cmocka_unit_test(test_report_text__related_locations_under_their_finding),
        cmocka_unit_test(test_report_text__related_strings_cannot_reach_the_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
