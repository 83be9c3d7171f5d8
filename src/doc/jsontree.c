/*
 * jsontree.c -- one JSON object in a complete buffer, straight into the
 * node tree: the audit watcher's lines and the webhook's AdmissionReviews.
 *
 * One pass, no events: values are built as they are read (children wait
 * on a scratch stack, a finished collection is copied into the arena in
 * one allocation, a scalar shares one allocation with its text). Strings
 * are scanned eight bytes at a time for the bytes that need work; ASCII
 * runs cost no position counting, as a column is the offset from the
 * line's start less the UTF-8 continuation bytes seen on it.
 *
 * The tree is the one kh_doc_load_buffer builds (json.c's events through
 * load.c): same types, quoting, text, positions and duplicate-key rule.
 * Anything else -- input that is not one object, malformed JSON (which
 * kubectl may still read as YAML), nesting past KH_DOC_MAX_DEPTH -- is
 * handed to kh_doc_load_buffer, so results and errors are its own.
 */
#include "doc/node.h"

#include <stdlib.h>
#include <string.h>

#define JSON_GUESS 4096     /* as load.c: the '{' must come within this */
#define SMALL_MAP 16        /* as load.c: duplicates by pairwise compare */
#define LOCAL_ITEMS 512
#define CHUNK 4096          /* taken from the arena at a time */

enum { DECLINE = 0, LOADED = 1 };

typedef struct frame {
    uint32_t line, col;
    size_t base;            /* first child on the scratch stack */
    unsigned char close;    /* '}' or ']' */
} frame;

typedef struct jt {
    const unsigned char *buf, *p, *end;
    const unsigned char *line_start;
    size_t adj;             /* continuation bytes between line_start and p */
    uint32_t line;
    kh_arena *arena;
    unsigned char *cur, *lim; /* a piece of the arena, handed out here */
    const kh_node **stack;  /* children of the open collections */
    size_t n, cap;
    char *text;             /* decoded string with escapes or non-ASCII */
    size_t text_len, text_cap;
    uint32_t *slots;        /* key hash table of big maps */
    size_t nslots;
    const kh_node *local[LOCAL_ITEMS];
} jt;

static uint32_t col_of(const jt *j, const unsigned char *at)
{
    return (uint32_t)(at - j->line_start - j->adj + 1);
}

/* Blanks between tokens (json.c's skip_space); CRLF is one break. */
static void skip_blanks(jt *j)
{
    const unsigned char *p = j->p;
    while (p < j->end) {
        unsigned char c = *p;
        if (c == ' ' || c == '\t') {
            p++;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' || p == j->buf || p[-1] != '\r')
                j->line++;
            j->line_start = ++p;
            j->adj = 0;
        } else {
            break;
        }
    }
    j->p = p;
}

static inline void skip_space(jt *j)
{
    if (j->p < j->end && *j->p > ' ')
        return; /* compact JSON: nearly always */
    skip_blanks(j);
}

/* Position counting over raw bytes >= 0x80 (input.c's kh_doc_input__count):
 * continuation bytes take no column, and NEL, LS and PS end a line. */
static void count_high(jt *j, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *b = s + i;
        if ((*b & 0xc0) != 0x80)
            continue;
        if ((*b == 0x85 && b[-1] == 0xc2) ||
            ((*b == 0xa8 || *b == 0xa9) && b[-1] == 0x80 && b[-2] == 0xe2)) {
            j->line++;
            j->line_start = b + 1;
            j->adj = 0;
        } else {
            j->adj++;
        }
    }
}

/* Arena memory, bumped from a chunk here: one call to the arena per chunk
 * rather than per node (a chunk's unused tail is the cost). */
static void *alloc(jt *j, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if ((size_t)(j->lim - j->cur) < size) {
        if (size > CHUNK / 4)
            return kh_arena_alloc(j->arena, size);
        unsigned char *c = kh_arena_alloc(j->arena, CHUNK);
        if (!c)
            return NULL;
        j->cur = c;
        j->lim = c + CHUNK;
    }
    void *p = j->cur;
    j->cur += size;
    return p;
}

static bool push(jt *j, const kh_node *n)
{
    if (j->n == j->cap) {
        size_t cap = j->cap * 2;
        const kh_node **s = j->stack == j->local ? malloc(cap * sizeof(*s))
                                                  : realloc(j->stack, cap * sizeof(*s));
        if (!s)
            return false;
        if (j->stack == j->local)
            memcpy(s, j->local, j->n * sizeof(*s));
        j->stack = s;
        j->cap = cap;
    }
    j->stack[j->n++] = n;
    return true;
}

/*
 * A scalar node and its text in one allocation: @p src is the text in the
 * input, or NULL for the decoded j->text. The text's last word is zeroed
 * first, so its bytes past the NUL are defined (key_word reads a whole
 * word). A text whose words lie within the input is copied a word at a
 * time: most are short, and a call to memcpy cost more.
 */
static inline __attribute__((always_inline)) kh_node *
scalar(jt *j, uint8_t type, uint8_t quoted, uint8_t boolean, uint32_t line, uint32_t col,
       const unsigned char *src, size_t len)
{
    size_t words = (len + 8) / 8; /* the NUL included */
    kh_node *n = alloc(j, sizeof(*n) + 8 * words);
    if (!n)
        return NULL;
    char *t = (char *)(n + 1);
    memset(t + 8 * (words - 1), 0, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (src && (size_t)(j->end - src) >= 8 * words) {
        uint64_t w;
        for (size_t i = 0; i + 8 <= len; i += 8)
            memcpy(t + i, src + i, 8);
        memcpy(&w, src + 8 * (words - 1), 8);
        w &= len & 7 ? ~0ull >> (64 - 8 * (len & 7)) : 0; /* the NUL and after */
        memcpy(t + 8 * (words - 1), &w, 8);
    } else
#endif
    {
        memcpy(t, src ? (const void *)src : j->text, len);
        t[len] = '\0';
    }
    n->type = type;
    n->quoted = quoted;
    n->boolean = boolean;
    n->line = line;
    n->col = col;
    n->len = (uint32_t)len;
    n->u.text = t;
    return n;
}

/* --------------------------------------------------------------- strings */

/* Bytes that stand for themselves in a string: printable ASCII but '"' and '\\'. */
static const unsigned char plain_byte[256] = {
    [0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/* The bytes of a word that are not plain (a quote, a backslash, a control
 * byte, a byte >= 0x80) have their high bit set in the result -- exactly
 * for the lowest such byte; above it a borrow may mark others too. A byte
 * minus one has its high bit set when it was 0 or >= 0x81, and the latter
 * (bytes >= 0x80 in w) are marked anyway. */
static inline uint64_t word_special(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    return ((q - ONES) | (b - ONES) | (w - ONES * 0x20) | w) & HIGH;
}

/* The first byte from @p p that is not plain, or @p end. */
static const unsigned char *plain_run(const unsigned char *p, const unsigned char *end)
{
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = word_special(w);
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
#else
        if (m)
            break;
#endif
        p += 8;
    }
    while (p < end && plain_byte[*p])
        p++;
    return p;
}

/* Append to the decoded text; the common case, room enough, stays inline. */
static inline bool put(jt *j, const void *s, size_t n)
{
    if (j->text_len + n + 1 > j->text_cap)
        return kh_doc__append(&j->text, &j->text_len, &j->text_cap, s, n);
    memcpy(j->text + j->text_len, s, n);
    j->text_len += n;
    return true;
}

static bool put_rune(jt *j, uint32_t r)
{
    unsigned char b[4];
    return put(j, b, kh_doc__utf8_encode(b, r));
}

/* Hex digit values plus one (0: not a hex digit). */
static const unsigned char hex1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16,
};

/* Four hex digits at @p p (which has them), or -1. */
static long u4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex1[p[i]];
        if (!h)
            return -1;
        v = v << 4 | (h - 1);
    }
    return v;
}

/* What a one-letter escape stands for, 0 for none ('u' is handled apart). */
static const char unescape[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

/*
 * A string with escapes or bytes >= 0x80, into j->text: @p q is its
 * opening quote, the bytes up to @p p plain. Decoded as Go decodes it
 * (surrogate pairs join, lone surrogates and invalid UTF-8 become
 * U+FFFD). Leaves j->p after the closing quote.
 */
static int slow_string(jt *j, const unsigned char *q, const unsigned char *p)
{
    const unsigned char *end = j->end;
    j->text_len = 0;
    if (!put(j, q + 1, (size_t)(p - q - 1)))
        return KH_ENOMEM;
    for (;;) {
        const unsigned char *r = plain_run(p, end);
        if (!put(j, p, (size_t)(r - p)))
            return KH_ENOMEM;
        p = r;
        if (p == end || *p < 0x20)
            return DECLINE;
        if (*p == '"')
            break;
        if (*p >= 0x80) {
            size_t n = kh_doc__utf8_len(p, (size_t)(end - p));
            if (!(n ? put(j, p, n) : put_rune(j, 0xfffd)))
                return KH_ENOMEM;
            n = n ? n : 1;
            count_high(j, p, n);
            p += n;
            continue;
        }
        /* a backslash */
        if (end - p < 2)
            return DECLINE;
        unsigned char c = p[1];
        if (c != 'u') {
            if (!unescape[c])
                return DECLINE;
            if (!put(j, &unescape[c], 1))
                return KH_ENOMEM;
            p += 2;
            continue;
        }
        long v = end - p >= 6 ? u4(p + 2) : -1;
        if (v < 0)
            return DECLINE;
        p += 6;
        if (v >= 0xd800 && v < 0xe000) {
            long v2 = -1;
            if (v < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u')
                v2 = u4(p + 2);
            if (v2 >= 0xdc00 && v2 < 0xe000) {
                p += 6;
                v = 0x10000 + ((v - 0xd800) << 10) + (v2 - 0xdc00);
            } else {
                v = 0xfffd;
            }
        }
        if (!put_rune(j, (uint32_t)v))
            return KH_ENOMEM;
    }
    j->p = p + 1;
    return LOADED;
}

/* A string at j->p (its opening quote). */
static int string(jt *j, kh_node **out)
{
    const unsigned char *q = j->p, *p = plain_run(q + 1, j->end);
    uint32_t line = j->line, col = col_of(j, q); /* before any line break inside */
    if (p < j->end && *p == '"') {
        *out = scalar(j, KH_NODE_STRING, 1, 0, line, col, q + 1, (size_t)(p - q - 1));
        j->p = p + 1;
        return *out ? LOADED : KH_ENOMEM;
    }
    int rc = slow_string(j, q, p);
    if (rc != LOADED)
        return rc;
    *out = scalar(j, KH_NODE_STRING, 1, 0, line, col, NULL, j->text_len);
    return *out ? LOADED : KH_ENOMEM;
}

/* --------------------------------------------------- numbers and literals */

static bool is_digit(unsigned c)
{
    return c - '0' < 10;
}

/* A number by JSON's grammar; its text resolved as load.c resolves a plain
 * scalar (so 1e400, which overflows a double, is a string, as in Go). */
static int number(jt *j, kh_node **out)
{
    const unsigned char *s = j->p, *p = s, *end = j->end;
    bool simple = true;
    if (*p == '-')
        p++;
    if (p < end && *p == '0') {
        p++;
    } else {
        const unsigned char *d = p;
        while (p < end && is_digit(*p))
            p++;
        if (p == d)
            return DECLINE;
    }
    if (p < end && *p == '.') {
        const unsigned char *d = ++p;
        while (p < end && is_digit(*p))
            p++;
        if (p == d)
            return DECLINE;
        simple = false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const unsigned char *d = p;
        while (p < end && is_digit(*p))
            p++;
        if (p == d)
            return DECLINE;
        simple = false;
    }
    size_t len = (size_t)(p - s);
    uint8_t boolean = 0;
    /* Up to 18 digits always fit an int64: skip go-yaml's resolution. */
    int type = simple && len <= 18 ? KH_NODE_INT
                                   : kh_node__resolve((const char *)s, len, &boolean);
    *out = scalar(j, (uint8_t)type, 0, boolean, j->line, col_of(j, s), s, len);
    j->p = p;
    return *out ? LOADED : KH_ENOMEM;
}

static int literal(jt *j, kh_node **out)
{
    static const struct {
        char word[6];
        uint8_t len, type, boolean;
    } lits[] = {{"true", 4, KH_NODE_BOOL, 1}, {"false", 5, KH_NODE_BOOL, 0},
                {"null", 4, KH_NODE_NULL, 0}};
    const unsigned char *p = j->p;
    int k = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
    size_t len = lits[k].len;
    if ((size_t)(j->end - p) < len || memcmp(p, lits[k].word, len) != 0)
        return DECLINE;
    *out = scalar(j, lits[k].type, 0, lits[k].boolean, j->line, col_of(j, p), p, len);
    j->p = p + len;
    return *out ? LOADED : KH_ENOMEM;
}

/* ------------------------------------------------------------ collections */

static bool same_key(const kh_node *a, const kh_node *b)
{
    return a->len == b->len && memcmp(a->u.text, b->u.text, a->len) == 0;
}

/* A key's first eight bytes and its length in one word: keys that differ
 * there differ (scalar() leaves the bytes past a text's NUL zero). */
static uint64_t key_word(const kh_node *k)
{
    uint64_t w;
    memcpy(&w, k->u.text, 8);
    return w ^ ((uint64_t)k->len << 56) ^ k->len;
}

static uint32_t hash_key(const kh_node *k)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < k->len; i++)
        h = (h ^ (unsigned char)k->u.text[i]) * 16777619u;
    return h;
}

/* Duplicate keys as load.c's drop_duplicates: the last one wins, the
 * earlier pairs go (NULL keys, compacted by the caller). @return whether
 * any went, or -1 when out of memory. */
static int drop_duplicates(jt *j, const kh_node **kv, size_t n)
{
    bool any = false;
    if (n <= SMALL_MAP) {
        /* A 64-bit filter of the words seen: a key whose bit is clear has
         * no equal before it, and most keys are found so. */
        uint64_t w[SMALL_MAP], seen = 0;
        for (size_t i = 0; i < n; i++) {
            w[i] = key_word(kv[2 * i]);
            uint64_t bit = 1ull << ((w[i] * 0x9e3779b97f4a7c15ull) >> 58);
            if (seen & bit)
                for (size_t k = 0; k < i; k++)
                    if (w[k] == w[i] && kv[2 * k] && same_key(kv[2 * i], kv[2 * k])) {
                        kv[2 * k] = NULL;
                        any = true;
                    }
            seen |= bit;
        }
        return any;
    }
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    if (cap > j->nslots) {
        uint32_t *s = realloc(j->slots, cap * sizeof(*s));
        if (!s)
            return -1;
        j->slots = s;
        j->nslots = cap;
    }
    memset(j->slots, 0, cap * sizeof(*j->slots));
    for (size_t i = 0; i < n; i++) {
        for (size_t h = hash_key(kv[2 * i]) & (cap - 1);; h = (h + 1) & (cap - 1)) {
            uint32_t *s = &j->slots[h];
            if (!*s) {
                *s = (uint32_t)i + 1;
                break;
            }
            if (same_key(kv[2 * (*s - 1)], kv[2 * i])) {
                kv[2 * (*s - 1)] = NULL;
                *s = (uint32_t)i + 1;
                any = true;
                break;
            }
        }
    }
    return any;
}

/* Close the collection of frame @p f: its children leave the stack. */
static int close_collection(jt *j, const frame *f, kh_node **out)
{
    const kh_node **kids = j->stack + f->base;
    size_t n = j->n - f->base;
    bool map = f->close == '}';
    if (map) {
        n /= 2;
        int rc = n > 1 ? drop_duplicates(j, kids, n) : 0;
        if (rc < 0)
            return KH_ENOMEM;
        if (rc) {
            size_t w = 0;
            for (size_t i = 0; i < n; i++)
                if (kids[2 * i]) {
                    kids[2 * w] = kids[2 * i];
                    kids[2 * w + 1] = kids[2 * i + 1];
                    w++;
                }
            n = w;
        }
    }
    size_t each = map ? sizeof(kh_pair) : sizeof(kh_node *);
    kh_node *c = alloc(j, sizeof(*c) + n * each);
    if (!c)
        return KH_ENOMEM;
    *c = (kh_node){.type = map ? KH_NODE_MAP : KH_NODE_SEQ, .line = f->line,
                   .col = f->col, .len = (uint32_t)n};
    if (n && map) {
        kh_pair *pairs = (kh_pair *)(c + 1);
        for (size_t i = 0; i < n; i++)
            pairs[i] = (kh_pair){kids[2 * i], kids[2 * i + 1]};
        c->u.pairs = pairs;
    } else if (n) {
        const kh_node **items = (const kh_node **)(c + 1);
        memcpy(items, kids, n * sizeof(*items));
        c->u.items = items;
    }
    j->n = f->base;
    *out = c;
    return LOADED;
}

/* ------------------------------------------------------------ the reader */

/* The object at j->p, and nothing but blanks after it. */
static int read_object(jt *j, const kh_node **root)
{
    frame frames[KH_DOC_MAX_DEPTH];
    size_t depth = 0;
    kh_node *n;
    int rc;
    goto value;

value:
    switch (*j->p) {
    case '{':
    case '[':
        if (depth == KH_DOC_MAX_DEPTH)
            return DECLINE; /* load.c reports it */
        frames[depth] = (frame){j->line, col_of(j, j->p), j->n,
                                *j->p == '{' ? '}' : ']'};
        depth++;
        j->p++;
        skip_space(j);
        if (j->p < j->end && *j->p == frames[depth - 1].close) {
            j->p++;
            goto close;
        }
        if (frames[depth - 1].close == '}')
            goto key;
        if (j->p == j->end)
            return DECLINE;
        goto value;
    case '"':
        rc = string(j, &n);
        break;
    case 't':
    case 'f':
    case 'n':
        rc = literal(j, &n);
        break;
    default:
        if (*j->p != '-' && !is_digit(*j->p))
            return DECLINE;
        rc = number(j, &n);
        break;
    }
    if (rc != LOADED)
        return rc;
    if (!push(j, n))
        return KH_ENOMEM;
    goto after;

key:
    if (j->p == j->end || *j->p != '"')
        return DECLINE;
    if ((rc = string(j, &n)) != LOADED)
        return rc;
    if (!push(j, n))
        return KH_ENOMEM;
    skip_space(j);
    if (j->p == j->end || *j->p != ':')
        return DECLINE;
    j->p++;
    skip_space(j);
    if (j->p == j->end)
        return DECLINE;
    goto value;

close:
    if ((rc = close_collection(j, &frames[--depth], &n)) != LOADED)
        return rc;
    if (!depth) {
        *root = n;
        skip_space(j);
        return j->p == j->end ? LOADED : DECLINE; /* a second value: load.c's rules */
    }
    if (!push(j, n))
        return KH_ENOMEM;

after:
    skip_space(j);
    if (j->p == j->end)
        return DECLINE;
    if (*j->p == ',') {
        j->p++;
        skip_space(j);
        if (frames[depth - 1].close == '}')
            goto key;
        if (j->p == j->end)
            return DECLINE;
        goto value;
    }
    if (*j->p != frames[depth - 1].close)
        return DECLINE;
    j->p++;
    goto close;
}

int kh_doc__json_tree(const kh_node **root, kh_arena *arena, const char *buf, size_t len)
{
    jt j;
    *root = NULL;
    if (!buf || len > UINT32_MAX)
        return DECLINE;
    j.buf = j.p = (const unsigned char *)buf;
    j.end = j.p + len;
    j.line_start = j.p;
    j.adj = 0;
    j.line = 1;
    j.arena = arena;
    j.cur = j.lim = NULL;
    j.stack = j.local;
    j.n = 0;
    j.cap = LOCAL_ITEMS;
    j.text = NULL;
    j.text_len = j.text_cap = 0;
    j.slots = NULL;
    j.nslots = 0;
    skip_space(&j);
    if (j.p == j.end || *j.p != '{' || j.p - (const unsigned char *)buf >= JSON_GUESS)
        return DECLINE;
    int rc = read_object(&j, root);
    if (j.stack != j.local)
        free(j.stack);
    free(j.text);
    free(j.slots);
    if (rc != LOADED)
        *root = NULL;
    return rc;
}

int kh_doc_load_json(const kh_node **root, kh_arena *arena, const char *buf, size_t len,
                     const char *file, kh_error *err)
{
    if (!root || !arena)
        return kh_error_set(err, KH_EUSAGE, file, 0, 0, "missing argument");
    int rc = kh_doc__json_tree(root, arena, buf, len);
    if (rc == LOADED)
        return 0;
    if (rc == KH_ENOMEM)
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    return kh_doc_load_buffer(root, arena, buf, len, file, err);
}
