/*
 * server.c -- `kubeharden serve`: the validating admission webhook.
 *
 * libmicrohttpd (with GnuTLS) owns sockets, TLS and HTTP parsing, on a pool
 * of worker threads polling with epoll. Each connection carries one
 * struct conn (MHD's socket context) holding the raw request URI, the body
 * being read and the request's accounting; MHD handles one request at a
 * time per connection, so nothing in it is shared between threads. Counts
 * that are shared (in flight, connections, draining) are atomics.
 *
 * POST /validate/<level>?version=&mode= is checked before its body is read
 * (route, content type, length, the in-flight bound), so a refusal is
 * answered at once; the body is then judged by kh_admission_review. The
 * main thread waits for signals: every second it reloads the certificate
 * if its files changed; SIGTERM or SIGINT drains (see drain()).
 *
 * Slow clients: libmicrohttpd's timeout is reset by every byte, so the main
 * thread also walks the open connections four times a second and shuts
 * down any that overstay an absolute deadline (see sweep()): the TLS
 * handshake and first request line within --request-timeout of the accept,
 * a request's headers and body within --request-timeout of its request
 * line, the next request line within --read-timeout of the last answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server.h"

#define URI_MAX 1024

struct req {
    int started;          /* the access handler saw this request */
    int counted;          /* holds a slot of --max-in-flight */
    int oversize;         /* a body without Content-Length outgrew --max-body-bytes */
    char get_route;       /* 'h'ealthz, 'r'eadyz, 'm'etrics: answered after the body */
    int audit;            /* POST /audit: an audit webhook batch (opts->audit) */
    kh_route route;
    char *body;
    size_t len, cap;
    uint64_t id;
};

/* Where a connection is, for sweep(): each phase has its own deadline. */
enum { PHASE_NEW, PHASE_READING, PHASE_ANSWERED, PHASE_IDLE };

struct conn {
    char uri[URI_MAX];    /* raw request target, from the URI log callback */
    int uri_too_long;
    int open;             /* counted in in_progress, from request line to completion */
    uint64_t start_ns;
    struct req req;
    /* Shared with the sweeping main thread; the list is under srv.conns_lock. */
    atomic_int phase;
    _Atomic uint64_t phase_ns;
    atomic_int dropped;   /* shut down for overstaying: counted and logged once */
    int fd;
    struct conn *prev, *next;
};

struct srv {
    const struct kh_server_options *opts;
    struct kh_tls *tls;
    struct kh_metrics *metrics;
    atomic_long in_progress;       /* requests between request line and completion */
    atomic_long reviews;           /* reviews holding an in-flight slot */
    atomic_long connections;
    atomic_int draining;
    atomic_int ready;
    atomic_ulong next_id;
    atomic_ulong reloads;
    pthread_mutex_t conns_lock;    /* the list of open connections, for sweep() */
    struct conn *conns;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Our state of a libmicrohttpd connection (its socket context), or NULL
 * before on_connection has set it. */
static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_phase(struct conn *cn, int phase)
{
    atomic_store_explicit(&cn->phase_ns, now_ns(), memory_order_relaxed);
    atomic_store_explicit(&cn->phase, phase, memory_order_release);
}

/* ------------------------------------------------------------ responses */

static const char *status_reason(unsigned status)
{
    switch (status) {
    case 400: return "BadRequest";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 413: return "RequestEntityTooLarge";
    case 414: return "RequestURITooLong";
    case 415: return "UnsupportedMediaType";
    case 429: return "TooManyRequests";
    case 503: return "ServiceUnavailable";
    default: return "InternalError";
    }
}

static enum MHD_Result queue(struct srv *s, struct MHD_Connection *c, unsigned status,
                             const char *ctype, char *body, size_t len, enum MHD_ResponseMemoryMode mode,
                             const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 429)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    /* Draining: each client's next request goes to another replica. */
    if (atomic_load(&s->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    struct conn *cn = conn_of(c);
    if (cn)
        set_phase(cn, PHASE_ANSWERED);
    kh_metrics__response(s->metrics, status);
    return ret;
}

static enum MHD_Result text(struct srv *s, struct MHD_Connection *c, unsigned status,
                            const char *msg)
{
    return queue(s, c, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg),
                 MHD_RESPMEM_PERSISTENT, NULL);
}

/* An error as the API server writes one: a metav1.Status. */
static enum MHD_Result status_error(struct srv *s, struct MHD_Connection *c, unsigned status,
                                    const char *allow, const char *fmt, ...) KH_PRINTF(5, 6);
static enum MHD_Result status_error(struct srv *s, struct MHD_Connection *c, unsigned status,
                                    const char *allow, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t cap = 3 * sizeof(msg) + 256, pos;
    char *body = malloc(cap);
    if (!body)
        return MHD_NO;
    pos = (size_t)snprintf(body, cap,
                           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                           "\"status\":\"Failure\",\"message\":");
    kh_log__str(body, cap, &pos, msg);
    pos += (size_t)snprintf(body + pos, cap - pos, ",\"reason\":\"%s\",\"code\":%u}\n",
                            status_reason(status), status);
    return queue(s, c, status, "application/json", body, pos, MHD_RESPMEM_MUST_FREE, allow);
}

/* One log line for a /validate request that was not judged. */
static void log_refusal(struct conn *cn, unsigned status, const char *why)
{
    char f[512];
    size_t pos = 0;
    pos += (size_t)snprintf(f, sizeof(f), "\"request_id\":%llu,\"status\":%u,\"reason\":",
                            (unsigned long long)cn->req.id, status);
    kh_log__str(f, sizeof(f), &pos, why);
    pos += (size_t)snprintf(f + pos, sizeof(f) - pos, ",\"duration_ms\":%.3f",
                            (double)(now_ns() - cn->start_ns) / 1e6);
    kh_log__line("warn", "request refused", f);
}

/* ------------------------------------------------------- health, metrics */

static enum MHD_Result serve_metrics(struct srv *s, struct MHD_Connection *c)
{
    struct kh_metrics_gauges g = {
        .in_flight = atomic_load(&s->reviews),
        .connections = atomic_load(&s->connections),
        .max_in_flight = s->opts->max_in_flight,
        .ready = atomic_load(&s->ready),
        .cert_expiry = kh_tls__expiry(s->tls),
        .cert_reloads = atomic_load(&s->reloads),
    };
    size_t len = 0;
    char *body = kh_metrics__render(s->metrics, &g, &len);
    char *extra = body && s->opts->extra_metrics ? s->opts->extra_metrics(s->opts->audit_ud) : NULL;
    if (extra) { /* `watch --listen`: the watcher's own counters after the server's */
        size_t n = strlen(extra);
        char *both = realloc(body, len + n + 1);
        if (both) {
            memcpy(both + len, extra, n + 1);
            body = both;
            len += n;
        }
        free(extra);
    }
    if (!body)
        return text(s, c, 500, "out of memory\n");
    return queue(s, c, 200, "text/plain; version=0.0.4; charset=utf-8", body, len,
                 MHD_RESPMEM_MUST_FREE, NULL);
}

/* ---------------------------------------------------------------- review */

static int on_finding(const kh_finding *f, void *ud)
{
    struct srv *s = ud;
    if (!f->is_error && f->rule_id)
        kh_metrics__rule(s->metrics, f->rule_id);
    return 0;
}

static int content_type_ok(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct || strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return 0;
    ct += sizeof(want) - 1;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static enum MHD_Result review(struct srv *s, struct MHD_Connection *c, struct conn *cn)
{
    struct req *r = &cn->req;
    kh_error err = {0};
    kh_admission_result res = {0};
    char *out = NULL;
    size_t outlen = 0;
    int rc = kh_admission_review(s->opts->cfg, &r->route, r->body ? r->body : "", r->len,
                                 on_finding, s, &out, &outlen, &res, &err);
    if (rc != 0) {
        free(out);
        unsigned status = rc == KH_EPARSE || rc == KH_EINVALID ? 400 : 500;
        /* The reason names a position, not the content (logs never carry manifests). */
        char why[64];
        snprintf(why, sizeof(why), "%s at %u:%u",
                 rc == KH_EPARSE ? "malformed body" : rc == KH_EINVALID ? "not an AdmissionReview request"
                 : "internal error", err.line, err.col);
        log_refusal(cn, status, why);
        return status_error(s, c, status, NULL, "%s", err.message[0] ? err.message : why);
    }
    double secs = (double)(now_ns() - cn->start_ns) / 1e9;
    int decision = !res.allowed                                  ? KH_DECISION_DENIED
                   : res.violations && r->route.mode == KH_MODE_WARN  ? KH_DECISION_WARNED
                   : res.violations && r->route.mode == KH_MODE_AUDIT ? KH_DECISION_AUDITED
                                                                      : KH_DECISION_ALLOWED;
    static const char *const names[] = {"allowed", "denied", "warned", "audited"};
    static const char *const levels[] = {"privileged", "baseline", "restricted"};
    static const char *const modes[] = {"enforce", "warn", "audit"};
    kh_metrics__review(s->metrics, &r->route, decision, secs);

    char f[1024];
    size_t pos = (size_t)snprintf(f, sizeof(f), "\"request_id\":%llu,\"uid\":",
                                  (unsigned long long)r->id);
    kh_log__str(f, sizeof(f), &pos, res.uid);
    pos += (size_t)snprintf(f + pos, sizeof(f) - pos, ",\"route\":{\"level\":\"%s\",\"version\":",
                            levels[(unsigned)r->route.level % 3]);
    kh_log__str(f, sizeof(f), &pos, r->route.version);
    pos += (size_t)snprintf(f + pos, sizeof(f) - pos, ",\"mode\":\"%s\"},\"operation\":",
                            modes[(unsigned)r->route.mode % 3]);
    kh_log__str(f, sizeof(f), &pos, res.operation);
    pos += (size_t)snprintf(f + pos, sizeof(f) - pos, ",\"kind\":");
    kh_log__str(f, sizeof(f), &pos, res.kind);
    snprintf(f + pos, sizeof(f) - pos,
             ",\"decision\":\"%s\",\"allowed\":%s,\"code\":%d,\"dry_run\":%s,\"violations\":%zu,"
             "\"warnings\":%zu,\"duration_ms\":%.3f",
             names[decision], res.allowed ? "true" : "false", res.code,
             res.dry_run ? "true" : "false", res.violations, res.warnings, secs * 1e3);
    kh_log__line("info", "review", f);
    return queue(s, c, 200, "application/json", out, outlen, MHD_RESPMEM_MUST_FREE, NULL);
}

/* POST /audit: one batch of the API server's audit webhook backend, judged
 * before the answer (the backend retries a batch that was not answered 2xx). */
static enum MHD_Result audit_batch(struct srv *s, struct MHD_Connection *c, struct conn *cn)
{
    struct req *r = &cn->req;
    kh_error err = {0};
    if (s->opts->audit(s->opts->audit_ud, r->body ? r->body : "", r->len, r->id, &err) != 0) {
        char why[64];
        snprintf(why, sizeof(why), "bad audit batch at %u:%u", err.line, err.col);
        log_refusal(cn, 400, why);
        return status_error(s, c, 400, NULL, "%s", err.message[0] ? err.message : why);
    }
    return queue(s, c, 200, "application/json", (char *)"{}\n", 3, MHD_RESPMEM_PERSISTENT, NULL);
}

/* The first call for a /validate request: everything that can be refused
 * without the body is refused here, at once. */
static enum MHD_Result validate_start(struct srv *s, struct MHD_Connection *c, struct conn *cn,
                                      const char *method)
{
    struct req *r = &cn->req;
    char path[URI_MAX];
    const char *q = strchr(cn->uri, '?');
    size_t plen = q ? (size_t)(q - cn->uri) : strlen(cn->uri);
    memcpy(path, cn->uri, plen);
    path[plen] = '\0';

    kh_error err = {0};
    r->audit = s->opts->audit && strcmp(path, "/audit") == 0;
    int rc = r->audit ? 0 : kh_route_parse(&r->route, path, q ? q + 1 : "", &err);
    if (rc == KH_ENOTFOUND) {
        log_refusal(cn, 404, "unknown path");
        return status_error(s, c, 404, NULL, "no route for '%s'", path);
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
        log_refusal(cn, 405, "method");
        return status_error(s, c, 405, "POST", "method '%s' is not allowed: use POST", method);
    }
    if (rc != 0) {
        log_refusal(cn, 400, "bad route");
        return status_error(s, c, 400, NULL, "%s", err.message);
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!content_type_ok(ct)) {
        log_refusal(cn, 415, "content type");
        return status_error(s, c, 415, NULL, "content type '%s' is not application/json",
                            ct ? ct : "");
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
    if (length > s->opts->max_body_bytes) {
        kh_metrics__reject(s->metrics, "body_too_large");
        log_refusal(cn, 413, "body too large");
        return status_error(s, c, 413, NULL, "body of %llu bytes is over the limit of %zu bytes",
                            length, s->opts->max_body_bytes);
    }
    long n = atomic_fetch_add(&s->reviews, 1) + 1;
    r->counted = 1;
    if (n > (long)s->opts->max_in_flight) {
        kh_metrics__reject(s->metrics, "in_flight");
        log_refusal(cn, 429, "too many reviews in flight");
        return status_error(s, c, 429, NULL, "too many reviews in flight (limit %u); retry",
                            s->opts->max_in_flight);
    }
    r->cap = cl ? (size_t)length + 1 : 64 * 1024;
    r->body = malloc(r->cap);
    if (!r->body) {
        r->cap = 0;
        return text(s, c, 500, "out of memory\n");
    }
    return MHD_YES;
}

static int body_append(struct srv *s, struct req *r, const char *data, size_t n)
{
    if (r->oversize)
        return 0;
    if (r->len + n > s->opts->max_body_bytes) {
        /* Only without Content-Length: the rest is read and dropped, then 413. */
        r->oversize = 1;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap * 2 > r->len + n + 1 ? r->cap * 2 : r->len + n + 1;
        if (cap > s->opts->max_body_bytes + 1)
            cap = s->opts->max_body_bytes + 1;
        char *b = realloc(r->body, cap);
        if (!b)
            return -1;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)url, (void)version;
    struct srv *s = cls;
    struct conn *cn = conn_of(c);
    if (!cn)
        return MHD_NO;
    struct req *r = &cn->req;
    *con_cls = r;

    if (!r->started) {
        r->started = 1;
        r->id = atomic_fetch_add(&s->next_id, 1) + 1;
        if (cn->uri_too_long)
            return status_error(s, c, 414, NULL, "request target longer than %d bytes", URI_MAX - 1);
        int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                  strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        const char *q = strchr(cn->uri, '?');
        size_t plen = q ? (size_t)(q - cn->uri) : strlen(cn->uri);
        const char *which = NULL;
        if (plen == 8 && memcmp(cn->uri, "/healthz", 8) == 0)
            which = "healthz";
        else if (plen == 7 && memcmp(cn->uri, "/readyz", 7) == 0)
            which = "readyz";
        else if (plen == 8 && memcmp(cn->uri, "/metrics", 8) == 0)
            which = "metrics";
        if (which) {
            if (!get)
                return status_error(s, c, 405, "GET, HEAD", "method '%s' is not allowed: use GET",
                                    method);
            /* Answered on the next call: libmicrohttpd 0.9.75 closes the
             * connection after a response queued before the (empty) body is
             * read, and probes and scrapes keep theirs alive. */
            r->get_route = which[0];
            return MHD_YES;
        }
        return validate_start(s, c, cn, method);
    }

    if (r->get_route) {
        *upload_size = 0; /* a body on a GET is ignored */
        if (r->get_route == 'h')
            return text(s, c, 200, "ok\n");
        if (r->get_route == 'r')
            return atomic_load(&s->ready) ? text(s, c, 200, "ok\n")
                                          : text(s, c, 503, "draining\n");
        return serve_metrics(s, c);
    }
    if (*upload_size) {
        uint64_t elapsed_ms = (now_ns() - cn->start_ns) / 1000000u;
        if (elapsed_ms > s->opts->request_timeout_ms) {
            /* A client this slow is not the API server: drop it (slowloris). */
            if (!atomic_exchange(&cn->dropped, 1)) {
                kh_metrics__reject(s->metrics, "timeout");
                log_refusal(cn, 408, "request timeout: connection closed");
            }
            return MHD_NO;
        }
        int rc = body_append(s, r, upload, *upload_size);
        *upload_size = 0;
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    if (r->oversize) {
        kh_metrics__reject(s->metrics, "body_too_large");
        log_refusal(cn, 413, "body too large");
        return status_error(s, c, 413, NULL, "body is over the limit of %zu bytes",
                            s->opts->max_body_bytes);
    }
    return r->audit ? audit_batch(s, c, cn) : review(s, c, cn);
}

/* --------------------------------------------------------- connections */

static void request_done(struct srv *s, struct conn *cn)
{
    struct req *r = &cn->req;
    if (r->counted)
        atomic_fetch_sub(&s->reviews, 1);
    free(r->body);
    memset(r, 0, sizeof(*r));
    if (cn->open) {
        cn->open = 0;
        atomic_fetch_sub(&s->in_progress, 1);
    }
    set_phase(cn, PHASE_IDLE);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct srv *s = cls;
    struct conn *cn = conn_of(c);
    if (!cn)
        return NULL;
    size_t n = strlen(uri);
    cn->uri_too_long = n >= URI_MAX;
    memcpy(cn->uri, uri, cn->uri_too_long ? 0 : n + 1);
    cn->start_ns = now_ns();
    set_phase(cn, PHASE_READING);
    if (!cn->open) {
        cn->open = 1;
        atomic_fetch_add(&s->in_progress, 1);
    }
    return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe, (void)con_cls;
    struct conn *cn = conn_of(c);
    if (cn)
        request_done(cls, cn);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct srv *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->connections, 1);
        struct conn *cn = calloc(1, sizeof(struct conn));
        *socket_context = cn;
        if (cn) {
            const union MHD_ConnectionInfo *fi =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
            cn->fd = fi ? fi->connect_fd : -1;
            set_phase(cn, PHASE_NEW);
            pthread_mutex_lock(&s->conns_lock);
            cn->next = s->conns;
            if (s->conns)
                s->conns->prev = cn;
            s->conns = cn;
            pthread_mutex_unlock(&s->conns_lock);
        }
        if (kh_tls__client_ca(s->tls)) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            if (ci)
                kh_tls__require_client_cert(ci->tls_session);
        }
        return;
    }
    atomic_fetch_sub(&s->connections, 1);
    if (*socket_context) {
        /* Unlinked before libmicrohttpd closes the socket, so sweep()
         * never shuts down a descriptor that was reused. */
        struct conn *cn = *socket_context;
        pthread_mutex_lock(&s->conns_lock);
        if (cn->prev)
            cn->prev->next = cn->next;
        else
            s->conns = cn->next;
        if (cn->next)
            cn->next->prev = cn->prev;
        pthread_mutex_unlock(&s->conns_lock);
        request_done(s, *socket_context);
        free(*socket_context);
        *socket_context = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    char f[600];
    size_t pos = 0;
    memcpy(f, "\"detail\":", 9);
    pos = 9;
    kh_log__str(f, sizeof(f), &pos, msg);
    kh_log__line("warn", "libmicrohttpd", f);
}

/* ----------------------------------------------------------------- main */

/* Shut down connections past their phase's deadline. shutdown(2), not
 * close(2): the worker that owns the connection sees the end of the stream
 * and closes it itself, so nothing is freed under its feet. */
static void sweep(struct srv *s)
{
    uint64_t now = now_ns();
    uint64_t request_ns = s->opts->request_timeout_ms * 1000000u;
    uint64_t idle_ns = (uint64_t)s->opts->read_timeout_s * 1000000000u;
    unsigned long dropped[PHASE_IDLE + 1] = {0};
    pthread_mutex_lock(&s->conns_lock);
    for (struct conn *cn = s->conns; cn; cn = cn->next) {
        int phase = atomic_load_explicit(&cn->phase, memory_order_acquire);
        uint64_t since = atomic_load_explicit(&cn->phase_ns, memory_order_relaxed);
        uint64_t limit = phase == PHASE_IDLE ? idle_ns : request_ns;
        /* An answered request is being written out: libmicrohttpd's own
         * timeout covers a client that does not read it. */
        if (phase == PHASE_ANSWERED || now < since || now - since <= limit || cn->fd < 0)
            continue;
        if (atomic_exchange(&cn->dropped, 1))
            continue;
        shutdown(cn->fd, SHUT_RDWR);
        dropped[phase]++;
    }
    pthread_mutex_unlock(&s->conns_lock);
    unsigned long total = dropped[PHASE_NEW] + dropped[PHASE_READING] + dropped[PHASE_IDLE];
    if (!total)
        return;
    for (unsigned long i = 0; i < total; i++)
        kh_metrics__reject(s->metrics, "timeout");
    char f[200];
    snprintf(f, sizeof(f), "\"status\":408,\"handshake_or_first_line\":%lu,\"headers_or_body\":%lu,"
             "\"next_request_line\":%lu",
             dropped[PHASE_NEW], dropped[PHASE_READING], dropped[PHASE_IDLE]);
    kh_log__line("warn", "request timeout: slow connections closed", f);
}

/* Stop accepting, answer what is in progress, stop within the grace period.
 * Connections already queued by the kernel are taken in before the listening
 * socket is closed, so no client that connected is dropped unanswered. */
static void drain(struct srv *s, struct MHD_Daemon *d)
{
    uint64_t deadline = now_ns() + s->opts->grace_ms * 1000000u;
    atomic_store(&s->ready, 0);
    atomic_store(&s->draining, 1);
    MHD_socket lfd = MHD_quiesce_daemon(d);
    unsigned long adopted = 0;
    if (lfd != MHD_INVALID_SOCKET) {
        int fl = fcntl(lfd, F_GETFL);
        if (fl >= 0)
            fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
        for (;;) {
            struct sockaddr_storage sa;
            socklen_t salen = sizeof(sa);
            int fd = accept(lfd, (struct sockaddr *)&sa, &salen);
            if (fd < 0)
                break;
            if (MHD_add_connection(d, fd, (struct sockaddr *)&sa, salen) == MHD_YES)
                adopted++;
        }
        /* Stop listening now (new connects are refused), but keep the
         * descriptor open: libmicrohttpd's worker threads take it out of
         * their epoll sets with some delay, and closing it under them is a
         * fatal error ("Failed to remove listen FD from epoll set"). It is
         * closed after MHD_stop_daemon, as libmicrohttpd's manual says. */
        shutdown(lfd, SHUT_RDWR);
    }
    char f[160];
    snprintf(f, sizeof(f), "\"in_progress\":%ld,\"connections\":%ld,\"adopted\":%lu,\"grace_ms\":%llu",
             atomic_load(&s->in_progress), atomic_load(&s->connections), adopted,
             (unsigned long long)s->opts->grace_ms);
    kh_log__line("info", "draining", f);
    /* A request is in progress from its request line; a connection accepted
     * just now may not have sent it yet, so wait a moment even when idle. */
    struct timespec tick = {0, 10 * 1000000};
    uint64_t settle = now_ns() + 200 * 1000000u;
    while (now_ns() < deadline &&
           (atomic_load(&s->in_progress) > 0 || now_ns() < settle))
        nanosleep(&tick, NULL);
    long left = atomic_load(&s->in_progress);
    MHD_stop_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    snprintf(f, sizeof(f), "\"unfinished\":%ld", left);
    kh_log__line(left ? "error" : "info", "stopped", f);
}

int kh_server__run(const struct kh_server_options *opts)
{
    struct srv s = {.opts = opts, .conns_lock = PTHREAD_MUTEX_INITIALIZER};
    char why[512];
    int status = 2;
    struct MHD_Daemon *d = NULL;

    if (kh_tls__new(&s.tls, opts, why, sizeof(why))) {
        fprintf(stderr, "kubeharden serve: %s\n", why);
        return 2;
    }
    if (kh_metrics__new(&s.metrics)) {
        fprintf(stderr, "kubeharden serve: out of memory\n");
        goto done;
    }

    /* Workers inherit this mask: signals reach only sigtimedwait below. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct sockaddr_in sin = {0};
    struct sockaddr_in6 sin6 = {0};
    struct sockaddr *sa;
    unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
    if (inet_pton(AF_INET, opts->bind_address, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)opts->port);
        sa = (struct sockaddr *)&sin;
    } else {
        inet_pton(AF_INET6, opts->bind_address, &sin6.sin6_addr); /* checked by cmd_serve */
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)opts->port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    }

    struct MHD_OptionItem ca[] = {
        {kh_tls__client_ca(s.tls) ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
         (void *)kh_tls__client_ca(s.tls)},
        {MHD_OPTION_END, 0, NULL},
    };
    errno = 0;
    d = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, handle, &s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_HTTPS_PRIORITIES, kh_tls__priorities(s.tls),
        MHD_OPTION_HTTPS_CERT_CALLBACK, kh_tls__cert_callback(),
        MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, opts->threads,
        MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->read_timeout_s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, &s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s,
        MHD_OPTION_ARRAY, ca,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "kubeharden serve: cannot serve on '%s' port %u%s%s\n",
                opts->bind_address, opts->port, errno ? ": " : "", errno ? strerror(errno) : "");
        goto done;
    }
    atomic_store(&s.ready, 1);
    {
        char f[256];
        size_t pos = 0;
        memcpy(f, "\"address\":", 10);
        pos = 10;
        kh_log__str(f, sizeof(f), &pos, opts->bind_address);
        snprintf(f + pos, sizeof(f) - pos,
                 ",\"port\":%u,\"mtls\":%s,\"tls_min\":\"%s\",\"threads\":%u,\"cert_expiry\":%lld",
                 opts->port, kh_tls__client_ca(s.tls) ? "true" : "false",
                 opts->tls13_only ? "VersionTLS13" : "VersionTLS12", opts->threads,
                 (long long)kh_tls__expiry(s.tls));
        kh_log__line("info", "serving", f);
    }

    sigdelset(&set, SIGPIPE);
    for (unsigned tick = 1;; tick++) {
        struct timespec quarter = {0, 250 * 1000000};
        int sig = sigtimedwait(&set, NULL, &quarter);
        if (sig == SIGTERM || sig == SIGINT) {
            char f[32];
            snprintf(f, sizeof(f), "\"signal\":%d", sig);
            kh_log__line("info", "shutting down", f);
            break;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            break;
        sweep(&s);
        if (sig != SIGHUP && tick % 4)
            continue;
        int rc = kh_tls__maybe_reload(s.tls, sig == SIGHUP, why, sizeof(why));
        if (rc > 0) {
            atomic_fetch_add(&s.reloads, 1);
            char f[64];
            snprintf(f, sizeof(f), "\"cert_expiry\":%lld", (long long)kh_tls__expiry(s.tls));
            kh_log__line("info", "certificate reloaded", f);
        } else if (rc < 0) {
            char f[600];
            size_t pos = 0;
            memcpy(f, "\"error\":", 8);
            pos = 8;
            kh_log__str(f, sizeof(f), &pos, why);
            kh_log__line("error", "certificate reload failed; serving the previous one", f);
        }
    }
    drain(&s, d);
    status = 0;
done:
    kh_metrics__free(s.metrics);
    kh_tls__free(s.tls);
    return status;
}
