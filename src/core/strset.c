/*
 * strset.c -- string interning: an open-addressing table (linear probing)
 * of pointers to strings kept in the caller's arena. The table itself is
 * malloc'd and doubles at 70 % load, so a lookup is O(1) and a set of n
 * strings costs 16 bytes a slot plus each distinct string once.
 */
#include "core/strset.h"

#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

uint64_t kh_strset_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ? seed : FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

void kh_strset_init(kh_strset *s)
{
    memset(s, 0, sizeof(*s));
}

void kh_strset_free(kh_strset *s)
{
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

void kh_strset_reset(kh_strset *s)
{
    if (s->slots)
        memset(s->slots, 0, s->cap * sizeof(*s->slots));
    s->used = 0;
}

static kh_strset_slot *probe(kh_strset_slot *slots, size_t cap, const char *str, size_t len,
                             uint32_t hash)
{
    size_t i = hash & (cap - 1);
    for (;;) {
        kh_strset_slot *sl = &slots[i];
        if (!sl->str || (sl->hash == hash && sl->len == len && memcmp(sl->str, str, len) == 0))
            return sl;
        i = (i + 1) & (cap - 1);
    }
}

static int grow(kh_strset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    kh_strset_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].str)
            *probe(slots, cap, s->slots[i].str, s->slots[i].len, s->slots[i].hash) =
                s->slots[i];
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

const char *kh_strset_intern(kh_strset *s, kh_arena *arena, const char *str, size_t len)
{
    if (len > UINT32_MAX)
        return kh_arena_strndup(arena, str, len); /* too long to key: kept apart */
    if ((s->used + 1) * 10 > s->cap * 7 && grow(s) != 0)
        return NULL;
    uint32_t hash = (uint32_t)kh_strset_hash(str, len, 0);
    kh_strset_slot *sl = probe(s->slots, s->cap, str, len, hash);
    if (sl->str)
        return sl->str;
    char *copy = kh_arena_strndup(arena, str, len);
    if (!copy)
        return NULL;
    *sl = (kh_strset_slot){.str = copy, .len = (uint32_t)len, .hash = hash};
    s->used++;
    return copy;
}
