/*
 * nodes.h -- test helper: YAML text to a kh_node tree, for the k8s tests.
 *
 * yaml_load(text) returns the root of a one-document YAML buffer loaded
 * into the test arena (t_arena(), freed by t_arena_free()): NULL for "",
 * an explicit null node for "~". It is kh_doc_load_buffer; a bad test
 * document aborts.
 */
#ifndef KH_TEST_K8S_NODES_H
#define KH_TEST_K8S_NODES_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "doc/node.h"

static kh_arena t_arena_storage;
static int t_arena_ready;

static inline kh_arena *t_arena(void)
{
    if (!t_arena_ready) {
        kh_arena_init(&t_arena_storage, 0);
        t_arena_ready = 1;
    }
    return &t_arena_storage;
}

static inline void t_arena_free(void)
{
    if (t_arena_ready)
        kh_arena_free(&t_arena_storage);
    t_arena_ready = 0;
}

static inline const kh_node *yaml_load_doc(const char *text)
{
    const kh_node *root = NULL;
    kh_error err = {0};
    if (kh_doc_load_buffer(&root, t_arena(), text, strlen(text), "<test>",
                           &err) != 0) {
        char buf[512];
        kh_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "bad test YAML: %s\n", buf);
        abort();
    }
    return root;
}

/* The loader reports a document that is only a null as empty; wrap one to
 * get an explicit KH_NODE_NULL node. "" stays NULL (no document). */
static inline const kh_node *yaml_load(const char *text)
{
    if (!*text)
        return NULL;
    if (strcmp(text, "~") == 0 || strcmp(text, "null") == 0) {
        char buf[32];
        snprintf(buf, sizeof(buf), "v: %s\n", text);
        return yaml_load_doc(buf)->u.pairs[0].value;
    }
    return yaml_load_doc(text);
}

#endif
