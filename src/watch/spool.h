/*
 * spool.h -- a sink's on-disk queue of alerts not yet delivered (spool.c).
 */
#ifndef KH_WATCH_SPOOL_H
#define KH_WATCH_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "kubeharden.h"

typedef struct kh_spool kh_spool;

#define KH_SPOOL_DEFAULT_BYTES (64ull << 20)
#define KH_SPOOL_DEFAULT_SYNC_MS 200u

/* Open (create) the spool directory @p dir, locked against a second
 * watcher; records a previous run left are counted and kept first.
 * @p max_bytes bounds what is waiting (0: the default); @p sync_ms is how
 * often appends are made durable with fdatasync (0: at each append). */
int kh_spool__open(kh_spool **out, const char *dir, uint64_t max_bytes, unsigned sync_ms,
                   const char *who, kh_error *err);
/* Append one record before it is sent; beyond the bound the oldest are
 * dropped, counted and reported on stderr. Call kh_spool__sync after the
 * attempt to send it. */
int kh_spool__append(kh_spool *sp, const char *msg, size_t len, kh_error *err);
/* The oldest record not yet delivered (valid until the next call); 0, 1
 * when there is none, or KH_EIO. */
int kh_spool__peek(kh_spool *sp, const char **msg, size_t *len, kh_error *err);
/* The oldest record (of @p len bytes: as peek gave it, or as appended
 * last when it was the only one) was delivered. */
void kh_spool__pop(kh_spool *sp, size_t len);
/* If the sync interval has passed (or @p force): fdatasync what was
 * appended when some of it still waits, and write the read position. */
void kh_spool__sync(kh_spool *sp, int force);
/* Counters, readable from any thread. */
size_t kh_spool__records(const kh_spool *sp);
uint64_t kh_spool__bytes(const kh_spool *sp);
unsigned long long kh_spool__dropped(const kh_spool *sp);
uint64_t kh_spool__max_bytes(const kh_spool *sp);
const char *kh_spool__dir(const kh_spool *sp);
/* Close; an empty spool's files and directory are removed. */
void kh_spool__close(kh_spool *sp);

#endif
