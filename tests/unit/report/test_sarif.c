/*
 * test_sarif.c -- the SARIF 2.1.0 report: rule metadata for every
 * registered rule, one result per finding with its rule index, level,
 * location, related locations, fingerprint and suppression, the column
 * unit and base id of the run, and input errors as tool notifications
 * after the results (spooled while the results stream). Schema validation
 * of real output is done by tests/e2e/sarif_schema.sh, which also runs
 * this program with KH_REPORT_SAMPLES set to validate related locations.
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
    "                  \"uri\": \"deploy/web.yaml\",\n"
    "                  \"uriBaseId\": \"%%SRCROOT%%\"\n"
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
    "          \"partialFingerprints\": {\n"
    "            \"kubeharden/v1\": \"%s\"\n"
    "          },\n"
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

/* The fingerprint as docs/output.md defines it, computed independently:
 * FNV-1a 64 over file, object label, rule id and path, each followed by a
 * NUL byte, as 16 lower-case hex digits. */
static void reference_fingerprint(const kh_finding *f, char hex[17])
{
    char label[256];
    if (f->namespace_ && *f->namespace_)
        snprintf(label, sizeof(label), "%s/%s/%s", f->kind, f->namespace_, f->name);
    else
        snprintf(label, sizeof(label), "%s/%s", f->kind, f->name);
    const char *fields[] = {f->file, label, f->rule_id, f->path};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < 4; i++) {
        const char *s = fields[i] ? fields[i] : "";
        for (size_t j = 0; j <= strlen(s); j++) {   /* the NUL too */
            h ^= (unsigned char)s[j];
            h *= 0x100000001b3ull;
        }
    }
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
}

/* The n-th (0-based) kubeharden/v1 fingerprint in @p out, or "" */
static void nth_fingerprint(const char *out, size_t n, char hex[17])
{
    static const char key[] = "\"kubeharden/v1\": \"";
    const char *at = out;
    hex[0] = 0;
    for (size_t i = 0; at && i <= n; i++)
        if ((at = strstr(at, key)) != NULL)
            at += strlen(key);
    if (at) {
        memcpy(hex, at, 16);
        hex[16] = 0;
    }
}

static void test_report_sarif__result_layout(void **state)
{
    (void)state;
    char fp[17], expected[sizeof(expected_result) + 16];
    reference_fingerprint(&fixture_findings[0], fp);
    snprintf(expected, sizeof(expected), expected_result, fp);
    char *out = run_fixture(KH_FORMAT_SARIF);
    assert_non_null(strstr(out, expected));
    assert_int_equal(count_of(out, "\"ruleId\""), 4);
    free(out);
}

static void test_report_sarif__levels_follow_severity(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    assert_non_null(strstr(out, "\"ruleIndex\": 4,\n          \"level\": \"warning\""));
    assert_non_null(strstr(out, "\"ruleIndex\": 3,\n          \"level\": \"note\""));
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
                                "                \"text\": \"mapping values are not allowed in this context\"\n"
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

/* A cluster scan: each object is at its API path relative to the server's
 * URL, which the run declares with a trailing slash (a proxy's path kept). */
static char *run_cluster(const char *server)
{
    static kh_finding f[2];
    f[0] = fixture_findings[0];
    f[0].file = "/apis/apps/v1/namespaces/shop/deployments/web";
    f[0].line = f[0].col = 0;
    f[1] = fixture_findings[3]; /* an input error: a list that could not be read */
    f[1].file = "/api/v1/pods";
    f[1].line = f[1].col = 0;
    kh_report_options o = {.api_server = server};
    return run_report(KH_FORMAT_SARIF, &o, f, 2, NULL);
}

static void test_report_sarif__cluster_objects_are_relative_to_the_api_server(void **state)
{
    (void)state;
    char *out = run_cluster("https://10.0.0.1:6443");
    assert_non_null(strstr(out, "\"APISERVER\": {\n          \"uri\": \"https://10.0.0.1:6443/\",\n"));
    assert_non_null(strstr(out, "\"uri\": \"apis/apps/v1/namespaces/shop/deployments/web\",\n"
                                "                  \"uriBaseId\": \"APISERVER\"\n"));
    assert_non_null(strstr(out, "\"uri\": \"api/v1/pods\",\n"));
    assert_null(strstr(out, "file://"));
    assert_null(strstr(out, "\"region\""));
    free(out);
    out = run_cluster("https://rancher.example/k8s/clusters/c-1");
    assert_non_null(strstr(out, "\"uri\": \"https://rancher.example/k8s/clusters/c-1/\""));
    free(out);
    out = run_cluster("https://10.0.0.1:6443/");
    assert_non_null(strstr(out, "\"uri\": \"https://10.0.0.1:6443/\""));
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

static void test_report_sarif__run_declares_columns_and_base_id(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_SARIF, NULL, NULL, 0, NULL);
    assert_non_null(strstr(out, "      },\n"
                                "      \"columnKind\": \"unicodeCodePoints\",\n"
                                "      \"originalUriBaseIds\": {\n"
                                "        \"%SRCROOT%\": {\n"
                                "          \"description\": {\n"
                                "            \"text\": \"the directory kubeharden ran in: relative "
                                "paths are as given on its command line\"\n"
                                "          }\n"
                                "        }\n"
                                "      },\n"
                                "      \"results\": [],\n"));
    free(out);
}

static void test_report_sarif__only_relative_paths_have_a_base_id(void **state)
{
    (void)state;
    kh_finding fs[3] = {fixture_findings[0], fixture_findings[0], fixture_findings[0]};
    fs[0].file = "base/web.yaml";
    fs[1].file = "/abs/web.yaml";
    fs[2].file = "<stdin>";
    char *out = run_report(KH_FORMAT_SARIF, NULL, fs, 3, NULL);
    assert_non_null(strstr(out, "\"uri\": \"base/web.yaml\",\n"
                                "                  \"uriBaseId\": \"%SRCROOT%\"\n"));
    assert_non_null(strstr(out, "\"uri\": \"file:///abs/web.yaml\"\n"));
    assert_non_null(strstr(out, "\"uri\": \"%3Cstdin%3E\"\n"));
    assert_int_equal(count_of(out, "\"uriBaseId\""), 1);
    free(out);
}

static void test_report_sarif__fingerprint_is_the_documented_hash(void **state)
{
    (void)state;
    char *out = run_fixture(KH_FORMAT_SARIF);
    /* Results are the non-error findings, in order. */
    size_t n = 0;
    for (size_t i = 0; i < NFIXTURE; i++) {
        if (fixture_findings[i].is_error)
            continue;
        char want[17], got[17];
        reference_fingerprint(&fixture_findings[i], want);
        nth_fingerprint(out, n++, got);
        assert_string_equal(got, want);
    }
    assert_int_equal(count_of(out, "\"partialFingerprints\""), n);
    free(out);
}

static void test_report_sarif__fingerprint_survives_moves_not_identity_changes(void **state)
{
    (void)state;
    enum { N = 9 };
    kh_finding fs[N];
    for (size_t i = 0; i < N; i++)
        fs[i] = fixture_findings[0];
    /* Same identity: moved, reworded, re-rated, suppressed. */
    fs[1].line = 99, fs[1].col = 1;
    fs[2].message = "another message";
    fs[3].severity = KH_SEVERITY_LOW;
    fs[3].suppressed = "accepted";
    /* Each part of the identity changed alone. */
    fs[4].rule_id = "workload.no-resource-limits";
    fs[5].file = "deploy/other.yaml";
    fs[6].kind = "StatefulSet";
    fs[7].namespace_ = "shop2";
    fs[8].path = "spec.template.spec.containers[1].securityContext.privileged";
    char *out = run_report(KH_FORMAT_SARIF, NULL, fs, N, NULL);
    char fp[N][17];
    for (size_t i = 0; i < N; i++) {
        nth_fingerprint(out, i, fp[i]);
        assert_int_equal(strlen(fp[i]), 16);
    }
    for (size_t i = 1; i < 4; i++)
        assert_string_equal(fp[i], fp[0]);
    for (size_t i = 4; i < N; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(fp[i], fp[j]);
    /* Each is the documented hash, also after the object changed back. */
    for (size_t i = 0; i < N; i++) {
        char want[17];
        reference_fingerprint(&fs[i], want);
        assert_string_equal(fp[i], want);
    }
    /* A field boundary counts: "ab"+"c" is not "a"+"bc". */
    kh_finding a = fixture_findings[0], b = fixture_findings[0];
    a.rule_id = "ab", a.path = "c";
    b.rule_id = "a", b.path = "bc";
    char ha[17], hb[17];
    reference_fingerprint(&a, ha);
    reference_fingerprint(&b, hb);
    assert_string_not_equal(ha, hb);
    free(out);
}

static const char expected_related_one[] =
    "          \"relatedLocations\": [\n"
    "            {\n"
    "              \"id\": 0,\n"
    "              \"physicalLocation\": {\n"
    "                \"artifactLocation\": {\n"
    "                  \"uri\": \"rbac/grants.yaml\",\n"
    "                  \"uriBaseId\": \"%SRCROOT%\"\n"
    "                },\n"
    "                \"region\": {\n"
    "                  \"startLine\": 7,\n"
    "                  \"startColumn\": 3\n"
    "                }\n"
    "              },\n"
    "              \"logicalLocations\": [\n"
    "                {\n"
    "                  \"name\": \"ci-read\",\n"
    "                  \"fullyQualifiedName\": \"RoleBinding/shop/ci-read\",\n"
    "                  \"kind\": \"resource\"\n"
    "                }\n"
    "              ],\n"
    "              \"message\": {\n"
    "                \"text\": \"binds the role 'reader' to ServiceAccount 'ci'\"\n"
    "              }\n"
    "            }\n"
    "          ],\n"
    "          \"partialFingerprints\": {\n";

static void test_report_sarif__one_related_location(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_SARIF, NULL, &related_findings[1], 1, NULL);
    assert_non_null(strstr(out, expected_related_one));
    /* After the finding's own locations. */
    assert_true(strstr(out, "\"locations\"") < strstr(out, "\"relatedLocations\""));
    free(out);
}

static void test_report_sarif__no_related_locations_no_key(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_SARIF, NULL, &related_findings[0], 1, NULL);
    assert_null(strstr(out, "relatedLocations"));
    free(out);
}

static void test_report_sarif__several_related_locations(void **state)
{
    (void)state;
    char *out = run_report(KH_FORMAT_SARIF, NULL, &related_findings[2], 1, NULL);
    assert_true(clean_utf8(out, 0));
    /* Ids 0..4, unique within the result (SARIF 3.28.2). */
    char id[32];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "\"id\": %d,\n", i);
        assert_int_equal(count_of(out, id), 1);
    }
    /* The place in no input and no object: only its message. */
    assert_non_null(strstr(out, "              \"id\": 2,\n"
                                "              \"message\": {\n"
                                "                \"text\": \"the API server's default authorizer\"\n"
                                "              }\n"));
    /* A cluster-scoped object, and an unknown column. */
    assert_non_null(strstr(out, "\"fullyQualifiedName\": \"ClusterRole/reader\""));
    assert_non_null(strstr(out, "                  \"startLine\": 30\n"
                                "                }\n"));
    /* No message, no message object. */
    const char *last = strstr(out, "\"id\": 4,");
    assert_non_null(last);
    assert_null(strstr(last, "\"text\": \"\""));
    /* Hostile strings: the URI percent-encoded, the rest JSON-escaped. */
    assert_non_null(strstr(out, "\"uri\": \"odd%20dir/ro%22le%01.yaml\""));
    assert_non_null(strstr(out, "\"name\": \"r\xef\xbf\xbd<&>\",\n"
                                "                  \"fullyQualifiedName\": "
                                "\"Role/sh\\nop/r\xef\xbf\xbd<&>\""));
    assert_non_null(strstr(out, "\"text\": \"grants \\\"*\\\" \\u001b[2J & <all> "
                                "\xe2\x80\xae end\""));
    free(out);
}

/* tests/e2e/sarif_schema.sh sets KH_REPORT_SAMPLES to a directory and
 * validates what lands there against the schemas: related locations, and
 * a cluster scan's locations (no API server here to scan). */
static int write_samples(const char *dir)
{
    static const struct {
        kh_format format;
        const char *name;
    } samples[] = {{KH_FORMAT_SARIF, "related.sarif"}, {KH_FORMAT_JSON, "related.json"},
                   {KH_FORMAT_SARIF, "cluster.sarif"}};
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, samples[i].name);
        char *out = i == 2 ? run_cluster("https://10.0.0.1:6443") : run_related(samples[i].format);
        FILE *f = fopen(path, "w");
        if (!f || fputs(out, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "cannot write '%s'\n", path);
            free(out);
            return 1;
        }
        free(out);
    }
    return 0;
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
        cmocka_unit_test(test_report_sarif__cluster_objects_are_relative_to_the_api_server),
        cmocka_unit_test(test_report_sarif__unknown_rule_has_no_index),
        cmocka_unit_test(test_report_sarif__unknown_position_has_no_region),
        cmocka_unit_test(test_report_sarif__run_declares_columns_and_base_id),
        cmocka_unit_test(test_report_sarif__only_relative_paths_have_a_base_id),
        cmocka_unit_test(test_report_sarif__fingerprint_is_the_documented_hash),
        cmocka_unit_test(test_report_sarif__fingerprint_survives_moves_not_identity_changes),
        cmocka_unit_test(test_report_sarif__one_related_location),
        cmocka_unit_test(test_report_sarif__no_related_locations_no_key),
        cmocka_unit_test(test_report_sarif__several_related_locations),
    };
    const char *samples = getenv("KH_REPORT_SAMPLES");
    if (samples && *samples)
        return write_samples(samples);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
