/*
 * checks.c -- the probe's checks as a table, and their judgement of one
 * probed port. Each row is a rule id, a title, a severity and the fix; the
 * judgement reads only what the port answered (kh_pr_port: TLS facts and
 * one answer per request) and adds a result with the evidence -- the
 * status line and what the body showed, the TLS version, certificate
 * fields. An anonymous request "works" when it is answered 200 with what
 * that endpoint answers (a NamespaceList, a PodList, Prometheus text, the
 * pprof index, etcd's response header), so a catch-all server that says
 * 200 to everything is not reported as a kubelet. docs/probe.md lists the
 * rows; keep the two in step.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "probe/internal.h"

enum {
    C_OPEN, C_PLAIN, C_TLS_OLD, C_CERT_EXPIRED, C_CERT_SELF, C_ANON_API, C_ANON_DISCOVERY,
    C_VERSION, C_ANON_KUBELET, C_KUBELET_RO, C_KUBELET_EXEC, C_DEBUG, C_METRICS, C_ETCD, C_N
};

static const struct check {
    const char *id;
    const char *title;
    kh_severity sev;
    const char *fix;
} checks[C_N] = {
    [C_OPEN] = {"probe.open-port", "a Kubernetes port is reachable", KH_SEVERITY_INFO,
                "make sure this network needs to reach it; else firewall it or bind the component to a private address"},
    [C_PLAIN] = {"probe.plain-http", "a Kubernetes port speaks plain HTTP", KH_SEVERITY_HIGH,
                 "serve it over TLS only (API server: no --insecure-port, kubelet: readOnlyPort 0, "
                 "etcd: https:// --listen-client-urls with --cert-file), or bind it to 127.0.0.1"},
    [C_TLS_OLD] = {"probe.tls-old-version", "TLS 1.0 or 1.1 is accepted", KH_SEVERITY_MEDIUM,
                   "set --tls-min-version=VersionTLS12 (kubelet: tlsMinVersion; etcd: --tls-min-version=TLS1.2)"},
    [C_CERT_EXPIRED] = {"probe.cert-expired", "the certificate is expired or not yet valid", KH_SEVERITY_HIGH,
                        "renew it (kubeadm certs renew; kubelet: rotateCertificates / serverTLSBootstrap)"},
    [C_CERT_SELF] = {"probe.cert-self-signed", "the certificate is self-signed", KH_SEVERITY_LOW,
                     "serve a certificate from the cluster CA (kubelet: serverTLSBootstrap: true and "
                     "approve its CSRs, or --tls-cert-file), so clients can verify it"},
    [C_ANON_API] = {"probe.anonymous-api", "the API server lists namespaces without credentials", KH_SEVERITY_CRITICAL,
                    "remove RBAC bindings to system:anonymous or system:unauthenticated, "
                    "and set --anonymous-auth=false where nothing needs it"},
    [C_ANON_DISCOVERY] = {"probe.anonymous-discovery", "API discovery (/api, /apis) answers without credentials",
                          KH_SEVERITY_LOW,
                          "since 1.14 system:discovery is bound to system:authenticated only; remove bindings "
                          "that give it to system:unauthenticated, or set --anonymous-auth=false"},
    [C_VERSION] = {"probe.version-exposed", "the exact version is told without credentials", KH_SEVERITY_INFO,
                   "an API server tells it to anyone by design (system:public-info-viewer), etcd too; make sure "
                   "the port is reachable only where it must be, and that version is patched"},
    [C_ANON_KUBELET] = {"probe.anonymous-kubelet", "the kubelet API answers without credentials", KH_SEVERITY_CRITICAL,
                        "set authentication.anonymous.enabled: false and authorization.mode: Webhook "
                        "in the KubeletConfiguration (--anonymous-auth=false --authorization-mode=Webhook)"},
    [C_KUBELET_RO] = {"probe.kubelet-readonly-port", "the kubelet's read-only port serves pods", KH_SEVERITY_HIGH,
                      "set readOnlyPort: 0 in the KubeletConfiguration (--read-only-port=0)"},
    [C_KUBELET_EXEC] = {"probe.kubelet-exec", "the kubelet's exec handler is reachable without credentials",
                        KH_SEVERITY_CRITICAL,
                        "set authentication.anonymous.enabled: false and authorization.mode: Webhook; "
                        "anyone who reaches this port can run commands in every pod on the node"},
    [C_DEBUG] = {"probe.debug-endpoint", "Go profiling (/debug/pprof) answers without credentials", KH_SEVERITY_MEDIUM,
                 "set --profiling=false (kubelet: enableProfilingHandler: false; etcd: no --enable-pprof), "
                 "or require authentication"},
    [C_METRICS] = {"probe.anonymous-metrics", "metrics answer without credentials", KH_SEVERITY_LOW,
                   "require authentication for /metrics (etcd: --listen-metrics-urls on a private address; "
                   "kube-proxy: metricsBindAddress 127.0.0.1:10249)"},
    [C_ETCD] = {"probe.etcd-no-client-cert", "etcd serves a key read without a client certificate",
                KH_SEVERITY_CRITICAL,
                "serve clients over TLS with --client-cert-auth=true and --trusted-ca-file, so only the API "
                "server's certificate is accepted; every Secret is in etcd"},
};

struct judge {
    const kh_pr_port *p;
    kh_arena *arena;
    kh_probe_result **items;
    size_t *n;
    int oom;
};

static void add(struct judge *j, int c, kh_severity sev, const char *request, const char *fmt, ...)
    KH_PRINTF(5, 6);

static void add(struct judge *j, int c, kh_severity sev, const char *request, const char *fmt, ...)
{
    char buf[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    kh_probe_result *r = kh_array__push(j->arena, j->items, j->n, sizeof(*r));
    if (!r) {
        j->oom = 1;
        return;
    }
    *r = (kh_probe_result){
        .id = checks[c].id,
        .title = checks[c].title,
        .severity = sev,
        .target = kh_arena_strdup(j->arena, j->p->target),
        .host = j->p->host,
        .port = j->p->port,
        .service = kh_probe__service_name(j->p->service),
        .request = kh_arena_strdup(j->arena, request),
        .evidence = kh_arena_strdup(j->arena, buf),
        .fix = checks[c].fix,
    };
    if (!r->target || !r->request || !r->evidence)
        j->oom = 1;
}

static const char *version_name(int v)
{
    static const char *const names[KH_TV_N] = {"1.0", "1.1", "1.2", "1.3"};
    return v >= 0 && v < KH_TV_N ? names[v] : "?";
}

static void utc(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, size, "?");
}

/* "GET /pods: HTTP/1.1 200 OK" */
static void answer_text(const kh_pr_port *p, int rq, char *buf, size_t size)
{
    const kh_pr_answer *a = &p->ans[rq];
    snprintf(buf, size, "%s: %s%s%s%s", kh_probe__request_names[rq], a->line,
             *a->detail ? " (" : "", a->detail, *a->detail ? ")" : "");
}

static int works(const kh_pr_port *p, int rq)
{
    return p->ans[rq].status == 200 && p->ans[rq].marked;
}

/* The summary of an open port: protocol, versions, certificate, answers. */
static void open_port(struct judge *j)
{
    const kh_pr_port *p = j->p;
    char buf[1400];
    size_t at = 0;
#define PUT(...) do { int w_ = snprintf(buf + at, sizeof(buf) - at, __VA_ARGS__); \
        if (w_ > 0) at = (size_t)w_ < sizeof(buf) - at ? at + (size_t)w_ : sizeof(buf) - 1; } while (0)
    if (p->tls == 1) {
        PUT("TLS");
        int any = 0;
        for (int v = 0; v < KH_TV_N; v++)
            if (p->versions[v] == 1)
                PUT("%s%s", any++ ? ", " : " (accepts ", version_name(v));
        PUT("%s", any ? ")" : "");
        if (p->client_cert_required)
            PUT("; a client certificate is required");
        if (p->cert.present) {
            char until[32];
            utc(p->cert.not_after, until, sizeof(until));
            PUT("; certificate subject '%s', issuer '%s', not after %s, SANs %s", p->cert.subject,
                p->cert.issuer, until, *p->cert.sans ? p->cert.sans : "none");
        }
    } else if (p->tls == 0) {
        PUT("plain HTTP");
    } else {
        PUT("neither HTTP nor TLS (%s)", p->tls_why);
    }
    if (p->tls >= 0 && !p->client_cert_required) {
        PUT("; answers:");
        for (int rq = 0; rq < KH_RQ_N; rq++) {
            const kh_pr_answer *a = &p->ans[rq];
            if (!a->asked)
                continue;
            const char *path = strchr(kh_probe__request_names[rq], ' ') + 1;
            if (a->status)
                PUT(" %s %d,", path, a->status);
            else
                PUT(" %s none,", path);
        }
        if (at && buf[at - 1] == ',')
            buf[--at] = '\0';
    }
#undef PUT
    add(j, C_OPEN, KH_SEVERITY_INFO, "", "open: %s", buf);
}

int kh_probe__judge(const kh_pr_port *p, kh_arena *arena, kh_probe_result **items, size_t *n,
                    time_t now)
{
    struct judge j = {.p = p, .arena = arena, .items = items, .n = n};
    char ev[512];
    if (!p->open)
        return 0;
    open_port(&j);

    if (p->tls == 0) {
        int rq = p->ans[KH_RQ_VERSION].status ? KH_RQ_VERSION : KH_RQ_HEALTHZ;
        answer_text(p, rq, ev, sizeof(ev));
        /* kube-proxy's health and metrics ports are plain HTTP by design */
        add(&j, C_PLAIN, p->service == KH_SV_PROXY ? KH_SEVERITY_LOW : checks[C_PLAIN].sev,
            kh_probe__request_names[rq], "no TLS: %s", ev);
    }
    if (p->tls == 1) {
        char old[32] = "";
        for (int v = KH_TV_10; v <= KH_TV_11; v++)
            if (p->versions[v] == 1)
                snprintf(old + strlen(old), sizeof(old) - strlen(old), "%sTLS %s",
                         *old ? " and " : "", version_name(v));
        if (*old)
            add(&j, C_TLS_OLD, checks[C_TLS_OLD].sev, "TLS handshakes",
                "%s handshake completed (the server answered a hello offering only that version)", old);
        if (p->cert.present) {
            char nb[32], na[32];
            utc(p->cert.not_before, nb, sizeof(nb));
            utc(p->cert.not_after, na, sizeof(na));
            if (now > p->cert.not_after || now < p->cert.not_before)
                add(&j, C_CERT_EXPIRED, checks[C_CERT_EXPIRED].sev, "TLS handshake",
                    "certificate '%s' valid from %s to %s; now is outside it", p->cert.subject, nb, na);
            if (p->cert.self_signed || p->cert.kubelet_self)
                add(&j, C_CERT_SELF, checks[C_CERT_SELF].sev, "TLS handshake",
                    "certificate subject '%s' issued by '%s'%s", p->cert.subject, p->cert.issuer,
                    p->cert.self_signed ? " (itself)"
                                        : " (the throw-away CA of a kubelet's self-generated certificate)");
        }
    }

    if (works(p, KH_RQ_NAMESPACES)) {
        answer_text(p, KH_RQ_NAMESPACES, ev, sizeof(ev));
        add(&j, C_ANON_API, checks[C_ANON_API].sev, kh_probe__request_names[KH_RQ_NAMESPACES], "%s", ev);
    }
    if (works(p, KH_RQ_API) || works(p, KH_RQ_APIS)) {
        int rq = works(p, KH_RQ_API) ? KH_RQ_API : KH_RQ_APIS;
        answer_text(p, rq, ev, sizeof(ev));
        add(&j, C_ANON_DISCOVERY, checks[C_ANON_DISCOVERY].sev, kh_probe__request_names[rq], "%s", ev);
    }
    if (works(p, KH_RQ_VERSION)) {
        answer_text(p, KH_RQ_VERSION, ev, sizeof(ev));
        add(&j, C_VERSION, checks[C_VERSION].sev, kh_probe__request_names[KH_RQ_VERSION], "%s", ev);
    }
    int pods = works(p, KH_RQ_PODS) ? KH_RQ_PODS : works(p, KH_RQ_RUNNINGPODS) ? KH_RQ_RUNNINGPODS : -1;
    if (pods >= 0) {
        answer_text(p, pods, ev, sizeof(ev));
        if (p->tls == 0)
            add(&j, C_KUBELET_RO, checks[C_KUBELET_RO].sev, kh_probe__request_names[pods], "%s", ev);
        else
            add(&j, C_ANON_KUBELET, checks[C_ANON_KUBELET].sev, kh_probe__request_names[pods], "%s", ev);
    }
    /* The exec handler refuses a GET without stdin/stdout/stderr with 400
     * before looking for the pod: a 400 there means authentication and
     * authorization let us through. 401/403: they did not; 405: debugging
     * handlers are off; 404: no exec handler (the read-only port). */
    if (p->ans[KH_RQ_EXEC].status == 400 && p->ans[KH_RQ_EXEC].marked) {
        answer_text(p, KH_RQ_EXEC, ev, sizeof(ev));
        add(&j, C_KUBELET_EXEC, checks[C_KUBELET_EXEC].sev, kh_probe__request_names[KH_RQ_EXEC],
            "%s: the handler itself answered, past authentication and authorization", ev);
    }
    if (works(p, KH_RQ_PPROF)) {
        answer_text(p, KH_RQ_PPROF, ev, sizeof(ev));
        add(&j, C_DEBUG, checks[C_DEBUG].sev, kh_probe__request_names[KH_RQ_PPROF], "%s", ev);
    }
    if (works(p, KH_RQ_METRICS)) {
        answer_text(p, KH_RQ_METRICS, ev, sizeof(ev));
        add(&j, C_METRICS, checks[C_METRICS].sev, kh_probe__request_names[KH_RQ_METRICS], "%s", ev);
    }
    if (works(p, KH_RQ_ETCD_RANGE)) {
        answer_text(p, KH_RQ_ETCD_RANGE, ev, sizeof(ev));
        add(&j, C_ETCD, checks[C_ETCD].sev, kh_probe__request_names[KH_RQ_ETCD_RANGE],
            "%s%s", ev, p->tls == 1 ? " over TLS without a client certificate" : " over plain HTTP");
    }
    return j.oom ? KH_ENOMEM : 0;
}
