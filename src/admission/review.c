/*
 * review.c -- kh_admission_review: one AdmissionReview request in, the
 * AdmissionReview response out, as the API server's Pod Security admission
 * (k8s.io/pod-security-admission/admission/admission.go) would answer it.
 *
 * The body is decoded once with the manifest loader and checked for the
 * fields a response needs (uid, kind, resource, operation). Which requests
 * are judged follows upstream Validate: pods on any subresource but the
 * ignored ones, an UPDATE only when isSignificantPodUpdate says so, other
 * resources without a subresource (their pod templates: warnings and audit
 * annotations unless the configuration enforces them). request.object is
 * then judged by kh_evaluate__node; the Pod Security findings are worded by
 * psa.c and other rules' findings follow their per-rule mode. Everything
 * is allocated in one arena per call and the configuration is only read,
 * so any number of threads may review at once.
 */
#include <stdlib.h>
#include <string.h>

#include "admission/admission.h"
#include "core/array.h"
#include "doc/node.h"
#include "rules/rules.h"
#include "scan/config.h"
#include "scan/scanner.h"

#define LABEL "<request>"

/* ------------------------------------------------------------ the request */

typedef struct request {
    const char *api_version, *uid, *kind, *group, *version, *resource, *subresource;
    const char *operation, *namespace_, *name, *username;
    int dry_run;
    const kh_node *object, *old_object;
} request;

static int bad(kh_error *err, const kh_node *at, const char *fmt, const char *a, const char *b)
{
    return kh_error_set(err, KH_EINVALID, LABEL, at ? at->line : 0, at ? at->col : 0, fmt, a,
                        b);
}

/* A string field: required ones must be there and non-empty. */
static int string_field(const kh_node *map, const char *key, const char *where, int required,
                        const char **out, kh_error *err)
{
    const kh_node *v = kh_node_get(map, key);
    *out = "";
    if (kh_node_is_null(v)) {
        if (required)
            return bad(err, map, "%s.%s is missing", where, key);
        return KH_OK;
    }
    if (v->type != KH_NODE_STRING || (required && !*v->u.text))
        return bad(err, v, "%s.%s must be a non-empty string", where, key);
    *out = v->u.text;
    return KH_OK;
}

static const kh_node *map_field(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    return kh_node_is_null(v) ? NULL : v;
}

static int parse_request(request *rq, const kh_node *root, kh_error *err)
{
    memset(rq, 0, sizeof(*rq));
    if (!kh_node_is_map(root))
        return bad(err, root, "an AdmissionReview must be a JSON object%s%s", "", "");
    const char *kind = NULL;
    int rc = string_field(root, "apiVersion", "AdmissionReview", 1, &rq->api_version, err);
    if (!rc)
        rc = string_field(root, "kind", "AdmissionReview", 1, &kind, err);
    if (rc)
        return rc;
    if (strcmp(kind, "AdmissionReview") != 0)
        return bad(err, kh_node_get(root, "kind"),
                   "unexpected kind '%s' (an AdmissionReview is expected)%s", kind, "");
    if (strcmp(rq->api_version, "admission.k8s.io/v1") != 0 &&
        strcmp(rq->api_version, "admission.k8s.io/v1beta1") != 0)
        return bad(err, kh_node_get(root, "apiVersion"),
                   "unsupported apiVersion '%s' (use admission.k8s.io/v1 or v1beta1)%s",
                   rq->api_version, "");
    const kh_node *req = map_field(root, "request");
    if (!req)
        return bad(err, root, "the AdmissionReview has no request%s%s", "", "");
    if (!kh_node_is_map(req))
        return bad(err, req, "request must be a JSON object%s%s", "", "");
    const kh_node *k = map_field(req, "kind"), *r = map_field(req, "resource");
    if (!k || !kh_node_is_map(k))
        return bad(err, k ? k : req, "request.kind %s%s",
                   k ? "must be a JSON object" : "is missing", "");
    if (!r || !kh_node_is_map(r))
        return bad(err, r ? r : req, "request.resource %s%s",
                   r ? "must be a JSON object" : "is missing", "");
    const char *unused;
    rc = string_field(req, "uid", "request", 1, &rq->uid, err);
    if (!rc)
        rc = string_field(k, "kind", "request.kind", 1, &rq->kind, err);
    if (!rc)
        rc = string_field(k, "group", "request.kind", 0, &unused, err);
    if (!rc)
        rc = string_field(r, "group", "request.resource", 0, &rq->group, err);
    if (!rc)
        rc = string_field(r, "version", "request.resource", 0, &rq->version, err);
    if (!rc)
        rc = string_field(r, "resource", "request.resource", 1, &rq->resource, err);
    if (!rc)
        rc = string_field(req, "subResource", "request", 0, &rq->subresource, err);
    if (!rc)
        rc = string_field(req, "operation", "request", 1, &rq->operation, err);
    if (!rc)
        rc = string_field(req, "namespace", "request", 0, &rq->namespace_, err);
    if (!rc)
        rc = string_field(req, "name", "request", 0, &rq->name, err);
    if (rc)
        return rc;
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
    size_t i = 0;
    while (i < 4 && strcmp(ops[i], rq->operation) != 0)
        i++;
    if (i == 4)
        return bad(err, kh_node_get(req, "operation"),
                   "unknown operation '%s' (use CREATE, UPDATE, DELETE or CONNECT)%s",
                   rq->operation, "");
    const kh_node *user = map_field(req, "userInfo");
    if (user && !kh_node_is_map(user))
        return bad(err, user, "request.userInfo must be a JSON object%s%s", "", "");
    if (user && (rc = string_field(user, "username", "request.userInfo", 0, &rq->username, err)))
        return rc;
    const kh_node *dry = map_field(req, "dryRun");
    if (dry && dry->type != KH_NODE_BOOL)
        return bad(err, dry, "request.dryRun must be true or false%s%s", "", "");
    rq->dry_run = kh_node_is_true(dry);
    rq->object = map_field(req, "object");
    rq->old_object = map_field(req, "oldObject");
    if (rq->object && !kh_node_is_map(rq->object))
        return bad(err, rq->object, "request.object must be a JSON object%s%s", "", "");
    if (rq->old_object && !kh_node_is_map(rq->old_object))
        return bad(err, rq->old_object, "request.oldObject must be a JSON object%s%s", "", "");
    if ((strcmp(rq->operation, "CREATE") == 0 || strcmp(rq->operation, "UPDATE") == 0) &&
        !rq->object)
        return bad(err, req, "request.object is missing for a %s%s", rq->operation, "");
    return KH_OK;
}

/* ----------------------------------------------------- what PSA ignores */

/* Pod subresources upstream never judges (ignoredPodSubresources); any
 * other one (ephemeralcontainers, resize, one added later) is judged, so a
 * skewed webhook fails safe. */
static int ignored_pod_subresource(const char *sub)
{
    static const char *const ignored[] = {"exec", "attach", "binding", "eviction",
                                          "log",  "portforward", "proxy", "status"};
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (strcmp(sub, ignored[i]) == 0)
            return 1;
    return 0;
}

static const char *str_or_empty(const kh_node *n)
{
    const char *s = kh_node_str(n);
    return s ? s : "";
}

static size_t seq_len(const kh_node *n)
{
    return kh_node_is_seq(n) ? n->len : 0;
}

static int image_changed(const kh_node *c, const kh_node *old)
{
    return strcmp(str_or_empty(kh_node_get(c, "image")), str_or_empty(kh_node_get(old, "image")));
}

/* upstream isSignificantPodUpdate: container counts, images, and ephemeral
 * containers added or changed (matched by name). Nothing else a pod update
 * may change is read by a Pod Security check. */
static int significant_pod_update(const kh_node *pod, const kh_node *old)
{
    const kh_node *spec = kh_node_get(pod, "spec"), *ospec = kh_node_get(old, "spec");
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        const kh_node *a = kh_node_get(spec, lists[l]), *b = kh_node_get(ospec, lists[l]);
        if (seq_len(a) != seq_len(b))
            return 1;
        for (size_t i = 0; i < seq_len(a); i++)
            if (image_changed(kh_node_at(a, i), kh_node_at(b, i)))
                return 1;
    }
    const kh_node *eph = kh_node_get(spec, "ephemeralContainers");
    const kh_node *oeph = kh_node_get(ospec, "ephemeralContainers");
    for (size_t i = 0; i < seq_len(eph); i++) {
        const kh_node *c = kh_node_at(eph, i), *match = NULL;
        const char *name = str_or_empty(kh_node_get(c, "name"));
        for (size_t k = 0; k < seq_len(oeph) && !match; k++)
            if (strcmp(name, str_or_empty(kh_node_get(kh_node_at(oeph, k), "name"))) == 0)
                match = kh_node_at(oeph, k);
        if (!match || image_changed(c, match))
            return 1;
    }
    return 0;
}

/* The pod spec's runtimeClassName: the Pod's own, or a template's. */
static const char *runtime_class(const kh_node *obj)
{
    static const char *const paths[] = {
        "spec.runtimeClassName", "spec.template.spec.runtimeClassName",
        "spec.jobTemplate.spec.template.spec.runtimeClassName", "template.spec.runtimeClassName"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const char *s = kh_node_str(kh_node_path(obj, paths[i]));
        if (s && *s)
            return s;
    }
    return NULL;
}

static int listed(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && *s && i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* -------------------------------------------------------------- findings */

typedef struct hit {
    const kh_rule_def *rule;
    const char *rule_id;
    const char *message;
} hit;

typedef struct review {
    kh_arena arena;
    const kh_config *cfg;
    kh_finding_cb cb;
    void *ud;
    hit *hits;
    size_t nhits;
    int oom;
} review;

static int collect(const kh_finding *f, void *ud)
{
    review *rv = ud;
    if (!f->is_error) {
        hit *h = kh_array__push(&rv->arena, &rv->hits, &rv->nhits, sizeof(*h));
        const kh_rule_def *def = kh_rules__find(f->rule_id);
        if (!h || !def || !(h->message = kh_arena_strdup(&rv->arena, f->message))) {
            rv->oom = 1;
        } else {
            h->rule = def;
            h->rule_id = def->info.id;
        }
    }
    return rv->cb ? rv->cb(f, rv->ud) : 0;
}

/* request.object with kind and apiVersion from request.kind when it lacks
 * them (the API server always sends them; a test harness may not). */
static const kh_node *typed_object(kh_arena *a, const kh_node *obj, const kh_node *req_kind)
{
    const char *keys[] = {"kind", "apiVersion"};
    const char *group = kh_node_str(kh_node_get(req_kind, "group"));
    const char *version = kh_node_str(kh_node_get(req_kind, "version"));
    const char *values[2] = {
        kh_node_str(kh_node_get(req_kind, "kind")),
        group && *group ? kh_arena_printf(a, "%s/%s", group, version ? version : "")
                        : version};
    size_t missing = 0;
    for (size_t i = 0; i < 2; i++)
        missing += !kh_node_get(obj, keys[i]) && values[i];
    if (!missing)
        return obj;
    kh_node *copy = kh_arena_alloc(a, sizeof(*copy));
    kh_pair *pairs = kh_arena_calloc(a, obj->len + missing, sizeof(*pairs));
    if (!copy || !pairs)
        return NULL;
    *copy = *obj;
    size_t n = 0;
    for (size_t i = 0; i < 2; i++) {
        if (kh_node_get(obj, keys[i]) || !values[i])
            continue;
        kh_node *k = kh_arena_calloc(a, 2, sizeof(*k));
        if (!k)
            return NULL;
        k[0] = (kh_node){.type = KH_NODE_STRING, .line = obj->line, .col = obj->col,
                         .len = (uint32_t)strlen(keys[i]), .u.text = keys[i]};
        k[1] = (kh_node){.type = KH_NODE_STRING, .quoted = 1, .line = obj->line,
                         .col = obj->col, .len = (uint32_t)strlen(values[i]),
                         .u.text = values[i]};
        pairs[n++] = (kh_pair){&k[0], &k[1]};
    }
    memcpy(pairs + n, obj->u.pairs, obj->len * sizeof(*pairs));
    copy->len = obj->len + (uint32_t)n;
    copy->u.pairs = pairs;
    return copy;
}

/* ------------------------------------------------------------- response */

typedef struct decision {
    int deny;
    const char *message;          /* status message when denied */
    const char **warnings;
    size_t nwarnings;
    const char **ann_keys, **ann_values;
    size_t nann, nann_values;
} decision;

static int add_warning(kh_arena *a, decision *d, const char *w)
{
    const char **slot = kh_array__push(a, &d->warnings, &d->nwarnings, sizeof(char *));
    return slot && w ? (*slot = w, 0) : -1;
}

static int add_annotation(kh_arena *a, decision *d, const char *k, const char *v)
{
    const char **ks = kh_array__push(a, &d->ann_keys, &d->nann, sizeof(char *));
    const char **vs = kh_array__push(a, &d->ann_values, &d->nann_values, sizeof(char *));
    return ks && vs && v ? (*ks = k, *vs = v, 0) : -1;
}

static int write_response(const request *rq, const decision *d, char **out, size_t *outlen)
{
    kh_jbuf b = {0};
    kh_jbuf__cstr(&b, "{\"apiVersion\":");
    kh_jbuf__json(&b, rq->api_version);
    kh_jbuf__cstr(&b, ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    kh_jbuf__json(&b, rq->uid);
    kh_jbuf__cstr(&b, d->deny ? ",\"allowed\":false" : ",\"allowed\":true");
    if (d->deny) {
        /* apierrors.NewForbidden(resource, name, err).ErrStatus */
        kh_jbuf__cstr(&b, ",\"status\":{\"metadata\":{},\"status\":\"Failure\",\"message\":");
        kh_jbuf__json(&b, d->message);
        kh_jbuf__cstr(&b, ",\"reason\":\"Forbidden\",\"details\":{");
        if (*rq->name) {
            kh_jbuf__cstr(&b, "\"name\":");
            kh_jbuf__json(&b, rq->name);
            kh_jbuf__cstr(&b, ",");
        }
        if (*rq->group) {
            kh_jbuf__cstr(&b, "\"group\":");
            kh_jbuf__json(&b, rq->group);
            kh_jbuf__cstr(&b, ",");
        }
        kh_jbuf__cstr(&b, "\"kind\":");
        kh_jbuf__json(&b, rq->resource);
        kh_jbuf__cstr(&b, "},\"code\":403}");
    }
    if (d->nwarnings) {
        kh_jbuf__cstr(&b, ",\"warnings\":[");
        for (size_t i = 0; i < d->nwarnings; i++) {
            if (i)
                kh_jbuf__cstr(&b, ",");
            kh_jbuf__json(&b, d->warnings[i]);
        }
        kh_jbuf__cstr(&b, "]");
    }
    if (d->nann) {
        kh_jbuf__cstr(&b, ",\"auditAnnotations\":{");
        for (size_t i = 0; i < d->nann; i++) {
            if (i)
                kh_jbuf__cstr(&b, ",");
            kh_jbuf__json(&b, d->ann_keys[i]);
            kh_jbuf__cstr(&b, ":");
            kh_jbuf__json(&b, d->ann_values[i]);
        }
        kh_jbuf__cstr(&b, "}");
    }
    kh_jbuf__cstr(&b, "}}\n");
    if (b.oom) {
        free(b.p);
        return KH_ENOMEM;
    }
    *out = b.p;
    if (outlen)
        *outlen = b.len;
    return KH_OK;
}

/* ------------------------------------------------------------- judging */

/* The more lenient of two modes (enforce < warn < audit): a route in warn
 * or audit mode never denies, whatever a rule's own mode. */
static kh_mode lenient(kh_mode a, kh_mode b)
{
    return a > b ? a : b;
}

static kh_mode rule_mode(const kh_config *cfg, const kh_rule_def *def)
{
    size_t n;
    size_t i = (size_t)(def - kh_rules__table(&n));
    int m = cfg->admission.rule_mode ? cfg->admission.rule_mode[i] : 0;
    if (!m)
        m = cfg->admission.default_rule_mode;
    return m ? (kh_mode)(m - 1) : KH_MODE_AUDIT;
}

/* "<resource>[.<group>] \"name\" is forbidden: " as apierrors.NewForbidden. */
static const char *forbidden(kh_arena *a, const request *rq, const char *why)
{
    const char *res = *rq->group ? kh_arena_printf(a, "%s.%s", rq->resource, rq->group)
                                 : rq->resource;
    if (!res)
        return NULL;
    return *rq->name ? kh_arena_printf(a, "%s \"%s\" is forbidden: %s", res, rq->name, why)
                     : kh_arena_printf(a, "%s is forbidden: %s", res, why);
}

typedef struct policy {
    kh_pss_level level;
    const char *version;
    kh_mode mode;
} policy;

/* Judge request.object and fill @p d. @p is_pod: upstream ValidatePod
 * (enforce applies); else a pod template (ValidatePodController). */
static int judge(review *rv, const request *rq, const kh_node *req_kind, const policy *pol,
                 int is_pod, kh_admission_result *res, decision *d, kh_error *err)
{
    kh_arena *a = &rv->arena;
    const kh_config *cfg = rv->cfg;
    const char *lv = kh_arena_printf(a, "%s:%s", kh_admission__level_name(pol->level),
                                     pol->version);
    if (!lv)
        return KH_ENOMEM;
    snprintf(res->policy, sizeof(res->policy), "%s", lv);
    const kh_node *obj = typed_object(a, rq->object, req_kind);
    if (!obj)
        return KH_ENOMEM;
    kh_error e = {0};
    kh_verdict v;
    int rc = kh_evaluate__node(cfg, pol->level, pol->version, obj, LABEL, collect, rv, &v, &e);
    if (rc == KH_ENOMEM || rv->oom)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (rc) {
        if (err) {
            *err = e;
            err->code = KH_EINVALID;
        }
        return KH_EINVALID;
    }
    res->evaluated = 1;
    /* How Pod Security violations are handled: upstream enforces only on
     * pods; a template gets warnings and audit annotations (audit only
     * under an audit route) unless the configuration enforces templates. */
    int enforce_pss = is_pod || cfg->admission.templates_enforce;
    kh_mode pss_mode = pol->mode;
    int also_audit = 0;
    if (!enforce_pss && pss_mode == KH_MODE_ENFORCE) {
        pss_mode = KH_MODE_WARN;
        also_audit = 1;
    } else if (!enforce_pss && pss_mode == KH_MODE_WARN) {
        also_audit = 1;
    }
    res->mode = pss_mode;
    kh_psa_hit *pss = NULL;
    size_t npss = 0;
    kh_jbuf deny_rules = {0}, audit_rules = {0};
    const char **rule_warnings = NULL;
    size_t nrule_warnings = 0;
    for (size_t i = 0; i < rv->nhits; i++) {
        const hit *h = &rv->hits[i];
        if (h->rule->pss_level != KH_PSS_PRIVILEGED) {
            kh_psa_hit *p = kh_array__push(a, &pss, &npss, sizeof(*p));
            if (!p)
                return KH_ENOMEM;
            *p = (kh_psa_hit){h->rule_id, h->message};
            continue;
        }
        res->rule_violations++;
        kh_mode m = lenient(rule_mode(cfg, h->rule), pol->mode);
        kh_jbuf *to = m == KH_MODE_ENFORCE ? &deny_rules : m == KH_MODE_AUDIT ? &audit_rules
                                                                              : NULL;
        if (to) {
            kh_jbuf__cstr(to, to->len ? "; " : "");
            kh_jbuf__cstr(to, h->rule_id);
            kh_jbuf__cstr(to, ": ");
            kh_jbuf__cstr(to, h->message);
        } else {
            const char **w = kh_array__push(a, &rule_warnings, &nrule_warnings, sizeof(*w));
            if (!w || !(*w = kh_arena_printf(a, "kubeharden %s: %s", h->rule_id, h->message)))
                return KH_ENOMEM;
        }
    }
    res->violations = npss;
    const char *detail = npss ? kh_psa__detail(a, pss, npss) : NULL;
    rc = npss && !detail ? KH_ENOMEM : KH_OK;
    const char *why = NULL;
    if (!rc && npss && pss_mode == KH_MODE_ENFORCE)
        why = kh_arena_printf(a, "violates PodSecurity \"%s\": %s", lv, detail);
    if (!rc && deny_rules.len) {
        why = why ? kh_arena_printf(a, "%s; violates kubeharden rules: %s", why, deny_rules.p)
                  : kh_arena_printf(a, "violates kubeharden rules: %s", deny_rules.p);
        res->denied_by_rules = 1;
    }
    if (!rc && why) {
        d->deny = 1;
        if (!(d->message = forbidden(a, rq, why)))
            rc = KH_ENOMEM;
    }
    if (!rc && is_pod && pss_mode == KH_MODE_ENFORCE)
        rc = add_annotation(a, d, "enforce-policy", lv);
    const char *would = npss ? kh_arena_printf(a, "would violate PodSecurity \"%s\": %s", lv,
                                               detail ? detail : "")
                             : NULL;
    if (!rc && npss && (pss_mode == KH_MODE_AUDIT || also_audit))
        rc = add_annotation(a, d, "audit-violations", would);
    if (!rc && audit_rules.len)
        rc = add_annotation(a, d, "kubeharden-violations",
                            kh_arena_strdup(a, audit_rules.p));
    /* Upstream adds no warnings to a request it denies. */
    if (!rc && !d->deny && npss && pss_mode == KH_MODE_WARN)
        rc = add_warning(a, d, would);
    for (size_t i = 0; !rc && !d->deny && i < nrule_warnings; i++)
        rc = add_warning(a, d, rule_warnings[i]);
    if (deny_rules.oom || audit_rules.oom)
        rc = KH_ENOMEM;
    free(deny_rules.p);
    free(audit_rules.p);
    return rc ? kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory") : KH_OK;
}

/* The route's policy, or the namespace's from admission.namespaces. */
static policy effective_policy(const kh_config *cfg, const kh_route *route, const char *ns)
{
    policy p = {route->level, route->version, route->mode};
    for (size_t i = 0; i < cfg->admission.nnamespaces; i++) {
        const kh_admission_ns *e = &cfg->admission.namespaces[i];
        if (strcmp(e->name, ns) != 0)
            continue;
        if (e->level)
            p.level = (kh_pss_level)(e->level - 1);
        if (e->version)
            p.version = e->version;
        if (e->mode)
            p.mode = (kh_mode)(e->mode - 1);
    }
    return p;
}

static int exempt(kh_arena *a, decision *d, kh_admission_result *res, const char *why)
{
    snprintf(res->exempt, sizeof(res->exempt), "%s", why);
    return add_annotation(a, d, "exempt", why) ? KH_ENOMEM : KH_OK;
}

int kh_admission_review(const kh_config *cfg, const kh_route *route, const char *body,
                        size_t len, kh_finding_cb cb, void *ud, char **out, size_t *outlen,
                        kh_admission_result *res, kh_error *err)
{
    kh_admission_result scratch;
    kh_config *own = NULL;
    res = res ? res : &scratch;
    memset(res, 0, sizeof(*res));
    res->allowed = 1;
    res->code = 200;
    *out = NULL;
    if (outlen)
        *outlen = 0;
    static const kh_route default_route = {KH_PSS_RESTRICTED, "latest", KH_MODE_ENFORCE};
    route = route ? route : &default_route;
    if (!cfg) {
        int rc = kh_config_new(&own, err);
        if (rc)
            return rc;
        cfg = own;
    }
    review rv = {.cfg = cfg, .cb = cb, .ud = ud};
    kh_arena_init(&rv.arena, 16 * 1024);
    decision d = {0};
    request rq;
    const kh_node *root = NULL;
    int rc = KH_OK;

    size_t skip = 0;
    while (skip < len && (body[skip] == ' ' || body[skip] == '\t' || body[skip] == '\n' ||
                          body[skip] == '\r'))
        skip++;
    if (!body || skip == len || body[skip] != '{') {
        rc = kh_error_set(err, KH_EPARSE, LABEL, 1, (unsigned)(skip + 1),
                          "an AdmissionReview must be a JSON object");
        goto cleanup;
    }
    rc = kh_doc_load_json(&root, &rv.arena, body, len, LABEL, err);
    if (rc && rc != KH_ENOMEM) {
        rc = KH_EPARSE;
        if (err)
            err->code = KH_EPARSE;
    }
    if (rc || (rc = parse_request(&rq, root, err)))
        goto cleanup;
    const kh_node *req = kh_node_get(root, "request");
    snprintf(res->operation, sizeof(res->operation), "%s", rq.operation);
    snprintf(res->kind, sizeof(res->kind), "%s", rq.kind);
    snprintf(res->uid, sizeof(res->uid), "%s", rq.uid);
    res->dry_run = rq.dry_run;
    policy pol = effective_policy(cfg, route, rq.namespace_);
    res->mode = pol.mode;
    snprintf(res->policy, sizeof(res->policy), "%s:%s", kh_admission__level_name(pol.level),
             pol.version);

    int is_pod = strcmp(rq.resource, "pods") == 0 && !*rq.group;
    int judged = strcmp(rq.operation, "CREATE") == 0 || strcmp(rq.operation, "UPDATE") == 0;
    if (is_pod && ignored_pod_subresource(rq.subresource))
        judged = 0;
    if (!is_pod && *rq.subresource)
        judged = 0; /* upstream: a controller's subresources (scale, status) are allowed */
    const kh_admission_cfg *ac = &cfg->admission;
    if (judged && listed(rq.namespace_, ac->exempt_namespaces, ac->nexempt_namespaces)) {
        rc = exempt(&rv.arena, &d, res, "namespace");
        judged = 0;
    } else if (judged && listed(rq.username, ac->exempt_users, ac->nexempt_users)) {
        rc = exempt(&rv.arena, &d, res, "user");
        judged = 0;
    }
    if (!rc && judged && is_pod && strcmp(rq.operation, "UPDATE") == 0) {
        if (!rq.old_object) {
            rc = bad(err, req, "request.oldObject is missing for an UPDATE of a pod%s%s", "",
                     "");
            goto cleanup;
        }
        judged = significant_pod_update(rq.object, rq.old_object);
    }
    if (!rc && judged &&
        listed(runtime_class(rq.object), ac->exempt_runtime_classes,
               ac->nexempt_runtime_classes)) {
        rc = exempt(&rv.arena, &d, res, "runtimeClass");
        judged = 0;
    }
    if (!rc && judged)
        rc = judge(&rv, &rq, kh_node_get(req, "kind"), &pol, is_pod, res, &d, err);
    if (!rc)
        rc = write_response(&rq, &d, out, outlen);
    if (rc == KH_ENOMEM)
        kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (!rc) {
        res->allowed = !d.deny;
        res->code = d.deny ? 403 : 200;
        res->warnings = d.nwarnings;
    }

cleanup:
    if (rc && err && !err->code)
        err->code = (kh_code)rc;
    kh_arena_free(&rv.arena);
    kh_config_free(own);
    return rc;
}
