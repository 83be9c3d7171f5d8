/*
 * nodeshare.c -- kept trees with equal subtrees stored once.
 *
 * Children are shared first (bottom up), so two subtrees are equal exactly
 * when their node fields and their children's pointers are: a lookup hashes
 * and compares one level, never a whole subtree. Scalar text is interned in
 * a string set, so texts compare by pointer too. The table holds pointers
 * to the kept nodes (open addressing, doubled at 70 % load).
 */
#include "doc/nodeshare.h"

#include <stdlib.h>
#include <string.h>

void kh_nodeshare_init(kh_nodeshare *ns)
{
    memset(ns, 0, sizeof(*ns));
    kh_strset_init(&ns->strings);
}

void kh_nodeshare_free(kh_nodeshare *ns)
{
    free(ns->slots);
    free(ns->hashes);
    kh_strset_free(&ns->strings);
    memset(ns, 0, sizeof(*ns));
}

const char *kh_nodeshare_string(kh_nodeshare *ns, const char *s, kh_arena *keep)
{
    return kh_strset_intern(&ns->strings, keep, s, strlen(s));
}

/* The children of a map (keys and values interleaved) or a sequence. */
static size_t nchildren(const kh_node *n)
{
    return n->type == KH_NODE_MAP ? 2 * (size_t)n->len : n->type == KH_NODE_SEQ ? n->len : 0;
}

static const kh_node *child(const kh_node *n, size_t i)
{
    if (n->type == KH_NODE_SEQ)
        return n->u.items[i];
    return i % 2 ? n->u.pairs[i / 2].value : n->u.pairs[i / 2].key;
}

/* Same fields and the same (shared) children or text. */
static bool same(const kh_node *a, const kh_node *b)
{
    if (a->type != b->type || a->quoted != b->quoted || a->boolean != b->boolean ||
        a->len != b->len)
        return false;
    if (a->type != KH_NODE_MAP && a->type != KH_NODE_SEQ)
        return a->u.text == b->u.text;
    for (size_t i = 0, n = nchildren(a); i < n; i++)
        if (child(a, i) != child(b, i))
            return false;
    return true;
}

static uint64_t hash_of(const kh_node *n)
{
    uint64_t h = kh_strset_hash(&n->type, 1, 0);
    uint8_t flags[2] = {n->quoted, n->boolean};
    h = kh_strset_hash(flags, 2, h);
    h = kh_strset_hash(&n->len, sizeof(n->len), h);
    if (n->type != KH_NODE_MAP && n->type != KH_NODE_SEQ)
        return kh_strset_hash(&n->u.text, sizeof(n->u.text), h);
    for (size_t i = 0, c = nchildren(n); i < c; i++) {
        const kh_node *ch = child(n, i);
        h = kh_strset_hash(&ch, sizeof(ch), h);
    }
    return h;
}

static bool grow(kh_nodeshare *ns)
{
    size_t cap = ns->cap ? ns->cap * 2 : 1024;
    const kh_node **slots = calloc(cap, sizeof(*slots));
    uint32_t *hashes = malloc(cap * sizeof(*hashes));
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return false;
    }
    for (size_t i = 0; i < ns->cap; i++) {
        if (!ns->slots[i])
            continue;
        size_t j = ns->hashes[i] & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = ns->slots[i];
        hashes[j] = ns->hashes[i];
    }
    free(ns->slots);
    free(ns->hashes);
    ns->slots = slots;
    ns->hashes = hashes;
    ns->cap = cap;
    return true;
}

/* Copy @p proto (whose children are already shared) into @p keep, with its
 * own pairs or items array. */
static kh_node *keep_copy(const kh_node *proto, kh_arena *keep)
{
    kh_node *c = kh_arena_alloc(keep, sizeof(*c));
    if (!c)
        return NULL;
    *c = *proto;
    size_t n = proto->len ? proto->len : 1;
    if (proto->type == KH_NODE_MAP) {
        kh_pair *pairs = kh_arena_alloc(keep, n * sizeof(*pairs));
        if (!pairs)
            return NULL;
        memcpy(pairs, proto->u.pairs, proto->len * sizeof(*pairs));
        c->u.pairs = pairs;
    } else if (proto->type == KH_NODE_SEQ) {
        const kh_node **items = kh_arena_alloc(keep, n * sizeof(*items));
        if (!items)
            return NULL;
        memcpy(items, proto->u.items, proto->len * sizeof(*items));
        c->u.items = (const kh_node *const *)items;
    }
    return c;
}

/* The shared node equal to @p proto, kept now if it is the first. */
static const kh_node *intern(kh_nodeshare *ns, const kh_node *proto, kh_arena *keep)
{
    if ((ns->used + 1) * 10 > ns->cap * 7 && !grow(ns))
        return NULL;
    uint64_t full = hash_of(proto);
    uint32_t h = (uint32_t)(full ^ (full >> 32));
    size_t i = h & (ns->cap - 1);
    for (; ns->slots[i]; i = (i + 1) & (ns->cap - 1))
        if (ns->hashes[i] == h && same(ns->slots[i], proto))
            return ns->slots[i];
    kh_node *c = keep_copy(proto, keep);
    if (!c)
        return NULL;
    ns->slots[i] = c;
    ns->hashes[i] = h;
    ns->used++;
    return c;
}

/* metadata.name, a key of the root's metadata: the one field unique to
 * each object, left out so that objects equal in everything else share
 * one tree. */
static bool is_name_key(const kh_node *key)
{
    return key && key->type == KH_NODE_STRING && strcmp(key->u.text, "name") == 0;
}

static bool is_metadata_key(const kh_node *key)
{
    return key && key->type == KH_NODE_STRING && strcmp(key->u.text, "metadata") == 0;
}

/* @p n with shared children, its fields in a prototype on the scratch arena
 * (positions cleared), then the shared copy. @p metadata: n is the root's
 * metadata, whose name is left out. */
static const kh_node *share(kh_nodeshare *ns, const kh_node *n, kh_arena *keep,
                            kh_arena *scratch, unsigned depth, bool root, bool metadata)
{
    if (!n || depth > KH_DOC_MAX_DEPTH + 1)
        return NULL;
    kh_node proto = *n;
    proto.line = proto.col = 0;
    if (n->type == KH_NODE_MAP) {
        kh_pair *pairs = kh_arena_alloc(scratch, (n->len ? n->len : 1) * sizeof(*pairs));
        if (!pairs)
            return NULL;
        uint32_t kept = 0;
        for (size_t i = 0; i < n->len; i++) {
            const kh_node *key = n->u.pairs[i].key;
            if (metadata && is_name_key(key))
                continue;
            pairs[kept].key = share(ns, key, keep, scratch, depth + 1, false, false);
            pairs[kept].value = share(ns, n->u.pairs[i].value, keep, scratch, depth + 1, false,
                                      root && is_metadata_key(key));
            if (!pairs[kept].key || !pairs[kept].value)
                return NULL;
            kept++;
        }
        proto.len = kept;
        proto.u.pairs = pairs;
    } else if (n->type == KH_NODE_SEQ) {
        const kh_node **items = kh_arena_alloc(scratch, (n->len ? n->len : 1) * sizeof(*items));
        if (!items)
            return NULL;
        for (size_t i = 0; i < n->len; i++)
            if (!(items[i] = share(ns, n->u.items[i], keep, scratch, depth + 1, false, false)))
                return NULL;
        proto.u.items = (const kh_node *const *)items;
    } else if (n->u.text) {
        proto.u.text = kh_strset_intern(&ns->strings, keep, n->u.text, n->len);
        if (!proto.u.text)
            return NULL;
    }
    return intern(ns, &proto, keep);
}

const kh_node *kh_nodeshare_tree(kh_nodeshare *ns, const kh_node *n, kh_arena *keep,
                                 kh_arena *scratch)
{
    return share(ns, n, keep, scratch, 0, true, false);
}
