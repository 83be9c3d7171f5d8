/*
 * escape.c -- write untrusted strings safely into JSON, XML, URIs and text.
 *
 * Everything in a finding can come from the scanned manifest (names,
 * paths, messages quoting values), so it may hold quotes, control
 * characters or bytes that are not UTF-8. Each escaper decodes UTF-8
 * strictly and writes runs of plain ASCII in one call; a byte that does
 * not start a valid sequence becomes U+FFFD (JSON, XML) or \xNN (text),
 * so the output is always well-formed whatever the input.
 */
#include "report/report.h"

#include <string.h>

#include "report/fastio.h" /* last: it redefines stdio names */

#define REPLACEMENT "\xEF\xBF\xBD"   /* U+FFFD in UTF-8 */

long kh_report__utf8(const unsigned char *s, size_t *n)
{
    unsigned c = s[0];
    size_t len;
    long cp, min;
    *n = 1;
    if (c < 0x80)
        return (long)c;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    /* A NUL is not a continuation byte, so this never reads past the end. */
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *n = len;
    return cp;
}

/* Which bytes each target can take as they are: printable ASCII except
 * the target's specials. Plain comparisons, not strchr: escaping is on the
 * hot path of a report with millions of findings. */
enum { PLAIN_JSON, PLAIN_XML, PLAIN_TEXT };

static int is_plain(unsigned c, int target)
{
    if (c < 0x20 || c >= 0x7F)
        return 0;
    switch (target) {
    case PLAIN_JSON: return c != '"' && c != '\\';
    case PLAIN_XML: return c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
    default: return 1;
    }
}

/* Length of the leading run of bytes that need no escaping. */
static size_t plain_run(const unsigned char *p, int target)
{
    size_t n = 0;
    while (is_plain(p[n], target))
        n++;
    return n;
}

/* ------------------------------------------------------------ JSON */

static void json_char(FILE *out, long cp, const unsigned char *p, size_t n)
{
    switch (cp) {
    case -1: fputs(REPLACEMENT, out); break;
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default:
        if (cp < 0x20)
            fprintf(out, "\\u%04lx", cp);
        else
            fwrite(p, 1, n, out);
    }
}

void kh_report__json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    putc('"', out);
    while (*p) {
        size_t n = plain_run(p, PLAIN_JSON);
        if (n) {
            fwrite(p, 1, n, out);
            p += n;
            continue;
        }
        long cp = kh_report__utf8(p, &n);
        json_char(out, cp, p, n);
        p += n;
    }
    putc('"', out);
}

/* ------------------------------------------------------------ XML */

/*
 * XML 1.0 allows tab, LF, CR, and U+0020 and up except U+FFFE and U+FFFF.
 * In attributes, quotes and whitespace are escaped too: a parser would
 * turn a literal tab or newline into a space there.
 */
static void xml_char(FILE *out, long cp, const unsigned char *p, size_t n, int attr)
{
    switch (cp) {
    case '&': fputs("&amp;", out); return;
    case '<': fputs("&lt;", out); return;
    case '>': fputs("&gt;", out); return;
    case '\r': fputs("&#13;", out); return;
    }
    if (attr && cp == '"')
        fputs("&quot;", out);
    else if (attr && cp == '\'')
        fputs("&apos;", out);
    else if (attr && (cp == '\t' || cp == '\n'))
        fprintf(out, "&#%ld;", cp);
    else if (cp == '\t' || cp == '\n')
        putc((int)cp, out);
    else if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF)
        fputs(REPLACEMENT, out);
    else
        fwrite(p, 1, n, out);
}

static void xml_write(FILE *out, const char *s, int attr)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = plain_run(p, PLAIN_XML);
        if (n) {
            fwrite(p, 1, n, out);
            p += n;
            continue;
        }
        long cp = kh_report__utf8(p, &n);
        xml_char(out, cp, p, n, attr);
        p += n;
    }
}

void kh_report__xml_attr(FILE *out, const char *s)
{
    xml_write(out, s, 1);
}

void kh_report__xml_text(FILE *out, const char *s)
{
    xml_write(out, s, 0);
}

/* ------------------------------------------------------------ URI */

void kh_report__uri(FILE *out, const char *s)
{
    static const char keep[] = "-._~/";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr(keep, *p))
            putc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

/* ------------------------------------------------------------ terminal */

/* Characters a terminal would act on, or that reorder what is shown
 * (bidirectional overrides): print them as escapes instead. */
static int text_unsafe(long cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static void text_char(FILE *out, long cp, const unsigned char *p, size_t n)
{
    if (cp < 0)
        fprintf(out, "\\x%02x", *p);
    else if (cp == '\n')
        fputs("\\n", out);
    else if (cp == '\t')
        fputs("\\t", out);
    else if (cp == '\r')
        fputs("\\r", out);
    else if (cp < 0x80 && text_unsafe(cp))
        fprintf(out, "\\x%02lx", cp);
    else if (text_unsafe(cp))
        fprintf(out, "\\u%04lx", cp);
    else
        fwrite(p, 1, n, out);
}

void kh_report__text_str(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = plain_run(p, PLAIN_TEXT);
        if (n) {
            fwrite(p, 1, n, out);
            p += n;
            continue;
        }
        long cp = kh_report__utf8(p, &n);
        text_char(out, cp, p, n);
        p += n;
    }
}
