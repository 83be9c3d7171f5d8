/*
 * yaml_parse.c -- kh-bench-yaml: the baseline for the scan benchmark, a
 * bare libyaml event parse (yaml_parser_parse + yaml_event_delete, nothing
 * built) of the same inputs the scanner reads.
 *
 * Arguments are files, directories (walked as `kubeharden scan` walks them:
 * recursively, names in byte order, hidden entries and symlinked directories
 * skipped, keeping *.yaml, *.yml and *.json) or
 * @LIST, a file naming one input path per line. Each file is read through
 * yaml_parser_set_input_file. A parse error ends that file only and is
 * counted. One summary line goes to stdout: files, bytes, documents,
 * events, errors, seconds and MB/s (1 MB = 10^6 bytes).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

typedef struct totals {
    unsigned long files, documents, events, errors;
    unsigned long long bytes;
} totals;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void parse_file(const char *path, totals *t)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        t->errors++;
        return;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fprintf(stderr, "kh-bench-yaml: out of memory\n");
        exit(1);
    }
    yaml_parser_set_input_file(&parser, f);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            fprintf(stderr, "%s:%lu:%lu: %s\n", path, (unsigned long)parser.problem_mark.line + 1,
                    (unsigned long)parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "parse error");
            t->errors++;
            break;
        }
        yaml_event_type_t type = ev.type;
        yaml_event_delete(&ev);
        t->events++;
        if (type == YAML_DOCUMENT_START_EVENT)
            t->documents++;
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    struct stat st;
    t->files++;
    if (fstat(fileno(f), &st) == 0)
        t->bytes += (unsigned long long)st.st_size;
    yaml_parser_delete(&parser);
    fclose(f);
}

static int wanted(const char *name)
{
    static const char *const suffixes[] = { ".yaml", ".yml", ".json" };
    size_t n = strlen(name);
    for (size_t i = 0; i < 3; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && !strcmp(name + n - k, suffixes[i]))
            return 1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_dir(const char *path, totals *t)
{
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        t->errors++;
        return;
    }
    char **names = NULL; /* full paths; sorting them sorts by entry name */
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names) {
                fprintf(stderr, "kh-bench-yaml: out of memory\n");
                exit(1);
            }
        }
        names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[n]) {
            fprintf(stderr, "kh-bench-yaml: out of memory\n");
            exit(1);
        }
        sprintf(names[n], "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (lstat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
            parse_dir(names[i], t);
        else if (wanted(strrchr(names[i], '/') + 1))
            parse_file(names[i], t);
        free(names[i]);
    }
    free(names);
}

static void parse_path(const char *path, totals *t)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        parse_dir(path, t);
    else
        parse_file(path, t);
}

static void parse_list(const char *list, totals *t)
{
    FILE *f = fopen(list, "r");
    if (!f) {
        perror(list);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > 0)
            parse_path(line, t);
    }
    free(line);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: kh-bench-yaml FILE|DIR|@LIST...\n"
                        "  bare libyaml event parse; prints files, bytes, documents, events,\n"
                        "  errors, seconds and MB/s\n");
        return 2;
    }
    totals t = {0};
    double start = now();
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '@')
            parse_list(argv[i] + 1, &t);
        else
            parse_path(argv[i], &t);
    }
    double secs = now() - start;
    printf("files=%lu bytes=%llu documents=%lu events=%lu errors=%lu seconds=%.4f MB/s=%.1f\n",
           t.files, t.bytes, t.documents, t.events, t.errors, secs,
           secs > 0 ? (double)t.bytes / 1e6 / secs : 0.0);
    return 0;
}
