/*
 * config.c -- the `watch:` section of the configuration file.
 *
 * The configuration loader (src/scan/config.c) hands every key of `watch:`
 * to kh_watch__config_pair, which fills a kh_watch_policy in the
 * configuration's arena: dedup window and burst, the sensitive namespaces,
 * exceptions for every rule, per-rule thresholds, windows, severities,
 * exceptions and response actions, and watch.response (dry run, the
 * allow-lists, the rate limit). Every mistake names file:line:col and the
 * bad value.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "watch/event.h"

typedef struct cfg_ctx {
    kh_arena *arena;
    const char *file;
    kh_error *err;
} cfg_ctx;

static int fail(cfg_ctx *c, const kh_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(cfg_ctx *c, const kh_node *at, const char *fmt, ...)
{
    char msg[sizeof(c->err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kh_error_set(c->err, KH_ECONFIG, c->file, at ? at->line : 0, at ? at->col : 0, "%s",
                        msg);
}

static const char *text(const kh_node *n)
{
    return n && kh_node_is_scalar(n) && n->type != KH_NODE_NULL ? kh_node_str(n) : NULL;
}

static int positive(cfg_ctx *c, const kh_node *v, const char *path, long *out)
{
    int64_t x;
    if (!kh_node_int(v, &x) || x < 1 || x > 86400 * 7)
        return fail(c, v, "%s must be a whole number from 1 to 604800, not '%s'", path,
                    text(v) ? text(v) : "");
    *out = (long)x;
    return 0;
}

static int list(cfg_ctx *c, const kh_node *v, const char *path, const char ***out, size_t *n)
{
    if (!kh_node_is_seq(v))
        return fail(c, v, "%s must be a list of strings", path);
    const char **items = kh_arena_calloc(c->arena, v->len + 1, sizeof(*items));
    if (!items)
        return kh_error_set(c->err, KH_ENOMEM, c->file, 0, 0, "out of memory");
    for (size_t i = 0; i < v->len; i++) {
        const kh_node *it = kh_node_at(v, i);
        if (!text(it) || !*text(it))
            return fail(c, it, "each item of %s must be a non-empty string", path);
        items[i] = text(it);
    }
    *out = items;
    *n = v->len;
    return 0;
}

/* A mapping of some of @p keys to lists of strings (exceptions, allow-lists). */
typedef struct list_key {
    const char *key;
    const char ***out;
    size_t *n;
} list_key;

/* "a, b, c" with @p last before the last key. */
static void key_names(char *buf, size_t size, const list_key *keys, size_t n, const char *last)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                i == 0 ? "" : i + 1 == n ? last : ", ", keys[i].key);
}

static int lists(cfg_ctx *c, const kh_node *v, const char *path, const list_key *keys, size_t n)
{
    char names[160];
    if (!kh_node_is_map(v)) {
        key_names(names, sizeof(names), keys, n, " and/or ");
        return fail(c, v, "%s must be a mapping with %s", path, names);
    }
    for (size_t i = 0; i < v->len; i++) {
        const char *key = text(v->u.pairs[i].key);
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.%s", path, key ? key : "?");
        size_t k = 0;
        while (k < n && !(key && strcmp(key, keys[k].key) == 0))
            k++;
        if (k == n) {
            key_names(names, sizeof(names), keys, n, " or ");
            return fail(c, v->u.pairs[i].key, "unknown key '%s' (expected %s)", sub, names);
        }
        int rc = list(c, v->u.pairs[i].value, sub, keys[k].out, keys[k].n);
        if (rc)
            return rc;
    }
    return 0;
}

static int except(cfg_ctx *c, const kh_node *v, const char *path, kh_watch_except *x)
{
    const list_key keys[] = {{"users", &x->users, &x->nusers},
                             {"groups", &x->groups, &x->ngroups},
                             {"namespaces", &x->namespaces, &x->nnamespaces},
                             {"userAgents", &x->user_agents, &x->nuser_agents}};
    return lists(c, v, path, keys, 4);
}

/* The names of kh_watch_action, by value. */
static const char *const action_names[KH_ACTION_MAX + 1] = {
    NULL, "delete-pod", "isolate-pod", "cordon-node", "drain-node", "scale-to-zero",
    "delete-binding",
};

const char *kh_watch__action_name(kh_watch_action a)
{
    return a >= 1 && a <= KH_ACTION_MAX ? action_names[a] : "?";
}

static int actions(cfg_ctx *c, const kh_node *v, const char *path, kh_watch_rule_cfg *r)
{
    if (!kh_node_is_seq(v))
        return fail(c, v, "%s must be a list of actions", path);
    r->nactions = 0;
    for (size_t i = 0; i < v->len; i++) {
        const kh_node *it = kh_node_at(v, i);
        const char *name = text(it);
        int a = 0;
        for (int k = 1; name && k <= KH_ACTION_MAX && !a; k++)
            if (strcmp(name, action_names[k]) == 0)
                a = k;
        if (!a)
            return fail(c, it, "unknown action '%s' in %s (use delete-pod, isolate-pod, "
                        "cordon-node, drain-node, scale-to-zero or delete-binding)",
                        name ? name : "", path);
        for (size_t k = 0; k < r->nactions; k++)
            if (r->actions[k] == a)
                return fail(c, it, "action '%s' is listed twice in %s", name, path);
        if ((a == KH_ACTION_CORDON_NODE || a == KH_ACTION_DRAIN_NODE) &&
            memchr(r->actions, a == KH_ACTION_DRAIN_NODE ? KH_ACTION_CORDON_NODE
                                                         : KH_ACTION_DRAIN_NODE, r->nactions))
            return fail(c, it, "%s has both cordon-node and drain-node: drain-node cordons "
                        "first, keep one", path);
        r->actions[r->nactions++] = (unsigned char)a;
    }
    return 0;
}

static int rule(cfg_ctx *c, const kh_pair *p, kh_watch_policy *pol)
{
    const char *id = text(p->key);
    const kh_rule_def *def = id ? kh_rules__find(id) : NULL;
    if (!def || !def->check_event)
        return fail(c, p->key, "unknown audit rule '%s' in watch.rules", id ? id : "");
    if (!kh_node_is_map(p->value))
        return fail(c, p->value, "watch.rules.%s must be a mapping with threshold, window, "
                    "severity, exceptions and/or actions", id);
    kh_watch_rule_cfg *r = NULL;
    for (size_t i = 0; i < pol->nrules && !r; i++)
        if (strcmp(pol->rules[i].id, id) == 0)
            r = &pol->rules[i];
    if (!r) {
        kh_watch_rule_cfg *grown = kh_arena_calloc(c->arena, pol->nrules + 1, sizeof(*grown));
        if (!grown)
            return kh_error_set(c->err, KH_ENOMEM, c->file, 0, 0, "out of memory");
        if (pol->nrules)
            memcpy(grown, pol->rules, pol->nrules * sizeof(*grown));
        pol->rules = grown;
        r = &pol->rules[pol->nrules++];
        r->id = def->info.id;
        r->severity = -1;
    }
    const kh_node *m = p->value;
    for (size_t i = 0; i < m->len; i++) {
        const char *key = text(m->u.pairs[i].key);
        const kh_node *v = m->u.pairs[i].value;
        char path[200];
        snprintf(path, sizeof(path), "watch.rules.%s.%s", id, key ? key : "?");
        int rc = 0;
        kh_severity sev;
        if (key && strcmp(key, "threshold") == 0)
            rc = positive(c, v, path, &r->threshold);
        else if (key && strcmp(key, "window") == 0)
            rc = positive(c, v, path, &r->window_s);
        else if (key && strcmp(key, "severity") == 0) {
            if (!text(v) || kh_severity_parse(&sev, text(v)) != KH_OK)
                rc = fail(c, v, "unknown severity '%s' in %s (use info, low, medium, high or "
                          "critical)", text(v) ? text(v) : "", path);
            else
                r->severity = (int)sev;
        } else if (key && strcmp(key, "exceptions") == 0)
            rc = except(c, v, path, &r->except);
        else if (key && strcmp(key, "actions") == 0)
            rc = actions(c, v, path, r);
        else
            rc = fail(c, m->u.pairs[i].key, "unknown key '%s' (expected threshold, window, "
                      "severity, exceptions or actions)", path);
        if (rc)
            return rc;
    }
    return 0;
}

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). */
static int cidr(cfg_ctx *c, const kh_node *n, kh_watch_cidr *out)
{
    const char *t = text(n);
    char buf[64];
    if (!t || strlen(t) >= sizeof(buf))
        return fail(c, n, "bad CIDR '%s' in watch.allowedSourceCIDRs", t ? t : "");
    strcpy(buf, t);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    out->text = t;
    out->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    unsigned max = out->family == AF_INET6 ? 128 : 32;
    char *end = NULL;
    long prefix = slash ? strtol(slash + 1, &end, 10) : (long)max;
    if (inet_pton(out->family, buf, out->addr) != 1 || (slash && (!slash[1] || *end)) ||
        prefix < 0 || prefix > (long)max)
        return fail(c, n, "bad CIDR '%s' in watch.allowedSourceCIDRs (use 10.0.0.0/8 or "
                    "2001:db8::/32)", t);
    out->prefix = (unsigned)prefix;
    return 0;
}

bool kh_watch__cidr_contains(const kh_watch_cidr *c, const char *ip)
{
    unsigned char a[16];
    if (inet_pton(c->family, ip, a) != 1) {
        /* An IPv4 client seen on an IPv6 socket: ::ffff:10.1.2.3. */
        if (c->family != AF_INET || strncmp(ip, "::ffff:", 7) != 0 ||
            inet_pton(AF_INET, ip + 7, a) != 1)
            return false;
    }
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(a, c->addr, full) != 0)
        return false;
    return !rest || ((a[full] ^ c->addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

/* watch.response.allow: the namespaces, nodes and ClusterRoleBindings actions may touch. */
static int allow(cfg_ctx *c, const kh_node *v, kh_watch_response *r)
{
    const list_key keys[] = {{"namespaces", &r->namespaces, &r->nnamespaces},
                             {"nodes", &r->nodes, &r->nnodes},
                             {"clusterRoleBindings", &r->cluster_bindings,
                              &r->ncluster_bindings}};
    return lists(c, v, "watch.response.allow", keys, 3);
}

static int response(cfg_ctx *c, const kh_node *v, kh_watch_response *r)
{
    if (!kh_node_is_map(v))
        return fail(c, v, "watch.response must be a mapping with dryRun, allow and/or "
                    "rateLimit");
    for (size_t i = 0; i < v->len; i++) {
        const char *k = text(v->u.pairs[i].key);
        const kh_node *x = v->u.pairs[i].value;
        int rc = 0;
        if (k && strcmp(k, "dryRun") == 0) {
            if (!kh_node_is_true(x) && !kh_node_is_false(x))
                rc = fail(c, x, "watch.response.dryRun must be true or false, not '%s'",
                          text(x) ? text(x) : "");
            r->act = kh_node_is_false(x);
        } else if (k && strcmp(k, "allow") == 0) {
            rc = allow(c, x, r);
        } else if (k && strcmp(k, "rateLimit") == 0) {
            if (!kh_node_is_map(x))
                return fail(c, x, "watch.response.rateLimit must be a mapping with window "
                            "and/or actions");
            for (size_t j = 0; j < x->len && !rc; j++) {
                const char *rk = text(x->u.pairs[j].key);
                if (rk && strcmp(rk, "window") == 0)
                    rc = positive(c, x->u.pairs[j].value, "watch.response.rateLimit.window",
                                  &r->rate_window_s);
                else if (rk && strcmp(rk, "actions") == 0)
                    rc = positive(c, x->u.pairs[j].value, "watch.response.rateLimit.actions",
                                  &r->rate_actions);
                else
                    rc = fail(c, x->u.pairs[j].key, "unknown key 'watch.response.rateLimit.%s' "
                              "(expected window or actions)", rk ? rk : "?");
            }
        } else {
            rc = fail(c, v->u.pairs[i].key, "unknown key 'watch.response.%s' (expected dryRun, "
                      "allow or rateLimit)", k ? k : "?");
        }
        if (rc)
            return rc;
    }
    return 0;
}

int kh_watch__config_pair(kh_arena *arena, struct kh_watch_policy **polp, const kh_pair *p,
                          const char *file, kh_error *err)
{
    cfg_ctx c = {arena, file, err};
    if (!*polp) {
        if (!(*polp = kh_arena_calloc(arena, 1, sizeof(**polp))))
            return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
        (*polp)->dedup_window_s = 60;
        (*polp)->dedup_burst = 1;
    }
    kh_watch_policy *pol = *polp;
    const char *key = text(p->key);
    const kh_node *v = p->value;
    if (key && strcmp(key, "sensitiveNamespaces") == 0)
        return list(&c, v, "watch.sensitiveNamespaces", &pol->sensitive_namespaces,
                    &pol->nsensitive_namespaces);
    if (key && strcmp(key, "exceptions") == 0)
        return except(&c, v, "watch.exceptions", &pol->except);
    if (key && strcmp(key, "allowedSourceCIDRs") == 0) {
        if (!kh_node_is_seq(v))
            return fail(&c, v, "watch.allowedSourceCIDRs must be a list of CIDRs");
        pol->cidrs = kh_arena_calloc(arena, v->len + 1, sizeof(*pol->cidrs));
        if (!pol->cidrs)
            return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
        pol->ncidrs = 0;
        for (size_t i = 0; i < v->len; i++) {
            int rc = cidr(&c, kh_node_at(v, i), &pol->cidrs[pol->ncidrs]);
            if (rc)
                return rc;
            pol->ncidrs++;
        }
        return 0;
    }
    if (key && strcmp(key, "dedup") == 0) {
        if (!kh_node_is_map(v))
            return fail(&c, v, "watch.dedup must be a mapping with window and/or burst");
        for (size_t i = 0; i < v->len; i++) {
            const char *k = text(v->u.pairs[i].key);
            const kh_node *x = v->u.pairs[i].value;
            int rc;
            int64_t zero;
            if (k && strcmp(k, "window") == 0 && kh_node_int(x, &zero) && zero == 0)
                rc = (pol->dedup_window_s = 0); /* 0: no dedup */
            else if (k && strcmp(k, "window") == 0)
                rc = positive(&c, x, "watch.dedup.window", &pol->dedup_window_s);
            else if (k && strcmp(k, "burst") == 0)
                rc = positive(&c, x, "watch.dedup.burst", &pol->dedup_burst);
            else
                rc = fail(&c, v->u.pairs[i].key,
                          "unknown key 'watch.dedup.%s' (expected window or burst)", k ? k : "?");
            if (rc)
                return rc;
        }
        return 0;
    }
    if (key && strcmp(key, "response") == 0)
        return response(&c, v, &pol->response);
    if (key && strcmp(key, "rules") == 0) {
        if (!kh_node_is_map(v))
            return fail(&c, v, "watch.rules must be a mapping of audit rule id to settings");
        for (size_t i = 0; i < v->len; i++) {
            int rc = rule(&c, &v->u.pairs[i], pol);
            if (rc)
                return rc;
        }
        return 0;
    }
    return fail(&c, p->key,
                "unknown key 'watch.%s' (expected allowedSourceCIDRs, dedup, exceptions, "
                "response, rules or sensitiveNamespaces)",
                key ? key : "?");
}
