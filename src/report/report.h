/*
 * report.h -- internals shared by the streaming report writers.
 *
 * A kh_report is one struct for every format: a table of three callbacks
 * (begin, add, end) plus O(1) state -- the current file and object (copied,
 * because kh_finding strings are borrowed for one call), a few flags and
 * counters. Nothing is kept per finding, so memory stays flat however
 * large the input. The escapers write straight to the FILE and make any
 * byte string safe for JSON, XML, URIs or a terminal.
 */
#ifndef KH_REPORT_REPORT_H
#define KH_REPORT_REPORT_H

#include "kubeharden.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A report is written by one thread, and most of the cost of writing a
 * finding was stdio taking its lock on every small write: use glibc's
 * unlocked variants (fprintf, rarer, keeps the lock). */
#if defined(__GLIBC__)
/* Copy straight into the stream's buffer when it has room, as glibc's own
 * putc_unlocked does; otherwise (full, unbuffered or line-buffered) let
 * stdio take the slow path. Report output is mostly short tokens, and the
 * call into fwrite was most of their cost. */
static inline void kh_report__fwrite(const void *p, size_t n, FILE *f)
{
    if (f->_IO_write_ptr && (size_t)(f->_IO_write_end - f->_IO_write_ptr) > n) {
        memcpy(f->_IO_write_ptr, p, n);
        f->_IO_write_ptr += n;
    } else {
        fwrite_unlocked(p, 1, n, f);
    }
}
#define fwrite(p, size, n, f) kh_report__fwrite((p), (size) * (n), (f))
#define putc putc_unlocked
#undef fputs
#define fputs(s, f) kh_report__fwrite((s), strlen(s), (f))
#endif

/* A small growable string, reused for the life of the report. */
typedef struct kh_report_buf {
    char *data;
    size_t len, cap;
} kh_report_buf;

/*
 * A pretty-printing JSON writer (2-space indent, the layout of Python's
 * json.dumps(indent=2)): it remembers only, per open container, whether an
 * item was written yet. State persists across calls, so a document can be
 * opened in kh_report_new and closed in kh_report_end.
 */
#define KH_JW_MAX_DEPTH 16

typedef struct kh_jw {
    FILE *out;
    int depth;                              /* open containers */
    unsigned char wrote[KH_JW_MAX_DEPTH];   /* an item was written at this depth */
} kh_jw;

typedef struct kh_report_ops {
    int (*begin)(kh_report *r);
    int (*add)(kh_report *r, const kh_finding *f);
    int (*end)(kh_report *r, const kh_scan_stats *stats);
} kh_report_ops;

struct kh_report {
    const kh_report_ops *ops;
    FILE *dst;
    int color;
    char *version;          /* tool version, owned */
    kh_report_buf file;     /* file of the group being written */
    kh_report_buf object;   /* "Kind/ns/name" of the object being written */
    kh_report_buf label;    /* scratch: label of the incoming finding */
    int in_file;            /* a file group is open */
    int in_object;          /* an object group is open */
    int file_changed;       /* set by kh_report_add for the writer */
    int object_changed;
    kh_jw jw;               /* json and sarif */
    FILE *spool;            /* sarif: error notifications, copied at the end */
    char *spool_mem;        /* when the spool is a memory stream */
    size_t spool_len;
    kh_jw spool_jw;
    size_t spooled;         /* notifications in the spool */
    kh_scan_stats seen;     /* counted from the findings themselves */
    int ended;
};

extern const kh_report_ops kh_report__text_ops;
extern const kh_report_ops kh_report__json_ops;
extern const kh_report_ops kh_report__sarif_ops;
extern const kh_report_ops kh_report__junit_ops;

/* ------------------------------------------------------------ buffers */

/** Copy @p s into @p b. @return 0 or KH_ENOMEM. */
int kh_report__buf_set(kh_report_buf *b, const char *s);
void kh_report__buf_free(kh_report_buf *b);

/**
 * Build the object label of @p f into @p b: "Kind/namespace/name", or
 * "Kind/name" when the namespace is empty. @return 0 or KH_ENOMEM.
 */
int kh_report__label(kh_report_buf *b, const kh_finding *f);

/* ------------------------------------------------------------ json writer */

void kh_jw__init(kh_jw *w, FILE *out, int depth);
/** Start an item: separator, newline, indent and `"key": ` (key may be NULL). */
void kh_jw__key(kh_jw *w, const char *key);
/** Open an object ('{') or array ('[') as an item. */
void kh_jw__open(kh_jw *w, const char *key, char brace);
/** Close the innermost container; empty ones print as {} or []. */
void kh_jw__close(kh_jw *w, char brace);
void kh_jw__str(kh_jw *w, const char *key, const char *val);
void kh_jw__uint(kh_jw *w, const char *key, unsigned long long val);
void kh_jw__bool(kh_jw *w, const char *key, int val);
void kh_jw__null(kh_jw *w, const char *key);

/* ------------------------------------------------------------ escaping */

/**
 * Decode one UTF-8 sequence at @p s (not at its NUL). @return the code
 * point and its length in @p n, or -1 with *n = 1 for a byte that does not
 * start a valid, shortest-form sequence (surrogates and values above
 * U+10FFFF are invalid too).
 */
long kh_report__utf8(const unsigned char *s, size_t *n);

/** A JSON string in quotes, or null when @p s is NULL. */
void kh_report__json_str(FILE *out, const char *s);
/** An XML attribute value (without its quotes): also escapes quotes, tab, LF. */
void kh_report__xml_attr(FILE *out, const char *s);
/** XML character data: escapes & < > and CR; keeps tab and LF. */
void kh_report__xml_text(FILE *out, const char *s);
/** Percent-encoded URI reference: unreserved characters and '/' are kept. */
void kh_report__uri(FILE *out, const char *s);
/** Text for a terminal: control characters shown as \n, \t, \xNN, \u009B. */
void kh_report__text_str(FILE *out, const char *s);

/* ------------------------------------------------------------ summary */

/**
 * One sentence: "12 findings (1 critical, 3 high, 8 medium) in 40 objects
 * from 7 files; 2 suppressed; 1 error". No newline.
 */
void kh_report__summary(FILE *out, const kh_scan_stats *s);

/** kh_severity_name for a value that may be out of range ("info" then). */
const char *kh_report__severity(kh_severity s);

#endif
