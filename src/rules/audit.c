/*
 * audit.c -- the audit-event rules of `kubeharden watch`.
 *
 * Each rule reads one decoded audit event (src/watch/event.h) and reports
 * through kh_audit__alert; bursts count events in a sliding window with
 * kh_audit__burst. Rules judge the event the API server logs once a
 * request is done (the watcher hands over only those, see watch.c), so a
 * request is judged once. The facts follow Falco's k8saudit rules (which
 * also judge only the ResponseComplete stage); the code is our own.
 */
#include <string.h>

#include "rules/rules.h"
#include "watch/event.h"

/* The first bytes differ for nearly every comparison the rules make per
 * event, so they are compared before calling strcmp. */
static inline bool is(const char *a, const char *b)
{
    return a[0] == b[0] && strcmp(a, b) == 0;
}

static bool has_group(const kh_audit_event *ev, const char *group)
{
    for (size_t i = 0; kh_node_is_seq(ev->groups) && i < ev->groups->len; i++) {
        const char *g = kh_node_str(kh_node_at(ev->groups, i));
        if (g && is(g, group))
            return true;
    }
    return false;
}

static const char *first_ip(const kh_audit_event *ev)
{
    const char *ip = kh_node_str(kh_node_at(ev->source_ips, 0));
    return ip && *ip ? ip : "unknown";
}

/* "secrets shop/db", "secrets in namespace shop" or "secrets (all namespaces)". */
static const char *object(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    const char *res = *ev->subresource
                          ? kh_arena_printf(kh_audit__arena(ctx), "%s/%s", ev->resource,
                                            ev->subresource)
                          : ev->resource;
    if (!res)
        res = ev->resource;
    if (!*ev->namespace_ && !*ev->name)
        return kh_arena_printf(kh_audit__arena(ctx), "%s (all namespaces)", res);
    if (!*ev->name)
        return kh_arena_printf(kh_audit__arena(ctx), "%s in namespace %s", res, ev->namespace_);
    return kh_arena_printf(kh_audit__arena(ctx), "%s %s%s%s", res, ev->namespace_,
                           *ev->namespace_ ? "/" : "", ev->name);
}

/* The user, and whom the request was made as when impersonating. */
static const char *who(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (*ev->impersonated_user)
        return kh_arena_printf(kh_audit__arena(ctx), "'%s' (as '%s')", ev->user,
                               ev->impersonated_user);
    return kh_arena_printf(kh_audit__arena(ctx), "'%s'", ev->user);
}

/* --------------------------------------------------------------- rules */

void kh_audit__anonymous_allowed(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    /* The authorizer's decision annotation when present, else the result. */
    bool allowed = *ev->decision ? is(ev->decision, "allow") : kh_audit__succeeded(ev);
    if ((is(ev->user, "system:anonymous") || has_group(ev, "system:unauthenticated")) &&
        allowed && kh_audit__succeeded(ev))
        kh_audit__alert(ctx, first_ip(ev), "anonymous request allowed: %s %s from %s",
                        ev->verb, ev->request_uri, first_ip(ev));
}

void kh_audit__auth_failure_burst(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (ev->code != 401)
        return;
    long n;
    /* A failed authentication names no user; the source address is what
     * the guesser cannot hide. A user named anyway (a bad password with
     * basic auth through a proxy) is counted on its own as well. */
    const char *ip = kh_arena_printf(kh_audit__arena(ctx), "address %s", first_ip(ev));
    if (ip && kh_audit__burst(ctx, ip, 10, 60, &n))
        kh_audit__alert(ctx, ip, "%ld failed authentications (401) from %s within the window",
                        n, first_ip(ev));
    if (*ev->user) {
        const char *u = kh_arena_printf(kh_audit__arena(ctx), "user %s", ev->user);
        if (u && kh_audit__burst(ctx, u, 10, 60, &n))
            kh_audit__alert(ctx, u, "%ld failed authentications (401) for user '%s' within "
                            "the window", n, ev->user);
    }
}

void kh_audit__forbidden_burst(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    long n;
    if (ev->code == 403 && kh_audit__burst(ctx, NULL, 10, 60, &n))
        kh_audit__alert(ctx, NULL, "%ld forbidden requests (403) by '%s' within the window: "
                        "permission probing (last: %s %s)", n, ev->user, ev->verb,
                        object(ctx, ev));
}

static bool reads(const char *verb)
{
    return is(verb, "get") || is(verb, "list") || is(verb, "watch");
}

void kh_audit__secret_read(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (is(ev->resource, "secrets") && !*ev->api_group && reads(ev->verb) &&
        (*ev->namespace_ || *ev->name) && !kh_audit__system_user(ev->user) &&
        kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s read %s (%s)", who(ctx, ev), object(ctx, ev), ev->verb);
}

void kh_audit__secret_enumeration(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    /* A list or watch of secrets without a namespace: every secret of the
     * cluster in one answer. */
    if (is(ev->resource, "secrets") && !*ev->api_group && !*ev->namespace_ && !*ev->name &&
        (is(ev->verb, "list") || is(ev->verb, "watch")) && !kh_audit__system_user(ev->user) &&
        kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s listed the secrets of every namespace (%s)",
                        who(ctx, ev), ev->verb);
}

void kh_audit__pod_exec(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    static const char *const subs[] = {"exec", "attach", "portforward", NULL};
    /* kubectl sends POST (create) over SPDY and GET (get) over WebSockets. */
    if (is(ev->resource, "pods") && !*ev->api_group && kh_audit__in(ev->subresource, subs) &&
        kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s ran %s into pod %s/%s", who(ctx, ev), ev->subresource,
                        ev->namespace_, ev->name);
}

void kh_audit__privileged_pod(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (!ev->request_object || !(is(ev->verb, "create") || is(ev->verb, "update")) ||
        !kh_audit__succeeded(ev))
        return;
    const char *why = kh_audit__pod_violations(ctx, ev);
    if (why)
        kh_audit__alert(ctx, NULL, "%s %sd %s with %s", who(ctx, ev), ev->verb,
                        object(ctx, ev), why);
}

void kh_audit__cluster_admin_binding(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (!(is(ev->resource, "clusterrolebindings") || is(ev->resource, "rolebindings")) ||
        !is(ev->api_group, "rbac.authorization.k8s.io") ||
        !(is(ev->verb, "create") || is(ev->verb, "update")) || !kh_audit__succeeded(ev))
        return;
    const kh_node *ref = kh_node_get(ev->request_object, "roleRef");
    const char *kind = kh_node_str(kh_node_get(ref, "kind"));
    const char *name = kh_node_str(kh_node_get(ref, "name"));
    if (kind && name && is(kind, "ClusterRole") && is(name, "cluster-admin"))
        kh_audit__alert(ctx, NULL, "%s bound cluster-admin: %s", who(ctx, ev), object(ctx, ev));
}

static bool has_star(const kh_node *seq)
{
    for (size_t i = 0; kh_node_is_seq(seq) && i < seq->len; i++) {
        const char *s = kh_node_str(kh_node_at(seq, i));
        if (s && is(s, "*"))
            return true;
    }
    return false;
}

void kh_audit__wildcard_role(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (!(is(ev->resource, "clusterroles") || is(ev->resource, "roles")) ||
        !is(ev->api_group, "rbac.authorization.k8s.io") ||
        !(is(ev->verb, "create") || is(ev->verb, "update")) || !kh_audit__succeeded(ev))
        return;
    const kh_node *rules = kh_node_get(ev->request_object, "rules");
    for (size_t i = 0; kh_node_is_seq(rules) && i < rules->len; i++) {
        const kh_node *r = kh_node_at(rules, i);
        bool verbs = has_star(kh_node_get(r, "verbs"));
        bool res = has_star(kh_node_get(r, "resources"));
        if (verbs || res) {
            kh_audit__alert(ctx, NULL, "%s %sd %s granting '*' %s (rules[%zu])", who(ctx, ev),
                            ev->verb, object(ctx, ev),
                            verbs && res ? "verbs on '*' resources" : verbs ? "verbs" : "resources",
                            i);
            return;
        }
    }
}

void kh_audit__serviceaccount_token(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    /* The kubelet asks for every pod's projected token (system:node:...);
     * a person minting one is the event. */
    if (is(ev->resource, "serviceaccounts") && is(ev->subresource, "token") &&
        is(ev->verb, "create") && !kh_audit__system_user(ev->user) &&
        !(strncmp(ev->user, "system:node:", 12) == 0) && kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s created a token for service account %s/%s",
                        who(ctx, ev), ev->namespace_, ev->name);
}

void kh_audit__admission_webhook_changed(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    static const char *const res[] = {"mutatingwebhookconfigurations",
                                      "validatingwebhookconfigurations",
                                      "validatingadmissionpolicies",
                                      "validatingadmissionpolicybindings", NULL};
    if (is(ev->api_group, "admissionregistration.k8s.io") && kh_audit__in(ev->resource, res) &&
        kh_audit__write(ev->verb) && kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s %s %s", who(ctx, ev), ev->verb, object(ctx, ev));
}

void kh_audit__kube_system_change(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (is(ev->namespace_, "kube-system") && kh_audit__write(ev->verb) &&
        !kh_audit__system_user(ev->user) && kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s %s %s", who(ctx, ev), ev->verb, object(ctx, ev));
}

void kh_audit__nodes_proxy(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (is(ev->resource, "nodes") && !*ev->api_group && is(ev->subresource, "proxy") &&
        kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s reached the kubelet of node '%s' through nodes/proxy "
                        "(%s %s)", who(ctx, ev), ev->name, ev->verb, ev->request_uri);
}

void kh_audit__impersonation(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (*ev->impersonated_user && kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "'%s' acted as '%s': %s %s", ev->user,
                        ev->impersonated_user, ev->verb, object(ctx, ev));
}

void kh_audit__events_deleted(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    if (is(ev->resource, "events") &&
        (!*ev->api_group || is(ev->api_group, "events.k8s.io")) &&
        (is(ev->verb, "delete") || is(ev->verb, "deletecollection")) &&
        !kh_audit__system_user(ev->user) && kh_audit__succeeded(ev))
        kh_audit__alert(ctx, NULL, "%s deleted %s: traces being removed", who(ctx, ev),
                        object(ctx, ev));
}

void kh_audit__sensitive_namespace(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    const kh_watch_policy *p = kh_audit__policy(ctx);
    if (!*ev->namespace_ || kh_audit__system_user(ev->user) || !kh_audit__succeeded(ev))
        return;
    for (size_t i = 0; i < p->nsensitive_namespaces; i++)
        if (is(p->sensitive_namespaces[i], ev->namespace_)) {
            kh_audit__alert(ctx, NULL, "%s %s %s in sensitive namespace '%s'", who(ctx, ev),
                            ev->verb, object(ctx, ev), ev->namespace_);
            return;
        }
}

void kh_audit__source_outside_cidrs(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    const kh_watch_policy *p = kh_audit__policy(ctx);
    if (!p->ncidrs || !kh_node_is_seq(ev->source_ips))
        return;
    /* sourceIPs[0] is the client as the API server saw it through the
     * proxies it trusts (X-Forwarded-For); any unlisted hop counts. */
    for (size_t i = 0; i < ev->source_ips->len; i++) {
        const char *ip = kh_node_str(kh_node_at(ev->source_ips, i));
        if (!ip)
            continue;
        bool inside = false;
        for (size_t k = 0; k < p->ncidrs && !inside; k++)
            inside = kh_watch__cidr_contains(&p->cidrs[k], ip);
        if (!inside) {
            const char *subject = kh_arena_printf(kh_audit__arena(ctx), "address %s", ip);
            kh_audit__alert(ctx, subject, "%s %s %s from %s, outside watch.allowedSourceCIDRs "
                            "(code %d)", who(ctx, ev), ev->verb, object(ctx, ev), ip, ev->code);
            return;
        }
    }
}

static bool has_extra(const kh_audit_event *ev, const char *key)
{
    return kh_node_get(kh_node_get(kh_node_get(ev->root, "user"), "extra"), key) != NULL;
}

void kh_audit__kubectl_in_pod(kh_audit_ctx *ctx, const kh_audit_event *ev)
{
    /* kubectl's user agent with a pod's credentials: a service account
     * token (or one bound to a pod: user.extra ...pod-name, from 1.30) is
     * what a shell inside a pod has. */
    if (strncmp(ev->user_agent, "kubectl/", 8) != 0)
        return;
    bool sa = strncmp(ev->user, "system:serviceaccount:", 22) == 0;
    if (!sa && !has_extra(ev, "authentication.kubernetes.io/pod-name"))
        return;
    kh_audit__alert(ctx, NULL, "kubectl used with the credentials of %s: %s %s (%s)",
                    who(ctx, ev), ev->verb, object(ctx, ev), ev->user_agent);
}
