/*
 * test_podview.c -- kh_podview_build and kh_podview_images: every kind of
 * container in start order with its securityContext, which image values
 * name an image, parsed references and parse errors, objects without a pod.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "k8s/imageref.h"
#include "k8s/k8s.h"
#include "nodes.h"

static kh_object load_object(const char *yaml)
{
    kh_object obj;
    kh_error err = {0};
    if (kh_object_from_node(&obj, yaml_load(yaml), "t.yaml", NULL, t_arena(), &err) != 0)
        fail_msg("kh_object_from_node: %s", err.message);
    return obj;
}

static int teardown(void **state)
{
    (void)state;
    t_arena_free();
    return 0;
}

static void test_k8s_podview__containers_in_start_order(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: apps/v1\n"
                              "kind: Deployment\n"
                              "metadata: {name: web}\n"
                              "spec:\n"
                              "  template:\n"
                              "    spec:\n"
                              "      securityContext: {runAsNonRoot: true}\n"
                              "      ephemeralContainers:\n"
                              "      - {name: debug, image: busybox}\n"
                              "      containers:\n"
                              "      - {name: app, image: nginx, securityContext: {privileged: true}}\n"
                              "      - not-a-mapping\n"
                              "      - {name: side}\n"
                              "      initContainers:\n"
                              "      - {name: init, image: alpine:3}\n");
    kh_podview v;
    assert_int_equal(kh_podview_build(&v, &o, t_arena()), KH_OK);
    assert_ptr_equal(v.obj, &o);
    assert_non_null(v.ps.spec);
    assert_string_equal(v.ps.path, "spec.template.spec");
    assert_non_null(kh_node_get(v.psc, "runAsNonRoot"));
    /* init, then regular (the scalar item skipped), then ephemeral */
    assert_int_equal(v.n, 4);
    assert_string_equal(v.c[0].name, "init");
    assert_int_equal(v.c[0].kind, KH_CONTAINER_INIT);
    assert_string_equal(v.c[1].name, "app");
    assert_int_equal(v.c[1].index, 0);
    assert_string_equal(v.c[2].name, "side");
    assert_int_equal(v.c[2].index, 2); /* the index in its list, gap kept */
    assert_string_equal(v.c[2].list, "containers");
    assert_string_equal(v.c[3].name, "debug");
    assert_int_equal(v.c[3].kind, KH_CONTAINER_EPHEMERAL);
    assert_null(v.sc[0]);
    assert_true(kh_node_is_true(kh_node_get(v.sc[1], "privileged")));
    /* images are found at once, parsed only on request */
    assert_string_equal(v.image[1].text, "nginx");
    assert_non_null(v.image[1].key);
    assert_string_equal(v.image[1].key->u.text, "image");
    assert_null(v.image[2].text);
    assert_null(v.image[1].ref);
    assert_false(v.images_parsed);
}

static void test_k8s_podview__images_parsed_once(void **state)
{
    (void)state;
    kh_object o = load_object("apiVersion: v1\n"
                              "kind: Pod\n"
                              "metadata: {name: p}\n"
                              "spec:\n"
                              "  containers:\n"
                              "  - {name: a, image: 'registry:5000/app'}\n"
                              "  - {name: b, image: 'Bad Image'}\n"
                              "  - {name: c, image: ''}\n"
                              "  - {name: d, image: 42}\n"
                              "  - {name: e, image: [x]}\n"
                              "  - {name: f, image: ~}\n");
    kh_podview v;
    assert_int_equal(kh_podview_build(&v, &o, t_arena()), KH_OK);
    assert_int_equal(v.n, 6);
    assert_int_equal(kh_podview_images(&v, t_arena()), KH_OK);
    assert_true(v.images_parsed);
    /* a registry port is not a tag */
    assert_non_null(v.image[0].ref);
    assert_string_equal(v.image[0].ref->name, "registry:5000/app");
    assert_null(v.image[0].ref->tag);
    assert_null(v.image[0].why);
    /* an invalid reference keeps its text and says why */
    assert_string_equal(v.image[1].text, "Bad Image");
    assert_null(v.image[1].ref);
    assert_non_null(v.image[1].why);
    /* empty, a sequence and null name no image; an int is its text */
    assert_null(v.image[2].text);
    assert_string_equal(v.image[3].text, "42");
    assert_non_null(v.image[3].ref);
    assert_null(v.image[4].text);
    assert_null(v.image[5].text);
    const kh_imageref *first = v.image[0].ref;
    assert_int_equal(kh_podview_images(&v, t_arena()), KH_OK);
    assert_ptr_equal(v.image[0].ref, first);
}

static void test_k8s_podview__no_pod_spec(void **state)
{
    (void)state;
    kh_object svc = load_object("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
                                "spec: {type: ClusterIP}\n");
    kh_podview v;
    assert_int_equal(kh_podview_build(&v, &svc, t_arena()), KH_OK);
    assert_null(v.ps.spec);
    assert_int_equal(v.n, 0);
    /* a Pod whose spec is not a mapping has none either */
    kh_object pod = load_object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: []\n");
    assert_int_equal(kh_podview_build(&v, &pod, t_arena()), KH_OK);
    assert_null(v.ps.spec);
    /* nor containers when the lists are missing */
    kh_object empty = load_object("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n");
    assert_int_equal(kh_podview_build(&v, &empty, t_arena()), KH_OK);
    assert_non_null(v.ps.spec);
    assert_int_equal(v.n, 0);
    assert_int_equal(kh_podview_images(&v, t_arena()), KH_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_k8s_podview__containers_in_start_order, teardown),
        cmocka_unit_test_teardown(test_k8s_podview__images_parsed_once, teardown),
        cmocka_unit_test_teardown(test_k8s_podview__no_pod_spec, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
