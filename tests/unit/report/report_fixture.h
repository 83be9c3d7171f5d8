/*
 * report_fixture.h -- what the report tests share: a fixed rule table, a
 * fixed sequence of findings, and a helper that runs a writer into memory.
 *
 * The rule table stands in for src/rules/registry.c (these definitions win
 * at link time, so the registry is not pulled in): the expected outputs
 * then stay the same when rules are added. The findings cover two files,
 * several objects, a cluster-scoped one, a suppressed finding, an input
 * error, and strings with quotes, control characters, non-ASCII text and
 * bytes that are not UTF-8. A second sequence has findings with 0, 1 and
 * several related locations (one outside any input, one hostile).
 */
#ifndef KH_TEST_REPORT_FIXTURE_H
#define KH_TEST_REPORT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kubeharden.h"

/* ------------------------------------------------------------ rules */

static const kh_rule_info fixture_rules[] = {
    {"image.tag-not-pinned", KH_AREA_IMAGE, KH_SEVERITY_MEDIUM,
     "container image has no tag or uses :latest", "the image can change under the same name",
     "pin the image to a digest", "refs", "0.1.0"},
    {"pss.baseline.privileged", KH_AREA_PSS, KH_SEVERITY_CRITICAL, "container runs privileged",
     "a privileged container is \"root\" on the node", "set privileged: false", "refs", "0.1.0"},
    {"rbac.secret-readers", KH_AREA_RBAC, KH_SEVERITY_HIGH, "subject can read secrets", "why",
     "fix", "refs", "0.1.0"},
    {"workload.default-namespace", KH_AREA_WORKLOAD, KH_SEVERITY_LOW,
     "workload runs in the default namespace", "why", "fix", "refs", "0.1.0"},
    {"workload.no-resource-limits", KH_AREA_WORKLOAD, KH_SEVERITY_MEDIUM,
     "container has no CPU or memory limit", "why", "fix", "refs", "0.1.0"},
};

size_t kh_rule_count(void)
{
    return sizeof(fixture_rules) / sizeof(fixture_rules[0]);
}

const kh_rule_info *kh_rule_at(size_t i)
{
    return i < kh_rule_count() ? &fixture_rules[i] : NULL;
}

const kh_rule_info *kh_rule_find(const char *id)
{
    for (size_t i = 0; id && i < kh_rule_count(); i++)
        if (strcmp(fixture_rules[i].id, id) == 0)
            return &fixture_rules[i];
    return NULL;
}

const char *kh_severity_name(kh_severity s)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    return (unsigned)s < 5 ? names[s] : "unknown";
}

const char *kh_area_name(kh_area a)
{
    static const char *const names[] = {"pss",    "workload", "image",        "rbac",
                                        "netpol", "ha",       "controlplane", "kubelet"};
    return (unsigned)a < 8 ? names[a] : "unknown";
}

/* ------------------------------------------------------------ findings */

#define FILE_A "deploy/web.yaml"
#define FILE_B "other dir/bad\x01.yaml"

static const kh_finding fixture_findings[] = {
    {.rule_id = "pss.baseline.privileged", .severity = KH_SEVERITY_CRITICAL, .file = FILE_A,
     .line = 12, .col = 9, .api_version = "apps/v1", .kind = "Deployment", .namespace_ = "shop",
     .name = "web", .path = "spec.template.spec.containers[0].securityContext.privileged",
     .message = "container 'app' runs privileged"},
    {.rule_id = "workload.no-resource-limits", .severity = KH_SEVERITY_MEDIUM, .file = FILE_A,
     .line = 14, .col = 11, .api_version = "apps/v1", .kind = "Deployment", .namespace_ = "shop",
     .name = "web", .path = "spec.template.spec.containers[0].resources",
     .message = "container \"app\" has no memory limit"},
    {.rule_id = "image.tag-not-pinned", .severity = KH_SEVERITY_MEDIUM, .file = FILE_A,
     .line = 30, .col = 14, .api_version = "v1", .kind = "Pod", .namespace_ = "shop",
     .name = "debug", .path = "spec.containers[0].image",
     .message = "image 'busybox' has no tag", .suppressed = "pinned by the release pipeline"},
    {.rule_id = "error", .is_error = 1, .file = FILE_A, .line = 41, .col = 1,
     .message = "mapping values are not allowed in this context"},
    {.rule_id = "workload.default-namespace", .severity = KH_SEVERITY_LOW, .file = FILE_B,
     .line = 3, .col = 1, .api_version = "v1", .kind = "Namespace", .namespace_ = "",
     .name = "caf\xc3\xa9", .path = "",
     .message = "line1\nline2\t\"q\" <&> \xff\x1b[2J end"},
};

#define NFIXTURE (sizeof(fixture_findings) / sizeof(fixture_findings[0]))

/* What a scanner would report for the fixture. */
static const kh_scan_stats fixture_stats = {
    .files = 3, .documents = 5, .objects = 4, .errors = 1,
    .findings = 3, .suppressed = 1, .by_severity = {0, 1, 1, 0, 1}, .bytes = 1234,
};

/* ------------------------------------------------------------ related */

#define FILE_RBAC "rbac/grants.yaml"

/* One related location: the binding behind a grant. */
static const kh_location related_one[] = {
    {.file = FILE_RBAC, .line = 7, .col = 3, .kind = "RoleBinding", .namespace_ = "shop",
     .name = "ci-read", .path = "roleRef",
     .message = "binds the role 'reader' to ServiceAccount 'ci'"},
};

/* Several: the binding and the cluster-scoped role, a place in no input
 * and no object, one whose every string is hostile, and one with neither
 * a message, a column nor a path. */
static const kh_location related_many[] = {
    {.file = FILE_RBAC, .line = 7, .col = 3, .kind = "RoleBinding", .namespace_ = "shop",
     .name = "ci-read", .path = "roleRef",
     .message = "binds the role 'reader' to ServiceAccount 'ci'"},
    {.file = FILE_RBAC, .line = 20, .col = 1, .kind = "ClusterRole", .namespace_ = "",
     .name = "reader", .path = "rules[0]", .message = "allows get on secrets"},
    {.message = "the API server's default authorizer"},
    {.file = "odd dir/ro\"le\x01.yaml", .line = 4, .col = 5, .kind = "Role",
     .namespace_ = "sh\nop", .name = "r\xff<&>", .path = "rules[\"*\"]",
     .message = "grants \"*\" \x1b[2J & <all> \xe2\x80\xae end"},
    {.file = FILE_RBAC, .line = 30, .kind = "Role", .namespace_ = "shop", .name = "empty",
     .path = ""},
};

static const kh_finding related_findings[] = {
    {.rule_id = "rbac.secret-readers", .severity = KH_SEVERITY_HIGH, .file = FILE_RBAC,
     .line = 2, .col = 1, .api_version = "v1", .kind = "ServiceAccount", .namespace_ = "shop",
     .name = "builder", .path = "", .message = "ServiceAccount 'builder' can read secrets"},
    {.rule_id = "rbac.secret-readers", .severity = KH_SEVERITY_HIGH, .file = FILE_RBAC,
     .line = 12, .col = 5, .api_version = "v1", .kind = "ServiceAccount", .namespace_ = "shop",
     .name = "ci", .path = "metadata.name", .message = "ServiceAccount 'ci' can read secrets",
     .related = related_one, .nrelated = 1},
    {.rule_id = "rbac.secret-readers", .severity = KH_SEVERITY_HIGH, .file = FILE_RBAC,
     .line = 40, .col = 5, .api_version = "v1", .kind = "ServiceAccount", .namespace_ = "shop",
     .name = "deployer", .path = "", .message = "ServiceAccount 'deployer' can read secrets",
     .related = related_many, .nrelated = sizeof(related_many) / sizeof(related_many[0])},
};

#define NRELATED_FIXTURE (sizeof(related_findings) / sizeof(related_findings[0]))

/* ------------------------------------------------------------ running */

/*
 * Run format @p fmt over @p n findings into memory and return the output
 * (caller frees). @p stats may be NULL (the report counts for itself).
 */
/* noinline: gcc 12 otherwise warns of a dangling pointer to the memstream buffer */
__attribute__((noinline)) static char *run_report(kh_format fmt, const kh_report_options *opts, const kh_finding *fs,
                        size_t n, const kh_scan_stats *stats)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    kh_report *r = NULL;
    kh_error err = {0};
    assert_int_equal(kh_report_new(&r, fmt, out, opts, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kh_report_add(r, &fs[i]), 0);
    assert_int_equal(kh_report_end(r, stats, &err), 0);
    kh_report_free(r);
    fclose(out);
    return buf;
}

static inline char *run_fixture(kh_format fmt)
{
    return run_report(fmt, NULL, fixture_findings, NFIXTURE, &fixture_stats);
}

static inline char *run_related(kh_format fmt)
{
    return run_report(fmt, NULL, related_findings, NRELATED_FIXTURE, NULL);
}

/* Count the occurrences of @p needle in @p hay. */
static inline size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0, at = 0;
    const char *hit;
    while ((hit = strstr(hay + at, needle)) != NULL) {
        n++;
        at = (size_t)(hit - hay) + 1;
    }
    return n;
}

/*
 * Is @p s valid UTF-8 with no control character other than newline (and,
 * when @p allow_tab, tab)? Reports the offset of the first bad byte.
 */
static inline int clean_utf8(const char *s, int allow_tab)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = 1;
        if (*p < 0x20 && *p != '\n' && !(allow_tab && *p == '\t')) {
            print_message("control byte 0x%02x at offset %zu\n", *p, (size_t)(p - (const unsigned char *)s));
            return 0;
        }
        if (*p >= 0x80) {
            n = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
            for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xC0) != 0x80)
                    n = 0;
            if (n == 0 || *p == 0xC0 || *p == 0xC1 || *p > 0xF4) {
                print_message("invalid UTF-8 at offset %zu\n", (size_t)(p - (const unsigned char *)s));
                return 0;
            }
        }
        p += n;
    }
    return 1;
}

#endif
