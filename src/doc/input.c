/*
 * input.c -- the reader's byte window, and YAML streams cut into chunks.
 *
 * A stream is read in 64 KiB blocks into a window that keeps the current
 * chunk (past 256 KiB only its tail, counting positions as it moves on), so
 * memory follows the document, not the file. Chunks are cut as kubectl's
 * YAMLReader cuts a stream, at lines starting with "---"; each goes to a
 * fresh libyaml parser, so an error or a bad byte spoils one document only.
 */
#include "doc/input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (64u << 10)           /* bytes read at a time */
#define SOFT_MAX (256u << 10)       /* window size beyond which `keep` moves */
#define RAW_SLACK (64u << 10)       /* bytes libyaml may hold undecoded */

/* ------------------------------------------------------------- the window */

void kh_doc_input__count(const kh_doc_input *in, size_t from, size_t to,
                         kh_doc_lc *lc)
{
    const unsigned char *p = (const unsigned char *)in->data + (from - in->base);
    unsigned line = lc->line, col = lc->col;
    unsigned char p1 = lc->p1, p2 = lc->p2;
    for (size_t i = 0, n = to - from; i < n; i++) {
        unsigned char b = p[i];
        if (b == '\n') {
            if (p1 != '\r') /* CRLF is one break, counted at the CR */
                line++, col = 1;
        } else if (b == '\r') {
            line++, col = 1;
        } else if ((b & 0xc0) != 0x80) {
            col++;
        } else if ((b == 0x85 && p1 == 0xc2) ||
                   ((b == 0xa8 || b == 0xa9) && p1 == 0x80 && p2 == 0xe2)) {
            line++, col = 1; /* NEL, LS, PS: libyaml's other line breaks */
        }
        p2 = p1;
        p1 = b;
    }
    lc->line = line;
    lc->col = col;
    lc->p1 = p1;
    lc->p2 = p2;
}

bool kh_doc_input__more(kh_doc_input *in)
{
    if (in->eof)
        return false;
    if (in->soft && in->len - (in->keep - in->base) >= SOFT_MAX &&
        in->pos > in->keep + RAW_SLACK) {
        size_t to = in->pos - RAW_SLACK;
        kh_doc_input__count(in, in->keep, to, &in->keep_lc);
        in->keep = to;
    }
    if (in->cap - in->len < BLOCK) {
        size_t drop = in->keep - in->base;
        if (drop >= BLOCK || (drop && drop >= in->len - drop)) {
            memmove(in->win, in->win + drop, in->len - drop);
            in->base += drop;
            in->len -= drop;
        }
        if (in->cap - in->len < BLOCK) {
            size_t cap = in->cap ? 2 * in->cap : 2 * BLOCK;
            char *w = realloc(in->win, cap);
            if (!w) {
                in->failed = true;
                in->eof = true;
                return false;
            }
            in->win = w;
            in->cap = cap;
        }
        in->data = in->win;
    }
    size_t n = fread(in->win + in->len, 1, BLOCK, in->in);
    in->len += n;
    if (n == 0) {
        in->failed = ferror(in->in) != 0;
        in->eof = true;
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- chunks */

enum { LINE_OTHER, LINE_SEPARATOR, LINE_DROPPED, LINE_DIRECTIVE };

/*
 * What the line at @p at is. kubectl takes a line starting with "---" as
 * a separator when what follows is blank or a comment. "---" followed by
 * a blank is also YAML's own document marker, so that line goes to libyaml
 * with its document; "---#..." is not YAML's, so it is dropped, as kubectl
 * drops every separator line. kubectl refuses any other "---..." line (the
 * whole stream fails); here "--- !!map" and the like stay YAML's business.
 */
static int line_kind(const kh_doc_input *in, size_t at, size_t have)
{
    size_t n = have - at < 4 ? have - at : 4;
    const char *p = in->data + (at - in->base);
    if (n >= 3 && p[0] == '-' && p[1] == '-' && p[2] == '-') {
        if (n == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r' || p[3] == '\n')
            return LINE_SEPARATOR;
        return p[3] == '#' ? LINE_DROPPED : LINE_OTHER;
    }
    return n && p[0] == '%' ? LINE_DIRECTIVE : LINE_OTHER;
}

/* Should the chunk end at the line start c->line_at? Directives belong to
 * the document their "---" opens, so a chunk holding one is not cut. */
static bool cut_here(kh_doc_chunk *c, size_t have)
{
    int kind = line_kind(c->in, c->line_at, have);
    if (kind == LINE_SEPARATOR || kind == LINE_DROPPED) {
        if (c->line_at != c->start && !c->directive)
            return true;
        c->directive = false;
    } else if (kind == LINE_DIRECTIVE) {
        c->directive = true;
    }
    return false;
}

/* Make bytes past in->pos known to be in the chunk; false at its end.
 * Every line already in the window is examined, so that libyaml gets big
 * reads (its reader costs per call). */
static bool extend(kh_doc_chunk *c)
{
    kh_doc_input *in = c->in;
    for (;;) {
        if (c->end != SIZE_MAX)
            return c->safe > in->pos;
        size_t have = in->base + in->len;
        if (c->line_at == SIZE_MAX && c->safe < have) {
            const char *p = in->data + (c->safe - in->base), *e = in->data + in->len;
            const char *nl = NULL;
            /* a line that starts with neither '-' nor '%' needs no look */
            while (!c->whole && (nl = memchr(p, '\n', (size_t)(e - p))) && nl + 1 < e &&
                   nl[1] != '-' && nl[1] != '%')
                p = nl + 1;
            if (nl)
                c->safe = c->line_at = in->base + (size_t)(nl - in->data) + 1;
            else
                c->safe = have;
            continue;
        }
        if (c->line_at != SIZE_MAX && c->line_at < have &&
            (have - c->line_at >= 4 || in->eof)) {
            if (cut_here(c, have))
                c->end = c->line_at;
            else
                c->line_at = SIZE_MAX;
            continue;
        }
        if (c->safe > in->pos)
            return true; /* read more only when all of it is handed out */
        if (!kh_doc_input__more(in) &&
            (c->line_at == SIZE_MAX ? c->safe >= have : c->line_at >= have)) {
            c->end = have;
            return false;
        }
    }
}

/* Drop the line at in->pos (a "---#..." separator), counting it. */
static void drop_line(kh_doc_chunk *c)
{
    kh_doc_input *in = c->in;
    in->keep = in->pos;
    for (;;) {
        size_t have = in->base + in->len;
        const char *p = in->data + (in->pos - in->base);
        const char *nl = memchr(p, '\n', have - in->pos);
        size_t to = nl ? in->base + (size_t)(nl - in->data) + 1 : have;
        kh_doc_input__count(in, in->pos, to, &c->lc);
        in->pos = in->keep = to;
        if (nl || !kh_doc_input__more(in))
            return;
    }
}

bool kh_doc_chunk__begin(kh_doc_chunk *c)
{
    kh_doc_input *in = c->in;
    for (;;) {
        while (in->base + in->len - in->pos < 4 && kh_doc_input__more(in))
            ;
        if (in->pos == in->base + in->len)
            return false;
        if (c->whole || line_kind(in, in->pos, in->base + in->len) != LINE_DROPPED)
            break;
        drop_line(c);
    }
    c->start = c->safe = in->pos;
    c->end = SIZE_MAX;
    c->line_at = c->whole ? SIZE_MAX : in->pos;
    c->directive = false;
    in->keep = in->pos;
    in->keep_lc = c->lc;
    in->soft = true;
    return true;
}

int kh_doc_chunk__read(void *data, unsigned char *buf, size_t size,
                       size_t *size_read)
{
    kh_doc_chunk *c = data;
    kh_doc_input *in = c->in;
    *size_read = 0;
    if (!extend(c))
        return !in->failed; /* the end of the chunk is libyaml's end of input */
    size_t n = c->safe - in->pos;
    if (n > size)
        n = size;
    memcpy(buf, in->data + (in->pos - in->base), n);
    in->pos += n;
    *size_read = n;
    return 1;
}

void kh_doc_chunk__skip(kh_doc_chunk *c)
{
    kh_doc_input *in = c->in;
    while (extend(c))
        in->pos = c->safe;
    c->lc = in->keep_lc;
    kh_doc_input__count(in, in->keep, in->pos, &c->lc);
}
