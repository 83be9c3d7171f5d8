/*
 * quantity.c -- resource.Quantity parsing into exact nano-units.
 *
 * scan() mirrors apimachinery's parseQuantityString (sign, leading zeros,
 * digits, optional '.' fraction, a run of "eEinumkKMGTP" then an optional
 * signed integer) and interpret() its suffixer (binary Ki..Ei, decimal
 * n..E, or e/E followed by an int64). The value digits * 2^b * 10^e is then
 * computed exactly in 128 bits; a magnitude finer than 1n rounds away from
 * zero as upstream does ("0.1n" is 1n, "-1e-30" is -1n).
 *
 * Deliberate differences from upstream: a number needs at least one digit,
 * as the documented grammar says ("Ki", ".", "-" are rejected, upstream's
 * scanner reads them as 0); magnitudes beyond 2^127-1 nano are rejected
 * where upstream caps binary quantities at 2^63-1; an exponent is used at
 * its full int64 value (upstream truncates it to int32).
 */
#include "k8s/k8s.h"

#include <string.h>

#include "k8s/internal.h"

typedef unsigned __int128 u128;

#define MAG_MAX ((((u128)1) << 127) - 1)

/* The pieces of a quantity string, as parseQuantityString splits it. */
typedef struct qparts {
    bool negative;
    const char *num;             /* integer digits without leading zeros */
    size_t nnum;
    const char *den;             /* fraction digits */
    size_t nden;
    const char *suf;
    size_t nsuf;
} qparts;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t skip_digits(const char *s, size_t pos, size_t end)
{
    while (pos < end && is_digit(s[pos]))
        pos++;
    return pos;
}

/* @return false when the text does not have the quantity shape. */
static bool scan(qparts *p, const char *s, size_t end)
{
    size_t pos = 0;
    memset(p, 0, sizeof(*p));
    if (pos < end && (s[pos] == '-' || s[pos] == '+'))
        p->negative = s[pos++] == '-';
    size_t digits_from = pos;
    while (pos < end && s[pos] == '0')
        pos++;
    p->num = s + pos;
    pos = skip_digits(s, pos, end);
    p->nnum = pos - (size_t)(p->num - s);
    if (pos < end && s[pos] == '.') {
        p->den = s + ++pos;
        pos = skip_digits(s, pos, end);
        p->nden = pos - (size_t)(p->den - s);
    }
    size_t ndigits = pos - digits_from - (p->den ? 1 : 0);
    if (ndigits == 0)
        return false;            /* the grammar needs a digit; see above */
    p->suf = s + pos;
    while (pos < end && strchr("eEinumkKMGTP", s[pos]))
        pos++;
    if (pos < end && (s[pos] == '-' || s[pos] == '+'))
        pos++;
    pos = skip_digits(s, pos, end);
    p->nsuf = pos - (size_t)(p->suf - s);
    return pos == end;
}

/* strconv.ParseInt(s, 10, 64). */
static bool parse_int64(const char *s, size_t n, __int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    __int128 v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > (__int128)INT64_MAX + 1)
            return false;
    }
    if (!neg && v > INT64_MAX)
        return false;
    *out = neg ? -v : v;
    return true;
}

static const struct {
    const char *name;
    int binary;                  /* 1: power of two, 0: power of ten */
    int exp;
} suffixes[] = {
    {"", 0, 0}, {"n", 0, -9}, {"u", 0, -6}, {"m", 0, -3}, {"k", 0, 3},
    {"M", 0, 6}, {"G", 0, 9}, {"T", 0, 12}, {"P", 0, 15}, {"E", 0, 18},
    {"Ki", 1, 10}, {"Mi", 1, 20}, {"Gi", 1, 30}, {"Ti", 1, 40},
    {"Pi", 1, 50}, {"Ei", 1, 60},
};

/* The multiplier a suffix stands for: 2^*bin * 10^*dec. */
static bool interpret(const char *suf, size_t n, int *bin, __int128 *dec)
{
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (strlen(suffixes[i].name) == n &&
            memcmp(suffixes[i].name, suf, n) == 0) {
            *bin = suffixes[i].binary ? suffixes[i].exp : 0;
            *dec = suffixes[i].binary ? 0 : suffixes[i].exp;
            return true;
        }
    }
    *bin = 0;
    return n > 1 && (suf[0] == 'e' || suf[0] == 'E') &&
           parse_int64(suf + 1, n - 1, dec);
}

/* ----------------------------------------------------------- arithmetic */

/* The digits of num then den, as one string of n digits. */
typedef struct digits {
    const qparts *p;
    size_t n;
} digits;

static int digit_at(const digits *d, size_t i)
{
    return i < d->p->nnum ? d->p->num[i] - '0' : d->p->den[i - d->p->nnum] - '0';
}

static bool mul_check(u128 *v, u128 m)
{
    if (m && *v > MAG_MAX / m)
        return false;
    *v *= m;
    return true;
}

/* Digits [from, to) as an integer. */
static bool digits_value(const digits *d, size_t from, size_t to, u128 *out)
{
    u128 v = 0;
    for (size_t i = from; i < to; i++) {
        if (!mul_check(&v, 10) || MAG_MAX - v < (u128)digit_at(d, i))
            return false;
        v += (u128)digit_at(d, i);
    }
    *out = v;
    return true;
}

/* ceil(digits[from..n) * m / 10^shift) where shift >= n - from: the part
 * below the decimal point, which is < m + 1. */
static u128 fraction_up(const digits *d, size_t from, u128 m, u128 shift)
{
    u128 carry = 0;
    bool rest = false;
    for (size_t i = d->n; i > from; i--) {
        u128 t = (u128)digit_at(d, i - 1) * m + carry;
        rest |= t % 10 != 0;
        carry = t / 10;
    }
    for (u128 k = d->n - from; k < shift && carry; k++) {
        rest |= carry % 10 != 0;
        carry /= 10;
    }
    return carry + (rest ? 1 : 0);
}

/* |value| in nano-units: digits * m * 10^e, rounded away from zero. */
static bool magnitude(const digits *d, u128 m, __int128 e, u128 *out)
{
    u128 v;
    if (e >= 0) {
        if (!digits_value(d, 0, d->n, &v) || !mul_check(&v, m))
            return false;
        for (__int128 i = 0; i < e && v; i++)
            if (!mul_check(&v, 10))
                return false;
        *out = v;
        return true;
    }
    u128 shift = (u128)-e;
    size_t split = shift < d->n ? d->n - (size_t)shift : 0;
    if (!digits_value(d, 0, split, &v) || !mul_check(&v, m))
        return false;
    u128 frac = fraction_up(d, split, m, shift);
    if (MAG_MAX - v < frac)
        return false;
    *out = v + frac;
    return true;
}

static bool all_zero(const digits *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (digit_at(d, i) != 0)
            return false;
    return true;
}

int kh_quantity_parse(kh_quantity *out, const char *text)
{
    qparts p;
    int bin;
    __int128 dec;
    if (!text || !scan(&p, text, strlen(text)) ||
        !interpret(p.suf, p.nsuf, &bin, &dec))
        return KH_EINVALID;
    digits d = {&p, p.nnum + p.nden};
    out->nano = 0;
    if (all_zero(&d))
        return 0;
    u128 mag;
    __int128 e = dec - (__int128)p.nden + 9;
    if (!magnitude(&d, (u128)1 << bin, e, &mag))
        return KH_EINVALID;
    out->nano = p.negative ? -(__int128)mag : (__int128)mag;
    return 0;
}

int kh_quantity_from_node(kh_quantity *out, const kh_node *n)
{
    int64_t i;
    if (!n)
        return KH_EINVALID;
    switch ((kh_node_type)n->type) {
    case KH_NODE_INT:
        /* `cpu: 0x10` reaches the API server as the JSON number 16 */
        if (kh_node_int(n, &i)) {
            out->nano = (__int128)i * 1000000000;
            return 0;
        }
        return kh_quantity_parse(out, n->u.text);
    case KH_NODE_FLOAT:
    case KH_NODE_STRING:
        return kh_quantity_parse(out, n->u.text);
    default:
        return KH_EINVALID;
    }
}

int kh_quantity_cmp(const kh_quantity *a, const kh_quantity *b)
{
    return a->nano < b->nano ? -1 : a->nano > b->nano;
}

bool kh_quantity_is_zero(const kh_quantity *q)
{
    return q->nano == 0;
}
