/*
 * cmd_watch.c -- `kubeharden watch [--follow] FILE|-`: detection over the
 * API server's audit log.
 *
 * The library (kubeharden/watch.h) reads the events line by line, runs the
 * audit.* rules and folds storms; each alert goes to every --sink (JSON
 * lines on stdout by default). Without --follow the file is read to its end
 * and the exit status says whether an alert reached --fail-on (batch
 * audits, tests); with --follow it runs until SIGINT or SIGTERM, across
 * rotations. Malformed lines are reported on stderr as file:line:col and
 * reading goes on. With --listen it serves POST /audit over HTTPS instead
 * (the API server's audit webhook backend, on serve's server: src/server)
 * until SIGTERM, each batch judged under one lock before it is answered.
 * --metrics-listen serves /healthz and /metrics over plain HTTP while a
 * file or stdin is read (src/server/plain.c).
 */
#define _GNU_SOURCE /* open_memstream */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cluster_opts.h"
#include "kubeharden/client.h"
#include "kubeharden/watch.h"
#include "plain.h"
#include "server.h"

enum {
    OPT_CLIENT_CA, OPT_CONFIG, OPT_FAIL_ON, OPT_FOLLOW, OPT_HELP, OPT_LISTEN, OPT_METRICS_LISTEN,
    OPT_NATS, OPT_NATS_ACK_WAIT, OPT_NATS_CONSUMER, OPT_NATS_STREAM, OPT_NATS_SUBJECT,
    OPT_NO_CONFIG, OPT_POLL, OPT_RULE, OPT_SINK, OPT_SPOOL, OPT_SPOOL_MAX, OPT_SPOOL_SYNC,
    OPT_TLS_CERT, OPT_TLS_KEY
};

enum { OPT_CONTEXT = 100, OPT_KUBECONFIG, OPT_RESPOND }; /* response actions */

/* Sorted by long name. */
static const struct cli_option options[] = {
    {"client-ca-file", ' ', "FILE", "with --listen: require client certificates signed by this CA", OPT_CLIENT_CA},
    {"config", ' ', "FILE", "configuration file (default: .kubeharden.yaml found upwards)", OPT_CONFIG},
    {"context", ' ', "NAME", "the kubeconfig context response actions use (default: current-context)", OPT_CONTEXT},
    {"fail-on", ' ', "SEVERITY", "exit 1 when an alert is at least this severe (default low; never: always 0)", OPT_FAIL_ON},
    {"follow", 'f', NULL, "keep reading as the file grows, across rotation, until SIGINT/SIGTERM", OPT_FOLLOW},
    {"help", 'h', NULL, "show this help", OPT_HELP},
    {"kubeconfig", ' ', "FILE", "the kubeconfig response actions use (default: $KUBECONFIG, ~/.kube/config, in-cluster)", OPT_KUBECONFIG},
    {"listen", ' ', "[ADDR:]PORT", "serve POST /audit over HTTPS for the audit webhook backend instead of reading FILE", OPT_LISTEN},
    {"metrics-listen", ' ', "[ADDR:]PORT", "while reading FILE or -: serve /healthz and /metrics over plain HTTP (ADDR default 127.0.0.1)", OPT_METRICS_LISTEN},
    {"nats", ' ', "URL", "read events from a NATS JetStream stream (nats://[USER:PASS@]HOST:PORT[?ca=FILE]) instead of FILE", OPT_NATS},
    {"nats-ack-wait", ' ', "SECONDS", "with --nats: redeliver an event not acknowledged this long (default 30)", OPT_NATS_ACK_WAIT},
    {"nats-consumer", ' ', "NAME", "with --nats: the durable pull consumer; watchers naming the same one share the stream (default kubeharden-watch)", OPT_NATS_CONSUMER},
    {"nats-stream", ' ', "NAME", "with --nats: the stream, created when absent (default KUBERNETES_AUDIT)", OPT_NATS_STREAM},
    {"nats-subject", ' ', "SUBJECT", "with --nats: the subject the events are published on (default kubernetes.audit)", OPT_NATS_SUBJECT},
    {"no-config", ' ', NULL, "ignore any .kubeharden.yaml", OPT_NO_CONFIG},
    {"poll-interval", ' ', "MS", "with --follow: how often to look for more (default 250)", OPT_POLL},
    {"respond", ' ', "MODE", "response actions (watch.rules.ID.actions): dry-run, live or off (default: dry-run unless watch.response.dryRun is false)", OPT_RESPOND},
    {"rule", ' ', "ID", "run only this rule (repeatable)", OPT_RULE},
    {"sink", 's', "SINK", "-, file:PATH, syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT[?ca=FILE], http(s)://URL, slack+https://URL or nats://HOST:PORT/SUBJECT[?ca=FILE] (repeatable; default -)", OPT_SINK},
    {"spool", ' ', "DIR", "write each alert for a TCP, TLS or HTTP sink to DIR before sending it, until delivered; what is left is sent first next time", OPT_SPOOL},
    {"spool-max-bytes", ' ', "SIZE", "bound of each sink's spool (K, M, G suffixes; default 64M): past it the oldest alerts are dropped and counted", OPT_SPOOL_MAX},
    {"spool-sync", ' ', "MS", "fdatasync the spool at most every MS (0: each alert; default 200)", OPT_SPOOL_SYNC},
    {"tls-cert-file", ' ', "FILE", "with --listen: the server certificate chain (PEM)", OPT_TLS_CERT},
    {"tls-private-key-file", ' ', "FILE", "with --listen: its private key (PEM)", OPT_TLS_KEY},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

struct watch_args {
    const char *config, *path, *listen, *cert, *key, *client_ca, *spool, *metrics_listen;
    kh_nats_input nats;
    unsigned long long spool_max;
    unsigned spool_sync;
    const char **rules, **sinks;
    size_t nrules, nsinks;
    int follow, help, no_config, never;
    unsigned poll_ms;
    kh_severity fail_on;
    struct cli_cluster cluster;  /* --kubeconfig, --context: for response actions */
    kh_respond_mode respond;
};

struct watch_run {
    kh_sink **sinks;
    size_t nsinks;
    kh_severity fail_on;
    int never, hit;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void help(void)
{
    fputs("Usage: kubeharden watch [OPTIONS] FILE|-\n\n"
          "Read Kubernetes audit events (audit.k8s.io/v1 Event, one JSON object per line,\n"
          "or EventList batches) from FILE or standard input, run the audit.* rules and\n"
          "send an alert per detection to each sink as one JSON object per line or as\n"
          "RFC 5424 syslog. Repeated alerts of one rule and subject are folded into few\n"
          "alerts with counts (watch.dedup). Thresholds, exceptions and severities come\n"
          "from the configuration's watch: section (docs/watch.md).\n\n"
          "With --listen, no FILE: serve POST /audit over HTTPS, where the API server's\n"
          "audit webhook backend (--audit-webhook-config-file) sends EventList batches;\n"
          "each batch is judged before it is answered (200, or 400 for a bad batch), with\n"
          "/healthz, /readyz and /metrics as `kubeharden serve` has them.\n\n"
          "Rules with actions (watch.rules.ID.actions: delete-pod, isolate-pod, cordon-node,\n"
          "drain-node, scale-to-zero, delete-binding) act on the cluster of --kubeconfig:\n"
          "as a server-side dry run (dryRun=All) unless --respond live or\n"
          "watch.response.dryRun: false, only where watch.response.allow lets them, each\n"
          "outcome an alert of rule response.ACTION.\n\n"
          "With --nats, no FILE: read a NATS JetStream stream through a durable pull\n"
          "consumer (created when absent; watchers naming the same --nats-consumer share\n"
          "the stream) until SIGINT/SIGTERM, acknowledging each message once its alerts\n"
          "are delivered (or, with --spool, spooled).\n\nOptions:\n",
          stdout);
    cli_print_options(stdout, options, NOPTIONS);
    cli_print_exit_codes(stdout, 1);
}

static int on_option(const struct cli_option *o, const char *value, void *ud)
{
    struct watch_args *a = ud;
    if (!o) {
        if (a->path) {
            fprintf(stderr, "kubeharden watch: one input only ('%s' and '%s')\n", a->path,
                    value);
            return CLI_EXIT_ERROR;
        }
        a->path = value;
        return 0;
    }
    char *end;
    switch (o->id) {
    case OPT_CLIENT_CA: a->client_ca = value; break;
    case OPT_CONFIG: a->config = value; break;
    case OPT_FAIL_ON:
        if (strcmp(value, "never") == 0) {
            a->never = 1;
        } else if (kh_severity_parse(&a->fail_on, value) != KH_OK) {
            fprintf(stderr, "kubeharden watch: unknown severity '%s' "
                            "(use info, low, medium, high, critical or never)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_FOLLOW: a->follow = 1; break;
    case OPT_HELP: a->help = 1; break;
    case OPT_LISTEN: a->listen = value; break;
    case OPT_NATS: a->nats.url = value; break;
    case OPT_NATS_ACK_WAIT: {
        long n = strtol(value, &end, 10);
        if (!*value || *end || n < 1 || n > 3600) {
            fprintf(stderr, "kubeharden watch: bad --nats-ack-wait '%s' (use 1-3600)\n", value);
            return CLI_EXIT_ERROR;
        }
        a->nats.ack_wait_s = (unsigned)n;
        break;
    }
    case OPT_NATS_CONSUMER: a->nats.consumer = value; break;
    case OPT_NATS_STREAM: a->nats.stream = value; break;
    case OPT_NATS_SUBJECT: a->nats.subject = value; break;
    case OPT_METRICS_LISTEN: a->metrics_listen = value; break;
    case OPT_NO_CONFIG: a->no_config = 1; break;
    case OPT_POLL: {
        long n = strtol(value, &end, 10);
        if (!*value || *end || n < 10 || n > 60000) {
            fprintf(stderr, "kubeharden watch: bad --poll-interval '%s' (use 10-60000)\n", value);
            return CLI_EXIT_ERROR;
        }
        a->poll_ms = (unsigned)n;
        break;
    }
    case OPT_RULE: return cli_push(&a->rules, &a->nrules, value);
    case OPT_SINK: return cli_push(&a->sinks, &a->nsinks, value);
    case OPT_SPOOL: a->spool = value; break;
    case OPT_SPOOL_MAX: {
        unsigned long long n = strtoull(value, &end, 10);
        int shift = !*end ? 0 : strcmp(end, "K") == 0 ? 10 : strcmp(end, "M") == 0 ? 20
                    : strcmp(end, "G") == 0 ? 30 : -1;
        if (!*value || *value == '-' || end == value || shift < 0 || n == 0 || n > (1ull << 40) >> shift) {
            fprintf(stderr, "kubeharden watch: bad --spool-max-bytes '%s' (use a size such as 64M)\n",
                    value);
            return CLI_EXIT_ERROR;
        }
        a->spool_max = n << shift;
        break;
    }
    case OPT_SPOOL_SYNC: {
        long n = strtol(value, &end, 10);
        if (!*value || *end || n < 0 || n > 60000) {
            fprintf(stderr, "kubeharden watch: bad --spool-sync '%s' (use 0-60000)\n", value);
            return CLI_EXIT_ERROR;
        }
        a->spool_sync = (unsigned)n;
        break;
    }
    case OPT_CONTEXT: return cli_cluster_option(&a->cluster, "watch", CLI_CLUSTER_CONTEXT, value);
    case OPT_KUBECONFIG:
        return cli_cluster_option(&a->cluster, "watch", CLI_CLUSTER_KUBECONFIG, value);
    case OPT_RESPOND:
        if (strcmp(value, "dry-run") == 0)
            a->respond = KH_RESPOND_DRY_RUN;
        else if (strcmp(value, "live") == 0)
            a->respond = KH_RESPOND_LIVE;
        else if (strcmp(value, "off") == 0)
            a->respond = KH_RESPOND_OFF;
        else {
            fprintf(stderr, "kubeharden watch: unknown --respond '%s' (use dry-run, live or "
                            "off)\n", value);
            return CLI_EXIT_ERROR;
        }
        break;
    case OPT_TLS_CERT: a->cert = value; break;
    case OPT_TLS_KEY: a->key = value; break;
    }
    return 0;
}

static int on_alert(const kh_alert *al, void *ud)
{
    struct watch_run *r = ud;
    for (size_t i = 0; i < r->nsinks; i++)
        kh_sink_alert_cb(al, r->sinks[i]);
    if (!r->never && al->severity >= r->fail_on)
        r->hit = 1;
    return 0;
}

/* While following and nothing comes: give queued alerts their retry. */
static void on_idle(void *ud)
{
    struct watch_run *r = ud;
    for (size_t i = 0; i < r->nsinks; i++)
        kh_sink_poll(r->sinks[i]);
}

static int on_error(const kh_finding *f, void *ud)
{
    (void)ud;
    fprintf(stderr, "%s:%u:%u: error: %s\n", f->file, f->line, f->col, f->message);
    return 0;
}

static kh_config *load_config(const struct watch_args *a)
{
    kh_config *cfg = NULL;
    kh_error err = {0};
    char *found = NULL;
    int rc;
    if (a->config)
        rc = kh_config_load(&cfg, a->config, &err);
    else if (!a->no_config && kh_config_discover(&found, ".") == KH_OK)
        rc = kh_config_load(&cfg, found, &err);
    else
        rc = kh_config_new(&cfg, &err);
    for (size_t i = 0; rc == KH_OK && i < a->nrules; i++) {
        const kh_rule_info *r = kh_rule_find(a->rules[i]);
        if (!r || r->area != KH_AREA_AUDIT) {
            fprintf(stderr, "kubeharden watch: unknown audit rule '%s'\n", a->rules[i]);
            free(found);
            kh_config_free(cfg);
            return NULL;
        }
        rc = kh_config_only_rule(cfg, a->rules[i], &err);
    }
    free(found);
    if (rc != KH_OK) {
        char msg[512];
        kh_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "kubeharden watch: %s\n", msg);
        kh_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* --respond, --kubeconfig, --context: how and where response actions run. */
static int respond_setup(const struct watch_args *a, kh_watch *w)
{
    kh_client_options o = {.kubeconfig = a->cluster.kubeconfig, .context = a->cluster.context};
    kh_error err = {0};
    if (kh_watch_respond(w, a->respond, &o, &err) == KH_OK)
        return 0;
    char msg[512];
    kh_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "kubeharden watch: %s\n", msg);
    return CLI_EXIT_ERROR;
}

/* --listen: batches arrive on the server's threads; the watcher and the
 * sinks are used by one at a time. */
struct listen_ctx {
    kh_watch *w;
    struct watch_run *run;
    pthread_mutex_t lock;
    int done;                    /* the poller's stop */
};

/* --listen: queued alerts get their retry (and the spool its sync) even
 * while no batch comes, as --follow's idle hook gives them. */
static void *poller(void *ud)
{
    struct listen_ctx *l = ud;
    for (int done = 0; !done;) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&l->lock);
        if (!(done = l->done))
            on_idle(l->run);
        pthread_mutex_unlock(&l->lock);
    }
    return NULL;
}

/* The watcher's and its sinks' counters for /metrics (atomics: no lock). */
static char *watch_metrics(void *ud)
{
    struct listen_ctx *l = ud;
    return kh_watch_metrics(l->w, l->run->sinks, l->run->nsinks);
}

static int on_batch(void *ud, const char *body, size_t len, uint64_t request_id, kh_error *err)
{
    struct listen_ctx *l = ud;
    char label[48];
    snprintf(label, sizeof(label), "<webhook request %llu>", (unsigned long long)request_id);
    pthread_mutex_lock(&l->lock);
    int rc = kh_watch_line(l->w, body, len, label, 1, err);
    pthread_mutex_unlock(&l->lock);
    return rc == KH_EPARSE || rc == KH_EINVALID ? rc : 0;
}

/* "[ADDR:]PORT" into the server options; 0 or -1. */
static int parse_listen(const char *spec, struct kh_server_options *o, char *addr, size_t n)
{
    const char *colon = strrchr(spec, ':');
    const char *port = colon ? colon + 1 : spec;
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 1 || p > 65535)
        return -1;
    o->port = (unsigned)p;
    if (colon) {
        size_t hl = (size_t)(colon - spec);
        if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
            spec++;
            hl -= 2;
        }
        if (hl == 0 || hl >= n)
            return -1;
        memcpy(addr, spec, hl);
        addr[hl] = '\0';
        o->bind_address = addr;
    }
    return 0;
}

/* --metrics-listen: /healthz and /metrics over plain HTTP while reading. */
static int serve_metrics(const char *spec, struct listen_ctx *l, struct kh_plain **out)
{
    struct kh_server_options o = {.bind_address = "127.0.0.1"};
    char addr[64], why[256];
    if (parse_listen(spec, &o, addr, sizeof(addr)) != 0) {
        fprintf(stderr, "kubeharden watch: bad --metrics-listen '%s' (use [ADDR:]PORT)\n", spec);
        return -1;
    }
    if (kh_plain__start(out, o.bind_address, o.port, watch_metrics, l, why, sizeof(why)) != 0) {
        fprintf(stderr, "kubeharden watch: --metrics-listen: %s\n", why);
        return -1;
    }
    return 0;
}

static int listen_audit(const struct watch_args *a, kh_watch *w, const kh_config *cfg,
                        struct watch_run *run)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char addr[64];
    struct kh_server_options o = {
        .bind_address = "0.0.0.0", .max_body_bytes = 3u << 20, .max_in_flight = 400,
        .max_connections = 1024, .max_connections_per_ip = 512,
        .threads = cpus > 0 && cpus <= 256 ? (unsigned)cpus : 1, .read_timeout_s = 30,
        .request_timeout_ms = 10000, .grace_ms = 20000, .cfg = cfg,
        .cert_file = a->cert, .key_file = a->key, .client_ca_file = a->client_ca,
    };
    if (parse_listen(a->listen, &o, addr, sizeof(addr)) != 0) {
        fprintf(stderr, "kubeharden watch: bad --listen '%s' (use [ADDR:]PORT)\n", a->listen);
        return CLI_EXIT_ERROR;
    }
    if (!a->cert || !a->key) {
        fputs("kubeharden watch: --listen needs --tls-cert-file and --tls-private-key-file\n",
              stderr);
        return CLI_EXIT_ERROR;
    }
    struct listen_ctx l = {.w = w, .run = run};
    pthread_mutex_init(&l.lock, NULL);
    o.audit = on_batch;
    o.extra_metrics = watch_metrics;
    kh_watch_set_source(w, "webhook");
    o.audit_ud = &l;
    pthread_t poll_thread;
    int polling = pthread_create(&poll_thread, NULL, poller, &l) == 0;
    int rc = kh_server__run(&o) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    pthread_mutex_lock(&l.lock);
    l.done = 1;
    pthread_mutex_unlock(&l.lock);
    if (polling)
        pthread_join(poll_thread, NULL);
    pthread_mutex_destroy(&l.lock);
    return rc;
}

int cmd_watch(int argc, char **argv)
{
    struct watch_args a = {.fail_on = KH_SEVERITY_LOW, .spool_sync = 200,
                           .nats = {.subject = "kubernetes.audit", .stream = "KUBERNETES_AUDIT",
                                    .consumer = "kubeharden-watch", .ack_wait_s = 30,
                                    .batch = 256}};
    int rc = cli_parse("watch", options, NOPTIONS, argc, argv, on_option, &a);
    if (rc == 0 && a.help) {
        help();
        goto done;
    }
    if (rc == 0 && !a.path && !a.listen && !a.nats.url) {
        fputs("kubeharden watch: missing FILE (or - for standard input)\n", stderr);
        rc = CLI_EXIT_ERROR;
    } else if (rc == 0 && !!a.path + !!a.listen + !!a.nats.url > 1) {
        fputs("kubeharden watch: one of FILE, --listen and --nats\n", stderr);
        rc = CLI_EXIT_ERROR;
    }
    if (rc)
        goto done;
    kh_config *cfg = load_config(&a);
    if (!cfg) {
        rc = CLI_EXIT_ERROR;
        goto done;
    }
    static const char *const default_sink[] = {"-"};
    const char *const *specs = a.nsinks ? a.sinks : default_sink;
    size_t nspecs = a.nsinks ? a.nsinks : 1;
    struct watch_run run = {.fail_on = a.fail_on, .never = a.never};
    run.sinks = calloc(nspecs, sizeof(*run.sinks));
    kh_error err = {0};
    for (size_t i = 0; run.sinks && i < nspecs && rc == 0; i++, run.nsinks++)
        if (kh_sink_open(&run.sinks[i], specs[i], &err) != KH_OK ||
            (a.spool && kh_sink_set_spool(run.sinks[i], a.spool, a.spool_max, a.spool_sync,
                                          &err) != KH_OK)) {
            fprintf(stderr, "kubeharden watch: %s\n", err.message);
            rc = CLI_EXIT_ERROR;
        }
    kh_watch *w = NULL;
    if (!run.sinks)
        rc = CLI_EXIT_ERROR;
    if (rc == 0 && kh_watch_new(&w, cfg, on_alert, &run, on_error, NULL, &err) != KH_OK) {
        fprintf(stderr, "kubeharden watch: %s\n", err.message);
        rc = CLI_EXIT_ERROR;
    }
    if (rc == 0)
        rc = respond_setup(&a, w);
    if (rc == 0 && a.listen) {
        rc = listen_audit(&a, w, cfg, &run);
        kh_watch_flush(w);
    } else if (rc == 0) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        kh_watch_set_idle(w, on_idle, &run);
        struct listen_ctx l = {.w = w, .run = &run};
        struct kh_plain *plain = NULL;
        if (a.metrics_listen && serve_metrics(a.metrics_listen, &l, &plain) != 0)
            rc = CLI_EXIT_ERROR;
        a.nats.spooled = a.spool != NULL;
        if (rc == 0 && (a.nats.url ? kh_watch_nats(w, &a.nats, run.sinks, run.nsinks,
                                                    &stop_flag, &err)
                                   : kh_watch_path(w, a.path, a.follow, a.poll_ms, &stop_flag,
                                                   &err)) != KH_OK) {
            fprintf(stderr, "kubeharden watch: %s\n", err.message);
            rc = CLI_EXIT_ERROR;
        }
        kh_watch_flush(w);
        kh_plain__stop(plain);
        kh_watch_stats st;
        kh_watch_get_stats(w, &st);
        if (rc == 0 && st.errors)
            rc = CLI_EXIT_ERROR;
        else if (rc == 0 && run.hit)
            rc = CLI_EXIT_FINDINGS;
    }
    kh_watch_free(w);
    for (size_t i = 0; i < run.nsinks; i++)
        kh_sink_close(run.sinks[i]);
    free(run.sinks);
    kh_config_free(cfg);
done:
    cli_cluster_free(&a.cluster);
    free(a.rules);
    free(a.sinks);
    return rc;
}
