/*
 * kubeharden/client.h -- read a live cluster through its API server.
 *
 * The client finds its cluster as kubectl does (kubeconfig files merged in
 * kubectl's order, or the pod's service account), lists the kinds the
 * rules judge page by page and hands each page to a scanner as it arrives,
 * so memory follows one page, not the cluster. Findings name the object's
 * API path (/apis/apps/v1/namespaces/shop/deployments/web) where a file
 * scan names a file. docs/cluster.md describes every rule it follows.
 */
#ifndef KUBEHARDEN_CLIENT_H
#define KUBEHARDEN_CLIENT_H

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kh_client_options {
    const char *kubeconfig;     /**< --kubeconfig: this file only; NULL: $KUBECONFIG,
                                 *   else ~/.kube/config, else the pod's service account */
    const char *context;        /**< --context; NULL: the current context */
    const char *namespace_;     /**< -n: read only this namespace; NULL: all */
    const char *const *kinds;   /**< NULL-terminated kinds to read; NULL: the kinds the
                                 *   rules judge (kh_client_default_kinds) */
    long timeout_ms;            /**< per request; 0: 60 s */
    int threads;                /**< as kh_scanner_set_threads; 0: the default */
    FILE *warnings;             /**< warnings (insecure TLS, skipped kinds); NULL: stderr */
} kh_client_options;

typedef struct kh_client kh_client;

/**
 * Load the configuration and prepare the connection; no request is made.
 * @return 0, KH_ECONFIG (a bad or missing kubeconfig, an unknown context,
 * no cluster configured), KH_EIO (an unreadable credential file) or
 * KH_ENOMEM, with @p err saying which.
 */
int kh_client_new(kh_client **out, const kh_client_options *opts, kh_error *err);

/** The server URL the client talks to (for messages). */
const char *kh_client_server(const kh_client *c);

/** The kinds read when kh_client_options.kinds is NULL, NULL-terminated. */
const char *const *kh_client_default_kinds(void);

/**
 * Scan the cluster: discover which of the kinds the server has (their
 * preferred version), list each with pagination and scan every page with
 * the rules of @p cfg, then run the cluster-wide rules. Findings reach
 * @p cb with `file` set to the object's API path, `line`/`col` 0 and `path`
 * relative to the object. A kind that cannot be listed (403, a Status the
 * server sent) is delivered as an error finding naming its collection and
 * the scan goes on. Secrets are never read.
 * @return 0, or a negative kh_code when the cluster could not be read at
 * all (discovery or authentication failed), with @p err holding the
 * server's Status message. @p stats may be NULL.
 */
int kh_client_scan(kh_client *c, const kh_config *cfg, kh_finding_cb cb, void *ud,
                   kh_scan_stats *stats, kh_error *err);

/**
 * Read what the cluster-wide rules of @p area read (or the options' kinds,
 * when given) into @p cluster, for the rbac, netpol and ha queries. Each
 * object is labelled with its API path. @return 0, or the error of a kind
 * that could not be read (the server's Status message in @p err): a query
 * over part of the cluster would answer wrongly.
 */
int kh_client_load(kh_client *c, kh_cluster *cluster, kh_area area, kh_error *err);

/**
 * Server-side apply (PATCH, application/apply-patch+yaml, fieldManager
 * kubeharden, force) every PolicyReport and ClusterPolicyReport of @p list,
 * the JSON `kind: List` that `-o policyreport` writes. @p applied counts
 * the reports the server took. @return 0 or the first failure, with the
 * server's Status message (a 404 when the wgpolicyk8s.io CRDs are absent).
 */
int kh_client_apply(kh_client *c, const char *list, size_t len, size_t *applied,
                    kh_error *err);

void kh_client_free(kh_client *c);

#ifdef __cplusplus
}
#endif

#endif
