/*
 * pipeline.h -- load documents on one thread, check them on another.
 */
#ifndef KH_SCAN_PIPELINE_H
#define KH_SCAN_PIPELINE_H

#include "doc/node.h"

typedef struct kh_pipeline kh_pipeline;

/* The second stage: called on the pipeline's thread, one document at a
 * time and in input order, with the arena the document lives in (rules may
 * allocate from it) and either the document or its load error. */
typedef void (*kh_pipeline_fn)(void *ud, kh_arena *arena, const kh_doc *doc,
                               const kh_error *err);

int kh_pipeline__new(kh_pipeline **out, kh_pipeline_fn fn, void *ud);

/* Load the next document of @p r into a free slot (waiting for one) and
 * queue it. @return 1 when a document or a load error was queued, 0 at
 * the end of the stream. Errors carry @p name, which must stay valid
 * until kh_pipeline__drain returns. */
int kh_pipeline__load(kh_pipeline *p, kh_doc_reader *r, const char *name);

/* Wait until every queued document has been checked; then give back the
 * slots' memory beyond one block each. */
void kh_pipeline__drain(kh_pipeline *p);

/* Stop the thread and free everything; NULL is a no-op. */
void kh_pipeline__free(kh_pipeline *p);

#endif
