/*
 * client.c -- the public client: configuration, then a scan of the cluster.
 *
 * kh_client_scan wraps the caller's finding callback: findings of objects
 * read from a collection get the object's API path as their file, no
 * line or column (a page's position means nothing to the user) and a field
 * path relative to the object (the page's "items[N]." dropped). Cluster-
 * wide findings and their related locations are relabelled the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "scan/scanner.h"

struct kh_client {
    kh_rest_config rc;
    kh_http *http;
    char *namespace_;
    const char **kinds;
    size_t nkinds;
    int threads;
    FILE *warnings;
};

/* What kubeharden's rules judge (workloads, their controllers, RBAC,
 * networking, availability, the service meshes' policies). Secrets are
 * never read. */
static const char *const default_kinds[] = {
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job", "CronJob", "PodTemplate", "Service", "Ingress", "NetworkPolicy", "Namespace",
    "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "Node", "ConfigMap", "Endpoints",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "Rollout", "CloneSet",
    "PeerAuthentication", "DestinationRule", NULL,
};

const char *const *kh_client_default_kinds(void)
{
    return default_kinds;
}

const char *kh_client_server(const kh_client *c)
{
    return c ? c->rc.server : NULL;
}

int kh_client_new(kh_client **out, const kh_client_options *opts, kh_error *err)
{
    *out = NULL;
    kh_client_options none = {0};
    if (!opts)
        opts = &none;
    kh_client *c = calloc(1, sizeof(*c));
    if (!c)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    c->warnings = opts->warnings ? opts->warnings : stderr;
    c->threads = opts->threads;
    int rc = kh_rest_config__load(&c->rc, opts->kubeconfig, opts->context, err);
    if (rc)
        goto fail;
    if (opts->namespace_ && *opts->namespace_ && !(c->namespace_ = strdup(opts->namespace_))) {
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    const char *const *kinds = opts->kinds ? opts->kinds : default_kinds;
    size_t n = 0;
    while (kinds[n])
        n++;
    c->kinds = calloc(n + 1, sizeof(char *));
    if (!c->kinds) {
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kinds[i], "Secret") == 0) {
            fprintf(c->warnings, "kubeharden: warning: Secrets are never read; "
                                 "skipping kind 'Secret'\n");
            continue;
        }
        c->kinds[c->nkinds++] = kinds[i];
    }
    if ((rc = kh_http__new(&c->http, &c->rc, opts->timeout_ms, c->warnings, err)))
        goto fail;
    *out = c;
    return 0;
fail:
    kh_client_free(c);
    return rc;
}

void kh_client_free(kh_client *c)
{
    if (!c)
        return;
    kh_http__free(c->http);
    kh_rest_config__free(&c->rc);
    free(c->namespace_);
    free(c->kinds);
    free(c);
}

/* ---------------------------------------------------------------- relabel */

typedef struct relabel_ctx {
    const kh_list_plan *plan;
    kh_finding_cb cb;
    void *ud;
    kh_arena scratch;
} relabel_ctx;

static const kh_collection *collection_of(const relabel_ctx *r, const char *file)
{
    for (size_t i = 0; file && i < r->plan->n; i++)
        if (r->plan->items[i].label && strcmp(r->plan->items[i].label, file) == 0)
            return &r->plan->items[i];
    return NULL;
}

/* The object's own API path. */
static const char *object_path(kh_arena *a, const kh_collection *c, const char *ns,
                               const char *name)
{
    if (!name)
        return c->label;
    if (c->namespaced && ns && *ns)
        return kh_arena_printf(a, "%s/namespaces/%s/%s/%s", c->base, ns, c->resource, name);
    return kh_arena_printf(a, "%s/%s/%s", c->base, c->resource, name);
}

/* "items[12].spec.x" -> "spec.x"; "items[12]" -> "". */
static const char *strip_items(const char *path)
{
    if (!path || strncmp(path, "items[", 6) != 0)
        return path;
    const char *close = strchr(path, ']');
    if (!close)
        return path;
    return close[1] == '.' ? close + 2 : close + 1;
}

static int relabel(const kh_finding *f, void *ud)
{
    relabel_ctx *r = ud;
    kh_arena_reset(&r->scratch);
    kh_finding g = *f;
    const kh_collection *c = collection_of(r, f->file);
    if (c && !f->is_error) {
        g.file = object_path(&r->scratch, c, f->namespace_, f->name);
        g.line = g.col = 0;
        g.path = strip_items(f->path);
    }
    if (f->nrelated) {
        kh_location *rel = kh_arena_alloc(&r->scratch, f->nrelated * sizeof(*rel));
        if (rel) {
            for (size_t i = 0; i < f->nrelated; i++) {
                rel[i] = f->related[i];
                const kh_collection *rc = collection_of(r, rel[i].file);
                if (rc && rel[i].name) {
                    rel[i].file = object_path(&r->scratch, rc, rel[i].namespace_, rel[i].name);
                    rel[i].line = rel[i].col = 0;
                    rel[i].path = strip_items(rel[i].path);
                }
            }
            g.related = rel;
        }
    }
    return r->cb(&g, r->ud);
}

/* ------------------------------------------------------------------- scan */

int kh_client_scan(kh_client *c, const kh_config *cfg, kh_finding_cb cb, void *ud,
                   kh_scan_stats *stats, kh_error *err)
{
    kh_list_plan plan = {0};
    kh_arena_init(&plan.arena, 4096);
    relabel_ctx r = {&plan, cb, ud, {0}};
    kh_arena_init(&r.scratch, 4096);
    kh_scanner *s = NULL;
    int rc = 0;
    plan.items = calloc(c->nkinds ? c->nkinds : 1, sizeof(*plan.items));
    if (!plan.items) {
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < c->nkinds; i++)
        plan.items[plan.n++].kind = c->kinds[i];
    if ((rc = kh_list__discover(c->http, &plan, c->warnings, err)))
        goto done;
    if ((rc = kh_scanner_new(&s, cfg, relabel, &r, err)))
        goto done;
    if (c->threads)
        kh_scanner_set_threads(s, c->threads);
    for (size_t i = 0; i < plan.n; i++) {
        kh_collection *col = &plan.items[i];
        if (!col->resource)
            continue;   /* the server does not serve this kind */
        if (c->namespace_ && !col->namespaced)
            continue;   /* -n reads only what lives in the namespace */
        col->label = c->namespace_
                         ? kh_arena_printf(&plan.arena, "%s/namespaces/%s/%s", col->base,
                                           c->namespace_, col->resource)
                         : kh_arena_printf(&plan.arena, "%s/%s", col->base, col->resource);
        if (!col->label) {
            rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        kh_error lerr = {0};
        if (kh_list__scan(c->http, col, s, c->warnings, &lerr) != 0) {
            /* One kind that cannot be read (403) is an input error; the
             * others are still scanned. */
            kh_scanner__error(s, col->label, 0, 0, lerr.message);
            if (lerr.code == KH_ENOMEM) {
                rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
                goto done;
            }
        }
        if (kh_scanner__stopped(s))
            break;
    }
    rc = kh_scanner_finish(s, err);
    if (stats)
        kh_scanner_stats(s, stats);
done:
    kh_scanner_free(s);
    free(plan.items);
    kh_arena_free(&plan.arena);
    kh_arena_free(&r.scratch);
    return rc;
}
