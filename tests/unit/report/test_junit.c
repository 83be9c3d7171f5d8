/*
 * test_junit.c -- the JUnit XML report: one testsuite per file, a testcase
 * per finding, suppressed finding or error, related locations at the end
 * of the failure text, and XML that stays
 * well-formed whatever the manifest holds (entities, control characters
 * and bytes that are not UTF-8 replaced by U+FFFD).
 */
#include "report_fixture.h"

static const char expected_junit[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"kubeharden\">\n"
    "  <testsuite name=\"deploy/web.yaml\">\n"
    "    <testcase name=\"pss.baseline.privileged Deployment/shop/web\" classname=\"deploy/web.yaml\">\n"
    "      <failure message=\"container &apos;app&apos; runs privileged\" type=\"critical\">"
    "deploy/web.yaml:12:9: critical: container 'app' runs privileged\n"
    "rule: pss.baseline.privileged\n"
    "object: Deployment/shop/web\n"
    "path: spec.template.spec.containers[0].securityContext.privileged</failure>\n"
    "    </testcase>\n"
    "    <testcase name=\"workload.no-resource-limits Deployment/shop/web\" classname=\"deploy/web.yaml\">\n"
    "      <failure message=\"container &quot;app&quot; has no memory limit\" type=\"medium\">"
    "deploy/web.yaml:14:11: medium: container \"app\" has no memory limit\n"
    "rule: workload.no-resource-limits\n"
    "object: Deployment/shop/web\n"
    "path: spec.template.spec.containers[0].resources</failure>\n"
    "    </testcase>\n"
    "    <testcase name=\"image.tag-not-pinned Pod/shop/debug\" classname=\"deploy/web.yaml\">\n"
    "      <skipped message=\"pinned by the release pipeline\"/>\n"
    "    </testcase>\n"
    "    <testcase name=\"error\" classname=\"deploy/web.yaml\">\n"
    "      <error message=\"mapping values are not allowed in this context\" type=\"error\">"
    "deploy/web.yaml:41:1: error: mapping values are not allowed in this context</error>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"other dir/bad\xef\xbf\xbd.yaml\">\n"
    "    <testcase name=\"workload.default-namespace Namespace/caf\xc3\xa9\""
    " classname=\"other dir/bad\xef\xbf\xbd.yaml\">\n"
    "      <failure message=\"line1&#10;line2&#9;&quot;q&quot; &lt;&amp;&gt; \xef\xbf\xbd\xef\xbf\xbd[2J end\""
    " type=\"low\">other dir/bad\xef\xbf\xbd.yaml:3:1: low: line1\n"
    "line2\t\"q\" &lt;&amp;&gt; \xef\xbf\xbd\xef\xbf\xbd[2J end\n"
    "rule: workload.default-namespace\n"
    "object: Namespace/caf\xc3\xa9</failure>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <!-- 3 findings (1 critical, 1 medium, 1 low) in 4 objects from 3 files; 1 suppressed; 1 error -->\n"
    "</testsuites>\n";

static void test_report_junit__one_suite_per_file(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_JUNIT);
    assert_string_equal(out, expected_junit);
    assert_int_equal(count_of(out, "<testsuite "), 2);
    assert_int_equal(count_of(out, "</testsuite>"), 2);
    free(out);
}

static void test_report_junit__output_is_clean_utf8(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_JUNIT);
    assert_true(clean_utf8(out, 1));
    free(out);
}

static void test_report_junit__escapes_markup_in_every_field(void **state)
{
    (void)state;
    kh_finding f = fixture_findings[0];
    f.file = "a&b<c>.yaml";
    f.name = "x\"y'z";
    f.path = "spec.x[\"<a>\"]";
    f.message = "]]> & <!-- --> \r";
    char *out = run_report(KH_FORMAT_JUNIT, NULL, &f, 1, NULL);
    assert_non_null(strstr(out, "<testsuite name=\"a&amp;b&lt;c&gt;.yaml\">"));
    assert_non_null(strstr(out, "name=\"pss.baseline.privileged Deployment/shop/x&quot;y&apos;z\""));
    assert_non_null(strstr(out, "message=\"]]&gt; &amp; &lt;!-- --&gt; &#13;\""));
    assert_non_null(strstr(out, "path: spec.x[\"&lt;a&gt;\"]</failure>"));
    assert_null(strstr(out, "]]>"));
    free(out);
}

static void test_report_junit__empty_report_is_well_formed(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_JUNIT, NULL, NULL, 0, NULL);
    assert_string_equal(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<testsuites name=\"kubeharden\">\n"
                             "  <!-- no findings in 0 objects from 0 files -->\n"
                             "</testsuites>\n");
    free(out);
}

static void test_report_junit__illegal_xml_characters_replaced(void **state)
{
    (void)state;
    kh_finding f = fixture_findings[0];
    f.message = "a\x01" "b\x0b" "c\xef\xbf\xbe" "d\xef\xbf\xbf" "e\xc0\xaf" "f";
    char *out = run_report(KH_FORMAT_JUNIT, NULL, &f, 1, NULL);
    assert_non_null(strstr(out, "message=\"a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"
                                "d\xef\xbf\xbd" "e\xef\xbf\xbd\xef\xbf\xbd" "f\""));
    free(out);
}

static void test_report_junit__related_locations_end_the_failure_text(void **state)
{
    (void)state;
    char *out = run_related(KH_FORMAT_JUNIT);
    assert_true(clean_utf8(out, 1));
    /* None: the failure text ends with the object (no path either). */
    assert_non_null(strstr(out, "object: ServiceAccount/shop/builder</failure>\n"));
    /* One. */
    assert_non_null(strstr(out, "object: ServiceAccount/shop/ci\n"
                                "path: metadata.name\n"
                                "related: binds the role 'reader' to ServiceAccount 'ci'\n"
                                "  RoleBinding/shop/ci-read  rbac/grants.yaml:7:3  at roleRef</failure>\n"));
    /* Several, in order, hostile strings escaped, controls replaced. */
    assert_non_null(strstr(out, "object: ServiceAccount/shop/deployer\n"
                                "related: binds the role 'reader' to ServiceAccount 'ci'\n"
                                "  RoleBinding/shop/ci-read  rbac/grants.yaml:7:3  at roleRef\n"
                                "related: allows get on secrets\n"
                                "  ClusterRole/reader  rbac/grants.yaml:20:1  at rules[0]\n"
                                "related: the API server's default authorizer\n"
                                "related: grants \"*\" \xef\xbf\xbd[2J &amp; &lt;all&gt; \xe2\x80\xae end\n"
                                "  Role/sh\nop/r\xef\xbf\xbd&lt;&amp;&gt;  odd dir/ro\"le\xef\xbf\xbd.yaml:4:5"
                                "  at rules[\"*\"]\n"
                                "related: Role/shop/empty  rbac/grants.yaml:30</failure>\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_junit__one_suite_per_file),
        cmocka_unit_test(test_report_junit__output_is_clean_utf8),
        cmocka_unit_test(test_report_junit__escapes_markup_in_every_field),
        cmocka_unit_test(test_report_junit__empty_report_is_well_formed),
        cmocka_unit_test(test_report_junit__illegal_xml_characters_replaced),
        cmocka_unit_test(test_report_junit__related_locations_end_the_failure_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
