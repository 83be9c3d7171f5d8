/*
 * json_load.c -- kh-bench-json: the two ways to load one JSON object into
 * the node tree, timed on the same inputs: kh_doc_load_buffer (json.c's
 * events through load.c's builder) and kh_doc_load_json (jsontree.c, one
 * pass). Each FILE is one document, or with --lines one per line (an audit
 * log); the best of RUNS rounds over all of them (a round reads them
 * again until it has read 1 MB), each load into an arena reset in between
 * as the watcher and the webhook do, timed in CPU time (the machine is
 * shared). Inputs that do not load are left out (either way takes the
 * same path for them).
 *
 *   kh-bench-json [--lines] [--runs N] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc/node.h"

typedef struct piece {
    const char *p;
    size_t len;
} piece;

typedef int (*load_fn)(const kh_node **, kh_arena *, const char *, size_t, const char *,
                       kh_error *);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return buf;
}

/* Best seconds of @p runs rounds loading every piece @p reps times; -1 if
 * one fails. */
static double best_of(load_fn load, const piece *ps, size_t n, int runs, size_t reps)
{
    kh_arena arena;
    kh_arena_init(&arena, 0);
    double best = -1;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        for (size_t i = 0; i < n * reps; i++) {
            const kh_node *root;
            kh_error err;
            kh_arena_reset(&arena);
            if (load(&root, &arena, ps[i % n].p, ps[i % n].len, "bench", &err)) {
                fprintf(stderr, "kh-bench-json: piece %zu: %s\n", i, err.message);
                kh_arena_free(&arena);
                return -1;
            }
        }
        double t = now() - t0;
        if (best < 0 || t < best)
            best = t;
    }
    kh_arena_free(&arena);
    return best;
}

int main(int argc, char **argv)
{
    int lines = 0, runs = 5, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--lines"))
            lines = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            break;
    }
    if (i == argc || runs < 1) {
        fprintf(stderr, "usage: kh-bench-json [--lines] [--runs N] FILE...\n");
        return 2;
    }
    piece *ps = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    for (; i < argc; i++) {
        size_t len;
        char *buf = slurp(argv[i], &len);
        if (!buf) {
            fprintf(stderr, "kh-bench-json: cannot read '%s'\n", argv[i]);
            return 1;
        }
        for (size_t a = 0; a < len;) {
            size_t b = lines ? a : len;
            while (b < len && buf[b] != '\n')
                b++;
            if (n == cap) {
                cap = cap ? 2 * cap : 1024;
                ps = realloc(ps, cap * sizeof(*ps));
                if (!ps)
                    return 1;
            }
            if (b > a) {
                ps[n++] = (piece){buf + a, b - a};
                bytes += b - a;
            }
            a = b + 1;
        }
    }
    /* Inputs that do not load (a deliberately bad fixture) are left out. */
    size_t kept = 0, bad = 0;
    kh_arena check;
    kh_arena_init(&check, 0);
    for (size_t k = 0; k < n; k++) {
        const kh_node *root;
        kh_arena_reset(&check);
        if (kh_doc_load_buffer(&root, &check, ps[k].p, ps[k].len, "bench", NULL) == 0)
            ps[kept++] = ps[k];
        else
            bad++, bytes -= ps[k].len;
    }
    kh_arena_free(&check);
    n = kept;
    if (bad)
        printf("%zu inputs that do not load left out\n", bad);
    size_t reps = bytes && bytes < 1000000 ? 1000000 / bytes + 1 : 1;
    double slow = best_of(kh_doc_load_buffer, ps, n, runs, reps);
    double fast = best_of(kh_doc_load_json, ps, n, runs, reps);
    if (slow < 0 || fast < 0)
        return 1;
    printf("%zu documents, %.1f kB, best of %d rounds\n", n, (double)bytes / 1e3, runs);
    printf("kh_doc_load_buffer: %.2f us/document, %.0f MB/s\n", slow / (n * reps) * 1e6,
           (double)(bytes * reps) / 1e6 / slow);
    printf("kh_doc_load_json:   %.2f us/document, %.0f MB/s (%.2f times as fast)\n",
           fast / (n * reps) * 1e6, (double)(bytes * reps) / 1e6 / fast, slow / fast);
    return 0;
}
