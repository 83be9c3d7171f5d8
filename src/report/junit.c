/*
 * junit.c -- JUnit XML for CI test-report views (Jenkins, GitLab, Azure).
 *
 * One <testsuite> per input file, opened when the file changes and closed
 * when the next one starts or at the end; one <testcase> per finding
 * (<failure>, whose text ends with the related locations), suppressed
 * finding (<skipped>) or input error (<error>).
 * The counts are not known while a suite is open and attributes must
 * come before children, so suites carry no tests/failures attributes (CI
 * readers count the testcases); the totals close the document as a
 * comment. Every string is XML-escaped; characters XML 1.0 forbids are
 * replaced by U+FFFD.
 */
#include "report/report.h"

#include "report/fastio.h" /* last: it redefines stdio names */

static int junit_begin(kh_report *r)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuites name=\"kubeharden\">\n", r->dst);
    return KH_OK;
}

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    kh_report__xml_attr(out, value);
    putc('"', out);
}

static void position(FILE *out, const kh_finding *f)
{
    kh_report__xml_text(out, f->file);
    if (f->line)
        fprintf(out, ":%u", f->line);
    if (f->line && f->col)
        fprintf(out, ":%u", f->col);
}

static void open_testcase(kh_report *r, const kh_finding *f)
{
    fputs("    <testcase name=\"", r->dst);
    if (f->is_error) {
        fputs("error", r->dst);
    } else {
        kh_report__xml_attr(r->dst, f->rule_id);
        putc(' ', r->dst);
        kh_report__xml_attr(r->dst, r->object.data);
    }
    putc('"', r->dst);
    attr(r->dst, "classname", f->file);
    fputs(">\n", r->dst);
}

/* The body of a <failure>: where, what, which rule and object, which field. */
static void failure(kh_report *r, const kh_finding *f)
{
    const char *sev = kh_report__severity(f->severity);
    fputs("      <failure", r->dst);
    attr(r->dst, "message", f->message);
    attr(r->dst, "type", sev);
    putc('>', r->dst);
    position(r->dst, f);
    fprintf(r->dst, ": %s: ", sev);
    kh_report__xml_text(r->dst, f->message);
    fputs("\nrule: ", r->dst);
    kh_report__xml_text(r->dst, f->rule_id);
    fputs("\nobject: ", r->dst);
    kh_report__xml_text(r->dst, r->object.data);
    if (f->path && *f->path) {
        fputs("\npath: ", r->dst);
        kh_report__xml_text(r->dst, f->path);
    }
    for (size_t i = 0; f->related && i < f->nrelated; i++) {
        const kh_location *l = &f->related[i];
        int has_message = l->message && *l->message;
        fputs("\nrelated:", r->dst);
        if (has_message) {
            putc(' ', r->dst);
            kh_report__xml_text(r->dst, l->message);
        }
        if (kh_report__related_has_where(l)) {
            fputs(has_message ? "\n  " : " ", r->dst);
            kh_report__related_where(r->dst, l, kh_report__xml_text);
        }
    }
    fputs("</failure>\n", r->dst);
}

static void error_case(kh_report *r, const kh_finding *f)
{
    fputs("      <error", r->dst);
    attr(r->dst, "message", f->message);
    attr(r->dst, "type", "error");
    putc('>', r->dst);
    position(r->dst, f);
    fputs(": error: ", r->dst);
    kh_report__xml_text(r->dst, f->message);
    fputs("</error>\n", r->dst);
}

static int junit_add(kh_report *r, const kh_finding *f)
{
    if (r->file_changed) {
        if (r->seen.files > 1)
            fputs("  </testsuite>\n", r->dst);
        fputs("  <testsuite", r->dst);
        attr(r->dst, "name", r->file.data);
        fputs(">\n", r->dst);
    }
    open_testcase(r, f);
    if (f->is_error) {
        error_case(r, f);
    } else if (f->suppressed) {
        fputs("      <skipped", r->dst);
        attr(r->dst, "message", f->suppressed);
        fputs("/>\n", r->dst);
    } else {
        failure(r, f);
    }
    fputs("    </testcase>\n", r->dst);
    return KH_OK;
}

static int junit_end(kh_report *r, const kh_scan_stats *stats)
{
    if (r->seen.files)
        fputs("  </testsuite>\n", r->dst);
    /* Fixed words and numbers only, so the comment can never hold "--". */
    fputs("  <!-- ", r->dst);
    kh_report__summary(r->dst, stats, r->api_server);
    fputs(" -->\n</testsuites>\n", r->dst);
    return KH_OK;
}

const kh_report_ops kh_report__junit_ops = {junit_begin, junit_add, junit_end};
