/*
 * node_test.h -- shared by the node audit's unit tests: a context over a
 * temporary root directory, files written into it, and a component made
 * from a command line.
 */
#ifndef KH_TEST_NODE_H
#define KH_TEST_NODE_H

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

#include "core/array.h"
#include "node/audit.h"

typedef struct fixture {
    kh_arena arena;
    kh_nd_ctx ctx;
    char root[64];
} fixture;

static inline fixture *fixture_new(void)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->root, "/tmp/kh-node-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    kh_arena_init(&f->arena, 0);
    f->ctx.arena = &f->arena;
    f->ctx.root = f->root;
    return f;
}

static inline void fixture_free(fixture *f)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    kh_arena_free(&f->arena);
    free(f);
}

/* Write @p text at node path @p path (directories made as needed). */
static inline void put(fixture *f, const char *path, const char *text)
{
    char full[512], cmd[600];
    snprintf(full, sizeof(full), "%s%s", f->root, path);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
    assert_int_equal(system(cmd), 0);
    FILE *out = fopen(full, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

/* A component of @p kind whose argv is the NULL-terminated @p words. */
static inline kh_nd_comp *comp(fixture *f, int kind, const char *const *words)
{
    kh_nd_comp *k = kh_array__push(f->ctx.arena, &f->ctx.comps, &f->ctx.ncomps, sizeof(*k));
    assert_non_null(k);
    k->kind = kind;
    k->name = kh_nd__comp_name(kind);
    k->pid = 42;
    k->cmdline = "/proc/42/cmdline";
    for (size_t i = 0; words[i]; i++) {
        kh_nd_word *w = kh_array__push(f->ctx.arena, &k->argv, &k->argc, sizeof(*w));
        assert_non_null(w);
        w->text = words[i];
        w->file = k->cmdline;
    }
    return k;
}

#endif
