/*
 * test_evaluate.c -- kh_evaluate, the entry point servers call: one object
 * in memory, findings and a verdict for a level, on any thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/node.h"
#include "kubeharden.h"
#include "scan/scanner.h"

static const char privileged_pod[] =
    "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n"
    " \"metadata\": {\"name\": \"p\", \"namespace\": \"shop\"},\n"
    " \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"registry.example/app:1\",\n"
    "   \"securityContext\": {\"privileged\": true}}]}}\n";

/* Findings as "rule path" lines. */
typedef struct seen {
    char text[8192];
    size_t len;
} seen;

static int record(const kh_finding *f, void *ud)
{
    seen *s = ud;
    int n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s %s%s\n", f->rule_id,
                     f->path, f->suppressed ? " (suppressed)" : "");
    if (n > 0 && (size_t)n < sizeof(s->text) - s->len)
        s->len += (size_t)n;
    return 0;
}

static kh_config *config(void)
{
    kh_config *cfg = NULL;
    assert_int_equal(kh_config_new(&cfg, NULL), KH_OK);
    return cfg;
}

static void test_evaluate__privileged_pod_is_denied_at_baseline(void **state)
{
    (void)state;
    kh_config *cfg = config();
    kh_verdict v;
    seen s = {.len = 0};
    assert_int_equal(kh_evaluate(cfg, KH_PSS_BASELINE, NULL, privileged_pod,
                                 sizeof(privileged_pod) - 1, NULL, record, &s, &v, NULL),
                     KH_OK);
    assert_false(v.allowed);
    assert_int_equal(v.violations, 1);
    assert_int_equal(v.objects, 1);
    assert_non_null(strstr(s.text, "pss.baseline.privileged "
                                   "spec.containers[0].securityContext.privileged\n"));
    /* Baseline runs no restricted rule. */
    assert_null(strstr(s.text, "pss.restricted."));
    kh_config_free(cfg);
}

static void test_evaluate__privileged_level_allows_and_still_reports_other_rules(void **state)
{
    (void)state;
    kh_config *cfg = config();
    kh_verdict v;
    seen s = {.len = 0};
    assert_int_equal(kh_evaluate(cfg, KH_PSS_PRIVILEGED, NULL, privileged_pod,
                                 sizeof(privileged_pod) - 1, "req", record, &s, &v, NULL),
                     KH_OK);
    assert_true(v.allowed);
    assert_int_equal(v.violations, 0);
    assert_null(strstr(s.text, "pss."));
    assert_non_null(strstr(s.text, "workload.no-resource-limits"));
    kh_config_free(cfg);
}

static void test_evaluate__admission_review_judges_request_object(void **state)
{
    (void)state;
    /* The bypass the envelope table closes: a review used to read as an
     * object of kind AdmissionReview, with no findings. */
    char review[2048];
    snprintf(review, sizeof(review),
             "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\",\n"
             " \"request\": {\"uid\": \"u1\", \"operation\": \"UPDATE\",\n"
             " \"object\": %s,\n"
             " \"oldObject\": {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": "
             "{\"name\": \"p\"}, \"spec\": {\"hostNetwork\": true, \"containers\": []}}}}\n",
             privileged_pod);
    kh_config *cfg = config();
    kh_verdict v;
    seen s = {.len = 0};
    assert_int_equal(kh_evaluate(cfg, KH_PSS_BASELINE, "v1.30", review, strlen(review), NULL,
                                 record, &s, &v, NULL),
                     KH_OK);
    assert_false(v.allowed);
    assert_int_equal(v.objects, 1); /* the old object is not judged */
    assert_non_null(strstr(s.text, "pss.baseline.privileged "
                                   "request.object.spec.containers[0].securityContext."
                                   "privileged\n"));
    assert_null(strstr(s.text, "host-namespaces"));
    kh_config_free(cfg);
}

static void test_evaluate__suppression_annotation_does_not_allow(void **state)
{
    (void)state;
    /* The object's author writes its annotations; a verdict they could
     * change would be no verdict. */
    static const char pod[] =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
        "    ignore.kubeharden.io/pss.baseline.privileged: \"trust me\"\n"
        "spec:\n  containers:\n  - name: app\n    image: registry.example/app:1\n"
        "    securityContext: {privileged: yes}\n";
    kh_config *cfg = config();
    kh_verdict v;
    seen s = {.len = 0};
    assert_int_equal(kh_evaluate(cfg, KH_PSS_BASELINE, NULL, pod, sizeof(pod) - 1, NULL,
                                 record, &s, &v, NULL),
                     KH_OK);
    assert_false(v.allowed);
    assert_non_null(strstr(s.text, "pss.baseline.privileged "
                                   "spec.containers[0].securityContext.privileged "
                                   "(suppressed)\n"));
    kh_config_free(cfg);
}

static void test_evaluate__bad_input_is_an_error_with_position(void **state)
{
    (void)state;
    static const char bad[] = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"spec\": [}\n";
    kh_config *cfg = config();
    kh_verdict v;
    kh_error err = {0};
    int rc = kh_evaluate(cfg, KH_PSS_BASELINE, NULL, bad, sizeof(bad) - 1, "body", NULL, NULL,
                         &v, &err);
    assert_int_equal(rc, KH_EPARSE);
    assert_false(v.allowed);
    assert_int_equal(v.errors, 1);
    assert_string_equal(err.file, "body");
    assert_int_equal(err.line, 2);
    assert_true(err.message[0] != '\0');

    /* Not an object at all. */
    static const char scalar[] = "42\n";
    memset(&err, 0, sizeof(err));
    rc = kh_evaluate(cfg, KH_PSS_BASELINE, NULL, scalar, sizeof(scalar) - 1, NULL, NULL, NULL,
                     &v, &err);
    assert_int_equal(rc, KH_EPARSE);
    assert_false(v.allowed);
    assert_non_null(strstr(err.message, "not a Kubernetes object"));
    kh_config_free(cfg);
}

static void test_evaluate__bad_level_or_version(void **state)
{
    (void)state;
    kh_config *cfg = config();
    kh_error err = {0};
    assert_int_equal(kh_evaluate(cfg, (kh_pss_level)7, NULL, "{}", 2, NULL, NULL, NULL, NULL,
                                 &err),
                     KH_EUSAGE);
    assert_int_equal(kh_evaluate(cfg, KH_PSS_BASELINE, "1.30", "{}", 2, NULL, NULL, NULL, NULL,
                                 &err),
                     KH_EUSAGE);
    assert_non_null(strstr(err.message, "'1.30'"));
    assert_int_equal(kh_evaluate(NULL, KH_PSS_BASELINE, NULL, "{}", 2, NULL, NULL, NULL, NULL,
                                 &err),
                     KH_EUSAGE);
    kh_config_free(cfg);
}

static void test_evaluate__area_filter(void **state)
{
    (void)state;
    kh_config *cfg = config();
    assert_int_equal(kh_config_only_area(cfg, KH_AREA_IMAGE, NULL), KH_OK);
    kh_verdict v;
    seen s = {.len = 0};
    assert_int_equal(kh_evaluate(cfg, KH_PSS_RESTRICTED, NULL, privileged_pod,
                                 sizeof(privileged_pod) - 1, NULL, record, &s, &v, NULL),
                     KH_OK);
    /* Only image rules ran: the Pod Security rules were filtered out. */
    assert_true(v.allowed);
    assert_null(strstr(s.text, "pss."));
    assert_null(strstr(s.text, "workload."));
    assert_non_null(strstr(s.text, "image.digest-not-pinned"));
    kh_error err = {0};
    kh_config *none = config();
    assert_int_equal(kh_config_only_rule(none, "image.tag-not-pinned", NULL), KH_OK);
    assert_int_equal(kh_config_only_area(none, KH_AREA_RBAC, &err), KH_ENOTFOUND);
    assert_non_null(strstr(err.message, "'rbac'"));
    kh_config_free(none);
    kh_config_free(cfg);
}

/* Many threads, one configuration: every call sees the same findings. */
typedef struct worker {
    const kh_config *cfg;
    int denied, runs;
    char first[8192];
} worker;

static void *work(void *ud)
{
    worker *w = ud;
    for (int i = 0; i < 200; i++) {
        seen s = {.len = 0};
        s.text[0] = '\0';
        kh_verdict v;
        if (kh_evaluate(w->cfg, KH_PSS_RESTRICTED, "latest", privileged_pod,
                        sizeof(privileged_pod) - 1, NULL, record, &s, &v, NULL) != KH_OK)
            return NULL;
        if (i == 0)
            memcpy(w->first, s.text, sizeof(w->first));
        else if (strcmp(w->first, s.text) != 0)
            return NULL;
        w->denied += !v.allowed;
        w->runs++;
    }
    return NULL;
}

static void test_evaluate__threads_share_one_config(void **state)
{
    (void)state;
    kh_config *cfg = config();
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].cfg = cfg;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].runs, 200);
        assert_int_equal(w[i].denied, 200);
        assert_string_equal(w[i].first, w[0].first);
    }
    kh_config_free(cfg);
}

/* The audit watcher hands over a tree it already decoded. */
static void test_evaluate__node_already_in_memory(void **state)
{
    (void)state;
    kh_arena arena;
    kh_arena_init(&arena, 0);
    const kh_node *root = NULL;
    assert_int_equal(kh_doc_load_buffer(&root, &arena, privileged_pod,
                                        sizeof(privileged_pod) - 1, "event", NULL),
                     KH_OK);
    kh_config *cfg = config();
    kh_verdict v;
    seen s = {.len = 0};
    assert_int_equal(kh_evaluate__node(cfg, KH_PSS_BASELINE, NULL, root, "event", record, &s,
                                       &v, NULL),
                     KH_OK);
    assert_false(v.allowed);
    assert_int_equal(v.objects, 1);
    assert_non_null(strstr(s.text, "pss.baseline.privileged "));
    /* No tree: nothing judged, nothing denied. */
    assert_int_equal(kh_evaluate__node(cfg, KH_PSS_BASELINE, NULL, NULL, NULL, NULL, NULL, &v,
                                       NULL),
                     KH_OK);
    assert_true(v.allowed);
    assert_int_equal(v.objects, 0);
    kh_config_free(cfg);
    kh_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluate__privileged_pod_is_denied_at_baseline),
        cmocka_unit_test(test_evaluate__privileged_level_allows_and_still_reports_other_rules),
        cmocka_unit_test(test_evaluate__admission_review_judges_request_object),
        cmocka_unit_test(test_evaluate__suppression_annotation_does_not_allow),
        cmocka_unit_test(test_evaluate__bad_input_is_an_error_with_position),
        cmocka_unit_test(test_evaluate__bad_level_or_version),
        cmocka_unit_test(test_evaluate__area_filter),
        cmocka_unit_test(test_evaluate__threads_share_one_config),
        cmocka_unit_test(test_evaluate__node_already_in_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
