/*
 * index.c -- the string-keyed posting lists behind the object set.
 *
 * Open addressing with linear probing over a power-of-two table, FNV-1a
 * hashes kept in each slot so that growing never rehashes a string, and a
 * load factor of at most 1/2. Keys are byte strings (a label key "k=v" is
 * stored as "k\0v", so no separator can be forged). Each entry owns a
 * growable array of ascending object indexes and, for the kind and
 * namespace tables, the matching object pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "k8s/internal.h"

static uint64_t hash_bytes(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;
    }
    return h;
}

void kh_index__init(kh_index *ix, bool with_ptrs)
{
    memset(ix, 0, sizeof(*ix));
    ix->with_ptrs = with_ptrs;
}

void kh_index__free(kh_index *ix)
{
    for (size_t i = 0; i < ix->cap; i++) {
        free(ix->slots[i].key);
        free(ix->slots[i].idx);
        free(ix->slots[i].ptrs);
    }
    free(ix->slots);
    kh_index__init(ix, ix->with_ptrs);
}

/* The slot holding @p key, or the empty slot where it would go. */
static kh_index_entry *probe(const kh_index *ix, const char *key, size_t klen,
                             uint64_t h)
{
    size_t mask = ix->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        kh_index_entry *e = &ix->slots[i];
        if (!e->key || (e->hash == h && e->klen == klen &&
                        memcmp(e->key, key, klen) == 0))
            return e;
    }
}

const kh_index_entry *kh_index__find(const kh_index *ix, const char *key,
                                     size_t klen)
{
    if (ix->cap == 0)
        return NULL;
    const kh_index_entry *e = probe(ix, key, klen, hash_bytes(key, klen));
    return e->key ? e : NULL;
}

static int grow(kh_index *ix)
{
    size_t ncap = ix->cap ? ix->cap * 2 : 64;
    kh_index_entry *old = ix->slots;
    size_t ocap = ix->cap;
    ix->slots = calloc(ncap, sizeof(*ix->slots));
    if (!ix->slots) {
        ix->slots = old;
        return KH_ENOMEM;
    }
    ix->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key)
            *probe(ix, old[i].key, old[i].klen, old[i].hash) = old[i];
    free(old);
    return 0;
}

/* Make room in an entry's arrays for one more element. */
static int entry_room(kh_index_entry *e, bool with_ptrs)
{
    if (e->len < e->cap)
        return 0;
    size_t ncap = e->cap ? e->cap * 2 : 4;
    uint32_t *idx = realloc(e->idx, ncap * sizeof(*idx));
    if (!idx)
        return KH_ENOMEM;
    e->idx = idx;
    if (with_ptrs) {
        const kh_object **ptrs = realloc(e->ptrs, ncap * sizeof(*ptrs));
        if (!ptrs)
            return KH_ENOMEM;
        e->ptrs = ptrs;
    }
    e->cap = ncap;
    return 0;
}

int kh_index__reserve(kh_index *ix, const char *key, size_t klen)
{
    if ((ix->used + 1) * 2 > ix->cap && grow(ix) != 0)
        return KH_ENOMEM;
    uint64_t h = hash_bytes(key, klen);
    kh_index_entry *e = probe(ix, key, klen, h);
    if (!e->key) {
        char *copy = malloc(klen + 1);
        if (!copy)
            return KH_ENOMEM;
        memcpy(copy, key, klen);
        copy[klen] = '\0';
        *e = (kh_index_entry){.key = copy, .klen = klen, .hash = h};
        ix->used++;
    }
    return entry_room(e, ix->with_ptrs);
}

void kh_index__push(kh_index *ix, const char *key, size_t klen, size_t idx,
                    const kh_object *obj)
{
    kh_index_entry *e = (kh_index_entry *)kh_index__find(ix, key, klen);
    if (!e || (e->len && e->idx[e->len - 1] == idx) || e->len == e->cap)
        return;
    e->idx[e->len] = (uint32_t)idx;
    if (ix->with_ptrs)
        e->ptrs[e->len] = obj;
    e->len++;
}
