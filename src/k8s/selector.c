/*
 * selector.c -- label selectors: metav1.LabelSelector and the plain
 * map[string]string selectors of Services and ReplicationControllers.
 *
 * A selector compiles into a flat AND of requirements (In, NotIn, Exists,
 * DoesNotExist) in the caller's arena, following LabelSelectorAsSelector:
 * matchLabels entries become In with one value, a nil selector matches
 * nothing and an empty one everything. Label values are compared as their
 * YAML source text, so `version: 1` in a labels map equals "1". Matching
 * scans the labels mapping once per requirement: label maps are small.
 */
#include "k8s/k8s.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "k8s/internal.h"

static const kh_selector select_nothing = {KH_SELECTOR_NOTHING, 0, NULL};
static const kh_selector select_everything = {KH_SELECTOR_REQS, 0, NULL};

static int invalid(kh_error *err, const kh_node *at, const char *fmt, ...)
    KH_PRINTF(3, 4);

/* KH_EINVALID at @p at; the file is left NULL for the caller to fill in. */
static int invalid(kh_error *err, const kh_node *at, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kh_error_set(err, KH_EINVALID, NULL, at ? at->line : 0,
                        at ? at->col : 0, "%s", msg);
}

static int nomem(kh_error *err)
{
    return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
}

static size_t seq_len(const kh_node *n)
{
    return kh_node_is_seq(n) ? n->len : 0;
}

/* ------------------------------------------------------------ matchLabels */

/* One In requirement per pair of a map[string]string. */
static int add_equalities(kh_selector_req *reqs, size_t *n, const kh_node *map,
                          const char *field, kh_arena *arena, kh_error *err)
{
    for (uint32_t i = 0; i < map->len; i++) {
        const kh_pair *p = &map->u.pairs[i];
        const char *key = kh_k8s__label_text(p->key);
        const char *value = kh_k8s__label_text(p->value);
        if (!key)
            return invalid(err, p->key, "%s: keys must be strings", field);
        if (!value)
            return invalid(err, p->value, "%s.%s: value must be a string",
                           field, key);
        const char **values = kh_arena_alloc(arena, sizeof(*values));
        if (!values)
            return nomem(err);
        values[0] = value;
        reqs[*n] = (kh_selector_req){key, KH_SELECTOR_IN, 1, values};
        (*n)++;
    }
    return 0;
}

/* ------------------------------------------------------- matchExpressions */

static const struct {
    const char *name;
    kh_selector_op op;
} operators[] = {
    {"In", KH_SELECTOR_IN},
    {"NotIn", KH_SELECTOR_NOT_IN},
    {"Exists", KH_SELECTOR_EXISTS},
    {"DoesNotExist", KH_SELECTOR_DOES_NOT_EXIST},
};

static int parse_operator(kh_selector_op *out, const kh_node *expr,
                          kh_error *err)
{
    const kh_node *opn = kh_node_get(expr, "operator");
    const char *name = kh_node_str(opn);
    if (!opn || opn->type == KH_NODE_NULL)
        return invalid(err, expr, "operator: must be one of In, NotIn, "
                       "Exists, DoesNotExist");
    if (!name)
        return invalid(err, opn, "operator: must be a string");
    for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
        if (strcmp(name, operators[i].name) == 0) {
            *out = operators[i].op;
            return 0;
        }
    }
    return invalid(err, opn,
                   "operator '%s' is not one of In, NotIn, Exists, DoesNotExist",
                   name);
}

/* The values list, checked against the operator. */
static int parse_values(kh_selector_req *req, const kh_node *expr,
                        const char *opname, kh_arena *arena, kh_error *err)
{
    const kh_node *vals = kh_node_get(expr, "values");
    const kh_node *at = vals ? vals : expr;
    if (vals && vals->type != KH_NODE_NULL && vals->type != KH_NODE_SEQ)
        return invalid(err, vals, "values: must be a list");
    size_t n = seq_len(vals);
    bool want = req->op == KH_SELECTOR_IN || req->op == KH_SELECTOR_NOT_IN;
    if (want && n == 0)
        return invalid(err, at, "values: must be non-empty for operator '%s'",
                       opname);
    if (!want && n > 0)
        return invalid(err, at, "values: must be empty for operator '%s'",
                       opname);
    const char **values = kh_arena_calloc(arena, n ? n : 1, sizeof(*values));
    if (!values)
        return nomem(err);
    for (size_t i = 0; i < n; i++) {
        values[i] = kh_node_str(vals->u.items[i]);
        if (!values[i])
            return invalid(err, vals->u.items[i], "values: items must be "
                           "strings");
    }
    req->nvalues = n;
    req->values = values;
    return 0;
}

static int parse_expression(kh_selector_req *req, const kh_node *expr,
                            kh_arena *arena, kh_error *err)
{
    if (!kh_node_is_map(expr))
        return invalid(err, expr, "matchExpressions: items must be mappings");
    const kh_node *keyn = kh_node_get(expr, "key");
    const char *key = kh_node_str(keyn);
    if (!key || !key[0])
        return invalid(err, keyn ? keyn : expr, "key: must be non-empty");
    int rc = parse_operator(&req->op, expr, err);
    if (rc != 0)
        return rc;
    req->key = key;
    return parse_values(req, expr, kh_node_str(kh_node_get(expr, "operator")),
                        arena, err);
}

/* --------------------------------------------------------------- compile */

int kh_selector_compile(const kh_selector **out, const kh_node *sel,
                        kh_arena *arena, kh_error *err)
{
    *out = &select_nothing;
    if (!sel || sel->type == KH_NODE_NULL)
        return 0;
    if (sel->type != KH_NODE_MAP)
        return invalid(err, sel, "selector: must be a mapping");
    const kh_node *ml = kh_node_get(sel, "matchLabels");
    const kh_node *me = kh_node_get(sel, "matchExpressions");
    if (ml && ml->type != KH_NODE_NULL && ml->type != KH_NODE_MAP)
        return invalid(err, ml, "matchLabels: must be a mapping");
    if (me && me->type != KH_NODE_NULL && me->type != KH_NODE_SEQ)
        return invalid(err, me, "matchExpressions: must be a list");
    size_t nml = kh_node_is_map(ml) ? ml->len : 0;
    size_t n = nml + seq_len(me);
    if (n == 0) {
        *out = &select_everything;
        return 0;
    }
    kh_selector *s = kh_arena_alloc(arena, sizeof(*s));
    kh_selector_req *reqs = kh_arena_calloc(arena, n, sizeof(*reqs));
    if (!s || !reqs)
        return nomem(err);
    size_t used = 0;
    int rc = nml ? add_equalities(reqs, &used, ml, "matchLabels", arena, err) : 0;
    for (size_t i = 0; rc == 0 && i < seq_len(me); i++)
        rc = parse_expression(&reqs[used++], me->u.items[i], arena, err);
    if (rc != 0)
        return rc;
    *s = (kh_selector){KH_SELECTOR_REQS, used, reqs};
    *out = s;
    return 0;
}

int kh_selector_from_map(const kh_selector **out, const kh_node *map,
                         kh_arena *arena, kh_error *err)
{
    *out = &select_nothing;
    if (!map || map->type == KH_NODE_NULL)
        return 0;
    if (map->type != KH_NODE_MAP)
        return invalid(err, map, "selector: must be a mapping");
    if (map->len == 0)
        return 0;
    kh_selector *s = kh_arena_alloc(arena, sizeof(*s));
    kh_selector_req *reqs = kh_arena_calloc(arena, map->len, sizeof(*reqs));
    if (!s || !reqs)
        return nomem(err);
    size_t used = 0;
    int rc = add_equalities(reqs, &used, map, "selector", arena, err);
    if (rc != 0)
        return rc;
    *s = (kh_selector){KH_SELECTOR_REQS, used, reqs};
    *out = s;
    return 0;
}

/* -------------------------------------------------------------- matching */

/* The label's value, or NULL when the key is absent. */
static const char *label_value(const kh_node *labels, const char *key)
{
    if (!kh_node_is_map(labels))
        return NULL;
    for (uint32_t i = 0; i < labels->len; i++) {
        const char *k = kh_k8s__label_text(labels->u.pairs[i].key);
        if (k && strcmp(k, key) == 0) {
            const char *v = kh_k8s__label_text(labels->u.pairs[i].value);
            return v ? v : "";
        }
    }
    return NULL;
}

static bool has_value(const kh_selector_req *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

static bool req_matches(const kh_selector_req *r, const kh_node *labels)
{
    const char *v = label_value(labels, r->key);
    switch (r->op) {
    case KH_SELECTOR_IN:
        return v && has_value(r, v);
    case KH_SELECTOR_NOT_IN:
        return !v || !has_value(r, v);
    case KH_SELECTOR_EXISTS:
        return v != NULL;
    case KH_SELECTOR_DOES_NOT_EXIST:
        return v == NULL;
    }
    return false;
}

bool kh_selector_matches(const kh_selector *sel, const kh_node *labels)
{
    if (!sel || sel->mode == KH_SELECTOR_NOTHING)
        return false;
    for (size_t i = 0; i < sel->nreqs; i++)
        if (!req_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool kh_selector_matches_everything(const kh_selector *sel)
{
    return sel && sel->mode == KH_SELECTOR_REQS && sel->nreqs == 0;
}

bool kh_selector_matches_nothing(const kh_selector *sel)
{
    return !sel || sel->mode == KH_SELECTOR_NOTHING;
}
