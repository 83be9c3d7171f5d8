/*
 * rbac_query.c -- kh-bench-rbac-query: the who-can benchmark. Generates a
 * cluster dump with ROLES roles and bindings (half ClusterRoles and
 * ClusterRoleBindings, half Roles and RoleBindings over 500 namespaces,
 * some aggregated ClusterRoles, wildcards and resourceNames) and PODS pods,
 * loads it with kh_cluster, builds the RBAC model and times who-can
 * queries in process (best and median of RUNS).
 *
 * Usage: kh-bench-rbac-query [ROLES [PODS [RUNS]]]   (default 10000 0 50)
 *        kh-bench-rbac-query --write ROLES PODS > dump.yaml   (the dump only,
 *        to time `kubeharden rbac who-can` end to end)
 * A small xorshift generator with a fixed seed makes the dump deterministic.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubeharden.h"
#include "kubeharden/rbac.h"

#define NAMESPACES 500

static uint64_t rng = 88172645463325252ull;

static unsigned pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const verbs[] = {"get", "list", "watch", "create", "update", "patch",
                                    "delete", "deletecollection"};
static const char *const core[] = {"pods", "pods/log", "pods/exec", "services", "configmaps",
                                   "secrets", "serviceaccounts", "endpoints", "events",
                                   "persistentvolumeclaims"};
static const char *const apps[] = {"deployments", "deployments/scale", "statefulsets",
                                   "daemonsets", "replicasets"};

static void rule(FILE *o)
{
    unsigned kind = pick(20);
    if (kind == 0) {
        fputs("  - {apiGroups: ['*'], resources: ['*'], verbs: [get, list, watch]}\n", o);
        return;
    }
    if (kind == 1) {
        fputs("  - {nonResourceURLs: [/metrics, /healthz/*], verbs: [get]}\n", o);
        return;
    }
    bool is_apps = pick(3) == 0;
    fprintf(o, "  - apiGroups: [%s]\n    resources: [", is_apps ? "apps" : "''");
    unsigned nr = 1 + pick(3);
    for (unsigned i = 0; i < nr; i++)
        fprintf(o, "%s%s", i ? ", " : "", is_apps ? apps[pick(5)] : core[pick(10)]);
    fputs("]\n    verbs: [", o);
    unsigned nv = 1 + pick(4);
    for (unsigned i = 0; i < nv; i++)
        fprintf(o, "%s%s", i ? ", " : "", verbs[pick(8)]);
    fputs("]\n", o);
    if (pick(8) == 0)
        fprintf(o, "    resourceNames: [obj-%u, obj-%u]\n", pick(100), pick(100));
}

static void subjects(FILE *o, unsigned ns)
{
    fprintf(o, "  subjects:\n"
               "  - {kind: User, name: user-%u@example.com}\n"
               "  - {kind: Group, name: team-%u}\n"
               "  - {kind: ServiceAccount, name: sa-%u, namespace: ns-%u}\n",
            pick(5000), pick(300), pick(20), ns);
}

static void generate(FILE *o, unsigned roles, unsigned pods)
{
    unsigned half = roles / 2;           /* roles + bindings of each scope */
    unsigned ncr = half / 2, nr = half - ncr;
    fputs("apiVersion: v1\nkind: List\nitems:\n", o);
    fputs("- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n"
          "  metadata: {name: cluster-admin}\n"
          "  rules:\n  - {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n"
          "  - {nonResourceURLs: ['*'], verbs: ['*']}\n"
          "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding\n"
          "  metadata: {name: cluster-admin}\n"
          "  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
          "  subjects: [{kind: Group, name: 'system:masters'}]\n", o);
    for (unsigned i = 0; i < ncr; i++) {
        /* 20 aggregated roles, each over 1/20 of the others; cr-0 also over
         * the other 19 (one level of nesting, as admin over edit). */
        if (i < 20)
            fprintf(o, "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n"
                       "  metadata:\n    name: cr-%u\n    labels: {level: top}\n"
                       "  aggregationRule:\n    clusterRoleSelectors:\n"
                       "    - matchLabels: {agg: g%u}\n%s  rules: []\n",
                    i, i, i == 0 ? "    - matchLabels: {level: top}\n" : "");
        else
            fprintf(o, "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n"
                       "  metadata:\n    name: cr-%u\n    labels: {agg: g%u}\n", i, i % 20);
        if (i >= 20) {
            fputs("  rules:\n", o);
            for (unsigned r = 0, n = 2 + pick(5); r < n; r++)
                rule(o);
        }
        fprintf(o, "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding\n"
                   "  metadata: {name: crb-%u}\n"
                   "  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, "
                   "name: cr-%u}\n", i, pick(ncr + ncr / 50)); /* ~2% dangle */
        subjects(o, pick(NAMESPACES));
    }
    for (unsigned i = 0; i < nr; i++) {
        unsigned ns = i % NAMESPACES;
        fprintf(o, "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n"
                   "  metadata: {name: role-%u, namespace: ns-%u}\n  rules:\n", i, ns);
        for (unsigned r = 0, n = 2 + pick(5); r < n; r++)
            rule(o);
        bool to_cluster = pick(4) == 0;
        fprintf(o, "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: RoleBinding\n"
                   "  metadata: {name: rb-%u, namespace: ns-%u}\n"
                   "  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s-%u}\n",
                i, ns, to_cluster ? "ClusterRole" : "Role", to_cluster ? "cr" : "role",
                to_cluster ? pick(ncr) : i);
        subjects(o, ns);
    }
    for (unsigned i = 0; i < pods; i++)
        fprintf(o, "- apiVersion: v1\n  kind: Pod\n  metadata: {name: pod-%u, namespace: ns-%u}\n"
                   "  spec:\n    serviceAccountName: sa-%u\n"
                   "    containers: [{name: app, image: registry.example/app:1.%u}]\n",
                i, i % NAMESPACES, pick(20), pick(50));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_grant(const kh_rbac_grant_view *g, void *ud)
{
    (void)g;
    ++*(size_t *)ud;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct query {
    const char *label;
    kh_rbac_attrs a;
    int all_namespaces;
} query;

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--write") == 0) {
        generate(stdout, argc > 2 ? (unsigned)atoi(argv[2]) : 10000,
                 argc > 3 ? (unsigned)atoi(argv[3]) : 0);
        return fflush(stdout) ? 1 : 0;
    }
    unsigned roles = argc > 1 ? (unsigned)atoi(argv[1]) : 10000;
    unsigned pods = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
    int runs = argc > 3 ? atoi(argv[3]) : 50;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return 1;
    generate(mem, roles, pods);
    fclose(mem);

    kh_cluster *c = NULL;
    kh_rbac *m = NULL;
    kh_error err = {0};
    double t0 = now();
    if (kh_cluster_new(&c, kh_rbac_kinds(), NULL, NULL, &err) ||
        kh_cluster_load_buffer(c, buf, len, "gen.yaml", &err)) {
        fprintf(stderr, "load: %s\n", err.message);
        return 1;
    }
    double t1 = now();
    if (kh_rbac_load(&m, c, &err)) {
        fprintf(stderr, "model: %s\n", err.message);
        return 1;
    }
    double t2 = now();
    printf("dump: %u roles and bindings, %u pods, %.1f MB, %zu objects kept (errors %zu)\n",
           roles, pods, (double)len / 1e6, kh_cluster_count(c), kh_cluster_errors(c));
    printf("load (parse + keep): %.1f ms; model build: %.1f ms\n", (t1 - t0) * 1e3,
           (t2 - t1) * 1e3);

    query qs[] = {
        {"who-can get secrets -n ns-17", {.verb = "get", .resource_request = true,
         .namespace_ = "ns-17", .api_group = "", .resource = "secrets"}, 0},
        {"who-can create pods/exec -n ns-3", {.verb = "create", .resource_request = true,
         .namespace_ = "ns-3", .api_group = "", .resource = "pods", .subresource = "exec"}, 0},
        {"who-can list pods (cluster-wide)", {.verb = "list", .resource_request = true,
         .api_group = "", .resource = "pods"}, 0},
        {"who-can update deployments.apps/scale -n ns-9", {.verb = "update",
         .resource_request = true, .namespace_ = "ns-9", .api_group = "apps",
         .resource = "deployments", .subresource = "scale"}, 0},
        {"who-can get --url /metrics", {.verb = "get", .path = "/metrics"}, 0},
        {"who-can delete secrets -A (500 namespaces)", {.verb = "delete",
         .resource_request = true, .api_group = "", .resource = "secrets"}, 1},
    };
    double *t = calloc((size_t)runs, sizeof *t);
    for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        size_t grants = 0;
        for (int r = 0; r < runs; r++) {
            size_t n = 0;
            double s = now();
            if (qs[q].all_namespaces)
                kh_rbac_who_can_all(m, &qs[q].a, count_grant, &n);
            else
                kh_rbac_who_can(m, &qs[q].a, count_grant, &n);
            t[r] = now() - s;
            grants = n;
        }
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        printf("%-46s %6zu grants  best %7.3f ms  median %7.3f ms\n", qs[q].label, grants,
               t[0] * 1e3, t[runs / 2] * 1e3);
    }
    free(t);
    kh_cluster_free(c);
    free(buf);
    return 0;
}
