/*
 * respond.c -- response actions: when a rule with watch.rules.<id>.actions
 * fires, delete or isolate the pod, cordon or drain its node, scale its
 * workload to zero or delete the binding, and report each outcome as an
 * alert of rule response.<action> (docs/watch.md, "Response").
 *
 * Planning runs on the watcher's thread in event order: the target comes
 * from the event, then the allow-lists, then the rate limit (per rule,
 * action and namespace, or the cluster for nodes and ClusterRoleBindings;
 * one action per target per window), in the events' own time as dedup is.
 * The requests run on one worker thread fed by a bounded queue, so a slow
 * API server never stalls reading; finished actions wait in a done list
 * until the watcher drains it (at each line, idle poll and flush; at its
 * end it waits up to 30 s for the queue) and emits their alerts on its
 * own thread, where the sinks live. A dry run
 * sends its writes with dryRun=All (the server authorizes, admits and
 * validates them, nothing persists); with no cluster configured it plans
 * only, on the watcher's thread.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/internal.h"
#include "watch/respond.h"

#define QUEUE_MAX 256            /* actions queued or running: past that, refused */
#define LIMIT_MAX 4096           /* rate-limit entries held */
#define QUARANTINE_LABEL "kubeharden.io/quarantine"
#define QUARANTINE_POLICY "kubeharden-quarantine"
#define LIST_MAX 12              /* pods named per outcome of a drain */
#define RETRIES 2                /* for 429, 5xx and lost connections (evictions: none) */
#define FINISH_WAIT_S 30         /* at the end, for the actions still queued */

typedef struct job {
    struct job *next;
    kh_arena arena;
    kh_watch_action action;
    const char *rule, *rule_title;
    kh_severity severity;
    bool dry_run;
    kh_respond_target t;
    /* The detection it answers. */
    const char *audit_id, *stage, *timestamp, *verb, *uri, *user, *agent, *imp, *file;
    const char **groups, **ips;
    size_t ngroups, nips;
    unsigned line, col;
    /* The outcome. */
    const char *result, *target, *message, *fix;
    const char *res, *ns, *name, *group; /* objectRef of the target */
    int code;
    const char **requests;
    size_t nrequests, caprequests;
    const char *body;            /* the last answer's body (arena copy) */
    const char *failure;         /* the last failed request, with the server's message */
} job;

typedef struct limit {
    char *key;
    int64_t start;               /* µs: the window's start */
    long n;                      /* decisions in the window (a scope entry) */
    unsigned long held;          /* rate-limited since the window's alert */
    bool scope, told;            /* told: the window's first one held was reported */
    job *last;                   /* the last one held (for the count's alert) */
} limit;

struct kh_respond {
    const kh_watch_policy *pol;
    bool act;
    kh_respond_emit emit;
    void *ud;
    FILE *warnings;
    kh_rest_config rc;
    kh_http *http;               /* NULL: no cluster, plan only */
    limit *limits;
    size_t nlimits;
    /* Queue and worker. */
    pthread_t thread;
    bool started, stop, running;
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    job *head, *tail, *done_head, *done_tail;
    size_t inflight;             /* queued, running or done and not yet emitted */
    atomic_size_t ndone;
};

/* ------------------------------------------------------------ helpers */

static const char *str(const kh_node *n)
{
    const char *s = kh_node_str(n);
    return s && *s ? s : NULL;
}

static const char *copy(job *j, const char *s)
{
    return s ? kh_arena_strdup(&j->arena, s) : NULL;
}

/* A path segment: everything but unreserved characters percent-encoded,
 * so a name can never reach another path or the query. */
static const char *seg(job *j, const char *s)
{
    size_t n = strlen(s);
    char *out = kh_arena_alloc(&j->arena, n * 3 + 1), *o = out;
    if (!out)
        return "";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~:@", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    return out;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool kh_respond__allowed(const char *const *globs, size_t n, const char *name)
{
    bool guarded = strcmp(name, "kube-system") == 0 || strncmp(name, "system:", 7) == 0;
    for (size_t i = 0; i < n; i++)
        if (guarded ? strcmp(globs[i], name) == 0 : fnmatch(globs[i], name, 0) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------- targets */

/* The first string of user.extra[key] (a list, as the API server writes it). */
static const char *extra(const kh_node *root, const char *key)
{
    const kh_node *v = kh_node_get(kh_node_get(kh_node_get(root, "user"), "extra"), key);
    return kh_node_is_seq(v) ? str(kh_node_at(v, 0)) : str(v);
}

/* The event's response or request object when it is of @p kind. */
static const kh_node *object_of(const kh_audit_event *ev, const char *kind)
{
    static const char *const keys[] = {"responseObject", "requestObject"};
    for (size_t i = 0; i < 2; i++) {
        const kh_node *o = kh_node_get(ev->root, keys[i]);
        const char *k = str(kh_node_get(o, "kind"));
        if (k && strcmp(k, kind) == 0)
            return o;
    }
    return NULL;
}

static const char *name_of(const kh_audit_event *ev, const char *kind)
{
    return *ev->name ? ev->name : str(kh_node_path(object_of(ev, kind), "metadata.name"));
}

/* A DNS subdomain as Kubernetes names pods and namespaces: these names go
 * into request bodies, so nothing else is taken from an event. */
static bool dns_name(const char *s)
{
    if (!s || !*s || strlen(s) > 253)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
            return false;
    return true;
}

void kh_respond__target(const kh_audit_event *ev, kh_respond_target *t)
{
    memset(t, 0, sizeof(*t));
    /* A token bound to a pod (Kubernetes 1.30+ writes its pod and node in
     * user.extra): that pod made the request, so it is the one to act on. */
    const char *bound = extra(ev->root, "authentication.kubernetes.io/pod-name");
    static const char sa[] = "system:serviceaccount:";
    if (bound && strncmp(ev->user, sa, sizeof(sa) - 1) == 0 && strchr(ev->user + sizeof(sa) - 1, ':')) {
        const char *ns = ev->user + sizeof(sa) - 1;
        static __thread char nsbuf[256];
        snprintf(nsbuf, sizeof(nsbuf), "%.*s", (int)(strchr(ns, ':') - ns), ns);
        t->pod_ns = nsbuf;
        t->pod = bound;
        t->actor = true;
        t->node = extra(ev->root, "authentication.kubernetes.io/node-name");
    } else if (strcmp(ev->resource, "pods") == 0 && !*ev->api_group && *ev->namespace_) {
        t->pod_ns = ev->namespace_;
        t->pod = name_of(ev, "Pod");
        const kh_node *pod = object_of(ev, "Pod");
        t->node = str(kh_node_path(pod, "spec.nodeName"));
        const kh_node *refs = kh_node_path(pod, "metadata.ownerReferences");
        for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++) {
            const kh_node *r = kh_node_at(refs, i);
            if (kh_node_is_true(kh_node_get(r, "controller"))) {
                t->owner_kind = str(kh_node_get(r, "kind"));
                t->owner = str(kh_node_get(r, "name"));
            }
        }
    }
    if (!dns_name(t->pod) || !dns_name(t->pod_ns)) {
        t->pod = t->pod_ns = t->node = t->owner = t->owner_kind = NULL;
        t->actor = false;
    }
    static const struct {
        const char *group, *res, *kind;
    } workloads[] = {{"apps", "deployments", "Deployment"},
                     {"apps", "statefulsets", "StatefulSet"},
                     {"apps", "replicasets", "ReplicaSet"},
                     {"", "replicationcontrollers", "ReplicationController"}};
    for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
        if (strcmp(ev->resource, workloads[i].res) == 0 &&
            strcmp(ev->api_group, workloads[i].group) == 0 && *ev->namespace_ &&
            (t->workload = name_of(ev, workloads[i].kind))) {
            t->workload_res = workloads[i].res;
            t->workload_ns = ev->namespace_;
        }
    if (strcmp(ev->api_group, "rbac.authorization.k8s.io") == 0) {
        if (strcmp(ev->resource, "rolebindings") == 0 && *ev->namespace_ &&
            (t->binding = name_of(ev, "RoleBinding"))) {
            t->binding_res = "rolebindings";
            t->binding_ns = ev->namespace_;
        } else if (strcmp(ev->resource, "clusterrolebindings") == 0 &&
                   (t->binding = name_of(ev, "ClusterRoleBinding"))) {
            t->binding_res = "clusterrolebindings";
        }
    }
    if (strcmp(ev->resource, "nodes") == 0 && !*ev->api_group && *ev->name)
        t->node_ref = ev->name;
}

/* --------------------------------------------------------------- alerts */

static const char *const titles[KH_ACTION_MAX + 1] = {
    NULL,
    "response: delete the pod",
    "response: isolate the pod (quarantine label, deny-all NetworkPolicy)",
    "response: cordon the pod's node",
    "response: cordon and drain the pod's node",
    "response: scale the pod's workload to zero",
    "response: delete the binding",
};

static void emit_job(kh_respond *r, job *j, unsigned long count)
{
    char rule[64], why[600];
    snprintf(rule, sizeof(rule), "response.%s", kh_watch__action_name(j->action));
    snprintf(why, sizeof(why), "answers %s: %s", j->rule, j->rule_title ? j->rule_title : "");
    kh_alert_response resp = {.action = kh_watch__action_name(j->action), .result = j->result,
                              .dry_run = j->dry_run, .target = j->target, .trigger = j->rule,
                              .requests = j->requests, .nrequests = j->nrequests};
    char subject[600];
    snprintf(subject, sizeof(subject), "%s", j->target ? j->target : "none");
    kh_alert a = {.rule_id = rule, .severity = j->severity, .title = titles[j->action],
                  .why = why, .fix = j->fix, .message = j->message, .count = count,
                  .subject = subject, .file = j->file, .line = j->line, .col = j->col,
                  .audit_id = j->audit_id, .stage = j->stage, .timestamp = j->timestamp,
                  .verb = j->verb, .request_uri = j->uri, .user = j->user, .user_agent = j->agent,
                  .impersonated_user = j->imp, .groups = j->groups, .ngroups = j->ngroups,
                  .source_ips = j->ips, .nsource_ips = j->nips, .resource = j->res,
                  .namespace_ = j->ns,
                  .name = j->name, .api_group = j->group, .code = j->code, .response = &resp};
    r->emit(r->ud, &a);
}

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->requests);
    kh_arena_free(&j->arena);
    free(j);
}

static void set_target(job *j, const char *res, const char *group, const char *ns,
                       const char *name, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void set_target(job *j, const char *res, const char *group, const char *ns,
                       const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[600];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    j->target = kh_arena_strdup(&j->arena, buf);
    j->res = res;
    j->group = group;
    j->ns = ns;
    j->name = name;
}

static void outcome(job *j, const char *result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void outcome(job *j, const char *result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = NULL;
    if (vasprintf(&detail, fmt, ap) < 0)
        detail = NULL;
    va_end(ap);
    j->result = result;
    j->message = kh_arena_printf(&j->arena, "%s: %s", result, detail ? detail : "");
    free(detail);
}

/* ------------------------------------------------------------ requests */

static void add_request(job *j, const char *line)
{
    if (j->nrequests == j->caprequests) {
        size_t cap = j->caprequests ? j->caprequests * 2 : 8;
        const char **grown = realloc(j->requests, cap * sizeof(*grown));
        if (!grown)
            return;
        j->requests = grown;
        j->caprequests = cap;
    }
    j->requests[j->nrequests++] = line;
}

/* The Status message of the last answer, with its causes (a
 * PodDisruptionBudget's own words). */
static const char *causes(job *j)
{
    const kh_node *root = NULL;
    if (!j->body || kh_doc_load_buffer(&root, &j->arena, j->body, strlen(j->body), "<status>",
                                       NULL) != 0)
        return "";
    const kh_node *cs = kh_node_path(root, "details.causes");
    const char *out = "";
    for (size_t i = 0; kh_node_is_seq(cs) && i < cs->len; i++) {
        const char *m = str(kh_node_get(kh_node_at(cs, i), "message"));
        if (m)
            out = kh_arena_printf(&j->arena, "%s (%s)", out, m);
    }
    return out;
}

/* Send one request (writes with dryRun=All in a dry run). @return its
 * HTTP status; 0 when planning without a cluster; -1 when no answer came
 * (j->failure says why). */
static long call(kh_respond *r, job *j, const char *method, const char *path,
                 const char *ctype, const char *body, int retries)
{
    bool write = strcmp(method, "GET") != 0;
    if (write && j->dry_run)
        path = kh_arena_printf(&j->arena, "%s%cdryRun=All", path, strchr(path, '?') ? '&' : '?');
    j->body = NULL;
    if (!r->http) {
        if (write)
            add_request(j, kh_arena_printf(&j->arena, "%s %s", method, path));
        return 0;
    }
    kh_http_resp resp;
    kh_error err = {0};
    if (kh_http__send(r->http, method, path, ctype, body, body ? strlen(body) : 0, retries,
                      &resp, &err) != 0) {
        add_request(j, kh_arena_printf(&j->arena, "%s %s -", method, path));
        j->failure = kh_arena_strdup(&j->arena, err.message);
        return -1;
    }
    add_request(j, kh_arena_printf(&j->arena, "%s %s %ld", method, path, resp.status));
    j->code = (int)resp.status;
    j->body = kh_arena_strdup(&j->arena, resp.body ? resp.body : "");
    if (resp.status >= 400) {
        kh_http__method_error(method, path, &resp, &err);
        j->failure = kh_arena_printf(&j->arena, "%s%s", err.message, causes(j));
    }
    return resp.status;
}

/* What kubectl delete sends: dependents are collected in the background. */
#define DELETE_OPTIONS "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\"," \
                       "\"propagationPolicy\":\"Background\"}"

static bool ok(long status)
{
    return status == 0 || (status >= 200 && status < 300);
}

/* GET @p path as a tree in the job's arena; NULL on any failure. */
static const kh_node *get(kh_respond *r, job *j, const char *path)
{
    const kh_node *root = NULL;
    if (call(r, j, "GET", path, NULL, NULL, RETRIES) != 200 ||
        kh_doc_load_buffer(&root, &j->arena, j->body, strlen(j->body), path, NULL) != 0)
        return NULL;
    return root;
}

/* The outcome of an action whose requests all went as @p status says. */
static void finish(kh_respond *r, job *j, long status, const char *what)
{
    if (!ok(status))
        outcome(j, "failed", "%s: %s", what, j->failure ? j->failure : "no answer");
    else if (!r->http)
        outcome(j, "dry-run", "(no cluster configured, nothing sent) would %s", what);
    else if (j->dry_run)
        outcome(j, "dry-run", "(dryRun=All: the server accepted it, nothing changed) would %s",
                what);
    else
        outcome(j, "done", "%s", what);
}

/* ------------------------------------------------------------- actions */

static const char *pod_path(job *j, const char *ns, const char *name)
{
    return kh_arena_printf(&j->arena, "/api/v1/namespaces/%s/pods/%s", seg(j, ns), seg(j, name));
}

static void delete_pod(kh_respond *r, job *j)
{
    long st = call(r, j, "DELETE", pod_path(j, j->t.pod_ns, j->t.pod), "application/json",
                   DELETE_OPTIONS, RETRIES);
    j->fix = "the pod's controller, if it has one, starts a new one from its template: fix "
             "the template or the access the detection points at";
    finish(r, j, st, kh_arena_printf(&j->arena, "delete pod %s/%s", j->t.pod_ns, j->t.pod));
}

/* The NetworkPolicy first, then the label: the label never lands before
 * the policy that gives it its meaning. */
static void isolate_pod(kh_respond *r, job *j)
{
    const char *ns = j->t.pod_ns;
    const char *np = kh_arena_printf(
        &j->arena,
        "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{"
        "\"name\":\"" QUARANTINE_POLICY "\",\"namespace\":\"%s\",\"labels\":{"
        "\"app.kubernetes.io/managed-by\":\"kubeharden\"}},\"spec\":{\"podSelector\":{"
        "\"matchLabels\":{\"" QUARANTINE_LABEL "\":\"true\"}},\"policyTypes\":[\"Ingress\","
        "\"Egress\"]}}",
        ns);
    const char *path = kh_arena_printf(&j->arena,
                                       "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/"
                                       QUARANTINE_POLICY "?fieldManager=kubeharden&force=true",
                                       seg(j, ns));
    long st = call(r, j, "PATCH", path, "application/apply-patch+yaml", np, RETRIES);
    if (ok(st))
        st = call(r, j, "PATCH", pod_path(j, ns, j->t.pod), "application/merge-patch+json",
                  "{\"metadata\":{\"labels\":{\"" QUARANTINE_LABEL "\":\"true\"}}}", RETRIES);
    j->fix = kh_arena_printf(&j->arena,
                             "to release it: kubectl -n %s label pod %s " QUARANTINE_LABEL
                             "- (the NetworkPolicy " QUARANTINE_POLICY " selects labelled pods "
                             "only; policies add up, so one that allows traffic to this pod "
                             "still does)",
                             ns, j->t.pod);
    finish(r, j, st,
           kh_arena_printf(&j->arena, "isolate pod %s/%s (label " QUARANTINE_LABEL "=true; "
                           "NetworkPolicy %s/" QUARANTINE_POLICY " denies all ingress and "
                           "egress of labelled pods)", ns, j->t.pod, ns));
}

/* The node to act on: the event's, else the pod's spec.nodeName. NULL
 * after setting the outcome when there is none or it is not allowed. */
static const char *node_of(kh_respond *r, job *j, const char *verb)
{
    const char *node = j->t.node_ref && !j->t.pod ? j->t.node_ref : j->t.node;
    if (!node && j->t.pod) {
        const kh_node *pod = get(r, j, pod_path(j, j->t.pod_ns, j->t.pod));
        node = pod ? copy(j, str(kh_node_path(pod, "spec.nodeName"))) : NULL;
        if (!r->http) {
            outcome(j, "dry-run", "(no cluster configured to find it, nothing sent) would %s "
                    "the node of pod %s/%s", verb, j->t.pod_ns, j->t.pod);
            return NULL;
        }
        if (!pod) {
            outcome(j, "failed", "%s the node of pod %s/%s: %s", verb, j->t.pod_ns, j->t.pod,
                    j->failure ? j->failure : "unreadable answer");
            return NULL;
        }
        if (!node) {
            outcome(j, "skipped", "%s the node of pod %s/%s: the pod is on no node", verb,
                    j->t.pod_ns, j->t.pod);
            return NULL;
        }
    }
    set_target(j, "nodes", NULL, NULL, node, "node %s", node);
    const kh_watch_response *pr = &r->pol->response;
    if (!kh_respond__allowed(pr->nodes, pr->nnodes, node)) {
        outcome(j, "refused", "%s node %s: not in watch.response.allow.nodes", verb, node);
        return NULL;
    }
    return node;
}

static long cordon(kh_respond *r, job *j, const char *node)
{
    /* As kubectl cordon: a strategic merge patch of spec.unschedulable. */
    return call(r, j, "PATCH",
                kh_arena_printf(&j->arena, "/api/v1/nodes/%s", seg(j, node)),
                "application/strategic-merge-patch+json", "{\"spec\":{\"unschedulable\":true}}",
                RETRIES);
}

static void cordon_node(kh_respond *r, job *j)
{
    const char *node = node_of(r, j, "cordon");
    if (!node)
        return;
    long st = cordon(r, j, node);
    j->fix = kh_arena_printf(&j->arena, "kubectl uncordon %s once the node is cleared", node);
    finish(r, j, st, kh_arena_printf(&j->arena, "cordon node %s", node));
}

/* Why kubectl drain (without --force, --delete-emptydir-data) would leave
 * @p pod alone, or why we do; NULL to evict it. */
static const char *keep(kh_respond *r, const kh_node *pod)
{
    const kh_node *md = kh_node_get(pod, "metadata");
    if (kh_node_get(kh_node_get(md, "annotations"), "kubernetes.io/config.mirror"))
        return "mirror pod";
    if (kh_node_get(md, "deletionTimestamp"))
        return "already terminating";
    const char *phase = str(kh_node_path(pod, "status.phase"));
    if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
        return "finished";
    const char *ns = str(kh_node_get(md, "namespace"));
    if (!ns || !kh_respond__allowed(r->pol->response.namespaces, r->pol->response.nnamespaces, ns))
        return "namespace not allowed";
    const char *owner = NULL;
    const kh_node *refs = kh_node_get(md, "ownerReferences");
    for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++)
        if (kh_node_is_true(kh_node_get(kh_node_at(refs, i), "controller")))
            owner = str(kh_node_get(kh_node_at(refs, i), "kind"));
    if (owner && strcmp(owner, "DaemonSet") == 0)
        return "DaemonSet";
    if (!owner)
        return "no controller";
    const kh_node *vols = kh_node_path(pod, "spec.volumes");
    for (size_t i = 0; kh_node_is_seq(vols) && i < vols->len; i++)
        if (kh_node_get(kh_node_at(vols, i), "emptyDir"))
            return "emptyDir data";
    return NULL;
}

typedef struct tally {
    const char *names;
    size_t n;
} tally;

static void count(job *j, tally *t, const char *what)
{
    if (t->n < LIST_MAX)
        t->names = kh_arena_printf(&j->arena, "%s%s%s", t->names ? t->names : "",
                                   t->names ? ", " : "", what);
    else if (t->n == LIST_MAX)
        t->names = kh_arena_printf(&j->arena, "%s, ...", t->names);
    t->n++;
}

/* Cordon, then evict what kubectl drain would (policy/v1 Eviction, which
 * honours PodDisruptionBudgets: a 429 is reported, never forced). */
static void drain_node(kh_respond *r, job *j)
{
    const char *node = node_of(r, j, "drain");
    if (!node)
        return;
    j->fix = kh_arena_printf(&j->arena, "kubectl uncordon %s once the node is cleared; evicted "
                             "pods were started elsewhere by their controllers", node);
    long st = cordon(r, j, node);
    if (!ok(st) || !r->http) {
        finish(r, j, st, kh_arena_printf(&j->arena, "cordon node %s, then evict its pods",
                                         node));
        return;
    }
    const kh_node *list = get(r, j, kh_arena_printf(&j->arena,
                                                    "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s",
                                                    seg(j, node)));
    if (!list) {
        outcome(j, "failed", "drain node %s: cordoned, but its pods could not be listed: %s",
                node, j->failure ? j->failure : "unreadable answer");
        return;
    }
    tally evicted = {0}, refused = {0}, failed = {0}, kept = {0};
    const kh_node *items = kh_node_get(list, "items");
    for (size_t i = 0; kh_node_is_seq(items) && i < items->len; i++) {
        const kh_node *pod = kh_node_at(items, i);
        const char *ns = str(kh_node_path(pod, "metadata.namespace"));
        const char *name = str(kh_node_path(pod, "metadata.name"));
        if (!ns || !name)
            continue;
        const char *who = kh_arena_printf(&j->arena, "%s/%s", ns, name);
        const char *why = keep(r, pod);
        if (why) {
            count(j, &kept, kh_arena_printf(&j->arena, "%s: %s", who, why));
            continue;
        }
        const char *body = kh_arena_printf(
            &j->arena, "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{"
                       "\"name\":\"%s\",\"namespace\":\"%s\"}}", name, ns);
        long es = call(r, j, "POST",
                       kh_arena_printf(&j->arena, "%s/eviction", pod_path(j, ns, name)),
                       "application/json", body, 0);
        if (ok(es))
            count(j, &evicted, who);
        else if (es == 429)
            count(j, &refused, kh_arena_printf(&j->arena, "%s: %s", who, j->failure));
        else
            count(j, &failed, kh_arena_printf(&j->arena, "%s: %s", who,
                                                j->failure ? j->failure : "no answer"));
    }
    const char *what = kh_arena_printf(
        &j->arena, "drain node %s: cordoned; evicted %zu%s%s%s; refused by a disruption budget "
        "%zu%s%s%s; failed %zu%s%s%s; left %zu%s%s%s", node, evicted.n,
        evicted.n ? " (" : "", evicted.n ? evicted.names : "", evicted.n ? ")" : "", refused.n,
        refused.n ? " (" : "", refused.n ? refused.names : "", refused.n ? ")" : "", failed.n,
        failed.n ? " (" : "", failed.n ? failed.names : "", failed.n ? ")" : "", kept.n,
        kept.n ? " (" : "", kept.n ? kept.names : "", kept.n ? ")" : "");
    if (refused.n || failed.n)
        outcome(j, "partial", "%s%s", what, j->dry_run ? " (dry run: dryRun=All, nothing changed)"
                                                       : "");
    else
        finish(r, j, 200, what);
}

/* The workload to scale: the one the event names, else the pod's
 * controller (a ReplicaSet's Deployment when it has one). */
static bool workload_of(kh_respond *r, job *j, const char **res, const char **group,
                        const char **ns, const char **name)
{
    if (j->t.workload) {
        *res = j->t.workload_res;
        *ns = j->t.workload_ns;
        *name = j->t.workload;
    } else {
        const char *kind = j->t.owner_kind, *owner = j->t.owner;
        *ns = j->t.pod_ns;
        if (!kind) {
            const kh_node *pod = get(r, j, pod_path(j, j->t.pod_ns, j->t.pod));
            if (!r->http) {
                outcome(j, "dry-run", "(no cluster configured to find it, nothing sent) would "
                        "scale the workload of pod %s/%s to zero", j->t.pod_ns, j->t.pod);
                return false;
            }
            const kh_node *refs = kh_node_path(pod, "metadata.ownerReferences");
            for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++)
                if (kh_node_is_true(kh_node_get(kh_node_at(refs, i), "controller"))) {
                    kind = copy(j, str(kh_node_get(kh_node_at(refs, i), "kind")));
                    owner = copy(j, str(kh_node_get(kh_node_at(refs, i), "name")));
                }
            if (!pod) {
                outcome(j, "failed", "scale the workload of pod %s/%s to zero: %s", j->t.pod_ns,
                        j->t.pod, j->failure ? j->failure : "unreadable answer");
                return false;
            }
        }
        if (kind && owner && strcmp(kind, "ReplicaSet") == 0 && r->http) {
            const kh_node *rs = get(r, j, kh_arena_printf(&j->arena,
                                                          "/apis/apps/v1/namespaces/%s/replicasets/%s",
                                                          seg(j, *ns), seg(j, owner)));
            const kh_node *refs = kh_node_path(rs, "metadata.ownerReferences");
            for (size_t i = 0; kh_node_is_seq(refs) && i < refs->len; i++) {
                const kh_node *ref = kh_node_at(refs, i);
                const char *k = str(kh_node_get(ref, "kind"));
                if (kh_node_is_true(kh_node_get(ref, "controller")) && k &&
                    strcmp(k, "Deployment") == 0) {
                    kind = "Deployment";
                    owner = copy(j, str(kh_node_get(ref, "name")));
                }
            }
        }
        static const char *const kinds[][2] = {{"Deployment", "deployments"},
                                               {"StatefulSet", "statefulsets"},
                                               {"ReplicaSet", "replicasets"},
                                               {"ReplicationController", "replicationcontrollers"}};
        *res = NULL;
        for (size_t i = 0; kind && owner && i < 4; i++)
            if (strcmp(kind, kinds[i][0]) == 0)
                *res = kinds[i][1];
        if (!*res) {
            outcome(j, "skipped", "scale the workload of pod %s/%s to zero: %s", j->t.pod_ns,
                    j->t.pod, kind ? kh_arena_printf(&j->arena, "its controller is a %s, which "
                                                     "has no scale", kind)
                                   : "it has no controller");
            return false;
        }
        *name = owner;
    }
    *group = strcmp(*res, "replicationcontrollers") == 0 ? "" : "apps";
    return true;
}

static void scale_to_zero(kh_respond *r, job *j)
{
    const char *res, *group, *ns, *name;
    if (!workload_of(r, j, &res, &group, &ns, &name))
        return;
    const char *kind = strcmp(res, "deployments") == 0    ? "deployment"
                       : strcmp(res, "statefulsets") == 0 ? "statefulset"
                       : strcmp(res, "replicasets") == 0  ? "replicaset"
                                                          : "replicationcontroller";
    set_target(j, res, group, ns, name, "%s %s/%s", kind, ns, name);
    const char *path = kh_arena_printf(&j->arena, "%s/namespaces/%s/%s/%s/scale",
                                       *group ? "/apis/apps/v1" : "/api/v1", seg(j, ns), res,
                                       seg(j, name));
    /* The replicas before, for the way back. */
    const kh_node *scale = get(r, j, path);
    const char *was = str(kh_node_path(scale, "spec.replicas"));
    long st = scale || !r->http ? 0 : -1;
    if (st == 0)
        st = call(r, j, "PATCH", path, "application/merge-patch+json",
                  "{\"spec\":{\"replicas\":0}}", RETRIES);
    j->fix = kh_arena_printf(&j->arena, "kubectl -n %s scale %s %s --replicas=%s", ns, kind, name,
                             was ? was : "N");
    finish(r, j, st, kh_arena_printf(&j->arena, "scale %s %s/%s to zero (from %s)", kind, ns,
                                     name, was ? was : "?"));
}

static void delete_binding(kh_respond *r, job *j)
{
    const char *path =
        j->t.binding_ns
            ? kh_arena_printf(&j->arena, "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/"
                              "rolebindings/%s", seg(j, j->t.binding_ns), seg(j, j->t.binding))
            : kh_arena_printf(&j->arena, "/apis/rbac.authorization.k8s.io/v1/"
                              "clusterrolebindings/%s", seg(j, j->t.binding));
    long st = call(r, j, "DELETE", path, "application/json", DELETE_OPTIONS, RETRIES);
    j->fix = "recreate it from its source of truth if it was legitimate (the audit event's "
             "requestObject holds what was bound)";
    finish(r, j, st, kh_arena_printf(&j->arena, "delete %s", j->target));
}

static void run(kh_respond *r, job *j)
{
    switch (j->action) {
    case KH_ACTION_DELETE_POD: delete_pod(r, j); break;
    case KH_ACTION_ISOLATE_POD: isolate_pod(r, j); break;
    case KH_ACTION_CORDON_NODE: cordon_node(r, j); break;
    case KH_ACTION_DRAIN_NODE: drain_node(r, j); break;
    case KH_ACTION_SCALE_TO_ZERO: scale_to_zero(r, j); break;
    case KH_ACTION_DELETE_BINDING: delete_binding(r, j); break;
    }
}

/* --------------------------------------------------------------- worker */

static void *worker(void *ud)
{
    kh_respond *r = ud;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && !r->head)
            pthread_cond_wait(&r->work, &r->mu);
        if (r->stop)
            break;
        job *j = r->head;
        r->head = j->next;
        if (!r->head)
            r->tail = NULL;
        j->next = NULL;
        r->running = true;
        pthread_mutex_unlock(&r->mu);
        run(r, j);
        pthread_mutex_lock(&r->mu);
        r->running = false;
        if (r->done_tail)
            r->done_tail->next = j;
        else
            r->done_head = j;
        r->done_tail = j;
        atomic_fetch_add(&r->ndone, 1);
        pthread_cond_broadcast(&r->idle);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void enqueue(kh_respond *r, job *j)
{
    if (!r->http) {
        run(r, j); /* planning only: nothing to wait for */
        emit_job(r, j, 1);
        job_free(j);
        return;
    }
    pthread_mutex_lock(&r->mu);
    bool full = r->inflight >= QUEUE_MAX;
    if (!full) {
        if (r->tail)
            r->tail->next = j;
        else
            r->head = j;
        r->tail = j;
        r->inflight++;
        pthread_cond_signal(&r->work);
    }
    pthread_mutex_unlock(&r->mu);
    if (full) {
        outcome(j, "failed", "%s: not taken: %d actions are already waiting for the API server",
                j->target, QUEUE_MAX);
        emit_job(r, j, 1);
        job_free(j);
    }
}

void kh_respond__drain(kh_respond *r, kh_respond_drain how)
{
    if (!r || (how == KH_RESPOND_DRAIN_DONE && atomic_load(&r->ndone) == 0))
        return;
    pthread_mutex_lock(&r->mu);
    if (how == KH_RESPOND_DRAIN_FINISH) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += FINISH_WAIT_S;
        while ((r->head || r->running) &&
               pthread_cond_timedwait(&r->idle, &r->mu, &until) == 0)
            ;
        size_t left = 0;
        for (job *j = r->head; j; j = j->next)
            left++;
        if (left || r->running)
            fprintf(r->warnings, "kubeharden watch: %zu response action%s still waiting for "
                    "the API server after %d s: not taken\n", left + r->running,
                    left + r->running == 1 ? "" : "s", FINISH_WAIT_S);
    }
    job *done = r->done_head;
    r->done_head = r->done_tail = NULL;
    size_t n = atomic_exchange(&r->ndone, 0);
    r->inflight -= n;
    pthread_mutex_unlock(&r->mu);
    while (done) {
        job *next = done->next;
        emit_job(r, done, 1);
        job_free(done);
        done = next;
    }
    if (how != KH_RESPOND_DRAIN_DONE) {
        /* The rate limit's held counts, as dedup's at flush. */
        for (size_t i = 0; i < r->nlimits; i++) {
            limit *l = &r->limits[i];
            if (l->held && l->last)
                emit_job(r, l->last, l->held);
            l->held = 0;
            job_free(l->last);
            l->last = NULL;
        }
    }
}

/* ------------------------------------------------------------ planning */

static void drop_limit(kh_respond *r, size_t i)
{
    limit *l = &r->limits[i];
    if (l->held && l->last)
        emit_job(r, l->last, l->held);
    job_free(l->last);
    free(l->key);
    r->limits[i] = r->limits[--r->nlimits];
}

/* End the windows past at @p t (their held counts are emitted). */
static void prune(kh_respond *r, int64_t t)
{
    int64_t window = (r->pol->response.rate_window_s ? r->pol->response.rate_window_s : 60) *
                     (int64_t)1000000;
    for (size_t i = 0; i < r->nlimits;)
        if (t - r->limits[i].start >= window || t < r->limits[i].start)
            drop_limit(r, i);
        else
            i++;
}

static limit *limit_find(kh_respond *r, const char *key, bool scope)
{
    for (size_t i = 0; i < r->nlimits; i++)
        if (r->limits[i].scope == scope && strcmp(r->limits[i].key, key) == 0)
            return &r->limits[i];
    return NULL;
}

/* The entry of @p key, with a window starting at @p t when absent; NULL
 * when the table is full. */
static limit *limit_at(kh_respond *r, const char *key, bool scope, int64_t t)
{
    limit *found = limit_find(r, key, scope);
    if (found)
        return found;
    if (r->nlimits >= LIMIT_MAX ||
        (!r->limits && !(r->limits = calloc(LIMIT_MAX, sizeof(*r->limits)))))
        return NULL;
    limit *l = &r->limits[r->nlimits];
    memset(l, 0, sizeof(*l));
    if (!(l->key = strdup(key)))
        return NULL;
    l->start = t;
    l->scope = scope;
    r->nlimits++;
    return l;
}

/* Rate limit: @return true when @p j may go on (it is counted). A repeat
 * on one target within the window is dropped silently; past the scope's
 * allowance the first one held is told at once, the rest are counted and
 * their count told when the window ends (or at flush). Entries are made
 * only for what goes on (at most `actions` targets per scope and window)
 * and per scope, so a storm over many targets cannot fill the table.
 * @p j is freed when it may not go on. */
static bool admit(kh_respond *r, job *j, const char *scope, int64_t t)
{
    const char *name = kh_watch__action_name(j->action);
    char tkey[1200], skey[1200];
    prune(r, t); /* first: the pointers below stay valid */
    snprintf(tkey, sizeof(tkey), "%s\n%s\n%s", j->rule, name, j->target ? j->target : "");
    snprintf(skey, sizeof(skey), "%s\n%s\n%s", j->rule, name, scope);
    limit *l = NULL;
    if (limit_find(r, tkey, false) || !(l = limit_at(r, skey, true, t))) {
        job_free(j); /* done on this target in this window (or no room to count it) */
        return false;
    }
    long max = r->pol->response.rate_actions ? r->pol->response.rate_actions : 3;
    if (l->n < max && limit_at(r, tkey, false, t)) {
        l->n++;
        return true;
    }
    long window = r->pol->response.rate_window_s ? r->pol->response.rate_window_s : 60;
    outcome(j, "rate-limited", "%s for %s in %s: %ld already within %ld s "
            "(watch.response.rateLimit); not taken, nor the next ones in this window", name,
            j->rule, strcmp(scope, "cluster") == 0 ? "the cluster"
                         : kh_arena_printf(&j->arena, "namespace %s", scope),
            max, window);
    if (!l->told) {
        emit_job(r, j, 1);
        l->told = true;
        job_free(j);
    } else {
        l->held++;
        job_free(l->last);
        l->last = j;
    }
    return false;
}

static const char **dup_list(job *j, const char *const *v, size_t n, size_t *out_n)
{
    const char **out = n ? kh_arena_calloc(&j->arena, n, sizeof(*out)) : NULL;
    for (size_t i = 0; out && i < n; i++)
        out[i] = copy(j, v[i]);
    *out_n = out ? n : 0;
    return out;
}

static job *job_new(const kh_watch_rule_cfg *rc, const kh_alert *a, const kh_audit_event *ev,
                    const kh_respond_target *t, kh_watch_action action, bool dry_run)
{
    job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    kh_arena_init(&j->arena, 2048);
    j->action = action;
    j->rule = copy(j, rc->id);
    j->rule_title = copy(j, a->title);
    j->severity = a->severity;
    j->dry_run = dry_run;
    j->t = (kh_respond_target){
        .pod_ns = copy(j, t->pod_ns), .pod = copy(j, t->pod), .actor = t->actor,
        .node = copy(j, t->node), .owner_kind = copy(j, t->owner_kind),
        .owner = copy(j, t->owner), .workload_res = t->workload_res,
        .workload_ns = copy(j, t->workload_ns), .workload = copy(j, t->workload),
        .binding_res = t->binding_res, .binding_ns = copy(j, t->binding_ns),
        .binding = copy(j, t->binding), .node_ref = copy(j, t->node_ref)};
    j->audit_id = copy(j, ev->audit_id);
    j->stage = copy(j, ev->stage);
    j->timestamp = copy(j, ev->timestamp);
    j->verb = copy(j, ev->verb);
    j->uri = copy(j, ev->request_uri);
    j->user = copy(j, ev->user);
    j->agent = copy(j, ev->user_agent);
    j->imp = copy(j, ev->impersonated_user);
    j->file = copy(j, ev->file);
    j->groups = dup_list(j, a->groups, a->ngroups, &j->ngroups);
    j->ips = dup_list(j, a->source_ips, a->nsource_ips, &j->nips);
    j->line = ev->line;
    j->col = ev->col;
    return j;
}

/* "isolate pod shop/web", "scale the workload of pod shop/web to zero". */
static const char *doing(job *j)
{
    static const char *const verbs[KH_ACTION_MAX + 1] = {NULL, "delete", "isolate", "cordon",
                                                          "drain", "scale", "delete"};
    return kh_arena_printf(&j->arena, "%s %s%s", verbs[j->action], j->target,
                           j->action == KH_ACTION_SCALE_TO_ZERO ? " to zero" : "");
}

/* Target, allow-lists and scope of @p j from the event alone; a refusal
 * or skip sets its outcome. @return the scope the rate limit counts in (a
 * namespace, or "cluster"). */
static const char *plan(kh_respond *r, job *j, const kh_audit_event *ev)
{
    const kh_watch_response *pr = &r->pol->response;
    const kh_respond_target *t = &j->t;
    const char *name = kh_watch__action_name(j->action);
    const char *ns = NULL, *scope = NULL;
    switch (j->action) {
    case KH_ACTION_DELETE_POD:
    case KH_ACTION_ISOLATE_POD:
        if (t->pod)
            set_target(j, "pods", NULL, t->pod_ns, t->pod, "pod %s/%s", t->pod_ns, t->pod);
        ns = scope = t->pod_ns;
        break;
    case KH_ACTION_CORDON_NODE:
    case KH_ACTION_DRAIN_NODE:
        if (t->pod && t->node)
            set_target(j, "nodes", NULL, NULL, t->node, "node %s", t->node);
        else if (t->pod)
            set_target(j, "pods", NULL, t->pod_ns, t->pod, "the node of pod %s/%s", t->pod_ns,
                       t->pod);
        else if (t->node_ref)
            set_target(j, "nodes", NULL, NULL, t->node_ref, "node %s", t->node_ref);
        ns = t->pod ? t->pod_ns : NULL;
        scope = t->pod || t->node_ref ? "cluster" : NULL;
        if (scope && !pr->nnodes) {
            outcome(j, "refused", "%s: no node is allowed (watch.response.allow.nodes)",
                    doing(j));
            return scope;
        }
        break;
    case KH_ACTION_SCALE_TO_ZERO:
        if (t->workload)
            set_target(j, t->workload_res,
                       strcmp(t->workload_res, "replicationcontrollers") ? "apps" : NULL,
                       t->workload_ns, t->workload, "%s %s/%s", t->workload_res,
                       t->workload_ns, t->workload);
        else if (t->pod)
            set_target(j, "pods", NULL, t->pod_ns, t->pod, "the workload of pod %s/%s",
                       t->pod_ns, t->pod);
        ns = scope = t->workload ? t->workload_ns : t->pod_ns;
        break;
    case KH_ACTION_DELETE_BINDING:
        if (t->binding_ns) {
            set_target(j, "rolebindings", "rbac.authorization.k8s.io", t->binding_ns,
                       t->binding, "RoleBinding %s/%s", t->binding_ns, t->binding);
            ns = scope = t->binding_ns;
        } else if (t->binding) {
            set_target(j, "clusterrolebindings", "rbac.authorization.k8s.io", NULL, t->binding,
                       "ClusterRoleBinding %s", t->binding);
            scope = "cluster";
            if (!kh_respond__allowed(pr->cluster_bindings, pr->ncluster_bindings, t->binding)) {
                outcome(j, "refused", "delete ClusterRoleBinding %s: not in "
                        "watch.response.allow.clusterRoleBindings%s", t->binding,
                        strncmp(t->binding, "system:", 7) == 0 ? " (system: names only by "
                                                                 "their exact name)" : "");
                return scope;
            }
        }
        break;
    }
    if (!scope) {
        static const char *const wants[KH_ACTION_MAX + 1] = {
            NULL, "a pod", "a pod", "a pod or node", "a pod or node",
            "a pod or a Deployment, StatefulSet, ReplicaSet or ReplicationController",
            "a RoleBinding or ClusterRoleBinding"};
        outcome(j, "skipped", "%s: the event names no %s (objectRef %s %s/%s)", name,
                wants[j->action] + 2, *ev->resource ? ev->resource : "-", ev->namespace_,
                ev->name);
        return *ev->namespace_ ? copy(j, ev->namespace_) : "cluster";
    }
    if (ns && !kh_respond__allowed(pr->namespaces, pr->nnamespaces, ns)) {
        outcome(j, "refused", "%s: namespace '%s' is not in "
                "watch.response.allow.namespaces%s", doing(j), ns,
                strcmp(ns, "kube-system") == 0 ? " (kube-system only by its exact name)" : "");
        return scope;
    }
    if (j->t.node && j->action >= KH_ACTION_CORDON_NODE && j->action <= KH_ACTION_DRAIN_NODE &&
        !kh_respond__allowed(pr->nodes, pr->nnodes, j->t.node)) {
        outcome(j, "refused", "%s: not in watch.response.allow.nodes", doing(j));
        return scope;
    }
    return scope;
}

void kh_respond__detected(kh_respond *r, const kh_watch_rule_cfg *rc, const kh_alert *a,
                          const kh_audit_event *ev)
{
    if (!r || !rc || !rc->nactions)
        return;
    kh_respond_target t;
    kh_respond__target(ev, &t);
    int64_t now = ev->t_us ? ev->t_us : now_us();
    for (size_t i = 0; i < rc->nactions; i++) {
        job *j = job_new(rc, a, ev, &t, (kh_watch_action)rc->actions[i], !r->act);
        if (!j)
            return;
        if (!admit(r, j, plan(r, j, ev), now))
            continue;
        if (j->result) { /* refused or skipped: told at once */
            emit_job(r, j, 1);
            job_free(j);
        } else {
            enqueue(r, j);
        }
    }
}

/* ----------------------------------------------------------- lifecycle */

/* Is any kubeconfig or in-cluster configuration there to be found? */
static bool cluster_configured(const kh_client_options *o)
{
    if (o && (o->kubeconfig || o->context))
        return true;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    if (host && *host)
        return true;
    kh_kubeconfig kc;
    const char *home = getenv("HOME");
    char home_file[4096];
    snprintf(home_file, sizeof(home_file), "%s/.kube/config", home ? home : "");
    /* A file that fails to load is there: kh_rest_config__load says why. */
    bool found = kh_kubeconfig__load(&kc, NULL, getenv("KUBECONFIG"), home ? home_file : NULL,
                                     NULL) != 0 || kc.files > 0;
    kh_kubeconfig__free(&kc);
    return found;
}

int kh_respond__new(kh_respond **out, const kh_watch_policy *pol, kh_respond_mode mode,
                    const kh_client_options *cluster, kh_respond_emit emit, void *ud,
                    kh_error *err)
{
    *out = NULL;
    bool any = false;
    for (size_t i = 0; pol && i < pol->nrules; i++)
        any |= pol->rules[i].nactions > 0;
    if (mode == KH_RESPOND_OFF)
        return 0;
    if (!any && (mode != KH_RESPOND_CONFIG || (cluster && (cluster->kubeconfig ||
                                                            cluster->context))))
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0, "a response mode or cluster was "
                            "given, but no rule has response actions (watch.rules.<id>.actions)");
    if (!any)
        return 0;
    kh_respond *r = calloc(1, sizeof(*r));
    if (!r)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    r->pol = pol;
    r->act = mode == KH_RESPOND_LIVE || (mode == KH_RESPOND_CONFIG && pol->response.act);
    r->emit = emit;
    r->ud = ud;
    r->warnings = cluster && cluster->warnings ? cluster->warnings : stderr;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->work, NULL);
    pthread_cond_init(&r->idle, NULL);
    int rc = 0;
    if (!cluster_configured(cluster)) {
        if (r->act)
            rc = kh_error_set(err, KH_ECONFIG, NULL, 0, 0, "response actions are live but no "
                              "cluster is configured (--kubeconfig, $KUBECONFIG, "
                              "~/.kube/config or in-cluster)");
        else
            fprintf(r->warnings, "kubeharden watch: response actions: dry run without a "
                                 "cluster (none configured): planned, nothing sent\n");
    } else {
        rc = kh_rest_config__load(&r->rc, cluster ? cluster->kubeconfig : NULL,
                                  cluster ? cluster->context : NULL, err);
        if (!rc)
            rc = kh_http__new(&r->http, &r->rc, cluster && cluster->timeout_ms
                                                    ? cluster->timeout_ms : 10000,
                              r->warnings, err);
        if (!rc && pthread_create(&r->thread, NULL, worker, r) != 0)
            rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "cannot start the response thread");
        r->started = rc == 0;
        if (!rc)
            fprintf(r->warnings, "kubeharden watch: response actions: %s against %s\n",
                    r->act ? "LIVE" : "dry run (dryRun=All)", r->rc.server);
    }
    if (rc) {
        kh_respond__free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void kh_respond__free(kh_respond *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->mu);
    if (r->started)
        pthread_join(r->thread, NULL);
    for (job *lists[] = {r->head, r->done_head}, **l = lists; l < lists + 2; l++)
        while (*l) {
            job *next = (*l)->next;
            job_free(*l);
            *l = next;
        }
    for (size_t i = 0; i < r->nlimits; i++) {
        job_free(r->limits[i].last);
        free(r->limits[i].key);
    }
    free(r->limits);
    kh_http__free(r->http);
    kh_rest_config__free(&r->rc);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->idle);
    free(r);
}
