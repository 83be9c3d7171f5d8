/*
 * pipeline.c -- a two-stage pipeline: the caller's thread parses documents
 * while a worker thread runs the rules over the previous ones and writes
 * their findings.
 *
 * Parsing and checking each take a core's worth of time on a big input, so
 * on two cores the scan takes about as long as the parse alone. Documents
 * travel through a ring of SLOTS slots, each with its own arena: the
 * loader fills the slot at the tail, the worker checks the slot at the
 * head and only then frees it, so a document's memory is reused only after
 * its findings are out. One worker keeps findings in input order, and the
 * ring bounds memory however large the input.
 */
#include <pthread.h>
#include <stdlib.h>

#include "scan/pipeline.h"

#define SLOTS 32
/* The worker, when idle, is woken once this many documents wait, and the
 * loader, when the ring is full, once this many slots are free: a wake-up
 * per document would cost more than checking one, and a full ring would
 * otherwise wake the loader for every slot freed (two context switches a
 * document when checking is the slower stage). */
#define BATCH 8

typedef struct slot {
    kh_arena arena;
    kh_doc doc;
    kh_error err;
    int is_error;
} slot;

struct kh_pipeline {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t has_room;    /* signalled when a slot is freed */
    pthread_cond_t has_work;    /* signalled when a slot is queued, or on quit */
    size_t head, count;         /* the queued slots: head .. head+count-1 (mod SLOTS) */
    int quit;
    int loader_waits, worker_waits; /* signal only a thread that sleeps */
    size_t loader_until;        /* the waiting loader wants count <= this */
    kh_pipeline_fn fn;
    void *ud;
    slot slots[SLOTS];
};

static void *worker(void *arg)
{
    kh_pipeline *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->quit) {
            p->worker_waits = 1;
            pthread_cond_wait(&p->has_work, &p->mu);
            p->worker_waits = 0;
        }
        if (p->count == 0)
            break;
        slot *sl = &p->slots[p->head];
        pthread_mutex_unlock(&p->mu);
        p->fn(p->ud, &sl->arena, &sl->doc, sl->is_error ? &sl->err : NULL);
        pthread_mutex_lock(&p->mu);
        p->head = (p->head + 1) % SLOTS;
        p->count--;
        if (p->loader_waits && p->count <= p->loader_until)
            pthread_cond_signal(&p->has_room);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int kh_pipeline__new(kh_pipeline **out, kh_pipeline_fn fn, void *ud)
{
    kh_pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return KH_ENOMEM;
    p->fn = fn;
    p->ud = ud;
    for (int i = 0; i < SLOTS; i++)
        kh_arena_init(&p->slots[i].arena, 256 * 1024);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->has_room, NULL);
    pthread_cond_init(&p->has_work, NULL);
    if (pthread_create(&p->thread, NULL, worker, p) != 0) {
        pthread_cond_destroy(&p->has_work);
        pthread_cond_destroy(&p->has_room);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return KH_ENOMEM;
    }
    *out = p;
    return KH_OK;
}

int kh_pipeline__load(kh_pipeline *p, kh_doc_reader *r, const char *name)
{
    pthread_mutex_lock(&p->mu);
    if (p->count == SLOTS) {
        p->loader_until = SLOTS - BATCH;
        p->loader_waits = 1;
        while (p->count > SLOTS - BATCH)
            pthread_cond_wait(&p->has_room, &p->mu);
        p->loader_waits = 0;
    }
    slot *sl = &p->slots[(p->head + p->count) % SLOTS];
    pthread_mutex_unlock(&p->mu);

    /* The slot is ours until it is queued: the worker only reads queued ones. */
    kh_arena_reset(&sl->arena);
    sl->err = (kh_error){0};
    int rc = kh_doc_reader_next(r, &sl->arena, &sl->doc, &sl->err);
    if (rc == 0)
        return 0;
    sl->is_error = rc < 0;
    sl->err.file = name;

    pthread_mutex_lock(&p->mu);
    p->count++;
    if (p->worker_waits && p->count >= BATCH)
        pthread_cond_signal(&p->has_work);
    pthread_mutex_unlock(&p->mu);
    return 1;
}

void kh_pipeline__drain(kh_pipeline *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->worker_waits && p->count > 0)
        pthread_cond_signal(&p->has_work);
    p->loader_until = 0;
    p->loader_waits = 1;
    while (p->count > 0)
        pthread_cond_wait(&p->has_room, &p->mu);
    p->loader_waits = 0;
    /* Every document has been checked and its findings delivered: give back
     * what a big one took (a 13 MB List is one document of ~80 MB of nodes),
     * so the set rules that run next do not sit on top of it. */
    for (size_t i = 0; i < SLOTS; i++)
        kh_arena_reset(&p->slots[i].arena);
    pthread_mutex_unlock(&p->mu);
}

void kh_pipeline__free(kh_pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_signal(&p->has_work);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->has_work);
    pthread_cond_destroy(&p->has_room);
    pthread_mutex_destroy(&p->mu);
    for (int i = 0; i < SLOTS; i++)
        kh_arena_free(&p->slots[i].arena);
    free(p);
}
