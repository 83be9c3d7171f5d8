/*
 * test_evidence.c -- Trivy and Grype reports and cosign verification
 * results through the public API: what they make the image rules report,
 * and that every malformed file is an error with file:line:col that
 * leaves the configuration as it was.
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

#define APP_DIGEST "sha256:60c5764ec3a7ec414236999d1c72c8c39573d26bf77ffacd049ace7fe7d3d2d7"
#define PROXY_DIGEST "sha256:1241936d4dd3aad68fe7bfbdfe854b935926bc678fc72377e15166078916227a"

static char fixtures[4096];

static const char *fixture(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof(path), "%s/%s", fixtures, name);
    return path;
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/kh-evidence-XXXXXX.json");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

typedef struct seen {
    size_t count;
    kh_severity severity[8];
    char message[8][512];
} seen;

static int collect(const kh_finding *f, void *ud)
{
    seen *s = ud;
    if (f->is_error || s->count == 8)
        return 0;
    s->severity[s->count] = f->severity;
    snprintf(s->message[s->count], sizeof(s->message[0]), "%s", f->message);
    s->count++;
    return 0;
}

/* Scan one pod with one container image under @p rule. */
static void scan_image(kh_config *cfg, const char *rule, const char *image, seen *out)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
             "spec:\n  containers:\n  - {name: app, image: '%s'}\n",
             image);
    kh_error err = {0};
    assert_int_equal(kh_config_only_rule(cfg, rule, &err), KH_OK);
    kh_scanner *s = NULL;
    memset(out, 0, sizeof(*out));
    assert_int_equal(kh_scanner_new(&s, cfg, collect, out, NULL), KH_OK);
    kh_scan_buffer(s, yaml, strlen(yaml), "t.yaml", NULL);
    kh_scanner_free(s);
}

/* Adding @p text as a report or signature file fails with this error. */
static void expect_bad(int (*add)(kh_config *, const char *, kh_error *), const char *text,
                       int code, unsigned line, unsigned col, const char *msg)
{
    kh_config *cfg = NULL;
    kh_error err = {0};
    char *path = write_temp(text);
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(add(cfg, path, &err), code);
    if (err.line != line || err.col != col || strcmp(err.message, msg) != 0)
        print_error("got %u:%u %s\n", err.line, err.col, err.message);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    assert_string_equal(err.message, msg);
    kh_config_free(cfg);
    unlink(path);
    free(path);
}

/* ---------------------------------------------------------------- reports */

static void test_scan_evidence__trivy_report(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    seen s;
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, fixture("trivy-shop-app.json"), &err), KH_OK);
    scan_image(cfg, "image.vulnerable", "registry.example/shop/app:1.4.2", &s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.severity[0], KH_SEVERITY_CRITICAL);
    assert_string_equal(s.message[0],
                        "container \"app\" image 'registry.example/shop/app:1.4.2' has 3 "
                        "vulnerabilities at or above high: CVE-2024-6387 (critical), "
                        "CVE-2023-4911 (high), GHSA-grv7-fg5c-xmjg (high)");
    scan_image(cfg, "image.vulnerable", "registry.example/shop/app@" APP_DIGEST, &s);
    assert_int_equal(s.count, 1);
    scan_image(cfg, "image.vulnerable", "registry.example/shop/app:1.4.3", &s);
    assert_int_equal(s.count, 0);
    kh_config_free(cfg);
}

static void test_scan_evidence__grype_report(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    seen s;
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, fixture("grype-nginx.json"), &err), KH_OK);
    scan_image(cfg, "image.vulnerable", "nginx:1.25", &s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.severity[0], KH_SEVERITY_CRITICAL);
    assert_string_equal(s.message[0],
                        "container \"app\" image 'nginx:1.25' has 2 vulnerabilities at or above "
                        "high: CVE-2023-38545 (critical), CVE-2023-44487 (high)");
    /* The manifest digest Grype scanned identifies the image too. */
    scan_image(cfg, "image.vulnerable",
               "nginx@sha256:9853575bc4f955c5892dd64187538a6cd02dba6968eba9201854876a7a257034",
               &s);
    assert_int_equal(s.count, 1);
    kh_config_free(cfg);
}

static void test_scan_evidence__two_reports_merge(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    seen s;
    char *second = write_temp(
        "{\"matches\": [{\"vulnerability\": {\"id\": \"CVE-2023-4911\", \"severity\": \"Critical\"}},"
        " {\"vulnerability\": {\"id\": \"CVE-2025-0001\", \"severity\": \"High\"}}],"
        " \"source\": {\"type\": \"image\", \"target\": {\"userInput\": "
        "\"docker:registry.example/shop/app:1.4.2\"}}}");
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, fixture("trivy-shop-app.json"), &err), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, second, &err), KH_OK);
    scan_image(cfg, "image.vulnerable", "registry.example/shop/app:1.4.2", &s);
    assert_int_equal(s.count, 1);
    /* One entry per id, with the worse of the two severities. */
    assert_string_equal(s.message[0],
                        "container \"app\" image 'registry.example/shop/app:1.4.2' has 4 "
                        "vulnerabilities at or above high: CVE-2023-4911 (critical), "
                        "CVE-2024-6387 (critical), CVE-2025-0001 (high), GHSA-grv7-fg5c-xmjg "
                        "(high)");
    kh_config_free(cfg);
    unlink(second);
    free(second);
}

static void test_scan_evidence__report_errors(void **state)
{
    (void)state;
    int (*add)(kh_config *, const char *, kh_error *) = kh_config_add_vuln_report;
    expect_bad(add, "{\"ArtifactName\": \".\", \"ArtifactType\": \"filesystem\"}", KH_EINVALID,
               1, 39, "this Trivy report is for a 'filesystem', not a container image");
    expect_bad(add, "[{\"Target\": \"x\", \"Vulnerabilities\": null}]", KH_EINVALID, 1, 1,
               "this is Trivy's old list format, which does not name the image; use the report "
               "of a current trivy (trivy image -f json)");
    expect_bad(add, "{\"kind\": \"Pod\"}", KH_EINVALID, 1, 1,
               "not a Trivy or Grype JSON report (it has neither 'Results' nor 'matches')");
    expect_bad(add, "{\"Results\": [\n", KH_EPARSE, 2, 1, "unexpected end of JSON input");
    expect_bad(add, "", KH_EPARSE, 0, 0, "vulnerability report is empty");
    expect_bad(add,
               "{\"ArtifactName\": \"nginx\",\n \"Results\": [{\"Vulnerabilities\": "
               "[{\"Severity\": \"HIGH\"}]}]}",
               KH_EINVALID, 2, 35, "the vulnerability id must be a non-empty string");
    expect_bad(add, "{\"ArtifactName\": \"nginx\", \"Results\": {}}", KH_EINVALID, 1, 38,
               "'Results' must be a list");
    expect_bad(add,
               "{\"ArtifactName\": \"nginx\", \"Metadata\": {\"RepoDigests\": "
               "[\"nginx@sha256:abc\"]}}",
               KH_EINVALID, 1, 56, "bad image reference 'nginx@sha256:abc'");
    expect_bad(add, "{\"matches\": [], \"source\": {\"type\": \"directory\"}}", KH_EINVALID, 1,
               36, "this Grype report is for a 'directory', not a container image");
    expect_bad(add,
               "{\"matches\": [], \"source\": {\"type\": \"image\", \"target\": "
               "{\"manifestDigest\": \"sha256:XYZ\"}}}",
               KH_EINVALID, 1, 74, "bad digest 'sha256:XYZ'");
    expect_bad(add, "{\"matches\": [{\"vulnerability\": {\"id\": \"CVE-1\", \"severity\": \"Bad\"}}]}",
               KH_EINVALID, 1, 60,
               "unknown severity 'Bad' (expected unknown, negligible, low, medium, high or "
               "critical)");
}

static void test_scan_evidence__configured_severity_wins(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    seen s;
    char *path = write_temp("rules:\n  severity: {image.vulnerable: low}\n");
    assert_int_equal(kh_config_load(&cfg, path, &err), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, fixture("trivy-shop-app.json"), &err), KH_OK);
    scan_image(cfg, "image.vulnerable", "registry.example/shop/app:1.4.2", &s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.severity[0], KH_SEVERITY_LOW);
    kh_config_free(cfg);
    unlink(path);
    free(path);
}

static void test_scan_evidence__bad_report_leaves_config_unchanged(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    seen s;
    char *bad = write_temp("{\"ArtifactName\": \"nginx:1.26\", \"Results\": [{\"Vulnerabilities\": "
                           "[{\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"HIGH\"}, "
                           "{\"VulnerabilityID\": \"CVE-2\"}]}]}");
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, bad, &err), KH_EINVALID);
    /* No report was loaded: the rule does not run at all. */
    scan_image(cfg, "image.vulnerable", "nginx:1.26", &s);
    assert_int_equal(s.count, 0);
    assert_int_equal(kh_config_add_vuln_report(cfg, "/nonexistent/report.json", &err), KH_EIO);
    assert_string_equal(err.file, "/nonexistent/report.json");
    kh_config_free(cfg);
    unlink(bad);
    free(bad);
}

/* ------------------------------------------------------------- signatures */

/* A configuration trusting the release workflow and the key "release". */
static kh_config *signer_config(void)
{
    char *path = write_temp("images:\n  trustedSigners:\n"
                            "  - issuer: https://token.actions.githubusercontent.com\n"
                            "    subject: 'https://github.com/example/shop/*'\n"
                            "  - key: release\n");
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_load(&cfg, path, &err), KH_OK);
    unlink(path);
    free(path);
    return cfg;
}

static void test_scan_evidence__cosign_keyless(void **state)
{
    (void)state;
    kh_config *cfg = signer_config();
    kh_error err = {0};
    seen s;
    assert_int_equal(kh_config_add_signatures(cfg, fixture("cosign-shop.json"), &err), KH_OK);
    scan_image(cfg, "image.signature-missing", "registry.example/shop/app@" APP_DIGEST, &s);
    assert_int_equal(s.count, 0);
    scan_image(cfg, "image.signature-missing", "registry.example/shop/proxy:2.1@" PROXY_DIGEST,
               &s);
    assert_int_equal(s.count, 1);
    assert_non_null(strstr(s.message[0], "is signed only by 'someone@gmail.example'"));
    kh_config_free(cfg);
}

static void test_scan_evidence__cosign_key_envelope_and_old_format(void **state)
{
    (void)state;
    kh_config *cfg = signer_config();
    kh_error err = {0};
    seen s;
    /* cosign 1.x capitalised the claim's keys; the envelope names the key. */
    char *path = write_temp(
        "{\"key\": \"release\", \"results\": [{\"Critical\": {\"Identity\": "
        "{\"docker-reference\": \"\"}, \"Image\": {\"Docker-manifest-digest\": \"" PROXY_DIGEST
        "\"}, \"Type\": \"cosign container image signature\"}, \"Optional\": null}]}");
    assert_int_equal(kh_config_add_signatures(cfg, path, &err), KH_OK);
    /* No repository in the claim: the digest alone binds it. */
    scan_image(cfg, "image.signature-missing", "mirror.example/proxy@" PROXY_DIGEST, &s);
    assert_int_equal(s.count, 0);
    kh_config_free(cfg);
    unlink(path);
    free(path);
}

static void test_scan_evidence__signature_errors(void **state)
{
    (void)state;
    int (*add)(kh_config *, const char *, kh_error *) = kh_config_add_signatures;
    expect_bad(add, "{\"critical\": {}}", KH_EINVALID, 1, 1,
               "the envelope needs 'key': the name of the key");
    expect_bad(add, "{\"key\": \"k\", \"results\": {}}", KH_EINVALID, 1, 25,
               "the envelope needs 'results': the list cosign verify printed");
    expect_bad(add, "\"text\"", KH_EINVALID, 1, 1,
               "not a cosign verification result (expected the JSON list that 'cosign verify "
               "--output json' prints)");
    expect_bad(add, "[{\"optional\": {}}]", KH_EINVALID, 1, 2,
               "a cosign verification result needs a 'critical' mapping");
    expect_bad(add, "[{\"critical\": {\"image\": {}}}]", KH_EINVALID, 1, 15,
               "missing 'critical.type'");
    expect_bad(add,
               "[{\"critical\": {\"type\": \"cosign container image signature\",\n"
               "  \"image\": {\"docker-manifest-digest\": \"sha256:1234\"}}}]",
               KH_EINVALID, 2, 39, "bad docker-manifest-digest 'sha256:1234'");
    expect_bad(add,
               "[{\"critical\": {\"type\": \"cosign container image signature\",\n"
               "  \"identity\": {\"docker-reference\": \"Example/App\"},\n"
               "  \"image\": {\"docker-manifest-digest\": \"" APP_DIGEST "\"}}}]",
               KH_EINVALID, 2, 36, "bad docker-reference 'Example/App'");
}

static void test_scan_evidence__attestations_are_not_signatures(void **state)
{
    (void)state;
    kh_config *cfg = signer_config();
    kh_error err = {0};
    seen s;
    char *path = write_temp("[{\"critical\": {\"identity\": {\"docker-reference\": "
                            "\"registry.example/shop/app\"}, \"image\": {\"docker-manifest-digest\": "
                            "\"" APP_DIGEST "\"}, \"type\": \"https://slsa.dev/provenance/v1\"}, "
                            "\"optional\": {\"Issuer\": \"https://token.actions.githubusercontent.com\", "
                            "\"Subject\": \"https://github.com/example/shop/x\"}}]");
    assert_int_equal(kh_config_add_signatures(cfg, path, &err), KH_OK);
    scan_image(cfg, "image.signature-missing", "registry.example/shop/app@" APP_DIGEST, &s);
    assert_int_equal(s.count, 1);
    assert_non_null(strstr(s.message[0], "has no signature evidence for sha256:60c5764ec3a7"));
    kh_config_free(cfg);
    unlink(path);
    free(path);
}

int main(void)
{
    const char *src = getenv("KH_SOURCE_DIR");
    snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/supply-chain", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_evidence__trivy_report),
        cmocka_unit_test(test_scan_evidence__grype_report),
        cmocka_unit_test(test_scan_evidence__two_reports_merge),
        cmocka_unit_test(test_scan_evidence__report_errors),
        cmocka_unit_test(test_scan_evidence__configured_severity_wins),
        cmocka_unit_test(test_scan_evidence__bad_report_leaves_config_unchanged),
        cmocka_unit_test(test_scan_evidence__cosign_keyless),
        cmocka_unit_test(test_scan_evidence__cosign_key_envelope_and_old_format),
        cmocka_unit_test(test_scan_evidence__signature_errors),
        cmocka_unit_test(test_scan_evidence__attestations_are_not_signatures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
