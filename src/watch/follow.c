/*
 * follow.c -- reading audit logs line by line, and following them as
 * `tail -F` does.
 *
 * Bytes are read in large blocks and cut at newlines; a line longer than
 * the buffer grows it (up to 64 MiB, past which the line is an error and
 * skipped). When following, end of file means "wait": every poll interval
 * the path is stat'ed, and another inode there (the log was rotated) or a
 * size below what was read (it was truncated) makes the watcher finish
 * what is left of the open file and start again at the new file's start.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "watch/internal.h"

#define BLOCK (1u << 20)
#define MAX_LINE (64u << 20)

typedef struct reader {
    int fd;
    char *buf;
    size_t cap, len;             /* buf[0..len): bytes not yet judged */
    unsigned line;               /* lines judged so far */
    off_t offset;                /* bytes read from fd */
    bool skipping;               /* inside an over-long line: drop to its newline */
} reader;

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Judge every complete line in the buffer (and, at @p eof, the last one
 * without a newline). */
static int drain(kh_watch *w, reader *r, const char *label, bool eof)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(r->buf + start, '\n', r->len - start);
        size_t end = nl ? (size_t)(nl - r->buf) : r->len;
        if (!nl && !(eof && end > start))
            break;
        r->line++;
        if (r->skipping) {
            r->skipping = false;
        } else {
            kh_error err = {0};
            int rc = kh_watch_line(w, r->buf + start, end - start, label, r->line, &err);
            if (rc == KH_ENOMEM)
                return rc;
        }
        start = nl ? end + 1 : end;
        if (kh_watch__stopped(w))
            return 0;
    }
    memmove(r->buf, r->buf + start, r->len - start);
    r->len -= start;
    return 0;
}

/* Read what the file has now; 1 when something was read, 0 at its end,
 * KH_EIO on a read error. */
static int fill(reader *r, const char *label)
{
    if (r->len == r->cap) {
        if (r->cap >= MAX_LINE) {
            /* One line filled 64 MiB: drop it up to its end, and say so. */
            fprintf(stderr, "kubeharden watch: %s:%u: line longer than 64 MiB skipped\n",
                    label, r->line + 1);
            r->len = 0;
            r->skipping = true;
        } else {
            size_t cap = r->cap * 2;
            char *b = realloc(r->buf, cap);
            if (!b)
                return KH_ENOMEM;
            r->buf = b;
            r->cap = cap;
        }
    }
    ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (n < 0)
        return errno == EINTR ? 1 : KH_EIO;
    r->len += (size_t)n;
    r->offset += n;
    if (r->skipping && n > 0) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t cut = (size_t)(nl - r->buf) + 1;
            memmove(r->buf, r->buf + cut, r->len - cut);
            r->len -= cut;
            r->skipping = false;
            r->line++;
        } else {
            r->len = 0;
        }
    }
    return n > 0;
}

int kh_watch_path(kh_watch *w, const char *path, int follow, unsigned poll_ms,
                  volatile sig_atomic_t *stop, kh_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *label = is_stdin ? "<stdin>" : path;
    reader r = {.fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC)};
    if (r.fd < 0)
        return kh_error_set(err, KH_EIO, path, 0, 0, "cannot open '%s': %s", path,
                            strerror(errno));
    if (!(r.buf = malloc(BLOCK))) {
        if (!is_stdin)
            close(r.fd);
        return kh_error_set(err, KH_ENOMEM, path, 0, 0, "out of memory");
    }
    r.cap = BLOCK;
    kh_watch_set_source(w, is_stdin ? "stdin" : "file");
    if (poll_ms == 0)
        poll_ms = 250;
    int rc = 0;
    for (;;) {
        if (stop && *stop)
            break;
        int got = fill(&r, label);
        if (got < 0) {
            rc = got == KH_ENOMEM ? kh_error_set(err, KH_ENOMEM, path, 0, 0, "out of memory")
                                  : kh_error_set(err, KH_EIO, path, 0, 0, "cannot read '%s': %s",
                                                 path, strerror(errno));
            break;
        }
        if ((rc = drain(w, &r, label, got == 0 && (!follow || is_stdin))) != 0 ||
            kh_watch__stopped(w))
            break;
        struct stat fst; /* for /metrics: how far behind the file's end */
        if (!is_stdin && fstat(r.fd, &fst) == 0)
            kh_watch_set_behind(w, (long long)fst.st_size - (long long)(r.offset - (off_t)r.len));
        if (got)
            continue;
        if (!follow || is_stdin)
            break; /* a pipe at its end has no writer left: nothing more will come */
        /* At the end of the file: has the path been rotated or truncated? */
        struct stat now, open_st;
        if (!is_stdin && fstat(r.fd, &open_st) == 0) {
            bool rotated = stat(path, &now) == 0 &&
                           (now.st_ino != open_st.st_ino || now.st_dev != open_st.st_dev);
            bool truncated = !rotated && open_st.st_size < r.offset;
            if (rotated) {
                /* Lines may have reached the old file between our last
                 * read and the stat: read it to its end again. */
                int more;
                while ((more = fill(&r, label)) > 0)
                    if (drain(w, &r, label, false) != 0 || kh_watch__stopped(w))
                        break;
            }
            if (rotated || truncated) {
                /* A last line without a newline ends with its file. */
                drain(w, &r, label, true);
                r.len = 0;
                r.line = 0;
                r.offset = 0;
                r.skipping = false;
                if (truncated) {
                    lseek(r.fd, 0, SEEK_SET);
                    continue;
                }
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                    close(r.fd);
                    r.fd = fd;
                    continue;
                }
            }
        }
        kh_watch__idle(w);
        sleep_ms(poll_ms);
    }
    if (!rc && !kh_watch__stopped(w))
        /* Stopped (SIGTERM) while following: the complete lines read, and
         * a last line without newline only at the file's end (mid-file it
         * is a block's cut, not a line). */
        drain(w, &r, label, fill(&r, label) == 0);
    if (!is_stdin)
        close(r.fd);
    free(r.buf);
    return rc;
}
