/*
 * test_kubelet.c -- the kubelet's effective settings as the kubelet computes
 * them: legacy flag defaults without --config (anonymous on, AlwaysAllow,
 * read-only port 10255), v1beta1 defaults with it (off, Webhook, 0), the
 * --config-dir drop-ins in name order over the file, flags over both,
 * feature gates merged per gate, relative paths from the file's directory.
 */
#include "node_test.h"

static kh_nd_comp *kubelet(fixture *f, const char *const *argv)
{
    kh_nd_comp *k = comp(f, KH_ND_KUBELET, argv);
    kh_nd__kubelet_load(&f->ctx, k);
    return k;
}

static void want(fixture *f, const kh_nd_comp *k, const char *flag, const char *value,
                 const char *source)
{
    kh_nd_setting s = kh_nd__kubelet(&f->ctx, k, flag);
    if (!value)
        assert_null(s.value);
    else
        assert_string_equal(s.value, value);
    assert_string_equal(s.source, source);
}

static void test_node_kubelet__legacy_flag_defaults_without_config(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kubelet", "--kubeconfig=/etc/kubernetes/kubelet.conf", NULL};
    kh_nd_comp *k = kubelet(f, argv);
    want(f, k, "anonymous-auth", "true", "default");
    want(f, k, "authentication-token-webhook", "false", "default");
    want(f, k, "authorization-mode", "AlwaysAllow", "default");
    want(f, k, "read-only-port", "10255", "default");
    want(f, k, "streaming-connection-idle-timeout", "4h0m0s", "default");
    want(f, k, "client-ca-file", NULL, "default");
    assert_int_equal(f->ctx.nerrors, 0);
    fixture_free(f);
}

static void test_node_kubelet__v1beta1_defaults_with_config(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n");
    const char *argv[] = {"kubelet", "--config=/var/lib/kubelet/config.yaml", NULL};
    kh_nd_comp *k = kubelet(f, argv);
    want(f, k, "anonymous-auth", "false", "default");
    want(f, k, "authentication-token-webhook", "true", "default");
    want(f, k, "authorization-mode", "Webhook", "default");
    want(f, k, "read-only-port", "0", "default");
    kh_nd_setting s = kh_nd__kubelet(&f->ctx, k, "read-only-port");
    assert_string_equal(s.path, "readOnlyPort");
    assert_string_equal(s.file, "/var/lib/kubelet/config.yaml");
    fixture_free(f);
}

static void test_node_kubelet__flag_over_drop_ins_over_file(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/etc/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "readOnlyPort: 10255\nauthentication:\n  anonymous:\n    enabled: yes\n"
        "  x509:\n    clientCAFile: pki/ca.crt\nfeatureGates:\n  A: true\n  B: true\n"
        "eventRecordQPS: 0x10\n");
    put(f, "/etc/kubelet/conf.d/20-b.conf",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "readOnlyPort: 10256\n");
    put(f, "/etc/kubelet/conf.d/10-a.conf",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "readOnlyPort: 0\nauthentication:\n  webhook:\n    enabled: false\n");
    put(f, "/etc/kubelet/conf.d/30-ignored.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 1\n");
    const char *argv[] = {"kubelet", "--config", "/etc/kubelet/config.yaml",
                          "--config-dir=/etc/kubelet/conf.d", "--feature-gates=B=false", NULL};
    kh_nd_comp *k = kubelet(f, argv);
    /* 20-b.conf comes after 10-a.conf; the .yaml is not a drop-in */
    want(f, k, "read-only-port", "10256", "config");
    kh_nd_setting s = kh_nd__kubelet(&f->ctx, k, "read-only-port");
    assert_string_equal(s.file, "/etc/kubelet/conf.d/20-b.conf");
    assert_int_equal(s.line, 3);
    assert_int_equal(s.col, 15);
    /* nested keys merge: the drop-in's webhook does not hide the file's anonymous */
    want(f, k, "anonymous-auth", "true", "config");
    want(f, k, "authentication-token-webhook", "false", "config");
    want(f, k, "client-ca-file", "/etc/kubelet/pki/ca.crt", "config");
    want(f, k, "event-qps", "16", "config");
    want(f, k, "gate:A", "true", "config");
    want(f, k, "gate:B", "false", "flag");
    want(f, k, "gate:C", NULL, "default");

    const char *argv2[] = {"kubelet", "--config=/etc/kubelet/config.yaml", "--read-only-port=0",
                           NULL};
    kh_nd_comp *k2 = kubelet(f, argv2);
    want(f, k2, "read-only-port", "0", "flag");
    fixture_free(f);
}

static void test_node_kubelet__bad_config_is_an_error(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/c.yaml", "kind: Pod\n");
    const char *argv[] = {"kubelet", "--config=/c.yaml", NULL};
    kubelet(f, argv);
    assert_int_equal(f->ctx.nerrors, 1);
    assert_non_null(strstr(f->ctx.errors[0].message, "not a KubeletConfiguration"));
    const char *argv2[] = {"kubelet", "--config=/missing.yaml", NULL};
    kubelet(f, argv2);
    assert_int_equal(f->ctx.nerrors, 2);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_kubelet__legacy_flag_defaults_without_config),
        cmocka_unit_test(test_node_kubelet__v1beta1_defaults_with_config),
        cmocka_unit_test(test_node_kubelet__flag_over_drop_ins_over_file),
        cmocka_unit_test(test_node_kubelet__bad_config_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
