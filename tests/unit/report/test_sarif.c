/*
 * test_sarif.c -- the SARIF 2.1.0 report: rule metadata for every
 * registered rule, one result per finding with its rule index, level,
 * location and suppression, and input errors as tool notifications after
 * the results (spooled while the results stream). Schema validation of
 * real output is done by tests/e2e/sarif_schema.sh.
 */
#include "report_fixture.h"

static const char expected_result[] =
    "        {\n"
    "          \"ruleId\": \"pss.baseline.privileged\",\n"
    "          \"ruleIndex\": 1,\n"
    "          \"level\": \"error\",\n"
    "          \"message\": {\n"
    "            \"text\": \"container 'app' runs privileged\"\n"
    "          },\n"
    "          \"locations\": [\n"
    "            {\n"
    "              \"physicalLocation\": {\n"
    "                \"artifactLocation\": {\n"
    "                  \"uri\": \"deploy/web.yaml\"\n"
    "                },\n"
    "                \"region\": {\n"
    "                  \"startLine\": 12,\n"
    "                  \"startColumn\": 9\n"
    "                }\n"
    "              },\n"
    "              \"logicalLocations\": [\n"
    "                {\n"
    "                  \"name\": \"web\",\n"
    "                  \"fullyQualifiedName\": \"Deployment/shop/web\",\n"
    "                  \"kind\": \"resource\"\n"
    "                }\n"
    "              ]\n"
    "            }\n"
    "          ],\n"
    "          \"properties\": {\n"
    "            \"path\": \"spec.template.spec.containers[0].securityContext.privileged\",\n"
    "            \"severity\": \"critical\"\n"
    "          }\n"
    "        },\n";

static void test_report_sarif__header_and_every_rule(void **state)
{
    (void)state;
    static const char head[] = "{\n"
                               "  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
                               "  \"version\": \"2.1.0\",\n"
                               "  \"runs\": [\n";
    char *out = run_report(KH_FORMAT_SARIF, NULL, NULL, 0, NULL);
    assert_true(strncmp(out, head, strlen(head)) == 0);
    assert_non_null(strstr(out, "\"informationUri\": \"https://github.com/kubeharden/kubeharden\""));
    assert_int_equal(count_of(out, "\"shortDescription\""), kh_rule_count());
    assert_non_null(strstr(out, "              \"id\": \"pss.baseline.privileged\",\n"
                                "              \"name\": \"PssBaselinePrivileged\",\n"
                                "              \"shortDescription\": {\n"
                                "                \"text\": \"container runs privileged\"\n"
                                "              },\n"
                                "              \"fullDescription\": {\n"
                                "                \"text\": \"a privileged container is \\\"root\\\" on the node\"\n"
                                "              },\n"
                                "              \"help\": {\n"
                                "                \"text\": \"set privileged: false\"\n"
                                "              },\n"
                                "              \"defaultConfiguration\": {\n"
                                "                \"level\": \"error\"\n"
                                "              },\n"
                                "              \"properties\": {\n"
                                "                \"area\": \"pss\",\n"
                                "                \"severity\": \"critical\",\n"
                                "                \"tags\": [\n"
                                "                  \"security\",\n"
                                "                  \"pss\"\n"
                                "                ],\n"
                                "                \"security-severity\": \"9.5\"\n"
                                "              }\n"));
    assert_non_null(strstr(out, "\"results\": [],\n"));
    assert_non_null(strstr(out, "\"executionSuccessful\": true\n"));
    assert_null(strstr(out, "toolExecutionNotifications"));
    free(out);
}

static void test_report_sarif__result_layout(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    assert_non_null(strstr(out, expected_result));
    assert_int_equal(count_of(out, "\"ruleId\""), 4);
    free(out);
}

static void test_report_sarif__levels_follow_severity(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    assert_non_null(strstr(out, "\"ruleIndex\": 3,\n          \"level\": \"warning\""));
    assert_non_null(strstr(out, "\"ruleIndex\": 2,\n          \"level\": \"note\""));
    assert_non_null(strstr(out, "\"defaultConfiguration\": {\n                \"level\": \"note\""));
    free(out);
}

static void test_report_sarif__suppressed_finding_carries_justification(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    assert_int_equal(count_of(out, "\"suppressions\""), 1);
    assert_non_null(strstr(out, "          \"suppressions\": [\n"
                                "            {\n"
                                "              \"kind\": \"inSource\",\n"
                                "              \"justification\": \"pinned by the release pipeline\"\n"
                                "            }\n"
                                "          ],\n"));
    free(out);
}

static void test_report_sarif__uri_is_percent_encoded(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    assert_true(clean_utf8(out, 0));
    assert_non_null(strstr(out, "\"uri\": \"other%20dir/bad%01.yaml\""));
    assert_non_null(strstr(out, "\"fullyQualifiedName\": \"Namespace/caf\xc3\xa9\""));
    free(out);
}

static void test_report_sarif__errors_become_notifications_after_results(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    const char *results = strstr(out, "\"results\": [");
    const char *notes = strstr(out, "\"toolExecutionNotifications\": [");
    assert_non_null(results);
    assert_non_null(notes);
    assert_true(notes > results);
    assert_non_null(strstr(out, "      \"invocations\": [\n"
                                "        {\n"
                                "          \"executionSuccessful\": false,\n"
                                "          \"toolExecutionNotifications\": [\n"
                                "            {\n"
                                "              \"level\": \"error\",\n"
                                "              \"message\": {\n"
                                "                \"text\": \"duplicate key 'kind'\"\n"
                                "              },\n"
                                "              \"locations\": [\n"));
    assert_true(strlen(out) > 20);
    assert_string_equal(out + strlen(out) - 20, "      ]\n    }\n  ]\n}\n");
    free(out);
}

static void test_report_sarif__many_errors_are_all_copied(void **state)
{
    (void)state;
    enum { N = 2000 };
    kh_finding *fs = calloc(N, sizeof(*fs));
    assert_non_null(fs);
    for (size_t i = 0; i < N; i++) {
        fs[i] = fixture_findings[3];
        fs[i].line = (unsigned)i + 1;
    }
    char *out = run_report(KH_FORMAT_SARIF, NULL, fs, N, NULL);
    assert_int_equal(count_of(out, "\"level\": \"error\",\n              \"message\""), N);
    assert_non_null(strstr(out, "\"startLine\": 2000,"));
    assert_non_null(strstr(out, "\"results\": [],\n"));
    free(out);
    free(fs);
}

static void test_report_sarif__absolute_path_is_file_uri(void **state)
{
    (void)state;
    kh_finding f = fixture_findings[0];
    f.file = "/srv/k8s/my app.yaml";
    char *out = run_report(KH_FORMAT_SARIF, NULL, &f, 1, NULL);
    assert_non_null(strstr(out, "\"uri\": \"file:///srv/k8s/my%20app.yaml\""));
    free(out);
}

static void test_report_sarif__unknown_rule_has_no_index(void **state)
{
    (void)state;
    kh_finding f = fixture_findings[0];
    f.rule_id = "zzz.not-registered";
    char *out = run_report(KH_FORMAT_SARIF, NULL, &f, 1, NULL);
    assert_non_null(strstr(out, "\"ruleId\": \"zzz.not-registered\",\n          \"level\""));
    assert_null(strstr(out, "\"ruleIndex\""));
    free(out);
}

static void test_report_sarif__unknown_position_has_no_region(void **state)
{
    (void)state;
    kh_finding f = fixture_findings[0];
    f.line = f.col = 0;
    char *out = run_report(KH_FORMAT_SARIF, NULL, &f, 1, NULL);
    assert_null(strstr(out, "\"region\""));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_sarif__header_and_every_rule),
        cmocka_unit_test(test_report_sarif__result_layout),
        cmocka_unit_test(test_report_sarif__levels_follow_severity),
        cmocka_unit_test(test_report_sarif__suppressed_finding_carries_justification),
        cmocka_unit_test(test_report_sarif__uri_is_percent_encoded),
        cmocka_unit_test(test_report_sarif__errors_become_notifications_after_results),
        cmocka_unit_test(test_report_sarif__many_errors_are_all_copied),
        cmocka_unit_test(test_report_sarif__absolute_path_is_file_uri),
        cmocka_unit_test(test_report_sarif__unknown_rule_has_no_index),
        cmocka_unit_test(test_report_sarif__unknown_position_has_no_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
