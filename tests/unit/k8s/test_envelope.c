/*
 * test_envelope.c -- the envelope table: which documents carry objects, and
 * which objects, paths, default kinds and roles each envelope yields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "k8s/k8s.h"
#include "nodes.h"

/* Items as "role prefix kind apiVersion" lines, kinds read as the scanner
 * reads them (kh_object_from_item), or "error: message" for an item that
 * is no object. */
typedef struct seen {
    char text[2048];
    size_t len;
} seen;

static int record(const kh_envelope_item *item, void *ud)
{
    seen *s = ud;
    kh_object obj;
    kh_error err = {0};
    int rc = kh_object_from_item(&obj, item->node, "t.yaml", item->path_prefix,
                                 item->api_version, item->kind, t_arena(), &err);
    int n = rc ? snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s [%s] error: %s\n",
                          item->role == KH_ENVELOPE_OLD ? "old" : "cur", item->path_prefix,
                          err.message)
               : snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s [%s] %s %s %s\n",
                          item->role == KH_ENVELOPE_OLD ? "old" : "cur", item->path_prefix,
                          obj.kind, obj.api_version, obj.name);
    s->len += (size_t)n;
    return 0;
}

static void expect_items(const char *yaml, int want_rc, const char *want)
{
    seen s = {.len = 0};
    s.text[0] = '\0';
    kh_error err = {0};
    int rc = kh_envelope_unwrap(yaml_load(yaml), "t.yaml", t_arena(), record, &s, &err);
    assert_int_equal(rc, want_rc);
    assert_string_equal(s.text, want);
}

static int teardown(void **state)
{
    (void)state;
    t_arena_free();
    return 0;
}

static void test_k8s_envelope__names(void **state)
{
    (void)state;
    assert_string_equal(kh_envelope_name(yaml_load("apiVersion: v1\nkind: List\n")), "List");
    assert_string_equal(kh_envelope_name(yaml_load("kind: PodList\nitems: ~\n")), "List");
    assert_string_equal(kh_envelope_name(yaml_load("kind: List\nitems: {a: b}\n")), "List");
    assert_string_equal(
        kh_envelope_name(yaml_load("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\n")),
        "AdmissionReview");
    assert_string_equal(
        kh_envelope_name(yaml_load("apiVersion: audit.k8s.io/v1\nkind: Event\n")),
        "audit Event");
    assert_string_equal(
        kh_envelope_name(yaml_load("apiVersion: audit.k8s.io/v1\nkind: EventList\nitems: []\n")),
        "audit EventList");
    /* A core Event is an object, not an audit event. */
    assert_null(kh_envelope_name(yaml_load("apiVersion: v1\nkind: Event\n")));
    assert_null(kh_envelope_name(yaml_load("apiVersion: events.k8s.io/v1\nkind: Event\n")));
    /* A custom kind ending in List without items is an object of its own. */
    assert_null(kh_envelope_name(yaml_load("apiVersion: example.com/v1\nkind: AllowList\n")));
    assert_null(kh_envelope_name(yaml_load("kind: Pod\nitems: []\n")));
    assert_null(kh_envelope_name(yaml_load("kind: Listing\nitems: []\n")));
    assert_null(kh_envelope_name(yaml_load("kind: 'list'\nitems: []\n")));
    assert_null(kh_envelope_name(yaml_load("items: []\n")));
    assert_null(kh_envelope_name(yaml_load("- kind: List\n")));
    assert_null(kh_envelope_name(NULL));
}

static void test_k8s_envelope__plain_object_is_its_own_item(void **state)
{
    (void)state;
    expect_items("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", 0, "cur [] Pod v1 p\n");
}

static void test_k8s_envelope__list_items_keep_their_kind(void **state)
{
    (void)state;
    expect_items("apiVersion: v1\nkind: List\nitems:\n"
                 "- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n"
                 "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: b}}\n",
                 0,
                 "cur [items[0].] Pod v1 a\n"
                 "cur [items[1].] Deployment apps/v1 b\n");
}

static void test_k8s_envelope__kind_list_items_need_a_kind(void **state)
{
    (void)state;
    /* `kind: List` has no default: an item without kind is not an object. */
    expect_items("apiVersion: v1\nkind: List\nitems:\n- {metadata: {name: a}}\n", 0,
                 "cur [items[0].] error: document is not a Kubernetes object: missing 'kind'\n");
}

static void test_k8s_envelope__api_list_items_take_the_list_kind(void **state)
{
    (void)state;
    /* What the API server returns for GET /api/v1/pods: items carry no kind. */
    expect_items("{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"metadata\": "
                 "{\"resourceVersion\": \"1\"}, \"items\": [{\"metadata\": {\"name\": \"a\"}}, "
                 "{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"b\"}}]}",
                 0,
                 "cur [items[0].] Pod v1 a\n"
                 "cur [items[1].] Pod v1 b\n");
    expect_items("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBindingList\n"
                 "items:\n- metadata: {name: x}\n",
                 0, "cur [items[0].] ClusterRoleBinding rbac.authorization.k8s.io/v1 x\n");
}

static void test_k8s_envelope__items_mapping_is_an_error(void **state)
{
    (void)state;
    /* Scanning it as "no findings" would hide its objects. */
    expect_items("apiVersion: v1\nkind: List\nitems: {a: {kind: Pod}}\n", KH_EINVALID, "");
    expect_items("apiVersion: v1\nkind: PodList\nitems: x\n", KH_EINVALID, "");
    expect_items("apiVersion: v1\nkind: List\nitems: ~\n", 0, "");
    expect_items("apiVersion: v1\nkind: List\n", 0, "");
}

static void test_k8s_envelope__admission_review(void **state)
{
    (void)state;
    expect_items("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n"
                 "  uid: 1\n  operation: UPDATE\n"
                 "  object: {apiVersion: v1, kind: Pod, metadata: {name: new}}\n"
                 "  oldObject: {apiVersion: v1, kind: Pod, metadata: {name: old}}\n",
                 0,
                 "cur [request.object.] Pod v1 new\n"
                 "old [request.oldObject.] Pod v1 old\n");
    /* v1beta1, as older API servers send; DELETE has no object. */
    expect_items("apiVersion: admission.k8s.io/v1beta1\nkind: AdmissionReview\nrequest:\n"
                 "  operation: DELETE\n  object: null\n"
                 "  oldObject: {apiVersion: v1, kind: Pod, metadata: {name: gone}}\n",
                 0, "old [request.oldObject.] Pod v1 gone\n");
    /* A response carries no object. */
    expect_items("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\n"
                 "response: {uid: 1, allowed: true}\n", 0, "");
    expect_items("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: [1]\n",
                 KH_EINVALID, "");
}

static void test_k8s_envelope__audit_events(void **state)
{
    (void)state;
    expect_items("apiVersion: audit.k8s.io/v1\nkind: Event\nverb: create\n"
                 "requestObject: {apiVersion: v1, kind: Pod, metadata: {name: req}}\n"
                 "responseObject: {apiVersion: v1, kind: Pod, metadata: {name: resp}}\n",
                 0,
                 "cur [requestObject.] Pod v1 req\n"
                 "cur [responseObject.] Pod v1 resp\n");
    /* A patch body has no kind: no object to check. */
    expect_items("apiVersion: audit.k8s.io/v1\nkind: Event\nverb: patch\n"
                 "requestObject: {spec: {replicas: 3}}\n", 0, "");
    expect_items("apiVersion: audit.k8s.io/v1\nkind: EventList\nitems:\n"
                 "- {kind: Event, requestObject: {apiVersion: v1, kind: Pod, metadata: {name: a}}}\n"
                 "- {kind: Event, verb: get}\n"
                 "- {kind: Event, responseObject: {apiVersion: v1, kind: Secret, metadata: {name: s}}}\n",
                 0,
                 "cur [items[0].requestObject.] Pod v1 a\n"
                 "cur [items[2].responseObject.] Secret v1 s\n");
}

static void test_k8s_envelope__nested(void **state)
{
    (void)state;
    expect_items("apiVersion: v1\nkind: List\nitems:\n"
                 "- apiVersion: admission.k8s.io/v1\n  kind: AdmissionReview\n"
                 "  request: {object: {apiVersion: v1, kind: Pod, metadata: {name: p}}}\n",
                 0, "cur [items[0].request.object.] Pod v1 p\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_k8s_envelope__names, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__plain_object_is_its_own_item, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__list_items_keep_their_kind, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__kind_list_items_need_a_kind, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__api_list_items_take_the_list_kind,
                                  teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__items_mapping_is_an_error, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__admission_review, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__audit_events, teardown),
        cmocka_unit_test_teardown(test_k8s_envelope__nested, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
