/*
 * arena.c -- chained-block bump allocator (see arena.h).
 *
 * Allocation is a pointer bump in the head block; when it does not fit, a
 * new block of max(block_size, request) is pushed. Reset frees every block
 * but the largest-so-far head, so steady-state streaming allocates nothing.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kh_arena_block {
    kh_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void kh_arena_init(kh_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_total = 0;
}

void kh_arena_free(kh_arena *a)
{
    kh_arena_block *b = a->head;
    while (b) {
        kh_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

void kh_arena_reset(kh_arena *a)
{
    kh_arena_block *keep = a->head;
    if (!keep)
        return;
    kh_arena_block *b = keep->next;
    while (b) {
        kh_arena_block *next = b->next;
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->used_total = 0;
}

void *kh_arena_alloc(kh_arena *a, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    kh_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t want = size > a->block_size ? size : a->block_size;
        kh_arena_block *nb = malloc(sizeof(*nb) + want);
        if (!nb)
            return NULL;
        nb->size = want;
        nb->used = 0;
        /* A request bigger than a block gets its own block behind the head,
         * so the head's free space is not wasted. */
        if (b && size > a->block_size) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->used_total += size;
    return p;
}

void *kh_arena_calloc(kh_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = kh_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *kh_arena_strndup(kh_arena *a, const char *s, size_t len)
{
    char *p = kh_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *kh_arena_strdup(kh_arena *a, const char *s)
{
    return kh_arena_strndup(a, s, strlen(s));
}

char *kh_arena_printf(kh_arena *a, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof(small))
        return kh_arena_strndup(a, small, (size_t)n);
    char *p = kh_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
