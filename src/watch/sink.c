/*
 * sink.c -- where alerts go: JSON lines on standard output or appended to
 * a file, syslog (RFC 5424) over UDP, TCP or TLS (RFC 5425), or an HTTP
 * POST (the alert JSON for a generic webhook, or a Slack-compatible
 * {"text": ...}).
 *
 * Over TCP and TLS each message is framed by octet counting (RFC 6587
 * 3.4.1: "LEN SP MSG"). The syslog MSG is the alert's JSON; structured data
 * repeats its id, rule and count so a collector can drop duplicates without
 * parsing the message. What a TCP, TLS or HTTP sink cannot take is queued
 * in order and retried with exponential backoff and jitter: the breaker is
 * open while it waits, half-open when the next attempt (a probe) is due,
 * closed again after a success. With a spool (spool.c) every such alert is
 * written to disk before it is sent and the spool is the queue, so a kill
 * loses nothing; without one the queue is in memory (10,000 alerts) and
 * closing waits up to 10 s, then reports what was not delivered.
 */
#define _GNU_SOURCE /* open_memstream, drand48 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "report/report.h"
#include "watch/internal.h"
#include "watch/nats.h"
#include "watch/spool.h"

typedef enum sink_kind {
    SINK_STDOUT, SINK_FILE, SINK_UDP, SINK_TCP, SINK_TLS, SINK_HTTP, SINK_SLACK, SINK_NATS
} sink_kind;

struct kh_sink {
    sink_kind kind;
    FILE *out;
    char host[256], port[16];
    int fd;
    char hostname[256];
    char *url;                   /* SINK_HTTP, SINK_SLACK */
    CURL *curl;
    kh_nats *nats;               /* SINK_NATS (nats.c): JetStream publish */
    char *spec;                  /* for messages and metrics: without credentials */
    uint64_t spec_hash;          /* of the spec as given: names the spool */
    /* TCP and HTTP: alerts not yet delivered (a ring), and the breaker.
     * Counters are atomic: /metrics reads them from another thread. */
    char **q;
    size_t *qlen, qhead;
    _Atomic size_t qn;
    _Atomic unsigned long long dropped, delivered, failed_attempts, retries;
    _Atomic unsigned failures;   /* consecutive failed attempts */
    _Atomic int64_t next_try;    /* monotonic ms; no attempt before */
    kh_spool *spool;             /* kh_sink_set_spool: the queue is on disk */
    /* SINK_TLS (RFC 5425): the session on fd, and whom we trust. */
    gnutls_session_t tls;
    gnutls_certificate_credentials_t cred;
};

/* ---------------------------------------------------------------- JSON */

static void str_field(FILE *f, const char *key, const char *val, bool *first)
{
    if (!val || !*val)
        return;
    fprintf(f, "%s\"%s\":", *first ? "" : ",", key);
    kh_report__json_str(f, val);
    *first = false;
}

static void list_field(FILE *f, const char *key, const char *const *v, size_t n)
{
    fprintf(f, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            putc(',', f);
        kh_report__json_str(f, v[i]);
    }
    putc(']', f);
}

char *kh_alert_json(const kh_alert *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    bool first = true;
    putc('{', f);
    str_field(f, "id", a->id, &first);
    str_field(f, "rule", a->rule_id, &first);
    str_field(f, "severity", kh_severity_name(a->severity), &first);
    str_field(f, "title", a->title, &first);
    str_field(f, "message", a->message, &first);
    fprintf(f, ",\"count\":%lu", a->count);
    str_field(f, "subject", a->subject, &first);
    str_field(f, "auditID", a->audit_id, &first);
    str_field(f, "stage", a->stage, &first);
    str_field(f, "timestamp", a->timestamp, &first);
    str_field(f, "user", a->user, &first);
    list_field(f, "groups", a->groups, a->ngroups);
    list_field(f, "sourceIPs", a->source_ips, a->nsource_ips);
    str_field(f, "userAgent", a->user_agent, &first);
    str_field(f, "impersonatedUser", a->impersonated_user, &first);
    str_field(f, "verb", a->verb, &first);
    str_field(f, "requestURI", a->request_uri, &first);
    fputs(",\"objectRef\":{", f);
    bool ofirst = true;
    str_field(f, "resource", a->resource, &ofirst);
    str_field(f, "subresource", a->subresource, &ofirst);
    str_field(f, "namespace", a->namespace_, &ofirst);
    str_field(f, "name", a->name, &ofirst);
    str_field(f, "apiGroup", a->api_group, &ofirst);
    putc('}', f);
    if (a->code)
        fprintf(f, ",\"responseCode\":%d", a->code);
    str_field(f, "why", a->why, &first);
    str_field(f, "fix", a->fix, &first);
    if (a->response) {
        bool rfirst = true;
        fputs(",\"response\":{", f);
        str_field(f, "action", a->response->action, &rfirst);
        str_field(f, "result", a->response->result, &rfirst);
        fprintf(f, ",\"dryRun\":%s", a->response->dry_run ? "true" : "false");
        str_field(f, "target", a->response->target, &rfirst);
        str_field(f, "trigger", a->response->trigger, &rfirst);
        list_field(f, "requests", a->response->requests, a->response->nrequests);
        putc('}', f);
    }
    if (a->file) {
        fputs(",\"source\":{\"file\":", f);
        kh_report__json_str(f, a->file);
        fprintf(f, ",\"line\":%u}", a->line);
    }
    putc('}', f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* --------------------------------------------------------------- syslog */

static void drop_conn(kh_sink *s)
{
    if (s->tls) {
        gnutls_deinit(s->tls);
        s->tls = NULL;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* TLS over the connected s->fd: the collector's certificate must chain to
 * the trusted CAs and name the host we connected to. */
static int tls_handshake(kh_sink *s, kh_error *err)
{
    int rc = gnutls_init(&s->tls, GNUTLS_CLIENT);
    if (rc >= 0)
        rc = gnutls_set_default_priority(s->tls);
    if (rc >= 0)
        rc = gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, s->cred);
    if (rc >= 0)
        rc = gnutls_server_name_set(s->tls, GNUTLS_NAME_DNS, s->host, strlen(s->host));
    if (rc >= 0) {
        gnutls_session_set_verify_cert(s->tls, s->host, 0);
        gnutls_transport_set_int(s->tls, s->fd);
        gnutls_handshake_set_timeout(s->tls, 5000);
        do
            rc = gnutls_handshake(s->tls);
        while (rc < 0 && !gnutls_error_is_fatal(rc));
    }
    if (rc < 0) {
        kh_error_set(err, KH_EIO, NULL, 0, 0, "TLS with '%s:%s' failed: %s", s->host, s->port,
                     gnutls_strerror(rc));
        drop_conn(s);
        return KH_EIO;
    }
    return 0;
}

static int connect_to(kh_sink *s, kh_error *err)
{
    struct addrinfo hints = {.ai_socktype = s->kind == SINK_UDP ? SOCK_DGRAM : SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(s->host, s->port, &hints, &res);
    if (gai != 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot resolve '%s': %s", s->host,
                            gai_strerror(gai));
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {5, 0}; /* a stuck collector must not stall detection for long */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot connect to '%s:%s': %s", s->host,
                            s->port, strerror(errno));
    s->fd = fd;
    return s->kind == SINK_TLS ? tls_handshake(s, err) : 0;
}

/* RFC 5424 severities: critical 2, high 3 (err), medium 4 (warning), low 5
 * (notice), info 6; facility 10 (security/authorization). */
static int priority(kh_severity sev)
{
    static const int map[] = {6, 5, 4, 3, 2};
    return 10 * 8 + map[sev <= KH_SEVERITY_CRITICAL ? sev : KH_SEVERITY_CRITICAL];
}

/* A structured-data value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static void sd_value(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\' || *s == ']')
            putc('\\', f);
        putc(*s, f);
    }
}

static char *syslog_message(const kh_sink *s, const kh_alert *a, size_t *len)
{
    char *json = kh_alert_json(a);
    if (!json)
        return NULL;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) {
        free(json);
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "<%d>1 %s.%06ldZ %s kubeharden %ld %s [kubeharden@32473 id=\"", priority(a->severity),
            when, ts.tv_nsec / 1000, s->hostname, (long)getpid(), a->rule_id);
    sd_value(f, a->id);
    fputs("\" rule=\"", f);
    sd_value(f, a->rule_id);
    fprintf(f, "\" count=\"%lu\" severity=\"%s\"] %s", a->count, kh_severity_name(a->severity),
            json);
    free(json);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int tls_send_all(gnutls_session_t t, const char *p, size_t n)
{
    while (n) {
        ssize_t k = gnutls_record_send(t, p, n);
        if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A collector never writes application data to us: a readable stream
 * socket means it closed (stopped or restarted), or, over TLS, sent a
 * post-handshake message (a TLS 1.3 session ticket) that gnutls consumes.
 * Writing into a closed connection would succeed locally and be lost, so
 * such a connection is dropped before the send. */
static bool still_open(kh_sink *s)
{
    struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return true;
    if (!s->tls) {
        char peek;
        return recv(s->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    int flags = fcntl(s->fd, F_GETFL);
    fcntl(s->fd, F_SETFL, flags | O_NONBLOCK);
    char buf[256];
    ssize_t k;
    do
        k = gnutls_record_recv(s->tls, buf, sizeof(buf));
    while (k > 0); /* data we do not expect: dropped */
    fcntl(s->fd, F_SETFL, flags);
    return k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED;
}

static int syslog_send(kh_sink *s, const char *msg, size_t len, kh_error *err)
{
    char head[32];
    bool stream = s->kind == SINK_TCP || s->kind == SINK_TLS;
    int hn = stream ? snprintf(head, sizeof(head), "%zu ", len) : 0;
    if (stream && s->fd >= 0 && !still_open(s))
        drop_conn(s);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (s->fd < 0 && connect_to(s, err) != 0)
            continue;
        bool ok = s->kind == SINK_TLS
                      ? tls_send_all(s->tls, head, (size_t)hn) == 0 &&
                            tls_send_all(s->tls, msg, len) == 0
                  : stream
                      ? send_all(s->fd, head, (size_t)hn) == 0 && send_all(s->fd, msg, len) == 0
                      : send(s->fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len;
        if (ok)
            return 0;
        kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot send to '%s:%s': %s", s->host, s->port,
                     strerror(errno));
        drop_conn(s);
    }
    return KH_EIO;
}

/* ------------------------------------------------------------------ HTTP */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

/* Slack's incoming-webhook payload: one line of text with the essentials. */
static char *slack_payload(const kh_alert *a)
{
    char *text = NULL, *buf = NULL;
    size_t tlen = 0, blen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f)
        return NULL;
    fprintf(f, "[%s] %s: %s (user %s, %s %s/%s/%s", kh_severity_name(a->severity), a->rule_id,
            a->message ? a->message : "", a->user ? a->user : "", a->verb ? a->verb : "",
            a->resource ? a->resource : "", a->namespace_ ? a->namespace_ : "",
            a->name ? a->name : "");
    if (a->count > 1)
        fprintf(f, ", %lu times", a->count);
    fprintf(f, ", auditID %s, alert %s)", a->audit_id ? a->audit_id : "", a->id);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    if ((f = open_memstream(&buf, &blen))) {
        fputs("{\"text\":", f);
        kh_report__json_str(f, text);
        fputs("}", f);
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    free(text);
    return buf;
}

static int http_post(kh_sink *s, const char *body, size_t len, kh_error *err)
{
    if (!s->curl && !(s->curl = curl_easy_init()))
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    CURL *c = s->curl;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L); /* a stuck receiver must not stall detection */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kubeharden/" KH_VERSION);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (cc != CURLE_OK)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot post: %s",
                            curl_easy_strerror(cc));
    if (status < 200 || status > 299)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "the receiver answered %ld", status);
    return 0;
}

/* ------------------------------------------------------ retry and queue */

#define QUEUE_MAX 10000           /* alerts held for a sink that is down */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define CLOSE_WAIT_MS 10000       /* how long closing waits for a sink to come back */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The message as it goes on the wire (syslog) or in the body (HTTP). */
static int transmit(kh_sink *s, const char *msg, size_t len, kh_error *err)
{
    if (s->failures)
        s->retries++; /* a probe of the half-open breaker */
    if (s->kind == SINK_NATS)
        return kh_nats__publish_alert(s->nats, msg, len, err);
    return s->kind == SINK_HTTP || s->kind == SINK_SLACK ? http_post(s, msg, len, err)
                                                         : syslog_send(s, msg, len, err);
}

/* A failed attempt: wait before the next, twice as long each time (with
 * jitter, so many watchers do not retry in step), at most 30 s. Until
 * then the breaker is open: alerts are queued without trying. */
static void failed(kh_sink *s, const kh_error *err)
{
    s->failures++;
    s->failed_attempts++;
    int64_t wait = BACKOFF_MIN_MS << (s->failures < 9 ? s->failures - 1 : 9);
    if (wait > BACKOFF_MAX_MS)
        wait = BACKOFF_MAX_MS;
    wait = wait / 2 + (int64_t)(drand48() * (double)wait);
    s->next_try = now_ms() + wait;
    if (s->failures == 1)
        fprintf(stderr, "kubeharden watch: sink '%s' failing (%s): queuing alerts, retrying "
                        "with backoff\n", s->spec, err->message);
}

static void succeeded(kh_sink *s)
{
    s->delivered++;
    if (s->failures)
        fprintf(stderr, "kubeharden watch: sink '%s' back after %u failed attempts\n", s->spec,
                s->failures);
    s->failures = 0;
    s->next_try = 0;
}

static int enqueue(kh_sink *s, char *msg, size_t len, kh_error *err)
{
    if (s->qn == QUEUE_MAX) {
        free(msg);
        s->dropped++;
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "sink '%s' down and %d alerts queued: "
                            "alert dropped", s->spec, QUEUE_MAX);
    }
    size_t i = (s->qhead + s->qn) % QUEUE_MAX;
    s->q[i] = msg;
    s->qlen[i] = len;
    s->qn++;
    return 0;
}

/* Alerts waiting: on disk with a spool, else in memory. */
static size_t pending(const kh_sink *s)
{
    return (s->spool ? kh_spool__records(s->spool) : 0) + s->qn;
}

/* Send what is queued, oldest first, while the breaker lets us. */
static void drain_queue(kh_sink *s)
{
    while (pending(s) && now_ms() >= s->next_try) {
        kh_error err = {0};
        const char *msg = NULL;
        size_t len = 0;
        bool disk = s->spool && kh_spool__records(s->spool);
        if (disk) {
            int rc = kh_spool__peek(s->spool, &msg, &len, &err);
            if (rc) {
                fprintf(stderr, "kubeharden watch: sink '%s': %s\n", s->spec, err.message);
                return;
            }
        } else {
            msg = s->q[s->qhead];
            len = s->qlen[s->qhead];
        }
        if (transmit(s, msg, len, &err) != 0) {
            failed(s, &err);
            return;
        }
        succeeded(s);
        if (disk) {
            kh_spool__pop(s->spool, len);
            continue;
        }
        free(s->q[s->qhead]);
        s->qhead = (s->qhead + 1) % QUEUE_MAX;
        s->qn--;
    }
}

/* Deliver or queue @p msg (owned). With a spool it is on disk before the
 * first attempt: a kill during the send cannot lose it. */
static int deliver_or_queue(kh_sink *s, char *msg, size_t len, kh_error *err)
{
    if (s->spool) {
        kh_error serr = {0};
        bool alone = !pending(s);
        if (kh_spool__append(s->spool, msg, len, &serr) == 0) {
            if (alone && now_ms() >= s->next_try) {
                /* Nothing waits before it: send it as it is in memory. */
                kh_error terr = {0};
                if (transmit(s, msg, len, &terr) == 0) {
                    succeeded(s);
                    kh_spool__pop(s->spool, len);
                } else {
                    failed(s, &terr);
                }
            } else {
                drain_queue(s);
            }
            free(msg);
            kh_spool__sync(s->spool, 0);
            return 0;
        }
        /* The disk failed us: keep it in memory rather than lose it. */
        fprintf(stderr, "kubeharden watch: sink '%s': %s: alert kept in memory\n", s->spec,
                serr.message);
        return enqueue(s, msg, len, err);
    }
    drain_queue(s);
    if (s->qn || now_ms() < s->next_try)
        return enqueue(s, msg, len, err); /* keep the order; the breaker is open */
    kh_error terr = {0};
    if (transmit(s, msg, len, &terr) == 0) {
        succeeded(s);
        free(msg);
        return 0;
    }
    failed(s, &terr);
    return enqueue(s, msg, len, err);
}

/* ---------------------------------------------------------------- sinks */

/* The sink as messages and /metrics show it. A URL loses its user
 * information (a NATS user and password, a token) and an HTTP sink its path
 * and query, because a webhook URL (Slack's above all) is itself the secret. */
static char *shown_spec(const char *spec, uint64_t hash)
{
    const char *sep = strstr(spec, "://");
    if (!sep)
        return strdup(spec);
    const char *auth = sep + 3, *end = auth + strcspn(auth, "/?#"), *host = auth;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            host = p + 1;
    /* An elided path keeps sinks apart (one /metrics series each) by a
     * fingerprint of the whole URL. */
    bool web = strncmp(spec, "http", 4) == 0 || strncmp(spec, "slack+", 6) == 0;
    char tail[32];
    if (web && *end)
        snprintf(tail, sizeof(tail), "/...#%08x", (unsigned)(hash & 0xffffffffu));
    else
        snprintf(tail, sizeof(tail), "%s", "");
    const char *rest = web ? tail : end;
    size_t n = (size_t)(auth - spec) + (size_t)(end - host) + strlen(rest) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s%.*s%s", (int)(auth - spec), spec, (int)(end - host), host, rest);
    return out;
}

int kh_sink_open(kh_sink **out, const char *spec, kh_error *err)
{
    kh_sink *s = calloc(1, sizeof(*s));
    if (!s)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    s->fd = -1;
    s->spec_hash = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)spec; *p; p++)
        s->spec_hash = (s->spec_hash ^ *p) * 0x100000001b3ull;
    s->spec = shown_spec(spec, s->spec_hash);
    s->q = calloc(QUEUE_MAX, sizeof(*s->q));
    s->qlen = calloc(QUEUE_MAX, sizeof(*s->qlen));
    if (!s->spec || !s->q || !s->qlen) {
        kh_sink_close(s);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (gethostname(s->hostname, sizeof(s->hostname) - 1) != 0 || !s->hostname[0])
        strcpy(s->hostname, "-");
    const char *rest = NULL;
    if (strcmp(spec, "-") == 0 || strcmp(spec, "stdout") == 0) {
        s->kind = SINK_STDOUT;
        s->out = stdout;
    } else if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        s->kind = SINK_FILE;
        if (!(s->out = fopen(spec + 5, "ae"))) {
            int e = errno;
            kh_sink_close(s);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot open '%s': %s", spec + 5,
                                strerror(e));
        }
    } else if (strncmp(spec, "http://", 7) == 0 || strncmp(spec, "https://", 8) == 0 ||
               strncmp(spec, "slack+https://", 14) == 0 || strncmp(spec, "slack+http://", 13) == 0) {
        s->kind = spec[0] == 's' ? SINK_SLACK : SINK_HTTP;
        if (!(s->url = strdup(spec + (s->kind == SINK_SLACK ? 6 : 0)))) {
            kh_sink_close(s);
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        }
    } else if (strncmp(spec, "nats://", 7) == 0) {
        s->kind = SINK_NATS;
        int rc = kh_nats__open(&s->nats, spec, 1, err);
        if (rc) {
            kh_sink_close(s);
            return rc;
        }
        kh_error cerr; /* connect now; a server that is down only fails the sends */
        kh_nats__connect(s->nats, &cerr);
    } else if (strncmp(spec, "syslog+udp://", 13) == 0) {
        s->kind = SINK_UDP;
        rest = spec + 13;
    } else if (strncmp(spec, "syslog+tcp://", 13) == 0) {
        s->kind = SINK_TCP;
        rest = spec + 13;
    } else if (strncmp(spec, "syslog+tls://", 13) == 0) {
        s->kind = SINK_TLS;
        rest = spec + 13;
    } else {
        kh_sink_close(s);
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                            "unknown sink '%s' (use -, file:PATH, syslog+udp://HOST:PORT, "
                            "syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT[?ca=FILE], "
                            "http(s)://URL, slack+https://URL or nats://HOST:PORT/SUBJECT)", spec);
    }
    char addr[512];
    if (rest && s->kind == SINK_TLS) {
        /* HOST:PORT?ca=FILE: the CA bundle to trust instead of the system's. */
        const char *q = strchr(rest, '?');
        const char *ca = q && strncmp(q + 1, "ca=", 3) == 0 && q[4] ? q + 4 : NULL;
        int rc = gnutls_certificate_allocate_credentials(&s->cred);
        if (rc >= 0)
            rc = ca ? gnutls_certificate_set_x509_trust_file(s->cred, ca, GNUTLS_X509_FMT_PEM)
                    : gnutls_certificate_set_x509_system_trust(s->cred);
        if (q && !ca) {
            kh_sink_close(s);
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "bad syslog TLS option '%s' (use ?ca=FILE)", q + 1);
        }
        if (rc <= 0) {
            kh_sink_close(s);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "no trusted CA read from '%s': %s",
                                ca ? ca : "the system store",
                                rc < 0 ? gnutls_strerror(rc) : "no certificate");
        }
        snprintf(addr, sizeof(addr), "%.*s", (int)(q ? (size_t)(q - rest) : strlen(rest)), rest);
        rest = addr;
    }
    if (rest) {
        /* HOST:PORT, or [IPv6]:PORT */
        const char *colon = rest[0] == '[' ? strstr(rest, "]:") : strrchr(rest, ':');
        size_t hl = colon ? (size_t)(colon - rest) - (rest[0] == '[' ? 1 : 0) : 0;
        const char *port = colon ? colon + (rest[0] == '[' ? 2 : 1) : NULL;
        if (!colon || hl == 0 || hl >= sizeof(s->host) || !*port ||
            strlen(port) >= sizeof(s->port) || strspn(port, "0123456789") != strlen(port)) {
            kh_sink_close(s);
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "bad syslog address '%s' (use HOST:PORT)", rest);
        }
        memcpy(s->host, rest + (rest[0] == '[' ? 1 : 0), hl);
        strcpy(s->port, port);
        /* Connect now so a wrong address fails at start; a collector that
         * is down only fails the sends until it is back. */
        kh_error cerr;
        if (connect_to(s, &cerr) != 0 && s->kind == SINK_UDP) {
            kh_sink_close(s);
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "%s", cerr.message);
        }
    }
    *out = s;
    return 0;
}

int kh_sink_send(kh_sink *s, const kh_alert *a, kh_error *err)
{
    if (s->kind == SINK_STDOUT || s->kind == SINK_FILE) {
        char *json = kh_alert_json(a);
        if (!json)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        fputs(json, s->out);
        putc('\n', s->out);
        free(json);
        /* An alert is worth its write: a follower is read live. */
        if (fflush(s->out) != 0) {
            s->failed_attempts++;
            return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write alert: %s",
                                strerror(errno));
        }
        s->delivered++;
        return 0;
    }
    size_t len = 0;
    char *msg = s->kind == SINK_SLACK ? slack_payload(a)
                : s->kind == SINK_HTTP ? kh_alert_json(a)
                : s->kind == SINK_NATS ? kh_nats__alert_message(a, &len)
                                       : syslog_message(s, a, &len);
    if (!msg)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (s->kind == SINK_HTTP || s->kind == SINK_SLACK)
        len = strlen(msg);
    if (s->kind == SINK_UDP) { /* datagrams: nobody would tell us one was lost anyway */
        int rc = syslog_send(s, msg, len, err);
        free(msg);
        if (rc)
            s->failed_attempts++;
        else
            s->delivered++;
        return rc;
    }
    return deliver_or_queue(s, msg, len, err);
}

/* ---------------------------------------------------------------- spool */

/* The spool file of earlier versions (written at exit: "LEN\n" + LEN bytes
 * + "\n" per alert): its alerts go into the spool, then it goes. */
static int migrate_old_spool(kh_sink *s, const char *path, kh_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0
                               : kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot read '%s': %s",
                                              path, strerror(errno));
    size_t len, loaded = 0;
    int bad = 0;
    while (!bad && fscanf(f, "%zu", &len) == 1) {
        char *msg = len < (64u << 20) && getc(f) == '\n' ? malloc(len + 1) : NULL;
        bad = !msg || fread(msg, 1, len, f) != len || getc(f) != '\n' ||
              kh_spool__append(s->spool, msg, len, err) != 0;
        free(msg);
        loaded += !bad;
    }
    bad = bad || !feof(f);
    fclose(f);
    if (bad)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "spool '%s' is damaged after %zu alerts",
                            path, loaded);
    unlink(path);
    return 0;
}

int kh_sink_set_spool(kh_sink *s, const char *dir, uint64_t max_bytes, unsigned sync_ms,
                      kh_error *err)
{
    if (s->kind == SINK_STDOUT || s->kind == SINK_FILE || s->kind == SINK_UDP || s->spool)
        return 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s/kubeharden-sink-%016llx", dir,
             (unsigned long long)s->spec_hash);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot create spool '%s': %s", dir,
                            strerror(errno));
    int rc = kh_spool__open(&s->spool, path, max_bytes, sync_ms, s->spec, err);
    if (rc)
        return rc;
    strncat(path, ".spool", sizeof(path) - strlen(path) - 1);
    if ((rc = migrate_old_spool(s, path, err)) != 0)
        return rc;
    if (kh_spool__records(s->spool))
        fprintf(stderr, "kubeharden watch: sink '%s': %zu alerts from the spool to deliver first\n",
                s->spec, kh_spool__records(s->spool));
    return 0;
}

void kh_sink_get_stats(const kh_sink *s, kh_sink_stats *out)
{
    int64_t next = s->next_try;
    *out = (kh_sink_stats){
        .delivered = s->delivered, .failed_attempts = s->failed_attempts,
        .retries = s->retries, .dropped = s->dropped, .queued = pending(s),
        .breaker = !s->failures ? KH_BREAKER_CLOSED
                   : now_ms() < next ? KH_BREAKER_OPEN : KH_BREAKER_HALF_OPEN,
        .spooled = s->spool != NULL,
        .spool_records = s->spool ? kh_spool__records(s->spool) : 0,
        .spool_bytes = s->spool ? kh_spool__bytes(s->spool) : 0,
        .spool_max_bytes = s->spool ? kh_spool__max_bytes(s->spool) : 0,
        .spool_dropped = s->spool ? kh_spool__dropped(s->spool) : 0};
    out->breaker_open = out->breaker == KH_BREAKER_OPEN;
}

const char *kh_sink_spec(const kh_sink *s)
{
    return s->spec;
}

void kh_sink_poll(kh_sink *s)
{
    if (pending(s))
        drain_queue(s);
    if (s->spool)
        kh_spool__sync(s->spool, 0);
}

int kh_sink_alert_cb(const kh_alert *a, void *ud)
{
    kh_error err = {0};
    if (kh_sink_send(ud, a, &err) != 0)
        fprintf(stderr, "kubeharden watch: alert %s (%s) not delivered: %s\n", a->id,
                a->rule_id, err.message);
    return 0;
}

void kh_sink_close(kh_sink *s)
{
    if (!s)
        return;
    /* What is queued gets a last chance: wait for the sink (at most
     * CLOSE_WAIT_MS; with a spool, one try: the rest is kept), then say
     * what was kept or lost. */
    int64_t until = now_ms() + (s->spool ? 0 : CLOSE_WAIT_MS);
    drain_queue(s);
    while (pending(s) && now_ms() < until) {
        drain_queue(s);
        if (pending(s)) {
            int64_t wait = s->next_try - now_ms();
            if (wait > until - now_ms())
                wait = until - now_ms();
            if (wait > 0) {
                struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
    }
    size_t lost = s->qn;
    if (s->spool && kh_spool__records(s->spool))
        fprintf(stderr, "kubeharden watch: sink '%s': %zu alerts kept in '%s'\n", s->spec,
                kh_spool__records(s->spool), kh_spool__dir(s->spool));
    unsigned long long dropped = s->dropped + (s->spool ? kh_spool__dropped(s->spool) : 0);
    if (lost || dropped)
        fprintf(stderr, "kubeharden watch: sink '%s': %llu alerts not delivered\n", s->spec,
                (unsigned long long)lost + dropped);
    kh_spool__close(s->spool);
    for (size_t i = 0; i < s->qn && s->q; i++)
        free(s->q[(s->qhead + i) % QUEUE_MAX]);
    free(s->q);
    free(s->qlen);
    free(s->spec);
    if (s->kind == SINK_FILE && s->out)
        fclose(s->out);
    drop_conn(s);
    if (s->cred)
        gnutls_certificate_free_credentials(s->cred);
    if (s->curl)
        curl_easy_cleanup(s->curl);
    kh_nats__close(s->nats);
    free(s->url);
    free(s);
}
