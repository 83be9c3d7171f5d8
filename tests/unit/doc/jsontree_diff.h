/*
 * jsontree_diff.h -- the differential check of the one-pass JSON reader
 * (src/doc/jsontree.c) against the event path (json.c through load.c),
 * shared by tests/unit/doc/test_jsontree.c and fuzz/fuzz_jsontree.c.
 *
 * Both read the same buffer; their trees must be node for node the same
 * (type, quoting, boolean, line, column, text bytes, children in order), or
 * both must fail with the same code, position and message. Header only.
 */
#ifndef KH_TEST_JSONTREE_DIFF_H
#define KH_TEST_JSONTREE_DIFF_H

#include <stdio.h>
#include <string.h>

#include "doc/node.h"

/* NULL when @p a and @p b are the same tree, else what differs (in @p why). */
static inline const char *jsontree_same(const kh_node *a, const kh_node *b, char *why,
                                        size_t cap)
{
    if (!a || !b) {
        if (a == b)
            return NULL;
        snprintf(why, cap, "one tree is missing");
        return why;
    }
    if (a->type != b->type || a->quoted != b->quoted || a->boolean != b->boolean ||
        a->line != b->line || a->col != b->col || a->len != b->len) {
        snprintf(why, cap,
                 "node at %u:%u (type %d quoted %d bool %d len %u) vs %u:%u "
                 "(type %d quoted %d bool %d len %u)",
                 a->line, a->col, a->type, a->quoted, a->boolean, a->len, b->line, b->col,
                 b->type, b->quoted, b->boolean, b->len);
        return why;
    }
    for (uint32_t i = 0; i < a->len; i++) {
        const char *r = NULL;
        if (a->type == KH_NODE_MAP) {
            r = jsontree_same(a->u.pairs[i].key, b->u.pairs[i].key, why, cap);
            if (!r)
                r = jsontree_same(a->u.pairs[i].value, b->u.pairs[i].value, why, cap);
        } else if (a->type == KH_NODE_SEQ) {
            r = jsontree_same(a->u.items[i], b->u.items[i], why, cap);
        } else {
            if (memcmp(a->u.text, b->u.text, a->len) || a->u.text[a->len] ||
                b->u.text[b->len]) {
                snprintf(why, cap, "text of the scalar at %u:%u differs", a->line, a->col);
                return why;
            }
            break;
        }
        if (r)
            return r;
    }
    return NULL;
}

/*
 * Read @p buf with kh_doc_load_json, kh_doc__json_tree and
 * kh_doc_load_buffer; NULL when they agree, else what differs. *fast is
 * set to whether the one-pass reader took the input itself.
 */
static inline const char *jsontree_diff(const char *buf, size_t len, int *fast, char *why,
                                        size_t cap)
{
    kh_arena a, b, c;
    kh_arena_init(&a, 0);
    kh_arena_init(&b, 0);
    kh_arena_init(&c, 0);
    const kh_node *ra = NULL, *rb = NULL, *rc = NULL;
    kh_error ea = {0}, eb = {0};
    int ca = kh_doc_load_json(&ra, &a, buf, len, "t.json", &ea);
    int cb = kh_doc_load_buffer(&rb, &b, buf, len, "t.json", &eb);
    int cc = kh_doc__json_tree(&rc, &c, buf, len);
    const char *r = NULL;
    *fast = cc == 1;
    if (ca != cb) {
        snprintf(why, cap, "codes differ: %d vs %d (%.100s)", ca, cb, ca ? ea.message : eb.message);
        r = why;
    } else if (ca && (ea.line != eb.line || ea.col != eb.col ||
                      strcmp(ea.message, eb.message))) {
        snprintf(why, cap, "errors differ: %u:%u %.100s vs %u:%u %.100s", ea.line, ea.col, ea.message,
                 eb.line, eb.col, eb.message);
        r = why;
    } else if (!ca) {
        r = jsontree_same(ra, rb, why, cap);
    }
    if (!r && cc == 1) {
        if (cb)
            snprintf(why, cap, "the one-pass reader took an input the loader refuses: %.100s",
                     eb.message), r = why;
        else
            r = jsontree_same(rc, rb, why, cap);
    } else if (!r && cc != 0) {
        snprintf(why, cap, "one-pass reader returned %d", cc), r = why;
    }
    kh_arena_free(&a);
    kh_arena_free(&b);
    kh_arena_free(&c);
    return r;
}

#endif
