/*
 * bench_load.c -- loader throughput against a bare libyaml event loop.
 *
 * Not a test (CTest only runs test_*.c). Times, best of N rounds over the
 * files named on stdin (held in memory), a bare yaml_parser_parse loop and
 * kh_doc_reader building the tree, and prints the speed ratio. Build:
 *   gcc -std=c11 -O2 -D_DEFAULT_SOURCE -Iinclude -Isrc src/core/[a-z]*.c
 *       src/doc/[a-z]*.c tests/unit/doc/bench_load.c -lyaml -o /tmp/bench_load
 */
#include "doc/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

typedef struct input {
    char *buf;
    size_t len;
} input;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int slurp(input *in, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    in->buf = malloc((size_t)n + 1);
    in->len = in->buf ? fread(in->buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return in->buf ? 0 : -1;
}

static size_t bare(const input *in)
{
    yaml_parser_t p;
    yaml_event_t ev;
    size_t events = 0;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)in->buf, in->len);
    while (yaml_parser_parse(&p, &ev)) {
        int done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        events++;
        if (done)
            break;
    }
    yaml_parser_delete(&p);
    return events;
}

static size_t tree(const input *in, kh_arena *arena)
{
    kh_doc_reader *r;
    kh_doc doc;
    kh_error err;
    size_t docs = 0;
    int rc;
    kh_doc_reader_new_buffer(&r, in->buf, in->len, "bench", &err);
    while ((rc = kh_doc_reader_next(r, arena, &doc, &err)) != 0) {
        docs += rc > 0;
        kh_arena_reset(arena);
    }
    kh_doc_reader_free(r);
    return docs;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    input *ins = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    char path[4096];
    while (fgets(path, sizeof(path), stdin)) {
        path[strcspn(path, "\n")] = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            ins = realloc(ins, cap * sizeof(*ins));
        }
        if (slurp(&ins[n], path) == 0)
            bytes += ins[n++].len;
    }
    kh_arena arena;
    kh_arena_init(&arena, 0);
    double best_bare = 1e9, best_tree = 1e9;
    size_t events = 0, docs = 0;
    for (int round = 0; round < rounds; round++) {
        double t0 = now();
        events = 0;
        for (size_t i = 0; i < n; i++)
            events += bare(&ins[i]);
        double t1 = now();
        docs = 0;
        for (size_t i = 0; i < n; i++)
            docs += tree(&ins[i], &arena);
        double t2 = now();
        best_bare = t1 - t0 < best_bare ? t1 - t0 : best_bare;
        best_tree = t2 - t1 < best_tree ? t2 - t1 : best_tree;
    }
    printf("%zu files, %.1f MB, %zu events, %zu documents\n", n, bytes / 1e6,
           events, docs);
    printf("bare libyaml: %.3f s (%.1f MB/s)\n", best_bare, bytes / 1e6 / best_bare);
    printf("kh tree:      %.3f s (%.1f MB/s)\n", best_tree, bytes / 1e6 / best_tree);
    printf("ratio tree/bare speed: %.2f\n", best_bare / best_tree);
    kh_arena_free(&arena);
    for (size_t i = 0; i < n; i++)
        free(ins[i].buf);
    free(ins);
    return 0;
}
