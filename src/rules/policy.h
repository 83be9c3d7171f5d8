/*
 * policy.h -- what the configuration tells the rules beyond on/off and
 * severity: trusted registries and signers, signature evidence, the
 * vulnerability index built from Trivy and Grype reports, and extra
 * pod-template locations for custom resources.
 *
 * The configuration (src/scan) fills it and owns its memory; rules read it
 * through kh_rule_ctx.policy and the lookups below, never write it.
 */
#ifndef KH_RULES_POLICY_H
#define KH_RULES_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s/imageref.h"
#include "k8s/k8s.h"
#include "kubeharden.h"

/* One vulnerability of a scanned image. */
typedef struct kh_vuln {
    const char *id;              /* "CVE-2024-1234", "GHSA-..." */
    kh_severity severity;        /* highest severity any report gave it */
} kh_vuln;

/* One image that a Trivy or Grype report scanned. */
typedef struct kh_vuln_image {
    const char *source;          /* the report file */
    const char **names;          /* normalised "domain/path:tag" */
    size_t nnames;
    const char **digests;        /* "sha256:<hex>" */
    size_t ndigests;
    kh_vuln *vulns;              /* unique ids */
    size_t nvulns;
} kh_vuln_image;

/* A trusted signer: a keyless identity (issuer + subject glob) or the
 * name of a key given with key-based evidence. */
typedef struct kh_signer {
    const char *issuer;
    const char *subject;         /* fnmatch(3) glob */
    const char *key;
} kh_signer;

/* One verified signature from a cosign verification result. */
typedef struct kh_signature {
    const char *repository;      /* normalised name it was made for; NULL = not stated */
    const char *digest;          /* the signed manifest digest */
    const char *issuer;          /* keyless: certificate OIDC issuer, else NULL */
    const char *subject;         /* keyless: certificate subject (first SAN) */
    const char *key;             /* key-based: the envelope's key name, else NULL */
} kh_signature;

/* One isolation assertion (netpol.isolation): the pods of namespaces that
 * @p namespaces selects accept connections only from namespaces that
 * @p allow_from selects (and their own, unless deny_same_namespace), and
 * only on @p ports when any are given. Selectors are metav1.LabelSelector
 * nodes of the configuration's tree. */
typedef struct kh_netpol_isolation {
    const char *name;
    const kh_node *namespaces;
    const kh_node *allow_from;
    struct kh_netpol_port {
        uint8_t proto;               /* 0 TCP, 1 UDP, 2 SCTP */
        uint16_t lo, hi;
    } *ports;
    size_t nports;
    bool deny_same_namespace;
} kh_netpol_isolation;

typedef struct kh_policy {
    const char **registries;     /* images.trustedRegistries */
    size_t nregistries;
    bool registries_set;         /* the list was given (even empty) */
    kh_signer *signers;          /* images.trustedSigners */
    size_t nsigners;
    bool signers_set;
    kh_signature *signatures;    /* --signatures / images.signatures */
    size_t nsignatures;
    kh_vuln_image *vuln_images;  /* --vuln-report / images.vulnerabilities.reports */
    size_t nvuln_images;
    bool vuln_reports_given;     /* at least one report was loaded */
    kh_severity vuln_fail_on;    /* images.vulnerabilities.failOn (default high) */
    bool vuln_require_report;    /* images.vulnerabilities.requireReport */
    kh_pod_template_loc *templates; /* workloads.podTemplates */
    size_t ntemplates;
    kh_netpol_isolation *netpol_isolations; /* netpol.isolation */
    size_t nnetpol_isolations;
    struct kh_watch_policy *watch; /* watch: (src/watch/event.h), NULL when absent */
} kh_policy;

/* The allow-list entry that trusts repository @p name, or NULL. */
const char *kh_policy__trusted_registry(const kh_policy *p, const char *name);

typedef enum kh_signature_status {
    KH_SIGNED = 0,               /* a trusted signer signed this digest */
    KH_SIGNATURE_NO_DIGEST,      /* no digest: a signature cannot be tied to the image */
    KH_SIGNATURE_NONE,           /* no evidence for this digest */
    KH_SIGNATURE_UNTRUSTED       /* evidence, but no trusted signer among it */
} kh_signature_status;

/* Is @p ref signed by a trusted signer? When untrusted, *who names one of
 * the identities that did sign (for the message). */
kh_signature_status kh_policy__signature(const kh_policy *p, const kh_imageref *ref,
                                         const char **who);

/* The scanned images that @p ref is: by digest when it has one (only a
 * report naming that digest counts), else by name and tag (no tag is
 * "latest"). Fills up to @p max pointers; @return how many matched. */
size_t kh_policy__vuln_images(const kh_policy *p, const kh_imageref *ref,
                              const kh_vuln_image **out, size_t max);

/* Severity names as the scanners write them: Trivy's UNKNOWN, LOW, MEDIUM,
 * HIGH, CRITICAL and Grype's Unknown, Negligible, Low, Medium, High,
 * Critical (any case). Unknown and negligible are info. @return 0 or -1. */
int kh_policy__scanner_severity(const char *name, kh_severity *out);

#endif
