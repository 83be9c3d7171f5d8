/*
 * probe.c -- `kubeharden probe`: which requests each port gets, and the
 * public API. Each target names a host (resolved once, here; every address
 * it resolves to is probed and nothing else) and either one port or the
 * well-known list. A port's first connection asks GET /version in plain
 * HTTP: an HTTP answer (other than Go's "HTTP request to an HTTPS server")
 * means plain HTTP; anything else (a close, TLS bytes, a timeout) gets the
 * same request over TLS (all versions offered). Plain first because a TLS
 * server refuses a plain request at once, while a plain server may wait
 * for the rest of a ClientHello until the timeout. An open port then gets, over what it speaks,
 * one connection per request of the table below (GET only, plus etcd's
 * read-only range POST where /version or the port number says etcd), and
 * a TLS port one handshake per TLS version. No answer is followed: a
 * redirect is just a status. After the engine ran, each port is judged
 * (checks.c) in the order of the targets, addresses and ports.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "core/array.h"
#include "probe/internal.h"

const char *const kh_probe__request_names[KH_RQ_N] = {
    [KH_RQ_VERSION] = "GET /version",
    [KH_RQ_API] = "GET /api",
    [KH_RQ_APIS] = "GET /apis",
    [KH_RQ_NAMESPACES] = "GET /api/v1/namespaces?limit=1",
    [KH_RQ_PODS] = "GET /pods",
    [KH_RQ_RUNNINGPODS] = "GET /runningpods/",
    /* no stdin/stdout/stderr: the kubelet refuses it before looking for the pod */
    [KH_RQ_EXEC] = "GET /exec/kube-system/kubeharden-probe/probe?command=true",
    [KH_RQ_METRICS] = "GET /metrics",
    [KH_RQ_PPROF] = "GET /debug/pprof/",
    [KH_RQ_HEALTHZ] = "GET /healthz",
    [KH_RQ_ETCD_RANGE] = "POST /v3/kv/range",
};

/* What a working answer's body holds (NULL: any 200). */
static const char *const markers[KH_RQ_N] = {
    [KH_RQ_VERSION] = NULL, /* gitVersion or etcdserver: see answered() */
    [KH_RQ_API] = "APIVersions",
    [KH_RQ_APIS] = "APIGroupList",
    [KH_RQ_NAMESPACES] = "NamespaceList",
    [KH_RQ_PODS] = "PodList",
    [KH_RQ_RUNNINGPODS] = "PodList",
    [KH_RQ_EXEC] = "stdin",          /* "you must specify at least 1 of stdin, stdout, stderr" */
    [KH_RQ_METRICS] = "# TYPE",
    [KH_RQ_PPROF] = "profiles",      /* "Types of profiles available" */
    [KH_RQ_HEALTHZ] = "ok",
    [KH_RQ_ETCD_RANGE] = "\"header\"",
};

/* A count over the whole key space, not the keys or values themselves:
 * range_end "\0" with key "\0" means every key (etcd's Range semantics). */
static const char etcd_range_body[] = "{\"key\":\"AA==\",\"range_end\":\"AA==\",\"count_only\":true}";

/* Every version but nothing else changed from the defaults (GnuTLS's
 * NORMAL leaves out TLS 1.0 and 1.1 on some builds). */
static const char prio_all[] = "NORMAL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0";
static const char *const prio_version[KH_TV_N] = {
    "NORMAL:-VERS-ALL:+VERS-TLS1.0:+SHA1:+SIGN-RSA-SHA1:+SIGN-ECDSA-SHA1",
    "NORMAL:-VERS-ALL:+VERS-TLS1.1:+SHA1:+SIGN-RSA-SHA1:+SIGN-ECDSA-SHA1",
    "NORMAL:-VERS-ALL:+VERS-TLS1.2",
    "NORMAL:-VERS-ALL:+VERS-TLS1.3",
};

static const unsigned short well_known[] = {
    443, 2379, 2380, 6443, 8080, 8443, 9090, 10249, 10250, 10255, 10256, 10257, 10259,
};

static const struct { unsigned short port; int sv; } by_port[] = {
    {443, KH_SV_API}, {2379, KH_SV_ETCD}, {2380, KH_SV_ETCD_PEER}, {6443, KH_SV_API},
    {8080, KH_SV_API}, {8443, KH_SV_DASHBOARD}, {9090, KH_SV_DASHBOARD}, {10249, KH_SV_PROXY},
    {10250, KH_SV_KUBELET}, {10255, KH_SV_KUBELET_RO}, {10256, KH_SV_PROXY},
    {10257, KH_SV_KCM}, {10259, KH_SV_SCHED},
};

const char *kh_probe__service_name(int sv)
{
    static const char *const names[] = {
        [KH_SV_UNKNOWN] = "unknown", [KH_SV_API] = "API server", [KH_SV_KUBELET] = "kubelet",
        [KH_SV_KUBELET_RO] = "kubelet read-only", [KH_SV_ETCD] = "etcd",
        [KH_SV_ETCD_PEER] = "etcd peer", [KH_SV_KCM] = "controller-manager",
        [KH_SV_SCHED] = "scheduler", [KH_SV_PROXY] = "kube-proxy", [KH_SV_DASHBOARD] = "dashboard",
        [KH_SV_NODEPORT] = "NodePort",
    };
    return sv >= 0 && sv <= KH_SV_NODEPORT ? names[sv] : "unknown";
}

enum { TAG_HELLO_TLS = -1, TAG_HELLO_PLAIN = -2, TAG_VERSION0 = 100 };

struct kh_probe {
    kh_arena arena;
    kh_probe_result *results;
    size_t nresults;
    size_t tried, open;
};

struct run {
    kh_pr_engine *engine;
    kh_pr_port *ports;
    size_t nports;
    int oom;
};

struct job_ud {
    struct run *run;
    kh_pr_port *port;
};

/* The Host header value and request text of request @p rq to @p p. */
static char *request_text(const kh_pr_port *p, int rq)
{
    char host[128];
    const char *h = p->sni ? p->sni : p->addrtext;
    snprintf(host, sizeof(host), strchr(h, ':') ? "[%s]:%u" : "%s:%u", h, p->port);
    const char *name = kh_probe__request_names[rq];
    const char *path = strchr(name, ' ') + 1;
    size_t size = 512 + sizeof(etcd_range_body);
    char *s = malloc(size);
    if (!s)
        return NULL;
    if (rq == KH_RQ_ETCD_RANGE)
        snprintf(s, size,
                 "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kubeharden-probe/" KH_VERSION
                 "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 path, host, sizeof(etcd_range_body) - 1, etcd_range_body);
    else
        snprintf(s, size,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kubeharden-probe/" KH_VERSION
                 "\r\nAccept: application/json, */*\r\nConnection: close\r\n\r\n",
                 path, host);
    return s;
}

static void job_done(kh_pr_job *j);

/* Queue one connection to @p p: @p prio NULL for plain TCP, @p rq -1 for
 * none (a handshake only). */
static void queue(struct run *r, kh_pr_port *p, const char *prio, int rq, int tag)
{
    kh_pr_job *j = calloc(1, sizeof(*j));
    struct job_ud *ud = malloc(sizeof(*ud));
    char *req = rq >= 0 ? request_text(p, rq) : NULL;
    if (!j || !ud || (rq >= 0 && !req)) {
        free(j);
        free(ud);
        free(req);
        r->oom = 1;
        return;
    }
    *ud = (struct job_ud){r, p};
    memcpy(&j->addr, &p->addr, p->alen);
    j->alen = p->alen;
    j->sni = p->sni;
    j->prio = prio;
    j->request = req;
    j->done = job_done;
    j->ud = ud;
    j->tag = tag;
    if (rq >= 0)
        p->ans[rq].asked = 1;
    kh_probe__submit(r->engine, j);
}

/* Printable ASCII of the first line of @p s, at most @p size - 1 bytes. */
static void printable(const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r')
            break;
        out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = '\0';
}

static int has(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Record the answer to request @p rq from job @p j. */
static void answered(kh_pr_port *p, int rq, const kh_pr_job *j)
{
    kh_pr_answer *a = &p->ans[rq];
    kh_pr_http h;
    a->result = j->result;
    a->alert = j->alert;
    if (j->resp_len && kh_probe__http_parse(j->resp, j->resp_len, &h) == 0) {
        a->status = h.status;
        printable(h.line, h.line_len, a->line, sizeof(a->line));
        const char *body = h.body ? h.body : "";
        size_t blen = h.body ? h.body_len : 0;
        char v[96];
        if (rq == KH_RQ_VERSION) {
            if (kh_probe__json_string(body, blen, "gitVersion", v, sizeof(v)) == 0) {
                a->marked = 1;
                snprintf(a->detail, sizeof(a->detail), "gitVersion %s", v);
            } else if (kh_probe__json_string(body, blen, "etcdserver", v, sizeof(v)) == 0) {
                a->marked = 1;
                snprintf(a->detail, sizeof(a->detail), "etcdserver %s", v);
            }
        } else if (markers[rq] && has(body, blen, markers[rq])) {
            a->marked = 1;
            if (rq == KH_RQ_ETCD_RANGE) {
                /* count is an int64 in a JSON string; absent when 0 */
                if (kh_probe__json_string(body, blen, "count", v, sizeof(v)) != 0)
                    snprintf(v, sizeof(v), "0");
                snprintf(a->detail, sizeof(a->detail), "count %s: the keys are readable", v);
            } else if (rq == KH_RQ_NAMESPACES && h.status == 200) {
                snprintf(a->detail, sizeof(a->detail), "a NamespaceList");
            } else if ((rq == KH_RQ_PODS || rq == KH_RQ_RUNNINGPODS) && h.status == 200) {
                snprintf(a->detail, sizeof(a->detail), "a PodList");
            } else if (rq == KH_RQ_EXEC) {
                printable(body, blen, a->detail, 100);
            }
        }
    } else if (j->alert >= 0) {
        snprintf(a->line, sizeof(a->line), "TLS alert '%s'",
                 gnutls_alert_get_name((gnutls_alert_description_t)j->alert));
    } else {
        snprintf(a->line, sizeof(a->line), "no HTTP answer (%s)",
                 j->resp_len ? "not HTTP" : *j->why ? j->why : "closed");
    }
}

static int needs_cert(int alert)
{
    return alert == GNUTLS_A_BAD_CERTIFICATE || alert == GNUTLS_A_CERTIFICATE_REQUIRED ||
           alert == GNUTLS_A_UNKNOWN_CA;
}

/* The requests an open port gets once its protocol is known. */
static void phase_two(struct run *r, kh_pr_port *p)
{
    const char *prio = p->tls == 1 ? prio_all : NULL;
    if (p->tls == 1)
        for (int v = 0; v < KH_TV_N; v++)
            queue(r, p, prio_version[v], -1, TAG_VERSION0 + v);
    if (p->client_cert_required)
        return; /* every request would be refused the same way */
    for (int rq = KH_RQ_API; rq < KH_RQ_ETCD_RANGE; rq++)
        queue(r, p, prio, rq, rq);
    /* the one POST, read-only, only to what says it is etcd */
    if (p->service == KH_SV_ETCD || p->service == KH_SV_ETCD_PEER ||
        strncmp(p->ans[KH_RQ_VERSION].detail, "etcdserver", 10) == 0)
        queue(r, p, prio, KH_RQ_ETCD_RANGE, KH_RQ_ETCD_RANGE);
}

static void job_done(kh_pr_job *j)
{
    struct job_ud *ud = j->ud;
    struct run *r = ud->run;
    kh_pr_port *p = ud->port;
    free(ud);
    free((char *)j->request);
    if (j->tag == TAG_HELLO_PLAIN) {
        kh_pr_http h;
        if (!j->connected) {
            p->closed_why = j->result;
            return;
        }
        p->open = 1;
        /* Go's TLS servers answer a plain request with this 400 */
        if (j->resp_len && kh_probe__http_parse(j->resp, j->resp_len, &h) == 0 &&
            !(h.status == 400 && h.body && has(h.body, h.body_len, "to an HTTPS server"))) {
            p->tls = 0;
            answered(p, KH_RQ_VERSION, j);
            phase_two(r, p);
            return;
        }
        snprintf(p->tls_why, sizeof(p->tls_why), "HTTP: %s",
                 j->resp_len ? "no status line" : *j->why ? j->why : "closed without an answer");
        queue(r, p, prio_all, KH_RQ_VERSION, TAG_HELLO_TLS);
    } else if (j->tag == TAG_HELLO_TLS) {
        if (!j->server_hello) {
            size_t at = strlen(p->tls_why);
            snprintf(p->tls_why + at, sizeof(p->tls_why) - at, "; TLS: %s", j->why);
            return;
        }
        p->tls = 1;
        p->tls_version = j->tls_version;
        p->cert = j->cert;
        p->client_cert_required = needs_cert(j->alert);
        answered(p, KH_RQ_VERSION, j);
        phase_two(r, p);
    } else if (j->tag >= TAG_VERSION0) {
        static const int gv[KH_TV_N] = {GNUTLS_TLS1_0, GNUTLS_TLS1_1, GNUTLS_TLS1_2, GNUTLS_TLS1_3};
        int v = j->tag - TAG_VERSION0;
        p->versions[v] = j->server_hello && j->tls_version == gv[v];
    } else {
        answered(p, j->tag, j);
    }
}

/* "HOST", "HOST:PORT", "[V6]", "[V6]:PORT", or a bare IPv6 address. */
static int parse_target(const char *arg, char *host, size_t size, int *port, kh_error *err)
{
    const char *h = arg, *colon = NULL;
    size_t hlen;
    *port = 0;
    if (*arg == '[') {
        const char *end = strchr(arg, ']');
        if (!end || (end[1] && end[1] != ':'))
            goto bad;
        h = arg + 1;
        hlen = (size_t)(end - h);
        colon = end[1] ? end + 1 : NULL;
    } else {
        colon = strchr(arg, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        hlen = colon ? (size_t)(colon - arg) : strlen(arg);
    }
    if (!hlen || hlen >= size)
        goto bad;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (colon) {
        char *end;
        long n = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || n < 1 || n > 65535)
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "bad port in '%s' (use 1-65535)", arg);
        *port = (int)n;
    }
    return 0;
bad:
    return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                        "bad target '%s' (use HOST, HOST:PORT or [IPv6]:PORT)", arg);
}

static int service_of(unsigned port)
{
    for (size_t i = 0; i < sizeof(by_port) / sizeof(by_port[0]); i++)
        if (by_port[i].port == port)
            return by_port[i].sv;
    return port >= 30000 && port <= 32767 ? KH_SV_NODEPORT : KH_SV_UNKNOWN;
}

/* Add ports of one target; addresses as getaddrinfo gave them, deduplicated. */
static int add_target(struct run *r, kh_probe *pr, const char *arg, const kh_probe_options *o,
                      kh_error *err)
{
    char host[256];
    int port;
    if (parse_target(arg, host, sizeof(host), &port, err))
        return KH_EUSAGE;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "cannot resolve '%s': %s", host,
                            gai_strerror(rc));
    unsigned char probe6[16];
    struct in_addr probe4;
    int is_name = inet_pton(AF_INET, host, &probe4) != 1 && inet_pton(AF_INET6, host, probe6) != 1;
    const char *hostcopy = kh_arena_strdup(&pr->arena, arg);
    const char *sni = is_name ? kh_arena_strdup(&pr->arena, host) : NULL;
    const unsigned short *ports = o->ports ? o->ports : well_known;
    size_t nports = o->ports ? o->nports : sizeof(well_known) / sizeof(well_known[0]);
    size_t naddr = 0, first = r->nports;
    for (struct addrinfo *ai = res; ai && naddr < 16; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        char text[64];
        const void *raw = ai->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, raw, text, sizeof(text));
        int dup = 0;
        for (size_t i = first; i < r->nports && !dup; i++)
            dup = strcmp(r->ports[i].addrtext, text) == 0;
        if (dup)
            continue;
        naddr++;
        size_t total = port ? 1 : nports + (o->nodeports ? 2768 : 0);
        for (size_t k = 0; k < total; k++) {
            unsigned pn = port ? (unsigned)port : k < nports ? ports[k] : 30000 + (unsigned)(k - nports);
            kh_pr_port *p = kh_array__push(&pr->arena, &r->ports, &r->nports, sizeof(*p));
            if (!p || !hostcopy || (is_name && !sni)) {
                freeaddrinfo(res);
                return KH_ENOMEM;
            }
            p->host = hostcopy;
            p->sni = sni;
            memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
            p->alen = ai->ai_addrlen;
            if (ai->ai_family == AF_INET)
                ((struct sockaddr_in *)&p->addr)->sin_port = htons((unsigned short)pn);
            else
                ((struct sockaddr_in6 *)&p->addr)->sin6_port = htons((unsigned short)pn);
            snprintf(p->addrtext, sizeof(p->addrtext), "%s", text);
            snprintf(p->target, sizeof(p->target), ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
                     text, pn);
            p->port = pn;
            p->service = service_of(pn);
            p->tls = -1;
            for (int v = 0; v < KH_TV_N; v++)
                p->versions[v] = -1;
        }
    }
    freeaddrinfo(res);
    if (!naddr)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "'%s' resolves to no IPv4 or IPv6 address",
                            host);
    return 0;
}

/* Service names from the answers, where the port number told nothing. */
static void refine_service(kh_pr_port *p)
{
    if (p->service != KH_SV_UNKNOWN && p->service != KH_SV_NODEPORT)
        return;
    const char *d = p->ans[KH_RQ_VERSION].detail;
    if (strncmp(d, "etcdserver", 10) == 0)
        p->service = KH_SV_ETCD;
    else if (strncmp(d, "gitVersion", 10) == 0 && p->ans[KH_RQ_API].status)
        p->service = KH_SV_API;
    else if (p->ans[KH_RQ_PODS].marked || p->ans[KH_RQ_EXEC].marked ||
             (p->ans[KH_RQ_EXEC].status == 405 && p->ans[KH_RQ_PODS].status))
        p->service = p->tls == 0 ? KH_SV_KUBELET_RO : KH_SV_KUBELET;
}

int kh_probe_run(kh_probe **out, const char *const *targets, size_t n,
                 const kh_probe_options *opts, kh_error *err)
{
    kh_probe_options o = opts ? *opts : (kh_probe_options){0};
    struct run r = {0};
    kh_probe *pr = calloc(1, sizeof(*pr));
    int rc = KH_ENOMEM;
    *out = NULL;
    if (!pr)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    kh_arena_init(&pr->arena, 0);
    if (!n) {
        rc = kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "no target given");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = add_target(&r, pr, targets[i], &o, err)))
            goto fail;
    if ((rc = kh_probe__engine_new(&r.engine, o.concurrency, o.timeout_ms)))
        goto fail;
    for (size_t i = 0; i < r.nports; i++)
        queue(&r, &r.ports[i], NULL, KH_RQ_VERSION, TAG_HELLO_PLAIN);
    rc = kh_probe__engine_run(r.engine);
    kh_probe__engine_free(r.engine);
    if (rc || r.oom) {
        rc = rc ? kh_error_set(err, rc, NULL, 0, 0, "poll failed")
                : kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    time_t now = time(NULL);
    pr->tried = r.nports;
    for (size_t i = 0; i < r.nports; i++) {
        refine_service(&r.ports[i]);
        pr->open += r.ports[i].open;
        if (kh_probe__judge(&r.ports[i], &pr->arena, &pr->results, &pr->nresults, now)) {
            rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            goto fail;
        }
    }
    *out = pr;
    return 0;
fail:
    if (rc == KH_ENOMEM && (!err || !err->message[0]))
        kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    kh_probe_free(pr);
    return rc;
}

size_t kh_probe_count(const kh_probe *p) { return p->nresults; }
const kh_probe_result *kh_probe_result_at(const kh_probe *p, size_t i) { return &p->results[i]; }
size_t kh_probe_tried(const kh_probe *p) { return p->tried; }
size_t kh_probe_open(const kh_probe *p) { return p->open; }

void kh_probe_result_finding(const kh_probe_result *r, kh_finding *f, char *buf, size_t size)
{
    snprintf(buf, size, "%s: %s%s%s", r->title, r->evidence, *r->fix ? "; fix: " : "", r->fix);
    *f = (kh_finding){
        .rule_id = r->id,
        .severity = r->severity,
        .file = r->target,
        .kind = r->service,
        .namespace_ = "",
        .name = r->host,
        .path = r->request,
        .message = buf,
    };
}

void kh_probe_free(kh_probe *p)
{
    if (!p)
        return;
    kh_arena_free(&p->arena);
    free(p);
}
