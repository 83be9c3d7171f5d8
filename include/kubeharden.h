/*
 * kubeharden.h -- the public API of libkubeharden.
 *
 * Front ends (the CLI, the admission webhook, tests) include this header
 * and nothing else from the library. The shape is: configure a scanner,
 * feed it files or buffers, receive findings through a callback in a
 * deterministic order, and hand them to a report writer.
 *
 * Conventions: functions that can fail return 0 or a negative kh_code and
 * take a kh_error * (may be NULL) as their last argument. Constructors are
 * kh_<noun>_new(&out, ...); destructors kh_<noun>_free() accept NULL.
 */
#ifndef KUBEHARDEN_H
#define KUBEHARDEN_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KH_VERSION "0.1.0"

#if defined(__GNUC__)
#define KH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KH_PRINTF(a, b)
#endif

/* ------------------------------------------------------------------ errors */

/** Result codes. Append-only: values are never renumbered or reused. */
typedef enum kh_code {
    KH_OK = 0,          /**< success */
    KH_ENOMEM = -1,     /**< out of memory */
    KH_EIO = -2,        /**< a file could not be read or written */
    KH_EPARSE = -3,     /**< malformed YAML or JSON */
    KH_EINVALID = -4,   /**< well-formed input with an invalid value */
    KH_ELIMIT = -5,     /**< a safety limit was hit (alias expansion, depth, size) */
    KH_EUSAGE = -6,     /**< bad argument or option */
    KH_ECONFIG = -7,    /**< invalid configuration file */
    KH_ENOTFOUND = -8   /**< a named thing (rule, file) does not exist */
} kh_code;

/** An error with the input position it refers to. */
typedef struct kh_error {
    kh_code code;
    const char *file;   /**< input path, "<stdin>", or NULL; borrowed */
    unsigned line, col; /**< 1-based; 0 when unknown */
    char message[256];
} kh_error;

/** Set @p err (if not NULL); returns @p code so callers can `return kh_error_set(...)`. */
int kh_error_set(kh_error *err, kh_code code, const char *file, unsigned line,
                 unsigned col, const char *fmt, ...) KH_PRINTF(6, 7);

/** Format as "file:line:col: error: message" into @p buf. */
void kh_error_format(const kh_error *err, char *buf, size_t size);

/* ------------------------------------------------------------------ rules */

typedef enum kh_severity {
    KH_SEVERITY_INFO = 0,
    KH_SEVERITY_LOW = 1,
    KH_SEVERITY_MEDIUM = 2,
    KH_SEVERITY_HIGH = 3,
    KH_SEVERITY_CRITICAL = 4
} kh_severity;

/** "info", "low", ... */
const char *kh_severity_name(kh_severity s);
/** Parse a severity name (case-insensitive). @return 0 or KH_EUSAGE. */
int kh_severity_parse(kh_severity *out, const char *name);

typedef enum kh_area {
    KH_AREA_PSS = 0,
    KH_AREA_WORKLOAD,
    KH_AREA_IMAGE,
    KH_AREA_RBAC,
    KH_AREA_NETPOL,
    KH_AREA_HA,
    KH_AREA_CONTROLPLANE,
    KH_AREA_KUBELET,
    KH_AREA_MANIFEST,    /* the manifest text itself: duplicate keys */
    KH_AREA_AUDIT        /* audit events (kubeharden watch), never in a scan */
} kh_area;

const char *kh_area_name(kh_area a);
/** Parse an area name ("rbac"). @return 0 or KH_EUSAGE. */
int kh_area_parse(kh_area *out, const char *name);

/** Pod Security Standards levels, as the Pod Security admission names them. */
typedef enum kh_pss_level {
    KH_PSS_PRIVILEGED = 0,       /**< no restrictions (and: a rule outside the standards) */
    KH_PSS_BASELINE = 1,
    KH_PSS_RESTRICTED = 2
} kh_pss_level;

/** A rule's registry row, read-only, valid for the life of the program. */
typedef struct kh_rule_info {
    const char *id;
    kh_area area;
    kh_severity severity;
    const char *title;
    const char *why;
    const char *fix;
    const char *refs;
    const char *since;
} kh_rule_info;

/** Number of registered rules. */
size_t kh_rule_count(void);
/** The i-th rule in id order, or NULL when out of range. */
const kh_rule_info *kh_rule_at(size_t i);
/** Look a rule up by id; NULL when unknown. */
const kh_rule_info *kh_rule_find(const char *id);

/* --------------------------------------------------------------- findings */

/**
 * A place that explains a finding besides its own: the binding and the role
 * behind a grant, both ends of a reachability path, each step of an
 * escalation path. Strings are borrowed like the finding's.
 */
typedef struct kh_location {
    const char *file;            /**< input label; NULL when not from an input */
    unsigned line, col;          /**< 1-based; 0 when unknown */
    const char *kind;            /**< the object there, NULL when none */
    const char *namespace_;      /**< "" for cluster-scoped or unset */
    const char *name;
    const char *path;            /**< field path within that object, "" for the object */
    const char *message;         /**< what this place contributes, e.g. "grants 'get secrets'" */
} kh_location;

/**
 * One finding. Every string is borrowed and valid only during the
 * callback that receives it (copy what you keep). A parse error or other
 * input error is delivered as a finding with is_error set, rule_id
 * "error", and the message.
 */
typedef struct kh_finding {
    const char *rule_id;
    kh_severity severity;        /**< after config overrides */
    int is_error;                /**< 1 for an input error (then object fields may be NULL) */
    const char *file;            /**< "<stdin>" for standard input */
    unsigned line, col;          /**< 1-based position of the offending node */
    const char *api_version;     /**< of the object, NULL if absent */
    const char *kind;
    const char *namespace_;      /**< "" for cluster-scoped or unset */
    const char *name;
    const char *path;            /**< field path, e.g. spec.containers[0].securityContext.privileged */
    const char *message;
    const char *suppressed;      /**< the suppression reason, or NULL when active */
    const kh_location *related;  /**< related locations, in a meaningful order (a path's
                                  *   steps in sequence); NULL when nrelated is 0 */
    size_t nrelated;
} kh_finding;

/* ----------------------------------------------------------------- config */

/**
 * Configuration: which rules run, severity overrides and exclusions.
 * Loaded from a .kubeharden.yaml file or built empty (all rules, defaults).
 */
typedef struct kh_config kh_config;

/** An empty configuration (every rule enabled, default severities). */
int kh_config_new(kh_config **out, kh_error *err);

/**
 * Load a config file (at most 64 MiB; evidence files it names must be
 * regular files). On a bad file, @p err names file:line:col.
 * @return 0, KH_EIO, KH_ELIMIT (larger than 64 MiB) or KH_ECONFIG. Caller
 * frees with kh_config_free.
 */
int kh_config_load(kh_config **out, const char *path, kh_error *err);

/**
 * Find ".kubeharden.yaml" walking up from @p start_dir.
 * @return 0 and a malloc'd path in @p out (caller frees), or KH_ENOTFOUND.
 */
int kh_config_discover(char **out, const char *start_dir);

/**
 * Pod Security Standards level and version, as `--pss-level` and
 * `--pss-version` set them. @p level is "baseline" or "restricted" (the
 * default); at baseline the pss.restricted.* rules do not run. @p version is
 * "latest" (the default) or "v1.N": the checks behave as that Kubernetes
 * version's Pod Security admission does (a version newer than the newest
 * known one means latest). NULL leaves a setting unchanged.
 * @return 0 or KH_EUSAGE with a message naming the bad value.
 */
int kh_config_set_pss(kh_config *cfg, const char *level, const char *version,
                      kh_error *err);

/**
 * The Kubernetes version of the API server the objects are meant for, as
 * `--kube-version` sets it: "latest" (the default) or "v1.N". Some of what
 * the API server does to an object before Pod Security admission sees it
 * depends on its version: from 1.19 to 1.26 it copies a Pod's seccomp
 * annotations into securityContext.seccompProfile, and from 1.19 to 1.24
 * the fields into the annotations (docs/pss.md); the findings follow. The
 * Pod Security version also follows it unless kh_config_set_pss (or the
 * configuration's pss.version) gave one, as a namespace without an
 * enforce-version label gets the API server's own version.
 * @return 0 or KH_EUSAGE with a message naming the bad value.
 */
int kh_config_set_kube_version(kh_config *cfg, const char *version, kh_error *err);

/**
 * Run only the rules of the areas named by this and earlier calls (`scan
 * --area rbac`): rules of other areas are disabled, the named areas' rules
 * keep their state. Input errors are still reported. @return 0, or
 * KH_ENOTFOUND when no rule of @p area is enabled.
 */
int kh_config_only_area(kh_config *cfg, kh_area area, kh_error *err);

/** Enable only this rule (used by per-rule tests); may be called repeatedly. */
int kh_config_only_rule(kh_config *cfg, const char *rule_id, kh_error *err);

/**
 * Add a vulnerability report: the JSON that `trivy image -f json` or
 * `grype -o json` writes for one container image (docs/supply-chain.md).
 * Report images are matched to container images by digest when the
 * container's image has one, else by normalised name and tag; the rule
 * image.vulnerable then reports vulnerabilities at or above the
 * configuration's images.vulnerabilities.failOn (default high). May be
 * called repeatedly; the config file's images.vulnerabilities.reports
 * does the same.
 * The file is read whole, at most 64 MiB.
 * @return 0, KH_EIO, KH_ELIMIT, KH_EPARSE or KH_EINVALID with @p err naming
 * file:line:col; on error the configuration is unchanged.
 */
int kh_config_add_vuln_report(kh_config *cfg, const char *path, kh_error *err);

/**
 * Add signature evidence: the JSON list that `cosign verify --output json`
 * prints, or {"key": NAME, "results": LIST} for a key-based verification
 * (docs/supply-chain.md). An image counts as signed for
 * image.signature-missing only when it is pinned by digest and an entry
 * for that digest was made by a signer in images.trustedSigners. May be
 * called repeatedly. @return as kh_config_add_vuln_report.
 */
int kh_config_add_signatures(kh_config *cfg, const char *path, kh_error *err);

void kh_config_free(kh_config *cfg);

/* ---------------------------------------------------------------- scanner */

typedef struct kh_scanner kh_scanner;

/**
 * Receives each finding. Findings arrive in deterministic order: inputs in
 * the order given (directories walked in byte order of names), and within
 * an input in order of documents, then line, column and rule id.
 * Return 0 to go on, non-zero to stop the scan.
 */
typedef int (*kh_finding_cb)(const kh_finding *f, void *ud);

/**
 * Create a scanner. @p cfg is borrowed and must outlive the scanner (NULL
 * for the defaults). Caller frees with kh_scanner_free.
 */
int kh_scanner_new(kh_scanner **out, const kh_config *cfg, kh_finding_cb cb,
                   void *ud, kh_error *err);

/**
 * Scan a file, a directory (recursively: *.yaml, *.yml, *.json) or "-" for
 * standard input. A named path is read whatever it is (a FIFO is a
 * stream); a walk reads regular files only. Malformed documents are
 * delivered as error findings and the scan goes on; @return 0, or KH_EIO
 * when a path cannot be read or is not scanned (a FIFO or device found by
 * the walk, a directory over 256 levels deep, a path over PATH_MAX), each
 * also reported as an error finding naming it.
 */
int kh_scan_path(kh_scanner *s, const char *path, kh_error *err);

/** Scan an open stream; @p name labels findings. */
int kh_scan_stream(kh_scanner *s, FILE *in, const char *name, kh_error *err);

/** Scan a buffer in memory; @p name labels findings. */
int kh_scan_buffer(kh_scanner *s, const char *buf, size_t len,
                   const char *name, kh_error *err);

/**
 * Run the cluster-wide (set) rules over the objects kept since the last
 * call, deliver their findings, and start a new set. Per-object findings
 * have all been delivered by then. Set-rule findings come after them,
 * ordered by rule id, then by the object's input (in the order given),
 * line, column, field path and message. @return 0 or KH_ENOMEM.
 */
int kh_scanner_finish(kh_scanner *s, kh_error *err);

/**
 * How many threads a scan may use: 1 checks every document on the calling
 * thread; 2 (the default on a machine with more than one CPU) loads
 * documents on the calling thread while a second thread runs the rules and
 * the callback, for inputs of 4 MiB or more. Either way the callback is
 * never called concurrently, findings arrive in the same order, and all of
 * an input's findings have been delivered when kh_scan_* returns.
 * @return 0, or KH_EUSAGE for a count other than 1 or 2.
 */
int kh_scanner_set_threads(kh_scanner *s, int threads);

/** The outcome of kh_evaluate. */
typedef struct kh_verdict {
    int allowed;                 /**< 1 when no Pod Security check of the level failed
                                  *   and the input was read without error */
    size_t violations;           /**< findings of Pod Security rules at the level */
    size_t findings;             /**< every finding delivered (suppressed ones too) */
    size_t errors;               /**< input errors */
    size_t objects;              /**< objects checked */
} kh_verdict;

/**
 * Judge objects already in memory, the way the API server's Pod Security
 * admission would at @p level, and run every other enabled per-object rule
 * as a scan would. @p buf holds JSON or YAML: one object, or an envelope
 * (an AdmissionReview is judged by its request.object, a List by its
 * items); @p name labels findings ("<request>" when NULL).
 *
 * Made for servers: it never touches the file system, allocates only for
 * the call, and only reads @p cfg, so any number of threads may call it at
 * once with one configuration (which must not be changed or freed
 * meanwhile). @p cb runs on the calling thread, in the scanner's order.
 *
 * @p level: KH_PSS_PRIVILEGED runs no Pod Security rule. @p pss_version
 * is "latest" or "v1.N", or NULL for the configuration's. Rules disabled
 * and objects excluded by the configuration do not count against the
 * verdict; `ignore.kubeharden.io/` annotations do not change it (they are
 * written by the object's author, not the cluster's): their findings are
 * delivered as suppressed and still count as violations. Cluster-wide
 * (set) rules do not run.
 *
 * @return 0; KH_EPARSE or KH_EINVALID when the input (or an object in it)
 * could not be read, with @p err naming name:line:col (the verdict then
 * denies); KH_EUSAGE for a bad level or version. @p out may be NULL.
 */
int kh_evaluate(const kh_config *cfg, kh_pss_level level, const char *pss_version,
                const char *buf, size_t len, const char *name, kh_finding_cb cb,
                void *ud, kh_verdict *out, kh_error *err);

/** Counters of what the scanner has seen. */
typedef struct kh_scan_stats {
    size_t files, documents, objects, errors;
    size_t findings, suppressed;
    size_t by_severity[5];       /**< active findings, indexed by kh_severity */
    size_t bytes;
} kh_scan_stats;

void kh_scanner_stats(const kh_scanner *s, kh_scan_stats *out);

void kh_scanner_free(kh_scanner *s);

/* ---------------------------------------------------------------- cluster */

/**
 * A cluster as files describe it: the objects an analysis reads all at once
 * (`kubeharden rbac`, `netpol`, `ha` queries), read from files, directories
 * or standard input with the scanner's loader (envelopes, Lists and
 * `kubectl get -A -o yaml` dumps unwrapped) and kept whole in memory. No
 * rule runs. Analyses take a kh_cluster through their own headers
 * (include/kubeharden/).
 */
typedef struct kh_cluster kh_cluster;

/**
 * Keep the objects of @p kinds (NULL-terminated, at most 64; NULL keeps
 * every kind). Input errors go to @p on_error as error findings naming
 * file:line:col, as in a scan, and the other documents are still read;
 * @p on_error may be NULL.
 */
int kh_cluster_new(kh_cluster **out, const char *const *kinds, kh_finding_cb on_error,
                   void *ud, kh_error *err);
/**
 * Keep what the set rules of @p area read (the kinds their registry rows
 * name, projected to the fields they list), so a query sees exactly what
 * `scan --area` judges and a large dump costs only what the area needs.
 */
int kh_cluster_new_area(kh_cluster **out, kh_area area, kh_finding_cb on_error, void *ud,
                        kh_error *err);
/** Read a file, a directory or "-" for standard input (as kh_scan_path). */
int kh_cluster_load_path(kh_cluster *c, const char *path, kh_error *err);
/** Read a buffer in memory; @p name labels its objects. */
int kh_cluster_load_buffer(kh_cluster *c, const char *buf, size_t len, const char *name,
                           kh_error *err);
/** The number of objects kept. */
size_t kh_cluster_count(const kh_cluster *c);
/** The number of input errors delivered so far. */
size_t kh_cluster_errors(const kh_cluster *c);
void kh_cluster_free(kh_cluster *c);

/* ----------------------------------------------------------------- report */

typedef enum kh_format {
    KH_FORMAT_TEXT = 0,
    KH_FORMAT_JSON,
    KH_FORMAT_SARIF,
    KH_FORMAT_JUNIT,
    KH_FORMAT_POLICYREPORT   /**< wgpolicyk8s.io/v1alpha2 PolicyReports (docs/cluster.md) */
} kh_format;

/** Parse "text", "json", "sarif" or "junit". @return 0 or KH_EUSAGE. */
int kh_format_parse(kh_format *out, const char *name);

/**
 * A streaming report writer: findings are written as they are added (so
 * memory stays flat for any input size); kh_report_end writes the summary
 * and closes the document.
 */
typedef struct kh_report kh_report;

typedef struct kh_report_options {
    int color;                   /**< text only: ANSI colour */
    const char *tool_version;    /**< defaults to KH_VERSION */
    const char *api_server;      /**< the findings are of objects read from this API
                                  *   server (`scan --cluster`; their file is the
                                  *   object's API path): SARIF locates them
                                  *   relative to its URL. NULL: files */
} kh_report_options;

int kh_report_new(kh_report **out, kh_format fmt, FILE *dst,
                  const kh_report_options *opts, kh_error *err);
/** Write one finding (suitable as a kh_finding_cb through kh_report_finding_cb). */
int kh_report_add(kh_report *r, const kh_finding *f);
/** Adapter: `ud` is a kh_report *. */
int kh_report_finding_cb(const kh_finding *f, void *ud);
/** Close the document with a summary; @return 0 or KH_EIO if writing failed. */
int kh_report_end(kh_report *r, const kh_scan_stats *stats, kh_error *err);
void kh_report_free(kh_report *r);

/**
 * Write the registry as a JSON array, one object per rule with id, area,
 * severity, title, why, fix, refs and since. @return 0, or KH_EIO.
 */
int kh_rules_write_json(FILE *dst, kh_error *err);

/* -------------------------------------------------------------- admission */

/** What a webhook path does with a violation. */
typedef enum kh_mode {
    KH_MODE_ENFORCE = 0,         /**< deny the request */
    KH_MODE_WARN,                /**< allow, with warnings shown to the user */
    KH_MODE_AUDIT                /**< allow, with audit annotations only */
} kh_mode;

/** "enforce", "warn", "audit"; @return 0 or KH_EUSAGE. */
int kh_mode_parse(kh_mode *out, const char *name);
const char *kh_mode_name(kh_mode m);

/**
 * A webhook route: the Pod Security level, policy version and mode one
 * path judges with (`/validate/restricted?version=v1.30&mode=enforce`).
 */
typedef struct kh_route {
    kh_pss_level level;
    char version[16];            /**< "latest" or "v1.N" */
    kh_mode mode;
} kh_route;

/**
 * Parse a request path and query string (without '?', may be NULL or "")
 * into @p out: `/validate/<privileged|baseline|restricted>`, with optional
 * `version=latest|v1.N` (default latest) and `mode=enforce|warn|audit`
 * (default enforce); unknown parameters are errors.
 * @return 0, KH_ENOTFOUND for a path that is not a validate route, or
 * KH_EUSAGE with @p err naming the bad value.
 */
int kh_route_parse(kh_route *out, const char *path, const char *query, kh_error *err);

/** What kh_admission_review decided, for logs and metrics. */
typedef struct kh_admission_result {
    int allowed;                 /**< the response's `allowed` */
    int code;                    /**< the status code in the response: 200, or 403 when denied */
    int dry_run;                 /**< the request was a dry run */
    size_t violations;           /**< Pod Security violations (any mode) */
    size_t warnings;             /**< warnings in the response */
    char operation[16];          /**< "CREATE", "UPDATE", ... */
    char kind[64];               /**< the request's kind.kind, e.g. "Pod" */
    char uid[128];               /**< the request uid (echoed in the response) */
    kh_mode mode;                /**< the mode Pod Security violations were handled in
                                  *   (the route's, or the namespace's from the
                                  *   configuration; warn for a workload template
                                  *   judged under an enforce route) */
    char policy[32];             /**< "restricted:latest": the level:version judged with */
    char exempt[16];             /**< "user", "namespace", "runtimeClass", or "" */
    int evaluated;               /**< 1 when the object was judged (0 for DELETE, an
                                  *   ignored subresource, an update PSA ignores, an
                                  *   exemption) */
    size_t rule_violations;      /**< findings of rules outside Pod Security (any mode) */
    int denied_by_rules;         /**< 1 when a rule in enforce mode (not Pod Security)
                                  *   denied, alone or with Pod Security */
} kh_admission_result;

/**
 * Judge one AdmissionReview (`admission.k8s.io/v1` or `v1beta1`, JSON) and
 * write the AdmissionReview response, with the same apiVersion and uid, as
 * JSON into a malloc'd buffer (*out, *outlen; caller frees with free()).
 *
 * Pods are judged on CREATE and on UPDATE as the API server's Pod Security
 * admission does (an update that changes nothing Pod Security reads is
 * allowed); `pods/ephemeralcontainers` updates too; workload templates get
 * warnings and audit annotations (or are denied when the configuration says
 * so); other rules follow their per-rule mode in the configuration's
 * `admission` section. Denials list every violation in the API server's
 * PodSecurity wording with code 403. Findings go to @p cb (may be NULL) as
 * kh_evaluate delivers them. Thread-safe like kh_evaluate.
 *
 * @return 0 when a response was written (allowed or not); KH_EPARSE or
 * KH_EINVALID for a body that is not an AdmissionReview request (the
 * server answers 400 with @p err's message; nothing is written); KH_ENOMEM.
 */
int kh_admission_review(const kh_config *cfg, const kh_route *route, const char *body,
                        size_t len, kh_finding_cb cb, void *ud, char **out, size_t *outlen,
                        kh_admission_result *res, kh_error *err);

#ifdef __cplusplus
}
#endif
#endif
