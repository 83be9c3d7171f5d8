/*
 * ha.c -- kh-bench-ha: the failure-simulation benchmark (issue 11, Speed:
 * 5,000 nodes and 100,000 pods, every single-node and single-zone loss
 * simulated in under a second, memory under 300 MB).
 *
 * --write prints a cluster dump: NODES nodes over ZONES zones (the first
 * three are control-plane nodes with etcd and kube-apiserver static pods),
 * a DaemonSet with a pod on every node, and Deployments (each with its
 * ReplicaSet, a Service and, for two in three, a PodDisruptionBudget) of
 * 1 to 19 replicas, until PODS pods in all, placed on nodes by a fixed
 * linear congruential sequence (the same bytes every run). Pods carry the
 * owner references, spec.nodeName and Ready conditions a real dump has.
 *
 * Measuring: load the dump as `kubeharden ha` does (kh_cluster_new_area),
 * build the model, then rank every single node and zone (kh_ha_worst_write
 * to /dev/null), best and median of RUNS; peak RSS from getrusage.
 *
 * Usage: kh-bench-ha --write [NODES [PODS [ZONES]]] > dump.yaml  (5000 100000 3)
 *        kh-bench-ha DUMP [RUNS]                                 (RUNS 5)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kubeharden.h"
#include "kubeharden/ha.h"

static unsigned long long lcg = 12345;

static unsigned next(unsigned n)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((lcg >> 33) % n);
}

static void node(FILE *f, unsigned i, unsigned zones)
{
    bool cp = i < 3;
    fprintf(f, "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: node-%u\n  labels:\n"
               "    kubernetes.io/hostname: node-%u\n    topology.kubernetes.io/zone: zone-%u\n"
               "%s"
               "status:\n  addresses:\n  - {type: InternalIP, address: 10.%u.%u.%u}\n"
               "  conditions:\n  - {type: Ready, status: \"True\"}\n",
            i, i, i % zones, cp ? "    node-role.kubernetes.io/control-plane: \"\"\n" : "",
            i / 65536, (i / 256) % 256, i % 256);
}

static void pod(FILE *f, const char *name, const char *ns, const char *labels,
                const char *owner_kind, const char *owner, unsigned node_i, const char *extra)
{
    fprintf(f, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: %s\n"
               "  labels: %s\n  ownerReferences:\n  - apiVersion: %s\n    kind: %s\n"
               "    name: %s\n    controller: true\nspec:\n  nodeName: node-%u\n"
               "  containers:\n  - name: main\n    image: registry.example/app:1.0\n%s"
               "status:\n  phase: Running\n  conditions:\n  - {type: Ready, status: \"True\"}\n",
            name, ns, labels, strcmp(owner_kind, "Node") == 0 ? "v1" : "apps/v1", owner_kind,
            owner, node_i, extra);
}

static void write_dump(unsigned nodes, unsigned pods, unsigned zones)
{
    FILE *f = stdout;
    unsigned written = 0;
    char name[128], labels[160], extra[512];
    for (unsigned i = 0; i < nodes; i++)
        node(f, i, zones);
    const char *ic = "\"--initial-cluster=node-0=https://10.0.0.0:2380,"
                     "node-1=https://10.0.0.1:2380,node-2=https://10.0.0.2:2380\"";
    for (unsigned i = 0; i < 3 && i < nodes; i++) {
        snprintf(name, sizeof(name), "etcd-node-%u", i);
        snprintf(extra, sizeof(extra), "    command: [etcd, --name=node-%u, %s]\n", i, ic);
        pod(f, name, "kube-system", "{component: etcd, tier: control-plane}", "Node", name + 5, i,
            extra);
        snprintf(name, sizeof(name), "kube-apiserver-node-%u", i);
        snprintf(extra, sizeof(extra), "    command: [kube-apiserver, --advertise-address=10.0.0.%u]\n",
                 i);
        pod(f, name, "kube-system", "{component: kube-apiserver, tier: control-plane}", "Node",
            name + 15, i, extra);
        written += 2;
    }
    fputs("---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: "
          "kube-system}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n"
          "    metadata: {labels: {app: agent}}\n    spec:\n      containers:\n"
          "      - {name: main, image: registry.example/agent:1.0}\n",
          f);
    for (unsigned i = 0; i < nodes && written < pods; i++, written++) {
        snprintf(name, sizeof(name), "agent-%u", i);
        pod(f, name, "kube-system", "{app: agent}", "DaemonSet", "agent", i, "");
    }
    for (unsigned d = 0; written < pods; d++) {
        unsigned replicas = 1 + d % 19, ns = d % 100;
        if (replicas > pods - written)
            replicas = pods - written;
        fprintf(f, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-%u, "
                   "namespace: ns-%u}\nspec:\n  replicas: %u\n  selector: {matchLabels: "
                   "{app: app-%u}}\n  template:\n    metadata: {labels: {app: app-%u}}\n"
                   "    spec:\n      containers:\n      - name: main\n"
                   "        image: registry.example/app:1.0\n"
                   "        readinessProbe: {httpGet: {path: /ready, port: 8080}}\n",
                d, ns, replicas, d, d);
        fprintf(f, "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: app-%u-6f9c\n"
                   "  namespace: ns-%u\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: "
                   "Deployment, name: app-%u, controller: true}\nspec:\n  replicas: %u\n"
                   "  selector: {matchLabels: {app: app-%u, pod-template-hash: 6f9c}}\n"
                   "  template:\n    metadata: {labels: {app: app-%u, pod-template-hash: 6f9c}}\n"
                   "    spec:\n      containers:\n      - {name: main, image: "
                   "registry.example/app:1.0}\n",
                d, ns, d, replicas, d, d);
        fprintf(f, "---\napiVersion: v1\nkind: Service\nmetadata: {name: app-%u, namespace: "
                   "ns-%u}\nspec:\n  selector: {app: app-%u}\n  ports: [{port: 80, targetPort: "
                   "8080}]\n",
                d, ns, d);
        if (d % 3 != 2)
            fprintf(f, "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: "
                       "{name: app-%u, namespace: ns-%u}\nspec:\n  %s\n  selector: "
                       "{matchLabels: {app: app-%u}}\n",
                    d, ns, d % 3 ? "maxUnavailable: 25%" : "minAvailable: 1", d);
        snprintf(labels, sizeof(labels), "{app: app-%u, pod-template-hash: 6f9c}", d);
        char owner[64], ns_name[32];
        snprintf(owner, sizeof(owner), "app-%u-6f9c", d);
        snprintf(ns_name, sizeof(ns_name), "ns-%u", ns);
        for (unsigned r = 0; r < replicas; r++, written++) {
            snprintf(name, sizeof(name), "app-%u-6f9c-%u", d, r);
            pod(f, name, ns_name, labels, "ReplicaSet", owner, next(nodes), "");
        }
    }
}

/* Resident memory now, in KiB (/proc/self/statm), 0 when unknown. */
static long rss_now(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return resident * 4;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--write") == 0) {
        unsigned nodes = argc > 2 ? (unsigned)atoi(argv[2]) : 5000;
        unsigned pods = argc > 3 ? (unsigned)atoi(argv[3]) : 100000;
        unsigned zones = argc > 4 ? (unsigned)atoi(argv[4]) : 3;
        write_dump(nodes ? nodes : 1, pods, zones ? zones : 1);
        return fflush(stdout) ? 1 : 0;
    }
    if (argc < 2) {
        fputs("usage: kh-bench-ha --write [NODES [PODS [ZONES]]] > dump.yaml\n"
              "       kh-bench-ha DUMP [RUNS]\n",
              stderr);
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    runs = runs < 1 ? 1 : runs > 100 ? 100 : runs;
    kh_error err = {0};
    kh_cluster *c = NULL;
    double t0 = now();
    if (kh_cluster_new_area(&c, KH_AREA_HA, NULL, NULL, &err) ||
        kh_cluster_load_path(c, argv[1], &err)) {
        fprintf(stderr, "kh-bench-ha: %s\n", err.message);
        return 1;
    }
    double t1 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss_loaded = ru.ru_maxrss, rss_kept = rss_now();
    kh_ha *ha = NULL;
    if (kh_ha_load(&ha, c, &err)) {
        fprintf(stderr, "kh-bench-ha: %s\n", err.message);
        return 1;
    }
    double t2 = now();
    size_t nodes, zones, workloads, pods;
    kh_ha_counts(ha, &nodes, &zones, &workloads, &pods);
    FILE *null = fopen("/dev/null", "w");
    double times[100];
    kh_ha_damage worst;
    for (int r = 0; r < runs; r++) {
        double s = now();
        if (!null || kh_ha_worst_write(ha, KH_FORMAT_JSON, 0, null, &worst, &err)) {
            fprintf(stderr, "kh-bench-ha: %s\n", err.message);
            return 1;
        }
        times[r] = now() - s;
    }
    fclose(null);
    qsort(times, (size_t)runs, sizeof(double), cmp_double);
    getrusage(RUSAGE_SELF, &ru);
    printf("objects kept %zu: %zu nodes, %zu zones, %zu workloads, %zu pods\n",
           kh_cluster_count(c), nodes, zones, workloads, pods);
    printf("load (read, parse, keep)  %8.3f s\n", t1 - t0);
    printf("model (index, select)     %8.3f s\n", t2 - t1);
    printf("every single loss (%zu)  best %.3f s, median %.3f s of %d  (%s: < 1 s)\n",
           nodes + zones, times[0], times[runs / 2], runs, times[0] < 1.0 ? "PASS" : "FAIL");
    printf("worst loss: %zu workloads down, %zu replicas lost\n", worst.workloads_down,
           worst.replicas_lost);
    printf("RSS after the load        %8.1f MiB now, %.1f MiB at the peak\n", rss_kept / 1024.0,
           rss_loaded / 1024.0);
    printf("peak RSS                  %8.1f MiB  (%s: < 300 MB)\n", ru.ru_maxrss / 1024.0,
           ru.ru_maxrss * 1024.0 < 300e6 ? "PASS" : "FAIL");
    kh_cluster_free(c);
    return 0;
}
