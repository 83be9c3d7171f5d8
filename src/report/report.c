/*
 * report.c -- the public report API: pick a writer, feed it findings, end.
 *
 * Each format is a table of three callbacks (text.c, json.c, sarif.c,
 * junit.c). This file owns what they share: the per-report state, the
 * "did the file or the object change?" test that grouping needs (one copy
 * of the current file and object label, reused), the counters used when
 * the caller has no scan statistics, and the one-line summary. Memory is
 * O(1) in the number of findings.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "report/fastio.h" /* last: it redefines stdio names */

/* ------------------------------------------------------------ formats */

static const struct {
    const char *name;
    kh_format format;
    const kh_report_ops *ops;
} formats[] = {
    {"text", KH_FORMAT_TEXT, &kh_report__text_ops},
    {"json", KH_FORMAT_JSON, &kh_report__json_ops},
    {"sarif", KH_FORMAT_SARIF, &kh_report__sarif_ops},
    {"junit", KH_FORMAT_JUNIT, &kh_report__junit_ops},
    {"policyreport", KH_FORMAT_POLICYREPORT, &kh_report__policyreport_ops},
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

int kh_format_parse(kh_format *out, const char *name)
{
    for (size_t i = 0; name && i < NFORMATS; i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].format;
            return KH_OK;
        }
    }
    return KH_EUSAGE;
}

static const kh_report_ops *ops_for(kh_format fmt)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].format == fmt)
            return formats[i].ops;
    return NULL;
}

/* ------------------------------------------------------------ buffers */

int kh_report__buf_set(kh_report_buf *b, const char *s)
{
    size_t len = strlen(s);
    if (len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < len + 1)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
            return KH_ENOMEM;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data, s, len + 1);
    b->len = len;
    return KH_OK;
}

static int buf_append(kh_report_buf *b, const char *s)
{
    size_t add = strlen(s);
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
            return KH_ENOMEM;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, add + 1);
    b->len += add;
    return KH_OK;
}

void kh_report__buf_free(kh_report_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int kh_report__label(kh_report_buf *b, const char *kind, const char *ns, const char *name)
{
    int rc = kh_report__buf_set(b, kind ? kind : "");
    if (!rc && ns && *ns) {
        rc = buf_append(b, "/");
        if (!rc)
            rc = buf_append(b, ns);
    }
    if (!rc)
        rc = buf_append(b, "/");
    if (!rc)
        rc = buf_append(b, name ? name : "");
    return rc;
}

/* ------------------------------------------------------------ related */

void kh_report__related_where(FILE *out, const kh_location *l,
                              void (*esc)(FILE *out, const char *s))
{
    const char *sep = "";
    if (l->kind || l->name) {
        esc(out, l->kind ? l->kind : "");
        if (l->namespace_ && *l->namespace_) {
            putc('/', out);
            esc(out, l->namespace_);
        }
        putc('/', out);
        esc(out, l->name ? l->name : "");
        sep = "  ";
    }
    if (l->file && *l->file) {
        fputs(sep, out);
        esc(out, l->file);
        if (l->line)
            fprintf(out, ":%u", l->line);
        if (l->line && l->col)
            fprintf(out, ":%u", l->col);
        sep = "  ";
    }
    if (l->path && *l->path) {
        fputs(sep, out);
        fputs("at ", out);
        esc(out, l->path);
    }
}

int kh_report__related_has_where(const kh_location *l)
{
    return l->kind || l->name || (l->file && *l->file) || (l->path && *l->path);
}

void kh_report__related_lines(FILE *out, const kh_finding *f, const char *indent,
                              void (*esc)(FILE *out, const char *s))
{
    for (size_t i = 0; f->related && i < f->nrelated; i++) {
        const kh_location *l = &f->related[i];
        int has_message = l->message && *l->message;
        fputs(indent, out);
        fputs("related:", out);
        if (has_message) {
            putc(' ', out);
            esc(out, l->message);
        }
        if (kh_report__related_has_where(l)) {
            if (has_message) {
                putc('\n', out);
                fputs(indent, out);
                fputs("  ", out);
            } else {
                putc(' ', out);
            }
            kh_report__related_where(out, l, esc);
        }
        putc('\n', out);
    }
}

/* ------------------------------------------------------------ fingerprints */

/* FNV-1a, 64 bits: simple, stable everywhere, and good enough to tell
 * findings apart (this is an identity, not a security check). */
#define FNV_PRIME 0x100000001b3ull

uint64_t kh_report__fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        h ^= *p;
        h *= FNV_PRIME;
    }
    /* Hash the NUL that ends each field too (XOR with 0 leaves h as it
     * is), so that ("ab", "c") and ("a", "bc") differ. */
    h *= FNV_PRIME;
    return h;
}

/* ------------------------------------------------------------ grouping */

/* Make f's file current; *changed says whether it differs from the last. */
static int track_file(kh_report *r, const kh_finding *f, int *changed)
{
    const char *file = f->file ? f->file : "";
    *changed = !r->in_file || strcmp(r->file.data, file) != 0;
    if (!*changed)
        return KH_OK;
    r->in_file = 1;
    r->in_object = 0;   /* the same object name in a new file is a new group */
    r->seen.files++;
    return kh_report__buf_set(&r->file, file);
}

/* Errors belong to no object and end the current one. */
static int track_object(kh_report *r, const kh_finding *f, int *changed)
{
    *changed = 0;
    if (f->is_error) {
        r->in_object = 0;
        return KH_OK;
    }
    int rc = kh_report__label(&r->label, f->kind, f->namespace_, f->name);
    if (rc)
        return rc;
    if (r->in_object && strcmp(r->object.data, r->label.data) == 0)
        return KH_OK;
    kh_report_buf tmp = r->object;   /* swap: no copy, no allocation */
    r->object = r->label;
    r->label = tmp;
    r->in_object = 1;
    r->seen.objects++;
    *changed = 1;
    return KH_OK;
}

static void count(kh_report *r, const kh_finding *f)
{
    if (f->is_error)
        r->seen.errors++;
    else if (f->suppressed)
        r->seen.suppressed++;
    else {
        r->seen.findings++;
        r->seen.by_severity[(unsigned)f->severity < 5 ? f->severity : 0]++;
    }
}

/* ------------------------------------------------------------ summary */

const char *kh_report__severity(kh_severity s)
{
    return kh_severity_name((unsigned)s < 5 ? s : KH_SEVERITY_INFO);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void kh_report__summary(FILE *out, const kh_scan_stats *s, const char *api_server)
{
    if (s->findings == 0) {
        fputs("no findings", out);
    } else {
        fprintf(out, "%zu %s (", s->findings, plural(s->findings, "finding", "findings"));
        const char *sep = "";
        for (int i = KH_SEVERITY_CRITICAL; i >= KH_SEVERITY_INFO; i--) {
            if (!s->by_severity[i])
                continue;
            fprintf(out, "%s%zu %s", sep, s->by_severity[i], kh_report__severity(i));
            sep = ", ";
        }
        fputc(')', out);
    }
    /* A cluster is read as Lists of pages that count as files: name the
     * cluster instead. */
    if (api_server)
        fprintf(out, " in %zu %s from %s", s->objects, plural(s->objects, "object", "objects"),
                api_server);
    else
        fprintf(out, " in %zu %s from %zu %s", s->objects,
                plural(s->objects, "object", "objects"), s->files,
                plural(s->files, "file", "files"));
    if (s->suppressed)
        fprintf(out, "; %zu suppressed", s->suppressed);
    if (s->errors)
        fprintf(out, "; %zu %s", s->errors, plural(s->errors, "error", "errors"));
}

/* ------------------------------------------------------------ public API */

int kh_report_new(kh_report **out, kh_format fmt, FILE *dst,
                  const kh_report_options *opts, kh_error *err)
{
    const kh_report_ops *ops = ops_for(fmt);
    if (out)
        *out = NULL;
    if (!out || !dst)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "no report or stream given");
    if (!ops)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "unknown output format '%d'", (int)fmt);
    kh_report *r = calloc(1, sizeof(*r));
    const char *version = opts && opts->tool_version ? opts->tool_version : KH_VERSION;
    if (!r || !(r->version = strdup(version)) ||
        (opts && opts->api_server && !(r->api_server = strdup(opts->api_server)))) {
        if (r)
            free(r->version);
        free(r);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    r->ops = ops;
    r->dst = dst;
    r->color = opts ? opts->color : 0;
    int rc = ops->begin(r);
    if (!rc && ferror(dst))
        rc = KH_EIO;
    if (rc) {
        kh_report_free(r);
        return kh_error_set(err, rc, NULL, 0, 0, "cannot write the report");
    }
    *out = r;
    return KH_OK;
}

int kh_report_add(kh_report *r, const kh_finding *f)
{
    if (!r || !f || r->ended)
        return KH_EUSAGE;
    int rc = track_file(r, f, &r->file_changed);
    if (!rc)
        rc = track_object(r, f, &r->object_changed);
    if (rc)
        return rc;
    count(r, f);
    rc = r->ops->add(r, f);
    if (!rc && ferror(r->dst))
        rc = KH_EIO;   /* stop the scan: nobody is reading */
    return rc;
}

int kh_report_finding_cb(const kh_finding *f, void *ud)
{
    return kh_report_add(ud, f);
}

int kh_report_end(kh_report *r, const kh_scan_stats *stats, kh_error *err)
{
    if (!r || r->ended)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "the report is already closed");
    r->ended = 1;
    int rc = r->ops->end(r, stats ? stats : &r->seen);
    if (fflush(r->dst) != 0 || ferror(r->dst))
        rc = KH_EIO;
    if (rc == KH_ENOMEM)
        return kh_error_set(err, rc, NULL, 0, 0, "out of memory");
    if (rc)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the report");
    return KH_OK;
}

void kh_report_free(kh_report *r)
{
    if (!r)
        return;
    if (r->spool)
        fclose(r->spool);
    free(r->spool_mem);
    kh_report__buf_free(&r->file);
    kh_report__buf_free(&r->object);
    kh_report__buf_free(&r->label);
    free(r->version);
    free(r->api_server);
    free(r);
}
