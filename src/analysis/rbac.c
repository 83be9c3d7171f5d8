/*
 * rbac.c -- the RBAC authorizer model: build it from the object set, and
 * ask it what the API server's RBAC authorizer would answer.
 *
 * Build: roles and bindings are read into arena structs, sorted by
 * (namespace, name) so lookups are binary searches and bindings are
 * visited in a stable order; a later duplicate replaces an earlier one.
 * ClusterRole aggregation is then iterated to its fixpoint as the
 * aggregation controller's repeated syncs reach it. Queries are plain
 * walks over the sorted bindings, with upstream's matchers (see rbac.h).
 */
#include "analysis/rbac.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strset.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define SA_PREFIX "system:serviceaccount:"

struct kh_rbac {
    kh_arena *arena;
    kh_rbac_role **roles;        /* sorted: ClusterRoles ("" ns) first, then by ns, name */
    size_t nroles;
    kh_rbac_binding **bindings;  /* ClusterRoleBindings ("" ns) first, then by ns, name */
    size_t nbindings;
    kh_rbac_sa **sas;            /* by ns, name */
    size_t nsas;
    kh_rbac_pod **pods;          /* input order */
    size_t npods;
    const char **namespaces;     /* of the RoleBindings, sorted, unique */
    size_t nnamespaces;
    bool has_sa_objects;
};

const char *const kh_rbac__kinds[] = {
    "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount",
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "ReplicationController", "PodTemplate", "Rollout", "CloneSet", NULL,
};

static const char *const pod_kinds[] = {
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "ReplicationController", "PodTemplate", "Rollout", "CloneSet", NULL,
};

static bool streq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* Namespaced objects written without a namespace land in "default", as
 * `kubectl apply` without -n puts them there. */
static const char *object_ns(const kh_object *o)
{
    return o->namespace_ && *o->namespace_ ? o->namespace_ : "default";
}

/* ------------------------------------------------------------- reading */

static int read_strs(kh_arena *a, const kh_node *seq, kh_rbac_strs *out)
{
    out->v = NULL;
    out->n = 0;
    if (!kh_node_is_seq(seq) || seq->len == 0)
        return 0;
    const char **v = kh_arena_alloc(a, seq->len * sizeof *v);
    if (!v)
        return KH_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < seq->len; i++) {
        const char *s = kh_node_str(seq->u.items[i]);
        if (s)
            v[n++] = s;
    }
    out->v = v;
    out->n = n;
    return 0;
}

/* FNV-1a over the five lists, each item and list ended by a distinct
 * byte, so that rules equal as upstream compares them hash equal. */
static uint64_t rule_hash(const kh_rbac_rule *r)
{
    const kh_rbac_strs *lists[] = {&r->verbs, &r->api_groups, &r->resources,
                                   &r->resource_names, &r->non_resource_urls};
    uint64_t h = 1469598103934665603ull;
    for (size_t l = 0; l < 5; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) {
            for (const unsigned char *p = (const unsigned char *)lists[l]->v[i]; *p; p++)
                h = (h ^ *p) * 1099511628211ull;
            h = (h ^ 0x1f) * 1099511628211ull;
        }
        h = (h ^ 0x1e) * 1099511628211ull;
    }
    return h;
}

static int read_rules(kh_arena *a, kh_rbac_role *role)
{
    const kh_node *rules = kh_node_get(role->obj->root, "rules");
    role->written = NULL;
    role->nwritten = 0;
    if (!kh_node_is_seq(rules) || rules->len == 0)
        return 0;
    role->written = kh_arena_calloc(a, rules->len, sizeof *role->written);
    if (!role->written)
        return KH_ENOMEM;
    for (size_t i = 0; i < rules->len; i++) {
        const kh_node *r = rules->u.items[i];
        if (!kh_node_is_map(r))
            continue;
        kh_rbac_rule *x = &role->written[role->nwritten++];
        if (read_strs(a, kh_node_get(r, "verbs"), &x->verbs) ||
            read_strs(a, kh_node_get(r, "apiGroups"), &x->api_groups) ||
            read_strs(a, kh_node_get(r, "resources"), &x->resources) ||
            read_strs(a, kh_node_get(r, "resourceNames"), &x->resource_names) ||
            read_strs(a, kh_node_get(r, "nonResourceURLs"), &x->non_resource_urls))
            return KH_ENOMEM;
        x->hash = rule_hash(x);
        x->role = role;
        x->node = r;
        x->index = i;
        x->path = kh_arena_printf(a, "rules[%zu]", i);
        const char *prefix = role->obj->path_prefix;
        x->full_path = prefix && *prefix ? kh_arena_printf(a, "%s%s", prefix, x->path) : x->path;
        if (!x->path || !x->full_path)
            return KH_ENOMEM;
    }
    const kh_rbac_rule **ptrs = kh_arena_alloc(a, (role->nwritten + 1) * sizeof *ptrs);
    if (!ptrs)
        return KH_ENOMEM;
    for (size_t i = 0; i < role->nwritten; i++)
        ptrs[i] = &role->written[i];
    role->rules = ptrs;
    role->nrules = role->nwritten;
    return 0;
}

static bool is_rbac(const kh_object *o)
{
    return o->group && strcmp(o->group, RBAC_GROUP) == 0;
}

/* Sort key (namespace, name), ties by input position so that the later
 * duplicate comes last and wins. */
typedef struct keyed {
    const char *ns, *name;
    size_t seq;
    void *p;
} keyed;

static int keyed_cmp(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    int c = strcmp(a->ns, b->ns);
    if (!c)
        c = strcmp(a->name, b->name);
    if (!c)
        c = a->seq < b->seq ? -1 : a->seq > b->seq;
    return c;
}

/* Sort @p k and keep the last of each (ns, name) run; @return the count. */
static size_t sort_dedup(keyed *k, size_t n)
{
    qsort(k, n, sizeof *k, keyed_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && streq(k[i].ns, k[i + 1].ns) && streq(k[i].name, k[i + 1].name))
            continue;
        k[out++] = k[i];
    }
    return out;
}

static int read_roles(kh_rbac *m, const kh_objset *set)
{
    const kh_object *const *cr, *const *r;
    size_t ncr = kh_objset_by_kind(set, "ClusterRole", &cr);
    size_t nr = kh_objset_by_kind(set, "Role", &r);
    keyed *k = malloc((ncr + nr + 1) * sizeof *k);
    if (!k)
        return KH_ENOMEM;
    size_t n = 0;
    int rc = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        const kh_object *const *objs = pass ? r : cr;
        size_t cnt = pass ? nr : ncr;
        for (size_t i = 0; i < cnt; i++) {
            const kh_object *o = objs[i];
            if (!is_rbac(o))
                continue;
            kh_rbac_role *role = kh_arena_calloc(m->arena, 1, sizeof *role);
            if (!role) {
                rc = KH_ENOMEM;
                goto cleanup;
            }
            role->obj = o;
            role->cluster = pass == 0;
            role->kind = role->cluster ? "ClusterRole" : "Role";
            role->namespace_ = role->cluster ? "" : object_ns(o);
            role->name = str_or_empty(o->name);
            if ((rc = read_rules(m->arena, role)))
                goto cleanup;
            k[n] = (keyed){role->namespace_, role->name, n, role};
            n++;
        }
    }
    n = sort_dedup(k, n);
    m->roles = kh_arena_alloc(m->arena, (n + 1) * sizeof *m->roles);
    if (!m->roles) {
        rc = KH_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        m->roles[i] = k[i].p;
    m->nroles = n;
cleanup:
    free(k);
    return rc;
}

/* ------------------------------------------------------------- lookups */

static size_t lower_bound(void *const *arr, size_t n, size_t ns_off, size_t name_off,
                          const char *ns, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *mns = *(const char *const *)((const char *)arr[mid] + ns_off);
        const char *mname = *(const char *const *)((const char *)arr[mid] + name_off);
        int c = strcmp(mns, ns);
        if (!c && name)
            c = strcmp(mname, name);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const kh_rbac_role *kh_rbac__find_role(const kh_rbac *m, const char *ns, const char *name)
{
    ns = str_or_empty(ns);
    name = str_or_empty(name);
    size_t i = lower_bound((void *const *)m->roles, m->nroles,
                           offsetof(kh_rbac_role, namespace_), offsetof(kh_rbac_role, name),
                           ns, name);
    if (i < m->nroles && streq(m->roles[i]->namespace_, ns) && streq(m->roles[i]->name, name))
        return m->roles[i];
    return NULL;
}

size_t kh_rbac__bindings_in(const kh_rbac *m, const char *ns,
                            const kh_rbac_binding *const **out)
{
    ns = str_or_empty(ns);
    size_t lo = lower_bound((void *const *)m->bindings, m->nbindings,
                            offsetof(kh_rbac_binding, namespace_),
                            offsetof(kh_rbac_binding, name), ns, NULL);
    size_t hi = lo;
    while (hi < m->nbindings && streq(m->bindings[hi]->namespace_, ns))
        hi++;
    *out = (const kh_rbac_binding *const *)m->bindings + lo;
    return hi - lo;
}

size_t kh_rbac__roles(const kh_rbac *m, const kh_rbac_role *const **out)
{
    *out = (const kh_rbac_role *const *)m->roles;
    return m->nroles;
}

size_t kh_rbac__bindings(const kh_rbac *m, const kh_rbac_binding *const **out)
{
    *out = (const kh_rbac_binding *const *)m->bindings;
    return m->nbindings;
}

size_t kh_rbac__service_accounts(const kh_rbac *m, const kh_rbac_sa *const **out)
{
    *out = (const kh_rbac_sa *const *)m->sas;
    return m->nsas;
}

const kh_rbac_sa *kh_rbac__find_sa(const kh_rbac *m, const char *ns, const char *name)
{
    ns = str_or_empty(ns);
    name = str_or_empty(name);
    size_t i = lower_bound((void *const *)m->sas, m->nsas, offsetof(kh_rbac_sa, namespace_),
                           offsetof(kh_rbac_sa, name), ns, name);
    if (i < m->nsas && streq(m->sas[i]->namespace_, ns) && streq(m->sas[i]->name, name))
        return m->sas[i];
    return NULL;
}

size_t kh_rbac__pods(const kh_rbac *m, const kh_rbac_pod *const **out)
{
    *out = (const kh_rbac_pod *const *)m->pods;
    return m->npods;
}

size_t kh_rbac__namespaces(const kh_rbac *m, const char *const **out)
{
    *out = m->namespaces;
    return m->nnamespaces;
}

bool kh_rbac__has_service_accounts(const kh_rbac *m)
{
    return m->has_sa_objects;
}

kh_arena *kh_rbac__arena(const kh_rbac *m)
{
    return m->arena;
}

/* ------------------------------------------------------------- aggregation */

static bool strs_equal(const kh_rbac_strs *a, const kh_rbac_strs *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return false;
    return true;
}

/* equality.Semantic.DeepEqual of two PolicyRules (nil and empty lists are
 * equal there, as here where both have n == 0). */
static bool rule_equal(const kh_rbac_rule *a, const kh_rbac_rule *b)
{
    return strs_equal(&a->verbs, &b->verbs) && strs_equal(&a->api_groups, &b->api_groups) &&
           strs_equal(&a->resources, &b->resources) &&
           strs_equal(&a->resource_names, &b->resource_names) &&
           strs_equal(&a->non_resource_urls, &b->non_resource_urls);
}

typedef struct agg {
    kh_rbac_role *role;
    const kh_selector **sels;
    size_t nsels;
} agg;

/* One sync of the controller for @p g: the rules of every other
 * ClusterRole its selectors match (selector order, then name order),
 * without semantic duplicates (found through the rules' hashes, so that a
 * role aggregating thousands of rules costs no more than reading them).
 * @return 1 when the rules changed, 0, or KH_ENOMEM. */
static int sync_role(kh_rbac *m, agg *g, size_t ncluster)
{
    size_t nsrc = 0, srccap = 8, total = 0;
    const kh_rbac_role **src = kh_arena_alloc(m->arena, srccap * sizeof *src);
    if (!src)
        return KH_ENOMEM;
    /* The matched roles in the controller's order; a role matched by two
     * selectors is visited twice (its rules then are all duplicates). */
    const kh_rbac_role **order = NULL;
    size_t norder = 0, ordercap = 0;
    for (size_t s = 0; s < g->nsels; s++) {
        for (size_t i = 0; i < ncluster; i++) {
            const kh_rbac_role *c = m->roles[i];
            if (c == g->role || !kh_selector_matches(g->sels[s], c->obj->labels))
                continue;
            if (norder == ordercap) {
                size_t nc = ordercap ? 2 * ordercap : 16;
                const kh_rbac_role **bigger = realloc(order, nc * sizeof *bigger);
                if (!bigger) {
                    free(order);
                    return KH_ENOMEM;
                }
                order = bigger;
                ordercap = nc;
            }
            order[norder++] = c;
            total += c->nrules;
            bool seen = false;
            for (size_t j = 0; j < nsrc && !seen; j++)
                seen = src[j] == c;
            if (seen)
                continue;
            if (nsrc == srccap) {
                const kh_rbac_role **bigger = kh_arena_alloc(m->arena, 2 * srccap * sizeof *bigger);
                if (!bigger) {
                    free(order);
                    return KH_ENOMEM;
                }
                memcpy(bigger, src, nsrc * sizeof *src);
                src = bigger;
                srccap *= 2;
            }
            src[nsrc++] = c;
        }
    }
    size_t tsize = 16;
    while (tsize < 2 * total)
        tsize *= 2;
    const kh_rbac_rule **table = calloc(tsize, sizeof *table);
    const kh_rbac_rule **out = kh_arena_alloc(m->arena, (total + 1) * sizeof *out);
    if (!table || !out) {
        free(table);
        free(order);
        return KH_ENOMEM;
    }
    size_t n = 0;
    for (size_t o = 0; o < norder; o++) {
        const kh_rbac_role *c = order[o];
        for (size_t r = 0; r < c->nrules; r++) {
            const kh_rbac_rule *rule = c->rules[r];
            size_t h = (size_t)rule->hash & (tsize - 1);
            bool dup = false;
            for (; table[h]; h = (h + 1) & (tsize - 1))
                if (table[h]->hash == rule->hash && rule_equal(table[h], rule)) {
                    dup = true;
                    break;
                }
            if (dup)
                continue;
            table[h] = rule;
            out[n++] = rule;
        }
    }
    free(table);
    free(order);
    kh_rbac_role *role = g->role;
    int changed = n != role->nrules;
    for (size_t i = 0; !changed && i < n; i++)
        changed = out[i] != role->rules[i];
    role->rules = out;
    role->nrules = n;
    role->sources = src;
    role->nsources = nsrc;
    return changed;
}

static int aggregate(kh_rbac *m)
{
    size_t ncluster = 0;
    while (ncluster < m->nroles && m->roles[ncluster]->cluster)
        ncluster++;
    agg *g = NULL;
    size_t ng = 0;
    int rc = 0;
    for (size_t i = 0; i < ncluster; i++) {
        const kh_node *ar = kh_node_get(m->roles[i]->obj->root, "aggregationRule");
        if (!ar || kh_node_is_null(ar))
            continue;
        if (!g && !(g = calloc(ncluster, sizeof *g)))
            return KH_ENOMEM;
        kh_rbac_role *role = m->roles[i];
        const kh_node *sels = kh_node_get(ar, "clusterRoleSelectors");
        size_t ns = kh_node_is_seq(sels) ? sels->len : 0;
        agg *x = &g[ng];
        x->role = role;
        x->sels = kh_arena_calloc(m->arena, ns + 1, sizeof *x->sels);
        if (!x->sels) {
            rc = KH_ENOMEM;
            goto cleanup;
        }
        bool bad = false;
        for (size_t s = 0; s < ns; s++) {
            const kh_node *sel = sels->u.items[s];
            kh_error e;
            /* A null item decodes to an empty LabelSelector: everything. */
            static const kh_node empty_map = {.type = KH_NODE_MAP};
            int c = kh_selector_compile(&x->sels[s], kh_node_is_null(sel) ? &empty_map : sel,
                                        m->arena, &e);
            if (c != 0) {
                if (c == KH_ENOMEM) {
                    rc = KH_ENOMEM;
                    goto cleanup;
                }
                bad = true;
            }
        }
        if (bad) {
            /* syncClusterRole returns the selector's error before updating. */
            role->aggregation_failed = true;
            role->aggregated = true;
            continue;
        }
        x->nsels = ns;
        role->aggregated = true;
        ng++;
    }
    /* Every sync re-queues every aggregated role; a fixpoint is where
     * that stops. A cycle of roles selecting each other also settles:
     * rules only ever move between roles, never grow new ones. */
    for (size_t round = 0; round <= ng + 1; round++) {
        bool changed = false;
        for (size_t i = 0; i < ng; i++) {
            int c = sync_role(m, &g[i], ncluster);
            if (c < 0) {
                rc = c;
                goto cleanup;
            }
            changed |= c > 0;
        }
        if (!changed)
            break;
    }
cleanup:
    free(g);
    return rc;
}

/* ------------------------------------------------------------- bindings */

static int read_subjects(kh_arena *a, kh_rbac_binding *b)
{
    const kh_node *subs = kh_node_get(b->obj->root, "subjects");
    b->subjects = NULL;
    b->nsubjects = 0;
    if (!kh_node_is_seq(subs) || subs->len == 0)
        return 0;
    kh_rbac_subject *v = kh_arena_calloc(a, subs->len, sizeof *v);
    if (!v)
        return KH_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < subs->len; i++) {
        const kh_node *s = subs->u.items[i];
        if (!kh_node_is_map(s))
            continue;
        kh_rbac_subject *x = &v[n++];
        x->kind_text = str_or_empty(kh_node_str(kh_node_get(s, "kind")));
        x->name = str_or_empty(kh_node_str(kh_node_get(s, "name")));
        x->namespace_ = str_or_empty(kh_node_str(kh_node_get(s, "namespace")));
        x->node = s;
        x->index = i;
        x->path = kh_arena_printf(a, "subjects[%zu]", i);
        x->sa_namespace = "";
        if (!x->path)
            return KH_ENOMEM;
        if (strcmp(x->kind_text, "User") == 0) {
            x->kind = KH_RBAC_SUBJECT_USER;
            x->username = x->name;
        } else if (strcmp(x->kind_text, "Group") == 0) {
            x->kind = KH_RBAC_SUBJECT_GROUP;
        } else if (strcmp(x->kind_text, "ServiceAccount") == 0) {
            x->kind = KH_RBAC_SUBJECT_SERVICE_ACCOUNT;
            x->sa_namespace = *x->namespace_ ? x->namespace_ : b->namespace_;
            if (*x->sa_namespace) {
                x->username = kh_arena_printf(a, SA_PREFIX "%s:%s", x->sa_namespace, x->name);
                if (!x->username)
                    return KH_ENOMEM;
            }
        } else {
            x->kind = KH_RBAC_SUBJECT_OTHER;
        }
    }
    b->subjects = v;
    b->nsubjects = n;
    return 0;
}

/* The code point at @p s (UTF-8) and its length, or -1 with length 1
 * for a byte that starts no valid sequence (as utf8.DecodeRuneInString). */
static long utf8_rune(const unsigned char *s, size_t *len)
{
    unsigned c = s[0];
    size_t n = c >= 0xf0 ? (c <= 0xf4 ? 4 : 0) : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    *len = 1;
    if (c < 0x80)
        return (long)c;
    if (!n)
        return -1;
    long r = (long)(c & (0x7f >> n));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        r = (r << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10ffff)) ||
        (r >= 0xd800 && r <= 0xdfff))
        return -1;
    *len = n;
    return r;
}

/* unicode.IsPrint for what names hold: false for controls, spaces other
 * than U+0020, format characters and private use; true otherwise (the
 * few unassigned code points Go also escapes are not told apart). */
static bool go_printable(long r)
{
    if (r < 0x20 || (r >= 0x7f && r <= 0xa0) || r == 0xad || r == 0x1680 || r == 0x061c ||
        r == 0x180e || (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
        (r >= 0x205f && r <= 0x206f) || r == 0x3000 || (r >= 0xd800 && r <= 0xf8ff) ||
        r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) || r >= 0xf0000 ||
        (r >= 0xe0000 && r <= 0xe007f))
        return false;
    return true;
}

/* Go's %q (strconv.Quote) for the strings in resolver messages and
 * reasons: quotes and backslashes escaped, printable characters as they
 * are, \a \b \f \n \r \t \v, other controls \xNN, other unprintable
 * characters \uNNNN or \UNNNNNNNN, bytes of invalid UTF-8 \xNN. */
static char *go_quote(kh_arena *a, const char *s)
{
    size_t len = strlen(s);
    char *out = kh_arena_alloc(a, 10 * len + 3);
    if (!out)
        return NULL;
    char *p = out;
    *p++ = '"';
    for (const unsigned char *q = (const unsigned char *)s; *q;) {
        size_t n;
        long r = utf8_rune(q, &n);
        if (r < 0) {
            p += sprintf(p, "\\x%02x", *q);
        } else if (r == '"' || r == '\\') {
            *p++ = '\\';
            *p++ = (char)r;
        } else if (go_printable(r)) {
            memcpy(p, q, n);
            p += n;
        } else {
            static const char esc[] = "abtnvfr"; /* \a=7 ... \r=13 */
            if (r >= 7 && r <= 13)
                p += sprintf(p, "\\%c", esc[r - 7]);
            else if (r < 0x20 || r == 0x7f)
                p += sprintf(p, "\\x%02lx", r);
            else if (r < 0x10000)
                p += sprintf(p, "\\u%04lx", r);
            else
                p += sprintf(p, "\\U%08lx", r);
        }
        q += n;
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

/* GetRoleReferenceRules: the role or the lister's error message. */
static int resolve(kh_rbac *m, kh_rbac_binding *b)
{
    const char *what = NULL;
    if (strcmp(b->role_kind, "Role") == 0) {
        /* A ClusterRoleBinding asks for the Role in namespace "": none. */
        b->role = *b->namespace_ ? kh_rbac__find_role(m, b->namespace_, b->role_name) : NULL;
        if (b->role && b->role->cluster)
            b->role = NULL;
        what = "role";
    } else if (strcmp(b->role_kind, "ClusterRole") == 0) {
        b->role = kh_rbac__find_role(m, "", b->role_name);
        what = "clusterrole";
    } else {
        const char *q = go_quote(m->arena, b->role_kind);
        b->error = q ? kh_arena_printf(m->arena, "unsupported role reference kind: %s", q) : NULL;
        return b->error ? 0 : KH_ENOMEM;
    }
    if (b->role)
        return 0;
    const char *q = go_quote(m->arena, b->role_name);
    b->error = q ? kh_arena_printf(m->arena, "%s." RBAC_GROUP " %s not found", what, q) : NULL;
    return b->error ? 0 : KH_ENOMEM;
}

static int read_bindings(kh_rbac *m, const kh_objset *set)
{
    const kh_object *const *crb, *const *rb;
    size_t ncrb = kh_objset_by_kind(set, "ClusterRoleBinding", &crb);
    size_t nrb = kh_objset_by_kind(set, "RoleBinding", &rb);
    keyed *k = malloc((ncrb + nrb + 1) * sizeof *k);
    if (!k)
        return KH_ENOMEM;
    size_t n = 0;
    int rc = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        const kh_object *const *objs = pass ? rb : crb;
        size_t cnt = pass ? nrb : ncrb;
        for (size_t i = 0; i < cnt; i++) {
            const kh_object *o = objs[i];
            if (!is_rbac(o))
                continue;
            kh_rbac_binding *b = kh_arena_calloc(m->arena, 1, sizeof *b);
            if (!b) {
                rc = KH_ENOMEM;
                goto cleanup;
            }
            b->obj = o;
            b->kind = pass ? "RoleBinding" : "ClusterRoleBinding";
            b->namespace_ = pass ? object_ns(o) : "";
            b->name = str_or_empty(o->name);
            b->role_ref = kh_node_get(o->root, "roleRef");
            b->role_kind = str_or_empty(kh_node_str(kh_node_get(b->role_ref, "kind")));
            b->role_name = str_or_empty(kh_node_str(kh_node_get(b->role_ref, "name")));
            if ((rc = read_subjects(m->arena, b)) || (rc = resolve(m, b)))
                goto cleanup;
            k[n] = (keyed){b->namespace_, b->name, n, b};
            n++;
        }
    }
    n = sort_dedup(k, n);
    m->bindings = kh_arena_alloc(m->arena, (n + 1) * sizeof *m->bindings);
    if (!m->bindings) {
        rc = KH_ENOMEM;
        goto cleanup;
    }
    m->namespaces = kh_arena_alloc(m->arena, (n + 1) * sizeof *m->namespaces);
    if (!m->namespaces) {
        rc = KH_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        m->bindings[i] = k[i].p;
        const char *ns = m->bindings[i]->namespace_;
        if (*ns && (!m->nnamespaces || strcmp(m->namespaces[m->nnamespaces - 1], ns) != 0))
            m->namespaces[m->nnamespaces++] = ns;
    }
    m->nbindings = n;
cleanup:
    free(k);
    return rc;
}

/* ------------------------------------------------------------- accounts */

static bool has_projected_token(const kh_node *spec)
{
    const kh_node *vols = kh_node_get(spec, "volumes");
    for (size_t i = 0; kh_node_is_seq(vols) && i < vols->len; i++) {
        const kh_node *src = kh_node_path(vols->u.items[i], "projected.sources");
        for (size_t j = 0; kh_node_is_seq(src) && j < src->len; j++)
            if (kh_node_is_map(kh_node_get(src->u.items[j], "serviceAccountToken")))
                return true;
    }
    return false;
}

static int read_pods(kh_rbac *m, const kh_objset *set)
{
    /* Sized once: arrays doubled in the arena would leave each smaller
     * copy behind (a megabyte for 120,000 pods). */
    size_t most = 0;
    const kh_object *const *objs;
    for (size_t k = 0; pod_kinds[k]; k++)
        most += kh_objset_by_kind(set, pod_kinds[k], &objs);
    kh_rbac_pod *recs = kh_arena_calloc(m->arena, most + 1, sizeof *recs);
    m->pods = kh_arena_alloc(m->arena, (most + 1) * sizeof *m->pods);
    if (!recs || !m->pods)
        return KH_ENOMEM;
    for (size_t k = 0; pod_kinds[k]; k++) {
        size_t n = kh_objset_by_kind(set, pod_kinds[k], &objs);
        for (size_t i = 0; i < n; i++) {
            kh_podspec ps;
            if (!kh_object_podspec(objs[i], &ps))
                continue;
            kh_rbac_pod *p = &recs[m->npods];
            p->obj = objs[i];
            p->namespace_ = object_ns(objs[i]);
            const char *sa = kh_node_str(kh_node_get(ps.spec, "serviceAccountName"));
            if (!sa || !*sa)
                sa = kh_node_str(kh_node_get(ps.spec, "serviceAccount"));
            p->service_account = sa && *sa ? sa : "default";
            p->spec_path = ps.path;
            const kh_node *am = kh_node_get(ps.spec, "automountServiceAccountToken");
            /* The account's own setting is applied once accounts are known. */
            p->token_mounted = !kh_node_is_false(am);
            m->pods[m->npods++] = p;
        }
    }
    return 0;
}

static int pod_cmp_input(const void *x, const void *y)
{
    const kh_rbac_pod *a = *(kh_rbac_pod *const *)x, *b = *(kh_rbac_pod *const *)y;
    if (a->obj->input != b->obj->input)
        return a->obj->input < b->obj->input ? -1 : 1;
    unsigned la = a->obj->root->line, lb = b->obj->root->line;
    if (la != lb)
        return la < lb ? -1 : 1;
    unsigned ca = a->obj->root->col, cb = b->obj->root->col;
    if (ca != cb)
        return ca < cb ? -1 : 1;
    return a->obj->seq < b->obj->seq ? -1 : a->obj->seq > b->obj->seq;
}

static uint64_t pair_hash(const char *ns, const char *name)
{
    /* ns with its NUL, so that ("ab", "c") and ("a", "bc") differ */
    return kh_strset_hash(name, strlen(name), kh_strset_hash(ns, strlen(ns) + 1, 0));
}

/* The first pod of each distinct (namespace, account) pair, into @p first
 * (room for every pod); @return how many, or -1 when out of memory.
 * 100,000 pods name a handful of accounts: sorting a key per pod had cost
 * 8 MB. */
static long distinct_pod_accounts(const kh_rbac *m, uint32_t *first)
{
    size_t cap = 64;
    while (cap < 2 * m->npods)
        cap *= 2;
    uint32_t *seen = calloc(cap, sizeof *seen); /* pod index + 1; 0 = empty */
    if (!seen)
        return -1;
    long n = 0;
    for (size_t i = 0; i < m->npods; i++) {
        const kh_rbac_pod *p = m->pods[i];
        size_t at = (size_t)pair_hash(p->namespace_, p->service_account) & (cap - 1);
        for (; seen[at]; at = (at + 1) & (cap - 1)) {
            const kh_rbac_pod *q = m->pods[seen[at] - 1];
            if (streq(q->namespace_, p->namespace_) &&
                streq(q->service_account, p->service_account))
                break;
        }
        if (seen[at])
            continue;
        seen[at] = (uint32_t)(i + 1);
        first[n++] = (uint32_t)i;
    }
    free(seen);
    return n;
}

static int read_accounts(kh_rbac *m, const kh_objset *set)
{
    int rc = read_pods(m, set);
    if (rc)
        return rc;
    if (m->npods > 1)
        qsort(m->pods, m->npods, sizeof *m->pods, pod_cmp_input);

    const kh_object *const *objs;
    size_t nobj = kh_objset_by_kind(set, "ServiceAccount", &objs);
    size_t nsub = 0;
    for (size_t i = 0; i < m->nbindings; i++)
        nsub += m->bindings[i]->nsubjects;
    uint32_t *first = malloc((m->npods + 1) * sizeof *first);
    long npairs = first ? distinct_pod_accounts(m, first) : -1;
    keyed *k = npairs < 0 ? NULL : malloc((nobj + (size_t)npairs + nsub + 1) * sizeof *k);
    if (!k) {
        free(first);
        return KH_ENOMEM;
    }
    /* References first, objects last: after sorting, an object wins its
     * run (and of equal references, which one stays does not matter). */
    size_t n = 0;
    for (long i = 0; i < npairs; i++) {
        const kh_rbac_pod *p = m->pods[first[i]];
        k[n] = (keyed){p->namespace_, p->service_account, n, NULL};
        n++;
    }
    free(first);
    for (size_t i = 0; i < m->nbindings; i++)
        for (size_t j = 0; j < m->bindings[i]->nsubjects; j++) {
            const kh_rbac_subject *s = &m->bindings[i]->subjects[j];
            if (s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT && *s->sa_namespace) {
                k[n] = (keyed){s->sa_namespace, s->name, n, NULL};
                n++;
            }
        }
    for (size_t i = 0; i < nobj; i++) {
        if (objs[i]->group && *objs[i]->group)
            continue;
        m->has_sa_objects = true;
        k[n] = (keyed){object_ns(objs[i]), str_or_empty(objs[i]->name), n, (void *)objs[i]};
        n++;
    }
    n = sort_dedup(k, n);
    m->sas = kh_arena_alloc(m->arena, (n + 1) * sizeof *m->sas);
    if (!m->sas) {
        rc = KH_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        kh_rbac_sa *sa = kh_arena_calloc(m->arena, 1, sizeof *sa);
        if (!sa) {
            rc = KH_ENOMEM;
            goto cleanup;
        }
        sa->obj = k[i].p;
        sa->namespace_ = k[i].ns;
        sa->name = k[i].name;
        sa->username = kh_arena_printf(m->arena, SA_PREFIX "%s:%s", sa->namespace_, sa->name);
        if (!sa->username) {
            rc = KH_ENOMEM;
            goto cleanup;
        }
        m->sas[i] = sa;
    }
    m->nsas = n;

    /* Pods per account: count, then fill (pods stay in input order). */
    size_t *cnt = calloc(n + 1, sizeof *cnt);
    uint32_t *which = malloc((m->npods + 1) * sizeof *which);
    if (!cnt || !which) {
        free(cnt);
        free(which);
        rc = KH_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < m->npods; i++) {
        kh_rbac_pod *p = m->pods[i];
        size_t j = lower_bound((void *const *)m->sas, m->nsas, offsetof(kh_rbac_sa, namespace_),
                               offsetof(kh_rbac_sa, name), p->namespace_, p->service_account);
        which[i] = (uint32_t)j;
        cnt[j]++;
        const kh_rbac_sa *sa = m->sas[j];
        kh_podspec ps = {0};
        kh_object_podspec(p->obj, &ps);
        const kh_node *am = kh_node_get(ps.spec, "automountServiceAccountToken");
        if (!kh_node_is_true(am) && !kh_node_is_false(am) && sa->obj)
            am = kh_node_get(sa->obj->root, "automountServiceAccountToken");
        p->token_mounted = !kh_node_is_false(am) || has_projected_token(ps.spec);
    }
    for (size_t j = 0; j < n; j++) {
        m->sas[j]->pods = kh_arena_alloc(m->arena, (cnt[j] + 1) * sizeof *m->sas[j]->pods);
        if (!m->sas[j]->pods) {
            rc = KH_ENOMEM;
            break;
        }
    }
    for (size_t i = 0; !rc && i < m->npods; i++) {
        kh_rbac_sa *sa = m->sas[which[i]];
        ((const kh_rbac_pod **)sa->pods)[sa->npods++] = m->pods[i];
    }
    free(cnt);
    free(which);
cleanup:
    free(k);
    return rc;
}

/* ------------------------------------------------------------- build */

int kh_rbac__build(kh_rbac **out, const kh_objset *set, kh_arena *arena)
{
    *out = NULL;
    kh_rbac *m = kh_arena_calloc(arena, 1, sizeof *m);
    if (!m)
        return KH_ENOMEM;
    m->arena = arena;
    int rc;
    if ((rc = read_roles(m, set)) || (rc = aggregate(m)) || (rc = read_bindings(m, set)) ||
        (rc = read_accounts(m, set)))
        return rc;
    *out = m;
    return 0;
}

void *kh_rbac__build_shared(kh_arena *arena, const kh_objset *set)
{
    kh_rbac *m;
    return kh_rbac__build(&m, set, arena) == 0 ? m : NULL;
}

/* ------------------------------------------------------------- matching */

static bool has(const kh_rbac_strs *s, const char *all, const char *want)
{
    for (size_t i = 0; i < s->n; i++)
        if ((all && strcmp(s->v[i], all) == 0) || strcmp(s->v[i], want) == 0)
            return true;
    return false;
}

bool kh_rbac__verb_matches(const kh_rbac_rule *r, const char *verb)
{
    return has(&r->verbs, "*", str_or_empty(verb));
}

bool kh_rbac__api_group_matches(const kh_rbac_rule *r, const char *group)
{
    return has(&r->api_groups, "*", str_or_empty(group));
}

bool kh_rbac__resource_matches(const kh_rbac_rule *r, const char *combined,
                               const char *subresource)
{
    size_t sublen = subresource ? strlen(subresource) : 0;
    combined = str_or_empty(combined);
    for (size_t i = 0; i < r->resources.n; i++) {
        const char *rr = r->resources.v[i];
        if (strcmp(rr, "*") == 0 || strcmp(rr, combined) == 0)
            return true;
        if (sublen == 0)
            continue;
        /* "*<slash>sub": length, prefix and suffix exactly as upstream. */
        if (strlen(rr) == sublen + 2 && rr[0] == '*' && rr[1] == '/' &&
            memcmp(rr + 2, subresource, sublen) == 0)
            return true;
    }
    return false;
}

bool kh_rbac__resource_name_matches(const kh_rbac_rule *r, const char *name)
{
    if (r->resource_names.n == 0)
        return true;
    return has(&r->resource_names, NULL, str_or_empty(name));
}

bool kh_rbac__non_resource_url_matches(const kh_rbac_rule *r, const char *path)
{
    path = str_or_empty(path);
    for (size_t i = 0; i < r->non_resource_urls.n; i++) {
        const char *u = r->non_resource_urls.v[i];
        if (strcmp(u, "*") == 0 || strcmp(u, path) == 0)
            return true;
        size_t len = strlen(u);
        if (len > 0 && u[len - 1] == '*') {
            /* strings.TrimRight(ruleURL, "*"): every trailing '*' goes. */
            while (len > 0 && u[len - 1] == '*')
                len--;
            if (strncmp(path, u, len) == 0)
                return true;
        }
    }
    return false;
}

/* A request with its "resource/subresource" joined once, for the many
 * rules one query matches. */
typedef struct prepared {
    const kh_rbac_attrs *a;
    const char *combined;
    char small[256];
    char *heap;
} prepared;

static bool prepare(prepared *p, const kh_rbac_attrs *a)
{
    p->a = a;
    p->heap = NULL;
    p->combined = str_or_empty(a->resource);
    const char *sub = str_or_empty(a->subresource);
    if (a->resource_request && *sub) {
        size_t need = strlen(p->combined) + strlen(sub) + 2;
        char *buf = need <= sizeof p->small ? p->small : (p->heap = malloc(need));
        if (!buf)
            return false;
        snprintf(buf, need, "%s/%s", p->combined, sub);
        p->combined = buf;
    }
    return true;
}

static bool allows(const kh_rbac_rule *rule, const prepared *p)
{
    const kh_rbac_attrs *a = p->a;
    if (!kh_rbac__verb_matches(rule, a->verb))
        return false;
    if (!a->resource_request)
        return kh_rbac__non_resource_url_matches(rule, a->path);
    return kh_rbac__api_group_matches(rule, a->api_group) &&
           kh_rbac__resource_matches(rule, p->combined, a->subresource) &&
           kh_rbac__resource_name_matches(rule, a->name);
}

bool kh_rbac__rule_allows(const kh_rbac_rule *rule, const kh_rbac_attrs *a)
{
    prepared p;
    if (!prepare(&p, a))
        return false;
    bool ok = allows(rule, &p);
    free(p.heap);
    return ok;
}

/* ------------------------------------------------------------- subjects */

static bool in_groups(const kh_rbac_attrs *a, const char *g)
{
    for (size_t i = 0; i < a->ngroups; i++)
        if (a->groups[i] && strcmp(a->groups[i], g) == 0)
            return true;
    return false;
}

bool kh_rbac__subject_applies(const kh_rbac_subject *s, const kh_rbac_attrs *a,
                              const char *ns)
{
    const char *user = str_or_empty(a->user);
    switch (s->kind) {
    case KH_RBAC_SUBJECT_USER:
        return strcmp(user, s->name) == 0;
    case KH_RBAC_SUBJECT_GROUP:
        return in_groups(a, s->name);
    case KH_RBAC_SUBJECT_SERVICE_ACCOUNT: {
        /* An unqualified account is the visited namespace's: a
         * RoleBinding's own, none for a ClusterRoleBinding. */
        const char *sans = *s->namespace_ ? s->namespace_ : str_or_empty(ns);
        if (!*sans)
            return false;
        size_t pl = strlen(SA_PREFIX), nl = strlen(sans);
        return strncmp(user, SA_PREFIX, pl) == 0 && strncmp(user + pl, sans, nl) == 0 &&
               user[pl + nl] == ':' && strcmp(user + pl + nl + 1, s->name) == 0;
    }
    default:
        return false;
    }
}

static const kh_rbac_subject *first_applying(const kh_rbac_binding *b,
                                             const kh_rbac_attrs *a, const char *ns)
{
    for (size_t i = 0; i < b->nsubjects; i++)
        if (kh_rbac__subject_applies(&b->subjects[i], a, ns))
            return &b->subjects[i];
    return NULL;
}

/* ------------------------------------------------------------- queries */

static int visit_bindings(const kh_rbac_binding *const *bs, size_t n, const kh_rbac_attrs *a,
                          const char *ns, kh_rbac_grant_fn fn, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        const kh_rbac_binding *b = bs[i];
        const kh_rbac_subject *s = first_applying(b, a, ns);
        if (!s)
            continue;
        kh_rbac_grant g = {b, s, b->role, NULL};
        int rc;
        if (!b->role) {
            if ((rc = fn(&g, ud)))
                return rc;
            continue;
        }
        for (size_t r = 0; r < b->role->nrules; r++) {
            g.rule = b->role->rules[r];
            if ((rc = fn(&g, ud)))
                return rc;
        }
    }
    return 0;
}

int kh_rbac__visit(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_fn fn, void *ud)
{
    const kh_rbac_binding *const *bs;
    size_t n = kh_rbac__bindings_in(m, "", &bs);
    int rc = visit_bindings(bs, n, a, "", fn, ud);
    const char *ns = str_or_empty(a->namespace_);
    if (rc || !*ns)
        return rc;
    n = kh_rbac__bindings_in(m, ns, &bs);
    return visit_bindings(bs, n, a, ns, fn, ud);
}

typedef struct auth_state {
    const prepared *p;
    kh_rbac_grant *why;
} auth_state;

static int authorize_visit(const kh_rbac_grant *g, void *ud)
{
    auth_state *st = ud;
    if (g->rule && allows(g->rule, st->p)) {
        if (st->why)
            *st->why = *g;
        return 1;
    }
    return 0;
}

bool kh_rbac__authorize(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant *why)
{
    prepared p;
    if (why)
        memset(why, 0, sizeof *why);
    if (!prepare(&p, a))
        return false;
    auth_state st = {&p, why};
    bool ok = kh_rbac__visit(m, a, authorize_visit, &st) == 1;
    free(p.heap);
    return ok;
}

static int who_can_in(const kh_rbac_binding *const *bs, size_t n, const prepared *p,
                      kh_rbac_grant_fn fn, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        const kh_rbac_binding *b = bs[i];
        if (!b->role || b->nsubjects == 0)
            continue;
        size_t first = 0, nr = b->role->nrules;
        while (first < nr && !allows(b->role->rules[first], p))
            first++;
        if (first == nr)
            continue;
        /* Subject by subject, so that one subject's grants are adjacent. */
        for (size_t s = 0; s < b->nsubjects; s++) {
            for (size_t r = first; r < nr; r++) {
                if (r > first && !allows(b->role->rules[r], p))
                    continue;
                kh_rbac_grant g = {b, &b->subjects[s], b->role, b->role->rules[r]};
                int rc = fn(&g, ud);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

int kh_rbac__who_can(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_fn fn, void *ud)
{
    prepared p;
    if (!prepare(&p, a))
        return KH_ENOMEM;
    const kh_rbac_binding *const *bs;
    size_t n = kh_rbac__bindings_in(m, "", &bs);
    int rc = who_can_in(bs, n, &p, fn, ud);
    const char *ns = str_or_empty(a->namespace_);
    if (!rc && *ns) {
        n = kh_rbac__bindings_in(m, ns, &bs);
        rc = who_can_in(bs, n, &p, fn, ud);
    }
    free(p.heap);
    return rc;
}

int kh_rbac__who_can_all(const kh_rbac *m, const kh_rbac_attrs *a, kh_rbac_grant_fn fn,
                         void *ud)
{
    prepared p;
    if (!prepare(&p, a))
        return KH_ENOMEM;
    /* Sorted bindings are ClusterRoleBindings, then each namespace's. */
    int rc = who_can_in((const kh_rbac_binding *const *)m->bindings, m->nbindings, &p, fn, ud);
    free(p.heap);
    return rc;
}

/* ------------------------------------------------------------- users */

int kh_rbac__authenticated_groups(kh_arena *arena, const char *user,
                                  const char *const *groups, size_t ngroups,
                                  const char *const **out, size_t *nout)
{
    user = str_or_empty(user);
    const char **v = kh_arena_alloc(arena, (ngroups + 4) * sizeof *v);
    if (!v)
        return KH_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < ngroups; i++)
        v[n++] = groups[i];
#define ADD(g)                                                  \
    do {                                                        \
        const char *g_ = (g);                                   \
        bool seen_ = false;                                     \
        for (size_t j_ = 0; j_ < n && !seen_; j_++)             \
            seen_ = strcmp(v[j_], g_) == 0;                     \
        if (!seen_)                                             \
            v[n++] = g_;                                        \
    } while (0)
    size_t pl = strlen(SA_PREFIX);
    if (strncmp(user, SA_PREFIX, pl) == 0) {
        const char *colon = strchr(user + pl, ':');
        if (colon && colon > user + pl && colon[1] && !strchr(colon + 1, ':')) {
            char *ns = kh_arena_strndup(arena, user + pl, (size_t)(colon - (user + pl)));
            char *g = ns ? kh_arena_printf(arena, "system:serviceaccounts:%s", ns) : NULL;
            if (!g)
                return KH_ENOMEM;
            ADD("system:serviceaccounts");
            ADD(g);
        }
    }
    if (strcmp(user, "system:anonymous") == 0) {
        ADD("system:unauthenticated");
    } else {
        bool marked = false;
        for (size_t i = 0; i < n && !marked; i++)
            marked = strcmp(v[i], "system:authenticated") == 0 ||
                     strcmp(v[i], "system:unauthenticated") == 0;
        if (!marked)
            v[n++] = "system:authenticated";
    }
#undef ADD
    *out = v;
    *nout = n;
    return 0;
}

bool kh_rbac__is_privileged(const kh_rbac_attrs *a)
{
    return in_groups(a, "system:masters");
}

/* ------------------------------------------------------------- reasons */

char *kh_rbac__grant_source(kh_arena *arena, const kh_rbac_grant *g)
{
    const kh_rbac_binding *b = g->binding;
    const kh_rbac_subject *s = g->subject;
    bool cluster = !*b->namespace_;
    char *bname = NULL;
    if (cluster) {
        bname = go_quote(arena, b->name);
    } else {
        char *t = kh_arena_printf(arena, "%s/%s", b->name, b->namespace_);
        bname = t ? go_quote(arena, t) : NULL;
    }
    char *rname = go_quote(arena, b->role_name);
    char *sname;
    if (s->kind == KH_RBAC_SUBJECT_SERVICE_ACCOUNT) {
        const char *ns = *s->namespace_ ? s->namespace_ : b->namespace_;
        char *t = kh_arena_printf(arena, "%s/%s", s->name, ns);
        sname = t ? go_quote(arena, t) : NULL;
    } else {
        sname = go_quote(arena, s->name);
    }
    if (!bname || !rname || !sname)
        return NULL;
    return kh_arena_printf(arena, "%s %s of %s %s to %s %s", b->kind, bname, b->role_kind,
                           rname, s->kind_text, sname);
}

typedef struct deny_state {
    const prepared *p;
    kh_rbac_grant why;
    bool allowed;
    const char **errs;
    size_t nerrs, cap;
    kh_arena *arena;
    bool nomem;
} deny_state;

static int decide_visit(const kh_rbac_grant *g, void *ud)
{
    deny_state *st = ud;
    if (g->rule) {
        if (allows(g->rule, st->p)) {
            st->why = *g;
            st->allowed = true;
            return 1;
        }
        return 0;
    }
    for (size_t i = 0; i < st->nerrs; i++)
        if (strcmp(st->errs[i], g->binding->error) == 0)
            return 0; /* the aggregate prints each message once */
    if (st->nerrs == st->cap) {
        size_t nc = st->cap ? 2 * st->cap : 8;
        const char **bigger = kh_arena_alloc(st->arena, nc * sizeof *bigger);
        if (!bigger) {
            st->nomem = true;
            return 1;
        }
        if (st->nerrs)
            memcpy(bigger, st->errs, st->nerrs * sizeof *bigger);
        st->errs = bigger;
        st->cap = nc;
    }
    st->errs[st->nerrs++] = g->binding->error;
    return 0;
}

int kh_rbac__decide(const kh_rbac *m, const kh_rbac_attrs *a, kh_arena *arena,
                    kh_rbac_decision *out)
{
    memset(out, 0, sizeof *out);
    out->reason = "";
    if (kh_rbac__is_privileged(a)) {
        out->allowed = out->privileged = true;
        return 0;
    }
    prepared pr;
    if (!prepare(&pr, a))
        return KH_ENOMEM;
    deny_state st = {.p = &pr, .arena = arena};
    kh_rbac__visit(m, a, decide_visit, &st);
    free(pr.heap);
    if (st.nomem)
        return KH_ENOMEM;
    if (st.allowed) {
        char *src = kh_rbac__grant_source(arena, &st.why);
        if (!src || !(out->reason = kh_arena_printf(arena, "RBAC: allowed by %s", src)))
            return KH_ENOMEM;
        out->allowed = true;
        out->grant = st.why;
        return 0;
    }
    if (st.nerrs == 0)
        return 0;
    size_t len = 16;
    for (size_t i = 0; i < st.nerrs; i++)
        len += strlen(st.errs[i]) + 2;
    char *r = kh_arena_alloc(arena, len);
    if (!r)
        return KH_ENOMEM;
    char *p = r + sprintf(r, "RBAC: %s", st.nerrs > 1 ? "[" : "");
    for (size_t i = 0; i < st.nerrs; i++)
        p += sprintf(p, "%s%s", i ? ", " : "", st.errs[i]);
    if (st.nerrs > 1)
        strcpy(p, "]");
    out->reason = r;
    return 0;
}
