/*
 * root.c -- the node's file system under --root.
 *
 * Every path the audit reads is a node path ("/etc/kubernetes/admin.conf")
 * joined to the root. On an offline copy of a node, symbolic links point
 * at node paths too (/var/run -> /run, /etc/os-release ->
 * ../usr/lib/os-release), so links are resolved here one component at a
 * time and an absolute target starts again at the root: nothing outside
 * the root is read, as chroot would have it. With root "/" the kernel
 * resolves paths itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/array.h"
#include "node/audit.h"

#define MAX_LINKS 40 /* as Linux's MAXSYMLINKS */

/* Append "/name" (len bytes) to buf[*n]. */
static bool append(char *buf, size_t *n, size_t cap, const char *name, size_t len)
{
    if (*n + 1 + len + 1 > cap)
        return false;
    buf[(*n)++] = '/';
    memcpy(buf + *n, name, len);
    *n += len;
    buf[*n] = '\0';
    return true;
}

const char *kh_nd__path(kh_nd_ctx *c, const char *path, bool nofollow)
{
    if (!c->root[0])
        return path;
    size_t rlen = strlen(c->root);
    char done[PATH_MAX];        /* root + resolved node path */
    char rest[2 * PATH_MAX];    /* what is left to walk */
    size_t n = rlen;
    if (rlen >= sizeof(done) || strlen(path) >= sizeof(rest))
        return NULL;
    memcpy(done, c->root, rlen + 1);
    snprintf(rest, sizeof(rest), "%s", path);
    int links = 0;
    char *p = rest;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool last = true;
        for (char *q = p + len; *q; q++)
            if (*q != '/') {
                last = false;
                break;
            }
        if (len == 1 && p[0] == '.') {
            p += len;
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > rlen && done[n - 1] != '/')
                n--;
            if (n > rlen)
                n--;            /* never above the root */
            done[n] = '\0';
            p += len;
            continue;
        }
        size_t before = n;
        if (!append(done, &n, sizeof(done), p, len))
            return NULL;
        p += len;
        if (last && nofollow)
            break;
        char target[PATH_MAX];
        ssize_t t = readlink(done, target, sizeof(target) - 1);
        if (t < 0)
            continue;           /* not a link, or absent: keep the name */
        if (++links > MAX_LINKS)
            return NULL;
        target[t] = '\0';
        char tail[2 * PATH_MAX];
        if (snprintf(tail, sizeof(tail), "%s/%s", target, p) >= (int)sizeof(tail))
            return NULL;
        memcpy(rest, tail, strlen(tail) + 1);
        p = rest;
        n = target[0] == '/' ? rlen : before;
        done[n] = '\0';
    }
    if (n == rlen)
        return kh_arena_printf(c->arena, "%s/", c->root);
    return kh_arena_strdup(c->arena, done);
}

int kh_nd__stat(kh_nd_ctx *c, const char *path, struct stat *st, bool nofollow)
{
    const char *host = kh_nd__path(c, path, nofollow);
    if (!host) {
        errno = ELOOP;
        return -1;
    }
    return nofollow ? lstat(host, st) : stat(host, st);
}

char *kh_nd__read(kh_nd_ctx *c, const char *path, size_t max, size_t *len)
{
    const char *host = kh_nd__path(c, path, false);
    if (!host)
        return NULL;
    struct stat st;
    if (stat(host, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;    /* never open a device or FIFO an image may hold */
    int fd = open(host, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    /* /proc files report size 0: read until the end, at most max. */
    size_t cap = st.st_size > 0 && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 4096;
    char *buf = malloc(cap + 1);
    size_t n = 0;
    while (buf) {
        if (n == cap) {
            if (cap >= max)
                break;
            cap = cap * 2 > max ? max : cap * 2;
            char *bigger = realloc(buf, cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got < 0) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        n += (size_t)got;
    }
    close(fd);
    if (!buf)
        return NULL;
    char *out = kh_arena_strndup(c->arena, buf, n);
    free(buf);
    if (len)
        *len = n;
    return out;
}

/* "name:x:id:..." lines: the name whose third field is @p id. */
static const char *lookup(kh_nd_ctx *c, const char *text, unsigned id)
{
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(end - line));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
        if (c2) {
            char *stop;
            unsigned long v = strtoul(c2 + 1, &stop, 10);
            if (stop != c2 + 1 && (*stop == ':' || stop == end) && v == id)
                return kh_arena_strndup(c->arena, line, (size_t)(c1 - line));
        }
        line = nl ? nl + 1 : NULL;
    }
    return kh_arena_printf(c->arena, "%u", id);
}

const char *kh_nd__user(kh_nd_ctx *c, unsigned uid)
{
    if (!c->passwd_read) {
        c->passwd = kh_nd__read(c, "/etc/passwd", 1 << 22, NULL);
        c->passwd_read = true;
    }
    return lookup(c, c->passwd, uid);
}

const char *kh_nd__group(kh_nd_ctx *c, unsigned gid)
{
    if (!c->group_read) {
        c->group = kh_nd__read(c, "/etc/group", 1 << 22, NULL);
        c->group_read = true;
    }
    return lookup(c, c->group, gid);
}

void kh_nd__error(kh_nd_ctx *c, const kh_error *e)
{
    kh_error *slot = kh_array__push(c->arena, &c->errors, &c->nerrors, sizeof(*slot));
    if (!slot)
        return;
    *slot = *e;
    if (e->file)
        slot->file = kh_arena_strdup(c->arena, e->file);
}
