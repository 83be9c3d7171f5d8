/*
 * test_json.c -- the JSON report (schemaVersion 2): exact layout of a small
 * report, every field of a finding and an error, related locations (none,
 * one, several, hostile), escaping of hostile strings, and a well-formed
 * document when nothing was found.
 */
#include "report_fixture.h"

static const char expected_one[] =
    "{\n"
    "  \"schemaVersion\": 2,\n"
    "  \"tool\": {\n"
    "    \"name\": \"kubeharden\",\n"
    "    \"version\": \"9.9.9\"\n"
    "  },\n"
    "  \"findings\": [\n"
    "    {\n"
    "      \"type\": \"finding\",\n"
    "      \"ruleId\": \"image.tag-not-pinned\",\n"
    "      \"severity\": \"medium\",\n"
    "      \"file\": \"deploy/web.yaml\",\n"
    "      \"line\": 30,\n"
    "      \"column\": 14,\n"
    "      \"apiVersion\": \"v1\",\n"
    "      \"kind\": \"Pod\",\n"
    "      \"namespace\": \"shop\",\n"
    "      \"name\": \"debug\",\n"
    "      \"path\": \"spec.containers[0].image\",\n"
    "      \"message\": \"image 'busybox' has no tag\",\n"
    "      \"suppressed\": {\n"
    "        \"reason\": \"pinned by the release pipeline\"\n"
    "      },\n"
    "      \"related\": []\n"
    "    }\n"
    "  ],\n"
    "  \"summary\": {\n"
    "    \"files\": 1,\n"
    "    \"documents\": 0,\n"
    "    \"objects\": 1,\n"
    "    \"findings\": 0,\n"
    "    \"suppressed\": 1,\n"
    "    \"errors\": 0,\n"
    "    \"bySeverity\": {\n"
    "      \"critical\": 0,\n"
    "      \"high\": 0,\n"
    "      \"medium\": 0,\n"
    "      \"low\": 0,\n"
    "      \"info\": 0\n"
    "    }\n"
    "  }\n"
    "}\n";

static void test_report_json__exact_layout(void **state)
{
    (void)state;
    kh_report_options opts = {.tool_version = "9.9.9"};
    char *out = run_report(KH_FORMAT_JSON, &opts, &fixture_findings[2], 1, NULL);
    assert_string_equal(out, expected_one);
    free(out);
}

static void test_report_json__findings_and_errors_share_one_array(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_JSON);
    assert_int_equal(count_of(out, "\"type\": \"finding\""), 4);
    assert_int_equal(count_of(out, "\"type\": \"error\""), 1);
    assert_int_equal(count_of(out, "\"findings\": ["), 1);
    assert_non_null(strstr(out, "      \"type\": \"error\",\n"
                                "      \"ruleId\": \"error\",\n"
                                "      \"severity\": \"error\",\n"
                                "      \"file\": \"deploy/web.yaml\",\n"
                                "      \"line\": 41,\n"
                                "      \"column\": 1,\n"
                                "      \"apiVersion\": null,\n"
                                "      \"kind\": null,\n"
                                "      \"namespace\": null,\n"
                                "      \"name\": null,\n"
                                "      \"path\": null,\n"
                                "      \"message\": \"mapping values are not allowed in this context\",\n"
                                "      \"suppressed\": null,\n"
                                "      \"related\": []\n"));
    free(out);
}

static void test_report_json__escapes_hostile_strings(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_JSON);
    assert_true(clean_utf8(out, 0));
    assert_non_null(strstr(out, "\"file\": \"other dir/bad\\u0001.yaml\""));
    assert_non_null(strstr(out, "\"name\": \"caf\xc3\xa9\""));
    assert_non_null(strstr(out, "\"message\": \"line1\\nline2\\t\\\"q\\\" <&> \xef\xbf\xbd\\u001b[2J end\""));
    assert_non_null(strstr(out, "\"message\": \"container \\\"app\\\" has no memory limit\""));
    free(out);
}

static void test_report_json__summary_from_stats(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_JSON);
    assert_non_null(strstr(out, "  \"summary\": {\n"
                                "    \"files\": 3,\n"
                                "    \"documents\": 5,\n"
                                "    \"objects\": 4,\n"
                                "    \"findings\": 3,\n"
                                "    \"suppressed\": 1,\n"
                                "    \"errors\": 1,\n"
                                "    \"bySeverity\": {\n"
                                "      \"critical\": 1,\n"
                                "      \"high\": 0,\n"
                                "      \"medium\": 1,\n"
                                "      \"low\": 1,\n"
                                "      \"info\": 0\n"
                                "    }\n"
                                "  }\n"
                                "}\n"));
    free(out);
}

static void test_report_json__empty_report(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_JSON, NULL, NULL, 0, NULL);
    assert_non_null(strstr(out, "  \"findings\": [],\n  \"summary\": {\n"));
    free(out);
}

static void test_report_json__backslash_and_all_controls(void **state)
{
    (void)state;
    kh_finding f = fixture_findings[0];
    f.message = "a\\b\b\f\r\x1f\x7f/";
    char *out = run_report(KH_FORMAT_JSON, NULL, &f, 1, NULL);
    assert_non_null(strstr(out, "\"message\": \"a\\\\b\\b\\f\\r\\u001f\x7f/\""));
    free(out);
}

static void test_report_json__one_related_location(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_JSON, NULL, &related_findings[1], 1, NULL);
    assert_non_null(strstr(out, "      \"message\": \"ServiceAccount 'ci' can read secrets\",\n"
                                "      \"suppressed\": null,\n"
                                "      \"related\": [\n"
                                "        {\n"
                                "          \"file\": \"rbac/grants.yaml\",\n"
                                "          \"line\": 7,\n"
                                "          \"column\": 3,\n"
                                "          \"kind\": \"RoleBinding\",\n"
                                "          \"namespace\": \"shop\",\n"
                                "          \"name\": \"ci-read\",\n"
                                "          \"path\": \"roleRef\",\n"
                                "          \"message\": \"binds the role 'reader' to ServiceAccount 'ci'\"\n"
                                "        }\n"
                                "      ]\n"
                                "    }\n"
                                "  ],\n"));
    free(out);
}

static void test_report_json__several_related_locations_in_order(void **state)
{
    (void)state;
    char *out = run_related(KH_FORMAT_JSON);
    assert_true(clean_utf8(out, 0));
    /* 0 + 1 + 5 locations, each with every key. */
    assert_int_equal(count_of(out, "\"related\": []"), 1);
    assert_int_equal(count_of(out, "          \"file\": "), 6);
    assert_int_equal(count_of(out, "          \"message\": "), 6);
    const char *many = strstr(out, "can read secrets\",\n      \"suppressed\": null,\n"
                                   "      \"related\": [\n        {\n"
                                   "          \"file\": \"rbac/grants.yaml\",\n"
                                   "          \"line\": 7,");
    assert_non_null(many);
    const char *role = strstr(many, "\"name\": \"reader\"");
    const char *nowhere = strstr(many, "\"message\": \"the API server's default authorizer\"");
    const char *empty = strstr(many, "\"name\": \"empty\"");
    assert_true(role && nowhere && empty && role < nowhere && nowhere < empty);
    /* A cluster-scoped object has namespace "", a place in no object has nulls. */
    assert_non_null(strstr(out, "          \"kind\": \"ClusterRole\",\n"
                                "          \"namespace\": \"\",\n"));
    assert_non_null(strstr(out, "        {\n"
                                "          \"file\": null,\n"
                                "          \"line\": 0,\n"
                                "          \"column\": 0,\n"
                                "          \"kind\": null,\n"
                                "          \"namespace\": null,\n"
                                "          \"name\": null,\n"
                                "          \"path\": \"\",\n"
                                "          \"message\": \"the API server's default authorizer\"\n"
                                "        },\n"));
    /* No message and no column: "" and 0, never missing. */
    assert_non_null(strstr(out, "          \"line\": 30,\n"
                                "          \"column\": 0,\n"));
    assert_non_null(strstr(out, "          \"path\": \"\",\n"
                                "          \"message\": \"\"\n"
                                "        }\n"
                                "      ]\n"));
    free(out);
}

static void test_report_json__related_hostile_strings_are_escaped(void **state)
{
    (void)state;
    char *out = run_related(KH_FORMAT_JSON);
    assert_non_null(strstr(out, "          \"file\": \"odd dir/ro\\\"le\\u0001.yaml\",\n"
                                "          \"line\": 4,\n"
                                "          \"column\": 5,\n"
                                "          \"kind\": \"Role\",\n"
                                "          \"namespace\": \"sh\\nop\",\n"
                                "          \"name\": \"r\xef\xbf\xbd<&>\",\n"
                                "          \"path\": \"rules[\\\"*\\\"]\",\n"
                                "          \"message\": \"grants \\\"*\\\" \\u001b[2J & <all> "
                                "\xe2\x80\xae end\"\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_json__exact_layout),
        cmocka_unit_test(test_report_json__findings_and_errors_share_one_array),
        cmocka_unit_test(test_report_json__escapes_hostile_strings),
        cmocka_unit_test(test_report_json__summary_from_stats),
        cmocka_unit_test(test_report_json__empty_report),
        cmocka_unit_test(test_report_json__backslash_and_all_controls),
        cmocka_unit_test(test_report_json__one_related_location),
        cmocka_unit_test(test_report_json__several_related_locations_in_order),
        cmocka_unit_test(test_report_json__related_hostile_strings_are_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
