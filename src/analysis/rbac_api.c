/*
 * rbac_api.c -- the public RBAC queries (include/kubeharden/rbac.h) over
 * the internal model: grants turned into plain views for front ends, the
 * decision on one request, and SubjectAccessReviews answered in bulk.
 *
 * Reviews are read with the scanner's document reader (YAML or JSON
 * streams, Lists unwrapped), validated as the API server validates a
 * SubjectAccessReviewSpec, decided with kh_rbac__decide (groups taken as
 * given, as the API server does for a review), and written back one JSON
 * object per line: the review as sent with its status filled in.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/rbac.h"
#include "report/report.h"
#include "scan/cluster.h"

const char *const *kh_rbac_kinds(void)
{
    return kh_rbac__kinds;
}

const char *const *kh_rbac_authorizer_kinds(void)
{
    static const char *const kinds[] = {"ClusterRole", "ClusterRoleBinding", "Role",
                                        "RoleBinding", NULL};
    return kinds;
}

int kh_rbac_load(kh_rbac **out, kh_cluster *c, kh_error *err)
{
    int rc = kh_rbac__build(out, kh_cluster__objects(c), kh_cluster__arena(c));
    if (rc)
        return kh_error_set(err, rc, NULL, 0, 0, "out of memory");
    return 0;
}

size_t kh_rbac_namespaces(const kh_rbac *m, const char *const **out)
{
    return kh_rbac__namespaces(m, out);
}

static void view_of(const kh_rbac_grant *g, kh_rbac_grant_view *v)
{
    const kh_rbac_binding *b = g->binding;
    memset(v, 0, sizeof *v);
    v->binding_kind = b->kind;
    v->binding_namespace = b->namespace_;
    v->binding_name = b->name;
    v->binding_file = b->obj->file;
    v->binding_line = b->obj->root->line;
    v->binding_col = b->obj->root->col;
    v->role_kind = b->role_kind;
    v->role_name = b->role_name;
    v->subject_kind = g->subject->kind_text;
    v->subject_name = g->subject->name;
    v->subject_namespace = g->subject->sa_namespace;
    v->error = b->error;
    const kh_rbac_rule *r = g->rule;
    if (!r)
        return;
    v->has_rule = true;
    v->verbs = r->verbs;
    v->api_groups = r->api_groups;
    v->resources = r->resources;
    v->resource_names = r->resource_names;
    v->non_resource_urls = r->non_resource_urls;
    v->rule_role_kind = r->role->kind;
    v->rule_role_namespace = r->role->namespace_;
    v->rule_role_name = r->role->name;
    v->rule_file = r->role->obj->file;
    v->rule_line = r->node->line;
    v->rule_col = r->node->col;
    v->rule_path = r->full_path;
}

typedef struct view_state {
    kh_rbac_grant_cb cb;
    void *ud;
} view_state;

static int view_visit(const kh_rbac_grant *g, void *ud)
{
    view_state *st = ud;
    kh_rbac_grant_view v;
    view_of(g, &v);
    return st->cb(&v, st->ud);
}

int kh_rbac_who_can(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_cb cb, void *ud)
{
    view_state st = {cb, ud};
    return kh_rbac__who_can(m, a, view_visit, &st);
}

int kh_rbac_who_can_all(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_cb cb,
                        void *ud)
{
    view_state st = {cb, ud};
    return kh_rbac__who_can_all(m, a, view_visit, &st);
}

int kh_rbac_rules_for(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_cb cb, void *ud)
{
    view_state st = {cb, ud};
    return kh_rbac__visit(m, a, view_visit, &st);
}

int kh_rbac_user_groups(kh_rbac *m, const char *user, const char *const *groups,
                        size_t ngroups, const char *const **out, size_t *nout,
                        kh_error *err)
{
    int rc = kh_rbac__authenticated_groups(kh_rbac__arena(m), user, groups, ngroups, out, nout);
    if (rc)
        return kh_error_set(err, rc, NULL, 0, 0, "out of memory");
    return 0;
}

bool kh_rbac_privileged(const kh_rbac_attrs *a)
{
    return kh_rbac__is_privileged(a);
}

int kh_rbac_can(kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_answer *out, kh_error *err)
{
    kh_rbac_decision d;
    memset(out, 0, sizeof *out);
    int rc = kh_rbac__decide(m, a, kh_rbac__arena(m), &d);
    if (rc)
        return kh_error_set(err, rc, NULL, 0, 0, "out of memory");
    out->allowed = d.allowed;
    out->privileged = d.privileged;
    out->reason = d.reason;
    if (d.grant.binding) {
        out->has_grant = true;
        view_of(&d.grant, &out->grant);
    }
    return 0;
}

/* ------------------------------------------------------------- reviews */

/* A node as JSON, compact. Scalars keep their YAML meaning: an INT is its
 * value, a FLOAT its text when JSON can hold it, else a string. */
static void write_node(FILE *out, const kh_node *n)
{
    if (!n || n->type == KH_NODE_NULL) {
        fputs("null", out);
        return;
    }
    switch (n->type) {
    case KH_NODE_BOOL:
        fputs(n->boolean ? "true" : "false", out);
        return;
    case KH_NODE_INT: {
        int64_t v;
        if (kh_node_int(n, &v))
            fprintf(out, "%lld", (long long)v);
        else
            kh_report__json_str(out, n->u.text);
        return;
    }
    case KH_NODE_FLOAT: {
        const char *t = n->u.text;
        bool plain = *t && strspn(t, "0123456789.eE+-") == strlen(t) && t[0] != '.' &&
                     t[0] != '+';
        if (plain)
            fputs(t, out);
        else
            kh_report__json_str(out, t);
        return;
    }
    case KH_NODE_STRING:
        kh_report__json_str(out, n->u.text);
        return;
    case KH_NODE_MAP:
        putc('{', out);
        for (size_t i = 0; i < n->len; i++) {
            if (i)
                putc(',', out);
            const char *k = kh_node_str(n->u.pairs[i].key);
            kh_report__json_str(out, k ? k : "");
            putc(':', out);
            write_node(out, n->u.pairs[i].value);
        }
        putc('}', out);
        return;
    case KH_NODE_SEQ:
        putc('[', out);
        for (size_t i = 0; i < n->len; i++) {
            if (i)
                putc(',', out);
            write_node(out, n->u.items[i]);
        }
        putc(']', out);
        return;
    default:
        fputs("null", out);
    }
}

typedef struct review_state {
    kh_rbac *m;
    FILE *out;
    kh_finding_cb on_error;
    void *ud;
    const char *name;
    size_t answered, allowed;
    kh_arena *arena;             /* per document */
    int rc;
} review_state;

static void review_error(review_state *st, const kh_node *at, const char *fmt, const char *a)
{
    if (!st->on_error)
        return;
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    kh_finding f = {
        .rule_id = "error",
        .severity = KH_SEVERITY_HIGH,
        .is_error = 1,
        .file = st->name,
        .line = at ? at->line : 0,
        .col = at ? at->col : 0,
        .kind = "SubjectAccessReview",
        .namespace_ = "",
        .name = "",
        .path = "",
        .message = msg,
    };
    st->on_error(&f, st->ud);
}

static const char *str_at(const kh_node *map, const char *key)
{
    const char *s = kh_node_str(kh_node_get(map, key));
    return s ? s : "";
}

static int answer_review(const kh_envelope_item *item, void *ud)
{
    review_state *st = ud;
    const kh_node *root = item->node;
    const char *api = kh_node_str(kh_node_get(root, "apiVersion"));
    const char *kind = kh_node_str(kh_node_get(root, "kind"));
    if (!api)
        api = item->api_version;
    if (!kind)
        kind = item->kind;
    if (!kind || strcmp(kind, "SubjectAccessReview") != 0) {
        review_error(st, root, "not a SubjectAccessReview: kind '%s'", kind ? kind : "");
        return 0;
    }
    if (!api || strcmp(api, "authorization.k8s.io/v1") != 0) {
        review_error(st, root,
                     "unsupported apiVersion '%s' (use authorization.k8s.io/v1)", api);
        return 0;
    }
    const kh_node *spec = kh_node_get(root, "spec");
    const kh_node *ra = kh_node_get(spec, "resourceAttributes");
    const kh_node *nra = kh_node_get(spec, "nonResourceAttributes");
    bool has_ra = ra && !kh_node_is_null(ra), has_nra = nra && !kh_node_is_null(nra);
    /* ValidateSubjectAccessReviewSpec, in its order. */
    if (has_ra && has_nra) {
        review_error(st, nra,
                     "spec.nonResourceAttributes: Invalid value: cannot be specified in "
                     "combination with resourceAttributes%s", NULL);
        return 0;
    }
    if (!has_ra && !has_nra) {
        review_error(st, spec ? spec : root,
                     "spec.resourceAttributes: Invalid value: exactly one of "
                     "nonResourceAttributes or resourceAttributes must be specified%s", NULL);
        return 0;
    }
    const char *user = str_at(spec, "user");
    const kh_node *groups = kh_node_get(spec, "groups");
    size_t ng = kh_node_is_seq(groups) ? groups->len : 0;
    if (!*user && ng == 0) {
        review_error(st, spec,
                     "spec.user: Invalid value: \"\": at least one of user or group must be "
                     "specified%s", NULL);
        return 0;
    }
    const char **gv = kh_arena_alloc(st->arena, (ng + 1) * sizeof *gv);
    if (!gv) {
        st->rc = KH_ENOMEM;
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < ng; i++) {
        const char *g = kh_node_str(groups->u.items[i]);
        if (g)
            gv[n++] = g;
    }
    kh_rbac_attrs a = {.user = user, .groups = gv, .ngroups = n};
    if (has_ra) {
        a.resource_request = true;
        a.verb = str_at(ra, "verb");
        a.namespace_ = str_at(ra, "namespace");
        a.api_group = str_at(ra, "group");
        a.resource = str_at(ra, "resource");
        a.subresource = str_at(ra, "subresource");
        a.name = str_at(ra, "name");
    } else {
        a.verb = str_at(nra, "verb");
        a.path = str_at(nra, "path");
    }
    kh_rbac_decision d;
    if (kh_rbac__decide(st->m, &a, st->arena, &d) != 0) {
        st->rc = KH_ENOMEM;
        return 1;
    }
    FILE *out = st->out;
    fputs("{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",", out);
    const kh_node *meta = kh_node_get(root, "metadata");
    fputs("\"metadata\":", out);
    if (kh_node_is_map(meta))
        write_node(out, meta);
    else
        fputs("{}", out);
    fputs(",\"spec\":", out);
    write_node(out, spec);
    fprintf(out, ",\"status\":{\"allowed\":%s", d.allowed ? "true" : "false");
    if (*d.reason) {
        fputs(",\"reason\":", out);
        kh_report__json_str(out, d.reason);
    }
    fputs("}}\n", out);
    st->answered++;
    if (d.allowed)
        st->allowed++;
    return 0;
}

int kh_rbac_review_buffer(kh_rbac *m, const char *buf, size_t len, const char *name,
                          FILE *out, kh_finding_cb on_error, void *ud,
                          size_t *answered, size_t *allowed, kh_error *err)
{
    kh_doc_reader *r = NULL;
    kh_arena arena;
    int rc = kh_doc_reader_new_buffer(&r, buf, len, name, err);
    if (rc)
        return rc;
    kh_arena_init(&arena, 0);
    review_state st = {m, out, on_error, ud, name, 0, 0, &arena, 0};
    for (;;) {
        kh_doc doc;
        kh_error derr = {0};
        kh_arena_reset(&arena);
        int got = kh_doc_reader_next(r, &arena, &doc, &derr);
        if (got == 0)
            break;
        if (got < 0) {
            if (got == KH_EIO) {
                rc = kh_error_set(err, KH_EIO, name, 0, 0, "%s", derr.message);
                break;
            }
            if (on_error) {
                kh_finding f = {.rule_id = "error", .severity = KH_SEVERITY_HIGH,
                                .is_error = 1, .file = name, .line = derr.line,
                                .col = derr.col, .namespace_ = "", .name = "", .path = "",
                                .message = derr.message};
                on_error(&f, ud);
            }
            continue;
        }
        kh_error uerr = {0};
        int u = kh_envelope_unwrap(doc.root, name, &arena, answer_review, &st, &uerr);
        if (st.rc) {
            rc = kh_error_set(err, st.rc, name, 0, 0, "out of memory");
            break;
        }
        if (u < 0 && on_error) {
            kh_finding f = {.rule_id = "error", .severity = KH_SEVERITY_HIGH, .is_error = 1,
                            .file = name, .line = uerr.line, .col = uerr.col,
                            .namespace_ = "", .name = "", .path = "",
                            .message = uerr.message};
            on_error(&f, ud);
        }
    }
    if (!rc && ferror(out))
        rc = kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the answers");
    kh_arena_free(&arena);
    kh_doc_reader_free(r);
    if (answered)
        *answered = st.answered;
    if (allowed)
        *allowed = st.allowed;
    return rc;
}
