/*
 * test_kubeconfig.c -- kubeconfig loading and merging, one test per rule of
 * client-go's ClientConfigLoadingRules.Load (tools/clientcmd/loader.go) and
 * of the context resolution that follows it, plus in-cluster configuration
 * and base64 *-data fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/internal.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/kh-kc-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    mkdir(sub, 0700);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write @p text to dir/name; returns the path (static buffer rotation). */
static const char *put(const char *name, const char *text)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *path_of(const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

#define CLUSTER(name, server) \
    "- name: " name "\n  cluster: {server: '" server "'}\n"

static void test_client_kubeconfig__explicit_file_is_read_alone(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "current-context: a\ncontexts:\n- {name: a, context: {cluster: ca}}\n"
                                  "clusters:\n" CLUSTER("ca", "https://a:6443"));
    const char *b = put("b.yaml", "current-context: b\ncontexts:\n- {name: b, context: {cluster: cb}}\n"
                                  "clusters:\n" CLUSTER("cb", "https://b:6443"));
    char env[600];
    snprintf(env, sizeof(env), "%s:%s", b, a);
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, env, NULL, &err), 0);
    assert_int_equal(kc.files, 1);
    assert_string_equal(kc.current_context, "a");
    assert_null(kh_kubeconfig__find(&kc.clusters, "cb"));
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__explicit_file_that_does_not_exist_is_an_error(void **state)
{
    (void)state;
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, path_of("nope.yaml"), NULL, NULL, &err),
                     KH_ECONFIG);
    assert_non_null(strstr(err.message, "does not exist"));
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__missing_and_empty_kubeconfig_entries_are_skipped(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "clusters:\n" CLUSTER("x", "https://x"));
    char env[600];
    snprintf(env, sizeof(env), "::%s:%s:", path_of("missing.yaml"), a);
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, env, NULL, &err), 0);
    assert_int_equal(kc.files, 1);
    assert_non_null(kh_kubeconfig__find(&kc.clusters, "x"));
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__a_file_named_twice_is_read_once(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "clusters:\n" CLUSTER("x", "https://x"));
    char env[600];
    snprintf(env, sizeof(env), "%s:%s", a, a);
    kh_kubeconfig kc;
    kh_error err = {0};
    /* Read twice, the second read would be a duplicate name in the merge:
     * deduplication is what makes this legal. */
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, env, NULL, &err), 0);
    assert_int_equal(kc.files, 1);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__first_file_to_define_a_name_wins_whole(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "clusters:\n- name: c\n  cluster: {server: 'https://first'}\n");
    const char *b = put("b.yaml", "clusters:\n- name: c\n  cluster: {server: 'https://second', "
                                  "tls-server-name: other}\n"
                                  "current-context: ctx\ncontexts:\n- {name: ctx, context: {cluster: c}}\n");
    char env[600];
    snprintf(env, sizeof(env), "%s:%s", a, b);
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, env, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    assert_string_equal(rc.server, "https://first");
    /* Not even non-conflicting fields of the second definition survive. */
    assert_null(rc.tls_server_name);
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__current_context_from_the_first_file_that_sets_it(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "current-context: ''\n");
    const char *b = put("b.yaml", "current-context: second\n");
    const char *c = put("c.yaml", "current-context: third\n");
    char env[900];
    snprintf(env, sizeof(env), "%s:%s:%s", a, b, c);
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, env, NULL, &err), 0);
    assert_string_equal(kc.current_context, "second");
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__maps_merge_across_files(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "current-context: m\ncontexts:\n- {name: m, context: "
                                  "{cluster: c, user: u, namespace: shop}}\n");
    const char *b = put("sub/b.yaml", "clusters:\n" CLUSTER("c", "https://c:6443/")
                                      "users:\n- {name: u, user: {token: abc}}\n");
    char env[600];
    snprintf(env, sizeof(env), "%s:%s", a, b);
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, env, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    assert_string_equal(rc.server, "https://c:6443");   /* trailing slash dropped */
    assert_string_equal(rc.token, "abc");
    assert_string_equal(rc.namespace_, "shop");
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__relative_paths_resolve_against_the_naming_file(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "current-context: m\ncontexts:\n- {name: m, context: "
                                  "{cluster: c, user: u}}\n");
    const char *b = put("sub/b.yaml",
                        "clusters:\n- name: c\n  cluster: {server: 'https://c', "
                        "certificate-authority: pki/../ca.crt}\n"
                        "users:\n- name: u\n  user: {client-certificate: u.crt, client-key: "
                        "/abs/u.key, tokenFile: ./t}\n");
    char env[600];
    snprintf(env, sizeof(env), "%s:%s", a, b);
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, env, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    char want[300];
    snprintf(want, sizeof(want), "%s/sub/ca.crt", dir);
    assert_string_equal(rc.ca_file, want);
    snprintf(want, sizeof(want), "%s/sub/u.crt", dir);
    assert_string_equal(rc.cert_file, want);
    assert_string_equal(rc.key_file, "/abs/u.key");     /* absolute paths stay */
    snprintf(want, sizeof(want), "%s/sub/t", dir);
    assert_string_equal(rc.token_file, want);
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__exec_command_resolves_only_with_a_slash(void **state)
{
    (void)state;
    const char *base = "current-context: m\ncontexts:\n- {name: m, context: {cluster: c, user: u}}\n"
                       "clusters:\n" CLUSTER("c", "https://c");
    char text[1024];
    snprintf(text, sizeof(text), "%susers:\n- name: u\n  user:\n    exec: {apiVersion: "
             "client.authentication.k8s.io/v1, command: aws, interactiveMode: Never}\n", base);
    const char *a = put("sub/exec1.yaml", text);
    snprintf(text, sizeof(text), "%susers:\n- name: u\n  user:\n    exec: {apiVersion: "
             "client.authentication.k8s.io/v1, command: bin/plugin, interactiveMode: Never, "
             "args: [a, b], env: [{name: K, value: V}]}\n", base);
    const char *b = put("sub/exec2.yaml", text);
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, NULL, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    assert_string_equal(rc.exec->command, "aws");       /* found in PATH when it runs */
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
    assert_int_equal(kh_kubeconfig__load(&kc, b, NULL, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    char want[300];
    snprintf(want, sizeof(want), "%s/sub/bin/plugin", dir);
    assert_string_equal(rc.exec->command, want);
    assert_int_equal(rc.exec->nargs, 2);
    assert_int_equal(rc.exec->nenv, 1);
    assert_string_equal(rc.exec->env[1], "V");
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__context_override_and_unknown_names(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "current-context: one\ncontexts:\n"
                                  "- {name: one, context: {cluster: c}}\n"
                                  "- {name: two, context: {cluster: c, namespace: ops}}\n"
                                  "- {name: three, context: {cluster: gone}}\n"
                                  "- {name: four, context: {cluster: c, user: nobody}}\n"
                                  "clusters:\n" CLUSTER("c", "c.example:6443"));
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, NULL, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, "two", &rc, &err), 0);
    assert_string_equal(rc.namespace_, "ops");
    assert_string_equal(rc.server, "https://c.example:6443");   /* no scheme: https */
    kh_rest_config__free(&rc);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    assert_string_equal(rc.namespace_, "default");
    kh_rest_config__free(&rc);
    assert_int_equal(kh_kubeconfig__resolve(&kc, "nope", &rc, &err), KH_ECONFIG);
    assert_string_equal(err.message, "context 'nope' was not found in the kubeconfig");
    kh_rest_config__free(&rc);
    assert_int_equal(kh_kubeconfig__resolve(&kc, "three", &rc, &err), KH_ECONFIG);
    assert_non_null(strstr(err.message, "cluster 'gone'"));
    kh_rest_config__free(&rc);
    assert_int_equal(kh_kubeconfig__resolve(&kc, "four", &rc, &err), KH_ECONFIG);
    assert_string_equal(err.message, "user 'nobody' was not found for context 'four'");
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__a_name_twice_in_one_file_is_an_error(void **state)
{
    (void)state;
    const char *a = put("a.yaml", "clusters:\n" CLUSTER("c", "https://1") CLUSTER("c", "https://2"));
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, NULL, NULL, &err), KH_ECONFIG);
    assert_string_equal(err.message, "duplicate name 'c' in 'clusters'");
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__an_empty_file_is_an_empty_config(void **state)
{
    (void)state;
    const char *a = put("empty.yaml", "");
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, NULL, NULL, &err), 0);
    assert_int_equal(kc.clusters.n, 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), KH_ECONFIG);
    assert_non_null(strstr(err.message, "no current-context"));
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__home_file_only_without_kubeconfig(void **state)
{
    (void)state;
    const char *home = put("home.yaml", "current-context: h\n");
    const char *a = put("a.yaml", "current-context: a\n");
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, NULL, home, &err), 0);
    assert_string_equal(kc.current_context, "h");
    kh_kubeconfig__free(&kc);
    assert_int_equal(kh_kubeconfig__load(&kc, NULL, a, home, &err), 0);
    assert_string_equal(kc.current_context, "a");
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__data_fields_are_base64_and_insecure_refuses_a_ca(void **state)
{
    (void)state;
    /* "PEM" and "KEY" in base64; CA data with a wrapped line. */
    const char *a = put("a.yaml",
                        "current-context: m\ncontexts:\n- {name: m, context: {cluster: c, user: u}}\n"
                        "- {name: bad, context: {cluster: i}}\n"
                        "clusters:\n- name: c\n  cluster: {server: 'https://c', "
                        "certificate-authority-data: \"Q0E\\nt\"}\n"
                        "- name: i\n  cluster: {server: 'https://i', insecure-skip-tls-verify: true, "
                        "certificate-authority: /ca.crt}\n"
                        "users:\n- name: u\n  user: {client-certificate-data: UEVN, "
                        "client-key-data: S0VZ}\n");
    kh_kubeconfig kc;
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, NULL, NULL, &err), 0);
    assert_int_equal(kh_kubeconfig__resolve(&kc, NULL, &rc, &err), 0);
    assert_string_equal(rc.cert_data, "PEM");
    assert_string_equal(rc.key_data, "KEY");
    assert_string_equal(rc.ca_data, "CA-");
    kh_rest_config__free(&rc);
    assert_int_equal(kh_kubeconfig__resolve(&kc, "bad", &rc, &err), KH_ECONFIG);
    assert_non_null(strstr(err.message, "insecure flag is not allowed"));
    kh_rest_config__free(&rc);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__in_cluster_uses_the_service_account(void **state)
{
    (void)state;
    put("token", "tok\n");
    put("namespace", "audit");
    kh_rest_config rc;
    kh_error err = {0};
    assert_int_equal(kh_rest_config__in_cluster(&rc, dir, "fd00::1", "443", &err), 0);
    assert_string_equal(rc.server, "https://[fd00::1]:443");
    assert_string_equal(rc.namespace_, "audit");
    char want[300];
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    assert_string_equal(rc.ca_file, want);
    kh_rest_config__free(&rc);
}

static void test_client_kubeconfig__a_file_that_does_not_parse_names_its_place(void **state)
{
    (void)state;
    const char *a = put("bad.yaml", "clusters:\n- name: c\n  cluster: {server: [\n");
    const char *b = put("list.yaml", "clusters: {c: x}\n");
    kh_kubeconfig kc;
    kh_error err = {0};
    assert_int_equal(kh_kubeconfig__load(&kc, a, NULL, NULL, &err), KH_ECONFIG);
    assert_string_equal(err.file, a);
    assert_true(err.line > 0);
    kh_kubeconfig__free(&kc);
    assert_int_equal(kh_kubeconfig__load(&kc, b, NULL, NULL, &err), KH_ECONFIG);
    assert_string_equal(err.message, "'clusters' must be a list");
    assert_int_equal(err.line, 1);
    kh_kubeconfig__free(&kc);
}

static void test_client_kubeconfig__base64_needs_padding(void **state)
{
    (void)state;
    kh_arena a;
    kh_arena_init(&a, 0);
    const char *out;
    size_t len;
    assert_int_equal(kh_base64__decode(&a, "aGk=", &out, &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_not_equal(kh_base64__decode(&a, "aGk", &out, &len), 0);
    assert_int_not_equal(kh_base64__decode(&a, "a*k=", &out, &len), 0);
    kh_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_kubeconfig__explicit_file_is_read_alone),
        cmocka_unit_test(test_client_kubeconfig__explicit_file_that_does_not_exist_is_an_error),
        cmocka_unit_test(test_client_kubeconfig__missing_and_empty_kubeconfig_entries_are_skipped),
        cmocka_unit_test(test_client_kubeconfig__a_file_named_twice_is_read_once),
        cmocka_unit_test(test_client_kubeconfig__first_file_to_define_a_name_wins_whole),
        cmocka_unit_test(test_client_kubeconfig__current_context_from_the_first_file_that_sets_it),
        cmocka_unit_test(test_client_kubeconfig__maps_merge_across_files),
        cmocka_unit_test(test_client_kubeconfig__relative_paths_resolve_against_the_naming_file),
        cmocka_unit_test(test_client_kubeconfig__exec_command_resolves_only_with_a_slash),
        cmocka_unit_test(test_client_kubeconfig__context_override_and_unknown_names),
        cmocka_unit_test(test_client_kubeconfig__a_name_twice_in_one_file_is_an_error),
        cmocka_unit_test(test_client_kubeconfig__an_empty_file_is_an_empty_config),
        cmocka_unit_test(test_client_kubeconfig__home_file_only_without_kubeconfig),
        cmocka_unit_test(test_client_kubeconfig__data_fields_are_base64_and_insecure_refuses_a_ca),
        cmocka_unit_test(test_client_kubeconfig__in_cluster_uses_the_service_account),
        cmocka_unit_test(test_client_kubeconfig__a_file_that_does_not_parse_names_its_place),
        cmocka_unit_test(test_client_kubeconfig__base64_needs_padding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
