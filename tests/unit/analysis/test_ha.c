/*
 * test_ha.c -- the HA model's arithmetic and the failure simulation.
 *
 * IntOrString values are read and scaled as intstr does (a percentage
 * rounded up for PDBs, down for rollouts; "5" without '%' is an error);
 * the disruption controller's desiredHealthy per budget; and losses of the
 * hand-built cluster in tests/fixtures/ha/small-cluster.yaml, whose header
 * lists where every pod runs (the numbers below are worked out from it).
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/ha_model.h"
#include "kubeharden/ha.h"
#include "scan/cluster.h"

/* ------------------------------------------------------------ intstr */

static kh_ha_intpct parse(kh_arena *a, const char *yaml)
{
    const kh_node *root = NULL;
    assert_int_equal(kh_doc_load_buffer(&root, a, yaml, strlen(yaml), "t", NULL), 0);
    return kh_ha__intpct(kh_node_get(root, "v"));
}

static void test_ha_intstr__parsed_as_intstr_does(void **state)
{
    (void)state;
    kh_arena a;
    kh_arena_init(&a, 0);
    kh_ha_intpct v = parse(&a, "v: 3");
    assert_int_equal(v.kind, KH_HA_INT);
    assert_int_equal(v.value, 3);
    v = parse(&a, "v: 25%");
    assert_int_equal(v.kind, KH_HA_PERCENT);
    assert_int_equal(v.value, 25);
    /* strconv.Atoi takes a sign */
    v = parse(&a, "v: +50%");
    assert_int_equal(v.kind, KH_HA_PERCENT);
    assert_int_equal(v.value, 50);
    /* a string without '%' is an error upstream ("not a percentage") */
    assert_int_equal(parse(&a, "v: \"5\"").kind, KH_HA_INVALID);
    assert_int_equal(parse(&a, "v: 5.5%").kind, KH_HA_INVALID);
    assert_int_equal(parse(&a, "v: \"%\"").kind, KH_HA_INVALID);
    assert_int_equal(parse(&a, "v: 1.5").kind, KH_HA_INVALID);
    assert_int_equal(parse(&a, "v: null").kind, KH_HA_ABSENT);
    assert_int_equal(parse(&a, "w: 1").kind, KH_HA_ABSENT);
    kh_arena_free(&a);
}

static void test_ha_intstr__percentages_round_up_or_down(void **state)
{
    (void)state;
    kh_ha_intpct p90 = {.kind = KH_HA_PERCENT, .value = 90};
    kh_ha_intpct p25 = {.kind = KH_HA_PERCENT, .value = 25};
    kh_ha_intpct p1 = {.kind = KH_HA_PERCENT, .value = 1};
    kh_ha_intpct i2 = {.kind = KH_HA_INT, .value = 2};
    /* PDB minAvailable 90% of 5 = 4.5: roundUp gives 5 */
    assert_int_equal(kh_ha__scaled(&p90, 5, true), 5);
    /* rollout maxUnavailable 90% of 5: rounded down to 4 */
    assert_int_equal(kh_ha__scaled(&p90, 5, false), 4);
    /* Deployment defaults with 3 replicas: surge ceil(0.75) = 1, unavailable 0 */
    assert_int_equal(kh_ha__scaled(&p25, 3, true), 1);
    assert_int_equal(kh_ha__scaled(&p25, 3, false), 0);
    /* exact values are not moved: 25% of 4 is 1 both ways */
    assert_int_equal(kh_ha__scaled(&p25, 4, true), 1);
    assert_int_equal(kh_ha__scaled(&p25, 4, false), 1);
    /* 1% of 3 rounds up to a whole pod */
    assert_int_equal(kh_ha__scaled(&p1, 3, true), 1);
    /* an integer is not scaled */
    assert_int_equal(kh_ha__scaled(&i2, 100, true), 2);
    assert_int_equal(kh_ha__scaled(&p90, 0, true), 0);
}

/* ------------------------------------------------------------ the model */

static char *fixture(void)
{
    const char *src = getenv("KH_SOURCE_DIR");
    char *path = NULL;
    assert_true(asprintf(&path, "%s/tests/fixtures/ha/small-cluster.yaml",
                         src ? src : ".") > 0);
    return path;
}

static kh_cluster *load(kh_ha **ha)
{
    kh_cluster *c = NULL;
    kh_error err = {0};
    char *path = fixture();
    assert_int_equal(kh_cluster_new(&c, kh_ha_kinds(), NULL, NULL, &err), 0);
    assert_int_equal(kh_cluster_load_path(c, path, &err), 0);
    assert_int_equal(kh_cluster_errors(c), 0);
    free(path);
    assert_int_equal(kh_ha_load(ha, c, &err), 0);
    return c;
}

static const kh_ha_budget *budget(const kh_ha_model *m, const char *name)
{
    for (size_t i = 0; i < m->nbudgets; i++)
        if (strcmp(m->budgets[i].obj->name, name) == 0)
            return &m->budgets[i];
    fail_msg("no budget '%s'", name);
    return NULL;
}

static void test_ha_model__budgets_as_the_disruption_controller_computes(void **state)
{
    (void)state;
    kh_cluster *c = NULL;
    kh_error err = {0};
    char *path = fixture();
    assert_int_equal(kh_cluster_new(&c, kh_ha_kinds(), NULL, NULL, &err), 0);
    assert_int_equal(kh_cluster_load_path(c, path, &err), 0);
    free(path);
    const kh_ha_model *m = kh_ha__build(kh_cluster__arena(c), kh_cluster__objects(c));
    assert_non_null(m);
    /* web: integer minAvailable 2 counts pods: expected 3 pods, desired 2 */
    const kh_ha_budget *web = budget(m, "web");
    assert_int_equal(web->expected, 3);
    assert_int_equal(web->desired, 2);
    assert_int_equal(web->healthy, 3);
    /* db: maxUnavailable 1 of the StatefulSet's scale 2: desired 2 - 1 = 1 */
    const kh_ha_budget *db = budget(m, "db");
    assert_int_equal(db->expected, 2);
    assert_int_equal(db->desired, 1);
    /* 6 Node objects, 3 zones; the etcd members come from --initial-cluster */
    assert_int_equal(m->nnodes, 6);
    assert_int_equal(m->nzones, 3);
    assert_int_equal(m->nmembers, 3);
    assert_int_equal(m->napiservers, 3);
    for (size_t i = 0; i < m->nmembers; i++)
        assert_true(m->members[i].node >= 0);
    /* cache's ReplicaSet is not in the dump: the pod-template-hash suffix
     * names its Deployment, which is in the dump with 1 replica */
    bool cache = false;
    for (size_t i = 0; i < m->nworkloads; i++)
        if (strcmp(kh_ha__workload(m, i).name, "cache") == 0) {
            cache = true;
            assert_non_null(kh_ha__workload(m, i).obj);
            assert_int_equal(kh_ha__workload(m, i).npods, 1);
        }
    assert_true(cache);
    kh_cluster_free(c);
}

/* A bare pod's workload is kept apart from the others (ha_model.h): a pod
 * whose controller reference names kind Pod still finds it, whichever of
 * the two comes first, and an HPA may scale it. */
static void test_ha_model__bare_pods_and_pods_owned_by_pods(void **state)
{
    (void)state;
    static const char yaml[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, ownerReferences: "
        "[{apiVersion: v1, kind: Pod, name: a, controller: true}]}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: x}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: d, namespace: x, ownerReferences: "
        "[{apiVersion: v1, kind: Pod, name: c, controller: true}]}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: e, namespace: x}\n"
        "status: {phase: Running, conditions: [{type: Ready, status: 'False'}]}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: e, namespace: x}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: e}\n"
        "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        "metadata: {name: h, namespace: x}\n"
        "spec: {scaleTargetRef: {kind: Pod, name: e}, minReplicas: 3}\n";
    kh_cluster *c = NULL;
    kh_error err = {0};
    assert_int_equal(kh_cluster_new(&c, kh_ha_kinds(), NULL, NULL, &err), 0);
    assert_int_equal(kh_cluster_load_buffer(c, yaml, sizeof(yaml) - 1, "t.yaml", &err), 0);
    const kh_ha_model *m = kh_ha__build(kh_cluster__arena(c), kh_cluster__objects(c));
    assert_non_null(m);
    assert_int_equal(m->nworkloads, 4); /* x/a, x/c, x/e and e without a namespace */
    kh_ha_workload a = kh_ha__workload(m, 0), cw = kh_ha__workload(m, 1);
    kh_ha_workload e = kh_ha__workload(m, 2), e2 = kh_ha__workload(m, 3);
    /* a: first named by b's owner reference, then a's own workload */
    assert_string_equal(a.kind, "Pod");
    assert_string_equal(a.namespace_, "x");
    assert_string_equal(a.name, "a");
    assert_int_equal(a.npods, 2);
    assert_int_equal(a.replicas, 2);
    assert_int_equal(cw.cls, KH_HA_WL_BARE);
    assert_string_equal(cw.name, "c");
    assert_int_equal(cw.npods, 2);
    assert_int_equal(cw.effective, 2);
    assert_null(cw.obj);
    /* two pods x/e, one not ready, scaled by the HPA */
    assert_int_equal(e.npods, 2);
    assert_int_equal(e.ready, 1);
    assert_non_null(e.hpa);
    assert_int_equal(e.hpa_min, 3);
    assert_int_equal(e.effective, 3);
    assert_string_equal(e2.namespace_, "");
    assert_int_equal(e2.npods, 1);
    assert_null(e2.hpa);
    kh_cluster_free(c);
}

/* ------------------------------------------------------------ simulation */

static void test_ha_simulate__node_loss(void **state)
{
    (void)state;
    kh_ha *ha = NULL;
    kh_cluster *c = load(&ha);
    kh_ha_damage d;
    const char *lose[] = {"node=w-a1"};
    assert_int_equal(kh_ha_simulate(ha, lose, 1, &d, NULL), 0);
    /* w-a1: web-5d8f-a, cache-7c9d-x, db-0, agent (api-6b7c-2 is not ready) */
    assert_int_equal(d.nodes_lost, 1);
    assert_int_equal(d.pods_lost, 4);
    assert_int_equal(d.workloads_hit, 3);   /* web, cache, db; not the DaemonSet */
    assert_int_equal(d.workloads_down, 1);  /* cache */
    assert_int_equal(d.replicas_lost, 3);
    assert_int_equal(d.budgets_violated, 0); /* web keeps 2 >= 2, db 1 >= 1 */
    assert_int_equal(d.services_down, 1);   /* cache */
    assert_int_equal(d.etcd_quorum, 1);
    assert_int_equal(d.apiserver, 1);
    assert_true(kh_ha_damage_is_outage(&d));
    kh_cluster_free(c);
}

static void test_ha_simulate__zone_loss_and_quorum(void **state)
{
    (void)state;
    kh_ha *ha = NULL;
    kh_cluster *c = load(&ha);
    kh_ha_damage d;
    const char *a[] = {"zone=a"};
    assert_int_equal(kh_ha_simulate(ha, a, 1, &d, NULL), 0);
    assert_int_equal(d.nodes_lost, 3);
    assert_int_equal(d.workloads_down, 2);   /* cache, db */
    assert_int_equal(d.budgets_violated, 2); /* web 1 < 2, db 0 < 1 */
    assert_int_equal(d.services_down, 2);
    assert_int_equal(d.etcd_quorum, 1);      /* 2 of 3 >= quorum 2 */
    /* zones a and b (one item, comma-joined): 1 member of 3 left */
    const char *ab[] = {"zone=a,zone=b"};
    assert_int_equal(kh_ha_simulate(ha, ab, 1, &d, NULL), 0);
    assert_int_equal(d.nodes_lost, 5);
    assert_int_equal(d.etcd_quorum, 0);
    assert_int_equal(d.apiserver, 1);        /* cp-3's API server is left */
    /* the same node twice counts once; a node inside a lost zone too */
    const char *twice[] = {"node=w-a1", "zone=a", "node=w-a1"};
    assert_int_equal(kh_ha_simulate(ha, twice, 3, &d, NULL), 0);
    assert_int_equal(d.nodes_lost, 3);
    /* everything lost: every API server gone */
    const char *all[] = {"zone=a,zone=b,zone=c"};
    assert_int_equal(kh_ha_simulate(ha, all, 1, &d, NULL), 0);
    assert_int_equal(d.apiserver, 0);
    /* the counters are reset between simulations */
    const char *cp3[] = {"node=cp-3"};
    assert_int_equal(kh_ha_simulate(ha, cp3, 1, &d, NULL), 0);
    assert_int_equal(d.workloads_hit, 0);
    assert_false(kh_ha_damage_is_outage(&d));
    kh_cluster_free(c);
}

static void test_ha_simulate__bad_losses_are_usage_errors(void **state)
{
    (void)state;
    kh_ha *ha = NULL;
    kh_cluster *c = load(&ha);
    kh_error err = {0};
    const char *unknown[] = {"node=w-a1,node=nope"};
    assert_int_equal(kh_ha_simulate(ha, unknown, 1, NULL, &err), KH_EUSAGE);
    assert_non_null(strstr(err.message, "unknown node 'nope'"));
    const char *bad[] = {"rack=r1"};
    assert_int_equal(kh_ha_simulate(ha, bad, 1, NULL, &err), KH_EUSAGE);
    assert_non_null(strstr(err.message, "bad loss 'rack=r1'"));
    const char *zone[] = {"zone=z"};
    assert_int_equal(kh_ha_simulate(ha, zone, 1, NULL, &err), KH_EUSAGE);
    /* a failed call leaves nothing marked */
    kh_ha_damage d;
    const char *cp3[] = {"node=cp-3"};
    assert_int_equal(kh_ha_simulate(ha, cp3, 1, &d, NULL), 0);
    assert_int_equal(d.nodes_lost, 1);
    assert_int_equal(d.pods_lost, 2);
    kh_cluster_free(c);
}

static void test_ha_worst__ranks_zone_a_first(void **state)
{
    (void)state;
    kh_ha *ha = NULL;
    kh_cluster *c = load(&ha);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    kh_ha_damage worst;
    assert_int_equal(kh_ha_worst_write(ha, KH_FORMAT_TEXT, 3, out, &worst, NULL), 0);
    fclose(out);
    /* zone a (2 down, 2 Services, 2 budgets), then zone b and node w-b1
     * (api and debug down, 1 Service): the zone comes first on a tie */
    assert_int_equal(worst.workloads_down, 2);
    assert_int_equal(worst.budgets_violated, 2);
    const char *a = strstr(buf, "zone=a"), *b = strstr(buf, "zone=b"),
               *w = strstr(buf, "node=w-b1");
    assert_true(a && b && w && a < b && b < w);
    assert_non_null(strstr(buf, "(6 more)"));
    free(buf);
    assert_int_equal(kh_ha_worst_write(ha, KH_FORMAT_SARIF, 0, stdout, NULL, NULL), KH_EUSAGE);
    kh_cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ha_intstr__parsed_as_intstr_does),
        cmocka_unit_test(test_ha_intstr__percentages_round_up_or_down),
        cmocka_unit_test(test_ha_model__budgets_as_the_disruption_controller_computes),
        cmocka_unit_test(test_ha_model__bare_pods_and_pods_owned_by_pods),
        cmocka_unit_test(test_ha_simulate__node_loss),
        cmocka_unit_test(test_ha_simulate__zone_loss_and_quorum),
        cmocka_unit_test(test_ha_simulate__bad_losses_are_usage_errors),
        cmocka_unit_test(test_ha_worst__ranks_zone_a_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
