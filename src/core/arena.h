/*
 * arena.h -- bump allocator for everything that lives as long as a document
 * or a scan: nodes, strings, findings. Blocks are chained; kh_arena_reset
 * keeps the first block so that the per-document arena of a streaming scan
 * reaches a steady state with no malloc at all.
 */
#ifndef KH_CORE_ARENA_H
#define KH_CORE_ARENA_H

#include <stddef.h>

typedef struct kh_arena_block kh_arena_block;

typedef struct kh_arena {
    kh_arena_block *head;   /* current block; older blocks follow ->next */
    size_t block_size;      /* default size of a new block */
    size_t used_total;      /* bytes handed out since the last reset */
} kh_arena;

/** Initialise an empty arena; block_size 0 means 64 KiB. */
void kh_arena_init(kh_arena *a, size_t block_size);
/** Release all blocks. */
void kh_arena_free(kh_arena *a);
/** Forget every allocation, keep one block for reuse. */
void kh_arena_reset(kh_arena *a);
/** 8-byte aligned memory, never NULL unless out of memory. Not zeroed. */
void *kh_arena_alloc(kh_arena *a, size_t size);
/** Zeroed memory. */
void *kh_arena_calloc(kh_arena *a, size_t n, size_t size);
/** Copy of s[0..len) with a terminating NUL. */
char *kh_arena_strndup(kh_arena *a, const char *s, size_t len);
char *kh_arena_strdup(kh_arena *a, const char *s);
/** printf into the arena. */
char *kh_arena_printf(kh_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
