/*
 * metrics.c -- what `kubeharden watch` shows on /metrics (Prometheus text
 * format 0.0.4, names kubeharden_watch_*), in every mode: --listen serves
 * it beside /audit, --metrics-listen while reading a file or stdin.
 *
 * The watcher counts into a kh_watch_obs of relaxed atomics (events by
 * source, errors, folded alerts, alerts by rule and severity, the last
 * event's time, bytes behind the file's end), so a scrape on another
 * thread reads them without stopping the reader; the sinks' counters are
 * atomic for the same reason (sink.c).
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watch/internal.h"

static const char *const sources[] = {"file", "stdin", "webhook", "nats"};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))
#define NSEV (KH_SEVERITY_CRITICAL + 1)

struct kh_watch_obs {
    _Atomic unsigned long long events[NSOURCES], errors, folded;
    _Atomic int source;
    _Atomic int64_t last_event_us;  /* stageTimestamp of the last event, 0: none yet */
    _Atomic long long behind;       /* -1: not reading a file */
    size_t nrules;
    _Atomic unsigned long long alerts[]; /* [registry index * NSEV + severity] */
};

kh_watch_obs *kh_watch__obs_new(void)
{
    size_t n = kh_rule_count();
    kh_watch_obs *o = calloc(1, sizeof(*o) + n * NSEV * sizeof(o->alerts[0]));
    if (o) {
        o->nrules = n;
        o->behind = -1;
    }
    return o;
}

void kh_watch__obs_free(kh_watch_obs *o)
{
    free(o);
}

void kh_watch__obs_event(kh_watch_obs *o, int64_t t_us)
{
    atomic_fetch_add_explicit(&o->events[atomic_load_explicit(&o->source, memory_order_relaxed)],
                              1, memory_order_relaxed);
    if (t_us)
        atomic_store_explicit(&o->last_event_us, t_us, memory_order_relaxed);
}

void kh_watch__obs_error(kh_watch_obs *o)
{
    atomic_fetch_add_explicit(&o->errors, 1, memory_order_relaxed);
}

void kh_watch__obs_folded(kh_watch_obs *o)
{
    atomic_fetch_add_explicit(&o->folded, 1, memory_order_relaxed);
}

/* The registry is sorted by id. */
static size_t rule_index(const char *id)
{
    size_t lo = 0, hi = kh_rule_count();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(kh_rule_at(mid)->id, id);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

void kh_watch__obs_alert(kh_watch_obs *o, const kh_alert *a)
{
    size_t i = rule_index(a->rule_id);
    if (i < o->nrules && (unsigned)a->severity < NSEV)
        atomic_fetch_add_explicit(&o->alerts[i * NSEV + a->severity], 1, memory_order_relaxed);
}

int kh_watch_set_source(kh_watch *w, const char *source)
{
    for (size_t i = 0; i < NSOURCES; i++)
        if (strcmp(sources[i], source) == 0) {
            atomic_store(&kh_watch__obs(w)->source, (int)i);
            return 0;
        }
    return KH_EUSAGE;
}

void kh_watch_set_behind(kh_watch *w, long long bytes)
{
    atomic_store_explicit(&kh_watch__obs(w)->behind, bytes, memory_order_relaxed);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            putc('\\', f);
        if (*v == '\n')
            fputs("\\n", f);
        else
            putc(*v, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP kubeharden_watch_%s %s\n# TYPE kubeharden_watch_%s %s\n", name, help, name,
            type);
}

/* One metric per sink. */
enum { S_DELIVERED, S_FAILED, S_RETRIES, S_DROPPED, S_QUEUE, S_BREAKER_OPEN, S_BREAKER,
       S_SPOOL_RECORDS, S_SPOOL_BYTES, S_SPOOL_MAX, S_SPOOL_DROPPED, S_COUNT };

static const struct {
    const char *name, *type, *help;
} sink_metrics[S_COUNT] = {
    {"sink_delivered_total", "counter", "Alerts a sink took."},
    {"sink_failed_attempts_total", "counter", "Failed delivery attempts."},
    {"sink_retries_total", "counter", "Delivery attempts after a failure (half-open probes)."},
    {"sink_dropped_total", "counter", "Alerts dropped: memory queue full or past the spool bound."},
    {"sink_queue", "gauge", "Alerts waiting for the sink (in the spool or in memory)."},
    {"sink_breaker_open", "gauge", "1 while the sink backs off after a failure."},
    {"sink_breaker_state", "gauge", "Circuit breaker: 0 closed, 1 open, 2 half-open."},
    {"spool_records", "gauge", "Alerts in the sink's on-disk spool."},
    {"spool_bytes", "gauge", "Bytes of the alerts in the sink's spool."},
    {"spool_max_bytes", "gauge", "The spool's bound (--spool-max-bytes)."},
    {"spool_dropped_total", "counter", "Oldest alerts dropped because the spool was full."},
};

static unsigned long long sink_value(const kh_sink_stats *ss, int k)
{
    switch (k) {
    case S_DELIVERED: return ss->delivered;
    case S_FAILED: return ss->failed_attempts;
    case S_RETRIES: return ss->retries;
    case S_DROPPED: return ss->dropped + ss->spool_dropped;
    case S_QUEUE: return ss->queued;
    case S_BREAKER_OPEN: return (unsigned long long)ss->breaker_open;
    case S_BREAKER: return (unsigned long long)ss->breaker;
    case S_SPOOL_RECORDS: return ss->spool_records;
    case S_SPOOL_BYTES: return ss->spool_bytes;
    case S_SPOOL_MAX: return ss->spool_max_bytes;
    default: return ss->spool_dropped;
    }
}

char *kh_watch_metrics(const kh_watch *w, kh_sink *const *sinks, size_t nsinks)
{
    kh_watch_obs *o = kh_watch__obs(w);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    head(f, "events_total", "counter", "Audit events read, by source.");
    for (size_t i = 0; i < NSOURCES; i++)
        fprintf(f, "kubeharden_watch_events_total{source=\"%s\"} %llu\n", sources[i],
                (unsigned long long)atomic_load_explicit(&o->events[i], memory_order_relaxed));
    head(f, "errors_total", "counter", "Lines or batches that could not be read.");
    fprintf(f, "kubeharden_watch_errors_total %llu\n",
            (unsigned long long)atomic_load_explicit(&o->errors, memory_order_relaxed));
    int64_t last = atomic_load_explicit(&o->last_event_us, memory_order_relaxed);
    if (last) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double lag = (double)now.tv_sec + now.tv_nsec / 1e9 - (double)last / 1e6;
        head(f, "last_event_timestamp_seconds", "gauge",
             "stageTimestamp of the last event read (unix seconds).");
        fprintf(f, "kubeharden_watch_last_event_timestamp_seconds %.6f\n", (double)last / 1e6);
        head(f, "lag_seconds", "gauge", "Now minus the last event's stageTimestamp.");
        fprintf(f, "kubeharden_watch_lag_seconds %.6f\n", lag);
    }
    long long behind = atomic_load_explicit(&o->behind, memory_order_relaxed);
    if (behind >= 0) {
        head(f, "file_behind_bytes", "gauge", "Bytes of the input file not yet read.");
        fprintf(f, "kubeharden_watch_file_behind_bytes %lld\n", behind);
    }
    head(f, "alerts_total", "counter", "Alerts sent, by rule and severity.");
    for (size_t i = 0; i < o->nrules; i++)
        for (int s = 0; s < NSEV; s++) {
            unsigned long long n =
                atomic_load_explicit(&o->alerts[i * NSEV + (size_t)s], memory_order_relaxed);
            if (n)
                fprintf(f, "kubeharden_watch_alerts_total{rule=\"%s\",severity=\"%s\"} %llu\n",
                        kh_rule_at(i)->id, kh_severity_name((kh_severity)s), n);
        }
    head(f, "alerts_folded_total", "counter",
         "Alerts held back by dedup (folded into a later alert's count).");
    fprintf(f, "kubeharden_watch_alerts_folded_total %llu\n",
            (unsigned long long)atomic_load_explicit(&o->folded, memory_order_relaxed));
    kh_sink_stats *st = calloc(nsinks ? nsinks : 1, sizeof(*st));
    for (size_t i = 0; st && i < nsinks; i++)
        kh_sink_get_stats(sinks[i], &st[i]);
    for (int k = 0; st && k < S_COUNT; k++) {
        head(f, sink_metrics[k].name, sink_metrics[k].type, sink_metrics[k].help);
        for (size_t i = 0; i < nsinks; i++) {
            if (k >= S_SPOOL_RECORDS && !st[i].spooled)
                continue;
            fprintf(f, "kubeharden_watch_%s{sink=\"", sink_metrics[k].name);
            label(f, kh_sink_spec(sinks[i]));
            fprintf(f, "\"} %llu\n", sink_value(&st[i], k));
        }
    }
    int bad = !st;
    free(st);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return NULL;
    }
    return buf;
}
