/*
 * test_root.c -- paths under --root: symbolic links resolved one component
 * at a time inside the root (an absolute target starts again at the root,
 * ".." stops at it), loops refused, the last component left alone for
 * lstat semantics; owner names from the root's own /etc/passwd.
 */
#include "node_test.h"

static void link_at(fixture *f, const char *target, const char *path)
{
    char full[512];
    snprintf(full, sizeof(full), "%s%s", f->root, path);
    assert_int_equal(symlink(target, full), 0);
}

static void test_node_root__links_stay_inside(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/usr/lib/os-release", "ID=flatcar\n");
    put(f, "/run/reboot-required", "yes\n");
    put(f, "/etc/passwd", "root:x:0:0::/:/bin/sh\n");
    link_at(f, "../usr/lib/os-release", "/etc/os-release");
    assert_int_equal(mkdir(strcat(strcpy((char[512]){0}, f->root), "/var"), 0755), 0);
    link_at(f, "/run", "/var/run");
    link_at(f, "../../../../../../etc/passwd", "/etc/up");
    size_t len;
    const char *s = kh_nd__read(&f->ctx, "/etc/os-release", 100, &len);
    assert_non_null(s);
    assert_string_equal(s, "ID=flatcar\n");
    assert_non_null(kh_nd__read(&f->ctx, "/var/run/reboot-required", 100, NULL));
    /* ".." above the root stays at the root: the root's passwd, not the host's */
    char want[512];
    snprintf(want, sizeof(want), "%s/etc/passwd", f->root);
    assert_string_equal(kh_nd__path(&f->ctx, "/etc/up", false), want);
    /* nofollow: the link itself */
    struct stat st;
    assert_int_equal(kh_nd__stat(&f->ctx, "/etc/os-release", &st, true), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(kh_nd__stat(&f->ctx, "/etc/os-release", &st, false), 0);
    assert_true(S_ISREG(st.st_mode));
    fixture_free(f);
}

static void test_node_root__loops_are_refused(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/a/x", "");
    link_at(f, "/b", "/a/loop");
    link_at(f, "/a/loop", "/b");
    assert_null(kh_nd__path(&f->ctx, "/b/file", false));
    assert_null(kh_nd__read(&f->ctx, "/b/file", 100, NULL));
    fixture_free(f);
}

static void test_node_root__names_from_the_roots_passwd(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    put(f, "/etc/passwd", "root:x:0:0::/:/bin/sh\n# comment\netcd:x:1001:1001::/:/bin/false\n");
    put(f, "/etc/group", "root:x:0:\netcd:x:1001:\n");
    assert_string_equal(kh_nd__user(&f->ctx, 1001), "etcd");
    assert_string_equal(kh_nd__user(&f->ctx, 0), "root");
    assert_string_equal(kh_nd__user(&f->ctx, 7), "7");
    assert_string_equal(kh_nd__group(&f->ctx, 1001), "etcd");
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_root__links_stay_inside),
        cmocka_unit_test(test_node_root__loops_are_refused),
        cmocka_unit_test(test_node_root__names_from_the_roots_passwd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
