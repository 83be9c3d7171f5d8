/*
 * node.h -- the read-only document tree that YAML and JSON both load into.
 *
 * Every node carries its 1-based line and column. Scalars keep their source
 * text and the type Kubernetes' YAML decoder resolves them to (YAML 1.1:
 * yes/on/True are booleans, quoted scalars are strings). Sequences hold
 * node pointers so that an alias shares its anchor's subtree instead of
 * copying it. All memory belongs to the arena the document was loaded into.
 */
#ifndef KH_DOC_NODE_H
#define KH_DOC_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "kubeharden.h"

typedef enum kh_node_type {
    KH_NODE_NULL = 0,   /* ~, null, empty plain scalar */
    KH_NODE_BOOL,       /* YAML 1.1 booleans, unquoted */
    KH_NODE_INT,
    KH_NODE_FLOAT,
    KH_NODE_STRING,     /* everything else, and every quoted scalar */
    KH_NODE_MAP,
    KH_NODE_SEQ
} kh_node_type;

typedef struct kh_node kh_node;
typedef struct kh_pair kh_pair;

struct kh_pair {
    const kh_node *key;
    const kh_node *value;
};

struct kh_node {
    uint8_t type;           /* kh_node_type */
    uint8_t quoted;         /* scalar written with quotes or as a block literal */
    uint8_t boolean;        /* value, when type == KH_NODE_BOOL */
    uint32_t line, col;     /* 1-based */
    uint32_t len;           /* scalar: text length; map: pairs; seq: items */
    union {
        const char *text;           /* scalar: NUL-terminated source value */
        const kh_pair *pairs;       /* map */
        const kh_node *const *items;/* seq */
    } u;
};

/* One loaded document: the root node and where it came from. */
typedef struct kh_doc {
    const kh_node *root;    /* NULL for an empty document */
    const char *file;       /* borrowed label for positions */
    unsigned index;         /* 0-based document number in the stream */
    unsigned line, col;     /* start of the document */
    /* Keys that repeat an earlier key of the same mapping. The last one
     * wins (as the API server decodes); these are the winning keys, for
     * the scanner to report. */
    const kh_node *const *duplicate_keys;
    size_t nduplicate_keys;
} kh_doc;

/* Limits against hostile input (billion laughs, deep nesting). */
#define KH_DOC_MAX_DEPTH 256
#define KH_DOC_MAX_EXPANDED_NODES (1u << 22)   /* nodes visible after aliases */

/*
 * Streaming loader. kh_doc_reader reads one document at a time from a
 * stream or buffer, as kubectl reads a file: JSON values back to back when
 * the first byte past blanks is '{' (YAML takes over when the first values
 * are not JSON), else YAML cut at separator lines ("---" at the start of a
 * line), each piece parsed on its own.
 *
 * kh_doc_reader_next loads the next document into @p arena:
 *   returns 1 and fills *doc when a document was read (doc->root is never
 *   NULL: empty documents and documents that are only a null, such as a
 *   lone "---" or "~", are skipped, though they still count in doc->index),
 *   returns 0 at end of stream,
 *   returns a negative kh_code with err set (file:line:col of the whole
 *   input) when the document is malformed: a syntax error, a bad byte (NUL,
 *   invalid UTF-8), a limit or a semantic error (unknown alias, bad merge,
 *   bad tag). The reader then skips to the next separator line and goes on,
 *   so a bad document never hides the ones around it. Only a read error
 *   (KH_EIO) ends the stream.
 */
typedef struct kh_doc_reader kh_doc_reader;

int kh_doc_reader_new_stream(kh_doc_reader **out, FILE *in, const char *file,
                             kh_error *err);
int kh_doc_reader_new_buffer(kh_doc_reader **out, const char *buf, size_t len,
                             const char *file, kh_error *err);
int kh_doc_reader_next(kh_doc_reader *r, kh_arena *arena, kh_doc *doc,
                       kh_error *err);
/*
 * Further rules of the loader, all as Kubernetes' decoder (go-yaml v2):
 *   - duplicate keys (compared by scalar text, quoted or not): the last
 *     one wins, as the API server decodes without strict validation, and
 *     every winning key is listed in doc->duplicate_keys so the scanner
 *     reports it (a duplicate is never resolved silently); a second `<<`
 *     in one mapping is an error;
 *   - `<<` merges mappings: keys written after `<<` win, and earlier maps
 *     of a merge list win over later ones; a key written *before* `<<` that
 *     the merge also sets is an error ("ambiguous merge"), because go-yaml
 *     v2 lets the merge override it while the YAML spec does not;
 *   - an alias shares its anchor's node; documents whose aliases expand
 *     past KH_DOC_MAX_EXPANDED_NODES nodes fail with KH_ELIMIT, as do
 *     collections nested deeper than KH_DOC_MAX_DEPTH;
 *   - explicit tags: !!str, !!binary (decoded) and !!timestamp give strings,
 *     !!bool/!!int/!!float/!!null must resolve as named (else KH_EPARSE),
 *     any other tag leaves the untagged rules in force.
 * The buffer given to kh_doc_reader_new_buffer is borrowed and must outlive
 * the reader; the stream is not closed by kh_doc_reader_free.
 */

/* A JSON List of at least 1 MiB (`kind: List`, or a `*List` with one
 * `items` array of objects; not an audit EventList) is handed out an item
 * at a time: each call returns one item as a document of its own, its
 * root mapping inside a kh_doc_list_item that says which item it is, so
 * memory follows an item. The List's own mapping follows as a last
 * document only when it has repeated keys to report (its items array then
 * empty). kh_envelope_unwrap gives such an item the prefix and defaults
 * it has in the whole List, so findings are the same either way. */
typedef struct kh_doc_list_item {
    kh_node node;               /* the item's root; node.quoted is KH_NODE_LIST_ITEM */
    size_t index;               /* items[index] of the List */
    const char *kind, *api_version; /* the List's defaults for its items; NULL for List */
} kh_doc_list_item;
#define KH_NODE_LIST_ITEM 2
/* The header of @p root when it is a List item handed out alone, or NULL. */
const kh_doc_list_item *kh_doc_list_item_of(const kh_node *root);

/* Bytes consumed so far (for throughput figures); the whole input once
 * kh_doc_reader_next has returned 0. */
size_t kh_doc_reader_offset(const kh_doc_reader *r);
void kh_doc_reader_free(kh_doc_reader *r);

/* Load exactly one document from a buffer (config files, AdmissionReviews). */
int kh_doc_load_buffer(const kh_node **root, kh_arena *arena, const char *buf,
                       size_t len, const char *file, kh_error *err);
/* kh_doc_load_buffer, read in one pass when the buffer is one JSON object
 * (audit events, AdmissionReviews); any other input goes to
 * kh_doc_load_buffer, so the result is always its result (jsontree.c). */
int kh_doc_load_json(const kh_node **root, kh_arena *arena, const char *buf,
                     size_t len, const char *file, kh_error *err);

/* --- accessors: all accept NULL and return NULL / false on a type mismatch */

/* Value for key @p key in a map (exact byte comparison), or NULL. */
const kh_node *kh_node_get(const kh_node *map, const char *key);
/* Follow a dotted path of map keys: kh_node_path(root, "spec.template.spec"). */
const kh_node *kh_node_path(const kh_node *root, const char *dotted);
/* Item i of a sequence, or NULL. */
const kh_node *kh_node_at(const kh_node *seq, size_t i);

bool kh_node_is_map(const kh_node *n);
bool kh_node_is_seq(const kh_node *n);
bool kh_node_is_scalar(const kh_node *n);   /* null, bool, int, float, string */
bool kh_node_is_null(const kh_node *n);     /* absent or explicit null */

/* The source text of any scalar (what a Go string field would receive), or
 * NULL for maps, sequences and explicit nulls. */
const char *kh_node_str(const kh_node *n);
/* true only for a boolean node whose value is true (`yes`, `on`, `True`...). */
bool kh_node_is_true(const kh_node *n);
/* true only for a boolean node whose value is false. */
bool kh_node_is_false(const kh_node *n);
/* Integer value of an INT node (decimal, 0x, 0o, octal, underscores); false otherwise. */
bool kh_node_int(const kh_node *n, int64_t *out);

/* --- internal, shared by src/doc files */

/* Type of a plain, untagged scalar (go-yaml v2 rules); sets *boolean for
 * KH_NODE_BOOL. @p s need not be NUL-terminated. */
int kh_node__resolve(const char *s, size_t len, uint8_t *boolean);

/* UTF-8 as Go's encoding/json reads and writes it (json.c): the length of
 * the valid sequence at @p p (no overlongs, no surrogates, nothing past
 * U+10FFFF), or 0; and the bytes of code point @p r, @return their count. */
size_t kh_doc__utf8_len(const unsigned char *p, size_t avail);
size_t kh_doc__utf8_encode(unsigned char b[4], uint32_t r);
/* Append @p n bytes to a growing text (json.c), kept NUL-terminated. */
bool kh_doc__append(char **text, size_t *len, size_t *cap, const void *p, size_t n);

/* kh_doc_load_json's own reader: 1 with *root when @p buf is one JSON
 * object with nothing but blanks around it, 0 when it declines (other or
 * malformed input: kh_doc_load_buffer has the say), KH_ENOMEM. */
int kh_doc__json_tree(const kh_node **root, kh_arena *arena, const char *buf, size_t len);

#endif
