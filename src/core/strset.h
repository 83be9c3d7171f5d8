/*
 * strset.h -- a set of strings in which each distinct string is kept once
 * (interning), for what many findings or kept objects repeat: a set rule's
 * message, a label, an image, a field name.
 */
#ifndef KH_CORE_STRSET_H
#define KH_CORE_STRSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct kh_strset_slot {
    const char *str;             /* NULL: empty slot */
    uint32_t len;
    uint32_t hash;
} kh_strset_slot;

typedef struct kh_strset {
    kh_strset_slot *slots;       /* cap slots, cap a power of two */
    size_t cap, used;
} kh_strset;

void kh_strset_init(kh_strset *s);
void kh_strset_free(kh_strset *s);
/* Forget every string (their copies live in an arena the caller resets). */
void kh_strset_reset(kh_strset *s);
/* The kept copy of @p str[0..len) (NUL-terminated): the one in the set, or
 * a new copy in @p arena. NULL when out of memory. */
const char *kh_strset_intern(kh_strset *s, kh_arena *arena, const char *str, size_t len);
/* The 64-bit FNV-1a hash the set uses, for callers that key their own
 * tables the same way. */
uint64_t kh_strset_hash(const void *data, size_t len, uint64_t seed);

#endif
