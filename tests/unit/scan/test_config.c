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
    if (err.line != line || err.col != col || strcmp(err.message, msg) != 0)
        print_message("got %u:%u %s\n", err.line, err.col, err.message);
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

/* Hardened (restricted PSS too) but for its untagged image: image.tag-not-pinned
 * (medium) and image.digest-not-pinned (low). */
static const char *pod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  automountServiceAccountToken: false\n  hostUsers: false\n"
    "  containers:\n  - name: app\n    image: nginx\n"
    "    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,\n"
    "      runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}\n"
    "    livenessProbe: {tcpSocket: {port: 80}}\n    readinessProbe: {tcpSocket: {port: 80}}\n"
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
    expect_error("rule:\n  disable: []\n", 1, 1,
                 "unknown key 'rule' (expected rules, exclude, pss, images, workloads, admission, netpol or watch)");
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


/* ------------------------------------------------------- images, workloads */

static void test_scan_config__trusted_registries(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    size_t n[5];
    const char *quay = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
                       "spec:\n  containers:\n  - {name: app, image: 'quay.io/team/app:1'}\n";
    assert_int_equal(load("images:\n  trustedRegistries: [registry.example/team]\n", &cfg, &err),
                     KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "image.untrusted-registry", &err), KH_OK);
    scan(cfg, quay, n);
    assert_int_equal(n[KH_SEVERITY_HIGH], 1);
    kh_config_free(cfg);
    /* index.docker.io in an entry is docker.io, as in image references. */
    assert_int_equal(load("images:\n  trustedRegistries: [index.docker.io/library, quay.io]\n",
                          &cfg, &err),
                     KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "image.untrusted-registry", &err), KH_OK);
    scan(cfg, quay, n);
    assert_int_equal(n[KH_SEVERITY_HIGH], 0);
    scan(cfg, pod, n);
    assert_int_equal(n[KH_SEVERITY_HIGH], 0);
    kh_config_free(cfg);
}

static void test_scan_config__images_errors(void **state)
{
    (void)state;
    expect_error("images:\n  trustedRegistries: [nginx]\n", 2, 23,
                 "trusted registry 'nginx' must be a registry host with an optional path "
                 "(registry.example/team; Docker Hub is docker.io)");
    expect_error("images:\n  trustedRegistries: [registry.example/Team]\n", 2, 23,
                 "trusted registry 'registry.example/Team' must be a registry host with an "
                 "optional path (registry.example/team; Docker Hub is docker.io)");
    expect_error("images:\n  trustedRegistries: registry.example\n", 2, 22,
                 "images.trustedRegistries must be a list of registries");
    expect_error("images:\n  trustedSigners:\n  - {issuer: 'https://accounts.google.com'}\n", 3, 5,
                 "an images.trustedSigners entry needs both issuer and subject");
    expect_error("images:\n  trustedSigners:\n  - {key: k, subject: s}\n", 3, 5,
                 "an images.trustedSigners entry gives either key, or issuer and subject, "
                 "not both");
    expect_error("images:\n  trustedSigners:\n  - {email: a@example.com}\n", 3, 6,
                 "unknown key 'images.trustedSigners.email' (expected issuer, subject or key)");
    expect_error("images:\n  vulnerabilities: {failOn: severe}\n", 2, 29,
                 "unknown severity 'severe' (use info, low, medium, high or critical)");
    expect_error("images:\n  vulnerabilities: {requireReport: 'yes'}\n", 2, 36,
                 "images.vulnerabilities.requireReport must be true or false");
    expect_error("images:\n  vulnerabilities: {gate: high}\n", 2, 21,
                 "unknown key 'images.vulnerabilities.gate' (expected failOn, reports or "
                 "requireReport)");
    expect_error("images:\n  registries: []\n", 2, 3,
                 "unknown key 'images.registries' (expected trustedRegistries, trustedSigners, "
                 "signatures or vulnerabilities)");
}

static void test_scan_config__evidence_files_are_relative_to_the_config(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    char dir[] = "/tmp/kh-config-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg_path[128], report_path[128];
    snprintf(cfg_path, sizeof(cfg_path), "%s/.kubeharden.yaml", dir);
    snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
    FILE *f = fopen(report_path, "w");
    assert_non_null(f);
    fputs("{\"ArtifactName\": \"nginx\",\n \"Results\": [{\"Vulnerabilities\": [\n"
          "  {\"VulnerabilityID\": \"CVE-2024-0001\", \"Severity\": \"SEVERE\"}]}]}\n",
          f);
    fclose(f);
    f = fopen(cfg_path, "w");
    fputs("images:\n  vulnerabilities:\n    reports: [report.json, missing.json]\n", f);
    fclose(f);
    /* The bad file's own position is quoted at the entry that names it. */
    assert_int_equal(kh_config_load(&cfg, cfg_path, &err), KH_ECONFIG);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 15);
    assert_string_equal(err.message,
                        "in 'report.json' at 3:52: unknown severity 'SEVERE' (expected "
                        "unknown, negligible, low, medium, high or critical)");
    f = fopen(report_path, "w");
    fputs("{\"ArtifactName\": \"nginx\", \"Results\": []}\n", f);
    fclose(f);
    assert_int_equal(kh_config_load(&cfg, cfg_path, &err), KH_ECONFIG);
    assert_int_equal(err.col, 28);
    assert_non_null(strstr(err.message, "cannot open vulnerability report: "));
    f = fopen(cfg_path, "w");
    fputs("images:\n  vulnerabilities:\n    reports: [report.json]\n", f);
    fclose(f);
    assert_int_equal(kh_config_load(&cfg, cfg_path, &err), KH_OK);
    kh_config_free(cfg);
    unlink(report_path);
    unlink(cfg_path);
    rmdir(dir);
}

static void test_scan_config__pod_templates(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    size_t n[5];
    const char *widget = "apiVersion: example.com/v1\nkind: Widget\n"
                         "metadata: {name: w, namespace: shop}\n"
                         "spec:\n  pod:\n    spec:\n      privileged: x\n"
                         "      hostPID: true\n      containers: [{name: a, image: 'nginx:1'}]\n";
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "pss.baseline.host-namespaces", &err), KH_OK);
    scan(cfg, widget, n);
    assert_int_equal(n[KH_SEVERITY_HIGH], 0);
    kh_config_free(cfg);
    /* Every rule, the Pod Security ones too, sees the configured template. */
    assert_int_equal(load("workloads:\n  podTemplates:\n"
                          "  - {apiGroup: example.com, kind: Widget, path: spec.pod}\n",
                          &cfg, &err),
                     KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "pss.baseline.host-namespaces", &err), KH_OK);
    scan(cfg, widget, n);
    assert_int_equal(n[KH_SEVERITY_HIGH], 1);
    kh_config_free(cfg);
    assert_int_equal(load("workloads:\n  podTemplates:\n"
                          "  - {apiGroup: example.com, kind: Widget, specPath: spec.pod.spec}\n",
                          &cfg, &err),
                     KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "pss.baseline.host-namespaces", &err), KH_OK);
    scan(cfg, widget, n);
    assert_int_equal(n[KH_SEVERITY_HIGH], 1);
    kh_config_free(cfg);
}

static void test_scan_config__pod_template_errors(void **state)
{
    (void)state;
    expect_error("workloads:\n  podTemplates:\n  - {apiGroup: example.com, path: spec.t}\n", 3, 5,
                 "a workloads.podTemplates entry needs kind");
    expect_error("workloads:\n  podTemplates:\n  - {apiGroup: a.b, kind: W}\n", 3, 5,
                 "a workloads.podTemplates entry needs exactly one of path (a pod template) "
                 "and specPath (a pod spec)");
    expect_error("workloads:\n  podTemplates:\n  - {apiGroup: a.b, kind: W, path: "
                 "'spec.containers[0]'}\n",
                 3, 36,
                 "bad field path 'spec.containers[0]' (use field names joined by '.', e.g. "
                 "spec.template)");
    expect_error("workloads:\n  podTemplates:\n  - {apiGroup: a.b, kind: W, path: spec..t}\n", 3,
                 36,
                 "bad field path 'spec..t' (use field names joined by '.', e.g. spec.template)");
    expect_error("workloads:\n  templates: []\n", 2, 3,
                 "unknown key 'workloads.templates' (expected podTemplates)");
    expect_error("workloads: [a]\n", 1, 12, "workloads must be a mapping");
}

/* ------------------------------------------------------------ the schema */

static void test_scan_config__unknown_keys_at_each_level(void **state)
{
    (void)state;
    expect_error("rules:\n  enable: []\n", 2, 3,
                 "unknown key 'rules.enable' (expected disable or severity)");
    expect_error("pss:\n  profile: baseline\n", 2, 3,
                 "unknown key 'pss.profile' (expected level or version)");
    expect_error("images:\n  vulnerabilities:\n    reports: []\n    ignore: [CVE-1]\n", 4, 5,
                 "unknown key 'images.vulnerabilities.ignore' (expected failOn, reports or "
                 "requireReport)");
    expect_error("workloads:\n  podTemplates:\n  - {apiGroup: a.b, kind: W, template: x}\n", 3,
                 30,
                 "unknown key 'workloads.podTemplates.template' (expected apiGroup, kind, path "
                 "or specPath)");
    /* A key that is not a string is named '?' rather than dropped. */
    expect_error("? [a]\n: b\n", 1, 3,
                 "unknown key '?' (expected rules, exclude, pss, images, workloads, admission, netpol or watch)");
}

static void test_scan_config__wrong_types_at_each_level(void **state)
{
    (void)state;
    /* The root */
    expect_error("- rules\n", 1, 1, "the configuration must be a mapping");
    /* Sections that must be mappings */
    expect_error("rules: [disable]\n", 1, 8, "rules must be a mapping");
    expect_error("pss: restricted\n", 1, 6, "pss must be a mapping with level and/or version");
    expect_error("images: []\n", 1, 9, "images must be a mapping");
    expect_error("images:\n  vulnerabilities: high\n", 2, 20,
                 "images.vulnerabilities must be a mapping");
    /* Lists, and their entries */
    expect_error("exclude: {namespace: a}\n", 1, 10, "exclude must be a list");
    expect_error("exclude: [kube-system]\n", 1, 11,
                 "each exclude entry must be a mapping with namespace, kind and/or name");
    expect_error("exclude: [{}]\n", 1, 11,
                 "each exclude entry must be a mapping with namespace, kind and/or name");
    expect_error("images:\n  trustedSigners: {key: k}\n", 2, 19,
                 "images.trustedSigners must be a list");
    expect_error("images:\n  trustedSigners: [k]\n", 2, 20,
                 "each images.trustedSigners entry must be a mapping with issuer and subject, "
                 "or key");
    expect_error("images:\n  signatures: cosign.json\n", 2, 15,
                 "images.signatures must be a list of files");
    expect_error("images:\n  vulnerabilities: {reports: [[a]]}\n", 2, 31,
                 "each entry must be a file name");
    expect_error("workloads:\n  podTemplates: {kind: W}\n", 2, 17,
                 "workloads.podTemplates must be a list");
    expect_error("workloads:\n  podTemplates: [W]\n", 2, 18,
                 "each workloads.podTemplates entry must be a mapping with apiGroup, kind and "
                 "path");
    /* Free-form mappings */
    expect_error("rules:\n  severity: [image.tag-not-pinned]\n", 2, 13,
                 "rules.severity must be a mapping of rule id to severity");
    expect_error("rules:\n  severity: {image.tag-not-pinned: [high]}\n", 2, 36,
                 "a severity must be one of info, low, medium, high, critical");
    /* Scalars */
    expect_error("rules:\n  disable: [[image.tag-not-pinned]]\n", 2, 13,
                 "a rule id must be a string");
    expect_error("exclude:\n- {kind: [Pod]}\n", 2, 10, "exclude.kind must be a string (a glob)");
    expect_error("exclude:\n- {name: ~}\n", 2, 10, "exclude.name must be a string (a glob)");
    expect_error("pss:\n  level: [baseline]\n", 2, 10, "pss.level must be a string");
    expect_error("images:\n  trustedRegistries: [[quay.io]]\n", 2, 23,
                 "images.trustedRegistries entry must be a string");
    expect_error("images:\n  trustedSigners:\n  - {key: ''}\n", 3, 11,
                 "images.trustedSigners.key must be a non-empty string");
    expect_error("images:\n  vulnerabilities: {failOn: [high]}\n", 2, 29,
                 "unknown severity '' (use info, low, medium, high or critical)");
    expect_error("workloads:\n  podTemplates:\n  - {apiGroup: {a: b}, kind: W, path: spec}\n", 3,
                 16, "workloads.podTemplates.apiGroup must be a string");
}

static void test_scan_config__allowed_values(void **state)
{
    (void)state;
    expect_error("pss:\n  level: strict\n", 2, 10,
                 "unknown pss.level 'strict' (use baseline or restricted)");
    expect_error("pss:\n  version: 1.30\n", 2, 12,
                 "bad Pod Security version '1.30' (use latest or v1.N, e.g. v1.30)");
    kh_config *cfg = NULL;
    kh_error err = {0};
    size_t n[5];
    /* At baseline the restricted rules do not run: the pod has none of
     * their findings either way, so count one that only restricted gives. */
    const char *root_pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\n"
                           "spec:\n  containers: [{name: c, image: 'nginx:1'}]\n";
    assert_int_equal(load("pss: {level: baseline}\n", &cfg, &err), KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "pss.restricted.run-as-non-root", &err), KH_OK);
    scan(cfg, root_pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM] + n[KH_SEVERITY_HIGH], 0);
    kh_config_free(cfg);
    assert_int_equal(load("pss: {level: restricted}\n", &cfg, &err), KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "pss.restricted.run-as-non-root", &err), KH_OK);
    scan(cfg, root_pod, n);
    assert_int_equal(n[KH_SEVERITY_MEDIUM] + n[KH_SEVERITY_HIGH], 1);
    kh_config_free(cfg);
}

/* ------------------------------------------------------------ file limits */

static void test_scan_config__dev_zero_is_refused_at_the_size_limit(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_load(&cfg, "/dev/zero", &err), KH_ELIMIT);
    assert_null(cfg);
    assert_string_equal(err.file, "/dev/zero");
    assert_string_equal(err.message, "config '/dev/zero' is larger than 64 MiB");
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    assert_int_equal(kh_config_add_vuln_report(cfg, "/dev/zero", &err), KH_ELIMIT);
    assert_string_equal(err.message, "vulnerability report '/dev/zero' is larger than 64 MiB");
    assert_int_equal(kh_config_add_signatures(cfg, "/dev/zero", &err), KH_ELIMIT);
    assert_string_equal(err.message, "signature file '/dev/zero' is larger than 64 MiB");
    kh_config_free(cfg);
}

static void test_scan_config__evidence_named_in_a_config_must_be_a_regular_file(void **state)
{
    (void)state;
    /* A repository's .kubeharden.yaml naming /dev/stdin or a FIFO would
     * hang the scan; /dev/zero would be read to the limit for nothing. */
    expect_error("images:\n  signatures: [/dev/zero]\n", 2, 16,
                 "'/dev/zero' is not a regular file");
    expect_error("images:\n  vulnerabilities: {reports: [/dev/stdin]}\n", 2, 31,
                 "'/dev/stdin' is not a regular file");
    expect_error("images:\n  signatures: [/tmp]\n", 2, 16, "'/tmp' is not a regular file");
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
        cmocka_unit_test(test_scan_config__trusted_registries),
        cmocka_unit_test(test_scan_config__images_errors),
        cmocka_unit_test(test_scan_config__evidence_files_are_relative_to_the_config),
        cmocka_unit_test(test_scan_config__pod_templates),
        cmocka_unit_test(test_scan_config__pod_template_errors),
        cmocka_unit_test(test_scan_config__unknown_keys_at_each_level),
        cmocka_unit_test(test_scan_config__wrong_types_at_each_level),
        cmocka_unit_test(test_scan_config__allowed_values),
        cmocka_unit_test(test_scan_config__dev_zero_is_refused_at_the_size_limit),
        cmocka_unit_test(test_scan_config__evidence_named_in_a_config_must_be_a_regular_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
