/*
 * text.c -- the human report: findings grouped by file, then by object.
 *
 *   deploy/web.yaml
 *     Deployment/shop/web
 *       12:9  critical  pss.baseline.privileged  container 'app' runs privileged
 *         at spec.template.spec.containers[0].securityContext.privileged
 *     deploy/web.yaml:30:1: error: mapping values are not allowed here
 *
 *   1 finding (1 critical) in 1 object from 1 file; 1 error
 *
 * A header is printed when the file or object changes (findings arrive
 * sorted), so nothing is buffered. A finding's related locations follow
 * it: "related: message", and the place on the next line. Strings from
 * the input are escaped so that a manifest cannot send control sequences
 * to the terminal. Colour (ANSI) only when asked for.
 */
#include "report/report.h"

#include "report/fastio.h" /* last: it redefines stdio names */

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *severity_color(kh_severity s)
{
    switch (s) {
    case KH_SEVERITY_CRITICAL: return "\033[1;31m";
    case KH_SEVERITY_HIGH: return "\033[31m";
    case KH_SEVERITY_MEDIUM: return "\033[33m";
    case KH_SEVERITY_LOW: return "\033[36m";
    default: return DIM;
    }
}

/* Write @p word, wrapped in @p color when colour is on. */
static void styled(kh_report *r, const char *color, const char *word)
{
    if (r->color)
        fprintf(r->dst, "%s%s%s", color, word, RESET);
    else
        fputs(word, r->dst);
}

static int text_begin(kh_report *r)
{
    (void)r;
    return KH_OK;
}

static void file_header(kh_report *r)
{
    if (r->seen.files > 1)
        putc('\n', r->dst);
    if (r->color)
        fputs(BOLD, r->dst);
    kh_report__text_str(r->dst, r->file.data);
    if (r->color)
        fputs(RESET, r->dst);
    putc('\n', r->dst);
}

static void position(FILE *out, const kh_finding *f)
{
    if (f->line)
        fprintf(out, ":%u", f->line);
    if (f->line && f->col)
        fprintf(out, ":%u", f->col);
}

/* "  file:line:col: error: message", the shape of kh_error_format. */
static void error_line(kh_report *r, const kh_finding *f)
{
    fputs("  ", r->dst);
    kh_report__text_str(r->dst, r->file.data);
    position(r->dst, f);
    fputs(": ", r->dst);
    styled(r, "\033[1;31m", "error:");
    putc(' ', r->dst);
    kh_report__text_str(r->dst, f->message);
    putc('\n', r->dst);
}

static void finding_line(kh_report *r, const kh_finding *f)
{
    fprintf(r->dst, "    %u:%u  ", f->line, f->col);
    if (f->suppressed)
        styled(r, DIM, "suppressed");
    else
        styled(r, severity_color(f->severity), kh_report__severity(f->severity));
    fputs("  ", r->dst);
    kh_report__text_str(r->dst, f->rule_id);
    fputs("  ", r->dst);
    kh_report__text_str(r->dst, f->message);
    if (f->suppressed) {
        fputs(" (reason: ", r->dst);
        kh_report__text_str(r->dst, f->suppressed);
        putc(')', r->dst);
    }
    putc('\n', r->dst);
    if (f->path && *f->path) {
        fputs("      at ", r->dst);
        kh_report__text_str(r->dst, f->path);
        putc('\n', r->dst);
    }
    kh_report__related_lines(r->dst, f, "      ", kh_report__text_str);
}

static int text_add(kh_report *r, const kh_finding *f)
{
    if (r->file_changed)
        file_header(r);
    if (f->is_error) {
        error_line(r, f);
        return KH_OK;
    }
    if (r->object_changed) {
        fputs("  ", r->dst);
        kh_report__text_str(r->dst, r->object.data);
        putc('\n', r->dst);
    }
    finding_line(r, f);
    return KH_OK;
}

static int text_end(kh_report *r, const kh_scan_stats *stats)
{
    if (r->seen.files)
        putc('\n', r->dst);
    kh_report__summary(r->dst, stats, r->api_server);
    putc('\n', r->dst);
    return KH_OK;
}

const kh_report_ops kh_report__text_ops = {text_begin, text_add, text_end};
