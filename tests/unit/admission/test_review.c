/*
 * test_review.c -- kh_admission_review: AdmissionReview in, response out,
 * as the API server's Pod Security admission answers (admission.go), with
 * kubeharden's exemptions, namespace map and per-rule modes on top.
 */
#define _GNU_SOURCE /* asprintf */
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

/* Complies with restricted except allowPrivilegeEscalation. */
#define POD_ESCALATES                                                                      \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","             \
    "\"namespace\":\"shop\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"securityContext\":"  \
    "{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"           \
    "\"containers\":[{\"name\":\"app\",\"image\":\"registry.example/app:1.0\","           \
    "\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}"

#define POD_OK                                                                             \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","             \
    "\"namespace\":\"shop\"},\"spec\":{\"securityContext\":"                              \
    "{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"           \
    "\"containers\":[{\"name\":\"app\",\"image\":\"registry.example/app:1.0\","           \
    "\"securityContext\":{\"allowPrivilegeEscalation\":false,"                            \
    "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}"

#define ESCALATION_DETAIL                                                                  \
    "allowPrivilegeEscalation != false (container \\\"app\\\" must set "                   \
    "securityContext.allowPrivilegeEscalation=false)"

typedef struct req {
    const char *api;       /* default admission.k8s.io/v1 */
    const char *op;        /* default CREATE */
    const char *group, *resource, *kind, *sub, *ns, *user;
    int dry;
    const char *object, *old;
} req;

static char *body_of(const req *r)
{
    char *b = NULL;
    const char *group = r->group ? r->group : "";
    int n = asprintf(
        &b,
        "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\","
        "\"kind\":{\"group\":\"%s\",\"version\":\"v1\",\"kind\":\"%s\"},"
        "\"resource\":{\"group\":\"%s\",\"version\":\"v1\",\"resource\":\"%s\"},"
        "\"subResource\":\"%s\",\"name\":\"web\",\"namespace\":\"%s\",\"operation\":\"%s\","
        "\"userInfo\":{\"username\":\"%s\"},\"dryRun\":%s,\"object\":%s,\"oldObject\":%s}}",
        r->api ? r->api : "admission.k8s.io/v1", group, r->kind ? r->kind : "Pod", group,
        r->resource ? r->resource : "pods", r->sub ? r->sub : "", r->ns ? r->ns : "shop",
        r->op ? r->op : "CREATE", r->user ? r->user : "alice", r->dry ? "true" : "false",
        r->object ? r->object : "null", r->old ? r->old : "null");
    assert_true(n > 0);
    return b;
}

typedef struct outcome {
    int rc;
    char *json;
    kh_admission_result res;
    kh_error err;
} outcome;

static outcome run(const kh_config *cfg, const char *query, const req *r)
{
    outcome o = {0};
    kh_route route;
    assert_int_equal(kh_route_parse(&route, "/validate/restricted", query, NULL), KH_OK);
    char *body = body_of(r);
    size_t len = 0;
    o.rc = kh_admission_review(cfg, &route, body, strlen(body), NULL, NULL, &o.json, &len,
                               &o.res, &o.err);
    if (o.rc == KH_OK)
        assert_int_equal(len, strlen(o.json));
    free(body);
    return o;
}

static void contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("expected '%s' in '%s'", needle, hay ? hay : "(null)");
}

static void lacks(const char *hay, const char *needle)
{
    if (hay && strstr(hay, needle))
        fail_msg("did not expect '%s' in '%s'", needle, hay);
}

static kh_config *config_text(const char *text)
{
    char path[] = "/tmp/kh-admission-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    kh_config *cfg = NULL;
    kh_error err = {0};
    int rc = kh_config_load(&cfg, path, &err);
    unlink(path);
    if (rc)
        fail_msg("config: %s", err.message);
    return cfg;
}

static kh_error config_error(const char *text)
{
    char path[] = "/tmp/kh-admission-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_load(&cfg, path, &err), KH_ECONFIG);
    unlink(path);
    return err;
}

/* ------------------------------------------------------------------ pods */

static void test_review__compliant_pod_is_allowed(void **state)
{
    (void)state;
    outcome o = run(NULL, "", &(req){.object = POD_OK});
    assert_int_equal(o.rc, KH_OK);
    assert_true(o.res.allowed);
    assert_int_equal(o.res.code, 200);
    assert_int_equal(o.res.violations, 0);
    assert_true(o.res.evaluated);
    contains(o.json, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                     "\"response\":{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\","
                     "\"allowed\":true");
    contains(o.json, "\"enforce-policy\":\"restricted:latest\"");
    lacks(o.json, "warnings");
    assert_string_equal(o.res.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_string_equal(o.res.operation, "CREATE");
    assert_string_equal(o.res.kind, "Pod");
    free(o.json);
}

/* The exact status apierrors.NewForbidden writes for PSA's error. */
static void test_review__denial_has_the_pod_security_message_and_403(void **state)
{
    (void)state;
    outcome o = run(NULL, "", &(req){.object = POD_ESCALATES});
    assert_int_equal(o.rc, KH_OK);
    assert_false(o.res.allowed);
    assert_int_equal(o.res.code, 403);
    assert_int_equal(o.res.violations, 1);
    assert_false(o.res.denied_by_rules);
    contains(o.json, "\"allowed\":false,\"status\":{\"metadata\":{},\"status\":\"Failure\","
                     "\"message\":\"pods \\\"web\\\" is forbidden: violates PodSecurity "
                     "\\\"restricted:latest\\\": " ESCALATION_DETAIL "\",\"reason\":\"Forbidden\","
                     "\"details\":{\"name\":\"web\",\"kind\":\"pods\"},\"code\":403}");
    lacks(o.json, "warnings"); /* upstream adds none to a denied request */
    free(o.json);
}

/* Upstream merges containers per check and orders checks by id. */
static void test_review__violations_merge_per_check_in_upstream_order(void **state)
{
    (void)state;
    const char *pod =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"securityContext\":{\"capabilities\":"
        "{\"add\":[\"SYS_ADMIN\",\"NET_RAW\"]}}},{\"name\":\"b\",\"image\":\"y\",\"ports\":"
        "[{\"containerPort\":80,\"hostPort\":80}]}]}}";
    outcome o = run(NULL, "", &(req){.object = pod});
    contains(o.json,
             "violates PodSecurity \\\"restricted:latest\\\": hostPort (container \\\"b\\\" uses "
             "hostPort 80), allowPrivilegeEscalation != false (containers \\\"a\\\", \\\"b\\\" must "
             "set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities "
             "(containers \\\"a\\\", \\\"b\\\" must set securityContext.capabilities.drop=[\\\"ALL\\\"]; "
             "container \\\"a\\\" must not include \\\"NET_RAW\\\", \\\"SYS_ADMIN\\\" in "
             "securityContext.capabilities.add), runAsNonRoot != true (pod or containers "
             "\\\"a\\\", \\\"b\\\" must set securityContext.runAsNonRoot=true), seccompProfile (pod "
             "or containers \\\"a\\\", \\\"b\\\" must set securityContext.seccompProfile.type to "
             "\\\"RuntimeDefault\\\" or \\\"Localhost\\\")\"");
    free(o.json);
}

/* runAsNonRoot: an explicit false wins over the implicit "must set". */
static void test_review__explicit_violation_replaces_the_implicit_one(void **state)
{
    (void)state;
    const char *pod =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{"
        "\"securityContext\":{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
        "\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"securityContext\":{\"runAsNonRoot\":"
        "false,\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}},"
        "{\"name\":\"b\",\"image\":\"x\",\"securityContext\":{\"allowPrivilegeEscalation\":"
        "false,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}";
    outcome o = run(NULL, "", &(req){.object = pod});
    contains(o.json, "violates PodSecurity \\\"restricted:latest\\\": runAsNonRoot != true "
                     "(container \\\"a\\\" must not set securityContext.runAsNonRoot=false)\"");
    free(o.json);
}

static void test_review__warn_mode_allows_with_a_warning(void **state)
{
    (void)state;
    outcome o = run(NULL, "mode=warn&version=v1.30", &(req){.object = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_int_equal(o.res.mode, KH_MODE_WARN);
    assert_int_equal(o.res.warnings, 1);
    assert_string_equal(o.res.policy, "restricted:v1.30");
    contains(o.json, "\"warnings\":[\"would violate PodSecurity \\\"restricted:v1.30\\\": "
                     ESCALATION_DETAIL "\"]");
    lacks(o.json, "audit-violations");
    lacks(o.json, "enforce-policy");
    free(o.json);
}

static void test_review__audit_mode_allows_with_an_audit_annotation(void **state)
{
    (void)state;
    outcome o = run(NULL, "mode=audit", &(req){.object = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_int_equal(o.res.warnings, 0);
    contains(o.json, "\"audit-violations\":\"would violate PodSecurity "
                     "\\\"restricted:latest\\\": " ESCALATION_DETAIL "\"");
    lacks(o.json, "warnings");
    free(o.json);
}

static void test_review__v1beta1_is_answered_in_v1beta1(void **state)
{
    (void)state;
    outcome o = run(NULL, "", &(req){.api = "admission.k8s.io/v1beta1", .object = POD_ESCALATES});
    assert_int_equal(o.rc, KH_OK);
    assert_false(o.res.allowed);
    contains(o.json, "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\"");
    free(o.json);
}

static void test_review__dry_run_is_reported_and_changes_nothing(void **state)
{
    (void)state;
    outcome wet = run(NULL, "", &(req){.object = POD_ESCALATES});
    outcome dry = run(NULL, "", &(req){.object = POD_ESCALATES, .dry = 1});
    assert_true(dry.res.dry_run);
    assert_false(wet.res.dry_run);
    assert_string_equal(dry.json, wet.json);
    free(wet.json);
    free(dry.json);
}

static void test_review__baseline_level_from_the_path(void **state)
{
    (void)state;
    kh_route route;
    assert_int_equal(kh_route_parse(&route, "/validate/baseline", NULL, NULL), KH_OK);
    req r = {.object = POD_ESCALATES};
    char *body = body_of(&r), *out = NULL;
    kh_admission_result res;
    assert_int_equal(kh_admission_review(NULL, &route, body, strlen(body), NULL, NULL, &out,
                                         NULL, &res, NULL),
                     KH_OK);
    assert_true(res.allowed);
    assert_string_equal(res.policy, "baseline:latest");
    free(body);
    free(out);
}

/* ------------------------------------------------------------- updates */

static void test_review__update_that_psa_ignores_is_allowed(void **state)
{
    (void)state;
    /* only a label changes: isSignificantPodUpdate is false */
    outcome o = run(NULL, "", &(req){.op = "UPDATE", .object = POD_ESCALATES, .old = POD_OK});
    assert_true(o.res.allowed);
    assert_false(o.res.evaluated);
    assert_string_equal(o.json, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":"
                                "\"AdmissionReview\",\"response\":{\"uid\":"
                                "\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"allowed\":true}}\n");
    free(o.json);
}

static void test_review__update_that_changes_an_image_is_judged(void **state)
{
    (void)state;
    char *old = strdup(POD_ESCALATES);
    char *at = strstr(old, "app:1.0");
    at[6] = '9';
    outcome o = run(NULL, "", &(req){.op = "UPDATE", .object = POD_ESCALATES, .old = old});
    assert_false(o.res.allowed);
    assert_true(o.res.evaluated);
    free(o.json);
    free(old);
}

static void test_review__update_without_old_object_is_invalid(void **state)
{
    (void)state;
    outcome o = run(NULL, "", &(req){.op = "UPDATE", .object = POD_OK});
    assert_int_equal(o.rc, KH_EINVALID);
    assert_null(o.json);
    contains(o.err.message, "request.oldObject is missing");
}

/* The ephemeralcontainers subresource is judged; an added ephemeral
 * container is significant. */
static void test_review__ephemeral_container_is_judged(void **state)
{
    (void)state;
    const char *with =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\"},\"spec\":{"
        "\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
        "\"RuntimeDefault\"}},\"containers\":[{\"name\":\"app\",\"image\":\"registry.example/"
        "app:1.0\",\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":"
        "{\"drop\":[\"ALL\"]}}}],\"ephemeralContainers\":[{\"name\":\"debugger\",\"image\":"
        "\"busybox\",\"securityContext\":{\"privileged\":true}}]}}";
    outcome o = run(NULL, "", &(req){.op = "UPDATE", .sub = "ephemeralcontainers",
                                     .object = with, .old = POD_OK});
    assert_false(o.res.allowed);
    contains(o.json, "privileged (container \\\"debugger\\\" must not set "
                     "securityContext.privileged=true)");
    free(o.json);
}

static void test_review__ignored_subresources_and_delete_are_allowed(void **state)
{
    (void)state;
    outcome o = run(NULL, "", &(req){.op = "UPDATE", .sub = "status", .object = POD_ESCALATES,
                                     .old = POD_OK});
    assert_true(o.res.allowed);
    assert_false(o.res.evaluated);
    free(o.json);
    o = run(NULL, "", &(req){.op = "DELETE", .old = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_false(o.res.evaluated);
    assert_string_equal(o.res.operation, "DELETE");
    free(o.json);
}

/* ----------------------------------------------------------- workloads */

#define DEPLOYMENT                                                                         \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"  \
    "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":"        \
    "\"registry.example/app:1.0\",\"securityContext\":{\"privileged\":true}}]}}}}"

static void test_review__workload_template_gets_warnings_and_audit(void **state)
{
    (void)state;
    req r = {.group = "apps", .resource = "deployments", .kind = "Deployment",
             .object = DEPLOYMENT};
    outcome o = run(NULL, "", &r);
    assert_true(o.res.allowed);
    assert_int_equal(o.res.mode, KH_MODE_WARN);
    contains(o.json, "\"warnings\":[\"would violate PodSecurity \\\"restricted:latest\\\": "
                     "privileged (container \\\"app\\\" must not set "
                     "securityContext.privileged=true), ");
    contains(o.json, "\"audit-violations\":\"would violate PodSecurity");
    lacks(o.json, "enforce-policy");
    free(o.json);
    /* a scale subresource carries no template */
    r.sub = "scale";
    o = run(NULL, "", &r);
    assert_false(o.res.evaluated);
    free(o.json);
}

static void test_review__workload_templates_can_be_enforced(void **state)
{
    (void)state;
    kh_config *cfg = config_text("admission:\n  workloadTemplates: enforce\n");
    outcome o = run(cfg, "", &(req){.group = "apps", .resource = "deployments",
                                    .kind = "Deployment", .object = DEPLOYMENT});
    assert_false(o.res.allowed);
    contains(o.json, "\"message\":\"deployments.apps \\\"web\\\" is forbidden: violates "
                     "PodSecurity \\\"restricted:latest\\\": privileged");
    contains(o.json, "\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\"}");
    free(o.json);
    kh_config_free(cfg);
}

/* ------------------------------------------------------- configuration */

static void test_review__exemptions_as_psa_admission_configuration(void **state)
{
    (void)state;
    kh_config *cfg = config_text("admission:\n  exemptions:\n"
                                 "    usernames: [system:serviceaccount:ci:deployer]\n"
                                 "    namespaces: [kube-system]\n"
                                 "    runtimeClasses: [kata]\n");
    outcome o = run(cfg, "", &(req){.ns = "kube-system", .object = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_string_equal(o.res.exempt, "namespace");
    contains(o.json, "\"auditAnnotations\":{\"exempt\":\"namespace\"}");
    free(o.json);
    o = run(cfg, "", &(req){.user = "system:serviceaccount:ci:deployer", .object = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_string_equal(o.res.exempt, "user");
    free(o.json);
    char *kata = strdup(POD_ESCALATES);
    char *spec = strstr(kata, "\"spec\":{") + 8;
    char *pod = NULL;
    assert_true(asprintf(&pod, "%.*s\"runtimeClassName\":\"kata\",%s", (int)(spec - kata), kata,
                         spec) > 0);
    o = run(cfg, "", &(req){.object = pod});
    assert_true(o.res.allowed);
    assert_string_equal(o.res.exempt, "runtimeClass");
    free(o.json);
    /* not exempt: denied as usual */
    o = run(cfg, "", &(req){.object = POD_ESCALATES});
    assert_false(o.res.allowed);
    free(o.json);
    free(kata);
    free(pod);
    kh_config_free(cfg);
}

static void test_review__namespace_map_overrides_the_route(void **state)
{
    (void)state;
    kh_config *cfg = config_text("admission:\n  namespaces:\n"
                                 "    legacy: {level: baseline}\n"
                                 "    trial: {mode: warn, version: v1.29}\n");
    outcome o = run(cfg, "", &(req){.ns = "legacy", .object = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_string_equal(o.res.policy, "baseline:latest");
    free(o.json);
    o = run(cfg, "", &(req){.ns = "trial", .object = POD_ESCALATES});
    assert_true(o.res.allowed);
    assert_int_equal(o.res.warnings, 1);
    contains(o.json, "would violate PodSecurity \\\"restricted:v1.29\\\"");
    free(o.json);
    o = run(cfg, "", &(req){.ns = "shop", .object = POD_ESCALATES});
    assert_false(o.res.allowed);
    free(o.json);
    kh_config_free(cfg);
}

/* Other rules are audit-only by default, and follow ruleModes. */
static void test_review__per_rule_modes(void **state)
{
    (void)state;
    /* no tag: image.tag-not-pinned */
    char *latest = strdup(POD_OK);
    char *tag = strstr(latest, ":1.0");
    memmove(tag, tag + 4, strlen(tag + 4) + 1);
    outcome o = run(NULL, "", &(req){.object = latest});
    assert_true(o.res.allowed);
    assert_true(o.res.rule_violations > 0);
    contains(o.json, "\"kubeharden-violations\":\"");
    contains(o.json, "image.tag-not-pinned: container \\\"app\\\" image "
                     "'registry.example/app' has no tag");
    free(o.json);

    kh_config *cfg = config_text("admission:\n  ruleModes: {image.tag-not-pinned: enforce}\n");
    o = run(cfg, "", &(req){.object = latest});
    assert_false(o.res.allowed);
    assert_true(o.res.denied_by_rules);
    contains(o.json, "\"message\":\"pods \\\"web\\\" is forbidden: violates kubeharden rules: "
                     "image.tag-not-pinned: container \\\"app\\\" image 'registry.example/app' "
                     "has no tag");
    free(o.json);
    /* a warn route never denies: the rule is lowered to warn */
    o = run(cfg, "mode=warn", &(req){.object = latest});
    assert_true(o.res.allowed);
    contains(o.json, "\"warnings\":[\"kubeharden image.tag-not-pinned: container");
    free(o.json);
    kh_config_free(cfg);

    cfg = config_text("admission:\n  defaultRuleMode: warn\n");
    o = run(cfg, "", &(req){.object = latest});
    assert_true(o.res.allowed);
    contains(o.json, "\"kubeharden image.tag-not-pinned: ");
    lacks(o.json, "kubeharden-violations");
    free(o.json);
    kh_config_free(cfg);
    free(latest);
}

static void test_review__bad_admission_configuration_is_refused(void **state)
{
    (void)state;
    kh_error e = config_error("admission:\n  ruleModes: {image.tag-not-pinned: block}\n");
    contains(e.message, "unknown mode 'block'");
    assert_int_equal(e.line, 2);
    e = config_error("admission:\n  ruleModes:\n    pss.restricted.seccomp: warn\n");
    contains(e.message, "rule 'pss.restricted.seccomp' is a Pod Security check");
    assert_int_equal(e.line, 3);
    e = config_error("admission:\n  ruleModes: {image.nope: warn}\n");
    contains(e.message, "unknown rule 'image.nope'");
    e = config_error("admission:\n  namespaces:\n    a: {version: v1.030}\n");
    contains(e.message, "bad Pod Security version 'v1.030'");
    e = config_error("admission:\n  namespaces:\n    a: {level: strict}\n");
    contains(e.message, "unknown admission.namespaces.*.level 'strict'");
    e = config_error("admission:\n  namespaces:\n    a: {}\n");
    contains(e.message, "must be a mapping with level, version and/or mode");
    e = config_error("admission:\n  exemptions: {users: [a]}\n");
    contains(e.message, "unknown key 'admission.exemptions.users'");
    e = config_error("admission:\n  workloadTemplates: audit\n");
    contains(e.message, "unknown admission.workloadTemplates 'audit' (use warn or enforce)");
    e = config_error("admission:\n  exemptions: {namespaces: [\"\"]}\n");
    contains(e.message, "must be a non-empty string");
}

/* ----------------------------------------------------------- bad bodies */

static void expect_bad(const char *body, int code, unsigned line, unsigned col,
                       const char *needle)
{
    char *out = (char *)1;
    kh_error err = {0};
    kh_admission_result res;
    int rc = kh_admission_review(NULL, NULL, body, strlen(body), NULL, NULL, &out, NULL, &res,
                                 &err);
    if (rc != code)
        fail_msg("rc %d (want %d) for %s: %s", rc, code, body, err.message);
    assert_null(out);
    assert_int_equal(err.code, code);
    contains(err.message, needle);
    assert_string_equal(err.file, "<request>");
    if (line) {
        assert_int_equal(err.line, line);
        assert_int_equal(err.col, col);
    }
}

#define HEAD "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
#define KINDS "\"kind\":{\"kind\":\"Pod\"},\"resource\":{\"resource\":\"pods\"},"

static void test_review__bad_bodies_are_errors_with_positions(void **state)
{
    (void)state;
    expect_bad("", KH_EPARSE, 1, 1, "must be a JSON object");
    expect_bad("kind: AdmissionReview", KH_EPARSE, 1, 1, "must be a JSON object");
    expect_bad("[1]", KH_EPARSE, 1, 1, "must be a JSON object");
    expect_bad(HEAD "\"request\":{\"uid\":\"x\"", KH_EPARSE, 0, 0, "");
    expect_bad("{\"a\":1} {\"b\":2}", KH_EPARSE, 1, 9, "expected a single document");
    expect_bad("{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\"}",
               KH_EINVALID, 1, 15, "unsupported apiVersion 'admission.k8s.io/v2'");
    expect_bad("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}", KH_EINVALID, 1, 44,
               "unexpected kind 'Pod'");
    expect_bad("{\"kind\":\"AdmissionReview\"}", KH_EINVALID, 1, 1,
               "AdmissionReview.apiVersion is missing");
    expect_bad(HEAD "\"response\":{}}", KH_EINVALID, 1, 1, "has no request");
    expect_bad(HEAD "\"request\":[]}", KH_EINVALID, 1, 72, "request must be a JSON object");
    expect_bad(HEAD "\"request\":{" KINDS "\"operation\":\"CREATE\",\"object\":{}}}", KH_EINVALID,
               1, 72, "request.uid is missing");
    expect_bad(HEAD "\"request\":{\"uid\":7," KINDS "\"operation\":\"CREATE\",\"object\":{}}}",
               KH_EINVALID, 1, 79, "request.uid must be a non-empty string");
    expect_bad(HEAD "\"request\":{\"uid\":\"u\",\"resource\":{\"resource\":\"pods\"},"
                    "\"operation\":\"CREATE\",\"object\":{}}}",
               KH_EINVALID, 1, 72, "request.kind is missing");
    expect_bad(HEAD "\"request\":{\"uid\":\"u\"," KINDS "\"operation\":\"PATCH\",\"object\":{}}}",
               KH_EINVALID, 0, 0, "unknown operation 'PATCH'");
    expect_bad(HEAD "\"request\":{\"uid\":\"u\"," KINDS "\"operation\":\"CREATE\"}}", KH_EINVALID,
               0, 0, "request.object is missing for a CREATE");
    expect_bad(HEAD "\"request\":{\"uid\":\"u\"," KINDS "\"operation\":\"CREATE\",\"object\":"
                    "\"pod\"}}",
               KH_EINVALID, 0, 0, "request.object must be a JSON object");
    expect_bad(HEAD "\"request\":{\"uid\":\"u\"," KINDS "\"operation\":\"CREATE\",\"dryRun\":"
                    "\"yes\",\"object\":{}}}",
               KH_EINVALID, 0, 0, "request.dryRun must be true or false");
    /* nesting deeper than the loader's limit */
    char deep[4096];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof(deep), HEAD "\"request\":{\"uid\":\"u\"," KINDS
                                              "\"operation\":\"CREATE\",\"object\":");
    for (int i = 0; i < 300; i++)
        deep[n++] = '[';
    for (int i = 0; i < 300; i++)
        deep[n++] = ']';
    memcpy(deep + n, "}}", 3);
    expect_bad(deep, KH_EPARSE, 0, 0, "nesting depth");
}

/* An object the engine cannot read (a kind that is not a string) is an
 * invalid request, not a crash or an allowed response. */
static void test_review__unreadable_object_is_invalid(void **state)
{
    (void)state;
    outcome o = run(NULL, "", &(req){.object = "{\"kind\":[1],\"apiVersion\":\"v1\"}"});
    assert_int_equal(o.rc, KH_EINVALID);
    assert_null(o.json);
    assert_string_equal(o.err.file, "<request>");
    assert_true(o.err.line > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_review__compliant_pod_is_allowed),
        cmocka_unit_test(test_review__denial_has_the_pod_security_message_and_403),
        cmocka_unit_test(test_review__violations_merge_per_check_in_upstream_order),
        cmocka_unit_test(test_review__explicit_violation_replaces_the_implicit_one),
        cmocka_unit_test(test_review__warn_mode_allows_with_a_warning),
        cmocka_unit_test(test_review__audit_mode_allows_with_an_audit_annotation),
        cmocka_unit_test(test_review__v1beta1_is_answered_in_v1beta1),
        cmocka_unit_test(test_review__dry_run_is_reported_and_changes_nothing),
        cmocka_unit_test(test_review__baseline_level_from_the_path),
        cmocka_unit_test(test_review__update_that_psa_ignores_is_allowed),
        cmocka_unit_test(test_review__update_that_changes_an_image_is_judged),
        cmocka_unit_test(test_review__update_without_old_object_is_invalid),
        cmocka_unit_test(test_review__ephemeral_container_is_judged),
        cmocka_unit_test(test_review__ignored_subresources_and_delete_are_allowed),
        cmocka_unit_test(test_review__workload_template_gets_warnings_and_audit),
        cmocka_unit_test(test_review__workload_templates_can_be_enforced),
        cmocka_unit_test(test_review__exemptions_as_psa_admission_configuration),
        cmocka_unit_test(test_review__namespace_map_overrides_the_route),
        cmocka_unit_test(test_review__per_rule_modes),
        cmocka_unit_test(test_review__bad_admission_configuration_is_refused),
        cmocka_unit_test(test_review__bad_bodies_are_errors_with_positions),
        cmocka_unit_test(test_review__unreadable_object_is_invalid),
    };
    return cmocka_run_group_tests_name("admission/review", tests, NULL, NULL);
}
