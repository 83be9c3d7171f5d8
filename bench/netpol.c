/*
 * netpol.c -- kh-bench-netpol: the NetworkPolicy matrix benchmark.
 * Generates a cluster dump of APPS applications (each REPLICAS Pods with
 * the same labels, or one Deployment when REPLICAS is 1) over namespaces
 * of 50 applications, and POLICIES NetworkPolicies (a default deny per
 * namespace, then per-application policies with pod, namespace, AND and
 * ipBlock peers, named ports and endPort ranges); loads it with
 * kh_cluster, builds the model and computes the whole matrix in process
 * (best and median of RUNS).
 *
 * Usage: kh-bench-netpol [APPS [REPLICAS [POLICIES [RUNS]]]]  (default 1000 5 1000 5)
 *        kh-bench-netpol --write APPS REPLICAS POLICIES > dump.yaml
 * The dump is deterministic (no randomness is needed).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubeharden.h"
#include "kubeharden/netpol.h"

static const char *const tiers[] = {"front", "back", "data"};

static void app(FILE *f, unsigned i, unsigned replicas, unsigned nns)
{
    unsigned ns = i % nns;
    char labels[160];
    snprintf(labels, sizeof(labels), "{app: a%u, tier: %s, team: t%u}", i, tiers[i % 3], i % 7);
    const char *ports = i % 4 == 0
        ? "[{name: http, containerPort: %u}, {name: metrics, containerPort: 9100}, "
          "{name: dns, containerPort: 53, protocol: UDP}]"
        : "[{name: http, containerPort: %u}, {name: metrics, containerPort: 9100}]";
    char portbuf[200];
    snprintf(portbuf, sizeof(portbuf), ports, 8000 + i % 50);
    if (replicas <= 1) {
        fprintf(f, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a%u, namespace: "
                   "ns%u}\nspec:\n  selector: {matchLabels: {app: a%u}}\n  template:\n"
                   "    metadata: {labels: %s}\n    spec:\n      containers:\n"
                   "      - {name: c, image: registry.example/a:1, ports: %s}\n",
                i, ns, i, labels, portbuf);
        return;
    }
    for (unsigned r = 0; r < replicas; r++)
        fprintf(f, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: a%u-%u, namespace: ns%u, "
                   "labels: %s}\nspec:\n  containers:\n"
                   "  - {name: c, image: registry.example/a:1, ports: %s}\n",
                i, r, ns, labels, portbuf);
}

static void policy(FILE *f, unsigned j, unsigned apps, unsigned nns)
{
    if (j < nns) {
        fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                   "metadata: {name: default-deny, namespace: ns%u}\n"
                   "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n", j);
        return;
    }
    unsigned a = (j - nns) % apps;
    fprintf(f,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: p%u, namespace: ns%u}\nspec:\n"
            "  podSelector: {matchLabels: {app: a%u}}\n"
            "  ingress:\n"
            "  - from:\n"
            "    - podSelector: {matchLabels: {tier: front}}\n"
            "    - namespaceSelector: {matchLabels: {env: prod}}\n"
            "      podSelector: {matchLabels: {team: t%u}}\n"
            "    ports: [{port: http}, {port: 9000, endPort: 9100}]\n"
            "  - from: [{ipBlock: {cidr: 10.%u.0.0/16, except: [10.%u.1.0/24]}}]\n"
            "    ports: [{port: 8443}]\n"
            "  egress:\n"
            "  - to: [{podSelector: {matchLabels: {tier: data}}}]\n"
            "    ports: [{port: http}, {port: 5432}]\n"
            "  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ns%u}}}]\n"
            "    ports: [{port: dns, protocol: UDP}]\n"
            "  - to: [{ipBlock: {cidr: 172.16.%u.0/24}}]\n"
            "    ports: [{port: 443}]\n",
            j, a % nns, a, j % 7, j % 256, j % 256, (a + 1) % nns, j % 256);
}

static void write_dump(FILE *f, unsigned apps, unsigned replicas, unsigned policies)
{
    unsigned nns = apps / 50 ? apps / 50 : 1;
    for (unsigned n = 0; n < nns; n++)
        fprintf(f, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns%u, labels: "
                   "{env: %s, team: t%u}}\n", n, n % 2 ? "prod" : "dev", n % 5);
    for (unsigned i = 0; i < apps; i++)
        app(f, i, replicas, nns);
    for (unsigned j = 0; j < policies; j++)
        policy(f, j, apps, nns);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--write") == 0) {
        if (argc != 5) {
            fprintf(stderr, "usage: kh-bench-netpol --write APPS REPLICAS POLICIES\n");
            return 2;
        }
        write_dump(stdout, (unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]),
                   (unsigned)atoi(argv[4]));
        return 0;
    }
    unsigned apps = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    unsigned replicas = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
    unsigned policies = argc > 3 ? (unsigned)atoi(argv[3]) : 1000;
    unsigned runs = argc > 4 ? (unsigned)atoi(argv[4]) : 5;
    if (!apps || !replicas || !runs) {
        fprintf(stderr, "kh-bench-netpol: APPS, REPLICAS and RUNS must be positive\n");
        return 2;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    write_dump(f, apps, replicas, policies);
    fclose(f);

    kh_error err = {0};
    kh_cluster *c = NULL;
    double t0 = now();
    if (kh_cluster_new_area(&c, KH_AREA_NETPOL, NULL, NULL, &err) != KH_OK ||
        kh_cluster_load_buffer(c, buf, len, "bench.yaml", &err) != KH_OK) {
        fprintf(stderr, "kh-bench-netpol: %s\n", err.message);
        return 1;
    }
    double t1 = now();
    kh_netpol *np = NULL;
    if (kh_netpol_load(&np, c, &err) != KH_OK) {
        fprintf(stderr, "kh-bench-netpol: %s\n", err.message);
        return 1;
    }
    double t2 = now();
    double *t = calloc(runs, sizeof(*t));
    kh_netpol_stats st = {0};
    FILE *null = fopen("/dev/null", "w");
    for (unsigned r = 0; r < runs; r++) {
        double a = now();
        if (kh_netpol_matrix(np, r % 2 ? null : NULL, KH_NETPOL_TEXT, &st, &err) != KH_OK) {
            fprintf(stderr, "kh-bench-netpol: %s\n", err.message);
            return 1;
        }
        t[r] = now() - a;
    }
    fclose(null);
    qsort(t, runs, sizeof(*t), cmp_double);
    printf("input: %.1f MB, %zu objects kept; %u apps x %u replicas, %u policies\n",
           (double)len / 1e6, kh_cluster_count(c), apps, replicas, policies);
    printf("model: %zu workloads in %zu classes, %zu policies, %zu outside ranges\n",
           st.workloads, st.classes, st.policies, st.external);
    printf("matrix: %zu workload pairs connected, %zu workload-range edges\n", st.connections,
           st.external_connections);
    printf("load %.3f s, build %.3f s, matrix best %.3f s, median %.3f s (of %u; odd runs "
           "also write text to /dev/null)\n",
           t1 - t0, t2 - t1, t[0], t[runs / 2], runs);
    free(t);
    free(buf);
    kh_cluster_free(c);
    return 0;
}
