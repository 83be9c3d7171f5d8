/*
 * input.h -- the byte window the document reader reads through, shared by
 * load.c (libyaml, one chunk at a time) and json.c (JSON streams).
 *
 * Internal to src/doc. Offsets are absolute (bytes from the start of the
 * input); the window holds [base, base + len) and drops what lies before
 * `keep` when it needs room, so memory follows the largest document, not
 * the file.
 */
#ifndef KH_DOC_INPUT_H
#define KH_DOC_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kubeharden.h"

/* A line:column cursor that counts as libyaml does: CR, LF, CRLF, NEL, LS
 * and PS end a line, columns count code points. */
typedef struct kh_doc_lc {
    unsigned line, col;     /* 1-based */
    unsigned char p1, p2;   /* the two bytes before the cursor */
} kh_doc_lc;

typedef struct kh_doc_input {
    FILE *in;               /* stream input, or NULL for a buffer */
    const char *data;       /* the window: data[0] is byte `base` */
    char *win;              /* stream window storage */
    size_t cap;
    size_t base, len;
    size_t pos;             /* next byte to consume */
    size_t keep;            /* bytes from here on stay in the window... */
    bool soft;              /* ...unless the window is full: then keep moves
                               forward and keep_lc follows it */
    kh_doc_lc keep_lc;      /* position of `keep`, when soft */
    bool eof;               /* nothing more to read (always, for buffers) */
    bool failed;            /* the stream reported a read error */
} kh_doc_input;

/* Read more of the stream; false at end of input or on a read error. */
bool kh_doc_input__more(kh_doc_input *in);
/* Byte at absolute offset @p off (which must be in the window). */
static inline unsigned char kh_doc_input__at(const kh_doc_input *in, size_t off)
{
    return (unsigned char)in->data[off - in->base];
}
/* Next byte without consuming it, or -1 at the end of input. */
static inline int kh_doc_input__peek(kh_doc_input *in)
{
    if (in->pos == in->base + in->len && !kh_doc_input__more(in))
        return -1;
    return kh_doc_input__at(in, in->pos);
}
/* Move @p lc over the bytes [from, to) of the window. */
void kh_doc_input__count(const kh_doc_input *in, size_t from, size_t to,
                         kh_doc_lc *lc);

/*
 * YAML chunks: the stream cut at document separator lines, as kubectl's
 * YAMLReader cuts it, so that each document is parsed by a fresh libyaml
 * parser and an error in one cannot hide the others.
 */
typedef struct kh_doc_chunk {
    kh_doc_input *in;
    size_t start;           /* first byte given to libyaml */
    size_t end;             /* first byte after the chunk, SIZE_MAX while unknown */
    size_t safe;            /* bytes before this belong to the chunk */
    size_t line_at;         /* next line start to examine, SIZE_MAX within a line */
    kh_doc_lc lc;           /* position of `start` */
    bool directive;         /* a %-directive line since the chunk began */
    bool whole;             /* never cut (UTF-16 input) */
} kh_doc_chunk;

/* Start a chunk at in->pos (a line start), skipping a "---#..." separator
 * line there. @return false at the end of the input. */
bool kh_doc_chunk__begin(kh_doc_chunk *c);
/* libyaml read handler over the chunk (data is the kh_doc_chunk). */
int kh_doc_chunk__read(void *data, unsigned char *buf, size_t size,
                       size_t *size_read);
/* Consume the rest of the chunk and leave c->lc at its end. */
void kh_doc_chunk__skip(kh_doc_chunk *c);

/* JSON streams (json.c): the parser state lives in the reader. */
#define KH_DOC_JSON_STACK 260   /* more than KH_DOC_MAX_DEPTH + 1 */

typedef struct kh_doc_json {
    unsigned char stack[KH_DOC_JSON_STACK];  /* '{' or '[' per open level */
    size_t depth;
    int expect;             /* what comes next (json.c's J_* values) */
    kh_doc_lc lc;           /* position of in->pos */
    char *text;             /* the current scalar, decoded */
    size_t text_len, text_cap;
} kh_doc_json;

/*
 * The next libyaml-shaped event of a JSON stream (Go's encoding/json
 * syntax, values back to back as json.Decoder reads them): document start
 * and end around each top-level value. Scalars point into j->text and must
 * not be passed to yaml_event_delete. Marks are 0-based lines and columns
 * of the whole input.
 * @return 1 with an event, 0 at the end of the input, or KH_EPARSE /
 * KH_ENOMEM / KH_EIO with err set.
 */
struct yaml_event_s;
int kh_doc_json__event(kh_doc_json *j, kh_doc_input *in, const char *file,
                       struct yaml_event_s *ev, kh_error *err);

#endif
