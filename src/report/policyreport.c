/*
 * policyreport.c -- `-o policyreport`: wg-policy PolicyReport objects
 * (wgpolicyk8s.io/v1alpha2), one per namespace, and one ClusterPolicyReport
 * for cluster-scoped objects and input errors, as Kyverno and
 * Trivy-operator write them, so Policy Reporter and other UIs show
 * kubeharden's results. The output is a `kind: List` for `kubectl apply -f`.
 *
 * Reports group by namespace while findings arrive in input order, so each
 * finding is spooled as one escaped, tab-separated line (a temporary file,
 * or memory) and the reports are written at the end, namespaces in byte
 * order, results in arrival order. Memory holds the findings' lines only
 * while they are sorted.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/fastio.h" /* last: it redefines stdio names */

enum { F_NS, F_KIND, F_APIV, F_NAME, F_RULE, F_SEV, F_RESULT, F_MSG, F_PATH, F_WHERE,
       F_REASON, NFIELDS };

static int pr_begin(kh_report *r)
{
    r->spool = tmpfile();
    if (!r->spool)
        r->spool = open_memstream(&r->spool_mem, &r->spool_len);
    return r->spool ? KH_OK : KH_EIO;
}

/* One field: tab, newline and backslash escaped so a record is a line. */
static void put_field(FILE *out, const char *s, int last)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\t')
            fputs("\\t", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            putc(*s, out);
    }
    putc(last ? '\n' : '\t', out);
}

static int pr_add(kh_report *r, const kh_finding *f)
{
    const char *fields[NFIELDS] = {
        f->is_error ? "" : (f->namespace_ ? f->namespace_ : ""),
        f->kind, f->api_version, f->name, f->is_error ? "" : f->rule_id,
        kh_report__severity(f->severity),
        f->is_error ? "error" : f->suppressed ? "skip" : "fail",
        f->message, f->path, f->file, f->suppressed,
    };
    for (int i = 0; i < NFIELDS; i++)
        put_field(r->spool, fields[i], i == NFIELDS - 1);
    return ferror(r->spool) ? KH_EIO : KH_OK;
}

/* Undo put_field in place; splits @p line into @p out. */
static void split(char *line, char **out)
{
    int n = 0;
    out[n++] = line;
    char *w = line;
    for (char *p = line; *p && *p != '\n'; p++) {
        if (*p == '\t' && n < NFIELDS) {
            *w++ = '\0';
            out[n++] = w;
        } else if (*p == '\\' && p[1]) {
            p++;
            *w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    while (n < NFIELDS)
        out[n++] = w;
}

typedef struct rec {
    char *line;
    char *f[NFIELDS];
    size_t seq;
} rec;

static int by_namespace(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    int c = strcmp(x->f[F_NS], y->f[F_NS]);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void result(kh_jw *w, const rec *x, long long now)
{
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "source", "kubeharden");
    if (strcmp(x->f[F_RESULT], "error") == 0) {
        kh_jw__str(w, "policy", "kubeharden.input");
        kh_jw__str(w, "message", x->f[F_MSG]);
        kh_jw__str(w, "result", "error");
        kh_jw__bool(w, "scored", 0);
    } else {
        const kh_rule_info *info = kh_rule_find(x->f[F_RULE]);
        kh_jw__str(w, "policy", x->f[F_RULE]);
        if (info)
            kh_jw__str(w, "category", kh_area_name(info->area));
        kh_jw__str(w, "severity", x->f[F_SEV]);
        kh_jw__str(w, "message", x->f[F_MSG]);
        kh_jw__str(w, "result", x->f[F_RESULT]);
        kh_jw__bool(w, "scored", 1);
        kh_jw__open(w, "resources", '[');
        kh_jw__open(w, NULL, '{');
        kh_jw__str(w, "apiVersion", x->f[F_APIV]);
        kh_jw__str(w, "kind", x->f[F_KIND]);
        if (*x->f[F_NS])
            kh_jw__str(w, "namespace", x->f[F_NS]);
        kh_jw__str(w, "name", x->f[F_NAME]);
        kh_jw__close(w, '}');
        kh_jw__close(w, ']');
    }
    kh_jw__open(w, "timestamp", '{');
    kh_jw__uint(w, "seconds", (unsigned long long)now);
    kh_jw__uint(w, "nanos", 0);
    kh_jw__close(w, '}');
    kh_jw__open(w, "properties", '{');
    if (*x->f[F_WHERE])
        kh_jw__str(w, "location", x->f[F_WHERE]);
    if (*x->f[F_PATH])
        kh_jw__str(w, "path", x->f[F_PATH]);
    if (*x->f[F_REASON])
        kh_jw__str(w, "suppressedReason", x->f[F_REASON]);
    kh_jw__close(w, '}');
    kh_jw__close(w, '}');
}

/* One report over recs [from, to), which share a namespace. */
static void report(kh_jw *w, const rec *recs, size_t from, size_t to, long long now)
{
    const char *ns = recs[from].f[F_NS];
    size_t fail = 0, skip = 0, error = 0;
    for (size_t i = from; i < to; i++) {
        const char *res = recs[i].f[F_RESULT];
        fail += strcmp(res, "fail") == 0;
        skip += strcmp(res, "skip") == 0;
        error += strcmp(res, "error") == 0;
    }
    kh_jw__open(w, NULL, '{');
    kh_jw__str(w, "apiVersion", "wgpolicyk8s.io/v1alpha2");
    kh_jw__str(w, "kind", *ns ? "PolicyReport" : "ClusterPolicyReport");
    kh_jw__open(w, "metadata", '{');
    kh_jw__str(w, "name", "kubeharden");
    if (*ns)
        kh_jw__str(w, "namespace", ns);
    kh_jw__open(w, "labels", '{');
    kh_jw__str(w, "app.kubernetes.io/managed-by", "kubeharden");
    kh_jw__close(w, '}');
    kh_jw__close(w, '}');
    kh_jw__open(w, "summary", '{');
    kh_jw__uint(w, "pass", 0);
    kh_jw__uint(w, "fail", fail);
    kh_jw__uint(w, "warn", 0);
    kh_jw__uint(w, "error", error);
    kh_jw__uint(w, "skip", skip);
    kh_jw__close(w, '}');
    kh_jw__open(w, "results", '[');
    for (size_t i = from; i < to; i++)
        result(w, &recs[i], now);
    kh_jw__close(w, ']');
    kh_jw__close(w, '}');
}

static int pr_end(kh_report *r, const kh_scan_stats *stats)
{
    (void)stats;
    if (fflush(r->spool) != 0 || ferror(r->spool))
        return KH_EIO;
    FILE *in = r->spool_mem ? fmemopen(r->spool_mem, r->spool_len ? r->spool_len : 1, "r")
                            : r->spool;
    if (!in)
        return KH_EIO;
    if (!r->spool_mem)
        rewind(in);
    rec *recs = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    int rc = KH_OK;
    while (r->spool_len || !r->spool_mem) {
        ssize_t len = getline(&line, &lcap, in);
        if (len <= 0)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rec *bigger = realloc(recs, cap * sizeof(*recs));
            if (!bigger) {
                rc = KH_ENOMEM;
                break;
            }
            recs = bigger;
        }
        recs[n].line = line;
        recs[n].seq = n;
        split(line, recs[n].f);
        n++;
        line = NULL;
        lcap = 0;
    }
    free(line);
    if (r->spool_mem)
        fclose(in);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    long long now = epoch && *epoch ? atoll(epoch) : (long long)time(NULL);
    if (rc == KH_OK) {
        qsort(recs, n, sizeof(*recs), by_namespace);
        kh_jw *w = &r->jw;
        kh_jw__init(w, r->dst, 0);
        kh_jw__open(w, NULL, '{');
        kh_jw__str(w, "apiVersion", "v1");
        kh_jw__str(w, "kind", "List");
        kh_jw__open(w, "items", '[');
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            while (j < n && strcmp(recs[j].f[F_NS], recs[i].f[F_NS]) == 0)
                j++;
            report(w, recs, i, j, now);
            i = j;
        }
        kh_jw__close(w, ']');
        kh_jw__close(w, '}');
        putc('\n', r->dst);
    }
    for (size_t i = 0; i < n; i++)
        free(recs[i].line);
    free(recs);
    return rc;
}

const kh_report_ops kh_report__policyreport_ops = {pr_begin, pr_add, pr_end};
