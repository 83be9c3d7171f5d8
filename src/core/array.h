/*
 * array.h -- arrays that grow in an arena.
 */
#ifndef KH_CORE_ARRAY_H
#define KH_CORE_ARRAY_H

#include <stddef.h>

#include "core/arena.h"

/*
 * Append one zeroed element of @p size bytes to the array *@p items_ptr
 * (a T ** holding @p *n elements) and return it; the array lives in
 * @p arena and doubles as it grows. NULL when out of memory (the array is
 * then unchanged). Every array grown this way must only ever be grown
 * this way: its capacity is implied by its count.
 */
void *kh_array__push(kh_arena *arena, void *items_ptr, size_t *n, size_t size);

#endif
