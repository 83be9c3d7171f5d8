/*
 * test_imageref.c -- the image reference parser against the cases of
 * distribution/reference (normalisation, registry hosts and ports,
 * digests, invalid names) and the allow-list prefix match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kubeharden.h"
#include "k8s/imageref.h"

#define SHA "6af79ae5de407283dcea8b00d5c37ace95441fd58a8b1d2aa1ed93f5511bb18c"

static kh_arena arena;

static int setup(void **state)
{
    (void)state;
    kh_arena_init(&arena, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kh_arena_free(&arena);
    return 0;
}

/* Parse @p ref and check every part (NULL = absent). */
static void expect_ref(const char *ref, const char *domain, const char *path,
                       const char *tag, const char *digest)
{
    kh_imageref r;
    const char *why = NULL;
    int rc = kh_imageref_parse(&r, ref, &arena, &why);
    if (rc != KH_OK)
        fail_msg("'%s' should parse, got: %s", ref, why);
    assert_string_equal(r.domain, domain);
    assert_string_equal(r.path, path);
    char name[600];
    snprintf(name, sizeof(name), "%s/%s", domain, path);
    assert_string_equal(r.name, name);
    if (tag)
        assert_string_equal(r.tag, tag);
    else
        assert_null(r.tag);
    if (digest)
        assert_string_equal(r.digest, digest);
    else
        assert_null(r.digest);
}

static void expect_invalid(const char *ref, const char *why_expected)
{
    kh_imageref r;
    const char *why = NULL;
    if (kh_imageref_parse(&r, ref, &arena, &why) != KH_EINVALID)
        fail_msg("'%s' should be invalid", ref);
    assert_non_null(why);
    if (why_expected)
        assert_string_equal(why, why_expected);
}

static void test_k8s_imageref__docker_hub_normalisation(void **state)
{
    (void)state;
    expect_ref("nginx", "docker.io", "library/nginx", NULL, NULL);
    expect_ref("nginx:1.27", "docker.io", "library/nginx", "1.27", NULL);
    expect_ref("docker.io/nginx", "docker.io", "library/nginx", NULL, NULL);
    expect_ref("index.docker.io/nginx:1", "docker.io", "library/nginx", "1", NULL);
    expect_ref("docker.io/library/nginx", "docker.io", "library/nginx", NULL, NULL);
    expect_ref("library/nginx", "docker.io", "library/nginx", NULL, NULL);
    expect_ref("bitnami/redis:7", "docker.io", "bitnami/redis", "7", NULL);
    expect_ref("docker.io/library/foo/bar", "docker.io", "library/foo/bar", NULL, NULL);
    expect_ref("test_com/foo", "docker.io", "test_com/foo", NULL, NULL);
    expect_ref("192.168.0.1", "docker.io", "library/192.168.0.1", NULL, NULL);
    /* A bare host:port is a Docker Hub name with a tag, as upstream. */
    expect_ref("localhost:5000", "docker.io", "library/localhost", "5000", NULL);
    expect_ref("docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
               "docker.io",
               "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", NULL,
               NULL);
}

static void test_k8s_imageref__registry_hosts_and_ports(void **state)
{
    (void)state;
    expect_ref("registry.example:5000/team/app", "registry.example:5000", "team/app", NULL,
               NULL);
    expect_ref("registry.example:5000/team/app:2.1", "registry.example:5000", "team/app",
               "2.1", NULL);
    expect_ref("localhost/app", "localhost", "app", NULL, NULL);
    expect_ref("localhost:5000/app:dev", "localhost:5000", "app", "dev", NULL);
    expect_ref("127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", NULL, NULL);
    expect_ref("[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", NULL, NULL);
    expect_ref("test-com:8080/foo", "test-com:8080", "foo", NULL, NULL);
    expect_ref("xn--n3h.com/foo", "xn--n3h.com", "foo", NULL, NULL);
    /* An upper-case first component is a registry, never a Hub namespace. */
    expect_ref("Foo/bar", "Foo", "bar", NULL, NULL);
    expect_ref("ghcr.io/acme/app:v1.2.3", "ghcr.io", "acme/app", "v1.2.3", NULL);
}

static void test_k8s_imageref__digests(void **state)
{
    (void)state;
    expect_ref("nginx@sha256:" SHA, "docker.io", "library/nginx", NULL, "sha256:" SHA);
    expect_ref("nginx:latest@sha256:" SHA, "docker.io", "library/nginx", "latest",
               "sha256:" SHA);
    expect_ref("registry.example:5000/app:1@sha256:" SHA, "registry.example:5000", "app", "1",
               "sha256:" SHA);
    expect_invalid("nginx@sha256:" SHA "0", "digest has the wrong length for its algorithm");
    expect_invalid("nginx@sha256:6AF79AE5DE407283DCEA8B00D5C37ACE95441FD58A8B1D2AA1ED93F5511BB18C",
                   "digest must be lower-case hexadecimal");
    expect_invalid("nginx@md5:0123456789abcdef0123456789abcdef",
                   "unsupported digest algorithm (use sha256, sha384 or sha512)");
    expect_invalid("nginx@sha256:abc", "invalid digest");
    expect_invalid("nginx@" SHA, "invalid digest");
    assert_true(kh_imageref_digest_valid("sha256:" SHA));
    assert_false(kh_imageref_digest_valid("sha256:" SHA "00"));
    assert_false(kh_imageref_digest_valid(NULL));
}

static void test_k8s_imageref__invalid_references(void **state)
{
    (void)state;
    expect_invalid("", "empty image reference");
    expect_invalid("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", NULL);
    expect_invalid("Nginx", "repository name must be lowercase");
    expect_invalid("docker/Docker", "repository name must be lowercase");
    expect_invalid("registry.example/Team/app", "repository name must be lowercase");
    expect_invalid("https://github.com/docker/docker", "invalid registry host");
    expect_invalid("-docker", "invalid repository path");
    expect_invalid("-docker.io/docker/docker", "invalid registry host");
    expect_invalid("docker///docker", "invalid repository path");
    expect_invalid("docker/", "invalid repository path");
    /* A '.' makes the first component a registry host, and these are not. */
    expect_invalid("dock..er/docker", "invalid registry host");
    expect_invalid("dock_.er/docker", "invalid registry host");
    expect_invalid("dock..er", "invalid repository path");
    expect_invalid("____/____", "invalid repository path");
    expect_invalid("docker-/docker", "invalid repository path");
    expect_invalid("[fc00::1]", NULL);
    expect_invalid("[fc00::1]:5000", NULL);
    expect_invalid("fc00::1:5000/debian", "invalid registry host");
    expect_invalid("[fe80::1%eth0]:5000/debian", "invalid registry host");
    expect_invalid("registry.example:/app", "invalid registry host");
    /* Upstream would read these as Docker Hub paths with no registry; we
     * refuse them so an allow-list is never judged on the wrong host. */
    expect_invalid("a_b.example/app", "invalid registry host");
    expect_invalid("a.b_c-d/e", "invalid registry host");
    expect_invalid("nginx:", "invalid tag");
    expect_invalid("nginx:-dev", "invalid tag");
    expect_invalid("nginx:1.0/foo", "invalid registry host");
    expect_invalid(" nginx", NULL);
    expect_invalid("nginx ", NULL);
    expect_invalid("{{ .Values.image }}", NULL);
    char tag[200];
    memset(tag, 'a', 129);
    tag[129] = '\0';
    char ref[260];
    snprintf(ref, sizeof(ref), "nginx:%s", tag);
    expect_invalid(ref, "invalid tag");
    tag[128] = '\0';
    snprintf(ref, sizeof(ref), "nginx:%s", tag);
    expect_ref(ref, "docker.io", "library/nginx", tag, NULL);
}

static void test_k8s_imageref__separators(void **state)
{
    (void)state;
    expect_ref("docker---rules/docker", "docker.io", "docker---rules/docker", NULL, NULL);
    expect_ref("dock__er/docker", "docker.io", "dock__er/docker", NULL, NULL);
    expect_ref("a-b_c__d/e.f", "docker.io", "a-b_c__d/e.f", NULL, NULL);
    expect_invalid("dock___er/docker", "invalid repository path");
}

static void test_k8s_imageref__path_length_limit(void **state)
{
    (void)state;
    char ref[400];
    /* "library/" counts: 247 + 8 = 255 is the limit. */
    memset(ref, 'a', 247);
    ref[247] = '\0';
    expect_ref(ref, "docker.io", kh_arena_printf(&arena, "library/%s", ref), NULL, NULL);
    memset(ref, 'a', 248);
    ref[248] = '\0';
    expect_invalid(ref, "repository name must not be more than 255 characters");
}

static void test_k8s_imageref__tag_or_latest(void **state)
{
    (void)state;
    kh_imageref r;
    const char *why;
    assert_int_equal(kh_imageref_parse(&r, "nginx", &arena, &why), KH_OK);
    assert_string_equal(kh_imageref_tag_or_latest(&r), "latest");
    assert_int_equal(kh_imageref_parse(&r, "nginx:1", &arena, &why), KH_OK);
    assert_string_equal(kh_imageref_tag_or_latest(&r), "1");
}

static void test_k8s_imageref__allow_list_prefixes(void **state)
{
    (void)state;
    assert_true(kh_imageref_name_has_prefix("registry.example/team/app", "registry.example/team"));
    assert_true(kh_imageref_name_has_prefix("registry.example/team", "registry.example/team"));
    assert_true(kh_imageref_name_has_prefix("registry.example/team/app", "registry.example/team/"));
    assert_false(kh_imageref_name_has_prefix("registry.example/teamx/app", "registry.example/team"));
    assert_true(kh_imageref_name_has_prefix("registry.example/team/app", "registry.example"));
    assert_true(kh_imageref_name_has_prefix("Registry.Example/team/app", "registry.example"));
    assert_false(kh_imageref_name_has_prefix("registry.example:5000/app", "registry.example"));
    assert_true(kh_imageref_name_has_prefix("registry.example:5000/app", "registry.example:5000"));
    assert_false(kh_imageref_name_has_prefix("registry.example.evil/app", "registry.example"));
    assert_true(kh_imageref_name_has_prefix("docker.io/library/nginx", "docker.io/library"));
    assert_false(kh_imageref_name_has_prefix("docker.io/bitnami/nginx", "docker.io/library"));
    assert_true(kh_imageref_name_has_prefix("123.dkr.ecr.us-east-1.amazonaws.com/app",
                                            "*.dkr.ecr.us-east-1.amazonaws.com"));
    assert_false(kh_imageref_name_has_prefix("dkr.ecr.us-east-1.amazonaws.com/app",
                                             "*.dkr.ecr.us-east-1.amazonaws.com"));
    assert_false(kh_imageref_name_has_prefix("evil.com/x.dkr.ecr.us-east-1.amazonaws.com/app",
                                             "*.dkr.ecr.us-east-1.amazonaws.com"));
}

static void test_k8s_imageref__allow_list_entries(void **state)
{
    (void)state;
    assert_true(kh_imageref_prefix_valid("registry.example"));
    assert_true(kh_imageref_prefix_valid("registry.example/team"));
    assert_true(kh_imageref_prefix_valid("registry.example/team/"));
    assert_true(kh_imageref_prefix_valid("registry.example:5000/team/sub"));
    assert_true(kh_imageref_prefix_valid("localhost"));
    assert_true(kh_imageref_prefix_valid("localhost:5000"));
    assert_true(kh_imageref_prefix_valid("docker.io/library"));
    assert_true(kh_imageref_prefix_valid("*.dkr.ecr.us-east-1.amazonaws.com"));
    assert_true(kh_imageref_prefix_valid("[fc00::1]:5000/team"));
    /* Not recognisable as a registry host: it would trust nothing. */
    assert_false(kh_imageref_prefix_valid("nginx"));
    assert_false(kh_imageref_prefix_valid("library/nginx"));
    assert_false(kh_imageref_prefix_valid(""));
    assert_false(kh_imageref_prefix_valid("registry.example/Team"));
    assert_false(kh_imageref_prefix_valid("registry.example//team"));
    assert_false(kh_imageref_prefix_valid("https://registry.example"));
    assert_false(kh_imageref_prefix_valid("*.*.example.com"));
    assert_true(kh_imageref_name_has_prefix("registry.example/team/app", "registry.example/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k8s_imageref__docker_hub_normalisation),
        cmocka_unit_test(test_k8s_imageref__registry_hosts_and_ports),
        cmocka_unit_test(test_k8s_imageref__digests),
        cmocka_unit_test(test_k8s_imageref__invalid_references),
        cmocka_unit_test(test_k8s_imageref__separators),
        cmocka_unit_test(test_k8s_imageref__path_length_limit),
        cmocka_unit_test(test_k8s_imageref__tag_or_latest),
        cmocka_unit_test(test_k8s_imageref__allow_list_prefixes),
        cmocka_unit_test(test_k8s_imageref__allow_list_entries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
