/*
 * json.c -- the machine-readable report, schemaVersion 2 (docs/output.md).
 *
 * One JSON document. Findings and input errors share the "findings" array
 * (each element says "type": "finding" or "error"), because a stream
 * cannot go back to fill a second array; the summary comes last, written
 * by kh_report_end. Every element ends with its related locations (an
 * empty array when there are none). The layout is Python's json.dumps(indent=2), so the
 * output is byte-for-byte deterministic and easy to diff.
 */
#include "report/report.h"

#include "report/fastio.h" /* last: it redefines stdio names */

static int json_begin(kh_report *r)
{
    kh_jw *w = &r->jw;
    kh_jw__init(w, r->dst, 0);
    kh_jw__open(w, NULL, '{');
    kh_jw__uint(w, "schemaVersion", 2);
    kh_jw__open(w, "tool", '{');
    kh_jw__str(w, "name", "kubeharden");
    kh_jw__str(w, "version", r->version);
    kh_jw__close(w, '}');
    kh_jw__open(w, "findings", '[');
    return KH_OK;
}

/* The keys of a finding that a location has, in the same order. */
static void related(kh_jw *w, const kh_location *l)
{
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "file", l->file);
    kh_jw__uint(w, "line", l->line);
    kh_jw__uint(w, "column", l->col);
    kh_jw__str(w, "kind", l->kind);
    kh_jw__str(w, "namespace", l->kind || l->name ? (l->namespace_ ? l->namespace_ : "") : NULL);
    kh_jw__str(w, "name", l->name);
    kh_jw__str(w, "path", l->path ? l->path : "");
    kh_jw__str(w, "message", l->message ? l->message : "");
    kh_jw__close(w, '}');
}

static int json_add(kh_report *r, const kh_finding *f)
{
    kh_jw *w = &r->jw;
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "type", f->is_error ? "error" : "finding");
    kh_jw__str(w, "ruleId", f->rule_id ? f->rule_id : "error");
    kh_jw__str(w, "severity", f->is_error ? "error" : kh_report__severity(f->severity));
    kh_jw__str(w, "file", f->file);
    kh_jw__uint(w, "line", f->line);
    kh_jw__uint(w, "column", f->col);
    kh_jw__str(w, "apiVersion", f->api_version);
    kh_jw__str(w, "kind", f->kind);
    kh_jw__str(w, "namespace", f->namespace_);
    kh_jw__str(w, "name", f->name);
    kh_jw__str(w, "path", f->path);
    kh_jw__str(w, "message", f->message ? f->message : "");
    if (f->suppressed) {
        kh_jw__open(w, "suppressed", '{');
        kh_jw__str(w, "reason", f->suppressed);
        kh_jw__close(w, '}');
    } else {
        kh_jw__null(w, "suppressed");
    }
    if (f->related && f->nrelated) {
        kh_jw__open(w, "related", '[');
        for (size_t i = 0; i < f->nrelated; i++)
            related(w, &f->related[i]);
        kh_jw__close(w, ']');
    } else {
        kh_jw__key(w, "related");   /* the usual case, in one write */
        fputs("[]", w->out);
    }
    kh_jw__close(w, '}');
    return KH_OK;
}

static void summary(kh_jw *w, const kh_scan_stats *s)
{
    kh_jw__open(w, "summary", '{');
    kh_jw__uint(w, "files", s->files);
    kh_jw__uint(w, "documents", s->documents);
    kh_jw__uint(w, "objects", s->objects);
    kh_jw__uint(w, "findings", s->findings);
    kh_jw__uint(w, "suppressed", s->suppressed);
    kh_jw__uint(w, "errors", s->errors);
    kh_jw__open(w, "bySeverity", '{');
    for (int i = KH_SEVERITY_CRITICAL; i >= KH_SEVERITY_INFO; i--)
        kh_jw__uint(w, kh_report__severity(i), s->by_severity[i]);
    kh_jw__close(w, '}');
    kh_jw__close(w, '}');
}

static int json_end(kh_report *r, const kh_scan_stats *stats)
{
    kh_jw *w = &r->jw;
    kh_jw__close(w, ']');
    summary(w, stats);
    kh_jw__close(w, '}');
    putc('\n', r->dst);
    return KH_OK;
}

const kh_report_ops kh_report__json_ops = {json_begin, json_add, json_end};
