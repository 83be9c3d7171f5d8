/*
 * json.c -- JSON streams read as kubectl reads them: with Go's
 * encoding/json, one value after another ({...}{...} or one per line).
 *
 * A pull parser over the reader's byte window that hands load.c the same
 * events libyaml would, so one tree builder serves both. Strings decode as
 * Go decodes them: surrogate pairs join, lone surrogates and invalid UTF-8
 * become U+FFFD; keys have no length limit. Nesting is bounded by the
 * builder, which refuses level 257 before this parser reads any further.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "doc/input.h"
#include "doc/node.h"

enum { J_TOP, J_VALUE, J_FIRST_VALUE, J_KEY, J_FIRST_KEY, J_COLON, J_AFTER };

/* Consume the byte at in->pos (which must be there), moving the cursor. */
static void step(kh_doc_json *j, kh_doc_input *in)
{
    unsigned char b = kh_doc_input__at(in, in->pos);
    if (b < 0x80 && b != '\n' && b != '\r') {
        j->lc.col++;
        j->lc.p2 = j->lc.p1;
        j->lc.p1 = b;
    } else {
        kh_doc_input__count(in, in->pos, in->pos + 1, &j->lc);
    }
    in->pos++;
}

/* At least @p n bytes from in->pos in the window, unless the input ends. */
static size_t ensure(kh_doc_input *in, size_t n)
{
    while (in->base + in->len - in->pos < n && kh_doc_input__more(in))
        ;
    return in->base + in->len - in->pos;
}

/* A byte as Go's encoding/json quotes it in messages. */
static const char *quote_char(int c, char buf[8])
{
    if (c == '\n' || c == '\r' || c == '\t')
        snprintf(buf, 8, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    else if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 8, "%c", c);
    else
        snprintf(buf, 8, "\\x%02x", (unsigned)c & 0xff);
    return buf;
}

static int syntax_error(kh_doc_json *j, kh_doc_input *in, const char *file,
                        const char *context, kh_error *err)
{
    int c = kh_doc_input__peek(in);
    if (in->failed)
        return kh_error_set(err, KH_EIO, file, j->lc.line, j->lc.col,
                            "cannot read the input");
    if (c < 0)
        return kh_error_set(err, KH_EPARSE, file, j->lc.line, j->lc.col,
                            "unexpected end of JSON input");
    char q[8];
    return kh_error_set(err, KH_EPARSE, file, j->lc.line, j->lc.col,
                        "invalid character '%s' %s", quote_char(c, q), context);
}

bool kh_doc__append(char **text, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *t = realloc(*text, c);
        if (!t)
            return false;
        *text = t;
        *cap = c;
    }
    memcpy(*text + *len, p, n);
    *len += n;
    (*text)[*len] = '\0';
    return true;
}

static bool put(kh_doc_json *j, const void *p, size_t n)
{
    return kh_doc__append(&j->text, &j->text_len, &j->text_cap, p, n);
}

size_t kh_doc__utf8_encode(unsigned char b[4], uint32_t r)
{
    if (r < 0x80) {
        b[0] = (unsigned char)r;
        return 1;
    }
    if (r < 0x800) {
        b[0] = (unsigned char)(0xc0 | r >> 6);
        b[1] = (unsigned char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        b[0] = (unsigned char)(0xe0 | r >> 12);
        b[1] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
        b[2] = (unsigned char)(0x80 | (r & 0x3f));
        return 3;
    }
    b[0] = (unsigned char)(0xf0 | r >> 18);
    b[1] = (unsigned char)(0x80 | (r >> 12 & 0x3f));
    b[2] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
    b[3] = (unsigned char)(0x80 | (r & 0x3f));
    return 4;
}

static bool put_rune(kh_doc_json *j, uint32_t r)
{
    unsigned char b[4];
    return put(j, b, kh_doc__utf8_encode(b, r));
}

/* Go's utf8.DecodeRune rules: no overlongs, no surrogates, nothing past
 * U+10FFFF. */
size_t kh_doc__utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char b = p[0];
    size_t n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    if (b < 0xc2 || b > 0xf4 || avail < n)
        return 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b == 0xe0)
        lo = 0xa0;
    else if (b == 0xed)
        hi = 0x9f;
    else if (b == 0xf0)
        lo = 0x90;
    else if (b == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits of a \u escape at in->pos + @p at, or -1. */
static long peek_u4(kh_doc_input *in, size_t at)
{
    if (ensure(in, at + 4) < at + 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hex_value(kh_doc_input__at(in, in->pos + at + i));
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* The \u escape at in->pos (after the 'u'), joined with a following low
 * surrogate as Go's unquote does; a lone surrogate is U+FFFD. */
static int unicode_escape(kh_doc_json *j, kh_doc_input *in, const char *file,
                          kh_error *err)
{
    long r = 0;
    for (int i = 0; i < 4; i++) {
        int c = kh_doc_input__peek(in);
        int h = c < 0 ? -1 : hex_value(c);
        if (h < 0)
            return syntax_error(j, in, file, "in \\u hexadecimal character escape", err);
        r = r << 4 | h;
        step(j, in);
    }
    if (r >= 0xd800 && r < 0xe000) {
        long r2 = -1;
        if (r < 0xdc00 && ensure(in, 2) >= 2 && kh_doc_input__at(in, in->pos) == '\\' &&
            kh_doc_input__at(in, in->pos + 1) == 'u')
            r2 = peek_u4(in, 2);
        if (r2 >= 0xdc00 && r2 < 0xe000) {
            for (int i = 0; i < 6; i++)
                step(j, in);
            r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
        } else {
            r = 0xfffd;
        }
    }
    return put_rune(j, (uint32_t)r) ? 0 : KH_ENOMEM;
}

/* Bytes that stand for themselves inside a JSON string: printable ASCII
 * but the quote and the backslash. */
static const unsigned char plain_byte[256] = {
    [0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

/* A string after its opening quote, decoded into j->text. */
static int string_value(kh_doc_json *j, kh_doc_input *in, const char *file,
                        kh_error *err)
{
    j->text_len = 0;
    if (!put(j, "", 0))
        return KH_ENOMEM;
    for (;;) {
        int c = kh_doc_input__peek(in);
        if (c < 0 || c < 0x20)
            return syntax_error(j, in, file, "in string literal", err);
        if (c == '"') {
            step(j, in);
            return 0;
        }
        if (c >= 0x80) {
            size_t avail = ensure(in, 4);
            const unsigned char *p =
                (const unsigned char *)in->data + (in->pos - in->base);
            size_t n = kh_doc__utf8_len(p, avail);
            if (!(n ? put(j, p, n) : put_rune(j, 0xfffd)))
                return KH_ENOMEM;
            for (size_t i = 0; i < (n ? n : 1); i++)
                step(j, in);
            continue;
        }
        if (c != '\\') {
            /* A run of plain ASCII (most of any manifest) is copied in one
             * go and moves the column once: byte by byte it was a fifth of
             * the webhook's CPU. */
            const unsigned char *p =
                (const unsigned char *)in->data + (in->pos - in->base);
            size_t avail = in->base + in->len - in->pos, k = 0;
            while (k < avail && plain_byte[p[k]])
                k++;
            if (!put(j, p, k))
                return KH_ENOMEM;
            j->lc.col += (unsigned)k;
            j->lc.p2 = k >= 2 ? p[k - 2] : j->lc.p1;
            j->lc.p1 = p[k - 1];
            in->pos += k;
            continue;
        }
        step(j, in);
        c = kh_doc_input__peek(in);
        const char *esc = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *hit = c > 0 && c != '\b' && c != '\f' && c != '\n' && c != '\r' &&
                                  c != '\t'
                              ? strchr(esc, c)
                              : NULL;
        if (c == 'u') {
            step(j, in);
            int rc = unicode_escape(j, in, file, err);
            if (rc)
                return rc == KH_ENOMEM ? kh_error_set(err, KH_ENOMEM, file, 0, 0,
                                                      "out of memory")
                                       : rc;
            continue;
        }
        if (!hit || (hit - esc) % 2)
            return syntax_error(j, in, file, "in string escape code", err);
        step(j, in);
        if (!put(j, hit + 1, 1))
            return KH_ENOMEM;
    }
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Copy the digits at in->pos; false if there was none. */
static bool digits(kh_doc_json *j, kh_doc_input *in, bool *oom)
{
    bool any = false;
    for (int c; is_digit(c = kh_doc_input__peek(in)); any = true) {
        char b = (char)c;
        if (!put(j, &b, 1))
            *oom = true;
        step(j, in);
    }
    return any;
}

/* A number, by JSON's grammar (Go's scanner states). */
static int number_value(kh_doc_json *j, kh_doc_input *in, const char *file,
                        kh_error *err)
{
    bool oom = false;
    j->text_len = 0;
    if (!put(j, "", 0))
        return KH_ENOMEM;
    if (kh_doc_input__peek(in) == '-') {
        put(j, "-", 1);
        step(j, in);
    }
    if (kh_doc_input__peek(in) == '0') {
        put(j, "0", 1);
        step(j, in);
    } else if (!digits(j, in, &oom)) {
        return syntax_error(j, in, file, "in numeric literal", err);
    }
    if (kh_doc_input__peek(in) == '.') {
        put(j, ".", 1);
        step(j, in);
        if (!digits(j, in, &oom))
            return syntax_error(j, in, file, "after decimal point in numeric literal",
                                err);
    }
    int c = kh_doc_input__peek(in);
    if (c == 'e' || c == 'E') {
        char b = (char)c;
        put(j, &b, 1);
        step(j, in);
        c = kh_doc_input__peek(in);
        if (c == '+' || c == '-') {
            b = (char)c;
            put(j, &b, 1);
            step(j, in);
        }
        if (!digits(j, in, &oom))
            return syntax_error(j, in, file, "in exponent of numeric literal", err);
    }
    return oom ? KH_ENOMEM : 0;
}

static int literal_value(kh_doc_json *j, kh_doc_input *in, const char *file,
                         const char *word, kh_error *err)
{
    j->text_len = 0;
    for (const char *w = word; *w; w++) {
        if (kh_doc_input__peek(in) != *w) {
            char context[48];
            snprintf(context, sizeof(context), "in literal %s (expecting '%c')", word, *w);
            return syntax_error(j, in, file, context, err);
        }
        step(j, in);
    }
    return put(j, word, strlen(word)) ? 0 : KH_ENOMEM;
}

static void skip_space(kh_doc_json *j, kh_doc_input *in)
{
    for (int c; (c = kh_doc_input__peek(in)) == ' ' || c == '\t' || c == '\n' ||
                c == '\r';)
        step(j, in);
}

static void event_at(const kh_doc_json *j, yaml_event_t *ev, yaml_event_type_t type)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->start_mark.line = j->lc.line - 1;
    ev->start_mark.column = j->lc.col - 1;
    ev->end_mark = ev->start_mark;
}

/* A scalar value at in->pos: string, number or literal. */
static int scalar(kh_doc_json *j, kh_doc_input *in, const char *file, int c,
                  yaml_event_t *ev, kh_error *err)
{
    event_at(j, ev, YAML_SCALAR_EVENT);
    int rc;
    bool quoted = c == '"';
    if (quoted) {
        step(j, in);
        rc = string_value(j, in, file, err);
    } else if (c == '-' || is_digit(c)) {
        rc = number_value(j, in, file, err);
    } else if (c == 't' || c == 'f' || c == 'n') {
        rc = literal_value(j, in, file, c == 't' ? "true" : c == 'f' ? "false" : "null",
                           err);
    } else {
        return syntax_error(j, in, file, "looking for beginning of value", err);
    }
    if (rc == KH_ENOMEM)
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    if (rc)
        return rc;
    ev->data.scalar.value = (yaml_char_t *)j->text;
    ev->data.scalar.length = j->text_len;
    ev->data.scalar.plain_implicit = !quoted;
    ev->data.scalar.quoted_implicit = quoted;
    ev->data.scalar.style = quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                   : YAML_PLAIN_SCALAR_STYLE;
    j->expect = j->expect == J_FIRST_KEY || j->expect == J_KEY ? J_COLON : J_AFTER;
    return 1;
}

int kh_doc_json__event(kh_doc_json *j, kh_doc_input *in, const char *file,
                       struct yaml_event_s *ev, kh_error *err)
{
    for (;;) {
        unsigned char top = j->depth ? j->stack[j->depth - 1] : 0;
        if (top || j->expect != J_AFTER) /* a value ends where its text ends */
            skip_space(j, in);
        int c = kh_doc_input__peek(in);
        switch (j->expect) {
        case J_TOP:
            if (c < 0)
                return in->failed ? syntax_error(j, in, file, "", err) : 0;
            event_at(j, ev, YAML_DOCUMENT_START_EVENT);
            j->expect = J_VALUE;
            return 1;
        case J_AFTER:
            if (!top) {
                event_at(j, ev, YAML_DOCUMENT_END_EVENT);
                j->expect = J_TOP;
                return 1;
            }
            if (c == ',') {
                step(j, in);
                j->expect = top == '{' ? J_KEY : J_VALUE;
                continue;
            }
            if (c == (top == '{' ? '}' : ']')) {
                event_at(j, ev, top == '{' ? YAML_MAPPING_END_EVENT
                                           : YAML_SEQUENCE_END_EVENT);
                step(j, in);
                j->depth--;
                return 1;
            }
            return syntax_error(j, in, file,
                                top == '{' ? "after object key:value pair"
                                           : "after array element",
                                err);
        case J_COLON:
            if (c != ':')
                return syntax_error(j, in, file, "after object key", err);
            step(j, in);
            j->expect = J_VALUE;
            continue;
        case J_FIRST_KEY:
        case J_KEY:
            if (c == '}' && j->expect == J_FIRST_KEY) {
                j->expect = J_AFTER;
                continue; /* J_AFTER closes it */
            }
            if (c != '"')
                return syntax_error(j, in, file,
                                    "looking for beginning of object key string", err);
            return scalar(j, in, file, c, ev, err);
        default: /* J_VALUE, J_FIRST_VALUE */
            if (c == ']' && j->expect == J_FIRST_VALUE) {
                j->expect = J_AFTER;
                continue;
            }
            if (c == '{' || c == '[') {
                if (j->depth == KH_DOC_JSON_STACK)
                    return kh_error_set(err, KH_ELIMIT, file, j->lc.line, j->lc.col,
                                        "nesting depth exceeds limit of %d",
                                        KH_DOC_MAX_DEPTH);
                event_at(j, ev, c == '{' ? YAML_MAPPING_START_EVENT
                                         : YAML_SEQUENCE_START_EVENT);
                step(j, in);
                j->stack[j->depth++] = (unsigned char)c;
                j->expect = c == '{' ? J_FIRST_KEY : J_FIRST_VALUE;
                return 1;
            }
            return scalar(j, in, file, c, ev, err);
        }
    }
}
