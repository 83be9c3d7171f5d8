/*
 * client.c -- the public client: configuration, then a scan of the cluster.
 *
 * kh_client_scan wraps the caller's finding callback: findings of objects
 * read from a collection get the object's API path as their file, no
 * line or column (a page's position means nothing to the user) and a field
 * path relative to the object (the page's "items[N]." dropped). Cluster-
 * wide findings and their related locations are relabelled the same way.
 * Pages are fetched ahead on a thread of their own, and their items
 * reach the scanner as Lists of a few MiB, which it reads item by item on
 * two threads: fetching, parsing and judging overlap.
 */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "rules/rules.h"
#include "scan/cluster.h"
#include "scan/scanner.h"

struct kh_client {
    kh_rest_config rc;
    kh_http *http;
    char *namespace_;
    const char **kinds;
    size_t nkinds;
    int threads;
    bool explicit_kinds;        /* --kinds was given */
    FILE *warnings;
};

/* What kubeharden's rules judge (workloads, their controllers, RBAC,
 * networking, availability, the service meshes' policies), and the legacy
 * service-account token Secrets the RBAC risk model follows, of which only
 * metadata is read. */
static const char *const default_kinds[] = {
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job", "CronJob", "PodTemplate", "Service", "Ingress", "NetworkPolicy", "Namespace",
    "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "Node", "ConfigMap", "Endpoints",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "Rollout", "CloneSet",
    "PeerAuthentication", "DestinationRule", "Secret", NULL,
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
    c->explicit_kinds = opts->kinds != NULL;
    size_t n = 0;
    while (kinds[n])
        n++;
    c->kinds = calloc(n + 1, sizeof(char *));
    if (!c->kinds) {
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        c->kinds[c->nkinds++] = kinds[i];
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
    /* The last finding's object and its API path (in @c cache). */
    kh_arena cache;
    const kh_collection *last_c;
    const char *last_ns, *last_name, *last_path;
} relabel_ctx;

static const kh_collection *collection_of(const relabel_ctx *r, const char *file)
{
    /* The scanner hands back the label it was given: the pointer finds it
     * without comparing strings. */
    for (size_t i = 0; file && i < r->plan->n; i++)
        if (r->plan->items[i].label == file)
            return &r->plan->items[i];
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

/* The API path of a finding's object. An object's findings come one
 * after another, so the last path is kept: formatting it anew for each
 * finding took a tenth of the judging thread's time. */
static const char *finding_path(relabel_ctx *r, const kh_collection *c, const char *ns,
                                const char *name)
{
    if (!name)
        return c->label;
    if (!ns)
        ns = "";
    if (r->last_c == c && strcmp(r->last_name, name) == 0 && strcmp(r->last_ns, ns) == 0)
        return r->last_path;
    kh_arena_reset(&r->cache);
    r->last_path = object_path(&r->cache, c, ns, name);
    r->last_ns = kh_arena_strdup(&r->cache, ns);
    r->last_name = kh_arena_strdup(&r->cache, name);
    r->last_c = r->last_path && r->last_ns && r->last_name ? c : NULL;
    return r->last_path;
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
        g.file = finding_path(r, c, f->namespace_, f->name);
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

/* ---------------------------------------------------------------- planning */

/* Discover where each of @p kinds is served and name the collections to
 * list (label NULL: not read). */
static int plan_kinds(kh_client *c, const char *const *kinds, size_t nkinds, kh_list_plan *plan,
                      kh_error *err)
{
    plan->items = calloc(nkinds ? nkinds : 1, sizeof(*plan->items));
    if (!plan->items)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < nkinds; i++)
        plan->items[plan->n++].kind = kinds[i];
    int rc = kh_list__discover(c->http, plan, c->warnings, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < plan->n; i++) {
        kh_collection *col = &plan->items[i];
        if (!col->resource)
            continue;   /* the server does not serve this kind */
        if (c->namespace_ && !col->namespaced)
            continue;   /* -n reads only what lives in the namespace */
        col->metadata_only = strcmp(col->kind, "Secret") == 0;
        col->label = c->namespace_
                         ? kh_arena_printf(&plan->arena, "%s/namespaces/%s/%s", col->base,
                                           c->namespace_, col->resource)
                         : kh_arena_printf(&plan->arena, "%s/%s", col->base, col->resource);
        if (!col->label)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    return 0;
}

/* A least-privilege role cannot allow Secrets' metadata without their
 * contents (RBAC has no such verb), so it grants no Secrets at all: a 403
 * for them only means the token-secret paths are not followed. */
static bool optional_secrets(kh_client *c, const kh_collection *col, long status,
                             const kh_error *err)
{
    if (!col->metadata_only || status != 403 || c->explicit_kinds)
        return false;
    fprintf(c->warnings, "kubeharden: warning: Secrets not read (%s); paths through "
                         "service-account token Secrets are not followed\n", err->message);
    return true;
}

/* ------------------------------------------------------------------- scan */

/* Items of several pages go to the scanner as one List of this size: from
 * 4 MiB the scanner parses on one thread while another judges, and from
 * 1 MiB the reader hands a List out item by item, so memory stays flat. */
#define BATCH_BYTES (4u << 20)
/* A collection's first batch is smaller: while its first pages are on
 * their way there is nothing to overlap with, and judging them as they
 * come beats waiting idle for 4 MiB of pages. Only one, and of 1 MiB: a
 * batch under 4 MiB is judged on the caller's thread alone, and one under
 * 1 MiB is parsed whole (memory). */
#define FIRST_BATCH_BYTES (1u << 20)

typedef struct scan_ctx {
    kh_scanner *s;
    const kh_collection *c;     /* the collection the batch holds */
    char *buf;                  /* {"kind":..,"apiVersion":..,"items":[ item,item... */
    size_t len, cap, head, nitems;
    size_t limit;               /* the batch is scanned once this long */
    kh_arena types;             /* per page */
} scan_ctx;

/* The list's kind and apiVersion (NULL when absent), from the page
 * without its items. */
static void page_type(kh_arena *a, const kh_list_page *p, const char **kind, const char **av)
{
    size_t len = 0;
    char *env = kh_list__subpage(p->buf, p->len, p->items, p->n, 0, 0, p->open, p->close, &len);
    const kh_node *root = NULL;
    *kind = *av = NULL;
    if (env && kh_doc_load_buffer(&root, a, env, len, "<list>", NULL) == 0) {
        *kind = kh_node_str(kh_node_get(root, "kind"));
        *av = kh_node_str(kh_node_get(root, "apiVersion"));
    }
    free(env);
}

/* Scan what the batch holds. */
static int flush_batch(scan_ctx *sc, kh_error *err)
{
    if (!sc->nitems)
        return 0;
    memcpy(sc->buf + sc->len, "]}", 2);
    int rc = kh_scan_buffer(sc->s, sc->buf, sc->len + 2, sc->c->label, err);
    sc->len = sc->nitems = 0;
    return rc;
}

static bool batch_room(scan_ctx *sc, size_t need)
{
    if (sc->len + need + 2 <= sc->cap)
        return true;
    size_t cap = sc->cap ? sc->cap : BATCH_BYTES + (1u << 20);
    while (cap < sc->len + need + 2)
        cap *= 2;
    char *bigger = realloc(sc->buf, cap);
    if (!bigger)
        return false;
    sc->buf = bigger;
    sc->cap = cap;
    return true;
}

/* Each page's items join a List of the page's type, scanned once it is
 * sc->limit long (and at the end of the collection): the engine unwraps
 * it as it would the page, and the items' bytes are the server's. */
static int scan_sink(void *ud, const kh_collection *c, const kh_list_page *p, kh_error *err)
{
    scan_ctx *sc = ud;
    kh_arena_reset(&sc->types);
    const char *kind = NULL, *av = NULL;
    page_type(&sc->types, p, &kind, &av);
    char head[600];
    bool plain = kind && av && !strpbrk(kind, "\"\\") && !strpbrk(av, "\"\\");
    int hlen = plain ? snprintf(head, sizeof(head),
                                "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"items\":[", kind, av)
                     : -1;
    if (hlen < 0 || (size_t)hlen >= sizeof(head)) {
        /* Not a typed list (or its type would need escaping): the page
         * goes to the scanner as it came. */
        int rc = flush_batch(sc, err);
        if (!rc)
            rc = kh_scan_buffer(sc->s, p->buf, p->len, c->label, err);
        return rc ? rc : kh_scanner__stopped(sc->s) ? 1 : 0;
    }
    if (sc->nitems && (sc->c != c || sc->head != (size_t)hlen ||
                       memcmp(sc->buf, head, (size_t)hlen) != 0)) {
        int rc = flush_batch(sc, err);
        if (rc)
            return rc;
    }
    for (size_t i = p->from; i < p->n; i++) {
        size_t ilen = p->items[i].end - p->items[i].start;
        if (!batch_room(sc, (size_t)hlen + ilen + 1))
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        if (!sc->nitems) {
            memcpy(sc->buf, head, (size_t)hlen);
            sc->len = sc->head = (size_t)hlen;
            sc->c = c;
        } else {
            sc->buf[sc->len++] = ',';
        }
        memcpy(sc->buf + sc->len, p->buf + p->items[i].start, ilen);
        sc->len += ilen;
        sc->nitems++;
    }
    int rc = 0;
    if (sc->len >= sc->limit) {
        rc = flush_batch(sc, err);
        sc->limit = BATCH_BYTES;
    }
    return rc ? rc : kh_scanner__stopped(sc->s) ? 1 : 0;
}

int kh_client_scan(kh_client *c, const kh_config *cfg, kh_finding_cb cb, void *ud,
                   kh_scan_stats *stats, kh_error *err)
{
    kh_list_plan plan = {0};
    kh_arena_init(&plan.arena, 4096);
    relabel_ctx r = {.plan = &plan, .cb = cb, .ud = ud};
    kh_arena_init(&r.scratch, 4096);
    kh_arena_init(&r.cache, 1024);
    scan_ctx sc = {0};
    kh_arena_init(&sc.types, 1024);
    kh_scanner *s = NULL;
    int rc = plan_kinds(c, c->kinds, c->nkinds, &plan, err);
    if (rc)
        goto done;
    if ((rc = kh_scanner_new(&s, cfg, relabel, &r, err)))
        goto done;
    if (kh_scanner__share_kept(s) != KH_OK) {
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    if (c->threads)
        kh_scanner_set_threads(s, c->threads);
    sc.s = s;
    for (size_t i = 0; i < plan.n; i++) {
        kh_collection *col = &plan.items[i];
        if (!col->label)
            continue;
        kh_error lerr = {0};
        long status = 0;
        sc.limit = FIRST_BATCH_BYTES;
        int lrc = kh_list__read_ahead(c->http, col, scan_sink, &sc, c->warnings, &status, &lerr);
        /* What was read is judged, even when the list failed on a later page. */
        kh_error ferr = {0};
        if (flush_batch(&sc, &ferr) == KH_ENOMEM) {
            rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        if (lrc != 0) {
            if (optional_secrets(c, col, status, &lerr))
                continue;
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
    /* The batch buffer is not needed by the set rules' models. */
    free(sc.buf);
    sc.buf = NULL;
    rc = kh_scanner_finish(s, err);
    if (stats) {
        kh_scanner_stats(s, stats);
        /* The scanner counted the Lists it was handed (batches of pages)
         * as files and documents: a cluster has no files, and each object
         * read is one document. */
        stats->files = 0;
        stats->documents = stats->objects;
    }
done:
    kh_scanner_free(s);
    free(sc.buf);
    kh_arena_free(&sc.types);
    free(plan.items);
    kh_arena_free(&plan.arena);
    kh_arena_free(&r.scratch);
    kh_arena_free(&r.cache);
    return rc;
}

/* ------------------------------------------------------------------- load */

typedef struct load_ctx {
    kh_cluster *cluster;
    kh_arena arena;             /* per item */
    kh_arena types;             /* per page */
} load_ctx;

/* The list's kind without "List" and its apiVersion, which its items
 * lack. */
static void list_type(kh_arena *a, const kh_list_page *p, const char **kind, const char **av)
{
    const char *k = NULL;
    page_type(a, p, &k, av);
    *kind = k && strlen(k) > 4 && strcmp(k + strlen(k) - 4, "List") == 0
                ? kh_arena_strndup(a, k, strlen(k) - 4)
                : NULL;
}

/* Each item alone, as the object it is (the list's kind and apiVersion
 * written in when it lacks them), labelled with its API path, so a query
 * names objects and fields as for a file of that one object. */
static int load_sink(void *ud, const kh_collection *c, const kh_list_page *p, kh_error *err)
{
    load_ctx *lc = ud;
    kh_arena_reset(&lc->types);
    const char *kind = NULL, *av = NULL;
    list_type(&lc->types, p, &kind, &av);
    for (size_t i = p->from; i < p->n; i++) {
        kh_arena_reset(&lc->arena);
        const kh_node *root = NULL;
        const kh_item_range *it = &p->items[i];
        const char *ns = NULL, *name = NULL;
        if (kh_doc_load_buffer(&root, &lc->arena, p->buf + it->start, it->end - it->start,
                               c->label, NULL) == 0) {
            const kh_node *md = kh_node_get(root, "metadata");
            ns = kh_node_str(kh_node_get(md, "namespace"));
            name = kh_node_str(kh_node_get(md, "name"));
        }
        const char *label = object_path(&lc->arena, c, ns, name);
        size_t len = 0;
        char *sub = NULL;
        if (root && !kh_node_get(root, "kind") && kind && av) {
            /* '{' + apiVersion and kind + the item's own members. */
            const char *body = p->buf + it->start + 1;
            size_t blen = it->end - it->start - 1;
            char *head = kh_arena_printf(&lc->arena, "{\"apiVersion\":\"%s\",\"kind\":\"%s\"%s",
                                         av, kind, body[strspn(body, " \t\r\n")] == '}' ? "" : ",");
            if (head && (sub = malloc(strlen(head) + blen + 1))) {
                len = strlen(head) + blen;
                memcpy(sub, head, strlen(head));
                memcpy(sub + strlen(head), body, blen);
                sub[len] = '\0';
            }
        } else {
            sub = kh_list__subpage(p->buf, p->len, p->items, p->n, i, i + 1, p->open, p->close,
                                   &len);
        }
        if (!label || !sub) {
            free(sub);
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        }
        int rc = kh_cluster_load_buffer(lc->cluster, sub, len, label, err);
        free(sub);
        if (rc)
            return rc;
    }
    return 0;
}

/* The kinds the cluster-wide rules of @p area keep. */
static size_t area_kinds(kh_area area, const char **out, size_t max)
{
    size_t count = 0, n = 0;
    const kh_rule_def *table = kh_rules__table(&count);
    for (size_t i = 0; i < count; i++) {
        if (table[i].info.area != area || !table[i].check_set || !table[i].kinds)
            continue;
        for (const char *const *k = table[i].kinds; *k; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = strcmp(out[j], *k) == 0;
            if (!seen && n < max)
                out[n++] = *k;
        }
    }
    return n;
}

int kh_client_load(kh_client *c, kh_cluster *cluster, kh_area area, kh_error *err)
{
    const char *kinds[128];
    size_t nkinds = c->explicit_kinds ? 0 : area_kinds(area, kinds, 128);
    kh_list_plan plan = {0};
    kh_arena_init(&plan.arena, 4096);
    load_ctx lc = {cluster, {0}, {0}};
    kh_arena_init(&lc.arena, 4096);
    kh_arena_init(&lc.types, 1024);
    /* Each object is an input of its own, so no position is kept: a query
     * names an API object by its path and field, not by a place in it. */
    int rc = kh_cluster__share_kept(cluster);
    if (rc != KH_OK)
        rc = kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    else if (c->explicit_kinds)
        rc = plan_kinds(c, c->kinds, c->nkinds, &plan, err);
    else
        rc = plan_kinds(c, kinds, nkinds, &plan, err);
    for (size_t i = 0; rc == 0 && i < plan.n; i++) {
        long status = 0;
        if (plan.items[i].label &&
            (rc = kh_list__read_ahead(c->http, &plan.items[i], load_sink, &lc, c->warnings, &status,
                                err)) &&
            optional_secrets(c, &plan.items[i], status, err))
            rc = 0;
    }
    free(plan.items);
    kh_arena_free(&plan.arena);
    kh_arena_free(&lc.arena);
    kh_arena_free(&lc.types);
    return rc;
}

/* ------------------------------------------------------------------ apply */

int kh_client_apply(kh_client *c, const char *list, size_t len, size_t *applied,
                    kh_error *err)
{
    kh_item_range *items = NULL;
    size_t n = 0, open = 0, close = 0;
    *applied = 0;
    if (kh_list__items(list, len, &items, &n, &open, &close) != 0)
        return kh_error_set(err, KH_EINVALID, NULL, 0, 0, "nothing to apply: not a List");
    kh_arena a;
    kh_arena_init(&a, 4096);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        kh_arena_reset(&a);
        const char *obj = list + items[i].start;
        size_t olen = items[i].end - items[i].start;
        const kh_node *root = NULL;
        if ((rc = kh_doc_load_buffer(&root, &a, obj, olen, "<report>", err)))
            break;
        const char *kind = kh_node_str(kh_node_get(root, "kind"));
        const kh_node *md = kh_node_get(root, "metadata");
        const char *ns = kh_node_str(kh_node_get(md, "namespace"));
        const char *name = kh_node_str(kh_node_get(md, "name"));
        const char *path = NULL;
        if (kind && name && strcmp(kind, "PolicyReport") == 0 && ns)
            path = kh_arena_printf(&a, "/apis/wgpolicyk8s.io/v1alpha2/namespaces/%s/"
                                       "policyreports/%s", ns, name);
        else if (kind && name && strcmp(kind, "ClusterPolicyReport") == 0)
            path = kh_arena_printf(&a, "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/%s",
                                   name);
        if (!path) {
            rc = kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                              "item %zu of the List is not a PolicyReport", i);
            break;
        }
        /* Server-side apply: the whole report is ours (force takes fields
         * another manager set), under one field manager. */
        const char *query = kh_arena_printf(&a, "%s?fieldManager=kubeharden&force=true", path);
        kh_http_resp resp;
        rc = kh_http__send(c->http, "PATCH", query, "application/apply-patch+yaml", obj, olen,
                           -1, &resp, err);
        if (rc == 0 && resp.status != 200 && resp.status != 201)
            rc = kh_http__method_error("PATCH", query, &resp, err);
        if (rc == 0)
            ++*applied;
    }
    kh_arena_free(&a);
    free(items);
    return rc;
}
