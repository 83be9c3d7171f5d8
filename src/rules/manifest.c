/*
 * manifest.c -- rules about the manifest text itself.
 *
 * The loader resolves a repeated key as the API server does (the last
 * value wins) and lists the winning keys on the document; this rule turns
 * each one inside the object into a finding with its field path, found by
 * one depth-first walk of the object (duplicates are rare, so the walk only
 * happens when there is something to report). The rule also sees each
 * envelope's own mapping (a List's keys), skipping the objects it carries,
 * which are checked on their own.
 */
#include <string.h>

#include "rules/rules.h"

typedef struct walk {
    kh_rule_ctx *ctx;
    const kh_object *obj;
    char path[1024];
    size_t len;
} walk;

static int is_duplicate(const kh_doc *doc, const kh_node *key)
{
    for (size_t i = 0; i < doc->nduplicate_keys; i++)
        if (doc->duplicate_keys[i] == key)
            return 1;
    return 0;
}

static int is_inner_object(const kh_rule_ctx *ctx, const kh_node *n)
{
    for (size_t i = 0; i < ctx->ninner; i++)
        if (ctx->inner[i] == n)
            return 1;
    return 0;
}

static void visit(walk *w, const kh_node *n, unsigned depth);

static void visit_child(walk *w, const kh_node *child, const char *fmt,
                        const char *key, size_t index, unsigned depth)
{
    size_t saved = w->len;
    int k = key ? snprintf(w->path + w->len, sizeof(w->path) - w->len, fmt,
                           w->len ? "." : "", key)
                : snprintf(w->path + w->len, sizeof(w->path) - w->len, fmt, index);
    if (k > 0 && (size_t)k < sizeof(w->path) - w->len) {
        w->len += (size_t)k;
        visit(w, child, depth + 1);
    }
    w->len = saved;
    w->path[saved] = '\0';
}

static void visit(walk *w, const kh_node *n, unsigned depth)
{
    if (!n || depth > KH_DOC_MAX_DEPTH || (depth && is_inner_object(w->ctx, n)))
        return;
    if (n->type == KH_NODE_SEQ) {
        for (size_t i = 0; i < n->len; i++)
            visit_child(w, n->u.items[i], "[%zu]", NULL, i, depth);
        return;
    }
    if (n->type != KH_NODE_MAP)
        return;
    for (size_t i = 0; i < n->len; i++) {
        const kh_node *key = n->u.pairs[i].key;
        const char *name = kh_node_str(key);
        if (!name)
            continue;
        if (is_duplicate(w->ctx->doc, key)) {
            const char *path = kh_arena_printf(w->ctx->arena, "%s%s%s", w->path,
                                               w->len ? "." : "", name);
            kh_rule__report(w->ctx, w->obj, key, path ? path : name,
                            "key '%s' is repeated in this mapping: Kubernetes keeps this "
                            "last value, and strict validation rejects the object",
                            name);
        }
        visit_child(w, n->u.pairs[i].value, "%s%s", name, 0, depth);
    }
}

void kh_manifest__duplicate_key(kh_rule_ctx *ctx, const kh_object *obj)
{
    if (!ctx->doc || !ctx->doc->nduplicate_keys)
        return;
    walk w = {.ctx = ctx, .obj = obj};
    w.path[0] = '\0';
    visit(&w, obj->root, 0);
}
