/*
 * server.h -- the admission webhook server behind `kubeharden serve`:
 * HTTPS on libmicrohttpd and GnuTLS, routes /validate/<level>, /healthz,
 * /readyz and /metrics. Shared between the files of src/server and
 * cmd_serve.c; like the CLI it sees the library only through kubeharden.h.
 */
#ifndef KH_SERVER_H
#define KH_SERVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "kubeharden.h"

/* What `kubeharden serve` was told, validated by cmd_serve.c. */
struct kh_server_options {
    const char *cert_file, *key_file;  /* required */
    const char *client_ca_file;        /* NULL: no client certificates asked for */
    const char *bind_address;          /* numeric IPv4 or IPv6 */
    unsigned port;
    int tls13_only;                    /* --tls-min-version VersionTLS13 */
    size_t max_body_bytes;
    unsigned max_in_flight, max_connections, threads;
    unsigned max_connections_per_ip;   /* 0: no per-address bound */
    unsigned read_timeout_s;           /* inactivity, whole seconds (libmicrohttpd's unit) */
    uint64_t request_timeout_ms;       /* accept to first request line; request line to complete body */
    uint64_t grace_ms;                 /* SIGTERM to exit */
    const kh_config *cfg;              /* borrowed, read-only while serving */
    /* `kubeharden watch --listen`: POST /audit takes the API server's audit
     * webhook batches (EventList JSON) and hands each body to this function
     * (any thread; it serialises itself); 0 answers 200, else 400 with
     * @p err. NULL: no /audit route. */
    int (*audit)(void *ud, const char *body, size_t len, uint64_t request_id, kh_error *err);
    /* More Prometheus text appended to /metrics (malloc'd; NULL: none). */
    char *(*extra_metrics)(void *ud);
    void *audit_ud;
};

/* Serve until SIGTERM or SIGINT, then drain. @return 0 on a clean exit,
 * non-zero (with a message on stderr) when the server could not start. */
int kh_server__run(const struct kh_server_options *opts);

/* ------------------------------------------------------------------ tls.c */

struct kh_tls;

/* Read and check the certificate chain and key (and the client CA, when
 * given); the message in @p why (size @p n) names the file at fault. */
int kh_tls__new(struct kh_tls **out, const struct kh_server_options *opts, char *why, size_t n);
/* The GnuTLS priority string for the minimum version (validated at start). */
const char *kh_tls__priorities(const struct kh_tls *t);
/* PEM text of the client CA, or NULL. */
const char *kh_tls__client_ca(const struct kh_tls *t);
/* The callback libmicrohttpd gives each handshake (MHD_OPTION_HTTPS_CERT_CALLBACK). */
gnutls_certificate_retrieve_function2 *kh_tls__cert_callback(void);
/* Reload when the files changed since the last load (or @p force);
 * @return 1 reloaded, 0 unchanged, -1 changed but unreadable (old kept). */
int kh_tls__maybe_reload(struct kh_tls *t, int force, char *why, size_t n);
/* The current leaf certificate's notAfter (unix seconds). */
int64_t kh_tls__expiry(const struct kh_tls *t);
/* Ask for and require a verified client certificate on this session. */
void kh_tls__require_client_cert(gnutls_session_t session);
void kh_tls__free(struct kh_tls *t);

/* -------------------------------------------------------------- metrics.c */

enum { KH_DECISION_ALLOWED, KH_DECISION_DENIED, KH_DECISION_WARNED, KH_DECISION_AUDITED,
       KH_DECISION_COUNT };

struct kh_metrics;

int kh_metrics__new(struct kh_metrics **out);
void kh_metrics__free(struct kh_metrics *m);
/* One judged review. */
void kh_metrics__review(struct kh_metrics *m, const kh_route *r, int decision, double seconds);
/* A finding delivered for a rule (by id). */
void kh_metrics__rule(struct kh_metrics *m, const char *rule_id);
/* Every response by HTTP status. */
void kh_metrics__response(struct kh_metrics *m, unsigned status);
/* A request refused before it was judged: "in_flight", "body_too_large", "timeout", "draining". */
void kh_metrics__reject(struct kh_metrics *m, const char *reason);

/* Gauges the writer reads at scrape time. */
struct kh_metrics_gauges {
    long in_flight, connections;
    unsigned max_in_flight;
    int ready;
    int64_t cert_expiry;
    unsigned long cert_reloads;
};

/* The Prometheus text exposition (version 0.0.4), malloc'd. */
char *kh_metrics__render(struct kh_metrics *m, const struct kh_metrics_gauges *g, size_t *len);

/* ------------------------------------------------------------------ log.c */

/* One JSON object per line on stderr, written whole with one write(2).
 * @p fields is ready JSON members (`"k":v,...`) without braces, or "". */
void kh_log__line(const char *level, const char *msg, const char *fields);
/* Append @p s as a JSON string (quoted, escaped) to @p buf of size @p n at *@p pos. */
void kh_log__str(char *buf, size_t n, size_t *pos, const char *s);

#endif
