/*
 * spool.c -- a sink's on-disk queue: every alert handed to a TCP, TLS or
 * HTTP sink is appended here before it is sent, and leaves only once the
 * sink took it, so a watcher killed at any moment loses nothing (the next
 * run sends what is left first; at worst an alert goes twice, same id).
 *
 * The directory holds append-only segments (%016llx.seg: records of a
 * 4-byte length, a 4-byte FNV-1a checksum and the message) and "ack", the
 * read position (segment, offset) rewritten in place after each delivery;
 * it is also the lock one watcher holds. A delivered segment is deleted.
 * A record cut short by a crash fails its checksum and is cut off at the
 * next start. Beyond the byte bound the oldest records are dropped,
 * counted and reported: never silently. A killed process loses nothing
 * written; for a machine that loses power, what still waits is made
 * durable with fdatasync at most every sync_ms (what was delivered at once
 * needs none). The read position is written at the same pace and every
 * 128 deliveries: losing it only sends a few records again, with their ids.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "watch/spool.h"

#define HEADER 8u
#define MAX_RECORD (64u << 20)

struct kh_spool {
    char *dir;
    const char *who;             /* the sink, for messages */
    int ackfd;                   /* "ack": the read position, and the lock */
    uint64_t head, tail;         /* segments [head, tail] */
    uint64_t head_off;           /* read position in head */
    int rfd;                     /* head, for reading (-1: not open) */
    int wfd;                     /* tail, appended to */
    uint64_t tail_size;
    uint64_t max_bytes, seg_max;
    unsigned sync_ms;
    int64_t last_sync;
    int dirty;                   /* appended since the last fdatasync */
    unsigned ack_dirty;          /* records delivered since the position was written */
    char *buf;                   /* the record peek returned */
    size_t cap, peek_len;
    _Atomic size_t records;
    _Atomic uint64_t bytes;      /* records' bytes, headers included */
    _Atomic unsigned long long dropped;
};

static uint32_t fnv32(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void seg_path(const kh_spool *sp, uint64_t seq, char *out, size_t n)
{
    snprintf(out, n, "%s/%016" PRIx64 ".seg", sp->dir, seq);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Make the directory's entries durable (a new or deleted segment). */
static void sync_dir(const kh_spool *sp)
{
    int fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Write the read position (not synced: see above). */
static void write_ack(kh_spool *sp)
{
    unsigned char b[20];
    put32(b, (uint32_t)sp->head);
    put32(b + 4, (uint32_t)(sp->head >> 32));
    put32(b + 8, (uint32_t)sp->head_off);
    put32(b + 12, (uint32_t)(sp->head_off >> 32));
    put32(b + 16, fnv32((const char *)b, 16));
    if (pwrite(sp->ackfd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
        fprintf(stderr, "kubeharden watch: sink '%s': cannot write '%s/ack': %s\n", sp->who,
                sp->dir, strerror(errno));
}

static int read_ack(kh_spool *sp, uint64_t *seq, uint64_t *off)
{
    unsigned char b[20];
    if (pread(sp->ackfd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
        get32(b + 16) != fnv32((const char *)b, 16))
        return -1;
    *seq = get32(b) | (uint64_t)get32(b + 4) << 32;
    *off = get32(b + 8) | (uint64_t)get32(b + 12) << 32;
    return 0;
}

/* Move past segments read to their end (deleting them) while a later one exists. */
static void advance(kh_spool *sp)
{
    int removed = 0;
    while (sp->head < sp->tail) {
        char p[4200];
        seg_path(sp, sp->head, p, sizeof(p));
        struct stat st;
        if (stat(p, &st) == 0 && sp->head_off < (uint64_t)st.st_size)
            break;
        if (sp->rfd >= 0)
            close(sp->rfd);
        sp->rfd = -1;
        unlink(p);
        removed = 1;
        sp->head++;
        sp->head_off = 0;
    }
    if (removed)
        write_ack(sp);
}

/* Check a segment's records from @p from: count them, and cut the file at
 * the first one that is short or damaged (a crash mid-write). */
static int scan_segment(kh_spool *sp, uint64_t seq, uint64_t *from, kh_error *err)
{
    char p[4200];
    seg_path(sp, seq, p, sizeof(p));
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0
                               : kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot open '%s': %s", p,
                                              strerror(errno));
    struct stat st;
    char *data = NULL;
    if (fstat(fd, &st) != 0 || !(data = malloc((size_t)st.st_size + 1)) ||
        pread(fd, data, (size_t)st.st_size, 0) != st.st_size) {
        free(data);
        close(fd);
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot read '%s'", p);
    }
    uint64_t size = (uint64_t)st.st_size, off = 0, first = UINT64_MAX;
    while (off + HEADER <= size) {
        uint32_t len = get32((unsigned char *)data + off);
        if (len > MAX_RECORD || off + HEADER + len > size ||
            get32((unsigned char *)data + off + 4) != fnv32(data + off + HEADER, len))
            break;
        if (off >= *from) {
            if (first == UINT64_MAX)
                first = off;
            sp->records++;
            sp->bytes += HEADER + len;
        }
        off += HEADER + len;
    }
    free(data);
    if (off < size) {
        fprintf(stderr, "kubeharden watch: sink '%s': spool segment '%s' cut at byte %" PRIu64
                        " (%" PRIu64 " bytes of a record written when the watcher stopped)\n",
                sp->who, p, off, size - off);
        if (ftruncate(fd, (off_t)off) != 0) {
            close(fd);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot repair '%s': %s", p,
                                strerror(errno));
        }
    }
    close(fd);
    *from = first == UINT64_MAX ? off : first;
    return 0;
}

static int open_tail(kh_spool *sp, kh_error *err)
{
    char p[4200];
    seg_path(sp, sp->tail, p, sizeof(p));
    sp->wfd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    if (sp->wfd < 0 || fstat(sp->wfd, &st) != 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot open '%s': %s", p, strerror(errno));
    sp->tail_size = (uint64_t)st.st_size;
    return 0;
}

int kh_spool__open(kh_spool **out, const char *dir, uint64_t max_bytes, unsigned sync_ms,
                   const char *who, kh_error *err)
{
    kh_spool *sp = calloc(1, sizeof(*sp));
    if (!sp || !(sp->dir = strdup(dir))) {
        free(sp);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    sp->who = who;
    sp->rfd = sp->wfd = -1;
    sp->max_bytes = max_bytes ? max_bytes : KH_SPOOL_DEFAULT_BYTES;
    sp->seg_max = sp->max_bytes / 8;
    if (sp->seg_max < 4096)
        sp->seg_max = 4096;
    if (sp->seg_max > (16u << 20))
        sp->seg_max = 16u << 20;
    sp->sync_ms = sync_ms;
    sp->last_sync = mono_ms();
    char p[4200];
    snprintf(p, sizeof(p), "%s/ack", dir);
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
        (sp->ackfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot open spool '%s': %s", dir,
                     strerror(errno));
        sp->ackfd = -1;
        kh_spool__close(sp);
        return KH_EIO;
    }
    if (flock(sp->ackfd, LOCK_EX | LOCK_NB) != 0) {
        kh_error_set(err, KH_EIO, NULL, 0, 0, "spool '%s' is in use by another watcher", dir);
        kh_spool__close(sp);
        return KH_EIO;
    }
    /* The segments there: [min, max]. */
    uint64_t min = UINT64_MAX, max = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char *end;
        unsigned long long seq = strtoull(e->d_name, &end, 16);
        if (end == e->d_name + 16 && strcmp(end, ".seg") == 0) {
            min = seq < min ? seq : min;
            max = seq > max ? seq : max;
        }
    }
    if (d)
        closedir(d);
    uint64_t seq, off;
    if (min == UINT64_MAX) {
        sp->head = sp->tail = 1;
    } else {
        sp->head = min;
        sp->tail = max;
        if (read_ack(sp, &seq, &off) == 0 && seq >= min && seq <= max) {
            sp->head = seq;
            sp->head_off = off;
        }
        for (uint64_t s = min; s < sp->head; s++) { /* delivered before the stop */
            seg_path(sp, s, p, sizeof(p));
            unlink(p);
        }
        for (uint64_t s = sp->head; s <= sp->tail; s++) {
            uint64_t from = s == sp->head ? sp->head_off : 0;
            if (scan_segment(sp, s, &from, err) != 0) {
                kh_spool__close(sp);
                return KH_EIO;
            }
            if (s == sp->head)
                sp->head_off = from;
        }
    }
    if (open_tail(sp, err) != 0) {
        kh_spool__close(sp);
        return KH_EIO;
    }
    advance(sp);
    write_ack(sp);
    *out = sp;
    return 0;
}

void kh_spool__sync(kh_spool *sp, int force)
{
    if ((!sp->dirty && !sp->ack_dirty) ||
        (!force && mono_ms() - sp->last_sync < (int64_t)sp->sync_ms))
        return;
    if (sp->dirty && sp->records && fdatasync(sp->wfd) != 0)
        fprintf(stderr, "kubeharden watch: sink '%s': cannot sync spool '%s': %s\n", sp->who,
                sp->dir, strerror(errno));
    if (sp->ack_dirty)
        write_ack(sp);
    sp->dirty = sp->ack_dirty = 0;
    sp->last_sync = mono_ms();
}

/* The record length at the read position, or 0 when it cannot be read. */
static int read_record(kh_spool *sp, kh_error *err)
{
    advance(sp);
    if (sp->rfd < 0) {
        char p[4200];
        seg_path(sp, sp->head, p, sizeof(p));
        if ((sp->rfd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot open '%s': %s", p,
                                strerror(errno));
    }
    unsigned char h[HEADER];
    if (pread(sp->rfd, h, HEADER, (off_t)sp->head_off) != HEADER)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot read spool '%s': %s", sp->dir,
                            errno ? strerror(errno) : "short record");
    uint32_t len = get32(h);
    if (len > MAX_RECORD)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "damaged record in spool '%s'", sp->dir);
    if (len + 1 > sp->cap) {
        char *b = realloc(sp->buf, len + 1);
        if (!b)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        sp->buf = b;
        sp->cap = len + 1;
    }
    if (pread(sp->rfd, sp->buf, len, (off_t)(sp->head_off + HEADER)) != (ssize_t)len ||
        get32(h + 4) != fnv32(sp->buf, len))
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "damaged record in spool '%s'", sp->dir);
    sp->buf[len] = '\0';
    sp->peek_len = len;
    return 0;
}

int kh_spool__peek(kh_spool *sp, const char **msg, size_t *len, kh_error *err)
{
    if (!sp->records)
        return 1;
    int rc = read_record(sp, err);
    if (rc)
        return rc;
    *msg = sp->buf;
    *len = sp->peek_len;
    return 0;
}

void kh_spool__pop(kh_spool *sp, size_t len)
{
    sp->head_off += HEADER + len;
    sp->records--;
    sp->bytes -= HEADER + len;
    /* Written at the sync pace, and every 128 deliveries: a burst that
     * a kill interrupts resends at most that many (same ids). */
    if (++sp->ack_dirty >= 128) {
        write_ack(sp);
        sp->ack_dirty = 0;
    }
    advance(sp);
}

int kh_spool__append(kh_spool *sp, const char *msg, size_t len, kh_error *err)
{
    uint64_t rec = HEADER + len;
    if (len > MAX_RECORD || rec > sp->max_bytes) {
        sp->dropped++;
        fprintf(stderr, "kubeharden watch: sink '%s': alert of %zu bytes larger than the spool "
                        "bound: dropped (%llu dropped in all)\n", sp->who, len,
                (unsigned long long)sp->dropped);
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "alert larger than the spool bound");
    }
    /* The oldest make room: counted, and said aloud. */
    unsigned long dropped = 0;
    while (sp->records && sp->bytes + rec > sp->max_bytes) {
        kh_error rerr = {0};
        if (read_record(sp, &rerr) != 0) {
            fprintf(stderr, "kubeharden watch: sink '%s': %s\n", sp->who, rerr.message);
            break;
        }
        kh_spool__pop(sp, sp->peek_len);
        sp->dropped++;
        dropped++;
    }
    if (dropped) {
        write_ack(sp); /* at once: a drop must not come back after a crash */
        sp->ack_dirty = 0;
        fprintf(stderr, "kubeharden watch: sink '%s': spool '%s' full (%" PRIu64 " bytes): "
                        "%lu oldest alerts dropped (%llu dropped in all)\n", sp->who, sp->dir,
                sp->max_bytes, dropped, (unsigned long long)sp->dropped);
    }
    if (sp->tail_size >= sp->seg_max) {
        /* A new segment, so delivered ones can be deleted whole. */
        kh_spool__sync(sp, 1);
        close(sp->wfd);
        sp->tail++;
        if (open_tail(sp, err) != 0)
            return KH_EIO;
        sync_dir(sp);
        advance(sp);
    }
    unsigned char h[HEADER];
    put32(h, (uint32_t)len);
    put32(h + 4, fnv32(msg, len));
    struct iovec iov[2] = {{h, HEADER}, {(void *)msg, len}};
    ssize_t n = writev(sp->wfd, iov, 2);
    if (n != (ssize_t)rec) {
        int e = n < 0 ? errno : ENOSPC;
        if (ftruncate(sp->wfd, (off_t)sp->tail_size) != 0) /* no half record left behind */
            e = errno;
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot append to spool '%s': %s", sp->dir,
                            strerror(e));
    }
    sp->tail_size += rec;
    sp->records++;
    sp->bytes += rec;
    sp->dirty = 1;
    return 0;
}

size_t kh_spool__records(const kh_spool *sp)
{
    return sp->records;
}

uint64_t kh_spool__bytes(const kh_spool *sp)
{
    return sp->bytes;
}

unsigned long long kh_spool__dropped(const kh_spool *sp)
{
    return sp->dropped;
}

uint64_t kh_spool__max_bytes(const kh_spool *sp)
{
    return sp->max_bytes;
}

const char *kh_spool__dir(const kh_spool *sp)
{
    return sp->dir;
}

void kh_spool__close(kh_spool *sp)
{
    if (!sp)
        return;
    if (sp->wfd >= 0)
        kh_spool__sync(sp, 1);
    int empty = sp->ackfd >= 0 && sp->wfd >= 0 && sp->records == 0;
    if (sp->rfd >= 0)
        close(sp->rfd);
    if (sp->wfd >= 0)
        close(sp->wfd);
    if (empty) {
        /* Everything delivered: nothing to keep. */
        char p[4200];
        for (uint64_t s = sp->head; s <= sp->tail; s++) {
            seg_path(sp, s, p, sizeof(p));
            unlink(p);
        }
        snprintf(p, sizeof(p), "%s/ack", sp->dir);
        unlink(p);
        rmdir(sp->dir);
    }
    if (sp->ackfd >= 0)
        close(sp->ackfd); /* and the lock with it */
    free(sp->buf);
    free(sp->dir);
    free(sp);
}
