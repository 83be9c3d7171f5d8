/*
 * kubeharden/probe.h -- what an attacker on the network sees of a cluster's
 * nodes (`kubeharden probe HOST[:PORT]...`).
 *
 * kh_probe_run connects to the well-known Kubernetes ports of each host
 * given (or the one port given with it), finds out whether each open port
 * speaks plain HTTP or TLS, which TLS versions it accepts and which
 * certificate it shows, and which read-only requests work without
 * credentials (API discovery and namespaces, the kubelet's pods, exec
 * handler, metrics and pprof, an etcd key read). Every observation that
 * is a risk is a result with its evidence; docs/probe.md lists them.
 *
 * Read-only and bounded: only GET requests and one read-only POST (etcd's
 * v3 range), no redirect followed, only the addresses the given names
 * resolve to (once), connect and read timeouts, a concurrency limit.
 */
#ifndef KUBEHARDEN_PROBE_H
#define KUBEHARDEN_PROBE_H

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kh_probe_options {
    const unsigned short *ports; /**< ports to probe on a bare HOST; NULL: the well-known list */
    size_t nports;
    int nodeports;               /**< also 30000-32767 on a bare HOST */
    unsigned timeout_ms;         /**< connect, and then the whole exchange; 0: 2000 */
    unsigned concurrency;        /**< connections at once; 0: 32 */
} kh_probe_options;

/** One result: a risk seen on one port, or (probe.open-port) the port itself. */
typedef struct kh_probe_result {
    const char *id;          /**< "probe.anonymous-api", ... */
    const char *title;
    kh_severity severity;
    const char *target;      /**< "ADDRESS:PORT" ("[v6]:PORT") */
    const char *host;        /**< the name given on the command line */
    unsigned port;
    const char *service;     /**< "kubelet", "API server", "etcd", ... or "unknown" */
    const char *request;     /**< "GET /pods", "TLS 1.0 handshake", "" */
    const char *evidence;    /**< status line, TLS version, certificate fields */
    const char *fix;
} kh_probe_result;

typedef struct kh_probe kh_probe;

/**
 * Probe @p targets ("HOST", "HOST:PORT", "[V6]:PORT"; n of them). Each HOST
 * is resolved once; every address it resolves to is probed and no other.
 * @return 0, KH_EUSAGE (a malformed target or option, a name that does not
 * resolve), or KH_ENOMEM.
 */
int kh_probe_run(kh_probe **out, const char *const *targets, size_t n,
                 const kh_probe_options *opts, kh_error *err);

/** Results, in the order of the targets, then address, port, check. */
size_t kh_probe_count(const kh_probe *p);
const kh_probe_result *kh_probe_result_at(const kh_probe *p, size_t i);

/** Ports tried and ports found open. */
size_t kh_probe_tried(const kh_probe *p);
size_t kh_probe_open(const kh_probe *p);

/**
 * The result as a finding: rule_id the check id, file the target
 * ("127.0.0.1:10250"), kind the service, name the host given, path the
 * request, message the evidence and the fix (in @p buf, at least 1024
 * bytes). Borrows from @p r and @p buf.
 */
void kh_probe_result_finding(const kh_probe_result *r, kh_finding *f, char *buf, size_t size);

void kh_probe_free(kh_probe *p);

#ifdef __cplusplus
}
#endif
#endif
