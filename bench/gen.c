/*
 * gen.c -- kh-bench-gen: writes N synthetic Kubernetes resources as one
 * multi-document YAML stream on stdout, for benchmarking `kubeharden scan`.
 *
 * The mix of kinds and the content (labels, containers, images with tags,
 * digests or none, env from secrets, probes, securityContext variants such
 * as `privileged: yes`, hostPath volumes, flow and block style, comments,
 * anchors and aliases) imitate real rendered manifests of about 1-2 KB each.
 * A small xorshift generator seeded from SEED makes the output deterministic;
 * names carry the document index so that no two documents are identical.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_CAP (1u << 20)

typedef struct gen {
    uint64_t rng;
    unsigned long idx;    /* document index */
    char name[64];        /* this document's object name */
    const char *app;      /* this document's app label */
    const char *ns;       /* namespace, NULL when omitted */
    int seq_indent;       /* 1: "  - item" under a key, 0: "- item" */
    char *buf;
    size_t len;
} gen;

/* ------------------------------------------------------------- output */

static void flush(gen *g)
{
    if (g->len && fwrite(g->buf, 1, g->len, stdout) != g->len) {
        perror("kh-bench-gen: write");
        exit(1);
    }
    g->len = 0;
}

static void put(gen *g, const char *s)
{
    size_t n = strlen(s);
    if (g->len + n > OUT_CAP)
        flush(g);
    memcpy(g->buf + g->len, s, n);
    g->len += n;
}

static void putf(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(gen *g, const char *fmt, ...)
{
    if (g->len + 4096 > OUT_CAP)
        flush(g);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g->buf + g->len, OUT_CAP - g->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= OUT_CAP - g->len) {
        fprintf(stderr, "kh-bench-gen: line too long\n");
        exit(1);
    }
    g->len += (size_t)n;
}

/* Indentation: @p lvl levels of two spaces. */
static void ind(gen *g, int lvl)
{
    static const char spaces[] = "                                                  ";
    put(g, spaces + (sizeof spaces - 1 - (size_t)(2 * lvl)));
}

/* Indent then printf: one line of the document. */
static void line(gen *g, int lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(gen *g, int lvl, const char *fmt, ...)
{
    if (g->len + 4096 > OUT_CAP)
        flush(g);
    ind(g, lvl);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g->buf + g->len, OUT_CAP - g->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= OUT_CAP - g->len) {
        fprintf(stderr, "kh-bench-gen: line too long\n");
        exit(1);
    }
    g->len += (size_t)n;
    put(g, "\n");
}

/* The level at which items of a sequence under a key at @p lvl start. */
static int seq_lvl(const gen *g, int lvl)
{
    return lvl + g->seq_indent;
}

/* ------------------------------------------------------------- random */

static uint64_t next(gen *g)
{
    uint64_t x = g->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    g->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd(gen *g, unsigned n) { return (unsigned)(next(g) % n); }
static int chance(gen *g, unsigned pct) { return rnd(g, 100) < pct; }

#define PICK(g, arr) ((arr)[rnd((g), sizeof(arr) / sizeof((arr)[0]))])

static const char *const apps[] = {
    "api", "web", "worker", "payments", "checkout", "cart", "auth", "search",
    "redis", "postgres", "kafka", "nginx", "frontend", "backend", "gateway",
    "metrics", "logging", "billing", "inventory", "notifications", "orders",
    "catalog", "recommender", "scheduler", "ingest", "exporter", "proxy",
};
static const char *const namespaces[] = {
    "default", "default", "prod", "prod", "staging", "team-a", "team-b",
    "monitoring", "payments", "platform", "data", "kube-system", "ingress",
};
static const char *const registries[] = {
    "", "docker.io/library/", "gcr.io/acme-prod/", "quay.io/acme/",
    "registry.example.com/platform/", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
    "ghcr.io/acme/",
};
static const char *const sidecars[] = {
    "envoyproxy/envoy", "fluent/fluent-bit", "busybox", "prom/statsd-exporter",
    "istio/proxyv2", "nginx", "alpine",
};
static const char *const tiers[] = { "frontend", "backend", "data", "cache", "batch" };
static const char *const teams[] = { "core", "growth", "sre", "data", "security", "mobile" };

static void hex(gen *g, char *out, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[i] = digits[rnd(g, 16)];
    out[n] = '\0';
}

/* An image reference: tagged, :latest, untagged or pinned by digest. */
static void image(gen *g, char *out, size_t size, const char *repo)
{
    const char *reg = PICK(g, registries);
    unsigned r = rnd(g, 100);
    /* Draws happen in separate statements: argument order is unspecified in C. */
    unsigned major = 1 + rnd(g, 4), minor = rnd(g, 30), patch = rnd(g, 12);
    if (r < 55) {
        snprintf(out, size, "%s%s:%u.%u.%u", reg, repo, major, minor, patch);
    } else if (r < 70) {
        snprintf(out, size, "%s%s:latest", reg, repo);
    } else if (r < 80) {
        snprintf(out, size, "%s%s", reg, repo);
    } else {
        char h[65];
        hex(g, h, 64);
        if (r < 90)
            snprintf(out, size, "%s%s@sha256:%s", reg, repo, h);
        else
            snprintf(out, size, "%s%s:%u.%u@sha256:%s", reg, repo, major, minor, h);
    }
}

/* ----------------------------------------------------------- metadata */

static void labels_block(gen *g, int lvl, int with_anchor)
{
    line(g, lvl, "labels:%s", with_anchor ? " &labels" : "");
    line(g, lvl + 1, "app: %s", g->app);
    line(g, lvl + 1, "app.kubernetes.io/name: %s", g->app);
    line(g, lvl + 1, "app.kubernetes.io/instance: %s", g->name);
    if (chance(g, 60)) {
        unsigned major = 1 + rnd(g, 4), minor = rnd(g, 30), patch = rnd(g, 12);
        line(g, lvl + 1, "app.kubernetes.io/version: \"%u.%u.%u\"", major, minor, patch);
    }
    if (chance(g, 50))
        line(g, lvl + 1, "app.kubernetes.io/managed-by: %s", chance(g, 70) ? "Helm" : "kustomize");
    if (chance(g, 40))
        line(g, lvl + 1, "tier: %s", PICK(g, tiers));
}

static void metadata(gen *g, int lvl, int cluster_scoped, int anchor_labels)
{
    line(g, lvl, "metadata:");
    line(g, lvl + 1, "name: %s", g->name);
    if (!cluster_scoped && g->ns)
        line(g, lvl + 1, "namespace: %s", g->ns);
    if (!anchor_labels && chance(g, 25)) {
        const char *team = PICK(g, teams);
        line(g, lvl + 1, "labels: {app: %s, team: %s, env: %s}", g->app, team,
             chance(g, 50) ? "prod" : "staging");
    } else
        labels_block(g, lvl + 1, anchor_labels);
    if (chance(g, 45)) {
        line(g, lvl + 1, "annotations:");
        if (chance(g, 50))
            line(g, lvl + 2, "prometheus.io/scrape: \"true\"");
        if (chance(g, 40))
            line(g, lvl + 2, "prometheus.io/port: \"%u\"", 9000 + rnd(g, 200));
        line(g, lvl + 2, "owner: %s@example.com", PICK(g, teams));
        if (chance(g, 30))
            line(g, lvl + 2, "description: 'Serves the %s API for %s; see the runbook.'",
                 g->app, PICK(g, teams));
        if (chance(g, 20))
            line(g, lvl + 2, "meta.helm.sh/release-name: %s", g->app);
    }
}

/* ----------------------------------------------------------- pod spec */

static void env(gen *g, int lvl)
{
    /* Indexed by position so that names within one container are unique. */
    static const char *const secrets[] = { "DB_PASSWORD", "API_TOKEN", "REDIS_PASSWORD",
                                           "SMTP_PASSWORD", "JWT_SECRET" };
    static const char *const fields[][2] = {
        { "POD_NAME", "metadata.name" }, { "POD_NAMESPACE", "metadata.namespace" },
        { "NODE_NAME", "spec.nodeName" }, { "POD_IP", "status.podIP" },
        { "HOST_IP", "status.hostIP" },
    };
    static const char *const leaked[] = { "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
                                          "SLACK_TOKEN", "STRIPE_API_KEY", "DATADOG_API_KEY" };
    static const char *const plain[] = { "LOG_LEVEL", "PORT", "FEATURE_FLAGS", "JAVA_OPTS",
                                         "GOMAXPROCS", "REGION", "TZ" };
    int s = seq_lvl(g, lvl);
    line(g, lvl, "env:");
    unsigned n = 1 + rnd(g, 5);
    for (unsigned i = 0; i < n; i++) {
        unsigned r = rnd(g, 100);
        if (r < 45) {
            line(g, s, "- name: %s_%u", PICK(g, plain), i);
            if (chance(g, 50))
                line(g, s + 1, "value: \"%s\"", chance(g, 50) ? "info" : "8080");
            else
                line(g, s + 1, "value: %s-%lu", g->app, g->idx % 97);
        } else if (r < 75) {
            line(g, s, "- name: %s", secrets[i]);
            line(g, s + 1, "valueFrom:");
            line(g, s + 2, "secretKeyRef:");
            line(g, s + 3, "name: %s-secrets", g->app);
            line(g, s + 3, "key: %s", chance(g, 50) ? "password" : "token");
        } else if (r < 90) {
            line(g, s, "- name: %s", fields[i][0]);
            line(g, s + 1, "valueFrom: {fieldRef: {fieldPath: %s}}", fields[i][1]);
        } else {
            /* A secret in plain sight, as real manifests sometimes have. */
            char h[25];
            hex(g, h, 24);
            line(g, s, "- {name: %s, value: \"%s\"}", leaked[i], h);
        }
    }
}

static void probe(gen *g, int lvl, const char *which, unsigned port)
{
    line(g, lvl, "%s:", which);
    unsigned r = rnd(g, 3);
    if (r == 0) {
        line(g, lvl + 1, "httpGet:");
        line(g, lvl + 2, "path: /%s", which[0] == 'l' ? "healthz" : "ready");
        line(g, lvl + 2, "port: %u", port);
    } else if (r == 1) {
        line(g, lvl + 1, "tcpSocket: {port: %u}", port);
    } else {
        line(g, lvl + 1, "exec:");
        line(g, lvl + 2, "command: [\"/bin/sh\", \"-c\", \"pgrep %s\"]", g->app);
    }
    line(g, lvl + 1, "initialDelaySeconds: %u", 5 + rnd(g, 30));
    line(g, lvl + 1, "periodSeconds: %u", 5 + rnd(g, 10));
    if (chance(g, 50))
        line(g, lvl + 1, "failureThreshold: %u", 3 + rnd(g, 3));
}

static void container_security(gen *g, int lvl)
{
    unsigned r = rnd(g, 100);
    if (r < 15)
        return; /* none at all */
    line(g, lvl, "securityContext:");
    if (r < 22) {
        line(g, lvl + 1, "privileged: true");
    } else if (r < 26) {
        line(g, lvl + 1, "privileged: yes  # YAML 1.1 boolean");
    } else if (r < 35) {
        line(g, lvl + 1, "allowPrivilegeEscalation: true");
        line(g, lvl + 1, "capabilities:");
        line(g, lvl + 2, "add: [\"NET_ADMIN\", \"SYS_ADMIN\"]");
    } else if (r < 45) {
        line(g, lvl + 1, "runAsUser: 0");
        line(g, lvl + 1, "readOnlyRootFilesystem: false");
    } else {
        line(g, lvl + 1, "allowPrivilegeEscalation: false");
        line(g, lvl + 1, "readOnlyRootFilesystem: true");
        line(g, lvl + 1, "runAsNonRoot: true");
        if (chance(g, 60))
            line(g, lvl + 1, "runAsUser: %u", 1000 + rnd(g, 64000));
        line(g, lvl + 1, "capabilities:");
        if (chance(g, 50)) {
            line(g, lvl + 2, "drop:");
            line(g, seq_lvl(g, lvl + 2), "- ALL");
        } else {
            line(g, lvl + 2, "drop: [\"ALL\"]");
        }
        if (chance(g, 40)) {
            line(g, lvl + 1, "seccompProfile:");
            line(g, lvl + 2, "type: RuntimeDefault");
        }
    }
}

/* One container; @p k is its position (0 = main). */
static void container(gen *g, int lvl, unsigned k, int *res_anchor)
{
    int s = seq_lvl(g, lvl);
    char img[200];
    const char *nm = k == 0 ? g->app : PICK(g, sidecars);
    const char *short_nm = strrchr(nm, '/') ? strrchr(nm, '/') + 1 : nm;
    image(g, img, sizeof img, nm);
    line(g, s, "- name: %s%s", short_nm, k == 0 ? "" : (k == 1 ? "-sidecar" : "-helper"));
    int c = s + 1;
    line(g, c, "image: %s", img);
    if (chance(g, 60))
        line(g, c, "imagePullPolicy: %s", chance(g, 70) ? "IfNotPresent" : "Always");
    if (chance(g, 35))
        line(g, c, "args: [\"--port=%u\", \"--log-level=info\", \"--name=%s\"]", 8080 + k, g->name);
    else if (chance(g, 20)) {
        line(g, c, "command:");
        line(g, seq_lvl(g, c), "- /usr/local/bin/%s", short_nm);
        line(g, seq_lvl(g, c), "- --config=/etc/%s/config.yaml", g->app);
    }
    unsigned port = 8000 + 80 * k + rnd(g, 80);
    if (k == 0 || chance(g, 40)) {
        line(g, c, "ports:");
        line(g, seq_lvl(g, c), "- containerPort: %u", port);
        line(g, seq_lvl(g, c) + 1, "name: http%s", k ? "-side" : "");
        line(g, seq_lvl(g, c) + 1, "protocol: TCP");
        if (chance(g, 30))
            line(g, seq_lvl(g, c), "- {containerPort: %u, name: metrics, protocol: TCP}", 9090 + k);
        if (chance(g, 3)) {
            line(g, seq_lvl(g, c), "- containerPort: %u", 22);
            line(g, seq_lvl(g, c) + 1, "hostPort: 22");
        }
    }
    if (chance(g, 75))
        env(g, c);
    if (chance(g, 15))
        line(g, c, "envFrom: [{configMapRef: {name: %s-config}}]", g->app);
    /* Resources: sometimes missing, sometimes only requests, sometimes shared. */
    unsigned r = rnd(g, 100);
    if (*res_anchor && r < 50) {
        line(g, c, "resources: *res");
    } else if (r < 20) {
        /* none */
    } else if (r < 35) {
        line(g, c, "resources:");
        unsigned cpu = 50 * (1 + rnd(g, 10));
        line(g, c + 1, "requests: {cpu: %um, memory: %uMi}", cpu, 64u << rnd(g, 4));
    } else {
        int anchor = k == 0 && chance(g, 20);
        line(g, c, "resources:%s", anchor ? " &res" : "");
        line(g, c + 1, "requests:");
        line(g, c + 2, "cpu: %um", 100 * (1 + rnd(g, 5)));
        line(g, c + 2, "memory: %uMi", 128 << rnd(g, 3));
        line(g, c + 1, "limits:");
        line(g, c + 2, "cpu: \"%u\"", 1 + rnd(g, 4));
        line(g, c + 2, "memory: %uGi", 1 + rnd(g, 4));
        *res_anchor |= anchor;
    }
    if (k == 0 && chance(g, 70))
        probe(g, c, "livenessProbe", port);
    if (k == 0 && chance(g, 60))
        probe(g, c, "readinessProbe", port);
    container_security(g, c);
    if (chance(g, 55)) {
        line(g, c, "volumeMounts:");
        line(g, seq_lvl(g, c), "- name: config");
        line(g, seq_lvl(g, c) + 1, "mountPath: /etc/%s", g->app);
        line(g, seq_lvl(g, c) + 1, "readOnly: true");
        if (chance(g, 40))
            line(g, seq_lvl(g, c), "- {name: data, mountPath: /var/lib/%s}", g->app);
    }
}

static void pod_spec(gen *g, int lvl, int is_job)
{
    int s = seq_lvl(g, lvl);
    if (chance(g, 60))
        line(g, lvl, "serviceAccountName: %s", g->app);
    if (chance(g, 30))
        line(g, lvl, "automountServiceAccountToken: false");
    if (is_job)
        line(g, lvl, "restartPolicy: %s", chance(g, 50) ? "OnFailure" : "Never");
    if (chance(g, 4))
        line(g, lvl, "hostNetwork: true");
    if (chance(g, 2))
        line(g, lvl, "hostPID: true");
    if (chance(g, 40)) {
        line(g, lvl, "securityContext:");
        line(g, lvl + 1, "runAsNonRoot: true");
        line(g, lvl + 1, "runAsUser: %u", 1000 + rnd(g, 9000));
        line(g, lvl + 1, "fsGroup: 2000");
        if (chance(g, 60)) {
            line(g, lvl + 1, "seccompProfile:");
            line(g, lvl + 2, "type: RuntimeDefault");
        }
    }
    if (chance(g, 30))
        line(g, lvl, "nodeSelector: {kubernetes.io/os: linux}");
    if (chance(g, 20)) {
        line(g, lvl, "tolerations:");
        line(g, s, "- key: dedicated");
        line(g, s + 1, "operator: Equal");
        line(g, s + 1, "value: %s", g->app);
        line(g, s + 1, "effect: NoSchedule");
    }
    if (chance(g, 25)) {
        line(g, lvl, "affinity:");
        line(g, lvl + 1, "podAntiAffinity:");
        line(g, lvl + 2, "preferredDuringSchedulingIgnoredDuringExecution:");
        line(g, seq_lvl(g, lvl + 2), "- weight: 100");
        int p = seq_lvl(g, lvl + 2) + 1;
        line(g, p, "podAffinityTerm:");
        line(g, p + 1, "topologyKey: kubernetes.io/hostname");
        line(g, p + 1, "labelSelector:");
        line(g, p + 2, "matchLabels: {app: %s}", g->app);
    }
    if (chance(g, 15)) {
        line(g, lvl, "initContainers:");
        line(g, s, "- name: init-%s", g->app);
        line(g, s + 1, "image: busybox:1.36");
        line(g, s + 1, "command: ['sh', '-c', 'until nslookup %s-db; do sleep 2; done']", g->app);
    }
    line(g, lvl, "containers:");
    unsigned n = 1 + (chance(g, 35) ? 1 : 0);
    n += chance(g, 10) ? 1 : 0;
    int res_anchor = 0;
    for (unsigned k = 0; k < n; k++)
        container(g, lvl, k, &res_anchor);
    line(g, lvl, "volumes:");
    line(g, s, "- name: config");
    line(g, s + 1, "configMap:");
    line(g, s + 2, "name: %s-config", g->app);
    if (chance(g, 50))
        line(g, s, "- name: data");
    else
        line(g, s, "- name: data  # scratch space");
    if (chance(g, 70))
        line(g, s + 1, "emptyDir: {}");
    else {
        line(g, s + 1, "persistentVolumeClaim:");
        line(g, s + 2, "claimName: %s-data", g->name);
    }
    if (chance(g, 8)) {
        static const char *const paths[] = { "/var/run/docker.sock", "/var/log", "/",
                                             "/etc/kubernetes", "/proc" };
        line(g, s, "- name: host");
        line(g, s + 1, "hostPath:");
        line(g, s + 2, "path: %s", PICK(g, paths));
        if (chance(g, 50))
            line(g, s + 2, "type: %s", chance(g, 50) ? "Directory" : "Socket");
    }
}

/* metadata + spec.template for the pod-controller kinds. */
static void pod_template(gen *g, int lvl, int with_anchor, int is_job)
{
    line(g, lvl, "template:");
    line(g, lvl + 1, "metadata:");
    if (with_anchor)
        line(g, lvl + 2, "labels: *labels");
    else
        line(g, lvl + 2, "labels: {app: %s, app.kubernetes.io/instance: %s}", g->app, g->name);
    if (chance(g, 30)) {
        line(g, lvl + 2, "annotations:");
        char h[17];
        hex(g, h, 16);
        line(g, lvl + 3, "checksum/config: %s", h);
    }
    line(g, lvl + 1, "spec:");
    pod_spec(g, lvl + 2, is_job);
}

static void selector(gen *g, int lvl, int with_anchor)
{
    line(g, lvl, "selector:");
    if (with_anchor)
        line(g, lvl + 1, "matchLabels: *labels");
    else {
        line(g, lvl + 1, "matchLabels:");
        line(g, lvl + 2, "app: %s", g->app);
        line(g, lvl + 2, "app.kubernetes.io/instance: %s", g->name);
    }
}

/* --------------------------------------------------------------- kinds */

static void header(gen *g, const char *api, const char *kind, const char *tmpl)
{
    put(g, "---\n");
    if (chance(g, 40))
        putf(g, "# Source: %s/templates/%s.yaml\n", g->app, tmpl);
    putf(g, "apiVersion: %s\nkind: %s\n", api, kind);
}

static void deployment(gen *g)
{
    int anchor = chance(g, 25);
    header(g, "apps/v1", "Deployment", "deployment");
    metadata(g, 0, 0, anchor);
    line(g, 0, "spec:");
    unsigned r = rnd(g, 10);
    line(g, 1, "replicas: %u%s", r < 3 ? 1 : r < 8 ? 2 + r % 3 : 10, r == 0 ? "  # TODO: scale up" : "");
    if (chance(g, 30))
        line(g, 1, "revisionHistoryLimit: 5");
    selector(g, 1, anchor);
    if (chance(g, 40)) {
        line(g, 1, "strategy:");
        line(g, 2, "type: RollingUpdate");
        line(g, 2, "rollingUpdate: {maxSurge: 25%%, maxUnavailable: 0}");
    }
    pod_template(g, 1, anchor, 0);
}

static void statefulset(gen *g)
{
    int anchor = chance(g, 25);
    header(g, "apps/v1", "StatefulSet", "statefulset");
    metadata(g, 0, 0, anchor);
    line(g, 0, "spec:");
    line(g, 1, "serviceName: %s-headless", g->name);
    line(g, 1, "replicas: %u", chance(g, 30) ? 1 : 3);
    line(g, 1, "podManagementPolicy: %s", chance(g, 50) ? "Parallel" : "OrderedReady");
    selector(g, 1, anchor);
    pod_template(g, 1, anchor, 0);
    line(g, 1, "volumeClaimTemplates:");
    int s = seq_lvl(g, 1);
    line(g, s, "- metadata:");
    line(g, s + 2, "name: data");
    line(g, s + 1, "spec:");
    line(g, s + 2, "accessModes: [\"ReadWriteOnce\"]");
    line(g, s + 2, "storageClassName: %s", chance(g, 50) ? "gp3" : "standard");
    line(g, s + 2, "resources:");
    line(g, s + 3, "requests:");
    line(g, s + 4, "storage: %uGi", 10u << rnd(g, 5));
}

static void daemonset(gen *g)
{
    int anchor = chance(g, 25);
    header(g, "apps/v1", "DaemonSet", "daemonset");
    metadata(g, 0, 0, anchor);
    line(g, 0, "spec:");
    selector(g, 1, anchor);
    line(g, 1, "updateStrategy:");
    line(g, 2, "type: RollingUpdate");
    pod_template(g, 1, anchor, 0);
}

static void job(gen *g)
{
    header(g, "batch/v1", "Job", "job");
    metadata(g, 0, 0, 0);
    line(g, 0, "spec:");
    line(g, 1, "backoffLimit: %u", rnd(g, 6));
    if (chance(g, 50))
        line(g, 1, "ttlSecondsAfterFinished: 3600");
    pod_template(g, 1, 0, 1);
}

static void cronjob(gen *g)
{
    static const char *const schedules[] = { "*/5 * * * *", "0 * * * *", "30 2 * * *",
                                             "0 0 * * 0", "@hourly" };
    header(g, "batch/v1", "CronJob", "cronjob");
    metadata(g, 0, 0, 0);
    line(g, 0, "spec:");
    line(g, 1, "schedule: \"%s\"", PICK(g, schedules));
    line(g, 1, "concurrencyPolicy: %s", chance(g, 50) ? "Forbid" : "Allow");
    line(g, 1, "successfulJobsHistoryLimit: 3");
    line(g, 1, "jobTemplate:");
    line(g, 2, "spec:");
    line(g, 3, "backoffLimit: 2");
    pod_template(g, 3, 0, 1);
}

static void pod(gen *g)
{
    header(g, "v1", "Pod", "pod");
    metadata(g, 0, 0, 0);
    line(g, 0, "spec:");
    pod_spec(g, 1, 0);
}

static void service(gen *g)
{
    static const char *const types[] = { "ClusterIP", "ClusterIP", "ClusterIP",
                                         "NodePort", "LoadBalancer" };
    header(g, "v1", "Service", "service");
    metadata(g, 0, 0, 0);
    line(g, 0, "spec:");
    const char *t = PICK(g, types);
    if (chance(g, 70))
        line(g, 1, "type: %s", t);
    if (chance(g, 10))
        line(g, 1, "clusterIP: None");
    int s = seq_lvl(g, 1);
    line(g, 1, "ports:");
    unsigned n = 1 + rnd(g, 3);
    for (unsigned i = 0; i < n; i++) {
        if (chance(g, 30)) {
            line(g, s, "- {name: port-%u, port: %u, targetPort: %u}", i, 80 + i, 8080 + i);
        } else {
            line(g, s, "- name: %s", i == 0 ? "http" : i == 1 ? "https" : "metrics");
            line(g, s + 1, "port: %u", i == 0 ? 80 : i == 1 ? 443 : 9090);
            line(g, s + 1, "targetPort: %s", i == 0 ? "http" : i == 1 ? "8443" : "metrics");
            line(g, s + 1, "protocol: TCP");
            if (t[0] == 'N')
                line(g, s + 1, "nodePort: %u", 30000 + (unsigned)(g->idx % 2700) + i);
        }
    }
    if (chance(g, 50))
        line(g, 1, "selector: {app: %s}", g->app);
    else {
        line(g, 1, "selector:");
        line(g, 2, "app: %s", g->app);
        line(g, 2, "app.kubernetes.io/instance: %s", g->name);
    }
    if (t[0] == 'L' && chance(g, 50))
        line(g, 1, "loadBalancerSourceRanges: [\"10.0.0.0/8\"]");
}

static void configmap(gen *g)
{
    header(g, "v1", "ConfigMap", "configmap");
    metadata(g, 0, 0, 0);
    line(g, 0, "data:");
    line(g, 1, "LOG_LEVEL: %s", chance(g, 50) ? "info" : "debug");
    line(g, 1, "MAX_CONNECTIONS: \"%u\"", 10 * (1 + rnd(g, 50)));
    line(g, 1, "FEATURE_X: \"%s\"", chance(g, 50) ? "true" : "false");
    if (chance(g, 60)) {
        line(g, 1, "config.yaml: |");
        line(g, 2, "server:");
        line(g, 3, "port: %u", 8080 + rnd(g, 10));
        line(g, 3, "readTimeout: 30s");
        line(g, 3, "writeTimeout: 30s");
        line(g, 2, "database:");
        line(g, 3, "host: %s-db.%s.svc.cluster.local", g->app, g->ns ? g->ns : "default");
        line(g, 3, "pool: %u", 5 + rnd(g, 20));
        line(g, 2, "cache:");
        line(g, 3, "ttl: %um", 1 + rnd(g, 60));
        line(g, 3, "size: %u", 1000 * (1 + rnd(g, 9)));
        line(g, 2, "# comment inside a literal block, not a YAML comment");
        line(g, 2, "features: [a, b, c]");
    } else {
        line(g, 1, "nginx.conf: |-");
        line(g, 2, "worker_processes auto;");
        line(g, 2, "events { worker_connections %u; }", 512u << rnd(g, 3));
        line(g, 2, "http {");
        line(g, 3, "server {");
        line(g, 4, "listen %u;", 8080 + rnd(g, 10));
        line(g, 4, "location / { proxy_pass http://%s:%u; }", g->app, 8000 + rnd(g, 100));
        line(g, 4, "location /healthz { return 200 'ok'; }");
        line(g, 3, "}");
        line(g, 2, "}");
    }
    if (chance(g, 30))
        line(g, 1, "motd: >\n    Welcome to %s.\n    Managed by the %s team.", g->app, PICK(g, teams));
}

static void networkpolicy(gen *g)
{
    header(g, "networking.k8s.io/v1", "NetworkPolicy", "networkpolicy");
    metadata(g, 0, 0, 0);
    line(g, 0, "spec:");
    int s = seq_lvl(g, 1);
    if (chance(g, 30)) {
        line(g, 1, "podSelector: {}");
        line(g, 1, "policyTypes: [Ingress, Egress]");
        return;
    }
    line(g, 1, "podSelector:");
    line(g, 2, "matchLabels: {app: %s}", g->app);
    line(g, 1, "policyTypes:");
    line(g, s, "- Ingress");
    line(g, 1, "ingress:");
    line(g, s, "- from:");
    line(g, s + 2, "- podSelector:");
    line(g, s + 4, "matchLabels:");
    line(g, s + 5, "app: %s", PICK(g, apps));
    if (chance(g, 50)) {
        line(g, s + 2, "- namespaceSelector:");
        line(g, s + 4, "matchLabels: {kubernetes.io/metadata.name: %s}", PICK(g, namespaces));
    }
    if (chance(g, 10))
        line(g, s + 2, "- ipBlock: {cidr: 0.0.0.0/0}");
    line(g, s + 1, "ports:");
    line(g, s + 2, "- protocol: TCP");
    line(g, s + 3, "port: %u", 8000 + rnd(g, 100));
}

static void rbac(gen *g)
{
    int s = seq_lvl(g, 0);
    switch (g->idx % 3) {
    case 0:
        header(g, "v1", "ServiceAccount", "serviceaccount");
        metadata(g, 0, 0, 0);
        if (chance(g, 40))
            line(g, 0, "automountServiceAccountToken: false");
        break;
    case 1:
        header(g, "rbac.authorization.k8s.io/v1", "Role", "role");
        metadata(g, 0, 0, 0);
        line(g, 0, "rules:");
        line(g, s, "- apiGroups: [\"\"]");
        line(g, s + 1, "resources: [\"configmaps\", \"pods\"]");
        line(g, s + 1, "verbs: [\"get\", \"list\", \"watch\"]");
        if (chance(g, 30)) {
            line(g, s, "- apiGroups: [\"\"]");
            line(g, s + 1, "resources:");
            line(g, s + 2, "- secrets");
            line(g, s + 1, "verbs:");
            line(g, s + 2, "- get");
            line(g, s + 2, "- list");
        }
        if (chance(g, 10)) {
            line(g, s, "- apiGroups: [\"*\"]");
            line(g, s + 1, "resources: [\"*\"]");
            line(g, s + 1, "verbs: [\"*\"]");
        }
        break;
    default:
        header(g, "rbac.authorization.k8s.io/v1", "RoleBinding", "rolebinding");
        metadata(g, 0, 0, 0);
        line(g, 0, "roleRef:");
        line(g, 1, "apiGroup: rbac.authorization.k8s.io");
        if (chance(g, 10)) {
            line(g, 1, "kind: ClusterRole");
            line(g, 1, "name: cluster-admin");
        } else {
            line(g, 1, "kind: Role");
            line(g, 1, "name: %s", g->app);
        }
        line(g, 0, "subjects:");
        line(g, s, "- kind: ServiceAccount");
        line(g, s + 1, "name: %s", g->app);
        if (g->ns)
            line(g, s + 1, "namespace: %s", g->ns);
        if (chance(g, 5)) {
            line(g, s, "- kind: Group");
            line(g, s + 1, "name: system:authenticated");
            line(g, s + 1, "apiGroup: rbac.authorization.k8s.io");
        }
        break;
    }
}

/* One document, its kind drawn from the mix. */
static void document(gen *g)
{
    g->app = PICK(g, apps);
    g->ns = chance(g, 10) ? NULL : PICK(g, namespaces);
    g->seq_indent = chance(g, 50);
    snprintf(g->name, sizeof g->name, "%s-%lu", g->app, g->idx);
    unsigned r = rnd(g, 100);
    if (r < 35)
        deployment(g);
    else if (r < 45)
        statefulset(g);
    else if (r < 50)
        daemonset(g);
    else if (r < 55)
        cronjob(g);
    else if (r < 60)
        job(g);
    else if (r < 65)
        pod(g);
    else if (r < 80)
        service(g);
    else if (r < 90)
        configmap(g);
    else if (r < 95)
        networkpolicy(g);
    else
        rbac(g);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: kh-bench-gen N [SEED]\n"
                        "  writes N synthetic Kubernetes resources as multi-document YAML to stdout\n");
        return 2;
    }
    char *end;
    unsigned long n = strtoul(argv[1], &end, 10);
    if (*end) {
        fprintf(stderr, "kh-bench-gen: N must be a number\n");
        return 2;
    }
    uint64_t seed = argc == 3 ? strtoull(argv[2], NULL, 10) : 1;
    gen g = { .rng = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL };
    if (g.rng == 0)
        g.rng = 1;
    g.buf = malloc(OUT_CAP);
    if (!g.buf) {
        perror("kh-bench-gen");
        return 1;
    }
    for (g.idx = 0; g.idx < n; g.idx++)
        document(&g);
    flush(&g);
    free(g.buf);
    if (fflush(stdout) != 0) {
        perror("kh-bench-gen: write");
        return 1;
    }
    return 0;
}
