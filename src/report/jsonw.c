/*
 * jsonw.c -- a streaming, pretty-printing JSON writer for json.c and sarif.c.
 *
 * The layout is that of Python's json.dumps(obj, indent=2): one item per
 * line, two spaces per level, "key": value, empty containers as {} and [].
 * The only state is, per open container, whether it has an item yet, so
 * a document can stay open across any number of kh_report_add calls.
 * Nesting deeper than KH_JW_MAX_DEPTH is a programming error and is
 * clamped rather than overflowing.
 */
#include "report/report.h"

#include "report/fastio.h" /* last: it redefines stdio names */

void kh_jw__init(kh_jw *w, FILE *out, int depth)
{
    w->out = out;
    w->depth = depth;
    for (int i = 0; i < KH_JW_MAX_DEPTH; i++)
        w->wrote[i] = 0;
}

static const char spaces[] = "                                ";
_Static_assert(sizeof(spaces) > 2 * (KH_JW_MAX_DEPTH - 1), "indent wider than spaces");

static void indent(kh_jw *w)
{
    fwrite(spaces, 1, 2 * (size_t)w->depth, w->out);
}

void kh_jw__key(kh_jw *w, const char *key)
{
    if (w->depth > 0) {
        fputs(w->wrote[w->depth] ? ",\n" : "\n", w->out);
        w->wrote[w->depth] = 1;
        indent(w);
    }
    if (key) {
        /* Keys are the writers' own constants: plain ASCII, no escaping. */
        putc('"', w->out);
        fputs(key, w->out);
        fputs("\": ", w->out);
    }
}

void kh_jw__open(kh_jw *w, const char *key, char brace)
{
    kh_jw__key(w, key);
    putc(brace, w->out);
    if (w->depth < KH_JW_MAX_DEPTH - 1)
        w->depth++;
    w->wrote[w->depth] = 0;
}

void kh_jw__close(kh_jw *w, char brace)
{
    int had_items = w->wrote[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (had_items) {
        putc('\n', w->out);
        indent(w);
    }
    putc(brace, w->out);
}

void kh_jw__str(kh_jw *w, const char *key, const char *val)
{
    kh_jw__key(w, key);
    kh_report__json_str(w->out, val);
}

void kh_jw__uint(kh_jw *w, const char *key, unsigned long long val)
{
    char digits[24];
    size_t n = sizeof(digits);
    do {
        digits[--n] = (char)('0' + val % 10);
        val /= 10;
    } while (val);
    kh_jw__key(w, key);
    fwrite(digits + n, 1, sizeof(digits) - n, w->out);
}

void kh_jw__bool(kh_jw *w, const char *key, int val)
{
    kh_jw__key(w, key);
    fputs(val ? "true" : "false", w->out);
}

void kh_jw__null(kh_jw *w, const char *key)
{
    kh_jw__key(w, key);
    fputs("null", w->out);
}
