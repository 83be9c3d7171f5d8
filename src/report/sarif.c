/*
 * sarif.c -- SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, IDEs).
 *
 * One run: tool.driver.rules in full (the registry is known up front), then
 * one result per finding, streamed, with what code scanning needs to track
 * it (related locations, a line-independent fingerprint, %SRCROOT%-relative
 * paths). Input errors become invocations[0].toolExecutionNotifications,
 * which must follow "results": they are spooled (a temporary file, or
 * memory) and copied in at the end. Only errors are spooled.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "report/fastio.h" /* last: it redefines stdio names */

/* Depth of the items of runs[0].invocations[0].toolExecutionNotifications. */
#define NOTE_DEPTH 6

/* The base of relative paths: the directory kubeharden ran in, which in CI
 * is the checkout. GitHub code scanning resolves %SRCROOT% to it. */
#define SRCROOT "%SRCROOT%"
/* The base of an object's API path in a scan of a live cluster: the API
 * server's URL, which the report does give (a reader needs it to find the
 * object, and it names no local directory). */
#define APISERVER "APISERVER"

/* The name of kubeharden's partialFingerprints entry; the version changes
 * if the way it is computed ever does (SARIF 3.27.17). */
#define FINGERPRINT "kubeharden/v1"

static const char *level(kh_severity s)
{
    if (s >= KH_SEVERITY_HIGH)
        return "error";
    return s == KH_SEVERITY_MEDIUM ? "warning" : "note";
}

/* GitHub code scanning ranks security results by this score (0.1-10). */
static const char *security_severity(kh_severity s)
{
    switch (s) {
    case KH_SEVERITY_CRITICAL: return "9.5";
    case KH_SEVERITY_HIGH: return "8.0";
    case KH_SEVERITY_MEDIUM: return "5.5";
    case KH_SEVERITY_LOW: return "3.0";
    default: return NULL;
    }
}

/* Index of the rule in driver.rules (the registry's id order), or -1. */
static long rule_index(const char *id)
{
    size_t lo = 0, hi = kh_rule_count();
    while (id && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, kh_rule_at(mid)->id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static void text_message(kh_jw *w, const char *key, const char *text)
{
    kh_jw__open(w, key, '{');
    kh_jw__str(w, "text", text ? text : "");
    kh_jw__close(w, '}');
}

/* ------------------------------------------------------------ rules */

/* A readable name distinct from the opaque id, as SARIF asks (3.49.7):
 * "pss.baseline.privileged" -> "PssBaselinePrivileged". Ids are ASCII. */
static void rule_name(kh_jw *w, const char *id)
{
    int upper = 1;
    kh_jw__key(w, "name");
    putc('"', w->out);
    for (const char *p = id; *p; p++) {
        if (*p == '.' || *p == '-' || *p == '_') {
            upper = 1;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9')) {
            putc(upper && *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, w->out);
            upper = 0;
        }
    }
    putc('"', w->out);
}

static void rule(kh_jw *w, const kh_rule_info *ri)
{
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "id", ri->id);
    rule_name(w, ri->id);
    text_message(w, "shortDescription", ri->title);
    text_message(w, "fullDescription", ri->why);
    text_message(w, "help", ri->fix);
    kh_jw__open(w, "defaultConfiguration", '{');
    kh_jw__str(w, "level", level(ri->severity));
    kh_jw__close(w, '}');
    kh_jw__open(w, "properties", '{');
    kh_jw__str(w, "area", kh_area_name(ri->area));
    kh_jw__str(w, "severity", kh_report__severity(ri->severity));
    kh_jw__open(w, "tags", '[');
    kh_jw__str(w, NULL, "security");
    kh_jw__str(w, NULL, kh_area_name(ri->area));
    kh_jw__close(w, ']');
    if (security_severity(ri->severity))
        kh_jw__str(w, "security-severity", security_severity(ri->severity));
    kh_jw__close(w, '}');
    kh_jw__close(w, '}');
}

static int sarif_begin(kh_report *r)
{
    kh_jw *w = &r->jw;
    kh_jw__init(w, r->dst, 0);
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    kh_jw__str(w, "version", "2.1.0");
    kh_jw__open(w, "runs", '[');
    kh_jw__open(w, NULL, '{');
    kh_jw__open(w, "tool", '{');
    kh_jw__open(w, "driver", '{');
    kh_jw__str(w, "name", "kubeharden");
    kh_jw__str(w, "version", r->version);
    kh_jw__str(w, "informationUri", "https://github.com/kubeharden/kubeharden");
    kh_jw__open(w, "rules", '[');
    for (size_t i = 0; i < kh_rule_count(); i++)
        rule(w, kh_rule_at(i));
    kh_jw__close(w, ']');
    kh_jw__close(w, '}');
    kh_jw__close(w, '}');
    /* The loader's columns count Unicode code points (libyaml's marks). */
    kh_jw__str(w, "columnKind", "unicodeCodePoints");
    /* No absolute URI: the report stays the same wherever it is written,
     * and the consumer knows where its checkout is (SARIF 3.14.14). */
    kh_jw__open(w, "originalUriBaseIds", '{');
    kh_jw__open(w, SRCROOT, '{');
    text_message(w, "description",
                 "the directory kubeharden ran in: relative paths are as given on its "
                 "command line");
    kh_jw__close(w, '}');
    if (r->api_server) {
        kh_jw__open(w, APISERVER, '{');
        /* A base URI ends with a slash (SARIF 3.14.14), or its last segment
         * would be replaced when an API path is resolved against it. */
        size_t n = strlen(r->api_server);
        char *base = malloc(n + 2);
        if (!base)
            return KH_ENOMEM;
        memcpy(base, r->api_server, n + 1);
        if (!n || base[n - 1] != '/')
            memcpy(base + n, "/", 2);
        kh_jw__str(w, "uri", base);   /* the kubeconfig's URL, JSON-escaped */
        free(base);
        text_message(w, "description",
                     "the API server kubeharden read: a result's uri is the API path of "
                     "its object");
        kh_jw__close(w, '}');
    }
    kh_jw__close(w, '}');
    kh_jw__open(w, "results", '[');
    return KH_OK;
}

/* ------------------------------------------------------------ results */

/* A relative path is relative to where kubeharden ran: say so with the
 * run's base id, as code scanning expects of a checkout-relative path.
 * Standard input has no path. */
static int relative_path(const char *file)
{
    return file && *file && file[0] != '/' && strcmp(file, "<stdin>") != 0;
}

static void physical_location(const kh_report *r, kh_jw *w, const char *file, unsigned line,
                              unsigned col)
{
    kh_jw__open(w, "physicalLocation", '{');
    kh_jw__open(w, "artifactLocation", '{');
    kh_jw__key(w, "uri");
    putc('"', w->out);
    /* An object read from an API server is at its API path, relative to
     * the server's URL (which may have a path of its own, as behind a
     * proxy). Else an absolute path is a file: URI; a relative one stays
     * relative, for the consumer to resolve against the checkout. */
    int api = r->api_server && file && file[0] == '/';
    if (api)
        file++;
    else if (file && file[0] == '/')
        fputs("file://", w->out);
    kh_report__uri(w->out, file);   /* percent-encoded: plain ASCII */
    putc('"', w->out);
    if (api || relative_path(file)) {
        kh_jw__key(w, "uriBaseId");
        /* constants: nothing to escape */
        fputs(api ? "\"" APISERVER "\"" : "\"" SRCROOT "\"", w->out);
    }
    kh_jw__close(w, '}');
    if (line) {
        kh_jw__open(w, "region", '{');
        kh_jw__uint(w, "startLine", line);
        if (col)
            kh_jw__uint(w, "startColumn", col);
        kh_jw__close(w, '}');
    }
    kh_jw__close(w, '}');
}

static void logical_location(kh_jw *w, const char *name, const char *label)
{
    kh_jw__open(w, "logicalLocations", '[');
    kh_jw__open(w, NULL, '{');
    if (name)
        kh_jw__str(w, "name", name);
    kh_jw__str(w, "fullyQualifiedName", label);
    kh_jw__str(w, "kind", "resource");
    kh_jw__close(w, '}');
    kh_jw__close(w, ']');
}

static void location(const kh_report *r, kh_jw *w, const kh_finding *f, const char *label)
{
    kh_jw__open(w, "locations", '[');
    kh_jw__open(w, NULL, '{');
    physical_location(r, w, f->file, f->line, f->col);
    if (label)
        logical_location(w, f->name, label);
    kh_jw__close(w, '}');
    kh_jw__close(w, ']');
}

/* relatedLocations (SARIF 3.27.22): each with an id unique in its result
 * (3.28.2), the file and region when it is in an input, the object as a
 * logical location, and what it contributes as its message. */
static int related_locations(kh_report *r, const kh_finding *f)
{
    kh_jw *w = &r->jw;
    kh_jw__open(w, "relatedLocations", '[');
    for (size_t i = 0; i < f->nrelated; i++) {
        const kh_location *l = &f->related[i];
        kh_jw__open(w, NULL, '{');
        kh_jw__uint(w, "id", i);
        if (l->file && *l->file)
            physical_location(r, w, l->file, l->line, l->col);
        if (l->kind || l->name) {
            int rc = kh_report__label(&r->label, l->kind, l->namespace_, l->name);
            if (rc)
                return rc;
            logical_location(w, l->name, r->label.data);
        }
        if (l->message && *l->message)
            text_message(w, "message", l->message);
        kh_jw__close(w, '}');
    }
    kh_jw__close(w, ']');
    return KH_OK;
}

/* The finding's identity for code scanning, which matches results across
 * runs by it rather than by line (see KH_REPORT_FNV_OFFSET in report.h). */
static void fingerprints(kh_report *r, const kh_finding *f)
{
    static const char hex[] = "0123456789abcdef";
    kh_jw *w = &r->jw;
    char digits[16];
    if (r->object_changed)   /* a new file always starts a new object */
        r->object_hash = kh_report__fnv(kh_report__fnv(KH_REPORT_FNV_OFFSET, r->file.data),
                                        r->object.data);
    uint64_t h = kh_report__fnv(kh_report__fnv(r->object_hash, f->rule_id), f->path);
    for (int i = 15; i >= 0; i--, h >>= 4)
        digits[i] = hex[h & 0xf];
    kh_jw__open(w, "partialFingerprints", '{');
    kh_jw__key(w, FINGERPRINT);
    putc('"', w->out);
    fwrite(digits, 1, sizeof(digits), w->out);
    putc('"', w->out);
    kh_jw__close(w, '}');
}

static int result(kh_report *r, const kh_finding *f)
{
    kh_jw *w = &r->jw;
    long index = rule_index(f->rule_id);
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "ruleId", f->rule_id ? f->rule_id : "");
    if (index >= 0)
        kh_jw__uint(w, "ruleIndex", (unsigned long long)index);
    kh_jw__str(w, "level", level(f->severity));
    text_message(w, "message", f->message);
    location(r, w, f, f->kind || f->name ? r->object.data : NULL);
    if (f->related && f->nrelated) {
        int rc = related_locations(r, f);
        if (rc)
            return rc;
    }
    fingerprints(r, f);
    if (f->suppressed) {
        kh_jw__open(w, "suppressions", '[');
        kh_jw__open(w, NULL, '{');
        kh_jw__str(w, "kind", "inSource");
        kh_jw__str(w, "justification", f->suppressed);
        kh_jw__close(w, '}');
        kh_jw__close(w, ']');
    }
    kh_jw__open(w, "properties", '{');
    kh_jw__str(w, "path", f->path ? f->path : "");
    kh_jw__str(w, "severity", kh_report__severity(f->severity));
    kh_jw__close(w, '}');
    kh_jw__close(w, '}');
    return KH_OK;
}

/* ------------------------------------------------------------ errors */

static int open_spool(kh_report *r)
{
    if (r->spool)
        return KH_OK;
    r->spool = tmpfile();
    if (!r->spool)
        r->spool = open_memstream(&r->spool_mem, &r->spool_len);
    if (!r->spool)
        return KH_ENOMEM;
    kh_jw__init(&r->spool_jw, r->spool, NOTE_DEPTH);
    return KH_OK;
}

static int notification(kh_report *r, const kh_finding *f)
{
    int rc = open_spool(r);
    if (rc)
        return rc;
    kh_jw *w = &r->spool_jw;
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "level", "error");
    text_message(w, "message", f->message);
    if (f->file && *f->file) {
        kh_jw__open(w, "locations", '[');
        kh_jw__open(w, NULL, '{');
        physical_location(r, w, f->file, f->line, f->col);
        kh_jw__close(w, '}');
        kh_jw__close(w, ']');
    }
    kh_jw__close(w, '}');
    r->spooled++;
    return ferror(r->spool) ? KH_EIO : KH_OK;
}

static int sarif_add(kh_report *r, const kh_finding *f)
{
    if (f->is_error)
        return notification(r, f);
    return result(r, f);
}

static int copy_spool(kh_report *r)
{
    if (fflush(r->spool) != 0 || ferror(r->spool))
        return KH_EIO;
    if (r->spool_mem) {
        fwrite(r->spool_mem, 1, r->spool_len, r->dst);
        return KH_OK;
    }
    char buf[8192];
    size_t n;
    rewind(r->spool);
    while ((n = fread(buf, 1, sizeof(buf), r->spool)) > 0)
        fwrite(buf, 1, n, r->dst);
    return ferror(r->spool) ? KH_EIO : KH_OK;
}

static int sarif_end(kh_report *r, const kh_scan_stats *stats)
{
    kh_jw *w = &r->jw;
    int rc = KH_OK;
    kh_jw__close(w, ']');   /* results */
    kh_jw__open(w, "invocations", '[');
    kh_jw__open(w, NULL, '{');
    kh_jw__bool(w, "executionSuccessful", stats->errors == 0 && r->spooled == 0);
    if (r->spooled) {
        kh_jw__open(w, "toolExecutionNotifications", '[');
        rc = copy_spool(r);
        w->wrote[w->depth] = 1;
        kh_jw__close(w, ']');
    }
    kh_jw__close(w, '}');
    kh_jw__close(w, ']');   /* invocations */
    kh_jw__close(w, '}');   /* the run */
    kh_jw__close(w, ']');   /* runs */
    kh_jw__close(w, '}');
    putc('\n', r->dst);
    return rc;
}

const kh_report_ops kh_report__sarif_ops = {sarif_begin, sarif_add, sarif_end};
