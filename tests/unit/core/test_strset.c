/*
 * test_strset.c -- kh_strset_intern keeps each distinct string once: equal
 * texts (by bytes and length, embedded NULs and prefixes included) get the
 * same pointer across table growth, and a reset forgets them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/strset.h"

static void test_core_strset__equal_texts_share_one_copy_across_growth(void **state)
{
    (void)state;
    kh_arena arena;
    kh_arena_init(&arena, 0);
    kh_strset set;
    kh_strset_init(&set);
    const char *first[5000];
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof(buf), "pod-%05d", i);
        first[i] = kh_strset_intern(&set, &arena, buf, (size_t)n);
        assert_non_null(first[i]);
        assert_string_equal(first[i], buf);
        assert_ptr_not_equal(first[i], buf); /* a copy, not the caller's buffer */
    }
    assert_int_equal(set.used, 5000); /* the table grew many times */
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof(buf), "pod-%05d", i);
        assert_ptr_equal(kh_strset_intern(&set, &arena, buf, (size_t)n), first[i]);
    }
    assert_int_equal(set.used, 5000);
    kh_strset_free(&set);
    kh_arena_free(&arena);
}

static void test_core_strset__length_decides_not_the_nul(void **state)
{
    (void)state;
    kh_arena arena;
    kh_arena_init(&arena, 0);
    kh_strset set;
    kh_strset_init(&set);
    const char *app = kh_strset_intern(&set, &arena, "app", 3);
    const char *ap = kh_strset_intern(&set, &arena, "app", 2);   /* a prefix is another string */
    const char *empty = kh_strset_intern(&set, &arena, "", 0);
    assert_ptr_not_equal(app, ap);
    assert_string_equal(ap, "ap");
    assert_string_equal(empty, "");
    assert_ptr_equal(kh_strset_intern(&set, &arena, "ap\0x", 2), ap);
    assert_ptr_equal(kh_strset_intern(&set, &arena, "", 0), empty);
    kh_strset_reset(&set);
    assert_int_equal(set.used, 0);
    const char *again = kh_strset_intern(&set, &arena, "app", 3);
    assert_ptr_not_equal(again, app); /* forgotten: a new copy */
    kh_strset_free(&set);
    kh_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_strset__equal_texts_share_one_copy_across_growth),
        cmocka_unit_test(test_core_strset__length_decides_not_the_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
