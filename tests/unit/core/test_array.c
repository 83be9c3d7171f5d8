/*
 * test_array.c -- kh_array__push: arena arrays that grow by doubling keep
 * their elements in order, hand out zeroed slots, and grow independently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/array.h"

typedef struct pair {
    int a;
    const char *b;
} pair;

static void test_core_array__push_keeps_every_element_across_growth(void **state)
{
    (void)state;
    kh_arena arena;
    kh_arena_init(&arena, 256); /* small blocks: growth crosses blocks */
    pair *items = NULL;
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        pair *p = kh_array__push(&arena, &items, &n, sizeof(*p));
        assert_non_null(p);
        assert_int_equal(p->a, 0); /* zeroed, even in a reused capacity */
        assert_null(p->b);
        p->a = i;
        p->b = "x";
    }
    assert_int_equal(n, 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(items[i].a, i);
    kh_arena_free(&arena);
}

static void test_core_array__two_arrays_in_one_arena_do_not_overlap(void **state)
{
    (void)state;
    kh_arena arena;
    kh_arena_init(&arena, 0);
    const char **xs = NULL, **ys = NULL;
    size_t nx = 0, ny = 0;
    for (int i = 0; i < 70; i++) {
        *(const char **)kh_array__push(&arena, &xs, &nx, sizeof(char *)) = "x";
        if (i % 3 == 0)
            *(const char **)kh_array__push(&arena, &ys, &ny, sizeof(char *)) = "y";
    }
    assert_int_equal(nx, 70);
    assert_int_equal(ny, 24);
    for (size_t i = 0; i < nx; i++)
        assert_string_equal(xs[i], "x");
    for (size_t i = 0; i < ny; i++)
        assert_string_equal(ys[i], "y");
    kh_arena_free(&arena);
}

static void test_core_array__an_element_too_large_for_memory_is_null(void **state)
{
    (void)state;
    kh_arena arena;
    kh_arena_init(&arena, 0);
    char *items = NULL;
    size_t n = 0;
    /* 4 slots of SIZE_MAX / 2 bytes overflow: NULL, and the array is unchanged. */
    assert_null(kh_array__push(&arena, &items, &n, SIZE_MAX / 2));
    assert_int_equal(n, 0);
    assert_null(items);
    kh_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_array__push_keeps_every_element_across_growth),
        cmocka_unit_test(test_core_array__two_arrays_in_one_arena_do_not_overlap),
        cmocka_unit_test(test_core_array__an_element_too_large_for_memory_is_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
