/*
 * load.c -- libyaml events (or json.c's, of the same shape) into the arena
 * tree of node.h, one document at a time, reading a stream as kubectl does:
 * JSON values back to back when it starts with '{', else YAML cut at "---"
 * lines (input.c), each piece parsed alone so a bad one hides no other.
 * An explicit stack of open collections (no recursion) gathers children on
 * a scratch stack; finished collections are copied into the caller's arena.
 * Aliases point at their anchor (a DAG) whose expanded size is known, so
 * alias bombs are refused by arithmetic. A big JSON List (`kind: List` or
 * a `*List` with items, one `items` array of objects, found by a look over
 * its raw text first) is handed out an item at a time, each in the arena
 * of its own call, so memory follows an item, not the List.
 */
#include "doc/node.h"
#include "doc/input.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define TAG_PREFIX "tag:yaml.org,2002:"
#define TAG_PREFIX_LEN (sizeof(TAG_PREFIX) - 1)
#define SMALL_MAP 16        /* up to this many keys, duplicates by pairwise compare */
#define QUOTE_MAX 100       /* longest value echoed in a message */

enum { R_READY, R_DONE };
enum { M_START, M_YAML, M_JSON };
#define JSON_GUESS 4096     /* bytes kubectl looks at to tell JSON from YAML */
#define STREAM_MIN (1u << 20)   /* a List smaller than this is read whole */
#define LOOK_KEYS 32        /* top-level keys a streamed List may have */
#define LOOK_TEXT 256       /* longest kind or apiVersion it may have */
#define LOOK_READ (256u << 10)  /* bytes a look reads from a file at a time */

/* Handing out a List's items: armed once the look said yes, items while
 * inside its items array, done after it. */
enum { S_OFF, S_ARMED, S_ITEMS, S_DONE };

typedef struct anchor {
    size_t name_off, name_len;  /* into the reader's name buffer */
    uint32_t serial;            /* which definition of the name this is */
    const kh_node *node;        /* NULL while the anchored collection is open */
    uint64_t size;              /* nodes visible when fully expanded */
} anchor;

typedef struct frame {
    kh_node *node;              /* filled in when the collection ends */
    size_t base;                /* first child on the scratch stack */
    uint64_t size;              /* expanded nodes so far, itself included */
    size_t anchor;              /* index + 1 into the anchors, 0 for none */
    uint32_t serial;
    size_t merge_at;            /* stack index of a `<<` key, or SIZE_MAX */
    bool merge_alias;           /* the `<<` value was an alias */
} frame;

typedef struct keyent {
    const kh_node *key;
    size_t pair;                /* pair index in the mapping, or SIZE_MAX */
} keyent;

/* Open-addressing hash table of uint32 (index + 1, 0 = empty) slots. */
typedef struct slots {
    uint32_t *v;
    size_t cap;                 /* power of two */
} slots;

struct kh_doc_reader {
    yaml_parser_t parser;
    bool live;                  /* the parser holds the current chunk */
    const char *file;
    kh_doc_input in;
    kh_doc_chunk chunk;
    unsigned mline, mcol;       /* added to libyaml's marks: where the chunk starts */
    int mode;                   /* M_* */
    int state;
    unsigned doc_count;
    bool begun;                 /* the chunk (or JSON value) started a document */
    bool owned;                 /* the last event is libyaml's, to delete */

    /* JSON streams: after a syntax error in the first or second value,
     * kubectl starts over as YAML after the last good value, and reports
     * the JSON error if the YAML fails too. */
    kh_doc_json json;
    unsigned json_docs;
    size_t rewind;
    kh_doc_lc rewind_lc;
    kh_error json_err;
    bool json_err_pending;

    /* the document being built */
    kh_arena *arena;
    const kh_node *root;
    uint64_t total;             /* expanded node count */
    size_t depth;

    const kh_node **stack;      /* children of the open collections */
    size_t stack_len, stack_cap;

    anchor *anchors;
    size_t n_anchors, cap_anchors;
    char *names;
    size_t names_len, names_cap;
    slots aslots;
    uint32_t serial;

    const kh_node **dups;       /* keys that override an earlier equal key */
    size_t n_dups, cap_dups;

    keyent *keys;               /* key set of big mappings and merges */
    size_t n_keys, cap_keys;
    slots kslots;

    /* A List handed out item by item. Its own nodes (the mapping, kind,
     * metadata, the emptied items array) live in `own` until the reader
     * is freed, since the last document may still be checked on another
     * thread; each item lives in the arena of the call that returns it. */
    int stream;                 /* S_* */
    bool no_stream;             /* kh_doc_load_buffer: one document, whole */
    off_t file_start;           /* a regular file's offset at byte 0, else -1 */
    kh_arena own;
    kh_arena *caller;           /* the arena of the current call */
    kh_doc tmpl;                /* the List's document fields */
    size_t item_index;
    size_t item_dups;           /* dups before the current item's */
    kh_node *item;              /* a finished item to hand out */
    char item_kind[LOOK_TEXT], item_api_version[LOOK_TEXT];
    bool item_defaults;         /* a *List: its items default kind and apiVersion */

    /* Last, and not cleared when the reader is made: a frame is written
     * whole when its collection opens (12 KB that a webhook review would
     * otherwise zero on every call). */
    frame frames[KH_DOC_MAX_DEPTH];
};

/* ---------------------------------------------------------------- helpers */

static int limit_len(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

/* Marks of a chunk count from the chunk's start: make them the file's. */
static unsigned mark_line(const kh_doc_reader *r, const yaml_mark_t *m)
{
    return r->mline + (unsigned)m->line + 1;
}

static unsigned mark_col(const kh_doc_reader *r, const yaml_mark_t *m)
{
    return (unsigned)m->column + 1 + (m->line ? 0 : r->mcol);
}

static int oom(kh_doc_reader *r, kh_error *err)
{
    return kh_error_set(err, KH_ENOMEM, r->file, 0, 0, "out of memory");
}

static int node_error(kh_doc_reader *r, kh_error *err, kh_code code,
                      const kh_node *at, const char *fmt, const char *s,
                      size_t len)
{
    return kh_error_set(err, code, r->file, at->line, at->col, fmt,
                        limit_len(len), s);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Make @p t empty with room for @p n entries at half load. */
static bool slots_reset(slots *t, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    if (cap > t->cap) {
        uint32_t *v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return false;
        t->v = v;
        t->cap = cap;
    }
    memset(t->v, 0, t->cap * sizeof(*t->v));
    return true;
}

static bool same_key(const kh_node *a, const kh_node *b)
{
    return a->type < KH_NODE_MAP && b->type < KH_NODE_MAP && a->len == b->len &&
           memcmp(a->u.text, b->u.text, a->len) == 0;
}

/* ---------------------------------------------------------------- anchors */

static const char *anchor_name(const kh_doc_reader *r, const anchor *a)
{
    return r->names + a->name_off;
}

/* Slot holding @p name, or the empty slot where it would go. */
static uint32_t *anchor_slot(kh_doc_reader *r, const char *name, size_t len)
{
    size_t mask = r->aslots.cap - 1;
    for (size_t i = hash_bytes(name, len) & mask;; i = (i + 1) & mask) {
        uint32_t *s = &r->aslots.v[i];
        if (!*s)
            return s;
        const anchor *a = &r->anchors[*s - 1];
        if (a->name_len == len && memcmp(anchor_name(r, a), name, len) == 0)
            return s;
    }
}

static anchor *anchor_find(kh_doc_reader *r, const char *name, size_t len)
{
    if (!r->n_anchors)
        return NULL;
    uint32_t *s = anchor_slot(r, name, len);
    return *s ? &r->anchors[*s - 1] : NULL;
}

static bool anchor_rehash(kh_doc_reader *r)
{
    if (!slots_reset(&r->aslots, r->n_anchors + 1))
        return false;
    for (size_t i = 0; i < r->n_anchors; i++) {
        const anchor *a = &r->anchors[i];
        *anchor_slot(r, anchor_name(r, a), a->name_len) = (uint32_t)i + 1;
    }
    return true;
}

/* Define (or redefine) an anchor; @return its index + 1, or 0 when out of memory. */
static size_t anchor_define(kh_doc_reader *r, const char *name,
                            const kh_node *node, uint64_t size)
{
    size_t len = strlen(name);
    if (2 * (r->n_anchors + 1) > r->aslots.cap && !anchor_rehash(r))
        return 0;
    uint32_t *s = anchor_slot(r, name, len);
    if (!*s) {
        if (!grow((void **)&r->anchors, &r->cap_anchors, r->n_anchors + 1,
                  sizeof(anchor)) ||
            !grow((void **)&r->names, &r->names_cap, r->names_len + len + 1, 1))
            return 0;
        anchor *a = &r->anchors[r->n_anchors];
        a->name_off = r->names_len;
        a->name_len = len;
        memcpy(r->names + r->names_len, name, len + 1);
        r->names_len += len + 1;
        *s = (uint32_t)++r->n_anchors;
    }
    anchor *a = &r->anchors[*s - 1];
    a->serial = ++r->serial;
    a->node = node;
    a->size = size;
    return *s;
}

/* --------------------------------------------------------------- key sets */

static bool keyset_reset(kh_doc_reader *r, size_t n)
{
    r->n_keys = 0;
    return grow((void **)&r->keys, &r->cap_keys, n, sizeof(keyent)) &&
           slots_reset(&r->kslots, n);
}

/* The entry for @p key, adding it with @p pair when absent (*found = false). */
static keyent *keyset_put(kh_doc_reader *r, const kh_node *key, size_t pair,
                          bool *found)
{
    size_t mask = r->kslots.cap - 1;
    for (size_t i = hash_bytes(key->u.text, key->len) & mask;;
         i = (i + 1) & mask) {
        uint32_t *s = &r->kslots.v[i];
        if (!*s) {
            keyent *e = &r->keys[r->n_keys];
            e->key = key;
            e->pair = pair;
            *s = (uint32_t)++r->n_keys;
            *found = false;
            return e;
        }
        if (same_key(r->keys[*s - 1].key, key)) {
            *found = true;
            return &r->keys[*s - 1];
        }
    }
}

/* ----------------------------------------------------------------- errors */

/*
 * A bad byte found by libyaml's reader, which decodes ahead of the
 * scanner: its offset, counted from the start of the chunk, is placed by
 * counting the window from the last position known (columns in code
 * points, as libyaml's marks).
 */
static int reader_error(kh_doc_reader *r, kh_error *err)
{
    const yaml_parser_t *p = &r->parser;
    const kh_doc_input *in = &r->in;
    const char *problem = p->problem ? p->problem : "unreadable input";
    size_t off = r->chunk.start + p->problem_offset;
    unsigned line = 0, col = 0;
    if (off >= in->keep && off <= in->base + in->len) {
        kh_doc_lc lc = in->keep_lc;
        size_t from = in->keep;
        if (from == 0 && in->len >= 3 && !memcmp(in->data, "\xef\xbb\xbf", 3))
            from = off >= 3 ? 3 : off; /* libyaml does not count a BOM */
        kh_doc_input__count(in, from, off, &lc);
        line = lc.line;
        col = lc.col;
    }
    if (in->failed)
        return kh_error_set(err, KH_EIO, r->file, line, col, "cannot read the input");
    if (p->problem_value != -1)
        return kh_error_set(err, KH_EPARSE, r->file, line, col,
                            "%s (byte 0x%02x at offset %zu)", problem,
                            (unsigned)p->problem_value & 0xff, off);
    return kh_error_set(err, KH_EPARSE, r->file, line, col, "%s at offset %zu",
                        problem, off);
}

/* A libyaml error: the rest of its chunk is skipped by the caller. */
static int parser_error(kh_doc_reader *r, kh_error *err)
{
    const yaml_parser_t *p = &r->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return oom(r, err);
    if (p->error == YAML_READER_ERROR)
        return reader_error(r, err);
    const char *problem = p->problem ? p->problem : "malformed yaml";
    unsigned line = mark_line(r, &p->problem_mark), col = mark_col(r, &p->problem_mark);
    if (!p->context)
        return kh_error_set(err, KH_EPARSE, r->file, line, col, "%s", problem);
    return kh_error_set(err, KH_EPARSE, r->file, line, col,
                        "%s (%s at line %u, column %u)", problem, p->context,
                        mark_line(r, &p->context_mark), mark_col(r, &p->context_mark));
}

/* ------------------------------------------------------------ tree build */

static int push(kh_doc_reader *r, const kh_node *n, kh_error *err)
{
    if (r->stack_len == r->stack_cap &&
        !grow((void **)&r->stack, &r->stack_cap, r->stack_len + 1,
              sizeof(*r->stack)))
        return oom(r, err);
    r->stack[r->stack_len++] = n;
    return 0;
}

/*
 * Attach a finished node to the open collection (or make it the root).
 * @p size is its expanded size. Scalars and collections count themselves
 * into the document's total when created; an alias adds its anchor's whole
 * size here, and that is the only place the total can jump, so it is where
 * expansion bombs are caught.
 */
static int attach(kh_doc_reader *r, const kh_node *n, uint64_t size,
                  const yaml_mark_t *alias_at, kh_error *err)
{
    if (alias_at) {
        r->total += size;
        if (r->total > KH_DOC_MAX_EXPANDED_NODES)
            return kh_error_set(err, KH_ELIMIT, r->file, mark_line(r, alias_at),
                                mark_col(r, alias_at),
                                "alias expansion exceeds limit of %u nodes",
                                (unsigned)KH_DOC_MAX_EXPANDED_NODES);
    }
    if (r->depth == 0) {
        r->root = n;
        return 0;
    }
    if (r->stream == S_ITEMS && r->depth == 2) {
        r->item = (kh_node *)n; /* handed out by load_document; the array stays empty */
        r->arena = &r->own;
        return 0;
    }
    frame *f = &r->frames[r->depth - 1];
    f->size += size;
    if (f->merge_at != SIZE_MAX && r->stack_len == f->merge_at + 1)
        f->merge_alias = alias_at != NULL;
    return push(r, n, err);
}

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decode standard padded base64 (Go's base64.StdEncoding, which skips
 * '\r' and '\n') from @p in into @p out; @return the length or -1.
 */
static long base64_decode(char *out, const char *in, size_t len)
{
    size_t n = 0, q = 0, pad = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '\r' || c == '\n')
            continue;
        if (pad && c != '=')
            return -1;
        int v = c == '=' ? 0 : base64_value(c);
        if (v < 0 || (c == '=' && q < 2))
            return -1;
        pad += c == '=';
        acc = acc << 6 | (uint32_t)v;
        if (++q == 4) {
            char b[3] = {(char)(acc >> 16), (char)(acc >> 8), (char)acc};
            memcpy(out + n, b, 3 - pad);
            n += 3 - pad;
            q = 0;
            acc = 0;
            if (pad)
                pad = 4; /* nothing but line breaks may follow */
        }
    }
    return q ? -1 : (long)n;
}

static int tagged_type(kh_doc_reader *r, kh_node *n, const char *t, kh_error *err)
{
    int want = !strcmp(t, "bool") ? KH_NODE_BOOL
               : !strcmp(t, "int") ? KH_NODE_INT
               : !strcmp(t, "float") ? KH_NODE_FLOAT
               : !strcmp(t, "null") ? KH_NODE_NULL : -1;
    uint8_t b;
    int got = kh_node__resolve(n->u.text, n->len, &b);
    if (want < 0) /* a yaml.org type we do not convert: resolve as untagged */
        got = n->quoted ? KH_NODE_STRING : got;
    else if (want == KH_NODE_FLOAT && got == KH_NODE_INT)
        got = KH_NODE_FLOAT;
    else if (got != want)
        return kh_error_set(err, KH_EPARSE, r->file, n->line, n->col,
                            "cannot decode '%.*s' as !!%s", limit_len(n->len),
                            n->u.text, t);
    n->type = (uint8_t)got;
    n->boolean = got == KH_NODE_BOOL ? b : 0;
    return 0;
}

/*
 * Type of a scalar as go-yaml v2 resolves it: quoted and block scalars are
 * strings, !!str/!!binary/!!timestamp strings, !!bool/!!int/!!float/!!null
 * must resolve as named, other tags fall back to the untagged rules.
 */
static int scalar_type(kh_doc_reader *r, kh_node *n, char *text,
                       const yaml_event_t *ev, kh_error *err)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag && !strncmp(tag, TAG_PREFIX, TAG_PREFIX_LEN)) {
        const char *t = tag + TAG_PREFIX_LEN;
        if (!strcmp(t, "str") || !strcmp(t, "timestamp")) {
            n->type = KH_NODE_STRING;
            return 0;
        }
        if (!strcmp(t, "binary")) {
            long len = base64_decode(text, text, n->len);
            if (len < 0) /* text is half decoded now: do not echo it */
                return kh_error_set(err, KH_EPARSE, r->file, n->line, n->col,
                                    "!!binary value contains invalid base64 data");
            text[len] = '\0';
            n->len = (uint32_t)len;
            n->type = KH_NODE_STRING;
            return 0;
        }
        return tagged_type(r, n, t, err);
    }
    if (n->quoted)
        n->type = KH_NODE_STRING;
    else
        n->type = (uint8_t)kh_node__resolve(text, n->len, &n->boolean);
    return 0;
}

/* A plain `<<` key (or one tagged !!merge), as go-yaml's isMerge. */
static bool is_merge_key(const yaml_event_t *ev)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    return ev->data.scalar.length == 2 && !memcmp(ev->data.scalar.value, "<<", 2) &&
           (ev->data.scalar.plain_implicit ||
            (tag && !strcmp(tag, TAG_PREFIX "merge")));
}

/* Remember a `<<` key of the open mapping; a second one is a duplicate. */
static int note_merge(kh_doc_reader *r, const kh_node *n, kh_error *err)
{
    frame *f = r->depth ? &r->frames[r->depth - 1] : NULL;
    if (!f || f->node->type != KH_NODE_MAP || (r->stack_len - f->base) % 2)
        return 0;
    if (f->merge_at != SIZE_MAX)
        return node_error(r, err, KH_EPARSE, n, "duplicate key '%.*s'", "<<", 2);
    f->merge_at = r->stack_len;
    return 0;
}

static int on_scalar(kh_doc_reader *r, const yaml_event_t *ev, kh_error *err)
{
    size_t len = ev->data.scalar.length;
    if (len > UINT32_MAX)
        return kh_error_set(err, KH_ELIMIT, r->file, mark_line(r, &ev->start_mark),
                            mark_col(r, &ev->start_mark), "scalar longer than 4 GiB");
    kh_node *n = kh_arena_alloc(r->arena, sizeof(*n) + len + 1);
    if (!n)
        return oom(r, err);
    char *text = (char *)(n + 1);
    memcpy(text, ev->data.scalar.value, len);
    text[len] = '\0';
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->boolean = 0;
    n->line = mark_line(r, &ev->start_mark);
    n->col = mark_col(r, &ev->start_mark);
    n->len = (uint32_t)len;
    n->u.text = text;
    r->total++;
    int rc = scalar_type(r, n, text, ev, err);
    if (!rc && ev->data.scalar.anchor &&
        !anchor_define(r, (const char *)ev->data.scalar.anchor, n, 1))
        rc = oom(r, err);
    if (!rc && is_merge_key(ev))
        rc = note_merge(r, n, err);
    return rc ? rc : attach(r, n, 1, NULL, err);
}

static int on_alias(kh_doc_reader *r, const yaml_event_t *ev, kh_error *err)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const anchor *a = anchor_find(r, name, strlen(name));
    const char *fmt = !a ? "unknown anchor '%.*s' referenced"
                         : !a->node ? "anchor '%.*s' value contains itself" : NULL;
    if (fmt)
        return kh_error_set(err, KH_EPARSE, r->file, mark_line(r, &ev->start_mark),
                            mark_col(r, &ev->start_mark), fmt,
                            limit_len(strlen(name)), name);
    return attach(r, a->node, a->size, &ev->start_mark, err);
}

/* The root of the next item of a streamed List, built in the caller's
 * arena behind a header that says which item it is. */
static kh_node *start_item(kh_doc_reader *r)
{
    r->arena = r->caller;
    r->item_dups = r->n_dups;
    kh_doc_list_item *it = kh_arena_calloc(r->arena, 1, sizeof(*it));
    if (!it)
        return NULL;
    it->index = r->item_index;
    if (r->item_defaults) {
        it->kind = kh_arena_strdup(r->arena, r->item_kind);
        it->api_version = *r->item_api_version ? kh_arena_strdup(r->arena, r->item_api_version)
                                               : NULL;
        if (!it->kind || (*r->item_api_version && !it->api_version))
            return NULL;
    }
    it->node.quoted = KH_NODE_LIST_ITEM;
    return &it->node;
}

const kh_doc_list_item *kh_doc_list_item_of(const kh_node *root)
{
    if (!root || root->type != KH_NODE_MAP || root->quoted != KH_NODE_LIST_ITEM)
        return NULL;
    return (const kh_doc_list_item *)root;
}

/* Is the sequence opening in the open mapping the value of its `items`? */
static bool opens_items(const kh_doc_reader *r)
{
    const frame *f = &r->frames[0];
    if (r->depth != 1 || (r->stack_len - f->base) % 2 != 1)
        return false;
    const kh_node *key = r->stack[r->stack_len - 1];
    return key->type < KH_NODE_MAP && key->len == 5 && memcmp(key->u.text, "items", 5) == 0;
}

static int on_start(kh_doc_reader *r, const yaml_event_t *ev, kh_node_type type,
                    kh_error *err)
{
    const yaml_char_t *name = type == KH_NODE_MAP ? ev->data.mapping_start.anchor
                                                   : ev->data.sequence_start.anchor;
    if (r->depth == KH_DOC_MAX_DEPTH)
        return kh_error_set(err, KH_ELIMIT, r->file, mark_line(r, &ev->start_mark),
                            mark_col(r, &ev->start_mark),
                            "nesting depth exceeds limit of %d", KH_DOC_MAX_DEPTH);
    kh_node *n = NULL;
    if (r->stream == S_ITEMS && r->depth == 2) {
        n = start_item(r);
    } else {
        n = kh_arena_calloc(r->arena, 1, sizeof(*n));
    }
    if (!n)
        return oom(r, err);
    n->type = (uint8_t)type;
    n->line = mark_line(r, &ev->start_mark);
    n->col = mark_col(r, &ev->start_mark);
    r->total++;
    frame *f = &r->frames[r->depth];
    *f = (frame){.node = n, .base = r->stack_len, .size = 1,
                 .merge_at = SIZE_MAX};
    if (name) {
        f->anchor = anchor_define(r, (const char *)name, NULL, 0);
        if (!f->anchor)
            return oom(r, err);
        f->serial = r->anchors[f->anchor - 1].serial;
    }
    if (r->stream == S_ARMED && type == KH_NODE_SEQ && opens_items(r)) {
        r->stream = S_ITEMS;
        r->item_index = 0;
    }
    r->depth++;
    return 0;
}

/* Pop the finished collection: complete its anchor and attach it. */
static int finish(kh_doc_reader *r, kh_error *err)
{
    frame *f = &r->frames[--r->depth];
    r->stack_len = f->base;
    if (f->anchor) {
        anchor *a = &r->anchors[f->anchor - 1];
        if (a->serial == f->serial) { /* not redefined inside itself */
            a->node = f->node;
            a->size = f->size;
        }
    }
    return attach(r, f->node, f->size, NULL, err);
}

static int on_seq_end(kh_doc_reader *r, kh_error *err)
{
    frame *f = &r->frames[r->depth - 1];
    if (r->stream == S_ITEMS && r->depth == 2)
        r->stream = S_DONE;
    size_t n = r->stack_len - f->base;
    if (n) {
        const kh_node **items = kh_arena_alloc(r->arena, n * sizeof(*items));
        if (!items)
            return oom(r, err);
        memcpy(items, r->stack + f->base, n * sizeof(*items));
        f->node->u.items = items;
    }
    f->node->len = (uint32_t)n;
    return finish(r, err);
}

/* Remember @p key as one that overrides an earlier, equal key. */
static int note_duplicate(kh_doc_reader *r, const kh_node *key, kh_error *err)
{
    if (!grow((void **)&r->dups, &r->cap_dups, r->n_dups + 1, sizeof(*r->dups)))
        return oom(r, err);
    r->dups[r->n_dups++] = key;
    return 0;
}

/*
 * Duplicate keys: the last occurrence wins, as the API server decodes a
 * manifest, and the earlier pairs are dropped from kv (compacted in place).
 * Each overriding key is remembered so that the scanner reports it: a
 * duplicate must be visible, never silently resolved. The merge pair
 * index *m (SIZE_MAX for none) is kept pointing at the `<<` pair.
 */
static int drop_duplicates(kh_doc_reader *r, const kh_node **kv, size_t *npairs,
                           size_t *m, kh_error *err)
{
    size_t n = *npairs;
    bool any = false;
    if (n <= SMALL_MAP) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i && i != *m; j++)
                if (j != *m && kv[2 * j] && same_key(kv[2 * i], kv[2 * j])) {
                    if (note_duplicate(r, kv[2 * i], err))
                        return err ? err->code : KH_ENOMEM;
                    kv[2 * j] = NULL;
                    any = true;
                }
    } else {
        if (!keyset_reset(r, n))
            return oom(r, err);
        for (size_t i = 0; i < n; i++) {
            bool found;
            if (i == *m || kv[2 * i]->type >= KH_NODE_MAP)
                continue;
            keyent *e = keyset_put(r, kv[2 * i], i, &found);
            if (!found)
                continue;
            if (note_duplicate(r, kv[2 * i], err))
                return err ? err->code : KH_ENOMEM;
            kv[2 * e->pair] = NULL;
            e->pair = i;
            any = true;
        }
    }
    if (!any)
        return 0;
    size_t w = 0, merge = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!kv[2 * i])
            continue;
        if (i == *m)
            merge = w;
        kv[2 * w] = kv[2 * i];
        kv[2 * w + 1] = kv[2 * i + 1];
        w++;
    }
    *npairs = w;
    *m = merge;
    return 0;
}

static void copy_pairs(kh_pair *out, const kh_node **kv, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        out[i - from].key = kv[2 * i];
        out[i - from].value = kv[2 * i + 1];
    }
}

/*
 * Merge one source mapping into out[*k...]. Keys written after `<<` win,
 * and so do earlier sources; a key written before `<<` is an error, because
 * go-yaml v2 (kubectl) lets the merge override it while the YAML merge spec
 * (go-yaml v3, kustomize) keeps it: the two readings would differ.
 */
static int merge_source(kh_doc_reader *r, const kh_node *src, size_t m,
                        const kh_node *at, kh_pair *out, size_t *k,
                        kh_error *err)
{
    for (uint32_t i = 0; i < src->len; i++) {
        const kh_pair *p = &src->u.pairs[i];
        if (p->key->type < KH_NODE_MAP) {
            bool found;
            keyent *e = keyset_put(r, p->key, SIZE_MAX, &found);
            if (found && e->pair < m)
                return node_error(r, err, KH_EPARSE, at,
                                  "ambiguous merge: key '%.*s' is set before '<<' "
                                  "and by the merged mapping",
                                  p->key->u.text, p->key->len);
            if (found)
                continue;
        }
        out[(*k)++] = *p;
    }
    return 0;
}

static int merge_error(kh_doc_reader *r, const kh_node *at, kh_error *err)
{
    return kh_error_set(err, KH_EPARSE, r->file, at->line, at->col,
                        "map merge requires map or sequence of maps as the value");
}

/* Build the pairs of a mapping that has a `<<` key at pair @p m. */
static int build_merged(kh_doc_reader *r, frame *f, const kh_node **kv,
                        size_t npairs, size_t m, kh_error *err)
{
    const kh_node *key = kv[2 * m], *v = kv[2 * m + 1];
    size_t extra = 0, nsrc = 1;
    if (v->type == KH_NODE_SEQ && !f->merge_alias) {
        nsrc = v->len;
        for (size_t i = 0; i < nsrc; i++) {
            if (v->u.items[i]->type != KH_NODE_MAP)
                return merge_error(r, key, err);
            extra += v->u.items[i]->len;
        }
    } else if (v->type == KH_NODE_MAP) {
        extra = v->len;
    } else {
        return merge_error(r, key, err);
    }
    size_t cap = npairs - 1 + extra;
    kh_pair *out = kh_arena_alloc(r->arena, (cap ? cap : 1) * sizeof(*out));
    if (!out || !keyset_reset(r, cap))
        return oom(r, err);
    for (size_t i = 0; i < npairs; i++) {
        bool found;
        if (i != m && kv[2 * i]->type < KH_NODE_MAP)
            keyset_put(r, kv[2 * i], i, &found);
    }
    copy_pairs(out, kv, 0, m);
    size_t k = m;
    for (size_t i = 0; i < nsrc; i++) {
        const kh_node *src = v->type == KH_NODE_MAP ? v : v->u.items[i];
        int rc = merge_source(r, src, m, key, out, &k, err);
        if (rc)
            return rc;
    }
    copy_pairs(out + k, kv, m + 1, npairs);
    f->node->u.pairs = out;
    f->node->len = (uint32_t)(k + npairs - m - 1);
    return 0;
}

static int on_map_end(kh_doc_reader *r, kh_error *err)
{
    frame *f = &r->frames[r->depth - 1];
    const kh_node **kv = r->stack + f->base;
    size_t npairs = (r->stack_len - f->base) / 2;
    size_t m = f->merge_at == SIZE_MAX ? SIZE_MAX : (f->merge_at - f->base) / 2;
    int rc = drop_duplicates(r, kv, &npairs, &m, err);
    if (rc)
        return rc;
    if (m != SIZE_MAX) {
        rc = build_merged(r, f, kv, npairs, m, err);
    } else if (npairs) {
        kh_pair *out = kh_arena_alloc(r->arena, npairs * sizeof(*out));
        if (!out)
            return oom(r, err);
        copy_pairs(out, kv, 0, npairs);
        f->node->u.pairs = out;
        f->node->len = (uint32_t)npairs;
    }
    return rc ? rc : finish(r, err);
}

static int on_node_event(kh_doc_reader *r, const yaml_event_t *ev, kh_error *err)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(r, ev, err);
    case YAML_ALIAS_EVENT:
        return on_alias(r, ev, err);
    case YAML_MAPPING_START_EVENT:
        return on_start(r, ev, KH_NODE_MAP, err);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(r, ev, KH_NODE_SEQ, err);
    case YAML_MAPPING_END_EVENT:
        return on_map_end(r, err);
    case YAML_SEQUENCE_END_EVENT:
        return on_seq_end(r, err);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ big Lists */

/* What a look over a JSON object's raw text gathers. */
typedef struct look {
    char keys[LOOK_KEYS][LOOK_TEXT];
    size_t nkeys;
    char kind[LOOK_TEXT], api_version[LOOK_TEXT];
    size_t items;               /* `items` keys whose value is an array */
    bool bad;                   /* a reason not to hand items out */
} look;

static bool ends_with_list(const char *s)
{
    size_t n = strlen(s);
    return n >= 4 && memcmp(s + n - 4, "List", 4) == 0;
}

/* A top-level key, or the value of kind or apiVersion, read raw: only
 * short strings without escapes, so the raw bytes are the decoded ones.
 * @return the key's copy, or NULL. */
static const char *look_string(look *lk, const char *text, size_t len, bool key,
                               const char *of)
{
    if (len >= LOOK_TEXT || memchr(text, '\\', len)) {
        lk->bad = true;
        return NULL;
    }
    char *out = NULL;
    if (key) {
        for (size_t i = 0; i < lk->nkeys; i++)
            if (strlen(lk->keys[i]) == len && memcmp(lk->keys[i], text, len) == 0)
                lk->bad = true; /* the last one would win: read it whole */
        if (lk->nkeys == LOOK_KEYS) {
            lk->bad = true;
            return NULL;
        }
        out = lk->keys[lk->nkeys++];
    } else if (of && strcmp(of, "kind") == 0) {
        out = lk->kind;
    } else if (of && strcmp(of, "apiVersion") == 0) {
        out = lk->api_version;
    } else {
        return NULL;
    }
    memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

/* The look's verdict on a whole value of @p size bytes. */
static bool look_says_stream(kh_doc_reader *r, const look *lk, size_t size)
{
    if (lk->bad || lk->items != 1 || size < STREAM_MIN || !ends_with_list(lk->kind) ||
        (strcmp(lk->kind, "EventList") == 0 &&
         strncmp(lk->api_version, "audit.k8s.io/", 13) == 0))
        return false;
    size_t klen = strlen(lk->kind) - 4;
    r->item_defaults = strcmp(lk->kind, "List") != 0;
    memcpy(r->item_kind, lk->kind, klen);
    r->item_kind[klen] = '\0';
    memcpy(r->item_api_version, lk->api_version, sizeof(lk->api_version));
    return true;
}

/*
 * Should the JSON value starting at in->pos be read item by item? Only a
 * List the envelope code unwraps the same way either way: an object of at
 * least STREAM_MIN bytes whose `kind` is a string naming a List (not an
 * audit EventList, whose items are events), with one `items` key, an
 * array of objects, and no repeated top-level key. The look reads raw
 * bytes (strings and nesting only): from a regular file with pread, so the
 * window need not hold them, else through the window, which keeps them. A
 * List that is not well-formed JSON fails in the parse where it would whole.
 */
static bool look_list(kh_doc_reader *r)
{
    kh_doc_input *in = &r->in;
    look lk = {.nkeys = 0};
    size_t off = in->pos, depth = 0, blen = 0;
    bool in_str = false, esc = false, is_key = false, key_next = false;
    bool elem_next = false, in_items = false;
    const char *value_of = NULL;    /* the top-level key whose value comes */
    char buf[LOOK_TEXT];
    bool yes = false;
    /* A regular file is looked at with pread, past the window, so the
     * window need not hold the List; a pipe's window must. */
    unsigned char *ahead = r->file_start >= 0 ? malloc(LOOK_READ) : NULL;
    for (;;) {
        const unsigned char *p;
        size_t n;
        if (off < in->base + in->len || !ahead) {
            if (off == in->base + in->len && !kh_doc_input__more(in))
                break;
            p = (const unsigned char *)in->data + (off - in->base);
            n = in->base + in->len - off;
        } else {
            ssize_t got = pread(fileno(in->in), ahead, LOOK_READ, r->file_start + (off_t)off);
            if (got <= 0)
                break;
            p = ahead;
            n = (size_t)got;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = p[i];
            if (in_str) {
                if (esc) {
                    esc = false;
                } else if (c == '\\') {
                    esc = true;
                } else if (c == '"') {
                    in_str = false;
                    if (depth == 1) {
                        const char *k = look_string(&lk, buf, blen, is_key, value_of);
                        value_of = is_key ? k : NULL;
                    }
                    continue;
                }
                if (depth == 1 && blen < LOOK_TEXT)
                    buf[blen++] = (char)c;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                continue;
            if (elem_next) {
                elem_next = false;
                lk.bad |= c != '{' && c != ']';
            }
            switch (c) {
            case '"':
                in_str = true;
                is_key = depth == 1 && key_next;
                key_next = false;
                blen = 0;
                break;
            case '{':
            case '[':
                if (depth == 1) {
                    bool items = value_of && strcmp(value_of, "items") == 0;
                    in_items = items && c == '[';
                    elem_next = in_items;
                    lk.items += in_items;
                    lk.bad |= items && c != '[';
                    value_of = NULL;
                }
                key_next = ++depth == 1;
                break;
            case '}':
            case ']':
                if (depth == 0)
                    goto done;
                if (--depth == 0) {
                    yes = look_says_stream(r, &lk, off + i + 1 - in->pos);
                    goto done;
                }
                if (depth == 1)
                    in_items = false;
                break;
            case ',':
                key_next = depth == 1;
                elem_next = depth == 2 && in_items;
                if (depth == 1)
                    value_of = NULL;
                break;
            default:
                if (depth == 0)
                    goto done;
                break;
            }
        }
        off += n;
    }
done:
    free(ahead);
    return yes;
}

/* --------------------------------------------------------------- documents */

static int begin_document(kh_doc_reader *r, kh_arena *arena, kh_doc *doc,
                          const yaml_event_t *ev, kh_error *err)
{
    r->arena = arena;
    r->root = NULL;
    r->total = 0;
    r->depth = 0;
    r->stack_len = 0;
    r->n_dups = 0;
    if (r->n_anchors || !r->aslots.cap) {
        r->n_anchors = 0;
        r->names_len = 0;
        if (!slots_reset(&r->aslots, 0))
            return oom(r, err);
    }
    doc->root = NULL;
    doc->duplicate_keys = NULL;
    doc->nduplicate_keys = 0;
    doc->file = r->file;
    doc->index = r->doc_count++;
    r->begun = true;
    doc->line = mark_line(r, &ev->start_mark);
    doc->col = mark_col(r, &ev->start_mark);
    r->stream = S_OFF;
    r->item = NULL;
    if (r->mode == M_JSON && !r->no_stream && look_list(r)) {
        r->stream = S_ARMED;
        r->arena = &r->own;
        r->tmpl = *doc;
        /* Items handed out are never read again (no YAML fallback), so
         * the window keeps only the List's tail as it moves on. */
        r->in.keep = r->in.pos;
        r->in.keep_lc = r->json.lc;
        r->in.soft = true;
    }
    return 0;
}

/* Hand out the item just read as a document of its own, with the
 * duplicate keys found inside it. */
static int hand_out_item(kh_doc_reader *r, kh_doc *doc, kh_error *err)
{
    *doc = r->tmpl;
    doc->root = r->item;
    doc->line = r->item->line;
    doc->col = r->item->col;
    size_t n = r->n_dups - r->item_dups;
    doc->nduplicate_keys = n;
    if (n) {
        const kh_node **keys = kh_arena_alloc(r->caller, n * sizeof(*keys));
        if (!keys)
            return oom(r, err);
        memcpy(keys, r->dups + r->item_dups, n * sizeof(*keys));
        doc->duplicate_keys = keys;
    }
    r->n_dups = r->item_dups;
    r->item = NULL;
    r->item_index++;
    return 1;
}

/* Hand the document's duplicate keys to the caller, in the arena. */
static int publish_duplicates(kh_doc_reader *r, kh_doc *doc, kh_error *err)
{
    doc->duplicate_keys = NULL;
    doc->nduplicate_keys = r->n_dups;
    if (!r->n_dups)
        return 1;
    const kh_node **keys = kh_arena_alloc(r->arena, r->n_dups * sizeof(*keys));
    if (!keys)
        return oom(r, err);
    memcpy(keys, r->dups, r->n_dups * sizeof(*keys));
    doc->duplicate_keys = keys;
    return 1;
}

/* ------------------------------------------------------------ event sources */

/* Where the input starts, kubectl decides between JSON and YAML: JSON when
 * the first byte past blanks in its first 4 KiB is '{' (GuessJSONStream). */
static void choose_mode(kh_doc_reader *r)
{
    kh_doc_input *in = &r->in;
    while (in->len < JSON_GUESS && kh_doc_input__more(in))
        ;
    size_t i = 0;
    while (i < in->len && i < JSON_GUESS && strchr(" \t\r\n\v\f", in->data[i]) &&
           in->data[i])
        i++;
    r->chunk.in = in;
    r->chunk.lc = (kh_doc_lc){1, 1, 0, 0};
    /* UTF-16 (libyaml reads it after a BOM) cannot be cut at byte level. */
    r->chunk.whole = in->len >= 2 && (((unsigned char)in->data[0] == 0xff &&
                                        (unsigned char)in->data[1] == 0xfe) ||
                                       ((unsigned char)in->data[0] == 0xfe &&
                                        (unsigned char)in->data[1] == 0xff));
    if (i < in->len && in->data[i] == '{') {
        r->mode = M_JSON;
        r->json.lc = (kh_doc_lc){1, 1, 0, 0};
        r->rewind_lc = r->json.lc;
        in->keep = r->rewind = 0;
        in->soft = false;
    } else {
        r->mode = M_YAML;
    }
}

/* After a chunk: the next starts where libyaml's end-of-stream mark is. */
static void end_chunk(kh_doc_reader *r, const yaml_mark_t *end)
{
    kh_doc_lc *lc = &r->chunk.lc;
    if (end->line) {
        lc->line += (unsigned)end->line;
        lc->col = 1;
        lc->p1 = '\n';
        lc->p2 = 0;
    }
    yaml_parser_delete(&r->parser);
    r->live = false;
    r->json_err_pending = false; /* the YAML after a JSON failure read fine */
}

static int yaml_next(kh_doc_reader *r, yaml_event_t *ev, kh_error *err);

/* A chunk's stream start or end event was pulled: go on to the next event. */
static int chunk_boundary(kh_doc_reader *r, yaml_event_t *ev, kh_error *err)
{
    if (ev->type == YAML_STREAM_END_EVENT) {
        yaml_mark_t end = ev->start_mark;
        yaml_event_delete(ev);
        end_chunk(r, &end);
    } else {
        yaml_event_delete(ev);
    }
    return yaml_next(r, ev, err);
}

static int yaml_next(kh_doc_reader *r, yaml_event_t *ev, kh_error *err)
{
    for (;;) {
        if (!r->live) {
            if (!kh_doc_chunk__begin(&r->chunk))
                return r->in.failed ? kh_error_set(err, KH_EIO, r->file, 0, 0,
                                                   "cannot read the input")
                                    : 0;
            if (!yaml_parser_initialize(&r->parser))
                return oom(r, err);
            yaml_parser_set_input(&r->parser, kh_doc_chunk__read, &r->chunk);
            r->live = true;
            r->begun = false;
            r->mline = r->chunk.lc.line - 1;
            r->mcol = r->chunk.lc.col - 1;
        }
        if (!yaml_parser_parse(&r->parser, ev))
            return parser_error(r, err);
        r->owned = true;
        if (ev->type == YAML_STREAM_END_EVENT) {
            yaml_mark_t end = ev->start_mark;
            yaml_event_delete(ev);
            end_chunk(r, &end);
            continue;
        }
        if (ev->type != YAML_STREAM_START_EVENT)
            return 1;
        yaml_event_delete(ev);
    }
}

/* Go on as YAML at in->pos with position @p lc. */
static void switch_to_yaml(kh_doc_reader *r, const kh_doc_lc *lc)
{
    r->mode = M_YAML;
    r->chunk.lc = *lc;
    r->in.keep = r->in.pos;
    r->in.keep_lc = *lc;
    r->in.soft = true;
}

/*
 * A JSON syntax error in the first or second value: as kubectl's
 * YAMLOrJSONDecoder, start over as YAML after the last good value (and its
 * blanks up to the first line break); if that YAML fails too, the JSON
 * error is the one reported.
 */
static int json_fallback(kh_doc_reader *r, yaml_event_t *ev, kh_error *err)
{
    kh_doc_input *in = &r->in;
    kh_doc_lc lc = r->rewind_lc;
    if (err)
        r->json_err = *err;
    r->json_err_pending = err != NULL;
    in->pos = r->rewind;
    for (int c; (c = kh_doc_input__peek(in)) >= 0 && strchr(" \t\r\n\v\f", c) && c;) {
        kh_doc_input__count(in, in->pos, in->pos + 1, &lc);
        in->pos++;
        if (c == '\n')
            break;
    }
    r->doc_count--; /* the failed value is read again */
    r->begun = false;
    switch_to_yaml(r, &lc);
    return yaml_next(r, ev, err);
}

static int json_next(kh_doc_reader *r, yaml_event_t *ev, kh_error *err)
{
    kh_doc_input *in = &r->in;
    r->owned = false;
    int rc = kh_doc_json__event(&r->json, in, r->file, ev, err);
    /* Not once items were handed out: they would be read twice. */
    if (rc == KH_EPARSE && r->json_docs <= 1 && r->stream <= S_ARMED) {
        r->stream = S_OFF;
        return json_fallback(r, ev, err);
    }
    if (rc == 1 && ev->type == YAML_DOCUMENT_END_EVENT) {
        r->json_docs++;
        in->keep = in->pos;
        if (r->json_docs <= 1) {
            r->rewind = in->pos;
            r->rewind_lc = r->json.lc;
        } else {
            in->soft = true;
            in->keep_lc = r->json.lc;
        }
    }
    return rc;
}

static int next_event(kh_doc_reader *r, yaml_event_t *ev, kh_error *err)
{
    if (r->mode == M_START)
        choose_mode(r);
    return r->mode == M_JSON ? json_next(r, ev, err) : yaml_next(r, ev, err);
}

/*
 * A document failed with @p rc: skip to the next separator line (the rest
 * of a YAML chunk; from a JSON error, on as YAML), so that the documents
 * after it are still read.
 */
static int recover(kh_doc_reader *r, int rc, kh_error *err)
{
    if (r->json_err_pending && err)
        *err = r->json_err, rc = r->json_err.code;
    r->json_err_pending = false;
    if (!r->begun)
        r->doc_count++; /* the bad document still has a number */
    r->stream = S_OFF;
    r->item = NULL;
    if (r->mode == M_JSON) {
        kh_doc_lc lc = r->json.lc;
        switch_to_yaml(r, &lc);
        if (kh_doc_chunk__begin(&r->chunk)) {
            r->chunk.line_at = SIZE_MAX; /* mid-line: cut at the next line */
            kh_doc_chunk__skip(&r->chunk);
        }
    } else if (r->live) {
        kh_doc_chunk__skip(&r->chunk);
        yaml_parser_delete(&r->parser);
        r->live = false;
    }
    if (r->in.failed || rc == KH_EIO)
        r->state = R_DONE;
    return rc;
}

/* ---------------------------------------------------------------- documents */

/* Read one document: 1 when loaded, 0 at the end of the stream, or an error. */
static int load_document(kh_doc_reader *r, kh_arena *arena, kh_doc *doc,
                         kh_error *err)
{
    r->caller = arena;
    for (;;) {
        yaml_event_t ev;
        int rc;
        /* Inside a YAML chunk (nearly every event), straight to libyaml. */
        if (r->live && yaml_parser_parse(&r->parser, &ev) &&
            ev.type > YAML_STREAM_END_EVENT) {
            rc = 1;
            r->owned = true;
        } else if (r->live) {
            rc = r->parser.error ? parser_error(r, err) : chunk_boundary(r, &ev, err);
        } else {
            rc = next_event(r, &ev, err);
        }
        if (rc == 0) {
            r->state = R_DONE;
            return 0;
        }
        if (rc < 0)
            return recover(r, rc, err);
        rc = 0;
        yaml_event_type_t type = ev.type;
        if (type == YAML_DOCUMENT_START_EVENT)
            rc = begin_document(r, arena, doc, &ev, err);
        else if (type != YAML_DOCUMENT_END_EVENT)
            rc = on_node_event(r, &ev, err);
        if (r->owned)
            yaml_event_delete(&ev);
        if (rc)
            return recover(r, rc, err);
        if (r->item)
            return hand_out_item(r, doc, err);
        if (type == YAML_DOCUMENT_END_EVENT) {
            r->begun = false;
            r->json_err_pending = false; /* YAML took over from JSON */
            if (r->stream != S_OFF) {
                /* The List's own mapping, its items handed out: only its
                 * own repeated keys are left to report. The window is
                 * held whole again while a later value may fall back. */
                *doc = r->tmpl;
                r->stream = S_OFF;
                r->in.soft = r->json_docs > 1;
                if (!r->n_dups)
                    return 1; /* no root: nothing to check */
            }
            doc->root = r->root;
            return publish_duplicates(r, doc, err);
        }
    }
}

int kh_doc_reader_next(kh_doc_reader *r, kh_arena *arena, kh_doc *doc,
                       kh_error *err)
{
    if (!r || !arena || !doc)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "missing argument");
    for (;;) {
        if (r->state == R_DONE)
            return 0;
        int rc = load_document(r, arena, doc, err);
        /* Empty and null documents ("---" alone, "~") carry no object. */
        if (rc == 1 && (!doc->root || doc->root->type == KH_NODE_NULL))
            continue;
        return rc;
    }
}

/* ------------------------------------------------------------- lifecycle */

static int reader_new(kh_doc_reader **out, const char *file, kh_error *err)
{
    kh_doc_reader *r = malloc(sizeof(*r));
    if (!r)
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    memset(r, 0, offsetof(kh_doc_reader, frames));
    r->file = file;
    r->state = R_READY;
    r->mode = M_START;
    r->file_start = -1;
    kh_arena_init(&r->own, 4096);
    if (!grow((void **)&r->stack, &r->stack_cap, 64, sizeof(*r->stack))) {
        kh_doc_reader_free(r);
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    }
    *out = r;
    return 0;
}

int kh_doc_reader_new_stream(kh_doc_reader **out, FILE *in, const char *file,
                             kh_error *err)
{
    if (!out || !in)
        return kh_error_set(err, KH_EUSAGE, file, 0, 0, "missing argument");
    int rc = reader_new(out, file, err);
    if (rc)
        return rc;
    (*out)->in.in = in;
    struct stat st;
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode))
        (*out)->file_start = ftello(in);
    return 0;
}

int kh_doc_reader_new_buffer(kh_doc_reader **out, const char *buf, size_t len,
                             const char *file, kh_error *err)
{
    if (!out || (!buf && len))
        return kh_error_set(err, KH_EUSAGE, file, 0, 0, "missing argument");
    int rc = reader_new(out, file, err);
    if (rc)
        return rc;
    (*out)->in.data = buf ? buf : "";
    (*out)->in.len = len;
    (*out)->in.eof = true;
    return 0;
}

size_t kh_doc_reader_offset(const kh_doc_reader *r)
{
    return r ? r->in.pos : 0;
}

void kh_doc_reader_free(kh_doc_reader *r)
{
    if (!r)
        return;
    if (r->live)
        yaml_parser_delete(&r->parser);
    free(r->in.win);
    free(r->json.text);
    free(r->stack);
    free(r->anchors);
    free(r->names);
    free(r->aslots.v);
    free(r->keys);
    free(r->dups);
    free(r->kslots.v);
    kh_arena_free(&r->own);
    free(r);
}

int kh_doc_load_buffer(const kh_node **root, kh_arena *arena, const char *buf,
                       size_t len, const char *file, kh_error *err)
{
    kh_doc_reader *r = NULL;
    kh_doc doc = {0}, extra = {0};
    kh_arena scratch;
    if (!root || !arena)
        return kh_error_set(err, KH_EUSAGE, file, 0, 0, "missing argument");
    *root = NULL;
    int rc = kh_doc_reader_new_buffer(&r, buf, len, file, err);
    if (rc)
        return rc;
    r->no_stream = true;
    kh_arena_init(&scratch, 4096);
    rc = kh_doc_reader_next(r, arena, &doc, err);
    if (rc == 0)
        rc = kh_error_set(err, KH_EPARSE, file, 0, 0, "empty document");
    if (rc == 1)
        rc = kh_doc_reader_next(r, &scratch, &extra, err);
    if (rc == 1)
        rc = kh_error_set(err, KH_EPARSE, file, extra.line, extra.col,
                          "expected a single document");
    if (rc == 0)
        *root = doc.root;
    kh_arena_free(&scratch);
    kh_doc_reader_free(r);
    return rc;
}
