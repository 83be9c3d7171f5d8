/*
 * doc_test.h -- helpers shared by the src/doc unit tests (header only).
 *
 * Every test file owns one arena for the whole run (documents are small);
 * load() parses a buffer that must hold exactly one document, load_error()
 * parses one that must fail and hands back the error, and get() reads a
 * top-level key.
 */
#ifndef KH_TEST_DOC_TEST_H
#define KH_TEST_DOC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "doc/node.h"

static kh_arena test_arena;

static inline int arena_setup(void **state)
{
    (void)state;
    kh_arena_init(&test_arena, 0);
    return 0;
}

static inline int arena_teardown(void **state)
{
    (void)state;
    kh_arena_free(&test_arena);
    return 0;
}

/* Root of the single document in @p yaml; fails the test on error. */
static inline const kh_node *load(const char *yaml)
{
    const kh_node *root = NULL;
    kh_error err = {0};
    int rc = kh_doc_load_buffer(&root, &test_arena, yaml, strlen(yaml), "t.yaml",
                                &err);
    if (rc != 0)
        print_error("unexpected error: %d %u:%u %s\n", rc, err.line, err.col,
                    err.message);
    assert_int_equal(rc, 0);
    assert_non_null(root);
    return root;
}

/* The error of a single-document buffer that must fail to load. */
static inline int load_error(const char *yaml, kh_error *err)
{
    const kh_node *root = NULL;
    memset(err, 0, sizeof(*err));
    int rc = kh_doc_load_buffer(&root, &test_arena, yaml, strlen(yaml), "t.yaml",
                                err);
    assert_true(rc < 0);
    assert_null(root);
    assert_int_equal(err->code, rc);
    return rc;
}

static inline const kh_node *get(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    if (!v)
        print_error("no key '%s'\n", key);
    assert_non_null(v);
    return v;
}

static inline void assert_error(const kh_error *err, unsigned line, unsigned col,
                         const char *message)
{
    assert_string_equal(err->message, message);
    assert_int_equal(err->line, line);
    assert_int_equal(err->col, col);
    assert_string_equal(err->file, "t.yaml");
}

#endif
