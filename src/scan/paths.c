/*
 * paths.c -- the inputs a user names: files, directories and "-".
 *
 * Directories are walked recursively in byte order of entry names, so the
 * output is the same on every machine; hidden entries and symlinked
 * directories are skipped. Each file is handed to kh_scan_stream. What is
 * named on the command line is read whatever it is (a FIFO or
 * /dev/stdin is a stream, like "-"); what a walk finds is read only when it
 * is a regular file, since a FIFO or device under a manifest's name would
 * hang the scan. Everything not scanned that could hold manifests (an
 * unreadable path, a FIFO or device named *.yaml, a tree deeper than
 * KH_WALK_MAX_DEPTH, a path over PATH_MAX) is an error finding naming it,
 * and the walk goes on: nothing is skipped silently.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan/scanner.h"

/* Directories below this many levels under a named one are not walked:
 * deeper than any real tree, and a bound on the walk's recursion. */
#define KH_WALK_MAX_DEPTH 256

static int has_manifest_suffix(const char *name)
{
    size_t n = strlen(name);
    static const char *const suffixes[] = {".yaml", ".yml", ".json"};
    for (size_t i = 0; i < 3; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

/* Report @p message about @p path as an error finding; KH_EIO. */
static int path_error(kh_scanner *s, const char *path, const char *message, kh_error *err)
{
    kh_scanner__error(s, path, 0, 0, message);
    return kh_error_set(err, KH_EIO, path, 0, 0, "%s", message);
}

/* "@p what: strerror(@p errnum)" about @p path. */
static int io_error(kh_scanner *s, const char *path, const char *what, int errnum,
                    kh_error *err)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errnum));
    return path_error(s, path, msg, err);
}

static const char *file_type(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "a special file";
}

static int scan_file(kh_scanner *s, const char *path, kh_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return io_error(s, path, "cannot open", errno, err);
    int rc = kh_scan_stream(s, f, path, err);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------ the walk */

/* A directory entry and what lstat (and, for a symlink, stat) said. */
typedef struct entry {
    char *name;
    int errnum;               /* lstat's, or the symlink target's stat's; 0 = ok */
    int is_link;
    mode_t mode;              /* the entry's, or its target's when a symlink */
} entry;

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void free_entries(entry *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
}

/* Read a directory's entries, sorted bytewise, hidden ones skipped; each is
 * stat'ed through the directory's descriptor, so that an entry whose full
 * path is too long still says what it is. 0, or an errno. */
static int list_dir(const char *path, entry **out, size_t *count)
{
    DIR *d = opendir(path);
    if (!d)
        return errno;
    entry *list = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            rc = errno;
            break;
        }
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            entry *bigger = realloc(list, ncap * sizeof(entry));
            if (!bigger) {
                rc = ENOMEM;
                break;
            }
            list = bigger;
            cap = ncap;
        }
        entry *it = &list[n];
        memset(it, 0, sizeof(*it));
        if (!(it->name = strdup(e->d_name))) {
            rc = ENOMEM;
            break;
        }
        n++;
        struct stat st;
        if (fstatat(dirfd(d), it->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            it->errnum = errno;
            continue;
        }
        it->is_link = S_ISLNK(st.st_mode);
        if (it->is_link && fstatat(dirfd(d), it->name, &st, 0) != 0)
            it->errnum = errno;
        it->mode = st.st_mode;
    }
    closedir(d);
    if (rc) {
        free_entries(list, n);
        return rc;
    }
    if (n)
        qsort(list, n, sizeof(entry), entry_cmp);
    *out = list;
    *count = n;
    return 0;
}

static int scan_dir(kh_scanner *s, const char *path, int depth, kh_error *err);

/* One entry of a directory being walked, at @p child. */
static int scan_entry(kh_scanner *s, const entry *e, const char *child, int depth,
                      kh_error *err)
{
    /* Symlinked directories are not followed (loops); symlinked files are. */
    int is_dir = !e->errnum && S_ISDIR(e->mode);
    if (is_dir && e->is_link)
        return KH_OK;
    /* An entry that cannot be stat'ed may be a directory of manifests; a
     * dangling symlink matters only under a manifest's name. */
    if (!is_dir && !has_manifest_suffix(e->name) && (e->is_link || !e->errnum))
        return KH_OK;
    if (strlen(child) >= PATH_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "not scanned: the path is longer than PATH_MAX (%d bytes)",
                 PATH_MAX);
        return path_error(s, child, msg, err);
    }
    if (e->errnum)
        return io_error(s, child, "cannot open", e->errnum, err);
    if (is_dir) {
        if (depth + 1 > KH_WALK_MAX_DEPTH) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "not scanned: the directory is nested more than %d levels deep",
                     KH_WALK_MAX_DEPTH);
            return path_error(s, child, msg, err);
        }
        return scan_dir(s, child, depth + 1, err);
    }
    if (!S_ISREG(e->mode)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "not scanned: %s, not a regular file (name it as an "
                 "argument to read it as a stream)",
                 file_type(e->mode));
        return path_error(s, child, msg, err);
    }
    return scan_file(s, child, err);
}

static int scan_dir(kh_scanner *s, const char *path, int depth, kh_error *err)
{
    entry *list = NULL;
    size_t n = 0;
    int errnum = list_dir(path, &list, &n);
    if (errnum)
        return io_error(s, path, "cannot read directory", errnum, err);
    int rc = KH_OK;
    size_t plen = strlen(path);
    const char *sep = plen && path[plen - 1] == '/' ? "" : "/";
    for (size_t i = 0; i < n && !kh_scanner__stopped(s); i++) {
        size_t len = plen + strlen(list[i].name) + 2;
        char *child = malloc(len);
        if (!child) {
            int r = path_error(s, path, "out of memory", err);
            rc = rc ? rc : r;
            break;
        }
        snprintf(child, len, "%s%s%s", path, sep, list[i].name);
        int r = scan_entry(s, &list[i], child, depth, err);
        rc = rc ? rc : r;
        free(child);
    }
    free_entries(list, n);
    return rc;
}

/* ------------------------------------------------------------ the door */

int kh_scan_path(kh_scanner *s, const char *path, kh_error *err)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        /* A closed stdin (`<&-`; the tool holds it with a write-only
         * /dev/null) or a directory would otherwise read as an unexplained
         * input error. */
        int flags = fcntl(STDIN_FILENO, F_GETFL);
        if (flags < 0 || fstat(STDIN_FILENO, &st) != 0)
            return io_error(s, "<stdin>", "cannot read standard input", errno, err);
        if ((flags & O_ACCMODE) == O_WRONLY)
            return path_error(s, "<stdin>",
                              "cannot read standard input: it is closed, or open for "
                              "writing only",
                              err);
        if (S_ISDIR(st.st_mode))
            return path_error(s, "<stdin>", "cannot read standard input: it is a directory",
                              err);
        return kh_scan_stream(s, stdin, "<stdin>", err);
    }
    if (stat(path, &st) != 0)
        return io_error(s, path, "cannot open", errno, err);
    if (S_ISDIR(st.st_mode))
        return scan_dir(s, path, 0, err);
    return scan_file(s, path, err);
}
