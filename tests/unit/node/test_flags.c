/*
 * test_flags.c -- component command lines read as their flag parsers read
 * them: pflag for Kubernetes components (cliflag.WordSepNormalizeFunc,
 * booleans need '=', a value flag takes the next word whatever it is, list
 * flags accumulate), Go's flag package and ETCD_* variables for etcd.
 */
#include "node_test.h"

static const char *value(fixture *f, const kh_nd_comp *k, const char *name)
{
    kh_nd_flag fl = kh_nd__flag(&f->ctx, k, name);
    return fl.set ? fl.value : NULL;
}

static void test_node_flags__pflag_forms_and_last_wins(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kube-apiserver", "--audit-log-maxage=7", "--etcd-cafile", "/ca.crt",
                          "--audit-log-maxage=30", "stray", NULL};
    kh_nd_comp *k = comp(f, KH_ND_APISERVER, argv);
    assert_string_equal(value(f, k, "audit-log-maxage"), "30");
    assert_string_equal(value(f, k, "etcd-cafile"), "/ca.crt");
    assert_null(value(f, k, "token-auth-file"));
    fixture_free(f);
}

/* `--anonymous-auth false`: pflag's boolean takes no separate word, so the
 * flag is true and "false" is a stray argument. */
static void test_node_flags__bool_needs_equals(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kube-apiserver", "--anonymous-auth", "false", "--profiling", NULL};
    kh_nd_comp *k = comp(f, KH_ND_APISERVER, argv);
    assert_string_equal(value(f, k, "anonymous-auth"), "true");
    assert_string_equal(value(f, k, "profiling"), "true");
    fixture_free(f);
}

/* WordSepNormalizeFunc: --anonymous_auth is --anonymous-auth. */
static void test_node_flags__underscore_is_dash(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kubelet", "--anonymous_auth=false", "--read_only_port", "0", NULL};
    kh_nd_comp *k = comp(f, KH_ND_KUBELET, argv);
    assert_string_equal(value(f, k, "anonymous-auth"), "false");
    assert_string_equal(value(f, k, "read-only-port"), "0");
    fixture_free(f);
}

/* A value flag takes the next word even when it looks like a flag. */
static void test_node_flags__value_flag_swallows_next_word(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kubelet", "--hostname-override", "--rotate-certificates", "-v", "2",
                          "--cert-dir=/x", NULL};
    kh_nd_comp *k = comp(f, KH_ND_KUBELET, argv);
    assert_string_equal(value(f, k, "hostname-override"), "--rotate-certificates");
    assert_null(value(f, k, "rotate-certificates"));
    assert_string_equal(value(f, k, "cert-dir"), "/x");
    fixture_free(f);
}

static void test_node_flags__double_dash_ends_flags(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kube-scheduler", "--profiling=false", "--", "--profiling=true", NULL};
    kh_nd_comp *k = comp(f, KH_ND_SCHEDULER, argv);
    assert_string_equal(value(f, k, "profiling"), "false");
    fixture_free(f);
}

/* StringSlice flags append on every occurrence. */
static void test_node_flags__list_flags_accumulate(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kube-apiserver", "--enable-admission-plugins=NodeRestriction",
                          "--enable-admission-plugins", "AlwaysAdmit,EventRateLimit", NULL};
    kh_nd_comp *k = comp(f, KH_ND_APISERVER, argv);
    const char *v = value(f, k, "enable-admission-plugins");
    assert_string_equal(v, "NodeRestriction,AlwaysAdmit,EventRateLimit");
    assert_true(kh_nd__list_has(v, "AlwaysAdmit"));
    assert_false(kh_nd__list_has(v, "Always"));
    fixture_free(f);
}

/* etcd (Go's flag package): -flag equals --flag, parsing stops at the first
 * non-flag word, ETCD_* fills flags not given (empty counts as unset). */
static void test_node_flags__etcd_go_flags_and_environment(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"etcd", "-cert-file=/s.crt", "--client-cert-auth", "extra",
                          "--auto-tls", NULL};
    kh_nd_comp *k = comp(f, KH_ND_ETCD, argv);
    static const char *env[] = {"ETCD_KEY_FILE=/s.key", "ETCD_CERT_FILE=/env.crt",
                                "ETCD_TRUSTED_CA_FILE=", "ETCD_PEER_AUTO_TLS=true"};
    k->env = env;
    k->nenv = 4;
    k->environ_file = "/proc/42/environ";
    assert_string_equal(value(f, k, "cert-file"), "/s.crt");     /* command line wins */
    assert_string_equal(value(f, k, "client-cert-auth"), "true");
    assert_null(value(f, k, "auto-tls"));                         /* after "extra" */
    assert_string_equal(value(f, k, "key-file"), "/s.key");
    assert_null(value(f, k, "trusted-ca-file"));
    kh_nd_flag fl = kh_nd__flag(&f->ctx, k, "peer-auto-tls");
    assert_string_equal(fl.file, "/proc/42/environ");
    fixture_free(f);
}

/* etcd --config-file replaces flags and environment; TLS keys are nested. */
static void test_node_flags__etcd_config_file_replaces_flags(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/etc/etcd/etcd.conf.yml",
        "name: a\ndata-dir: /var/lib/etcd\nlisten-client-urls: https://127.0.0.1:2379\n"
        "client-transport-security:\n  cert-file: /s.crt\n  client-cert-auth: true\n"
        "peer-transport-security:\n  auto-tls: true\n");
    const char *argv[] = {"etcd", "--config-file=/etc/etcd/etcd.conf.yml", "--key-file=/k", NULL};
    kh_nd_comp *k = comp(f, KH_ND_ETCD, argv);
    static const char *env[] = {"ETCD_TRUSTED_CA_FILE=/ca"};
    k->env = env;
    k->nenv = 1;
    kh_nd__etcd_config(&f->ctx, k);
    assert_string_equal(value(f, k, "cert-file"), "/s.crt");
    assert_string_equal(value(f, k, "client-cert-auth"), "true");
    assert_string_equal(value(f, k, "peer-auto-tls"), "true");
    assert_null(value(f, k, "auto-tls"));
    assert_null(value(f, k, "key-file"));         /* the command line is ignored */
    assert_null(value(f, k, "trusted-ca-file"));  /* and so is the environment */
    kh_nd_flag d = kh_nd__flag(&f->ctx, k, "data-dir");
    assert_string_equal(d.file, "/etc/etcd/etcd.conf.yml");
    assert_int_equal(d.line, 2);

    /* ETCD_CONFIG_FILE names it too */
    const char *argv2[] = {"etcd", "--cert-file=/ignored", NULL};
    kh_nd_comp *k2 = comp(f, KH_ND_ETCD, argv2);
    static const char *env2[] = {"ETCD_CONFIG_FILE=/etc/etcd/etcd.conf.yml"};
    k2->env = env2;
    k2->nenv = 1;
    kh_nd__etcd_config(&f->ctx, k2);
    assert_string_equal(value(f, k2, "cert-file"), "/s.crt");
    fixture_free(f);
}

/* Manifest positions are reported when the process runs what it says. */
static void test_node_flags__manifest_position_when_values_agree(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    const char *argv[] = {"kube-apiserver", "--profiling=false", "--secure-port=6443", NULL};
    kh_nd_comp *k = comp(f, KH_ND_APISERVER, argv);
    static kh_nd_word m[] = {{"kube-apiserver", "/m.yaml", 10, 7},
                             {"--profiling=false", "/m.yaml", 11, 7},
                             {"--secure-port=443", "/m.yaml", 12, 7}};
    k->manifest = "/m.yaml";
    k->margv = m;
    k->margc = 3;
    kh_nd_flag p = kh_nd__flag(&f->ctx, k, "profiling");
    assert_string_equal(p.file, "/m.yaml");
    assert_int_equal(p.line, 11);
    kh_nd_flag s = kh_nd__flag(&f->ctx, k, "secure-port");  /* differs: the process */
    assert_string_equal(s.value, "6443");
    assert_string_equal(s.file, "/proc/42/cmdline");
    fixture_free(f);
}

static void test_node_flags__parse_bool_and_gates(void **state)
{
    (void)state;
    assert_int_equal(kh_nd__parse_bool("T"), 1);
    assert_int_equal(kh_nd__parse_bool("0"), 0);
    assert_int_equal(kh_nd__parse_bool("FALSE"), 0);
    assert_int_equal(kh_nd__parse_bool("yes"), -1);
    assert_int_equal(kh_nd__gate("A=true, RotateKubeletServerCertificate = false", "RotateKubeletServerCertificate"), 0);
    assert_int_equal(kh_nd__gate("X=false,X=true", "X"), 1);
    assert_int_equal(kh_nd__gate("XY=false", "X"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_flags__pflag_forms_and_last_wins),
        cmocka_unit_test(test_node_flags__bool_needs_equals),
        cmocka_unit_test(test_node_flags__underscore_is_dash),
        cmocka_unit_test(test_node_flags__value_flag_swallows_next_word),
        cmocka_unit_test(test_node_flags__double_dash_ends_flags),
        cmocka_unit_test(test_node_flags__list_flags_accumulate),
        cmocka_unit_test(test_node_flags__etcd_go_flags_and_environment),
        cmocka_unit_test(test_node_flags__etcd_config_file_replaces_flags),
        cmocka_unit_test(test_node_flags__manifest_position_when_values_agree),
        cmocka_unit_test(test_node_flags__parse_bool_and_gates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
