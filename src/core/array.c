/*
 * array.c -- growth of arena-backed arrays (the configuration's lists,
 * the evidence files' images, digests and vulnerabilities).
 *
 * The capacity is not stored: it is implied by the count (4, then each
 * power of two), so a growing array is just a pointer and a count. A grown
 * array is copied to a new arena block and the old one is left behind,
 * which the arena frees with everything else.
 */
#include <stdint.h>
#include <string.h>

#include "core/array.h"

void *kh_array__push(kh_arena *arena, void *items_ptr, size_t *n, size_t size)
{
    char *items; /* items_ptr is a T **; copied, not cast, to keep aliasing rules */
    memcpy(&items, items_ptr, sizeof(items));
    size_t count = *n;
    if (count == SIZE_MAX)
        return NULL;
    if (count == 0 || (count >= 4 && (count & (count - 1)) == 0)) {
        size_t cap = count < 4 ? 4 : count * 2;
        if (cap < count)
            return NULL;
        char *bigger = kh_arena_calloc(arena, cap, size);
        if (!bigger)
            return NULL;
        if (count)
            memcpy(bigger, items, count * size);
        items = bigger;
        memcpy(items_ptr, &items, sizeof(items));
    }
    char *slot = items + count * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}
