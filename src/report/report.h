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
#include <stdint.h>
#include <stdio.h>

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
    char *api_server;       /* kh_report_options.api_server, owned; NULL */
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
    uint64_t object_hash;   /* sarif: fingerprint of the file and object */
    kh_scan_stats seen;     /* counted from the findings themselves */
    int ended;
};

extern const kh_report_ops kh_report__text_ops;
extern const kh_report_ops kh_report__json_ops;
extern const kh_report_ops kh_report__sarif_ops;
extern const kh_report_ops kh_report__junit_ops;
extern const kh_report_ops kh_report__policyreport_ops;

/* ------------------------------------------------------------ buffers */

/** Copy @p s into @p b. @return 0 or KH_ENOMEM. */
int kh_report__buf_set(kh_report_buf *b, const char *s);
void kh_report__buf_free(kh_report_buf *b);

/**
 * Build an object label into @p b: "Kind/namespace/name", or "Kind/name"
 * when the namespace is empty. @return 0 or KH_ENOMEM.
 */
int kh_report__label(kh_report_buf *b, const char *kind, const char *ns, const char *name);

/* ------------------------------------------------------------ related */

/**
 * Where a related location is, for people: "Kind/ns/name  file:line:col
 * at path", each part left out when unknown, every string through @p esc
 * (the format's escaper).
 */
void kh_report__related_where(FILE *out, const kh_location *l,
                              void (*esc)(FILE *out, const char *s));

/** Does @p l name an object, a file or a path (anything for _where)? */
int kh_report__related_has_where(const kh_location *l);

/**
 * The related locations of @p f for the text report, two lines each
 * ("related: message", then the place 2 further in; one line when either
 * is missing), each line starting with @p indent.
 */
void kh_report__related_lines(FILE *out, const kh_finding *f, const char *indent,
                              void (*esc)(FILE *out, const char *s));

/*
 * A finding's identity across runs (SARIF partialFingerprints, see
 * docs/output.md): 64-bit FNV-1a over its file, object label, rule id and
 * field path, each followed by a NUL. Neither the line nor the message
 * takes part, so it survives lines moving and values changing. The file
 * and object part is hashed once per object (kh_report.object_hash).
 */
#define KH_REPORT_FNV_OFFSET 0xcbf29ce484222325ull
/** Continue FNV-1a hash @p h over @p s (NULL as "") and its NUL. */
uint64_t kh_report__fnv(uint64_t h, const char *s);

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
void kh_report__summary(FILE *out, const kh_scan_stats *s, const char *api_server);

/** kh_severity_name for a value that may be out of range ("info" then). */
const char *kh_report__severity(kh_severity s);

#endif
