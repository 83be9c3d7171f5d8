/*
 * rbac_time.c -- where the time of the RBAC analysis goes (bench/rbac.sh).
 *
 * Loads the dump into a kh_cluster as `kubeharden rbac` does, then times,
 * in process and apart from reading YAML: the shared risk model (the
 * authorizer model, each binding's capabilities, the escalation graph and
 * every subject's shortest path to cluster-admin-equivalent), every
 * rbac.* set rule run as the scanner runs it (findings counted, not
 * printed), and a second graph for a --to target. Prints one line per
 * phase: "phase cpu-seconds [count]".
 * Usage: kh-bench-rbac-time DUMP.yaml [NAMESPACE-FOR-TO]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analysis/rbac_paths.h"
#include "rules/rules.h"
#include "scan/cluster.h"

/* CPU time of this process: on a shared machine the wall clock also
 * counts other programs' turns (bench/rbac.sh gives the wall time of the
 * whole command besides). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count(void *ud, const kh_rule_def *rule, const kh_object *obj, const kh_node *at,
                  const char *path, const char *message, int severity,
                  const kh_location *related, size_t nrelated)
{
    (void)rule, (void)obj, (void)at, (void)path, (void)message, (void)severity;
    (void)related, (void)nrelated;
    ++*(size_t *)ud;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DUMP.yaml [NAMESPACE-FOR-TO]\n", argv[0]);
        return 2;
    }
    kh_cluster *c = NULL;
    kh_error err = {0};
    double t0 = now();
    if (kh_cluster_new_area(&c, KH_AREA_RBAC, NULL, NULL, &err) != KH_OK ||
        kh_cluster_load_path(c, argv[1], &err) != KH_OK) {
        fprintf(stderr, "load failed: %s\n", err.message);
        return 2;
    }
    const kh_objset *set = kh_cluster__objects(c);
    double t1 = now();
    printf("load %.3f %zu\n", t1 - t0, kh_objset_count(set));

    /* The authorizer model alone (analysis/rbac.c), which the risk model
     * builds first, to tell the two apart. */
    kh_arena scratch;
    kh_arena_init(&scratch, 0);
    kh_rbac *m = NULL;
    double ta = now();
    kh_rbac__build(&m, set, &scratch);
    printf("authorizer-model %.3f\n", now() - ta);
    kh_arena_free(&scratch);

    kh_arena arena;
    kh_arena_init(&arena, 0);
    size_t findings = 0, nrules = 0;
    kh_rule_ctx ctx = {.arena = &arena, .sink = count, .sink_ud = &findings};
    const kh_rule_def *table = kh_rules__table(&nrules);
    /* The first rule builds the shared model; time it alone. */
    double t2 = now(), t3 = 0;
    for (size_t i = 0; i < nrules; i++) {
        if (table[i].info.area != KH_AREA_RBAC || !table[i].check_set)
            continue;
        ctx.rule = &table[i];
        table[i].check_set(&ctx, set);
        if (!t3)
            t3 = now();
    }
    double t4 = now();
    printf("model+graph+first-rule %.3f\n", t3 - t2);
    printf("all-rules %.3f %zu\n", t4 - t2, findings);

    kh_rbac_risk *r = ctx.shared[0].model;
    if (r && argc > 2) {
        kh_rbac_attrs to = {.verb = "get", .resource_request = true, .api_group = "",
                            .resource = "secrets", .subresource = "", .name = "",
                            .namespace_ = argv[2]};
        kh_rbac_graph *g = NULL;
        double t5 = now();
        kh_rbac_graph__build(&g, r, &to, "get secrets", NULL, &arena);
        const kh_rbac_node *nodes;
        size_t n = kh_rbac_graph__nodes(g, &nodes), paths = 0;
        for (size_t v = 0; v < n; v++) {
            const kh_rbac_edge *const *path;
            unsigned steps;
            if (kh_rbac_graph__path(g, (uint32_t)v, &path, &steps))
                paths++;
        }
        double t6 = now();
        printf("to-target-graph+paths %.3f %zu\n", t6 - t5, paths);
    }
    if (r) {
        const kh_rbac_node *nodes;
        const kh_rbac_edge *edges;
        size_t n = kh_rbac_graph__nodes(r->graph, &nodes);
        size_t m = kh_rbac_graph__edges(r->graph, &edges), paths = 0;
        double t7 = now();
        for (size_t v = 0; v < n; v++) {
            const kh_rbac_edge *const *path;
            unsigned steps;
            if (kh_rbac_graph__path(r->graph, (uint32_t)v, &path, &steps))
                paths++;
        }
        printf("graph nodes %zu edges %zu subjects-with-path %zu walk %.3f\n", n, m, paths,
               now() - t7);
    }
    kh_arena_free(&arena);
    kh_cluster_free(c);
    return 0;
}
