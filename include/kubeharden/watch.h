/*
 * kubeharden/watch.h -- detection over the API server's audit events.
 *
 * A watcher reads Kubernetes audit events (audit.k8s.io/v1 Event, one JSON
 * object per line as the log backend writes them, or EventList batches),
 * runs the audit.* rules of the registry over each, folds repeated alerts
 * of one rule and subject into few alerts with counts, and hands them to a
 * callback (or to the sinks below: JSON lines, syslog RFC 5424 over UDP or
 * TCP). docs/watch.md describes the rules, the configuration and the sinks.
 */
#ifndef KUBEHARDEN_WATCH_H
#define KUBEHARDEN_WATCH_H

#include <signal.h>
#include <stdint.h>

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a response action did: set on the alerts of rules `response.<action>`. */
typedef struct kh_alert_response {
    const char *action;          /**< delete-pod, isolate-pod, cordon-node, drain-node,
                                  *   scale-to-zero, delete-binding */
    const char *result;          /**< done, dry-run, failed, partial, refused,
                                  *   rate-limited or skipped */
    int dry_run;
    const char *target;          /**< "pod shop/web", "node node-1", ... */
    const char *trigger;         /**< the rule whose detection it answers */
    const char *const *requests; /**< "METHOD PATH STATUS" of each request, in order
                                  *   ("-": no answer; no status: planned, not sent) */
    size_t nrequests;
} kh_alert_response;

/** One alert. Strings are borrowed for the duration of the callback. */
typedef struct kh_alert {
    const char *id;              /**< stable: the same event and rule give the same id */
    const char *rule_id;
    kh_severity severity;        /**< after the configuration's overrides */
    const char *title, *why, *fix;
    const char *message;
    unsigned long count;         /**< events this alert stands for (1 + those folded
                                  *   into it since the last alert of its rule and subject) */
    const char *subject;         /**< what dedup and windows key on ("user alice") */
    const char *file;            /**< where the event was read */
    unsigned line, col;
    const char *audit_id, *stage, *timestamp, *verb, *request_uri;
    const char *user, *user_agent, *impersonated_user;
    const char *const *groups;   /**< of the user */
    size_t ngroups;
    const char *const *source_ips;
    size_t nsource_ips;
    const char *resource, *subresource, *namespace_, *name, *api_group; /**< objectRef */
    int code;                    /**< responseStatus.code, 0 when absent (a response
                                  *   action: the status of its last request) */
    const kh_alert_response *response; /**< NULL but for response actions */
} kh_alert;

/** Receives each alert; return non-zero to stop reading. */
typedef int (*kh_alert_cb)(const kh_alert *a, void *ud);

typedef struct kh_watch kh_watch;
typedef struct kh_sink kh_sink;

/**
 * A watcher running the enabled audit.* rules of @p cfg (borrowed; NULL for
 * the defaults) with its `watch:` section. Malformed lines go to @p on_error
 * as error findings (file:line:col; may be NULL) and reading goes on.
 */
int kh_watch_new(kh_watch **out, const kh_config *cfg, kh_alert_cb cb, void *ud,
                 kh_finding_cb on_error, void *err_ud, kh_error *err);

/**
 * Judge one line (one JSON value: an Event or an EventList; blank lines are
 * skipped). @p file and @p line label positions. @return 0; KH_EPARSE or
 * KH_EINVALID for a malformed line (also delivered to on_error); non-zero
 * when the callback asked to stop (KH_EUSAGE).
 */
int kh_watch_line(kh_watch *w, const char *text, size_t len, const char *file, unsigned line,
                  kh_error *err);

/**
 * Read @p path ("-": standard input) line by line. Without @p follow, stop
 * at its end. With @p follow, go on as `tail -F` does: wait for more, and
 * when the file is replaced (another inode at the path: rotation) or
 * truncated, finish the old one and read the new one from its start, until
 * *stop becomes non-zero (a signal handler sets it). Standard input ends at
 * its end either way (a pipe whose writer is gone). @return 0 or KH_EIO.
 */
int kh_watch_path(kh_watch *w, const char *path, int follow, unsigned poll_ms,
                  volatile sig_atomic_t *stop, kh_error *err);

/** Called by kh_watch_path --follow at each poll while no input comes (the
 * CLI retries its sinks' queues there); NULL: none. */
void kh_watch_set_idle(kh_watch *w, void (*idle)(void *ud), void *ud);

/** Emit the alerts still held by dedup (the counts of folded storms). */
int kh_watch_flush(kh_watch *w);

/** How the configured response actions run (docs/watch.md, "Response"). */
typedef enum kh_respond_mode {
    KH_RESPOND_CONFIG = 0,       /**< as watch.response.dryRun says (default: dry run) */
    KH_RESPOND_OFF,              /**< none, not even dry runs */
    KH_RESPOND_DRY_RUN,          /**< dry runs whatever the configuration says */
    KH_RESPOND_LIVE              /**< act, whatever the configuration says */
} kh_respond_mode;

struct kh_client_options;

/**
 * Run the actions the configuration's watch.rules.<id>.actions name when
 * those rules fire, against the cluster of @p cluster (kubeconfig,
 * context, timeout, warnings; NULL or no kubeconfig: found as kubectl
 * does). A dry run talks to the cluster with dryRun=All, or plans only
 * when none is configured. Each action's outcome is an alert of rule
 * `response.<action>` (kh_alert.response set); actions run on a worker
 * thread and their alerts go out at the next line, idle poll or flush,
 * or from kh_watch_free, which waits up to 30 s for those still queued.
 * Without a call, no action runs. @return 0; KH_ECONFIG (live mode and no
 * cluster, a bad kubeconfig) or KH_ENOMEM.
 */
int kh_watch_respond(kh_watch *w, kh_respond_mode mode, const struct kh_client_options *cluster,
                     kh_error *err);

/**
 * Count the events read from now on under @p source: "file", "stdin",
 * "webhook" or "nats" (kh_watch_path sets file or stdin itself; a reader
 * of another source calls this once before its first kh_watch_line).
 * @return 0, or KH_EUSAGE for another name.
 */
int kh_watch_set_source(kh_watch *w, const char *source);

/** The input file's bytes not yet judged (set by kh_watch_path; -1: not a file). */
void kh_watch_set_behind(kh_watch *w, long long bytes);

/**
 * The watcher's and its sinks' metrics in the Prometheus text format
 * (kubeharden_watch_*: events by source, lag, alerts by rule and severity,
 * deliveries, failures, retries, spool, breakers; docs/watch.md), malloc'd;
 * NULL when out of memory. Safe to call from another thread while @p w
 * reads: the counters are atomic.
 */
char *kh_watch_metrics(const kh_watch *w, kh_sink *const *sinks, size_t nsinks);

/** Counters. */
typedef struct kh_watch_stats {
    unsigned long long lines, events, errors, alerts, folded, bytes;
} kh_watch_stats;
void kh_watch_get_stats(const kh_watch *w, kh_watch_stats *out);

/** Free the watcher; response actions still queued get up to 30 s, and
 * their alerts go to the callback first. */
void kh_watch_free(kh_watch *w);

/* ------------------------------------------------------------------ sinks */

/**
 * Open a sink from a spec: "-" or "stdout" (JSON lines on standard output),
 * "file:PATH" (JSON lines appended), "syslog+udp://HOST:PORT" or
 * "syslog+tcp://HOST:PORT" (RFC 5424; TCP with octet counting, RFC 6587),
 * "syslog+tls://HOST:PORT[?ca=FILE]" (RFC 5425: the same over TLS, the
 * collector's certificate checked against FILE or the system's CAs and
 * the host name),
 * "http://URL" or "https://URL" (a POST of the alert JSON per alert, 2xx
 * expected, 5 s timeout, system CAs) and "slack+https://URL" (a Slack
 * incoming webhook: {"text": ...}), "nats://HOST:PORT/SUBJECT[?ca=FILE]" (a JetStream
 * publish of the alert JSON with its id as Nats-Msg-Id, acknowledged by
 * the stream).
 * @return 0, KH_EUSAGE for a bad spec, KH_EIO when it cannot be opened.
 */
int kh_sink_open(kh_sink **out, const char *spec, kh_error *err);
/** Send one alert. @return 0 or KH_EIO (the sink reconnects on the next send). */
int kh_sink_send(kh_sink *s, const kh_alert *a, kh_error *err);
/**
 * Give a TCP or TLS syslog or HTTP sink an on-disk spool in @p dir (a
 * directory kubeharden-sink-<hash of the spec> there, locked by one
 * watcher): each alert is appended before it is sent and removed once
 * the sink took it, so a killed watcher loses nothing; what a previous run
 * left is sent first. Past @p max_bytes (0: 64 MiB) the oldest alerts are
 * dropped, counted (spool_dropped) and reported on stderr. Appends are
 * fdatasync'd at most every @p sync_ms (0: each one). Without a spool,
 * close waits up to 10 s for the sink and reports what it never took.
 * @return 0, KH_EIO (an unreadable spool, or one in use) or KH_ENOMEM.
 */
int kh_sink_set_spool(kh_sink *s, const char *dir, uint64_t max_bytes, unsigned sync_ms,
                      kh_error *err);

/** Circuit breaker states (the metric's values). */
enum { KH_BREAKER_CLOSED = 0, KH_BREAKER_OPEN = 1, KH_BREAKER_HALF_OPEN = 2 };

/** A sink's delivery counters; safe to read from another thread. */
typedef struct kh_sink_stats {
    unsigned long long delivered, failed_attempts, dropped;
    unsigned long long retries;  /**< attempts after a failure (half-open probes) */
    size_t queued;               /**< alerts waiting for the sink now (spool included) */
    int breaker_open;            /**< 1 while waiting before the next attempt */
    int breaker;                 /**< KH_BREAKER_*: closed, open (backing off),
                                  *   half-open (the next attempt is a probe) */
    int spooled;                 /**< 1 with a spool */
    size_t spool_records;        /**< alerts in the spool */
    unsigned long long spool_bytes, spool_max_bytes; /**< their bytes; the bound */
    unsigned long long spool_dropped; /**< oldest dropped past the bound */
} kh_sink_stats;
void kh_sink_get_stats(const kh_sink *s, kh_sink_stats *out);
/** The sink as messages and /metrics show it: as given ("syslog+tcp://siem:514"), but a
 *  URL without its user information, and an HTTP or Slack URL without its path. */
const char *kh_sink_spec(const kh_sink *s);

/** Retry what is queued if the sink's backoff allows it now (never waits). */
void kh_sink_poll(kh_sink *s);
/* --------------------------------------------------------- NATS JetStream */

/** Where `watch --nats` reads: a JetStream stream, through a durable pull
 * consumer that every watcher naming it shares (a consumer group). */
typedef struct kh_nats_input {
    const char *url;              /**< nats://[USER:PASS@|TOKEN@]HOST:PORT[?ca=FILE] */
    const char *subject;          /**< the events' subject: the stream captures it */
    const char *stream;           /**< created (file storage) when absent */
    const char *consumer;         /**< durable pull consumer, created when absent */
    unsigned ack_wait_s;          /**< redelivery after this long without an ack */
    unsigned batch;               /**< messages per pull request (at most 256) */
    int spooled;                  /**< the sinks have a spool: an alert taken is safe */
} kh_nats_input;

/**
 * Judge each message's payload (an Event or an EventList) with
 * kh_watch_line until *stop, acknowledging a message only once every one
 * of @p sinks delivered its alerts (with @p in->spooled: took them into
 * its spool); folded alerts are flushed within half the ack wait. What is
 * not safe by then is kept in progress, and given back (-NAK) at a stop.
 * Reconnects with backoff. @return 0, KH_EUSAGE (bad names, or a stream or
 * consumer that cannot be set up as asked) or KH_ENOMEM.
 */
int kh_watch_nats(kh_watch *w, const kh_nats_input *in, kh_sink *const *sinks, size_t nsinks,
                  volatile sig_atomic_t *stop, kh_error *err);

/** Adapter for kh_watch_new: ud is a kh_sink *; send failures go to stderr. */
int kh_sink_alert_cb(const kh_alert *a, void *ud);
void kh_sink_close(kh_sink *s);

/** The alert as one JSON object (no newline), malloc'd; NULL when out of memory. */
char *kh_alert_json(const kh_alert *a);

#ifdef __cplusplus
}
#endif
#endif
