/*
 * kubelet.c -- the kubelet's effective settings, as the kubelet computes them.
 *
 * Without --config the kubelet starts from NewKubeletConfiguration: the
 * v1beta1 defaults (pkg/kubelet/apis/config/v1beta1/defaults.go) with four
 * legacy flag defaults on top (cmd/kubelet/app/options/options.go,
 * applyLegacyDefaults): --anonymous-auth=true,
 * --authentication-token-webhook=false, --authorization-mode=AlwaysAllow,
 * --read-only-port=10255. With --config it loads the file (defaulted with
 * the v1beta1 defaults: anonymous false, webhook true, mode Webhook,
 * readOnlyPort unset = 0), merges the --config-dir drop-ins (*.conf, in
 * name order, each over the last), and then re-parses the command line
 * over the result (cmd/kubelet/app/server.go, kubeletConfigFlagPrecedence),
 * so a flag given always wins; feature gates merge per gate, the flag's
 * winning. Relative paths in a config file are relative to its directory
 * (resolveRelativePaths).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "node/audit.h"

enum { T_BOOL, T_INT, T_STR, T_PATH, T_DUR, T_LIST };

struct setting {
    const char *flag;       /* kubelet flag */
    const char *key;        /* KubeletConfiguration path, NULL for flag-only */
    int type;
    const char *def;        /* v1beta1 default, NULL when none */
    const char *legacy;     /* the flag default without --config, when it differs */
};

static const struct setting settings[] = {
    {"address", "address", T_STR, "0.0.0.0", NULL},
    {"anonymous-auth", "authentication.anonymous.enabled", T_BOOL, "false", "true"},
    {"authentication-token-webhook", "authentication.webhook.enabled", T_BOOL, "true", "false"},
    {"authorization-mode", "authorization.mode", T_STR, "Webhook", "AlwaysAllow"},
    {"client-ca-file", "authentication.x509.clientCAFile", T_PATH, NULL, NULL},
    {"event-qps", "eventRecordQPS", T_INT, "50", NULL},
    {"hostname-override", NULL, T_STR, NULL, NULL},
    {"kubeconfig", NULL, T_STR, NULL, NULL},
    {"make-iptables-util-chains", "makeIPTablesUtilChains", T_BOOL, "true", NULL},
    {"pod-manifest-path", "staticPodPath", T_PATH, NULL, NULL},
    {"pod-max-pids", "podPidsLimit", T_INT, "-1", NULL},
    {"protect-kernel-defaults", "protectKernelDefaults", T_BOOL, "false", NULL},
    {"read-only-port", "readOnlyPort", T_INT, "0", "10255"},
    {"rotate-certificates", "rotateCertificates", T_BOOL, "false", NULL},
    {"rotate-server-certificates", "serverTLSBootstrap", T_BOOL, "false", NULL},
    {"seccomp-default", "seccompDefault", T_BOOL, "false", NULL},
    {"streaming-connection-idle-timeout", "streamingConnectionIdleTimeout", T_DUR, "4h0m0s", NULL},
    {"tls-cert-file", "tlsCertFile", T_PATH, NULL, NULL},
    {"tls-cipher-suites", "tlsCipherSuites", T_LIST, NULL, NULL},
    {"tls-private-key-file", "tlsPrivateKeyFile", T_PATH, NULL, NULL},
};

/* One loaded configuration document. */
typedef struct cfgdoc {
    const char *file;
    const kh_node *root;
} cfgdoc;

struct kh_nd_kubelet {
    const char *config;     /* --config, node path */
    cfgdoc *docs;           /* the config file, then the drop-ins in order */
    size_t ndocs;
};

static const kh_node *load_doc(kh_nd_ctx *c, const char *file)
{
    size_t len;
    char *buf = kh_nd__read(c, file, 1 << 22, &len);
    if (!buf) {
        kh_error e = {0};
        kh_error_set(&e, KH_EIO, file, 0, 0, "cannot read kubelet configuration '%s'", file);
        kh_nd__error(c, &e);
        return NULL;
    }
    const kh_node *root = NULL;
    kh_error e = {0};
    if (kh_doc_load_buffer(&root, c->arena, buf, len, file, &e) != KH_OK) {
        kh_nd__error(c, &e);
        return NULL;
    }
    const char *kind = kh_node_str(kh_node_get(root, "kind"));
    if (!kh_node_is_map(root) || !kind || strcmp(kind, "KubeletConfiguration") != 0) {
        kh_error_set(&e, KH_EINVALID, file, root ? root->line : 0, root ? root->col : 0,
                     "not a KubeletConfiguration: kind '%s'", kind ? kind : "");
        kh_nd__error(c, &e);
        return NULL;
    }
    return root;
}

static void push_doc(kh_nd_ctx *c, kh_nd_kubelet *kl, const char *file)
{
    const kh_node *root = load_doc(c, file);
    cfgdoc *d = root ? kh_array__push(c->arena, &kl->docs, &kl->ndocs, sizeof(*d)) : NULL;
    if (d) {
        d->file = file;
        d->root = root;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A path the kubelet was given, as a node path (relative: from "/"). */
static const char *abs_path(kh_nd_ctx *c, const char *p)
{
    return p[0] == '/' ? p : kh_arena_printf(c->arena, "/%s", p);
}

void kh_nd__kubelet_load(kh_nd_ctx *c, kh_nd_comp *k)
{
    kh_nd_kubelet *kl = kh_arena_calloc(c->arena, 1, sizeof(*kl));
    k->kubelet = kl;
    if (!kl)
        return;
    kh_nd_flag cfg = kh_nd__flag(c, k, "config");
    if (cfg.set && cfg.value[0]) {
        kl->config = abs_path(c, cfg.value);
        push_doc(c, kl, kl->config);
    }
    kh_nd_flag dir = kh_nd__flag(c, k, "config-dir");
    if (!dir.set || !dir.value[0])
        return;
    const char *node_dir = abs_path(c, dir.value);
    const char *host = kh_nd__path(c, node_dir, false);
    DIR *d = host ? opendir(host) : NULL;
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
            continue;
        char **slot = kh_array__push(c->arena, &names, &n, sizeof(*slot));
        if (slot)
            *slot = kh_arena_printf(c->arena, "%s/%s", node_dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++)
        push_doc(c, kl, names[i]);
}

const char *kh_nd__kubelet_config(const kh_nd_comp *k)
{
    return k->kubelet ? k->kubelet->config : NULL;
}

/* The text of a config value as the flag would spell it. */
static const char *config_text(kh_nd_ctx *c, const kh_node *n, int type, const char *file)
{
    if (type == T_LIST) {
        if (!kh_node_is_seq(n))
            return kh_node_str(n);
        char *out = "";
        for (size_t i = 0; i < n->len; i++) {
            const char *s = kh_node_str(kh_node_at(n, i));
            out = kh_arena_printf(c->arena, "%s%s%s", out, i ? "," : "", s ? s : "");
        }
        return out;
    }
    if (type == T_BOOL && n->type == KH_NODE_BOOL)
        return n->boolean ? "true" : "false";
    int64_t v;
    if (type == T_INT && kh_node_int(n, &v))
        return kh_arena_printf(c->arena, "%lld", (long long)v);
    const char *s = kh_node_str(n);
    if (type == T_PATH && s && s[0] && s[0] != '/') {
        const char *slash = strrchr(file, '/');
        size_t dl = slash ? (size_t)(slash - file) : 0;
        return kh_arena_printf(c->arena, "%.*s/%s", (int)dl, file, s);
    }
    return s;
}

static kh_nd_setting feature_gate(kh_nd_ctx *c, const kh_nd_comp *k, const char *gate)
{
    kh_nd_setting s = {.path = kh_arena_printf(c->arena, "featureGates.%s", gate)};
    kh_nd_flag f = kh_nd__flag(c, k, "feature-gates");
    int v = f.set ? kh_nd__gate(f.value, gate) : -1;
    if (v >= 0) {
        s.value = v ? "true" : "false";
        s.source = "flag";
        s.file = f.file;
        s.line = f.line;
        s.col = f.col;
        s.path = "--feature-gates";
        return s;
    }
    const kh_nd_kubelet *kl = k->kubelet;
    for (size_t i = kl ? kl->ndocs : 0; i-- > 0;) {
        const kh_node *n = kh_node_get(kh_node_get(kl->docs[i].root, "featureGates"), gate);
        if (n) {
            s.value = config_text(c, n, T_BOOL, kl->docs[i].file);
            s.source = "config";
            s.file = kl->docs[i].file;
            s.line = n->line;
            s.col = n->col;
            return s;
        }
    }
    s.source = "default";
    return s;
}

kh_nd_setting kh_nd__kubelet(kh_nd_ctx *c, const kh_nd_comp *k, const char *flag)
{
    if (strncmp(flag, "gate:", 5) == 0)
        return feature_gate(c, k, flag + 5);
    const struct setting *row = NULL;
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (strcmp(settings[i].flag, flag) == 0)
            row = &settings[i];
    kh_nd_setting s = {.path = kh_arena_printf(c->arena, "--%s", flag)};
    kh_nd_flag f = kh_nd__flag(c, k, flag);
    if (f.set) {
        s.value = f.value;
        s.source = "flag";
        s.file = f.file;
        s.line = f.line;
        s.col = f.col;
        return s;
    }
    const kh_nd_kubelet *kl = k->kubelet;
    if (row && row->key && kl) {
        for (size_t i = kl->ndocs; i-- > 0;) {
            const kh_node *n = kh_node_path(kl->docs[i].root, row->key);
            if (n && !kh_node_is_null(n)) {
                s.value = config_text(c, n, row->type, kl->docs[i].file);
                s.source = "config";
                s.file = kl->docs[i].file;
                s.line = n->line;
                s.col = n->col;
                s.path = row->key;
                return s;
            }
        }
    }
    s.source = "default";
    if (kl && kl->ndocs && row && row->key) {
        s.file = kl->docs[0].file;      /* where the key would go */
    } else if (k->argc) {
        s.file = k->argv[0].file;       /* a flag-only setting: the command line */
        s.line = k->argv[0].line;
        s.col = k->argv[0].col;
    }
    if (!row)
        return s;
    if (kl && kl->ndocs && row->key)
        s.path = row->key;
    s.value = kl && kl->config ? row->def : row->legacy ? row->legacy : row->def;
    return s;
}
