/*
 * test_respond.c -- response actions without a cluster: the actions and
 * watch.response settings read from the configuration (and their errors
 * with positions), what an event lets an action aim at (the pod a token
 * is bound to, the pod of objectRef or of the response object, nodes,
 * owners, workloads, bindings), the allow-lists' globs (kube-system and
 * system: names only by their exact names), and through the watcher:
 * planned dry runs, refusals, skips, the rate limit and its count at
 * flush, and the modes that need a cluster or actions.
 */
#define _GNU_SOURCE /* asprintf, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "doc/node.h"
#include "kubeharden.h"
#include "kubeharden/watch.h"
#include "scan/config.h"
#include "watch/respond.h"

static kh_config *load(const char *text, kh_error *err)
{
    char path[] = "/tmp/kh-respond-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    kh_config *cfg = NULL;
    int rc = kh_config_load(&cfg, path, err);
    unlink(path);
    return rc ? NULL : cfg;
}

static void test_respond__config_reads_actions_and_the_response_section(void **state)
{
    (void)state;
    kh_error err = {0};
    kh_config *cfg = load("watch:\n"
                          "  response:\n"
                          "    dryRun: false\n"
                          "    allow: {namespaces: [shop, 'team-*'], nodes: ['node-*'],\n"
                          "            clusterRoleBindings: [evil]}\n"
                          "    rateLimit: {window: 30, actions: 5}\n"
                          "  rules:\n"
                          "    audit.pod-exec: {actions: [isolate-pod, drain-node]}\n"
                          "    audit.cluster-admin-binding: {severity: high, actions: "
                          "[delete-binding]}\n",
                          &err);
    if (!cfg)
        fail_msg("%u:%u %s", err.line, err.col, err.message);
    const kh_watch_policy *pol = cfg->policy.watch;
    assert_true(pol->response.act);
    assert_int_equal(pol->response.nnamespaces, 2);
    assert_string_equal(pol->response.namespaces[1], "team-*");
    assert_int_equal(pol->response.nnodes, 1);
    assert_int_equal(pol->response.ncluster_bindings, 1);
    assert_int_equal(pol->response.rate_window_s, 30);
    assert_int_equal(pol->response.rate_actions, 5);
    assert_int_equal(pol->nrules, 2);
    assert_string_equal(pol->rules[0].id, "audit.pod-exec");
    assert_int_equal(pol->rules[0].nactions, 2);
    assert_int_equal(pol->rules[0].actions[0], KH_ACTION_ISOLATE_POD);
    assert_int_equal(pol->rules[0].actions[1], KH_ACTION_DRAIN_NODE);
    assert_int_equal(pol->rules[1].actions[0], KH_ACTION_DELETE_BINDING);
    assert_string_equal(kh_watch__action_name(KH_ACTION_SCALE_TO_ZERO), "scale-to-zero");
    kh_config_free(cfg);

    /* Without dryRun the section means a dry run. */
    cfg = load("watch:\n  response: {allow: {namespaces: [a]}}\n", &err);
    assert_non_null(cfg);
    assert_false(cfg->policy.watch->response.act);
    kh_config_free(cfg);
}

static void test_respond__config_errors_name_the_value_and_position(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
        unsigned line, col;
    } bad[] = {
        {"watch:\n  rules:\n    audit.pod-exec: {actions: [kill-pod]}\n",
         "unknown action 'kill-pod' in watch.rules.audit.pod-exec.actions (use delete-pod, "
         "isolate-pod, cordon-node, drain-node, scale-to-zero or delete-binding)", 3, 32},
        {"watch:\n  rules:\n    audit.pod-exec: {actions: [delete-pod, delete-pod]}\n",
         "action 'delete-pod' is listed twice in watch.rules.audit.pod-exec.actions", 3, 44},
        {"watch:\n  rules:\n    audit.pod-exec: {actions: [cordon-node, drain-node]}\n",
         "watch.rules.audit.pod-exec.actions has both cordon-node and drain-node: drain-node "
         "cordons first, keep one", 3, 45},
        {"watch:\n  rules:\n    audit.pod-exec: {actions: delete-pod}\n",
         "watch.rules.audit.pod-exec.actions must be a list of actions", 3, 31},
        {"watch:\n  response: {dryRun: maybe}\n",
         "watch.response.dryRun must be true or false, not 'maybe'", 2, 22},
        {"watch:\n  response: {allow: {pods: [a]}}\n",
         "unknown key 'watch.response.allow.pods' (expected namespaces, nodes or "
         "clusterRoleBindings)", 2, 22},
        {"watch:\n  response: {rateLimit: {actions: 0}}\n",
         "watch.response.rateLimit.actions must be a whole number from 1 to 604800, not '0'", 2,
         35},
        {"watch:\n  response: {dryrun: false}\n",
         "unknown key 'watch.response.dryrun' (expected dryRun, allow or rateLimit)", 2, 14},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kh_error err = {0};
        assert_null(load(bad[i].text, &err));
        assert_int_equal(err.code, KH_ECONFIG);
        assert_string_equal(err.message, bad[i].message);
        assert_int_equal(err.line, bad[i].line);
        assert_int_equal(err.col, bad[i].col);
    }
}

/* An event as watch.c decodes it, enough for target resolution. */
typedef struct event {
    kh_arena arena;
    kh_audit_event ev;
} event;

static void event_load(event *e, const char *json)
{
    kh_arena_init(&e->arena, 0);
    const kh_node *root = NULL;
    kh_error err = {0};
    assert_int_equal(kh_doc_load_buffer(&root, &e->arena, json, strlen(json), "e", &err), 0);
    memset(&e->ev, 0, sizeof(e->ev));
    e->ev.root = root;
    const kh_node *ref = kh_node_get(root, "objectRef");
    const char **f[] = {&e->ev.resource, &e->ev.subresource, &e->ev.namespace_, &e->ev.name,
                        &e->ev.api_group};
    const char *keys[] = {"resource", "subresource", "namespace", "name", "apiGroup"};
    for (size_t i = 0; i < 5; i++) {
        const char *s = kh_node_str(kh_node_get(ref, keys[i]));
        *f[i] = s ? s : "";
    }
    const char *user = kh_node_str(kh_node_get(kh_node_get(root, "user"), "username"));
    e->ev.user = user ? user : "";
}

static void test_respond__the_pod_of_objectref_or_of_the_response_object(void **state)
{
    (void)state;
    event e;
    kh_respond_target t;
    event_load(&e, "{\"user\":{\"username\":\"alice\"},\"objectRef\":{\"resource\":\"pods\","
                   "\"subresource\":\"exec\",\"namespace\":\"shop\",\"name\":\"web-1\"},"
                   "\"requestObject\":{\"kind\":\"PodExecOptions\"}}");
    kh_respond__target(&e.ev, &t);
    assert_string_equal(t.pod_ns, "shop");
    assert_string_equal(t.pod, "web-1");
    assert_false(t.actor);
    assert_null(t.node); /* PodExecOptions is no Pod: the node is asked for later */
    assert_null(t.workload);
    assert_null(t.binding);
    kh_arena_free(&e.arena);

    /* generateName: objectRef has no name; the response object has it,
     * with its node and controller. */
    event_load(&e, "{\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"pods\","
                   "\"namespace\":\"shop\"},\"responseObject\":{\"kind\":\"Pod\",\"metadata\":{"
                   "\"name\":\"web-x7\",\"ownerReferences\":[{\"kind\":\"Node\",\"name\":\"n\"},"
                   "{\"kind\":\"ReplicaSet\",\"name\":\"web-5d\",\"controller\":true}]},"
                   "\"spec\":{\"nodeName\":\"node-3\"}}}");
    kh_respond__target(&e.ev, &t);
    assert_string_equal(t.pod, "web-x7");
    assert_string_equal(t.node, "node-3");
    assert_string_equal(t.owner_kind, "ReplicaSet");
    assert_string_equal(t.owner, "web-5d");
    kh_arena_free(&e.arena);

    /* Names go into request bodies: only Kubernetes names are taken. */
    event_load(&e, "{\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"pods\","
                   "\"namespace\":\"shop\",\"name\":\"a\\\"b\"}}");
    kh_respond__target(&e.ev, &t);
    assert_null(t.pod);
    kh_arena_free(&e.arena);

    /* A create of pods whose name nothing gives: no pod. */
    event_load(&e, "{\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"pods\","
                   "\"namespace\":\"shop\"}}");
    kh_respond__target(&e.ev, &t);
    assert_null(t.pod);
    assert_null(t.pod_ns);
    kh_arena_free(&e.arena);
}

static void test_respond__a_token_bound_to_a_pod_makes_that_pod_the_target(void **state)
{
    (void)state;
    event e;
    kh_respond_target t;
    event_load(&e, "{\"user\":{\"username\":\"system:serviceaccount:ci:runner\",\"extra\":{"
                   "\"authentication.kubernetes.io/pod-name\":[\"runner-abc\"],"
                   "\"authentication.kubernetes.io/node-name\":[\"node-7\"]}},"
                   "\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\"}}");
    kh_respond__target(&e.ev, &t);
    assert_true(t.actor);
    assert_string_equal(t.pod_ns, "ci");
    assert_string_equal(t.pod, "runner-abc");
    assert_string_equal(t.node, "node-7");
    kh_arena_free(&e.arena);

    /* pod-name without a service account user: not trusted as one. */
    event_load(&e, "{\"user\":{\"username\":\"alice\",\"extra\":{"
                   "\"authentication.kubernetes.io/pod-name\":[\"x\"]}},"
                   "\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\"}}");
    kh_respond__target(&e.ev, &t);
    assert_null(t.pod);
    kh_arena_free(&e.arena);
}

static void test_respond__workloads_bindings_and_nodes(void **state)
{
    (void)state;
    event e;
    kh_respond_target t;
    event_load(&e, "{\"user\":{\"username\":\"a\"},\"objectRef\":{\"resource\":\"deployments\","
                   "\"apiGroup\":\"apps\",\"namespace\":\"shop\",\"name\":\"web\"}}");
    kh_respond__target(&e.ev, &t);
    assert_string_equal(t.workload_res, "deployments");
    assert_string_equal(t.workload_ns, "shop");
    assert_string_equal(t.workload, "web");
    kh_arena_free(&e.arena);

    /* Another group's "deployments" is not apps'. */
    event_load(&e, "{\"user\":{\"username\":\"a\"},\"objectRef\":{\"resource\":\"deployments\","
                   "\"apiGroup\":\"example.com\",\"namespace\":\"shop\",\"name\":\"web\"}}");
    kh_respond__target(&e.ev, &t);
    assert_null(t.workload);
    kh_arena_free(&e.arena);

    event_load(&e, "{\"user\":{\"username\":\"a\"},\"objectRef\":{\"resource\":\"rolebindings\","
                   "\"apiGroup\":\"rbac.authorization.k8s.io\",\"namespace\":\"shop\"},"
                   "\"requestObject\":{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"rb\"}}}");
    kh_respond__target(&e.ev, &t);
    assert_string_equal(t.binding_res, "rolebindings");
    assert_string_equal(t.binding_ns, "shop");
    assert_string_equal(t.binding, "rb");
    kh_arena_free(&e.arena);

    event_load(&e, "{\"user\":{\"username\":\"a\"},\"objectRef\":{\"resource\":"
                   "\"clusterrolebindings\",\"apiGroup\":\"rbac.authorization.k8s.io\","
                   "\"name\":\"crb\"}}");
    kh_respond__target(&e.ev, &t);
    assert_string_equal(t.binding_res, "clusterrolebindings");
    assert_null(t.binding_ns);
    assert_string_equal(t.binding, "crb");
    kh_arena_free(&e.arena);

    event_load(&e, "{\"user\":{\"username\":\"a\"},\"objectRef\":{\"resource\":\"nodes\","
                   "\"subresource\":\"proxy\",\"name\":\"node-2\"}}");
    kh_respond__target(&e.ev, &t);
    assert_string_equal(t.node_ref, "node-2");
    assert_null(t.pod);
    kh_arena_free(&e.arena);
}

static void test_respond__allow_lists_match_globs_but_guard_kube_system(void **state)
{
    (void)state;
    const char *star[] = {"*"};
    const char *some[] = {"team-*", "kube-system", "system:ops"};
    assert_true(kh_respond__allowed(star, 1, "shop"));
    assert_false(kh_respond__allowed(star, 1, "kube-system"));
    assert_false(kh_respond__allowed(star, 1, "system:masters"));
    assert_true(kh_respond__allowed(some, 3, "team-a"));
    assert_true(kh_respond__allowed(some, 3, "kube-system"));
    assert_true(kh_respond__allowed(some, 3, "system:ops"));
    assert_false(kh_respond__allowed(some, 3, "shop"));
    assert_false(kh_respond__allowed(NULL, 0, "shop"));
}

/* ------------------------------------------------- through the watcher */

typedef struct seen {
    char lines[32][768];
    size_t n;
} seen;

static int on_alert(const kh_alert *a, void *ud)
{
    seen *s = ud;
    if (s->n < 32 && a->response)
        snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s %s count=%lu %s | %s | %zu", a->rule_id,
                 a->response->result, a->count,
                 a->response->target ? a->response->target : "-", a->message,
                 a->response->nrequests);
    else if (s->n < 32)
        snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", a->rule_id);
    s->n++;
    return 0;
}

static void feed_exec(kh_watch *w, const char *ns, const char *pod, int sec, unsigned n)
{
    char *line = NULL;
    assert_true(asprintf(&line,
                         "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":"
                         "\"id-%u\",\"stage\":\"ResponseComplete\",\"verb\":\"create\","
                         "\"user\":{\"username\":\"alice\"},\"objectRef\":{\"resource\":\"pods\","
                         "\"namespace\":\"%s\",\"name\":\"%s\",\"subresource\":\"exec\"},"
                         "\"responseStatus\":{\"code\":101},"
                         "\"stageTimestamp\":\"2026-11-30T10:%02d:%02d.000000Z\"}",
                         n, ns, pod, sec / 60, sec % 60) > 0);
    kh_error err;
    kh_watch_line(w, line, strlen(line), "audit.log", n, &err);
    free(line);
}

/* No kubeconfig anywhere: a dry run plans on the watcher's thread. */
static void no_cluster(void)
{
    setenv("KUBECONFIG", "/nonexistent/kubeconfig", 1);
    unsetenv("KUBERNETES_SERVICE_HOST");
}

static void test_respond__planned_dry_runs_refusals_and_the_rate_limit(void **state)
{
    (void)state;
    no_cluster();
    kh_error err = {0};
    kh_config *cfg = load("watch:\n"
                          "  dedup: {window: 0}\n"
                          "  response:\n"
                          "    allow: {namespaces: ['sho*', kube-system]}\n"
                          "    rateLimit: {window: 60, actions: 2}\n"
                          "  rules:\n"
                          "    audit.pod-exec: {actions: [delete-pod, cordon-node]}\n",
                          &err);
    assert_non_null(cfg);
    seen s = {0};
    kh_watch *w = NULL;
    assert_int_equal(kh_watch_new(&w, cfg, on_alert, &s, NULL, NULL, &err), KH_OK);
    FILE *quiet = fopen("/dev/null", "w");
    kh_client_options o = {.warnings = quiet};
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_CONFIG, &o, &err), KH_OK);

    feed_exec(w, "shop", "a", 1, 1);
    assert_int_equal(s.n, 3); /* the detection, then each action in order */
    assert_string_equal(s.lines[0], "audit.pod-exec");
    assert_string_equal(s.lines[1],
                        "response.delete-pod dry-run count=1 pod shop/a | dry-run: (no cluster "
                        "configured, nothing sent) would delete pod shop/a | 1");
    assert_string_equal(s.lines[2],
                        "response.cordon-node refused count=1 the node of pod shop/a | refused: "
                        "cordon the node of pod shop/a: no node is allowed "
                        "(watch.response.allow.nodes) | 0");
    /* The same pod again within the window: nothing more is done. */
    feed_exec(w, "shop", "a", 2, 2);
    assert_int_equal(s.n, 4);
    /* kube-system by its name is allowed (audit.kube-system-change fires
     * too); another namespace is not. */
    feed_exec(w, "kube-system", "k", 3, 3);
    assert_string_equal(s.lines[6], "response.delete-pod dry-run count=1 pod kube-system/k | "
                                    "dry-run: (no cluster configured, nothing sent) would "
                                    "delete pod kube-system/k | 1");
    feed_exec(w, "prod", "p", 4, 4);
    assert_string_equal(s.lines[9], "response.delete-pod refused count=1 pod prod/p | refused: "
                                    "delete pod prod/p: namespace 'prod' is not in "
                                    "watch.response.allow.namespaces | 0");
    /* A storm in shop: one more is allowed, then one is told and the
     * rest are counted until flush. */
    size_t before = s.n;
    for (int i = 0; i < 5; i++)
        feed_exec(w, "shop", (const char *[]){"b", "c", "d", "e", "f"}[i], 10 + i, 10 + i);
    size_t deletes = 0, limited = 0;
    for (size_t i = before; i < s.n; i++) {
        deletes += strncmp(s.lines[i], "response.delete-pod dry-run", 27) == 0;
        limited += strncmp(s.lines[i], "response.delete-pod rate-limited count=1", 40) == 0;
    }
    assert_int_equal(deletes, 1);
    assert_int_equal(limited, 1);
    before = s.n;
    kh_watch_flush(w);
    assert_true(s.n > before);
    bool counted = false;
    for (size_t i = before; i < s.n; i++)
        counted |= strncmp(s.lines[i], "response.delete-pod rate-limited count=3 pod shop/f", 51) == 0;
    assert_true(counted);
    /* After the window the namespace may act again. */
    before = s.n;
    feed_exec(w, "shop", "g", 200, 30);
    assert_string_equal(s.lines[before + 1],
                        "response.delete-pod dry-run count=1 pod shop/g | dry-run: (no cluster "
                        "configured, nothing sent) would delete pod shop/g | 1");
    kh_watch_free(w);
    kh_config_free(cfg);
    fclose(quiet);
}

/* 6,000 pods in one namespace within a window: two actions, one alert
 * that the limit is reached, one count at flush; the table never fills
 * (only what is acted on is remembered per target). */
static void test_respond__a_storm_over_many_targets_stays_bounded(void **state)
{
    (void)state;
    no_cluster();
    kh_error err = {0};
    kh_config *cfg = load("watch:\n  response: {allow: {namespaces: [shop]}, "
                          "rateLimit: {window: 600, actions: 2}}\n"
                          "  rules: {audit.pod-exec: {actions: [delete-pod]}}\n",
                          &err);
    seen s = {0};
    kh_watch *w = NULL;
    assert_int_equal(kh_watch_new(&w, cfg, on_alert, &s, NULL, NULL, &err), KH_OK);
    FILE *quiet = fopen("/dev/null", "w");
    kh_client_options o = {.warnings = quiet};
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_CONFIG, &o, &err), KH_OK);
    char pod[32];
    for (unsigned i = 0; i < 6000; i++) {
        snprintf(pod, sizeof(pod), "p-%u", i);
        feed_exec(w, "shop", pod, (int)(i / 20), i + 1);
    }
    kh_watch_flush(w);
    /* s.lines keeps the first 32: the detections are folded by dedup
     * (one user), so the response alerts are among them. */
    size_t planned = 0, told = 0, counted = 0;
    for (size_t i = 0; i < s.n && i < 32; i++) {
        planned += strstr(s.lines[i], "response.delete-pod dry-run") != NULL;
        told += strstr(s.lines[i], "response.delete-pod rate-limited count=1 ") != NULL;
        counted += strstr(s.lines[i], "response.delete-pod rate-limited count=5997 ") != NULL;
    }
    assert_int_equal(planned, 2);
    assert_int_equal(told, 1);
    assert_int_equal(counted, 1);
    kh_watch_free(w);
    kh_config_free(cfg);
    fclose(quiet);
}

static void test_respond__a_rule_without_a_target_is_skipped(void **state)
{
    (void)state;
    no_cluster();
    kh_error err = {0};
    kh_config *cfg = load("watch:\n  response: {allow: {namespaces: [shop]}}\n"
                          "  rules: {audit.pod-exec: {actions: [delete-binding]}}\n",
                          &err);
    seen s = {0};
    kh_watch *w = NULL;
    assert_int_equal(kh_watch_new(&w, cfg, on_alert, &s, NULL, NULL, &err), KH_OK);
    FILE *quiet = fopen("/dev/null", "w");
    kh_client_options o = {.warnings = quiet};
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_DRY_RUN, &o, &err), KH_OK);
    feed_exec(w, "shop", "a", 1, 1);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[1], "response.delete-binding skipped count=1 - | skipped: "
                                    "delete-binding: the event names no RoleBinding or "
                                    "ClusterRoleBinding (objectRef pods shop/a) | 0");
    kh_watch_free(w);
    kh_config_free(cfg);
    fclose(quiet);
}

static void test_respond__modes_that_need_a_cluster_or_actions(void **state)
{
    (void)state;
    no_cluster();
    kh_error err = {0};
    seen s = {0};
    kh_config *cfg = load("watch:\n  rules: {audit.pod-exec: {actions: [delete-pod]}}\n", &err);
    kh_watch *w = NULL;
    assert_int_equal(kh_watch_new(&w, cfg, on_alert, &s, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_LIVE, NULL, &err), KH_ECONFIG);
    assert_non_null(strstr(err.message, "response actions are live but no cluster"));
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_OFF, NULL, &err), KH_OK);
    feed_exec(w, "shop", "a", 1, 1);
    assert_int_equal(s.n, 1); /* off: the detection only */
    kh_watch_free(w);
    kh_config_free(cfg);

    /* No rule has actions: a mode or cluster asked for is a mistake. */
    assert_int_equal(kh_config_new(&cfg, &err), KH_OK);
    assert_int_equal(kh_watch_new(&w, cfg, on_alert, &s, NULL, NULL, &err), KH_OK);
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_CONFIG, NULL, &err), KH_OK);
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_DRY_RUN, NULL, &err), KH_ECONFIG);
    assert_non_null(strstr(err.message, "no rule has response actions"));
    kh_client_options o = {.context = "prod"};
    assert_int_equal(kh_watch_respond(w, KH_RESPOND_CONFIG, &o, &err), KH_ECONFIG);
    kh_watch_free(w);
    kh_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_respond__config_reads_actions_and_the_response_section),
        cmocka_unit_test(test_respond__config_errors_name_the_value_and_position),
        cmocka_unit_test(test_respond__the_pod_of_objectref_or_of_the_response_object),
        cmocka_unit_test(test_respond__a_token_bound_to_a_pod_makes_that_pod_the_target),
        cmocka_unit_test(test_respond__workloads_bindings_and_nodes),
        cmocka_unit_test(test_respond__allow_lists_match_globs_but_guard_kube_system),
        cmocka_unit_test(test_respond__planned_dry_runs_refusals_and_the_rate_limit),
        cmocka_unit_test(test_respond__a_storm_over_many_targets_stays_bounded),
        cmocka_unit_test(test_respond__a_rule_without_a_target_is_skipped),
        cmocka_unit_test(test_respond__modes_that_need_a_cluster_or_actions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
