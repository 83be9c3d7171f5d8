/*
 * internal.h -- internals of the network probe (src/probe), shared by its files.
 *
 * http.c    parsing an HTTP/1.x answer and finding a JSON string member in
 *           it (the only network input read; fuzzed by fuzz/fuzz_probe.c)
 * cert.c    the peer's certificate: expiry, issuer, SANs, self-signed
 * net.c     the connection engine: non-blocking sockets, GnuTLS sessions
 *           and poll(2), a concurrency limit and per-stage deadlines
 * checks.c  the table of checks (id, title, severity, fix) and their judgement
 * probe.c   the public API: targets, ports, the requests each port gets
 */
#ifndef KH_PROBE_INTERNAL_H
#define KH_PROBE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "kubeharden/probe.h"

/* ------------------------------------------------------------------ http.c */

typedef struct kh_pr_http {
    int status;                 /* 100-999 */
    const char *line;           /* the status line, without CR LF */
    size_t line_len;
    const char *body;           /* after the blank line (NULL when none came) */
    size_t body_len;
} kh_pr_http;

/* Parse the start of an HTTP/1.x answer. @return 0 when @p buf starts with
 * a status line "HTTP/1.D NNN[ reason]" ending in LF, else -1. */
int kh_probe__http_parse(const char *buf, size_t len, kh_pr_http *out);

/* 1 when @p buf holds a whole answer (its Content-Length of body, or the
 * last chunk of a chunked one), so the probe need not wait for the server
 * to close a connection it keeps open despite "Connection: close". */
int kh_probe__http_complete(const char *buf, size_t len);

/* Copy the first string value of member @p key ("gitVersion") found anywhere
 * in the JSON text @p s into @p out (NUL-terminated, escapes kept as
 * written, cut at @p size - 1). @return 0 when found, else -1. */
int kh_probe__json_string(const char *s, size_t len, const char *key, char *out, size_t size);

/* ------------------------------------------------------------------ cert.c */

typedef struct kh_pr_cert {
    int present;
    char subject[256], issuer[256], sans[512];
    time_t not_before, not_after;
    int self_signed;            /* issuer is the subject and its own key verifies it */
    int kubelet_self;           /* client-go's GenerateSelfSignedCertKey: issuer CN "H-ca@N" */
} kh_pr_cert;

/* Describe the leaf of a DER chain (the peer's, as GnuTLS hands it). */
void kh_probe__cert_describe(const void *chain, unsigned n, kh_pr_cert *out);

/* ------------------------------------------------------------------- net.c */

enum {
    KH_PR_OK,          /* connected (and handshake, request, answer as asked) */
    KH_PR_REFUSED,     /* connection refused or unreachable: closed */
    KH_PR_TIMEOUT,     /* a stage took longer than the timeout */
    KH_PR_TLS_FAILED,  /* connected, but the TLS handshake failed */
    KH_PR_ERROR        /* any other failure (see why) */
};

typedef struct kh_pr_job kh_pr_job;
typedef void (*kh_pr_done_fn)(kh_pr_job *j);

struct kh_pr_job {
    /* asked */
    struct sockaddr_storage addr;
    socklen_t alen;
    const char *sni;            /* server name for TLS, NULL for an address */
    const char *prio;           /* GnuTLS priority string; NULL: plain TCP */
    const char *request;        /* bytes to send; NULL: connect (and handshake) only */
    kh_pr_done_fn done;         /* called once; the engine frees the job after it */
    void *ud;
    int tag;                    /* the caller's */
    /* answered */
    int result;
    int connected;              /* the TCP connection was made */
    char why[96];
    int tls_version;            /* gnutls_protocol_t, 0 when plain */
    int server_hello;           /* the server answered the TLS hello */
    int alert;                  /* the fatal TLS alert received, or -1 */
    kh_pr_cert cert;
    char *resp;                 /* up to KH_PR_MAX_RESP bytes read */
    size_t resp_len;
    /* the engine's */
    int fd, state;
    void *session;
    size_t sent;
    int64_t deadline;
    kh_pr_job *next;
};

#define KH_PR_MAX_RESP 16384

typedef struct kh_pr_engine kh_pr_engine;

int kh_probe__engine_new(kh_pr_engine **out, unsigned concurrency, unsigned timeout_ms);
/* Queue a job (also from a done callback). The engine owns it from here. */
void kh_probe__submit(kh_pr_engine *e, kh_pr_job *j);
/* Run until every job queued, and every job their callbacks queue, is done. */
int kh_probe__engine_run(kh_pr_engine *e);
void kh_probe__engine_free(kh_pr_engine *e);

/* --------------------------------------------------- probe.c and checks.c */

#include "core/arena.h"

/* The requests each open port gets, in this order. */
enum {
    KH_RQ_VERSION, KH_RQ_API, KH_RQ_APIS, KH_RQ_NAMESPACES, KH_RQ_PODS, KH_RQ_RUNNINGPODS,
    KH_RQ_EXEC, KH_RQ_METRICS, KH_RQ_PPROF, KH_RQ_HEALTHZ, KH_RQ_ETCD_RANGE, KH_RQ_N
};

/* What is known about the service on a port: by its number, then its answers. */
enum {
    KH_SV_UNKNOWN, KH_SV_API, KH_SV_KUBELET, KH_SV_KUBELET_RO, KH_SV_ETCD, KH_SV_ETCD_PEER,
    KH_SV_KCM, KH_SV_SCHED, KH_SV_PROXY, KH_SV_DASHBOARD, KH_SV_NODEPORT
};

/* TLS versions tried one by one. */
enum { KH_TV_10, KH_TV_11, KH_TV_12, KH_TV_13, KH_TV_N };

typedef struct kh_pr_answer {
    int asked;                 /* the request was sent */
    int result;                /* KH_PR_* of its connection */
    int status;                /* HTTP status, 0 when none parsed */
    int marked;                /* the body has what this endpoint answers with */
    int alert;                 /* TLS alert, -1 */
    char line[160];            /* the status line, or why there is none */
    char detail[128];          /* gitVersion, etcd's count, the start of an error body */
} kh_pr_answer;

typedef struct kh_pr_port {
    const char *host;          /* as given */
    const char *sni;           /* host when it is a name, else NULL */
    struct sockaddr_storage addr;
    socklen_t alen;
    char addrtext[64];         /* "127.0.0.1", "::1" */
    char target[80];           /* "127.0.0.1:10250", "[::1]:10250" */
    unsigned port;
    int service;               /* KH_SV_* */
    int open;                  /* connected */
    int closed_why;            /* KH_PR_REFUSED or KH_PR_TIMEOUT when not open */
    int tls;                   /* 1 TLS, 0 plain HTTP, -1 not HTTP/TLS */
    int client_cert_required;  /* a TLS alert refused us for want of a certificate */
    int tls_version;
    char tls_why[256];
    kh_pr_cert cert;
    int versions[KH_TV_N];     /* 1 accepted, 0 refused, -1 not known */
    kh_pr_answer ans[KH_RQ_N];
} kh_pr_port;

/* The request paths, for evidence ("GET /pods"). */
extern const char *const kh_probe__request_names[KH_RQ_N];
/* "API server", "kubelet", ... */
const char *kh_probe__service_name(int sv);
/* Judge one probed port at time @p now: append its results to the arena
 * array *@p items (kh_array__push), strings in @p arena.
 * @return 0 or KH_ENOMEM. */
int kh_probe__judge(const kh_pr_port *p, kh_arena *arena, kh_probe_result **items, size_t *n,
                    time_t now);

#endif
