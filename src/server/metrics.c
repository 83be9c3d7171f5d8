/*
 * metrics.c -- the server's Prometheus metrics: RED (reviews by level, mode
 * and decision; findings by rule; responses by HTTP status; a latency
 * histogram) and USE (in flight, connections, rejections, certificate
 * expiry). Counters are fixed arrays of relaxed atomics indexed by label,
 * so the worker threads never lock; the text exposition is rendered at
 * scrape time into one malloc'd buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define NLEVELS 3
#define NMODES 3

/* Seconds; reviews take tens of microseconds, the API server's timeout is 10 s. */
static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                 0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const char *const reject_reasons[] = {"body_too_large", "draining", "in_flight",
                                             "timeout"};
#define NREJECTS (sizeof(reject_reasons) / sizeof(reject_reasons[0]))

static const char *const decision_names[KH_DECISION_COUNT] = {"allowed", "denied", "warned",
                                                              "audited"};

struct kh_metrics {
    atomic_ulong reviews[NLEVELS][NMODES][KH_DECISION_COUNT];
    atomic_ulong bucket[NBUCKETS + 1];   /* the last one is +Inf */
    atomic_ulong sum_ns;
    atomic_ulong responses[600];
    atomic_ulong rejects[NREJECTS];
    size_t nrules;
    atomic_ulong *rules;                 /* indexed like kh_rule_at */
};

int kh_metrics__new(struct kh_metrics **out)
{
    struct kh_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return KH_ENOMEM;
    m->nrules = kh_rule_count();
    m->rules = calloc(m->nrules ? m->nrules : 1, sizeof(*m->rules));
    if (!m->rules) {
        free(m);
        return KH_ENOMEM;
    }
    *out = m;
    return 0;
}

void kh_metrics__free(struct kh_metrics *m)
{
    if (!m)
        return;
    free(m->rules);
    free(m);
}

static void inc(atomic_ulong *c, unsigned long by)
{
    atomic_fetch_add_explicit(c, by, memory_order_relaxed);
}

static unsigned long get(atomic_ulong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void kh_metrics__review(struct kh_metrics *m, const kh_route *r, int decision, double seconds)
{
    unsigned level = (unsigned)r->level < NLEVELS ? (unsigned)r->level : 0;
    unsigned mode = (unsigned)r->mode < NMODES ? (unsigned)r->mode : 0;
    inc(&m->reviews[level][mode][decision], 1);
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    inc(&m->bucket[b], 1);
    inc(&m->sum_ns, (unsigned long)(seconds * 1e9));
}

void kh_metrics__rule(struct kh_metrics *m, const char *rule_id)
{
    /* kh_rule_at is in id order: binary search. */
    size_t lo = 0, hi = m->nrules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(kh_rule_at(mid)->id, rule_id);
        if (c == 0) {
            inc(&m->rules[mid], 1);
            return;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
}

void kh_metrics__response(struct kh_metrics *m, unsigned status)
{
    if (status < 600)
        inc(&m->responses[status], 1);
}

void kh_metrics__reject(struct kh_metrics *m, const char *reason)
{
    for (size_t i = 0; i < NREJECTS; i++)
        if (strcmp(reject_reasons[i], reason) == 0)
            inc(&m->rejects[i], 1);
}

/* A growing text buffer; on allocation failure it stops growing and render fails. */
struct out {
    char *buf;
    size_t len, cap;
    int failed;
};

static void put(struct out *o, const char *fmt, ...) KH_PRINTF(2, 3);
static void put(struct out *o, const char *fmt, ...)
{
    for (;;) {
        if (o->failed)
            return;
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (k < 0) {
            o->failed = 1;
            return;
        }
        if ((size_t)k < o->cap - o->len) {
            o->len += (size_t)k;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)k;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = 1;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
}

static const char *const mode_names[NMODES] = {"enforce", "warn", "audit"};

static const char *level_name(unsigned l)
{
    return l == KH_PSS_PRIVILEGED ? "privileged" : l == KH_PSS_BASELINE ? "baseline" : "restricted";
}

char *kh_metrics__render(struct kh_metrics *m, const struct kh_metrics_gauges *g, size_t *len)
{
    struct out o = {malloc(8192), 0, 8192, 0};
    if (!o.buf)
        return NULL;

    put(&o, "# HELP kubeharden_admission_reviews_total AdmissionReviews judged, by route level, "
            "mode and decision.\n# TYPE kubeharden_admission_reviews_total counter\n");
    for (unsigned l = 0; l < NLEVELS; l++)
        for (unsigned md = 0; md < NMODES; md++)
            for (unsigned d = 0; d < KH_DECISION_COUNT; d++)
                put(&o, "kubeharden_admission_reviews_total{level=\"%s\",mode=\"%s\",decision=\"%s\"} %lu\n",
                    level_name(l), mode_names[md], decision_names[d],
                    get(&m->reviews[l][md][d]));

    put(&o, "# HELP kubeharden_admission_findings_total Findings in judged reviews, by rule "
            "(violations and findings of other rules, in any mode).\n"
            "# TYPE kubeharden_admission_findings_total counter\n");
    for (size_t i = 0; i < m->nrules; i++)
        put(&o, "kubeharden_admission_findings_total{rule=\"%s\"} %lu\n", kh_rule_at(i)->id,
            get(&m->rules[i]));

    put(&o, "# HELP kubeharden_admission_review_duration_seconds Time from the request line to "
            "the response, for judged reviews.\n"
            "# TYPE kubeharden_admission_review_duration_seconds histogram\n");
    unsigned long cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += get(&m->bucket[b]);
        put(&o, "kubeharden_admission_review_duration_seconds_bucket{le=\"%g\"} %lu\n", buckets[b],
            cum);
    }
    cum += get(&m->bucket[NBUCKETS]);
    put(&o, "kubeharden_admission_review_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    put(&o, "kubeharden_admission_review_duration_seconds_sum %.9f\n",
        (double)get(&m->sum_ns) / 1e9);
    put(&o, "kubeharden_admission_review_duration_seconds_count %lu\n", cum);

    put(&o, "# HELP kubeharden_http_responses_total HTTP responses, by status code (errors are "
            "codes 400 and above).\n# TYPE kubeharden_http_responses_total counter\n");
    for (unsigned s = 100; s < 600; s++)
        if (get(&m->responses[s]))
            put(&o, "kubeharden_http_responses_total{code=\"%u\"} %lu\n", s, get(&m->responses[s]));

    put(&o, "# HELP kubeharden_http_rejected_requests_total Requests refused before being "
            "judged, by reason.\n# TYPE kubeharden_http_rejected_requests_total counter\n");
    for (size_t i = 0; i < NREJECTS; i++)
        put(&o, "kubeharden_http_rejected_requests_total{reason=\"%s\"} %lu\n", reject_reasons[i],
            get(&m->rejects[i]));

    put(&o, "# HELP kubeharden_http_in_flight_requests Requests between the request line and "
            "the response.\n# TYPE kubeharden_http_in_flight_requests gauge\n"
            "kubeharden_http_in_flight_requests %ld\n", g->in_flight);
    put(&o, "# HELP kubeharden_http_max_in_flight_requests Bound on reviews in flight "
            "(--max-in-flight).\n# TYPE kubeharden_http_max_in_flight_requests gauge\n"
            "kubeharden_http_max_in_flight_requests %u\n", g->max_in_flight);
    put(&o, "# HELP kubeharden_http_open_connections TLS connections open.\n"
            "# TYPE kubeharden_http_open_connections gauge\n"
            "kubeharden_http_open_connections %ld\n", g->connections);
    put(&o, "# HELP kubeharden_ready 1 while the server accepts reviews (readyz), 0 when "
            "draining.\n# TYPE kubeharden_ready gauge\nkubeharden_ready %d\n", g->ready);
    put(&o, "# HELP kubeharden_tls_certificate_expiry_timestamp_seconds notAfter of the serving "
            "certificate, as a unix time.\n"
            "# TYPE kubeharden_tls_certificate_expiry_timestamp_seconds gauge\n"
            "kubeharden_tls_certificate_expiry_timestamp_seconds %lld\n",
        (long long)g->cert_expiry);
    put(&o, "# HELP kubeharden_tls_certificate_reloads_total Serving certificate reloads after "
            "the files changed.\n# TYPE kubeharden_tls_certificate_reloads_total counter\n"
            "kubeharden_tls_certificate_reloads_total %lu\n", g->cert_reloads);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}
