/*
 * node.c -- scalar resolution and the read-only accessors of the tree.
 *
 * Resolution copies go-yaml v2 (what sigs.k8s.io/yaml, and so Kubernetes,
 * runs on plain scalars): the first byte picks a hint, a short word list
 * gives the YAML 1.1 booleans, nulls and special floats, and numbers follow
 * Go's strconv with every '_' dropped first. Decimal floats that overflow a
 * double stay strings, as in Go. Accessors are linear scans: the maps of a
 * manifest are small.
 */
#include "doc/node.h"

#include <string.h>

/* ------------------------------------------------------------ resolution */

enum { HINT_NONE = 0, HINT_SIGN, HINT_DIGIT, HINT_WORD, HINT_DOT };

/* go-yaml's resolve table: which first bytes may start a non-string. */
static const uint8_t hints[256] = {
    ['+'] = HINT_SIGN, ['-'] = HINT_SIGN, ['.'] = HINT_DOT,
    ['0'] = HINT_DIGIT, ['1'] = HINT_DIGIT, ['2'] = HINT_DIGIT,
    ['3'] = HINT_DIGIT, ['4'] = HINT_DIGIT, ['5'] = HINT_DIGIT,
    ['6'] = HINT_DIGIT, ['7'] = HINT_DIGIT, ['8'] = HINT_DIGIT,
    ['9'] = HINT_DIGIT,
    ['y'] = HINT_WORD, ['Y'] = HINT_WORD, ['n'] = HINT_WORD, ['N'] = HINT_WORD,
    ['t'] = HINT_WORD, ['T'] = HINT_WORD, ['f'] = HINT_WORD, ['F'] = HINT_WORD,
    ['o'] = HINT_WORD, ['O'] = HINT_WORD, ['~'] = HINT_WORD,
};

typedef struct word {
    char text[6];
    uint8_t len, type, boolean;
} word;

/* go-yaml v2's resolve map (without "<<", which the loader handles). */
static const word words[] = {
    {"y", 1, KH_NODE_BOOL, 1},     {"Y", 1, KH_NODE_BOOL, 1},
    {"yes", 3, KH_NODE_BOOL, 1},   {"Yes", 3, KH_NODE_BOOL, 1},
    {"YES", 3, KH_NODE_BOOL, 1},   {"true", 4, KH_NODE_BOOL, 1},
    {"True", 4, KH_NODE_BOOL, 1},  {"TRUE", 4, KH_NODE_BOOL, 1},
    {"on", 2, KH_NODE_BOOL, 1},    {"On", 2, KH_NODE_BOOL, 1},
    {"ON", 2, KH_NODE_BOOL, 1},    {"n", 1, KH_NODE_BOOL, 0},
    {"N", 1, KH_NODE_BOOL, 0},     {"no", 2, KH_NODE_BOOL, 0},
    {"No", 2, KH_NODE_BOOL, 0},    {"NO", 2, KH_NODE_BOOL, 0},
    {"false", 5, KH_NODE_BOOL, 0}, {"False", 5, KH_NODE_BOOL, 0},
    {"FALSE", 5, KH_NODE_BOOL, 0}, {"off", 3, KH_NODE_BOOL, 0},
    {"Off", 3, KH_NODE_BOOL, 0},   {"OFF", 3, KH_NODE_BOOL, 0},
    {"~", 1, KH_NODE_NULL, 0},     {"null", 4, KH_NODE_NULL, 0},
    {"Null", 4, KH_NODE_NULL, 0},  {"NULL", 4, KH_NODE_NULL, 0},
    {".nan", 4, KH_NODE_FLOAT, 0}, {".NaN", 4, KH_NODE_FLOAT, 0},
    {".NAN", 4, KH_NODE_FLOAT, 0}, {".inf", 4, KH_NODE_FLOAT, 0},
    {".Inf", 4, KH_NODE_FLOAT, 0}, {".INF", 4, KH_NODE_FLOAT, 0},
    {"+.inf", 5, KH_NODE_FLOAT, 0}, {"+.Inf", 5, KH_NODE_FLOAT, 0},
    {"+.INF", 5, KH_NODE_FLOAT, 0}, {"-.inf", 5, KH_NODE_FLOAT, 0},
    {"-.Inf", 5, KH_NODE_FLOAT, 0}, {"-.INF", 5, KH_NODE_FLOAT, 0},
};

static const word *find_word(const char *s, size_t len)
{
    if (len > 5)
        return NULL;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (words[i].len == len && memcmp(words[i].text, s, len) == 0)
            return &words[i];
    return NULL;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* strconv.ParseUint(s, base, 64); base 0 takes it from a 0b/0o/0x/0 prefix. */
static bool parse_uint(const char *s, size_t n, unsigned base, uint64_t *out)
{
    if (n == 0)
        return false;
    if (base == 0) {
        base = 10;
        if (s[0] == '0') {
            char c = n >= 3 ? (char)(s[1] | 0x20) : 0;
            size_t skip = (c == 'b' || c == 'o' || c == 'x') ? 2 : 1;
            base = c == 'b' ? 2 : c == 'x' ? 16 : 8;
            s += skip;
            n -= skip;
        }
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (is_digit((int)c))
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            d = (c | 0x20) - 'a' + 10;
        else
            return false;
        if (d >= base || v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* strconv.ParseInt(s, base, 64): an optional sign, then ParseUint. */
static bool parse_int(const char *s, size_t n, unsigned base, int64_t *out)
{
    bool neg = false;
    uint64_t u;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (!parse_uint(s, n, base, &u))
        return false;
    if (!neg && u > (uint64_t)INT64_MAX)
        return false;
    if (neg && u > (uint64_t)INT64_MAX + 1)
        return false;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

/* Copy s without '_' into buf; false when the result does not fit (then it
 * is too long to be any 64-bit integer). */
static bool strip_underscores(char *buf, size_t cap, const char *s, size_t len,
                              size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_')
            continue;
        if (k == cap)
            return false;
        buf[k++] = s[i];
    }
    *n = k;
    return true;
}

/*
 * Integer value of a plain scalar the way go-yaml v2 reads it: ParseInt
 * base 0, then ParseUint, then its "0b" fallback (which lets a sign follow
 * the prefix). @return 1 for an int64, 2 for a uint64 above INT64_MAX,
 * 0 when it is no integer.
 */
static int go_int(const char *s, size_t len, int64_t *out)
{
    char buf[80];
    size_t n;
    uint64_t u;
    buf[0] = '\0'; /* quiets gcc's -Wmaybe-uninitialized at -O2 */
    if (!strip_underscores(buf, sizeof(buf), s, len, &n))
        return 0;
    if (parse_int(buf, n, 0, out))
        return 1;
    if (n > 0 && buf[0] != '+' && buf[0] != '-' && parse_uint(buf, n, 0, &u)) {
        *out = (int64_t)u;
        return 2;
    }
    if (n >= 2 && buf[0] == '0' && buf[1] == 'b') {
        if (parse_int(buf + 2, n - 2, 2, out))
            return 1;
        if (n > 2 && buf[2] != '+' && buf[2] != '-' &&
            parse_uint(buf + 2, n - 2, 2, &u)) {
            *out = (int64_t)u;
            return 2;
        }
    }
    return 0;
}

/* 2^1024 - 2^970: decimal values at or above it round to +Inf in Go. */
static const char dbl_halfway[] =
    "17976931348623158079372897140530341507993413271003782693617377898044496"
    "82927647509466490179775872070963302864166928879109465555478519404026306"
    "57488671505820681908902000708383676273854845817711531764475730270069855"
    "57136695962284291481986083493647529271907416844436551070434271155969950"
    "8093042880177904174497792";

/* Digits of s from its first non-zero one, ignoring '_' and '.', compared
 * with dbl_halfway: true when s's digits are at least as large. */
static bool digits_reach_halfway(const char *s, size_t len, size_t first)
{
    size_t k = 0;
    for (size_t i = first; i < len && k < sizeof(dbl_halfway) - 1; i++) {
        char c = s[i];
        if (c == '_' || c == '.')
            continue;
        if (!is_digit(c))
            break;
        if (c != dbl_halfway[k])
            return c > dbl_halfway[k];
        k++;
    }
    /* Equal so far: shorter means smaller (the constant ends in non-zero). */
    return k == sizeof(dbl_halfway) - 1;
}

/*
 * Decimal float syntax [sign](digits[.digits*] | .digits)[(e|E)[sign]digits]
 * with '_' ignored anywhere (go-yaml strips them before its regexp), and no
 * overflow to infinity (Go's ParseFloat then fails with ErrRange).
 */
static bool go_float(const char *s, size_t len)
{
    size_t i = 0, first = SIZE_MAX, nint = 0, nfrac = 0;
    size_t int_sig = 0, frac_zeros = 0;
    bool dot = false;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '_')
            continue;
        if (c == '.' && !dot) {
            dot = true;
            continue;
        }
        if (!is_digit(c))
            break;
        *(dot ? &nfrac : &nint) += 1;
        if (first == SIZE_MAX && c != '0')
            first = i;
        if (first == SIZE_MAX && dot)
            frac_zeros++;
        if (first != SIZE_MAX && !dot)
            int_sig++;
    }
    if (nint == 0 && nfrac == 0)
        return false;
    long exp = 0;
    if (i < len && (s[i] | 0x20) == 'e') {
        bool neg = false, exp_digits = false;
        for (i++; i < len && s[i] == '_'; i++)
            ;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        for (; i < len; i++) {
            if (s[i] == '_')
                continue;
            if (!is_digit(s[i]))
                break;
            exp_digits = true;
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
        }
        if (!exp_digits)
            return false;
        exp = neg ? -exp : exp;
    }
    if (i != len)
        return false;
    if (first == SIZE_MAX)
        return true; /* zero */
    /* value = 0.DDD x 10^mag, with DDD starting at s[first] */
    long mag = (int_sig ? (long)int_sig : -(long)frac_zeros) + exp;
    if (mag <= 308)
        return true;
    if (mag >= 310)
        return false;
    return !digits_reach_halfway(s, len, first);
}

/* Go's float literal syntax allows '_' only between two digits. */
static bool go_underscores_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '_' && (i == 0 || i + 1 == len || !is_digit(s[i - 1]) ||
                            !is_digit(s[i + 1])))
            return false;
    return true;
}

/* A plain scalar starting with '.': go-yaml calls ParseFloat on the raw
 * text, so '_' must follow Go's rules here. */
static int resolve_dot(const char *s, size_t len)
{
    if (go_underscores_ok(s, len) && go_float(s, len))
        return KH_NODE_FLOAT;
    return KH_NODE_STRING;
}

int kh_node__resolve(const char *s, size_t len, uint8_t *boolean)
{
    *boolean = 0;
    if (len == 0)
        return KH_NODE_NULL;
    int hint = hints[(unsigned char)s[0]];
    if (hint == HINT_NONE)
        return KH_NODE_STRING;
    const word *w = find_word(s, len);
    if (w) {
        *boolean = w->boolean;
        return w->type;
    }
    int64_t v;
    switch (hint) {
    case HINT_DOT:
        return resolve_dot(s, len);
    case HINT_SIGN:
    case HINT_DIGIT:
        if (go_int(s, len, &v))
            return KH_NODE_INT;
        return go_float(s, len) ? KH_NODE_FLOAT : KH_NODE_STRING;
    default:
        return KH_NODE_STRING;
    }
}

/* ------------------------------------------------------------- accessors */

const kh_node *kh_node_get(const kh_node *map, const char *key)
{
    if (!map || !key || map->type != KH_NODE_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->len; i++) {
        const kh_node *k = map->u.pairs[i].key;
        /* Length, then first byte, before memcmp: most keys differ early. */
        if (k->len == klen && k->type < KH_NODE_MAP && k->u.text[0] == key[0] &&
            memcmp(k->u.text, key, klen) == 0)
            return map->u.pairs[i].value;
    }
    return NULL;
}

/* kh_node_get for a key given as pointer and length. */
static const kh_node *get_n(const kh_node *map, const char *key, size_t klen)
{
    if (!map || map->type != KH_NODE_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->len; i++) {
        const kh_node *k = map->u.pairs[i].key;
        /* Length, then first byte, before memcmp: most keys differ early. */
        if (k->len == klen && k->type < KH_NODE_MAP && k->u.text[0] == key[0] &&
            memcmp(k->u.text, key, klen) == 0)
            return map->u.pairs[i].value;
    }
    return NULL;
}

const kh_node *kh_node_path(const kh_node *root, const char *dotted)
{
    if (!root || !dotted)
        return NULL;
    const kh_node *n = root;
    for (;;) {
        const char *dot = strchr(dotted, '.');
        size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
        n = get_n(n, dotted, len);
        if (!n || !dot)
            return n;
        dotted = dot + 1;
    }
}

const kh_node *kh_node_at(const kh_node *seq, size_t i)
{
    if (!seq || seq->type != KH_NODE_SEQ || i >= seq->len)
        return NULL;
    return seq->u.items[i];
}

bool kh_node_is_map(const kh_node *n)
{
    return n && n->type == KH_NODE_MAP;
}

bool kh_node_is_seq(const kh_node *n)
{
    return n && n->type == KH_NODE_SEQ;
}

bool kh_node_is_scalar(const kh_node *n)
{
    return n && n->type < KH_NODE_MAP;
}

bool kh_node_is_null(const kh_node *n)
{
    return !n || n->type == KH_NODE_NULL;
}

const char *kh_node_str(const kh_node *n)
{
    if (!n || n->type == KH_NODE_NULL || n->type >= KH_NODE_MAP)
        return NULL;
    return n->u.text;
}

bool kh_node_is_true(const kh_node *n)
{
    return n && n->type == KH_NODE_BOOL && n->boolean;
}

bool kh_node_is_false(const kh_node *n)
{
    return n && n->type == KH_NODE_BOOL && !n->boolean;
}

bool kh_node_int(const kh_node *n, int64_t *out)
{
    int64_t v;
    if (!n || n->type != KH_NODE_INT || go_int(n->u.text, n->len, &v) != 1)
        return false;
    if (out)
        *out = v;
    return true;
}
