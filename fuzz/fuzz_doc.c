/*
 * fuzz_doc.c -- libFuzzer target for the document loader (src/doc).
 *
 * Each input is read three ways: as a buffer stream, as a FILE * stream
 * (fmemopen) and with kh_doc_load_buffer. The two streams must agree on the
 * sequence of results and their positions, and both must read the input to
 * its end (a bad document never stops the stream); every loaded tree is
 * walked (with a budget, since aliases make it a DAG) to check the
 * invariants callers rely on: NUL-terminated scalars, 1-based positions,
 * no duplicate scalar keys. A tree small enough to walk whole is also
 * hash-consed (doc/nodeshare.h, as a served scan keeps objects) and must
 * read the same as the source but for the root metadata's name, and be one
 * copy, at no position, when shared twice over one table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/node.h"
#include "doc/nodeshare.h"

#define MAX_DOCS 4096
#define WALK_BUDGET 100000

static void check(int ok)
{
    if (!ok)
        abort();
}

static void walk(const kh_node *n, unsigned depth, size_t *budget)
{
    if (!*budget)
        return;
    --*budget;
    check(n != NULL && depth <= KH_DOC_MAX_DEPTH + 1);
    check(n->line >= 1 && n->col >= 1);
    switch (n->type) {
    case KH_NODE_MAP:
        for (uint32_t i = 0; i < n->len && *budget; i++) {
            const kh_node *k = n->u.pairs[i].key;
            for (uint32_t j = 0; j < i && j < 64; j++) {
                const kh_node *o = n->u.pairs[j].key;
                check(!(kh_node_is_scalar(k) && kh_node_is_scalar(o) &&
                        k->len == o->len && !memcmp(k->u.text, o->u.text, k->len)));
            }
            if (kh_node_is_scalar(k))
                check(kh_node_get(n, k->u.text) != NULL || memchr(k->u.text, 0, k->len));
            walk(k, depth + 1, budget);
            walk(n->u.pairs[i].value, depth + 1, budget);
        }
        break;
    case KH_NODE_SEQ:
        for (uint32_t i = 0; i < n->len && *budget; i++)
            walk(kh_node_at(n, i), depth + 1, budget);
        break;
    default:
        check(n->type <= KH_NODE_STRING);
        check(n->u.text[n->len] == '\0');
        check((kh_node_str(n) == NULL) == (n->type == KH_NODE_NULL));
        int64_t v;
        if (kh_node_int(n, &v))
            check(n->type == KH_NODE_INT);
        break;
    }
}

static bool is_key(const kh_node *k, const char *text)
{
    return k->type == KH_NODE_STRING && strcmp(k->u.text, text) == 0;
}

/* The same content (types, flags, text, keys and children in order), but
 * that @p b has no "name" key where @p a is the root's metadata. */
static void same_content(const kh_node *a, const kh_node *b, size_t *budget, bool root,
                         bool metadata)
{
    if (!*budget)
        return;
    --*budget;
    check(b->line == 0 && b->col == 0);
    check(a->type == b->type && a->quoted == b->quoted && a->boolean == b->boolean);
    if (a->type == KH_NODE_MAP) {
        uint32_t j = 0;
        for (uint32_t i = 0; i < a->len && *budget; i++) {
            const kh_node *key = a->u.pairs[i].key;
            if (metadata && is_key(key, "name"))
                continue;
            check(j < b->len);
            same_content(key, b->u.pairs[j].key, budget, false, false);
            same_content(a->u.pairs[i].value, b->u.pairs[j].value, budget, false,
                         root && is_key(key, "metadata"));
            j++;
        }
        check(!*budget || j == b->len);
        return;
    }
    check(a->len == b->len);
    if (a->type == KH_NODE_SEQ) {
        for (uint32_t i = 0; i < a->len && *budget; i++)
            same_content(a->u.items[i], b->u.items[i], budget, false, false);
    } else {
        check((a->u.text == NULL) == (b->u.text == NULL));
        check(!a->u.text || memcmp(a->u.text, b->u.text, a->len + 1) == 0);
    }
}

static void check_shared(const kh_node *root, kh_arena *arena)
{
    kh_nodeshare ns;
    kh_nodeshare_init(&ns);
    const kh_node *one = kh_nodeshare_tree(&ns, root, arena, arena);
    const kh_node *two = kh_nodeshare_tree(&ns, root, arena, arena);
    check(one && one == two);
    size_t budget = WALK_BUDGET;
    same_content(root, one, &budget, true, false);
    kh_nodeshare_free(&ns);
}

/* Read every document; record each result code and position in @p codes
 * (three ints per result). */
static size_t read_all(kh_doc_reader *r, kh_arena *arena, int *codes, size_t size)
{
    size_t n = 0;
    kh_doc doc;
    kh_error err;
    while (n < 3 * MAX_DOCS) {
        int rc = kh_doc_reader_next(r, arena, &doc, &err);
        codes[n++] = rc;
        codes[n++] = rc == 1 ? (int)doc.line : rc < 0 ? (int)err.line : 0;
        codes[n++] = rc == 1 ? (int)doc.col : rc < 0 ? (int)err.col : 0;
        if (rc == 0) {
            check(kh_doc_reader_offset(r) == size);
            break;
        }
        if (rc == 1) {
            size_t budget = WALK_BUDGET;
            walk(doc.root, 0, &budget);
            check(doc.root->type != KH_NODE_NULL);
            if (budget)
                check_shared(doc.root, arena);
        } else {
            check(err.code == rc && err.message[0] != '\0');
        }
        kh_arena_reset(arena);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int a[3 * MAX_DOCS], b[3 * MAX_DOCS];
    kh_arena arena;
    kh_doc_reader *r;
    kh_error err;
    kh_arena_init(&arena, 0);

    check(kh_doc_reader_new_buffer(&r, (const char *)data, size, "fuzz", &err) == 0);
    size_t na = read_all(r, &arena, a, size);
    kh_doc_reader_free(r);

    FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;
    if (f) {
        check(kh_doc_reader_new_stream(&r, f, "fuzz", &err) == 0);
        size_t nb = read_all(r, &arena, b, size);
        kh_doc_reader_free(r);
        fclose(f);
        check(na == nb && !memcmp(a, b, na * sizeof(a[0])));
    }

    const kh_node *root;
    int rc = kh_doc_load_buffer(&root, &arena, (const char *)data, size, "fuzz", &err);
    check(rc == 0 ? root != NULL : root == NULL);
    kh_arena_free(&arena);
    return 0;
}
