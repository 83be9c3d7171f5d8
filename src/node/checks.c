/*
 * checks.c -- the CIS Kubernetes Benchmark v1.12.0, sections 1-4, as a table.
 *
 * One row per check: its number, component, whether CIS calls it Automated
 * or Manual, how to evaluate it (a component flag with the component's own
 * default when the flag is absent, a kubelet setting resolved as the
 * kubelet resolves it, a file's mode or owner, or a function), what it
 * expects and the fix. The facts (flag, expected value) follow the
 * benchmark as kube-bench's cfg/cis-1.12 states it; the wording is ours.
 * Where kube-bench passes an absent flag whose default is unsafe
 * (--bind-address of the controller manager and scheduler defaults to
 * 0.0.0.0, --rotate-certificates to false), the default is judged.
 * A failing Manual check is a WARN (it needs review), an Automated one a
 * FAIL; a check of a component that is not on the node is a WARN.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "node/audit.h"

enum { K_FLAG, K_KUBELET, K_PERM, K_OWNER, K_FN, K_MANUAL };
enum {
    OP_SET, OP_UNSET, OP_EQ, OP_NE, OP_GTE, OP_HAS, OP_NOTHAS, OP_VALID, OP_GATE, OP_DUR_NONZERO,
    OP_LOCAL, OP_GT0
};

struct check;
typedef void (*check_fn)(kh_nd_ctx *c, const struct check *k);

struct check {
    const char *id;
    int comp;               /* KH_ND_*, or -1 for the node */
    int automated;
    kh_severity sev;
    int kind;
    const char *key;        /* flag (without "--"), kubelet flag, or file source */
    int op;
    const char *arg;        /* the operand; for K_PERM the mode, K_OWNER "user:group" */
    const char *def;        /* K_FLAG: the component's default when the flag is absent */
    const char *key2;       /* a second flag that must also be set (OP_SET) */
    const char *title;
    const char *fix;
    check_fn fn;
};

static void fn_encryption(kh_nd_ctx *c, const struct check *k);
static void fn_audit_policy(kh_nd_ctx *c, const struct check *k);
static void fn_proxy_metrics(kh_nd_ctx *c, const struct check *k);

#define A 1 /* Automated */
#define M 0 /* Manual */
#define LOW KH_SEVERITY_LOW
#define MED KH_SEVERITY_MEDIUM
#define HIGH KH_SEVERITY_HIGH
#define CRIT KH_SEVERITY_CRITICAL
#define API KH_ND_APISERVER
#define KCM KH_ND_CONTROLLER_MANAGER
#define SCHED KH_ND_SCHEDULER
#define ETCD KH_ND_ETCD
#define KUBELET KH_ND_KUBELET
#define PROXY KH_ND_PROXY

#define STRONG_API_CIPHERS                                                                   \
    "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,"            \
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,"       \
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,"  \
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"           \
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
#define STRONG_KUBELET_CIPHERS                                                                \
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"          \
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"           \
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"

/* File sources for K_PERM / K_OWNER:
 *   manifest       the component's static pod manifest
 *   conf:P1|P2     fixed node paths, each checked when it exists
 *   kubeconfig:P   the component's --kubeconfig, else P
 *   etcd-data      etcd's --data-dir
 *   pki:SUFFIX     /etc/kubernetes/pki and below (SUFFIX "" for all, dirs included)
 *   cni            the files in /etc/cni/net.d
 *   svc:P1|P2      the first of these that exists (kubelet service file)
 *   kubelet-config the kubelet's --config
 *   kubelet-ca     the kubelet's client CA file, else /etc/kubernetes/pki/ca.crt
 *   proxy-kubeconfig  kube-proxy's --kubeconfig, when it has one */
#define KUBELET_SVC "svc:/etc/systemd/system/kubelet.service.d/10-kubeadm.conf|" \
                    "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf|"  \
                    "/etc/systemd/system/kubelet.service|/lib/systemd/system/kubelet.service"

static const struct check checks[] = {
    /* 1.1 Control plane node configuration files */
    {"1.1.1", API, A, MED, K_PERM, "manifest", 0, "600", 0, 0, "API server pod specification file permissions are 600 or more restrictive", "chmod 600 the kube-apiserver manifest"},
    {"1.1.2", API, A, MED, K_OWNER, "manifest", 0, "root:root", 0, 0, "API server pod specification file is owned by root:root", "chown root:root the kube-apiserver manifest"},
    {"1.1.3", KCM, A, MED, K_PERM, "manifest", 0, "600", 0, 0, "Controller manager pod specification file permissions are 600 or more restrictive", "chmod 600 the kube-controller-manager manifest"},
    {"1.1.4", KCM, A, MED, K_OWNER, "manifest", 0, "root:root", 0, 0, "Controller manager pod specification file is owned by root:root", "chown root:root the kube-controller-manager manifest"},
    {"1.1.5", SCHED, A, MED, K_PERM, "manifest", 0, "600", 0, 0, "Scheduler pod specification file permissions are 600 or more restrictive", "chmod 600 the kube-scheduler manifest"},
    {"1.1.6", SCHED, A, MED, K_OWNER, "manifest", 0, "root:root", 0, 0, "Scheduler pod specification file is owned by root:root", "chown root:root the kube-scheduler manifest"},
    {"1.1.7", ETCD, A, MED, K_PERM, "manifest", 0, "600", 0, 0, "etcd pod specification file permissions are 600 or more restrictive", "chmod 600 the etcd manifest"},
    {"1.1.8", ETCD, A, MED, K_OWNER, "manifest", 0, "root:root", 0, 0, "etcd pod specification file is owned by root:root", "chown root:root the etcd manifest"},
    {"1.1.9", -1, M, MED, K_PERM, "cni", 0, "600", 0, 0, "Container Network Interface files have permissions 600 or more restrictive", "chmod 600 the files in /etc/cni/net.d"},
    {"1.1.10", -1, M, MED, K_OWNER, "cni", 0, "root:root", 0, 0, "Container Network Interface files are owned by root:root", "chown root:root the files in /etc/cni/net.d"},
    {"1.1.11", ETCD, A, HIGH, K_PERM, "etcd-data", 0, "700", 0, 0, "etcd data directory permissions are 700 or more restrictive", "chmod 700 the etcd --data-dir"},
    {"1.1.12", ETCD, A, MED, K_OWNER, "etcd-data", 0, "etcd:etcd", 0, 0, "etcd data directory is owned by etcd:etcd", "chown etcd:etcd the etcd --data-dir"},
    {"1.1.13", -1, A, HIGH, K_PERM, "conf:/etc/kubernetes/admin.conf|/etc/kubernetes/super-admin.conf", 0, "600", 0, 0, "Administrative kubeconfig files have permissions 600", "chmod 600 /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf"},
    {"1.1.14", -1, A, HIGH, K_OWNER, "conf:/etc/kubernetes/admin.conf|/etc/kubernetes/super-admin.conf", 0, "root:root", 0, 0, "Administrative kubeconfig files are owned by root:root", "chown root:root /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf"},
    {"1.1.15", SCHED, A, MED, K_PERM, "kubeconfig:/etc/kubernetes/scheduler.conf", 0, "600", 0, 0, "scheduler.conf permissions are 600 or more restrictive", "chmod 600 the scheduler's --kubeconfig"},
    {"1.1.16", SCHED, A, MED, K_OWNER, "kubeconfig:/etc/kubernetes/scheduler.conf", 0, "root:root", 0, 0, "scheduler.conf is owned by root:root", "chown root:root the scheduler's --kubeconfig"},
    {"1.1.17", KCM, A, MED, K_PERM, "kubeconfig:/etc/kubernetes/controller-manager.conf", 0, "600", 0, 0, "controller-manager.conf permissions are 600 or more restrictive", "chmod 600 the controller manager's --kubeconfig"},
    {"1.1.18", KCM, A, MED, K_OWNER, "kubeconfig:/etc/kubernetes/controller-manager.conf", 0, "root:root", 0, 0, "controller-manager.conf is owned by root:root", "chown root:root the controller manager's --kubeconfig"},
    {"1.1.19", -1, A, MED, K_OWNER, "pki:", 0, "root:root", 0, 0, "Kubernetes PKI directory and files are owned by root:root", "chown -R root:root /etc/kubernetes/pki/"},
    {"1.1.20", -1, M, MED, K_PERM, "pki:.crt", 0, "644", 0, 0, "Kubernetes PKI certificate files have permissions 644 or more restrictive", "chmod 644 /etc/kubernetes/pki/*.crt"},
    {"1.1.21", -1, M, HIGH, K_PERM, "pki:.key", 0, "600", 0, 0, "Kubernetes PKI key files have permissions 600", "chmod 600 /etc/kubernetes/pki/*.key"},

    /* 1.2 API server */
    {"1.2.1", API, M, HIGH, K_FLAG, "anonymous-auth", OP_EQ, "false", "true", 0, "Anonymous requests to the API server are refused", "set --anonymous-auth=false (or restrict anonymous access with an AuthenticationConfiguration)"},
    {"1.2.2", API, A, HIGH, K_FLAG, "token-auth-file", OP_UNSET, 0, 0, 0, "Static token authentication is not used", "remove --token-auth-file; use another authenticator"},
    {"1.2.3", API, M, MED, K_FLAG, "enable-admission-plugins", OP_HAS, "DenyServiceExternalIPs", 0, 0, "The DenyServiceExternalIPs admission plugin is enabled", "add DenyServiceExternalIPs to --enable-admission-plugins"},
    {"1.2.4", API, A, HIGH, K_FLAG, "kubelet-client-certificate", OP_SET, 0, 0, "kubelet-client-key", "The API server authenticates to kubelets with a client certificate", "set --kubelet-client-certificate and --kubelet-client-key"},
    {"1.2.5", API, A, HIGH, K_FLAG, "kubelet-certificate-authority", OP_SET, 0, 0, 0, "The API server verifies kubelet serving certificates", "set --kubelet-certificate-authority to the CA of the kubelets' serving certificates"},
    {"1.2.6", API, A, CRIT, K_FLAG, "authorization-mode", OP_NOTHAS, "AlwaysAllow", "AlwaysAllow", 0, "API server authorization is not AlwaysAllow", "set --authorization-mode=Node,RBAC"},
    {"1.2.7", API, A, HIGH, K_FLAG, "authorization-mode", OP_HAS, "Node", "AlwaysAllow", 0, "API server authorization includes Node", "add Node to --authorization-mode"},
    {"1.2.8", API, A, HIGH, K_FLAG, "authorization-mode", OP_HAS, "RBAC", "AlwaysAllow", 0, "API server authorization includes RBAC", "add RBAC to --authorization-mode"},
    {"1.2.9", API, M, LOW, K_FLAG, "enable-admission-plugins", OP_HAS, "EventRateLimit", 0, 0, "The EventRateLimit admission plugin is enabled", "add EventRateLimit to --enable-admission-plugins and configure it with --admission-control-config-file"},
    {"1.2.10", API, A, HIGH, K_FLAG, "enable-admission-plugins", OP_NOTHAS, "AlwaysAdmit", "", 0, "The AlwaysAdmit admission plugin is not enabled", "remove AlwaysAdmit from --enable-admission-plugins"},
    {"1.2.11", API, M, LOW, K_FLAG, "enable-admission-plugins", OP_HAS, "AlwaysPullImages", 0, 0, "The AlwaysPullImages admission plugin is enabled", "add AlwaysPullImages to --enable-admission-plugins"},
    {"1.2.12", API, A, MED, K_FLAG, "disable-admission-plugins", OP_NOTHAS, "ServiceAccount", "", 0, "The ServiceAccount admission plugin is not disabled", "remove ServiceAccount from --disable-admission-plugins"},
    {"1.2.13", API, A, MED, K_FLAG, "disable-admission-plugins", OP_NOTHAS, "NamespaceLifecycle", "", 0, "The NamespaceLifecycle admission plugin is not disabled", "remove NamespaceLifecycle from --disable-admission-plugins"},
    {"1.2.14", API, A, HIGH, K_FLAG, "enable-admission-plugins", OP_HAS, "NodeRestriction", 0, 0, "The NodeRestriction admission plugin is enabled", "add NodeRestriction to --enable-admission-plugins"},
    {"1.2.15", API, A, MED, K_FLAG, "profiling", OP_EQ, "false", "true", 0, "API server profiling is off", "set --profiling=false"},
    {"1.2.16", API, A, HIGH, K_FLAG, "audit-log-path", OP_SET, 0, 0, 0, "API server audit logging is on", "set --audit-log-path (and --audit-policy-file)"},
    {"1.2.17", API, A, LOW, K_FLAG, "audit-log-maxage", OP_GTE, "30", "0", 0, "Audit logs are kept at least 30 days", "set --audit-log-maxage=30 or more"},
    {"1.2.18", API, A, LOW, K_FLAG, "audit-log-maxbackup", OP_GTE, "10", "0", 0, "At least 10 audit log files are kept", "set --audit-log-maxbackup=10 or more"},
    {"1.2.19", API, A, LOW, K_FLAG, "audit-log-maxsize", OP_GTE, "100", "0", 0, "Audit log files rotate at 100 MB or more", "set --audit-log-maxsize=100 or more"},
    {"1.2.20", API, M, LOW, K_MANUAL, "request-timeout", 0, 0, 0, 0, "The API server request timeout is appropriate", "review --request-timeout (default 1m0s)"},
    {"1.2.21", API, A, MED, K_FLAG, "service-account-lookup", OP_EQ, "true", "true", 0, "Service account tokens are checked against etcd", "remove --service-account-lookup=false"},
    {"1.2.22", API, A, MED, K_FLAG, "service-account-key-file", OP_SET, 0, 0, 0, "A service account public key file is set", "set --service-account-key-file"},
    {"1.2.23", API, A, HIGH, K_FLAG, "etcd-certfile", OP_SET, 0, 0, "etcd-keyfile", "The API server authenticates to etcd with a client certificate", "set --etcd-certfile and --etcd-keyfile"},
    {"1.2.24", API, A, HIGH, K_FLAG, "tls-cert-file", OP_SET, 0, 0, "tls-private-key-file", "The API server serves TLS with a given certificate", "set --tls-cert-file and --tls-private-key-file"},
    {"1.2.25", API, A, HIGH, K_FLAG, "client-ca-file", OP_SET, 0, 0, 0, "The API server verifies client certificates", "set --client-ca-file"},
    {"1.2.26", API, A, HIGH, K_FLAG, "etcd-cafile", OP_SET, 0, 0, 0, "The API server verifies etcd's certificate", "set --etcd-cafile"},
    {"1.2.27", API, M, HIGH, K_FLAG, "encryption-provider-config", OP_SET, 0, 0, 0, "Secrets are encrypted at rest", "set --encryption-provider-config to an EncryptionConfiguration"},
    {"1.2.28", API, M, HIGH, K_FN, "encryption-provider-config", 0, 0, 0, 0, "Secrets are written with aescbc, kms or secretbox", "make aescbc, kms or secretbox the first provider for secrets", fn_encryption},
    {"1.2.29", API, M, MED, K_FLAG, "tls-cipher-suites", OP_VALID, STRONG_API_CIPHERS, 0, 0, "The API server offers only strong TLS ciphers", "set --tls-cipher-suites to strong ciphers only"},
    {"1.2.30", API, A, MED, K_FLAG, "service-account-extend-token-expiration", OP_EQ, "false", "true", 0, "Service account token lifetimes are not extended", "set --service-account-extend-token-expiration=false"},

    /* 1.3 Controller manager */
    {"1.3.1", KCM, M, LOW, K_FLAG, "terminated-pod-gc-threshold", OP_SET, 0, 0, 0, "The terminated pod garbage collection threshold is set", "set --terminated-pod-gc-threshold, e.g. 10"},
    {"1.3.2", KCM, A, MED, K_FLAG, "profiling", OP_EQ, "false", "true", 0, "Controller manager profiling is off", "set --profiling=false"},
    {"1.3.3", KCM, A, MED, K_FLAG, "use-service-account-credentials", OP_EQ, "true", "false", 0, "Controllers use their own service account credentials", "set --use-service-account-credentials=true"},
    {"1.3.4", KCM, A, MED, K_FLAG, "service-account-private-key-file", OP_SET, 0, 0, 0, "A service account private key file is set", "set --service-account-private-key-file"},
    {"1.3.5", KCM, A, MED, K_FLAG, "root-ca-file", OP_SET, 0, 0, 0, "The root CA file is given to service account token secrets", "set --root-ca-file"},
    {"1.3.6", KCM, A, MED, K_FLAG, "feature-gates", OP_GATE, "RotateKubeletServerCertificate", 0, 0, "RotateKubeletServerCertificate is not disabled", "remove RotateKubeletServerCertificate=false from --feature-gates"},
    {"1.3.7", KCM, A, MED, K_FLAG, "bind-address", OP_LOCAL, 0, "0.0.0.0", 0, "The controller manager listens on loopback only", "set --bind-address=127.0.0.1"},

    /* 1.4 Scheduler */
    {"1.4.1", SCHED, A, MED, K_FLAG, "profiling", OP_EQ, "false", "true", 0, "Scheduler profiling is off", "set --profiling=false"},
    {"1.4.2", SCHED, A, MED, K_FLAG, "bind-address", OP_LOCAL, 0, "0.0.0.0", 0, "The scheduler listens on loopback only", "set --bind-address=127.0.0.1"},

    /* 2 etcd */
    {"2.1", ETCD, A, HIGH, K_FLAG, "cert-file", OP_SET, 0, 0, "key-file", "etcd serves clients over TLS", "set --cert-file and --key-file"},
    {"2.2", ETCD, A, CRIT, K_FLAG, "client-cert-auth", OP_EQ, "true", "false", 0, "etcd requires client certificates", "set --client-cert-auth=true (with --trusted-ca-file)"},
    {"2.3", ETCD, A, HIGH, K_FLAG, "auto-tls", OP_NE, "true", "false", 0, "etcd does not use self-signed client certificates", "remove --auto-tls or set it to false"},
    {"2.4", ETCD, A, HIGH, K_FLAG, "peer-cert-file", OP_SET, 0, 0, "peer-key-file", "etcd peers talk over TLS", "set --peer-cert-file and --peer-key-file"},
    {"2.5", ETCD, A, HIGH, K_FLAG, "peer-client-cert-auth", OP_EQ, "true", "false", 0, "etcd peers require client certificates", "set --peer-client-cert-auth=true"},
    {"2.6", ETCD, A, HIGH, K_FLAG, "peer-auto-tls", OP_NE, "true", "false", 0, "etcd peers do not use self-signed certificates", "remove --peer-auto-tls or set it to false"},
    {"2.7", ETCD, M, MED, K_FLAG, "trusted-ca-file", OP_SET, 0, 0, 0, "etcd uses its own certificate authority", "set --trusted-ca-file to a CA used only for etcd"},

    /* 3 Control plane configuration */
    {"3.1.1", -1, M, LOW, K_MANUAL, 0, 0, 0, 0, 0, "Client certificate authentication is not used for users", "use OIDC or another authenticator for users"},
    {"3.1.2", -1, M, LOW, K_MANUAL, 0, 0, 0, 0, 0, "Service account token authentication is not used for users", "use OIDC or another authenticator for users"},
    {"3.1.3", -1, M, LOW, K_MANUAL, 0, 0, 0, 0, 0, "Bootstrap token authentication is not used for users", "use OIDC or another authenticator for users"},
    {"3.2.1", API, M, HIGH, K_FLAG, "audit-policy-file", OP_SET, 0, 0, 0, "An audit policy is in place", "set --audit-policy-file to an audit Policy"},
    {"3.2.2", API, M, MED, K_FN, "audit-policy-file", 0, 0, 0, 0, "The audit policy logs at least Metadata for Secrets", "add a rule logging secrets at level Metadata before any rule that drops them", fn_audit_policy},

    /* 4.1 Worker node configuration files */
    {"4.1.1", KUBELET, A, MED, K_PERM, KUBELET_SVC, 0, "600", 0, 0, "kubelet service file permissions are 600 or more restrictive", "chmod 600 the kubelet service file"},
    {"4.1.2", KUBELET, A, MED, K_OWNER, KUBELET_SVC, 0, "root:root", 0, 0, "kubelet service file is owned by root:root", "chown root:root the kubelet service file"},
    {"4.1.3", PROXY, M, MED, K_PERM, "proxy-kubeconfig", 0, "600", 0, 0, "kube-proxy kubeconfig permissions are 600 or more restrictive", "chmod 600 kube-proxy's --kubeconfig"},
    {"4.1.4", PROXY, M, MED, K_OWNER, "proxy-kubeconfig", 0, "root:root", 0, 0, "kube-proxy kubeconfig is owned by root:root", "chown root:root kube-proxy's --kubeconfig"},
    {"4.1.5", KUBELET, A, HIGH, K_PERM, "kubeconfig:/etc/kubernetes/kubelet.conf", 0, "600", 0, 0, "kubelet kubeconfig permissions are 600 or more restrictive", "chmod 600 the kubelet's --kubeconfig"},
    {"4.1.6", KUBELET, A, MED, K_OWNER, "kubeconfig:/etc/kubernetes/kubelet.conf", 0, "root:root", 0, 0, "kubelet kubeconfig is owned by root:root", "chown root:root the kubelet's --kubeconfig"},
    {"4.1.7", KUBELET, M, MED, K_PERM, "kubelet-ca", 0, "644", 0, 0, "Client CA file permissions are 644 or more restrictive", "chmod 644 the kubelet's client CA file"},
    {"4.1.8", KUBELET, M, MED, K_OWNER, "kubelet-ca", 0, "root:root", 0, 0, "Client CA file is owned by root:root", "chown root:root the kubelet's client CA file"},
    {"4.1.9", KUBELET, A, MED, K_PERM, "kubelet-config", 0, "600", 0, 0, "kubelet config file permissions are 600 or more restrictive", "chmod 600 the kubelet's --config file"},
    {"4.1.10", KUBELET, A, MED, K_OWNER, "kubelet-config", 0, "root:root", 0, 0, "kubelet config file is owned by root:root", "chown root:root the kubelet's --config file"},

    /* 4.2 Kubelet */
    {"4.2.1", KUBELET, A, CRIT, K_KUBELET, "anonymous-auth", OP_EQ, "false", 0, 0, "Anonymous requests to the kubelet are refused", "set authentication.anonymous.enabled: false (or --anonymous-auth=false)"},
    {"4.2.2", KUBELET, A, CRIT, K_KUBELET, "authorization-mode", OP_NOTHAS, "AlwaysAllow", 0, 0, "kubelet authorization is not AlwaysAllow", "set authorization.mode: Webhook (or --authorization-mode=Webhook)"},
    {"4.2.3", KUBELET, A, HIGH, K_KUBELET, "client-ca-file", OP_SET, 0, 0, 0, "The kubelet verifies client certificates", "set authentication.x509.clientCAFile (or --client-ca-file)"},
    {"4.2.4", KUBELET, M, HIGH, K_KUBELET, "read-only-port", OP_EQ, "0", 0, 0, "The kubelet read-only port is off", "set readOnlyPort: 0 (or --read-only-port=0)"},
    {"4.2.5", KUBELET, M, MED, K_KUBELET, "streaming-connection-idle-timeout", OP_DUR_NONZERO, 0, 0, 0, "Idle streaming connections time out", "set streamingConnectionIdleTimeout to a non-zero duration, e.g. 5m"},
    {"4.2.6", KUBELET, A, MED, K_KUBELET, "make-iptables-util-chains", OP_EQ, "true", 0, 0, "The kubelet manages its iptables chains", "set makeIPTablesUtilChains: true (or remove --make-iptables-util-chains=false)"},
    {"4.2.7", KUBELET, M, LOW, K_KUBELET, "hostname-override", OP_UNSET, 0, 0, 0, "The kubelet's hostname is not overridden", "remove --hostname-override"},
    {"4.2.8", KUBELET, M, LOW, K_KUBELET, "event-qps", OP_GTE, "0", 0, 0, "The kubelet event rate keeps appropriate events", "set eventRecordQPS to a level that keeps the events you need"},
    {"4.2.9", KUBELET, M, MED, K_KUBELET, "tls-cert-file", OP_SET, 0, 0, "tls-private-key-file", "The kubelet serves TLS with a given certificate", "set tlsCertFile and tlsPrivateKeyFile (or serverTLSBootstrap: true)"},
    {"4.2.10", KUBELET, A, MED, K_KUBELET, "rotate-certificates", OP_EQ, "true", 0, 0, "The kubelet rotates its client certificate", "set rotateCertificates: true (or --rotate-certificates)"},
    {"4.2.11", KUBELET, M, MED, K_KUBELET, "gate:RotateKubeletServerCertificate", OP_NE, "false", 0, 0, "RotateKubeletServerCertificate is not disabled", "remove RotateKubeletServerCertificate: false from featureGates"},
    {"4.2.12", KUBELET, M, MED, K_KUBELET, "tls-cipher-suites", OP_VALID, STRONG_KUBELET_CIPHERS, 0, 0, "The kubelet offers only strong TLS ciphers", "set tlsCipherSuites to strong ciphers only"},
    {"4.2.13", KUBELET, M, LOW, K_KUBELET, "pod-max-pids", OP_GT0, 0, 0, 0, "Pods have a PID limit", "set podPidsLimit (or --pod-max-pids)"},
    {"4.2.14", KUBELET, M, MED, K_KUBELET, "seccomp-default", OP_EQ, "true", 0, 0, "RuntimeDefault seccomp is the default", "set seccompDefault: true (or --seccomp-default)"},

    /* 4.3 kube-proxy */
    {"4.3.1", PROXY, A, MED, K_FN, "metrics-bind-address", 0, 0, 0, 0, "kube-proxy metrics listen on localhost", "set --metrics-bind-address=127.0.0.1:10249 (or metricsBindAddress)", fn_proxy_metrics},
};

/* ------------------------------------------------------------- results */

static const char *section_of(kh_nd_ctx *c, const char *id)
{
    if (id[0] == '2')
        return "2";
    const char *dot = strchr(id, '.');
    const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
    return dot2 ? kh_arena_strndup(c->arena, id, (size_t)(dot2 - id)) : id;
}

/* Add a result for check @p k; a failing Manual check is a WARN. */
static void emit(kh_nd_ctx *c, const struct check *k, int status, const char *component,
                 const char *evidence, const char *expected, const char *file, unsigned line,
                 unsigned col, const char *path)
{
    if (status == KH_NODE_FAIL && !k->automated)
        status = KH_NODE_WARN;
    kh_node_result r = {
        .id = kh_arena_printf(c->arena, "cis.%s", k->id),
        .section = section_of(c, k->id),
        .title = k->title,
        .component = component,
        .status = status,
        .severity = status == KH_NODE_FAIL ? k->sev : KH_SEVERITY_INFO,
        .automated = k->automated,
        .evidence = evidence,
        .expected = expected,
        .fix = k->fix,
        .file = file ? file : "",
        .line = line,
        .col = col,
        .path = path ? path : "",
    };
    kh_nd__result(c, &r);
}

static const char *name_of(const struct check *k)
{
    return k->comp >= 0 ? kh_nd__comp_name(k->comp) : "node";
}

/* Where an instance is described: its manifest's command, else its cmdline. */
static void origin(const kh_nd_comp *k, const char **file, unsigned *line, unsigned *col)
{
    *file = k->argc ? k->argv[0].file : k->manifest;
    *line = k->argc ? k->argv[0].line : 0;
    *col = k->argc ? k->argv[0].col : 0;
}

/* ------------------------------------------------------------- values */

/* A Go duration is zero when every number in it is zero ("0", "0s", "0h0m"). */
static bool duration_zero(const char *s)
{
    for (; *s; s++)
        if (*s >= '1' && *s <= '9')
            return false;
    return true;
}

static bool is_local(const char *addr)
{
    /* host, host:port, [v6]:port */
    char host[256];
    const char *p = addr;
    size_t n;
    if (*p == '[') {
        const char *e = strchr(p, ']');
        n = e ? (size_t)(e - p - 1) : strlen(p + 1);
        p++;
    } else {
        const char *colon = strchr(p, ':');
        n = colon && !strchr(colon + 1, ':') ? (size_t)(colon - p) : strlen(p);
    }
    if (n >= sizeof(host))
        return false;
    memcpy(host, p, n);
    host[n] = '\0';
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "localhost") == 0;
}

/* Does @p value pass @p op? @p why gets the detail of a failure. */
static bool test(kh_nd_ctx *c, int op, const char *arg, const char *value, const char **why)
{
    *why = NULL;
    switch (op) {
    case OP_SET: return value && *value;
    case OP_UNSET: return !value;
    case OP_EQ:
    case OP_NE: {
        bool eq;
        /* "true"/"false" operands compare as booleans (the flag may say "1", "T") */
        int a = strcmp(arg, "true") == 0 ? 1 : strcmp(arg, "false") == 0 ? 0 : -1;
        int v = kh_nd__parse_bool(value);
        if (a >= 0 && value && v < 0) {
            *why = "not a boolean";
            return false;
        }
        eq = a >= 0 ? v == a : value && strcmp(value, arg) == 0;
        return op == OP_EQ ? eq : !eq;
    }
    case OP_GTE: {
        char *end;
        if (!value)
            return false;
        double v = strtod(value, &end);
        if (end == value || *end) {
            *why = "not a number";
            return false;
        }
        return v >= strtod(arg, NULL);
    }
    case OP_GT0: {
        char *end;
        long v = value ? strtol(value, &end, 10) : 0;
        return value && *value && !*end && v > 0;
    }
    case OP_HAS: return value && kh_nd__list_has(value, arg);
    case OP_NOTHAS: return !value || !kh_nd__list_has(value, arg);
    case OP_VALID: {
        if (!value || !*value)
            return false;
        for (const char *p = value; p;) {
            const char *end = strchr(p, ',');
            char item[128];
            size_t n = end ? (size_t)(end - p) : strlen(p);
            if (n >= sizeof(item))
                return false;
            memcpy(item, p, n);
            item[n] = '\0';
            if (!kh_nd__list_has(arg, item)) {
                *why = kh_arena_printf(c->arena, "'%s' is not a strong cipher", item);
                return false;
            }
            p = end ? end + 1 : NULL;
        }
        return true;
    }
    case OP_GATE: return !value || kh_nd__gate(value, arg) != 0;
    case OP_DUR_NONZERO: return value && !duration_zero(value);
    case OP_LOCAL: return value && is_local(value);
    }
    return false;
}

static const char *expectation(kh_nd_ctx *c, int op, const char *path, const char *arg)
{
    switch (op) {
    case OP_SET: return kh_arena_printf(c->arena, "%s set", path);
    case OP_UNSET: return kh_arena_printf(c->arena, "%s not set", path);
    case OP_EQ: return kh_arena_printf(c->arena, "%s=%s", path, arg);
    case OP_NE: return kh_arena_printf(c->arena, "%s not %s", path, arg);
    case OP_GTE: return kh_arena_printf(c->arena, "%s >= %s", path, arg);
    case OP_GT0: return kh_arena_printf(c->arena, "%s > 0", path);
    case OP_HAS: return kh_arena_printf(c->arena, "%s includes %s", path, arg);
    case OP_NOTHAS: return kh_arena_printf(c->arena, "%s without %s", path, arg);
    case OP_VALID: return kh_arena_printf(c->arena, "%s only from: %s", path, arg);
    case OP_GATE: return kh_arena_printf(c->arena, "%s without %s=false", path, arg);
    case OP_DUR_NONZERO: return kh_arena_printf(c->arena, "%s not 0", path);
    case OP_LOCAL: return kh_arena_printf(c->arena, "%s on 127.0.0.1", path);
    }
    return "";
}

/* ------------------------------------------------------------ K_FLAG */

static const kh_node *load_flag_file(kh_nd_ctx *c, const kh_nd_comp *inst, const char *flag,
                                     const char **file, const char **why);

/* The API server takes authorization modes from --authorization-config and
 * anonymous authentication from --authentication-config's `anonymous` (both
 * exclusive with the flags): read them when the flag is absent. */
static kh_nd_flag from_config_file(kh_nd_ctx *c, const struct check *k, const kh_nd_comp *inst,
                                   const char **path)
{
    kh_nd_flag f = {0};
    if (inst->kind != KH_ND_APISERVER)
        return f;
    const char *file, *why;
    if (strcmp(k->key, "authorization-mode") == 0 &&
        kh_nd__flag(c, inst, "authorization-config").set) {
        const kh_node *root = load_flag_file(c, inst, "authorization-config", &file, &why);
        const kh_node *list = kh_node_get(root, "authorizers");
        if (!kh_node_is_seq(list))
            return f;
        char *types = "";
        for (size_t i = 0; i < list->len; i++) {
            const char *t = kh_node_str(kh_node_get(kh_node_at(list, i), "type"));
            types = kh_arena_printf(c->arena, "%s%s%s", types, i ? "," : "", t ? t : "");
        }
        *path = "authorizers[].type";
        return (kh_nd_flag){true, types, file, list->line, list->col};
    }
    if (strcmp(k->key, "anonymous-auth") == 0 &&
        kh_nd__flag(c, inst, "authentication-config").set) {
        const kh_node *root = load_flag_file(c, inst, "authentication-config", &file, &why);
        const kh_node *anon = kh_node_get(root, "anonymous");
        const kh_node *en = kh_node_get(anon, "enabled");
        if (!en)
            return f;
        const kh_node *conds = kh_node_get(anon, "conditions");
        const char *v = kh_node_is_true(en) ? "true" : "false";
        if (kh_node_is_true(en) && kh_node_is_seq(conds) && conds->len) {
            char *paths = "";
            for (size_t i = 0; i < conds->len; i++) {
                const char *p = kh_node_str(kh_node_get(kh_node_at(conds, i), "path"));
                paths = kh_arena_printf(c->arena, "%s%s%s", paths, i ? " " : "", p ? p : "");
            }
            v = kh_arena_printf(c->arena, "true (only for %s)", paths);
        }
        *path = "anonymous.enabled";
        return (kh_nd_flag){true, v, file, en->line, en->col};
    }
    return f;
}

/* kube-scheduler ignores --profiling when --config is given: the
 * KubeSchedulerConfiguration's enableProfiling (default true) rules. */
static bool scheduler_config(kh_nd_ctx *c, const struct check *k, const kh_nd_comp *inst,
                             kh_nd_flag *f, const char **path)
{
    if (inst->kind != KH_ND_SCHEDULER || strcmp(k->key, "profiling") != 0 ||
        !kh_nd__flag(c, inst, "config").set)
        return false;
    const char *file, *why;
    const kh_node *root = load_flag_file(c, inst, "config", &file, &why);
    const kh_node *n = kh_node_get(root, "enableProfiling");
    *path = "enableProfiling";
    *f = (kh_nd_flag){0};
    f->file = file;
    if (n) {
        f->set = true;
        f->value = n->type == KH_NODE_BOOL ? (n->boolean ? "true" : "false") : kh_node_str(n);
        f->line = n->line;
        f->col = n->col;
    }
    return true;
}

static void eval_flag(kh_nd_ctx *c, const struct check *k, const kh_nd_comp *inst)
{
    kh_nd_flag f;
    const char *path = kh_arena_printf(c->arena, "--%s", k->key);
    if (!scheduler_config(c, k, inst, &f, &path)) {
        f = kh_nd__flag(c, inst, k->key);
        if (!f.set)
            f = from_config_file(c, k, inst, &path);
    }
    const char *value = f.set ? f.value : k->def;
    const char *why;
    bool ok = test(c, k->op, k->arg, strncmp(value ? value : "", "true (", 6) == 0 ? "true" : value,
                   &why);
    const char *evidence;
    if (f.set)
        evidence = kh_arena_printf(c->arena, "%s=%s%s%s", path, f.value ? f.value : "",
                                   why ? ": " : "", why ? why : "");
    else if (k->def)
        evidence = kh_arena_printf(c->arena, "%s not set (default '%s')", path, k->def);
    else
        evidence = kh_arena_printf(c->arena, "%s not set", path);
    if (ok && k->key2) {
        kh_nd_flag g = kh_nd__flag(c, inst, k->key2);
        if (!g.set || !*g.value) {
            ok = false;
            evidence = kh_arena_printf(c->arena, "%s; --%s not set", evidence, k->key2);
        }
    }
    const char *file = f.file;
    unsigned line = f.line, col = f.col;
    if (!f.set && !(path[0] != '-' && file))   /* unset in a config file: name the file */
        origin(inst, &file, &line, &col);
    const char *expected = expectation(c, k->op, path, k->arg);
    if (k->key2)
        expected = kh_arena_printf(c->arena, "%s and --%s set", expected, k->key2);
    emit(c, k, ok ? KH_NODE_PASS : KH_NODE_FAIL, inst->name, evidence, expected, file, line,
         col, path);
}

/* --------------------------------------------------------- K_KUBELET */

static void eval_kubelet(kh_nd_ctx *c, const struct check *k, const kh_nd_comp *inst)
{
    kh_nd_setting s = kh_nd__kubelet(c, inst, k->key);
    const char *why;
    bool ok = test(c, k->op, k->arg, s.value, &why);
    const char *evidence = s.value
        ? kh_arena_printf(c->arena, "%s=%s (%s)%s%s", s.path, s.value, s.source,
                          why ? ": " : "", why ? why : "")
        : kh_arena_printf(c->arena, "%s not set", s.path);
    const char *expected = expectation(c, k->op, s.path, k->arg);
    if (ok && k->key2) {
        kh_nd_setting t = kh_nd__kubelet(c, inst, k->key2);
        if (!t.value || !*t.value) {
            ok = false;
            evidence = kh_arena_printf(c->arena, "%s; %s not set", evidence, t.path);
        }
        expected = kh_arena_printf(c->arena, "%s and %s set", expected, t.path);
    }
    const char *file = s.file;
    unsigned line = s.line, col = s.col;
    if (!file)
        origin(inst, &file, &line, &col);
    emit(c, k, ok ? KH_NODE_PASS : KH_NODE_FAIL, inst->name, evidence, expected, file, line,
         col, s.path);
}

/* ------------------------------------------------------ K_PERM / K_OWNER */

typedef struct target {
    const char **paths;
    size_t n;
    const char *missing;    /* why there is nothing to check, when n == 0 */
    bool optional;          /* nothing to check is a PASS */
} target;

static void add_path(kh_nd_ctx *c, target *t, const char *p)
{
    const char **slot = kh_array__push(c->arena, &t->paths, &t->n, sizeof(*slot));
    if (slot)
        *slot = p;
}

static bool exists(kh_nd_ctx *c, const char *p)
{
    struct stat st;
    return kh_nd__stat(c, p, &st, true) == 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(kh_nd_ctx *c, target *t, const char *dir, const char *suffix, int depth)
{
    const char *host = kh_nd__path(c, dir, false);
    DIR *d = host && depth < 16 ? opendir(host) : NULL;
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char **slot = kh_array__push(c->arena, &names, &n, sizeof(*slot));
            if (slot)
                *slot = kh_arena_printf(c->arena, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), by_str);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (kh_nd__stat(c, names[i], &st, true) != 0)
            continue;
        size_t len = strlen(names[i]), sl = strlen(suffix);
        if (S_ISDIR(st.st_mode)) {
            if (!*suffix)
                add_path(c, t, names[i]);
            walk(c, t, names[i], suffix, depth + 1);
        } else if (len >= sl && strcmp(names[i] + len - sl, suffix) == 0) {
            add_path(c, t, names[i]);
        }
    }
}

/* The files of one instance (or of the node, @p inst NULL) for source @p src. */
static void targets_of(kh_nd_ctx *c, const struct check *k, const kh_nd_comp *inst, target *t)
{
    const char *src = k->key;
    if (strcmp(src, "manifest") == 0) {
        const char *m = inst && inst->manifest
            ? inst->manifest
            : kh_arena_printf(c->arena, "/etc/kubernetes/manifests/%s.yaml", name_of(k));
        if (exists(c, m))
            add_path(c, t, m);
        else
            t->missing = kh_arena_printf(c->arena, "no static pod manifest for %s (%s)",
                                         name_of(k), m);
    } else if (strncmp(src, "conf:", 5) == 0 || strncmp(src, "svc:", 4) == 0) {
        bool svc = src[0] == 's';
        for (const char *p = strchr(src, ':') + 1; p && *p;) {
            const char *end = strchr(p, '|');
            const char *path = end ? kh_arena_strndup(c->arena, p, (size_t)(end - p))
                                   : kh_arena_strdup(c->arena, p);
            if (exists(c, path)) {
                add_path(c, t, path);
                if (svc)
                    break;
            }
            p = end ? end + 1 : NULL;
        }
        if (!t->n)
            t->missing = kh_arena_printf(c->arena, "none of %s exists", strchr(src, ':') + 1);
    } else if (strncmp(src, "kubeconfig:", 11) == 0) {
        kh_nd_flag f = inst ? kh_nd__flag(c, inst, "kubeconfig") : (kh_nd_flag){0};
        if (inst && inst->kind == KH_ND_SCHEDULER && kh_nd__flag(c, inst, "config").set) {
            /* under --config the scheduler's --kubeconfig is ignored */
            const char *file, *why;
            const kh_node *root = load_flag_file(c, inst, "config", &file, &why);
            const char *kc = kh_node_str(kh_node_path(root, "clientConnection.kubeconfig"));
            f = (kh_nd_flag){kc != NULL, kc, file, 0, 0};
        }
        const char *p = f.set && f.value[0] ? kh_nd__comp_path(c, inst, f.value) : src + 11;
        if (exists(c, p))
            add_path(c, t, p);
        else
            t->missing = kh_arena_printf(c->arena, "kubeconfig %s not found", p);
    } else if (strcmp(src, "etcd-data") == 0) {
        kh_nd_flag f = inst ? kh_nd__flag(c, inst, "data-dir") : (kh_nd_flag){0};
        if (f.set && f.value[0]) {
            const char *p = kh_nd__comp_path(c, inst, f.value);
            if (exists(c, p))
                add_path(c, t, p);
            else
                t->missing = kh_arena_printf(c->arena, "etcd data directory %s not found", p);
        } else {
            t->missing = "etcd has no --data-dir";
        }
    } else if (strncmp(src, "pki:", 4) == 0) {
        if (!src[4] && exists(c, "/etc/kubernetes/pki"))
            add_path(c, t, "/etc/kubernetes/pki");
        walk(c, t, "/etc/kubernetes/pki", src + 4, 0);
        if (!t->n)
            t->missing = kh_arena_printf(c->arena, "no %s files in /etc/kubernetes/pki",
                                         src[4] ? src + 4 : "");
    } else if (strcmp(src, "cni") == 0) {
        walk(c, t, "/etc/cni/net.d", "", 0);
        t->optional = true;
    } else if (strcmp(src, "kubelet-config") == 0) {
        const char *p = inst ? kh_nd__kubelet_config(inst) : NULL;
        if (p && exists(c, p))
            add_path(c, t, p);
        else if (inst) {
            t->missing = p ? kh_arena_printf(c->arena, "kubelet config %s not found", p)
                           : "the kubelet has no --config file";
            t->optional = !p;
        }
    } else if (strcmp(src, "kubelet-ca") == 0) {
        kh_nd_setting s = inst ? kh_nd__kubelet(c, inst, "client-ca-file") : (kh_nd_setting){0};
        const char *p = s.value && s.value[0] ? s.value : "/etc/kubernetes/pki/ca.crt";
        if (exists(c, p))
            add_path(c, t, p);
        else
            t->missing = kh_arena_printf(c->arena, "client CA file %s not found", p);
    } else if (strcmp(src, "proxy-kubeconfig") == 0) {
        kh_nd_flag f = inst ? kh_nd__flag(c, inst, "kubeconfig") : (kh_nd_flag){0};
        if (inst && kh_nd__flag(c, inst, "config").set) {
            /* under --config kube-proxy's --kubeconfig is ignored */
            const char *file, *why;
            const kh_node *root = load_flag_file(c, inst, "config", &file, &why);
            const char *kc = kh_node_str(kh_node_path(root, "clientConnection.kubeconfig"));
            f = (kh_nd_flag){kc != NULL, kc, file, 0, 0};
        }
        if (f.set && f.value[0] && exists(c, kh_nd__comp_path(c, inst, f.value)))
            add_path(c, t, kh_nd__comp_path(c, inst, f.value));
        t->optional = true;  /* "if the proxy kubeconfig file exists" */
        t->missing = "kube-proxy has no --kubeconfig file";
    }
}

/* Every instance's files, each path once. */
static target targets(kh_nd_ctx *c, const struct check *k)
{
    target t = {0};
    bool any = false;
    for (size_t i = 0; k->comp >= 0 && i < c->ncomps; i++) {
        if (c->comps[i].kind != k->comp)
            continue;
        any = true;
        target one = {0};
        targets_of(c, k, &c->comps[i], &one);
        for (size_t j = 0; j < one.n; j++) {
            bool dup = false;
            for (size_t m = 0; m < t.n && !dup; m++)
                dup = strcmp(t.paths[m], one.paths[j]) == 0;
            if (!dup)
                add_path(c, &t, one.paths[j]);
        }
        if (one.missing)
            t.missing = one.missing;
        t.optional |= one.optional;
    }
    if (!any)
        targets_of(c, k, NULL, &t);
    return t;
}

static void eval_file(kh_nd_ctx *c, const struct check *k)
{
    bool present = k->comp < 0;
    for (size_t i = 0; !present && i < c->ncomps; i++)
        present = c->comps[i].kind == k->comp;
    target t = targets(c, k);
    bool perm = k->kind == K_PERM;
    const char *expected = perm ? kh_arena_printf(c->arena, "mode %s or more restrictive", k->arg)
                                : kh_arena_printf(c->arena, "owner %s", k->arg);
    if (!t.n) {
        int status = t.optional ? KH_NODE_PASS : KH_NODE_WARN;
        const char *why = t.missing ? t.missing : "no such files";
        if (!present && !t.optional)
            why = kh_arena_printf(c->arena, "%s not found on this node; %s", name_of(k), why);
        emit(c, k, status, name_of(k), why, expected, "", 0, 0, "");
        return;
    }
    unsigned long allowed = strtoul(k->arg, NULL, 8);
    size_t bad = 0;
    for (size_t i = 0; i < t.n; i++) {
        struct stat st;
        if (kh_nd__stat(c, t.paths[i], &st, true) != 0)
            continue;
        const char *link = S_ISLNK(st.st_mode) ? " (a symbolic link)" : "";
        unsigned mode = st.st_mode & 07777;
        if (perm) {
            if ((mode & ~allowed) == 0)
                continue;
            bad++;
            emit(c, k, KH_NODE_FAIL, name_of(k),
                 kh_arena_printf(c->arena, "mode %o%s", mode, link), expected, t.paths[i], 0, 0,
                 "");
        } else {
            const char *owner = kh_arena_printf(c->arena, "%s:%s", kh_nd__user(c, st.st_uid),
                                                kh_nd__group(c, st.st_gid));
            if (strcmp(owner, k->arg) == 0)
                continue;
            bad++;
            emit(c, k, KH_NODE_FAIL, name_of(k),
                 kh_arena_printf(c->arena, "owner %s (%u:%u)%s", owner, (unsigned)st.st_uid,
                                 (unsigned)st.st_gid, link),
                 expected, t.paths[i], 0, 0, "");
        }
    }
    if (!bad)
        emit(c, k, KH_NODE_PASS, name_of(k),
             t.n == 1 ? kh_arena_printf(c->arena, "%s as expected", perm ? "mode" : "owner")
                      : kh_arena_printf(c->arena, "%zu files as expected", t.n),
             expected, t.n == 1 ? t.paths[0] : "", 0, 0, "");
}

/* ---------------------------------------------------- K_FN: functions */

/* Load the YAML file a flag of @p inst names; NULL when unset or unreadable
 * (a WARN/FAIL is then emitted by the caller with *why). */
static const kh_node *load_flag_file(kh_nd_ctx *c, const kh_nd_comp *inst, const char *flag,
                                     const char **file, const char **why)
{
    kh_nd_flag f = kh_nd__flag(c, inst, flag);
    *file = NULL;
    if (!f.set || !f.value[0]) {
        *why = kh_arena_printf(c->arena, "--%s not set", flag);
        return NULL;
    }
    const char *p = kh_nd__comp_path(c, inst, f.value);
    *file = p;
    size_t len;
    char *buf = kh_nd__read(c, p, 1 << 24, &len);
    if (!buf) {
        *why = kh_arena_printf(c->arena, "--%s=%s: cannot read %s", flag, f.value, p);
        return NULL;
    }
    const kh_node *root = NULL;
    kh_error e = {0};
    if (kh_doc_load_buffer(&root, c->arena, buf, len, p, &e) != KH_OK) {
        kh_nd__error(c, &e);
        *why = kh_arena_printf(c->arena, "%s is not valid YAML: %s", p, e.message);
        return NULL;
    }
    return root;
}

static bool names_secrets(const kh_node *resources)
{
    for (size_t i = 0; kh_node_is_seq(resources) && i < resources->len; i++) {
        const char *r = kh_node_str(kh_node_at(resources, i));
        if (r && (strcmp(r, "secrets") == 0 || strcmp(r, "*.*") == 0 || strcmp(r, "*.") == 0))
            return true;
    }
    return false;
}

/* EncryptionConfiguration: the first provider of the entry that covers
 * secrets is the one new writes use. */
static void fn_encryption(kh_nd_ctx *c, const struct check *k)
{
    for (size_t i = 0; i < c->ncomps; i++) {
        const kh_nd_comp *inst = &c->comps[i];
        if (inst->kind != KH_ND_APISERVER)
            continue;
        const char *file, *why;
        const kh_node *root = load_flag_file(c, inst, k->key, &file, &why);
        const char *expected = "first provider for secrets is aescbc, kms or secretbox";
        if (!root) {
            const char *f;
            unsigned line, col;
            origin(inst, &f, &line, &col);
            emit(c, k, KH_NODE_FAIL, inst->name, why, expected, file ? file : f,
                 file ? 0 : line, file ? 0 : col, "");
            continue;
        }
        const kh_node *res = kh_node_get(root, "resources");
        const kh_node *prov = NULL;
        for (size_t j = 0; kh_node_is_seq(res) && j < res->len && !prov; j++) {
            const kh_node *entry = kh_node_at(res, j);
            if (names_secrets(kh_node_get(entry, "resources")))
                prov = kh_node_at(kh_node_get(entry, "providers"), 0);
        }
        const char *name = prov && kh_node_is_map(prov) && prov->len
            ? kh_node_str(prov->u.pairs[0].key) : NULL;
        bool ok = name && (strcmp(name, "aescbc") == 0 || strcmp(name, "kms") == 0 ||
                           strcmp(name, "secretbox") == 0);
        emit(c, k, ok ? KH_NODE_PASS : KH_NODE_FAIL, inst->name,
             name ? kh_arena_printf(c->arena, "first provider for secrets: %s", name)
                  : "no resources entry covers secrets (they are stored unencrypted)",
             expected, file, prov ? prov->line : 0, prov ? prov->col : 0,
             "resources[].providers[0]");
    }
}

/* Does an audit Policy rule apply to every request on secrets (no user,
 * group, verb or namespace limit), to some, or to none? */
enum { R_NONE, R_SOME, R_ALL };

static int rule_scope(const kh_node *rule)
{
    if (kh_node_get(rule, "nonResourceURLs") && !kh_node_get(rule, "resources"))
        return R_NONE;
    const kh_node *res = kh_node_get(rule, "resources");
    bool secrets = !kh_node_is_seq(res) || res->len == 0;   /* no resources: all */
    bool limited_names = false;
    for (size_t i = 0; !secrets && i < res->len; i++) {
        const kh_node *gr = kh_node_at(res, i);
        const char *group = kh_node_str(kh_node_get(gr, "group"));
        if (group && *group)
            continue;   /* secrets are in the core group "" */
        const kh_node *names = kh_node_get(gr, "resources");
        bool all = !kh_node_is_seq(names) || names->len == 0;
        for (size_t j = 0; !all && j < names->len; j++) {
            const char *n = kh_node_str(kh_node_at(names, j));
            all = n && (strcmp(n, "secrets") == 0 || strcmp(n, "*") == 0);
        }
        if (all) {
            secrets = true;
            const kh_node *rn = kh_node_get(gr, "resourceNames");
            limited_names = kh_node_is_seq(rn) && rn->len > 0;
        }
    }
    if (!secrets)
        return R_NONE;
    static const char *const limits[] = {"users", "userGroups", "verbs", "namespaces", NULL};
    for (size_t i = 0; limits[i]; i++) {
        const kh_node *l = kh_node_get(rule, limits[i]);
        if (kh_node_is_seq(l) && l->len > 0)
            return R_SOME;
    }
    return limited_names ? R_SOME : R_ALL;
}

/* The audit Policy's rules are tried in order and the first that matches
 * sets the level; a request no rule matches is not logged. */
static void fn_audit_policy(kh_nd_ctx *c, const struct check *k)
{
    for (size_t i = 0; i < c->ncomps; i++) {
        const kh_nd_comp *inst = &c->comps[i];
        if (inst->kind != KH_ND_APISERVER)
            continue;
        const char *file, *why;
        const kh_node *root = load_flag_file(c, inst, k->key, &file, &why);
        const char *expected = "secrets logged at Metadata by the first rule that matches them";
        if (!root) {
            const char *f;
            unsigned line, col;
            origin(inst, &f, &line, &col);
            emit(c, k, KH_NODE_FAIL, inst->name, why, expected, file ? file : f,
                 file ? 0 : line, file ? 0 : col, "");
            continue;
        }
        const kh_node *rules = kh_node_get(root, "rules");
        const char *gaps = NULL;
        const kh_node *at = NULL;
        const char *level = NULL;
        for (size_t j = 0; kh_node_is_seq(rules) && j < rules->len; j++) {
            const kh_node *rule = kh_node_at(rules, j);
            int scope = rule_scope(rule);
            const kh_node *lv = kh_node_get(rule, "level");
            const char *l = kh_node_str(lv);
            if (scope == R_NONE || !l)
                continue;
            if (scope == R_SOME && strcmp(l, "None") == 0) {
                gaps = kh_arena_printf(c->arena, "%s%srules[%zu] drops some secrets requests",
                                       gaps ? gaps : "", gaps ? "; " : "", j);
                continue;
            }
            if (scope == R_ALL) {
                at = lv;
                level = l;
                break;
            }
        }
        int status;
        const char *evidence;
        if (!level) {
            status = KH_NODE_FAIL;
            evidence = "no rule matches every secrets request: some are not logged";
        } else if (strcmp(level, "None") == 0) {
            status = KH_NODE_FAIL;
            evidence = "secrets are matched at level None: not logged";
        } else if (gaps) {
            status = KH_NODE_FAIL;
            evidence = kh_arena_printf(c->arena, "secrets at level %s, but %s", level, gaps);
        } else if (strcmp(level, "Metadata") != 0) {
            status = KH_NODE_FAIL;
            evidence = kh_arena_printf(c->arena,
                                       "secrets at level %s: the log would hold secret data",
                                       level);
        } else {
            status = KH_NODE_PASS;
            evidence = "secrets at level Metadata";
        }
        emit(c, k, status, inst->name, evidence, expected, file, at ? at->line : 0,
             at ? at->col : 0, at ? "rules[].level" : "rules");
    }
}

/* kube-proxy: --metrics-bind-address, else its --config file's
 * metricsBindAddress, else the default 127.0.0.1:10249. */
static void fn_proxy_metrics(kh_nd_ctx *c, const struct check *k)
{
    for (size_t i = 0; i < c->ncomps; i++) {
        const kh_nd_comp *inst = &c->comps[i];
        if (inst->kind != KH_ND_PROXY)
            continue;
        /* With --config, kube-proxy ignores --metrics-bind-address. */
        bool config = kh_nd__flag(c, inst, "config").set;
        kh_nd_flag f = config ? (kh_nd_flag){0} : kh_nd__flag(c, inst, k->key);
        const char *value = f.set ? f.value : NULL, *file = f.file, *path = "--metrics-bind-address";
        unsigned line = f.line, col = f.col;
        if (config) {
            const char *cfg, *why;
            const kh_node *root = load_flag_file(c, inst, "config", &cfg, &why);
            const kh_node *n = kh_node_get(root, "metricsBindAddress");
            if (kh_node_str(n)) {
                value = kh_node_str(n);
                file = cfg;
                line = n->line;
                col = n->col;
                path = "metricsBindAddress";
            }
        }
        const char *evidence = value ? kh_arena_printf(c->arena, "%s=%s", path, value)
                                     : "--metrics-bind-address not set (default 127.0.0.1:10249)";
        if (!value) {
            value = "127.0.0.1:10249";
            origin(inst, &file, &line, &col);
        }
        emit(c, k, is_local(value) ? KH_NODE_PASS : KH_NODE_FAIL, inst->name, evidence,
             "metrics on 127.0.0.1", file, line, col, path);
    }
}

/* ---------------------------------------------------------------- run */

void kh_nd__checks(kh_nd_ctx *c)
{
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        const struct check *k = &checks[i];
        if (k->kind == K_PERM || k->kind == K_OWNER) {
            eval_file(c, k);
            continue;
        }
        if (k->kind == K_MANUAL) {
            /* Nothing to judge from the node; show the flag's value to review. */
            bool shown = false;
            for (size_t j = 0; k->key && j < c->ncomps; j++) {
                if (c->comps[j].kind != k->comp)
                    continue;
                kh_nd_flag f = kh_nd__flag(c, &c->comps[j], k->key);
                const char *file = f.file;
                unsigned line = f.line, col = f.col;
                if (!f.set)
                    origin(&c->comps[j], &file, &line, &col);
                emit(c, k, KH_NODE_WARN, c->comps[j].name,
                     f.set ? kh_arena_printf(c->arena, "manual check: review --%s=%s", k->key,
                                             f.value)
                           : kh_arena_printf(c->arena, "manual check: review --%s (not set)",
                                             k->key),
                     k->title, file, line, col, kh_arena_printf(c->arena, "--%s", k->key));
                shown = true;
            }
            if (!shown)
                emit(c, k, KH_NODE_WARN, name_of(k), "manual check: review", k->title, "", 0, 0,
                     k->key ? kh_arena_printf(c->arena, "--%s", k->key) : "");
            continue;
        }
        bool any = false;
        for (size_t j = 0; j < c->ncomps; j++)
            any |= c->comps[j].kind == k->comp;
        if (!any) {
            emit(c, k, KH_NODE_WARN, name_of(k),
                 kh_arena_printf(c->arena, "%s not found on this node", name_of(k)), k->title,
                 "", 0, 0, "");
            continue;
        }
        if (k->kind == K_FN) {
            k->fn(c, k);
            continue;
        }
        for (size_t j = 0; j < c->ncomps; j++) {
            if (c->comps[j].kind != k->comp)
                continue;
            if (k->kind == K_FLAG)
                eval_flag(c, k, &c->comps[j]);
            else
                eval_kubelet(c, k, &c->comps[j]);
        }
    }
}
