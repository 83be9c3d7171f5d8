/*
 * rbac_paths_out.c -- the public side of the escalation graph: every
 * subject's shortest path to a target as text or JSON
 * (kh_rbac_paths_write), and the whole graph as Graphviz DOT or JSON
 * (kh_rbac_graph_write).
 *
 * Both build the risk model (analysis/rbac_paths.h) in the cluster's
 * arena; --to builds a second graph aimed at the requested permission.
 * Subjects are listed by label, so the output does not depend on the
 * order of the input. Strings from the input are escaped for each format.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rbac_paths.h"
#include "report/report.h"
#include "scan/cluster.h"

typedef struct out_ctx {
    const kh_rbac_risk *r;
    const kh_rbac_graph *g;
    const kh_rbac_node *nodes;
    size_t nnodes;
    kh_arena *arena;
    FILE *out;
} out_ctx;

static int load(out_ctx *o, kh_cluster *c, const kh_rbac_paths_options *opt, kh_error *err)
{
    kh_rbac_risk *r = NULL;
    o->arena = kh_cluster__arena(c);
    if (kh_rbac_risk__build(&r, kh_cluster__objects(c), o->arena) != KH_OK)
        goto nomem;
    o->r = r;
    o->g = r->graph;
    if (opt && (opt->to || opt->from)) {
        kh_rbac_graph *g = NULL;
        if (kh_rbac_graph__build(&g, r, opt->to, opt->to_text, opt->from, o->arena) != KH_OK)
            goto nomem;
        o->g = g;
    }
    o->nnodes = kh_rbac_graph__nodes(o->g, &o->nodes);
    return KH_OK;
nomem:
    kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory building the escalation graph");
    return KH_ENOMEM;
}

static bool is_subject(const kh_rbac_node *n)
{
    return n->kind == KH_RBAC_NODE_USER || n->kind == KH_RBAC_NODE_GROUP ||
           n->kind == KH_RBAC_NODE_SA;
}

typedef struct labelled {
    const char *label;
    uint32_t node;
} labelled;

static int by_label(const void *a, const void *b)
{
    return strcmp(((const labelled *)a)->label, ((const labelled *)b)->label);
}

/* ------------------------------------------------------------- text */

static void text(FILE *out, const char *s)
{
    kh_report__text_str(out, s ? s : "");
}

static void text_where(FILE *out, const kh_object *obj, const kh_node *at)
{
    unsigned line = at ? at->line : obj->root->line, col = at ? at->col : obj->root->col;
    fputs(" (", out);
    text(out, obj->file);
    if (line) /* an object read from a cluster has none: its API path says where */
        fprintf(out, ":%u:%u", line, col);
    fputc(')', out);
}

static void text_object(FILE *out, const kh_object *obj)
{
    text(out, obj->kind);
    putc(' ', out);
    if (obj->namespace_[0]) {
        text(out, obj->namespace_);
        putc('/', out);
    }
    text(out, obj->name);
}

static void text_path(out_ctx *o, uint32_t from, const kh_rbac_edge *const *path, size_t n,
                      unsigned steps)
{
    FILE *out = o->out;
    text(out, o->nodes[from].label);
    fprintf(out, " -> %s in %u step%s\n", o->nodes[kh_rbac_graph__target(o->g)].label, steps,
            steps == 1 ? "" : "s");
    unsigned step = 0;
    for (size_t i = 0; i < n; i++) {
        const kh_rbac_edge *e = path[i];
        if (e->kind != KH_RBAC_EDGE_GRANT && e->kind != KH_RBAC_EDGE_HOLDS) {
            if (i == 0 && e->kind == KH_RBAC_EDGE_MEMBER) {
                fputs("  as member of ", out);
                text(out, o->nodes[e->to].label);
                putc('\n', out);
            }
            continue;
        }
        const kh_rbac_grant *g = &e->grant;
        fprintf(out, "  %u. ", ++step);
        text(out, o->nodes[e->from].label);
        fputs(" may ", out);
        text(out, kh_rbac_graph__edge_text(o->g, e, o->arena));
        fputs("\n     ", out);
        text_object(out, g->binding->obj);
        text_where(out, g->binding->obj, g->subject->node);
        fputs(", ", out);
        text_object(out, g->rule->role->obj);
        putc(' ', out);
        text(out, g->rule->role->obj->path_prefix);
        text(out, g->rule->path);
        text_where(out, g->rule->role->obj, g->rule->node);
        fputs("\n     -> ", out);
        text(out, o->nodes[e->to].label);
        for (size_t k = i + 1; k < n && path[k]->kind != KH_RBAC_EDGE_GRANT &&
                               path[k]->kind != KH_RBAC_EDGE_HOLDS;
             k++) {
            const kh_rbac_edge *f = path[k];
            fputs(f->kind == KH_RBAC_EDGE_MEMBER ? ", member of " : " -> ", out);
            text(out, o->nodes[f->to].label);
            if (f->via) {
                fputs(" (", out);
                text_object(out, f->via);
                fputs(strcmp(f->via->kind, "Secret") == 0 ? " holds its token)"
                                                          : " runs as it)",
                      out);
            }
        }
        putc('\n', out);
    }
}

/* ------------------------------------------------------------- json */

static void json_str(FILE *out, const char *s)
{
    kh_report__json_str(out, s ? s : "");
}

static void json_kv(FILE *out, const char *key, const char *value, bool comma)
{
    if (comma)
        putc(',', out);
    json_str(out, key);
    putc(':', out);
    json_str(out, value);
}

static void json_object_ref(out_ctx *o, const char *key, const kh_object *obj, const kh_node *at,
                            const char *path)
{
    FILE *out = o->out;
    fprintf(out, ",\"%s\":{", key);
    json_kv(out, "kind", obj->kind, false);
    json_kv(out, "namespace", obj->namespace_, true);
    json_kv(out, "name", obj->name, true);
    json_kv(out, "file", obj->file, true);
    fprintf(out, ",\"line\":%u,\"col\":%u", at ? at->line : obj->root->line,
            at ? at->col : obj->root->col);
    if (path) {
        fputs(",\"path\":", out);
        json_str(out, kh_arena_printf(o->arena, "%s%s", obj->path_prefix, path));
    }
    putc('}', out);
}

static const char *edge_kind(const kh_rbac_edge *e)
{
    switch (e->kind) {
    case KH_RBAC_EDGE_GRANT: return "grant";
    case KH_RBAC_EDGE_HOLDS: return "holds";
    case KH_RBAC_EDGE_MEMBER: return "member";
    default: return "fanout";
    }
}

static void json_edge(out_ctx *o, const kh_rbac_edge *e, bool ids)
{
    FILE *out = o->out;
    putc('{', out);
    json_kv(out, "kind", edge_kind(e), false);
    if (ids)
        fprintf(out, ",\"from\":%u,\"to\":%u", e->from, e->to);
    else {
        json_kv(out, "from", o->nodes[e->from].label, true);
        json_kv(out, "to", o->nodes[e->to].label, true);
    }
    if (e->kind == KH_RBAC_EDGE_GRANT || e->kind == KH_RBAC_EDGE_HOLDS) {
        const kh_rbac_grant *g = &e->grant;
        json_kv(out, "permission", kh_rbac_graph__edge_text(o->g, e, o->arena), true);
        json_object_ref(o, "binding", g->binding->obj, g->subject->node, g->subject->path);
        json_object_ref(o, "role", g->role->obj, NULL, NULL);
        json_object_ref(o, "rule", g->rule->role->obj, g->rule->node, g->rule->path);
        fprintf(out, ",\"kubernetesDefault\":%s",
                o->r->system_default[e->binding_index] ? "true" : "false");
    }
    if (e->via)
        json_object_ref(o, "via", e->via, NULL, NULL);
    putc('}', out);
}

/* ------------------------------------------------------------- paths */

static bool subject_path(out_ctx *o, uint32_t v, bool any, const kh_rbac_edge *const **path,
                         size_t *n, unsigned *steps)
{
    *n = kh_rbac_graph__path(o->g, v, path, steps);
    if (any)
        return *n > 0;
    return kh_rbac_graph__reportable(o->g, o->r, v, *path, *n);
}

int kh_rbac_paths_write(kh_cluster *c, const kh_rbac_paths_options *opt, FILE *out,
                        size_t *npaths, kh_error *err)
{
    out_ctx o = {.out = out};
    size_t written = 0;
    if (npaths)
        *npaths = 0;
    int rc = load(&o, c, opt, err);
    if (rc != KH_OK)
        return rc;
    bool json = opt && opt->format == KH_RBAC_PATHS_JSON;
    labelled *order = kh_arena_calloc(o.arena, o.nnodes + 1, sizeof(*order));
    if (!order) {
        kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        return KH_ENOMEM;
    }
    size_t count = 0;
    if (opt && opt->from) {
        long v = kh_rbac_graph__find(o.g, opt->from);
        if (v < 0) {
            kh_error_set(err, KH_EINVALID, NULL, 0, 0,
                         "bad subject '%s' (use user:NAME, group:NAME or sa:NAMESPACE/NAME)",
                         opt->from);
            return KH_EINVALID;
        }
        order[count++] = (labelled){o.nodes[v].label, (uint32_t)v};
    } else {
        for (size_t v = 0; v < o.nnodes; v++)
            if (is_subject(&o.nodes[v]))
                order[count++] = (labelled){o.nodes[v].label, (uint32_t)v};
        qsort(order, count, sizeof(*order), by_label);
    }
    const char *target = o.nodes[kh_rbac_graph__target(o.g)].label;
    if (json) {
        fputs("{\"target\":", out);
        json_str(out, target);
        fputs(",\"paths\":[", out);
    }
    for (size_t i = 0; i < count; i++) {
        const kh_rbac_edge *const *path;
        size_t n;
        unsigned steps;
        if (!subject_path(&o, order[i].node, opt && opt->from, &path, &n, &steps))
            continue;
        if (json) {
            fputs(written ? ",\n{" : "\n{", out);
            json_kv(out, "subject", o.nodes[order[i].node].label, false);
            fprintf(out, ",\"steps\":%u,\"edges\":[", steps);
            for (size_t k = 0; k < n; k++) {
                if (k)
                    putc(',', out);
                json_edge(&o, path[k], false);
            }
            fputs("]}", out);
        } else {
            if (written)
                putc('\n', out);
            text_path(&o, order[i].node, path, n, steps);
        }
        written++;
    }
    if (json) {
        fputs("]}\n", out);
    } else if (opt && opt->from && !written) {
        text(out, opt->from);
        fputs(" has no path to ", out);
        text(out, target);
        putc('\n', out);
    }
    if (npaths)
        *npaths = written;
    if (ferror(out)) {
        kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the paths");
        return KH_EIO;
    }
    return KH_OK;
}

/* ------------------------------------------------------------- graph */

static void dot_str(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            putc('\\', out);
        if (*p == '\n')
            fputs("\\n", out);
        else if (*p >= 0x20)
            putc(*p, out);
    }
    putc('"', out);
}

static const char *node_kind(const kh_rbac_node *n)
{
    static const char *const names[] = {
        [KH_RBAC_NODE_USER] = "user",          [KH_RBAC_NODE_GROUP] = "group",
        [KH_RBAC_NODE_SA] = "serviceaccount",  [KH_RBAC_NODE_ADMIN] = "cluster-admin",
        [KH_RBAC_NODE_TARGET] = "target",      [KH_RBAC_NODE_SA_IN] = "any-serviceaccount-in",
        [KH_RBAC_NODE_SA_ALL] = "any-serviceaccount", [KH_RBAC_NODE_PODS_IN] = "pods-in",
        [KH_RBAC_NODE_PODS_ALL] = "pods",      [KH_RBAC_NODE_SECRETS_IN] = "token-secrets-in",
        [KH_RBAC_NODE_SECRETS_ALL] = "token-secrets", [KH_RBAC_NODE_NS_ALL] = "namespace-admin",
        [KH_RBAC_NODE_USERS_ALL] = "any-user",
    };
    return names[n->kind];
}

int kh_rbac_graph_write(kh_cluster *c, kh_rbac_paths_format format, FILE *out, kh_error *err)
{
    out_ctx o = {.out = out};
    int rc = load(&o, c, NULL, err);
    if (rc != KH_OK)
        return rc;
    const kh_rbac_edge *edges;
    size_t nedges = kh_rbac_graph__edges(o.g, &edges);
    if (format == KH_RBAC_PATHS_DOT) {
        fputs("digraph rbac {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n"
              "  edge [fontsize=9];\n",
              out);
        for (size_t v = 0; v < o.nnodes; v++) {
            const kh_rbac_node *n = &o.nodes[v];
            fprintf(out, "  n%zu [label=", v);
            dot_str(out, n->label);
            if (n->kind == KH_RBAC_NODE_ADMIN)
                fputs(", shape=doubleoctagon, color=red", out);
            else if (!is_subject(n))
                fputs(", shape=ellipse, style=dashed", out);
            fputs("];\n", out);
        }
        for (size_t k = 0; k < nedges; k++) {
            const kh_rbac_edge *e = &edges[k];
            fprintf(out, "  n%u -> n%u", e->from, e->to);
            if (e->kind == KH_RBAC_EDGE_GRANT || e->kind == KH_RBAC_EDGE_HOLDS) {
                const char *label = kh_arena_printf(
                    o.arena, "%s\n%s %s%s%s", kh_rbac_graph__edge_text(o.g, e, o.arena),
                    e->grant.binding->kind, e->grant.binding->namespace_,
                    e->grant.binding->namespace_[0] ? "/" : "", e->grant.binding->name);
                fputs(" [label=", out);
                dot_str(out, label);
                fputs("]", out);
            } else {
                fputs(e->kind == KH_RBAC_EDGE_MEMBER ? " [style=dashed, label=\"member\"]"
                                                     : " [style=dotted]",
                      out);
            }
            fputs(";\n", out);
        }
        fputs("}\n", out);
    } else {
        fputs("{\"nodes\":[", out);
        for (size_t v = 0; v < o.nnodes; v++) {
            const kh_rbac_node *n = &o.nodes[v];
            const kh_rbac_edge *const *path;
            unsigned steps;
            size_t len = kh_rbac_graph__path(o.g, (uint32_t)v, &path, &steps);
            fprintf(out, "%s\n{\"id\":%zu", v ? "," : "", v);
            json_kv(out, "kind", node_kind(n), true);
            json_kv(out, "label", n->label, true);
            if (n->name[0] && n->kind != KH_RBAC_NODE_TARGET)
                json_kv(out, "name", n->name, true);
            if (n->namespace_[0])
                json_kv(out, "namespace", n->namespace_, true);
            if (len || v == kh_rbac_graph__target(o.g))
                fprintf(out, ",\"stepsToClusterAdmin\":%u", steps);
            putc('}', out);
        }
        fputs("],\n\"edges\":[", out);
        for (size_t k = 0; k < nedges; k++) {
            fputs(k ? ",\n" : "\n", out);
            json_edge(&o, &edges[k], true);
        }
        fputs("]}\n", out);
    }
    if (ferror(out)) {
        kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the graph");
        return KH_EIO;
    }
    return KH_OK;
}
