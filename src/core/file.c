/*
 * file.c -- read a whole configuration or evidence file, never more than
 * a limit.
 *
 * A regular file is read into a buffer sized from fstat; anything else
 * (a pipe, /dev/stdin, a device such as /dev/zero) has no size, so the
 * buffer doubles as bytes arrive and the read stops one byte past the
 * limit: /dev/zero fails after max_bytes instead of growing until the
 * kernel kills the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

static int too_large(const char *path, const char *what, size_t max, kh_error *err)
{
    if (max >= ((size_t)1 << 20) && max % ((size_t)1 << 20) == 0)
        return kh_error_set(err, KH_ELIMIT, path, 0, 0, "%s '%s' is larger than %zu MiB",
                            what, path, max >> 20);
    return kh_error_set(err, KH_ELIMIT, path, 0, 0, "%s '%s' is larger than %zu bytes", what,
                        path, max);
}

int kh_file__read(const char *path, const char *what, size_t max_bytes, char **buf,
                  size_t *len, kh_error *err)
{
    char *data = NULL;
    size_t n = 0, cap;
    int rc = KH_OK;
    if (max_bytes > SIZE_MAX / 4)
        max_bytes = SIZE_MAX / 4; /* so that max_bytes + 2 cannot overflow */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kh_error_set(err, KH_EIO, path, 0, 0, "cannot open %s: %s", what,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = kh_error_set(err, KH_EIO, path, 0, 0, "cannot read %s '%s': %s", what, path,
                          strerror(errno));
        goto cleanup;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = kh_error_set(err, KH_EIO, path, 0, 0, "cannot read %s '%s': it is a directory",
                          what, path);
        goto cleanup;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes) {
        rc = too_large(path, what, max_bytes, err);
        goto cleanup;
    }
    /* One byte past the file's size (or the limit) shows where it ends. */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    for (;;) {
        if (!data || n == cap) {
            size_t want = data ? (cap > (max_bytes + 1) / 2 ? max_bytes + 1 : cap * 2) : cap;
            char *bigger = realloc(data, want + 1); /* + 1: the terminating NUL */
            if (!bigger) {
                rc = kh_error_set(err, KH_ENOMEM, path, 0, 0, "out of memory");
                goto cleanup;
            }
            data = bigger;
            cap = want;
        }
        ssize_t got = read(fd, data + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = kh_error_set(err, KH_EIO, path, 0, 0, "cannot read %s '%s': %s", what, path,
                              strerror(errno));
            goto cleanup;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max_bytes) {
            rc = too_large(path, what, max_bytes, err);
            goto cleanup;
        }
    }
    data[n] = '\0';
    *buf = data;
    *len = n;
    data = NULL;

cleanup:
    free(data);
    close(fd);
    return rc;
}
