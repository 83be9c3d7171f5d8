/*
 * paths.c -- the inputs a user names: files, directories and "-".
 *
 * Directories are walked recursively in byte order of entry names, so the
 * output is the same on every machine; hidden entries and symlinked
 * directories are skipped. Each file is handed to kh_scan_stream; an
 * unreadable path is reported as an error finding and the walk goes on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scan/scanner.h"

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

static int io_error(kh_scanner *s, const char *path, const char *what, kh_error *err)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
    kh_scanner__error(s, path, 0, 0, msg);
    return kh_error_set(err, KH_EIO, path, 0, 0, "%s", msg);
}

static int scan_file(kh_scanner *s, const char *path, kh_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return io_error(s, path, "cannot open", err);
    int rc = kh_scan_stream(s, f, path, err);
    fclose(f);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a directory's entry names, sorted bytewise; hidden entries skipped. */
static int list_dir(const char *path, char ***out, size_t *count)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **bigger = realloc(names, cap * sizeof(char *));
            if (!bigger)
                break;
            names = bigger;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(char *), name_cmp);
    *out = names;
    *count = n;
    return 0;
}

static int scan_dir(kh_scanner *s, const char *path, int depth, kh_error *err)
{
    char **names;
    size_t n;
    if (depth > 256)
        return KH_OK; /* deeper than any real tree */
    if (list_dir(path, &names, &n) != 0)
        return io_error(s, path, "cannot read directory", err);
    int rc = KH_OK;
    for (size_t i = 0; i < n && !kh_scanner__stopped(s); i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = malloc(len);
        if (!child)
            break;
        snprintf(child, len, "%s%s%s", path,
                 path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
        /* Symlinked directories are not followed (loops); symlinked files are. */
        struct stat st;
        int is_dir = lstat(child, &st) == 0 && S_ISDIR(st.st_mode);
        if (is_dir) {
            int r = scan_dir(s, child, depth + 1, err);
            rc = rc ? rc : r;
        } else if (has_manifest_suffix(names[i])) {
            int r = scan_file(s, child, err);
            rc = rc ? rc : r;
        }
        free(child);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int kh_scan_path(kh_scanner *s, const char *path, kh_error *err)
{
    if (strcmp(path, "-") == 0)
        return kh_scan_stream(s, stdin, "<stdin>", err);
    struct stat st;
    if (stat(path, &st) != 0)
        return io_error(s, path, "cannot open", err);
    if (S_ISDIR(st.st_mode))
        return scan_dir(s, path, 0, err);
    return scan_file(s, path, err);
}
