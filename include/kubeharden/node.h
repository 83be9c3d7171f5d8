/*
 * kubeharden/node.h -- configuration audit of a Kubernetes node
 * (`kubeharden node`).
 *
 * kh_node_audit_run looks at a node's file system (the running machine, or
 * an offline copy under a root directory): the Kubernetes components that
 * run there (from ROOT/proc/<pid>/cmdline) and their static pod manifests
 * (ROOT/etc/kubernetes/manifests), the kubelet's KubeletConfiguration, the
 * files the CIS Kubernetes Benchmark names, listening sockets, the OS. It
 * evaluates the CIS Kubernetes Benchmark v1.12.0 checks of sections 1-4
 * and kubeharden's own node checks, and returns one result per check:
 * PASS, FAIL, WARN (a manual check that needs review, or a component that
 * is not there) or INFO, each with its evidence and the fix. docs/node.md
 * lists every check.
 */
#ifndef KUBEHARDEN_NODE_H
#define KUBEHARDEN_NODE_H

#include "kubeharden.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kh_node_status {
    KH_NODE_PASS = 0,
    KH_NODE_FAIL,
    KH_NODE_WARN,        /**< manual check to review, or component absent */
    KH_NODE_INFO         /**< an observation (OS, unknown listener) */
} kh_node_status;

/** "PASS", "FAIL", "WARN", "INFO". */
const char *kh_node_status_name(kh_node_status s);

/** One check's result. Strings live as long as the audit. */
typedef struct kh_node_result {
    const char *id;          /**< "cis.1.2.5", or "node.<area>.<name>" for kubeharden's own */
    const char *section;     /**< "1.2", "4.1", ... or "node" */
    const char *title;
    const char *component;   /**< "kube-apiserver", "kubelet", "etcd", "node", ... */
    kh_node_status status;
    kh_severity severity;    /**< of a FAIL; WARN and INFO results are info */
    int automated;           /**< CIS "Automated" (1) or "Manual" (0) */
    const char *evidence;    /**< what was found: "--anonymous-auth=true", "mode 0644" */
    const char *expected;    /**< what the check wants */
    const char *fix;         /**< how to fix */
    const char *file;        /**< where the evidence is (a node path: manifest,
                              *   config file, /proc/<pid>/cmdline, checked file);
                              *   "" when nowhere in particular */
    unsigned line, col;      /**< 1-based in @c file; 0 when not a text position */
    const char *path;        /**< the flag or key: "--anonymous-auth",
                              *   "authentication.anonymous.enabled"; "" when none */
} kh_node_result;

/** A component found on the node. */
typedef struct kh_node_component {
    const char *name;        /**< "kube-apiserver", "etcd", "containerd", ... */
    int pid;                 /**< 0 when only its static pod manifest was found */
    const char *manifest;    /**< node path of its static pod manifest, or NULL */
    const char *source;      /**< what describes it: "/proc/<pid>/cmdline", the
                              *   manifest, or the kubelet's systemd unit when it
                              *   does not run */
} kh_node_component;

typedef struct kh_node_audit kh_node_audit;

/**
 * Audit the node whose file system is at @p root ("/" for this machine;
 * NULL means "/"). Every path is read under @p root, symbolic links
 * included (an absolute link target is taken relative to @p root).
 * Inputs that cannot be parsed (a malformed manifest or kubelet
 * configuration) are kept as errors (kh_node_audit_error) and the audit
 * goes on. @return 0, KH_EIO when @p root is not a directory, or KH_ENOMEM.
 */
int kh_node_audit_run(kh_node_audit **out, const char *root, kh_error *err);

/** Results, sorted by section, then by check id (numerically), then file. */
size_t kh_node_audit_count(const kh_node_audit *a);
const kh_node_result *kh_node_audit_result(const kh_node_audit *a, size_t i);

/** Components found, in the order of kh_node_audit's component table. */
size_t kh_node_audit_components(const kh_node_audit *a);
const kh_node_component *kh_node_audit_component(const kh_node_audit *a, size_t i);

/** Input errors (file:line:col and message). */
size_t kh_node_audit_errors(const kh_node_audit *a);
const kh_error *kh_node_audit_error(const kh_node_audit *a, size_t i);

/**
 * The result as a finding for the report writers: rule_id is the check
 * id, the location is the evidence's ("<node>" when none), kind the
 * component, name "CIS <section>" or "node checks", message the status,
 * the evidence, the expectation and the fix. The finding borrows from
 * @p r and from @p buf (at least 1024 bytes), which holds the message.
 */
void kh_node_result_finding(const kh_node_result *r, kh_finding *f, char *buf, size_t size);

void kh_node_audit_free(kh_node_audit *a);

#ifdef __cplusplus
}
#endif
#endif
