/*
 * workload.c -- workload hardening beyond the Pod Security Standards:
 * namespaces, resources, probes, the root filesystem, service-account
 * tokens, credentials in env, Service exposure, hostAliases, a shared
 * process namespace and user namespaces.
 *
 * Each check reads the pod spec the model found (any workload kind, and
 * custom resources with pod templates), through the object's shared pod
 * view when they read containers, or, for Service rules, the core Service
 * object. Heuristics (which env names look like credentials, which
 * pods run to completion) are spelled out beside the code and in the
 * rules' why/fix text, so a finding can always be explained.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"

/* ============================================================ helpers */

/* The key node under which the pod spec sits ("spec" of the template),
 * for findings about a field the spec lacks. */
static const kh_node *podspec_key(const kh_object *obj, const kh_podspec *ps)
{
    const char *dot = strrchr(ps->path, '.');
    if (!dot)
        return kh_rule__key(obj->root, ps->path);
    char parent[128];
    size_t n = (size_t)(dot - ps->path);
    if (n >= sizeof(parent))
        return ps->spec;
    memcpy(parent, ps->path, n);
    parent[n] = '\0';
    const kh_node *at = kh_rule__key(kh_node_path(obj->root, parent), dot + 1);
    return at ? at : ps->spec;
}

/* A pod-level field's key when present, else the pod spec's key. */
static const kh_node *pod_field_at(const kh_object *obj, const kh_podspec *ps,
                                   const char *field)
{
    const kh_node *at = kh_rule__key(ps->spec, field);
    return at ? at : podspec_key(obj, ps);
}

static const char *pod_path(kh_rule_ctx *ctx, const kh_podspec *ps, const char *field)
{
    return kh_arena_printf(ctx->arena, "%s.%s", ps->path, field);
}

static bool str_eq(const kh_node *n, const char *s)
{
    const char *t = n && n->type == KH_NODE_STRING ? n->u.text : NULL;
    return t && strcmp(t, s) == 0;
}

/* Windows pods have no read-only root filesystem nor user namespaces. */
static bool is_windows(const kh_podspec *ps)
{
    return str_eq(kh_node_path(ps->spec, "os.name"), "windows");
}

/* The core Service (Knative's serving.knative.dev Service is a workload). */
static bool is_core_service(const kh_object *obj)
{
    return obj->kind && strcmp(obj->kind, "Service") == 0 && obj->group &&
           !obj->group[0];
}

/* ================================================= namespace, resources */

void kh_workload__default_namespace(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (strcmp(obj->namespace_, "default") != 0 || !kh_object_podspec(obj, &ps))
        return;
    kh_rule__report(ctx, obj, kh_rule__key(obj->metadata, "namespace"),
                    "metadata.namespace", "%s \"%s\" runs in the default namespace",
                    obj->kind, obj->name);
}

static bool has_quantity(const kh_node *section, const char *resource)
{
    return !kh_node_is_null(kh_node_get(section, resource));
}

/*
 * Is @p resource set for the container? A pod-level value (spec.resources,
 * Pod Level Resources) covers every container. A missing request is
 * defaulted by the API server to the limit, so for requests a limit counts.
 */
static bool resource_set(const kh_node *container, const kh_podspec *ps,
                         const char *section, const char *resource)
{
    const kh_node *res = kh_node_get(container, "resources");
    const kh_node *pod = kh_node_get(ps->spec, "resources");
    if (has_quantity(kh_node_get(res, section), resource) ||
        has_quantity(kh_node_get(pod, section), resource))
        return true;
    return strcmp(section, "requests") == 0 &&
           (has_quantity(kh_node_get(res, "limits"), resource) ||
            has_quantity(kh_node_get(pod, "limits"), resource));
}

/* Which of cpu and memory are missing: NULL when neither. */
static const char *missing_resources(const kh_node *container, const kh_podspec *ps,
                                     const char *section)
{
    bool no_cpu = !resource_set(container, ps, section, "cpu");
    bool no_mem = !resource_set(container, ps, section, "memory");
    if (no_cpu && no_mem)
        return "CPU or memory";
    if (no_cpu)
        return "CPU";
    return no_mem ? "memory" : NULL;
}

static void check_resources(kh_rule_ctx *ctx, const kh_object *obj,
                            const char *section, const char *noun)
{
    const kh_podview *pod = kh_rule__pod(ctx, obj);
    for (size_t i = 0; pod && i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        /* Ephemeral containers may not set resources at all. */
        if (c->kind == KH_CONTAINER_EPHEMERAL)
            continue;
        const char *missing = missing_resources(c->node, &pod->ps, section);
        if (!missing)
            continue;
        const kh_node *res = kh_node_get(c->node, "resources");
        const kh_node *at = kh_rule__key(res, section);
        if (!at)
            at = kh_rule__key(c->node, "resources");
        char suffix[32];
        snprintf(suffix, sizeof(suffix), "resources.%s", section);
        kh_rule__report(ctx, obj, at ? at : c->node,
                        kh_rule__container_path(ctx, &pod->ps, c, suffix),
                        "container \"%s\" has no %s %s", c->name, missing, noun);
    }
}

void kh_workload__no_resource_limits(kh_rule_ctx *ctx, const kh_object *obj)
{
    check_resources(ctx, obj, "limits", "limit");
}

void kh_workload__no_resource_requests(kh_rule_ctx *ctx, const kh_object *obj)
{
    check_resources(ctx, obj, "requests", "request");
}

/* ============================================================== probes */

/* Pods that run to completion: probes there only get in the way. */
static bool runs_to_completion(const kh_object *obj, const kh_podspec *ps)
{
    if (strcmp(obj->kind, "Job") == 0 || strcmp(obj->kind, "CronJob") == 0)
        return true;
    if (str_eq(kh_node_get(ps->spec, "restartPolicy"), "Never") ||
        str_eq(kh_node_get(ps->spec, "restartPolicy"), "OnFailure"))
        return true;
    const kh_node *owners = kh_node_get(ps->meta, "ownerReferences");
    for (size_t i = 0; kh_node_is_seq(owners) && i < owners->len; i++)
        if (str_eq(kh_node_get(kh_node_at(owners, i), "kind"), "Job"))
            return true;
    return false;
}

static void check_probe(kh_rule_ctx *ctx, const kh_object *obj, const char *probe,
                        const char *noun)
{
    const kh_podview *pod = kh_rule__pod(ctx, obj);
    if (!pod || runs_to_completion(obj, &pod->ps))
        return;
    for (size_t i = 0; i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        /* Init containers run once; ephemeral ones may not have probes. */
        if (c->kind != KH_CONTAINER_REGULAR || !kh_node_is_null(kh_node_get(c->node, probe)))
            continue;
        const kh_node *at = kh_rule__key(c->node, probe);
        kh_rule__report(ctx, obj, at ? at : c->node,
                        kh_rule__container_path(ctx, &pod->ps, c, probe),
                        "container \"%s\" has no %s probe", c->name, noun);
    }
}

void kh_workload__no_liveness_probe(kh_rule_ctx *ctx, const kh_object *obj)
{
    check_probe(ctx, obj, "livenessProbe", "liveness");
}

void kh_workload__no_readiness_probe(kh_rule_ctx *ctx, const kh_object *obj)
{
    check_probe(ctx, obj, "readinessProbe", "readiness");
}

/* ========================================== root filesystem, SA token */

void kh_workload__writable_root_filesystem(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_podview *pod = kh_rule__pod(ctx, obj);
    if (!pod || is_windows(&pod->ps))
        return;
    for (size_t i = 0; i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        if (c->kind == KH_CONTAINER_EPHEMERAL)
            continue;
        const kh_node *sc = pod->sc[i];
        const kh_node *ro = kh_node_get(sc, "readOnlyRootFilesystem");
        if (kh_node_is_true(ro))
            continue;
        const kh_node *at = kh_rule__key(sc, "readOnlyRootFilesystem");
        if (!at)
            at = kh_rule__key(c->node, "securityContext");
        kh_rule__report(ctx, obj, at ? at : c->node,
                        kh_rule__container_path(ctx, &pod->ps, c,
                                                "securityContext.readOnlyRootFilesystem"),
                        kh_node_is_false(ro)
                            ? "container \"%s\" sets readOnlyRootFilesystem: false"
                            : "container \"%s\" has a writable root filesystem "
                              "(securityContext.readOnlyRootFilesystem is not true)",
                        c->name);
    }
}

/*
 * The token is needed when the pod asks for it (automountServiceAccountToken:
 * true) or runs as a service account of its own, which is how a pod is given
 * API permissions. A pod on the namespace's default account almost never
 * talks to the API, so its mounted token is exposure without use.
 */
void kh_workload__service_account_token_mounted(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    const kh_node *automount = kh_node_get(ps.spec, "automountServiceAccountToken");
    if (automount && automount->type == KH_NODE_BOOL)
        return; /* false: not mounted; true: asked for on purpose */
    const char *sa = kh_node_str(kh_node_get(ps.spec, "serviceAccountName"));
    if (!sa || !*sa)
        sa = kh_node_str(kh_node_get(ps.spec, "serviceAccount")); /* deprecated alias */
    if (sa && *sa && strcmp(sa, "default") != 0)
        return;
    kh_rule__report(ctx, obj, pod_field_at(obj, &ps, "automountServiceAccountToken"),
                    pod_path(ctx, &ps, "automountServiceAccountToken"),
                    "pod mounts the API token of the default service account "
                    "(automountServiceAccountToken is not false)");
}

/* ===================================================== credentials in env */

/* A word of an env name, upper-cased: "dbPassword" is DB PASSWORD,
 * "API_KEY" is API KEY. */
typedef struct word {
    char text[40];
} word;

static size_t split_words(const char *name, word *out, size_t max)
{
    size_t n = 0, len = 0;
    for (const char *p = name;; p++) {
        bool alnum = *p && isalnum((unsigned char)*p);
        /* camelCase boundary: lower (or digit) then upper */
        bool boundary = alnum && len > 0 && isupper((unsigned char)*p) &&
                        (islower((unsigned char)p[-1]) || isdigit((unsigned char)p[-1]));
        if ((!alnum || boundary) && len > 0) {
            out[n].text[len] = '\0';
            if (++n == max)
                return n;
            len = 0;
        }
        if (!*p)
            return n;
        if (alnum && len + 1 < sizeof(out[n].text))
            out[n].text[len++] = (char)toupper((unsigned char)*p);
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Words naming a secret, matched as a whole word or a word's end
 * (PGPASSWORD, GITHUBTOKEN). */
static const char *const secret_words[] = {
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "CREDENTIALS",
    "APIKEY", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY",
};
/* Two words that name a secret together (API KEY); KEY alone does not. */
static const char *const secret_pairs[] = {
    "APIKEY", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY", "ENCRYPTIONKEY",
    "SIGNINGKEY", "MASTERKEY", "AUTHKEY",
};
/* A last word that makes the variable about a secret, not the secret:
 * TOKEN_URL, PASSWORD_FILE, SECRET_NAME, ACCESS_KEY_ID. */
static const char *const metadata_words[] = {
    "ALGORITHM", "AUDIENCE", "COUNT", "DIR", "DISABLED", "ENABLE", "ENABLED",
    "ENDPOINT", "EXPIRATION", "EXPIRES", "EXPIRY", "FILE", "FORMAT", "HEADER",
    "HOST", "ID", "ISSUER", "LEN", "LENGTH", "LIFETIME", "LIMIT", "MAX", "MIN",
    "MODE", "NAME", "PATH", "POLICY", "PREFIX", "REF", "REQUIRED", "SIZE",
    "TIMEOUT", "TTL", "TYPE", "URI", "URL", "VERSION",
};

static bool in_table(const char *s, const char *const *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, table[i]) == 0)
            return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool credential_name(const char *name)
{
    word w[16];
    size_t n = split_words(name, w, 16);
    if (n == 0 || in_table(w[n - 1].text, metadata_words, COUNT(metadata_words)))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w[i].text, "PASS") == 0)
            return true;
        for (size_t k = 0; k < COUNT(secret_words); k++)
            if (ends_with(w[i].text, secret_words[k]))
                return true;
        char pair[80];
        if (i + 1 < n && snprintf(pair, sizeof(pair), "%s%s", w[i].text, w[i + 1].text) > 0 &&
            in_table(pair, secret_pairs, COUNT(secret_pairs)))
            return true;
    }
    return false;
}

/* Does @p s contain a $(VAR) reference (not the $$( escape)? Then the
 * secret comes from that variable, not from this literal. */
static bool has_var_reference(const char *s)
{
    for (const char *p = s; (p = strstr(p, "$(")) != NULL; p += 2) {
        if (p > s && p[-1] == '$')
            continue;
        const char *close = strchr(p + 2, ')');
        if (close && close > p + 2)
            return true;
    }
    return false;
}

/* Literal values that cannot be the secret itself: empty, a flag, or an
 * absolute path to a file holding it. */
static bool literal_secret(const char *v)
{
    static const char *const flags[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
    if (!v || !*v || v[0] == '/' || has_var_reference(v))
        return false;
    for (size_t i = 0; i < COUNT(flags); i++)
        if (strcasecmp(v, flags[i]) == 0)
            return false;
    return true;
}

/* --- Secrets recognised by their value, whatever the variable's name ---
 *
 * Each detector looks for one well-known, self-identifying format: a
 * fixed prefix followed by enough characters of the format's alphabet, at
 * a word boundary. Nothing is guessed from randomness alone, so URLs,
 * hostnames, numbers, flags, hashes and base64 of ordinary data are left
 * alone. Only the kind of secret is ever printed, never the value. */

typedef bool (*char_class)(char c);

static bool alnum(char c)
{
    return isalnum((unsigned char)c);
}

static bool upper_digit(char c)
{
    return isupper((unsigned char)c) || isdigit((unsigned char)c);
}

static bool alnum_under(char c)
{
    return alnum(c) || c == '_';
}

static bool base64url(char c) /* also Slack's and GitLab's alphabets */
{
    return alnum(c) || c == '_' || c == '-';
}

static size_t run(const char *p, char_class in)
{
    size_t n = 0;
    while (p[n] && in(p[n]))
        n++;
    return n;
}

/* A token: @p prefix at a word start, then at least @p min (and, when
 * @p exact, exactly @p min) characters of class @p in, then a word end. */
static bool token(const char *v, const char *prefix, char_class in, size_t min, bool exact)
{
    size_t plen = strlen(prefix);
    for (const char *p = v; (p = strstr(p, prefix)) != NULL; p++) {
        if (p > v && base64url(p[-1]))
            continue;
        size_t n = run(p + plen, in);
        if (n >= min && (!exact || n == min) && !alnum(p[plen + n]))
            return true;
    }
    return false;
}

static bool pem_private_key(const char *v)
{
    for (const char *p = v; (p = strstr(p, "-----BEGIN ")) != NULL; p++) {
        const char *end = strstr(p + 11, "-----");
        const char *key = strstr(p + 11, "PRIVATE KEY");
        const char *nl = strchr(p, '\n');
        if (end && key && key < end && (!nl || end < nl))
            return true;
    }
    return false;
}

static bool aws_access_key(const char *v)
{
    static const char *const prefixes[] = {"AKIA", "ASIA", "ABIA", "ACCA"};
    for (size_t i = 0; i < COUNT(prefixes); i++)
        if (token(v, prefixes[i], upper_digit, 16, true))
            return true;
    return false;
}

static bool github_token(const char *v)
{
    static const char *const prefixes[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"};
    for (size_t i = 0; i < COUNT(prefixes); i++)
        if (token(v, prefixes[i], alnum, 36, false))
            return true;
    return token(v, "github_pat_", alnum_under, 40, false);
}

static bool gitlab_token(const char *v)
{
    return token(v, "glpat-", base64url, 20, false);
}

/* xoxb-, xoxp-, xoxa-, xoxs-, xoxr-, xoxo-: numbered parts joined by '-' */
static bool slack_token(const char *v)
{
    static const char *const prefixes[] = {"xoxb-", "xoxp-", "xoxa-", "xoxs-", "xoxr-",
                                           "xoxo-"};
    for (size_t i = 0; i < COUNT(prefixes); i++) {
        for (const char *p = v; (p = strstr(p, prefixes[i])) != NULL; p++) {
            size_t n = run(p + 5, base64url), digits = 0;
            for (size_t k = 0; k < n; k++)
                digits += isdigit((unsigned char)p[5 + k]) != 0;
            if ((p == v || !base64url(p[-1])) && n >= 10 && digits >= 8)
                return true;
        }
    }
    return false;
}

static bool google_api_key(const char *v)
{
    return token(v, "AIza", base64url, 35, true);
}

static bool stripe_key(const char *v)
{
    return token(v, "sk_live_", alnum, 20, false) || token(v, "rk_live_", alnum, 20, false);
}

static bool npm_token(const char *v)
{
    return token(v, "npm_", alnum, 36, true);
}

/* header.payload.signature, both JSON objects in base64url ("eyJ" is
 * '{"'); the signature may be empty (alg none). */
static bool jwt(const char *v)
{
    for (const char *p = v; (p = strstr(p, "eyJ")) != NULL; p++) {
        if (p > v && base64url(p[-1]))
            continue;
        size_t h = run(p, base64url);
        if (h < 10 || p[h] != '.' || strncmp(p + h + 1, "eyJ", 3) != 0)
            continue;
        size_t b = run(p + h + 1, base64url);
        if (b >= 10 && p[h + 1 + b] == '.')
            return true;
    }
    return false;
}

/* scheme://user:password@host, the password written out (not empty, not a
 * $(VAR), ${VAR} or {{ template }} placeholder). */
static bool url_password(const char *v)
{
    for (const char *p = v; (p = strstr(p, "://")) != NULL; p += 3) {
        if (p == v || !isalpha((unsigned char)p[-1]))
            continue;
        const char *user = p + 3;
        size_t len = strcspn(user, "/?#@ \t\r\n");
        if (user[len] != '@')
            continue;
        const char *colon = memchr(user, ':', len);
        if (!colon || colon == user || colon + 1 == user + len)
            continue;
        const char *pass = colon + 1;
        if (*pass == '$' || strstr(pass, "{{") || strstr(pass, "$(") || strstr(pass, "${"))
            continue;
        return true;
    }
    return false;
}

static const struct {
    bool (*found)(const char *value);
    const char *what;
} secret_formats[] = {
    {pem_private_key, "a PEM private key"},
    {aws_access_key, "an AWS access key id"},
    {github_token, "a GitHub token"},
    {gitlab_token, "a GitLab personal access token"},
    {slack_token, "a Slack token"},
    {google_api_key, "a Google API key"},
    {stripe_key, "a Stripe live secret key"},
    {npm_token, "an npm access token"},
    {jwt, "a JSON Web Token"},
    {url_password, "a password in a URL"},
};

/* What kind of secret @p v holds, or NULL. */
static const char *secret_format(const char *v)
{
    for (size_t i = 0; v && i < COUNT(secret_formats); i++)
        if (secret_formats[i].found(v))
            return secret_formats[i].what;
    return NULL;
}

static void check_env_var(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps,
                          const kh_container *c, const kh_node *var, size_t i)
{
    const char *name = kh_node_str(kh_node_get(var, "name"));
    const kh_node *value = kh_node_get(var, "value");
    char suffix[64];
    if (!name || !credential_name(name)) {
        const char *what = kh_node_is_scalar(value) ? secret_format(kh_node_str(value)) : NULL;
        if (!what)
            return;
        snprintf(suffix, sizeof(suffix), "env[%zu].value", i);
        kh_rule__report(ctx, obj, kh_rule__key(var, "value"),
                        kh_rule__container_path(ctx, ps, c, suffix),
                        "container \"%s\" sets variable \"%s\" to a literal value that holds "
                        "%s; take it from a Secret (valueFrom.secretKeyRef)",
                        c->name, name ? name : "", what);
        return;
    }
    const kh_node *from = kh_node_get(var, "valueFrom");
    if (kh_node_is_scalar(value) && literal_secret(kh_node_str(value))) {
        snprintf(suffix, sizeof(suffix), "env[%zu].value", i);
        kh_rule__report(ctx, obj, kh_rule__key(var, "value"),
                        kh_rule__container_path(ctx, ps, c, suffix),
                        "container \"%s\" sets credential-like variable \"%s\" to a literal "
                        "value; take it from a Secret (valueFrom.secretKeyRef)",
                        c->name, name);
    } else if (!kh_node_is_null(kh_node_get(from, "configMapKeyRef"))) {
        snprintf(suffix, sizeof(suffix), "env[%zu].valueFrom.configMapKeyRef", i);
        kh_rule__report(ctx, obj, kh_rule__key(from, "configMapKeyRef"),
                        kh_rule__container_path(ctx, ps, c, suffix),
                        "container \"%s\" reads credential-like variable \"%s\" from a "
                        "ConfigMap; keep it in a Secret (valueFrom.secretKeyRef)",
                        c->name, name);
    }
}

void kh_workload__credential_in_env(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_podview *pod = kh_rule__pod(ctx, obj);
    for (size_t c = 0; pod && c < pod->n; c++) {
        const kh_node *env = kh_node_get(pod->c[c].node, "env");
        for (size_t i = 0; kh_node_is_seq(env) && i < env->len; i++)
            check_env_var(ctx, obj, &pod->ps, &pod->c[c], kh_node_at(env, i), i);
    }
}

/* ================================================ pod-level isolation */

void kh_workload__host_aliases(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    const kh_node *aliases = kh_node_get(ps.spec, "hostAliases");
    if (!kh_node_is_seq(aliases) || aliases->len == 0)
        return;
    const char *ip = kh_node_str(kh_node_get(kh_node_at(aliases, 0), "ip"));
    kh_rule__report(ctx, obj, kh_rule__key(ps.spec, "hostAliases"),
                    pod_path(ctx, &ps, "hostAliases"),
                    "pod overrides name resolution in /etc/hosts with hostAliases "
                    "(%zu %s, first ip '%s')",
                    (size_t)aliases->len, aliases->len == 1 ? "entry" : "entries",
                    ip ? ip : "");
}

void kh_workload__shared_process_namespace(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps) ||
        !kh_node_is_true(kh_node_get(ps.spec, "shareProcessNamespace")))
        return;
    kh_rule__report(ctx, obj, kh_rule__key(ps.spec, "shareProcessNamespace"),
                    pod_path(ctx, &ps, "shareProcessNamespace"),
                    "containers of the pod share one process namespace "
                    "(shareProcessNamespace=true)");
}

/*
 * hostUsers: false runs the pod in a user namespace. It cannot be combined
 * with host namespaces (the PSS rules report those) and Windows has no
 * user namespaces, so the suggestion is not made there.
 */
void kh_workload__host_user_namespace(kh_rule_ctx *ctx, const kh_object *obj)
{
    static const char *const host_ns[] = {"hostNetwork", "hostPID", "hostIPC"};
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps) || is_windows(&ps))
        return;
    const kh_node *users = kh_node_get(ps.spec, "hostUsers");
    if (kh_node_is_false(users))
        return;
    for (size_t i = 0; i < COUNT(host_ns); i++)
        if (kh_node_is_true(kh_node_get(ps.spec, host_ns[i])))
            return;
    kh_rule__report(ctx, obj, pod_field_at(obj, &ps, "hostUsers"),
                    pod_path(ctx, &ps, "hostUsers"),
                    kh_node_is_true(users)
                        ? "pod sets hostUsers: true; hostUsers: false would map its root "
                          "to an unprivileged user on the node"
                        : "pod runs in the node's user namespace; hostUsers: false would "
                          "map its root to an unprivileged user on the node");
}

/* ============================================================ Services */

void kh_workload__service_node_port(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_node *spec = kh_node_get(obj->root, "spec");
    if (!is_core_service(obj) || !str_eq(kh_node_get(spec, "type"), "NodePort"))
        return;
    kh_rule__report(ctx, obj, kh_rule__key(spec, "type"), "spec.type",
                    "Service \"%s\" is of type NodePort: it opens its ports on every node",
                    obj->name);
}

/* Annotations that make the cloud provider's load balancer internal. */
static bool internal_load_balancer(const kh_object *obj)
{
    static const struct {
        const char *key, *value;
    } internal[] = {
        {"cloud.google.com/load-balancer-type", "internal"},
        {"networking.gke.io/load-balancer-type", "internal"},
        {"service.beta.kubernetes.io/aws-load-balancer-internal", "true"},
        {"service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"},
        {"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
        {"service.beta.kubernetes.io/oci-load-balancer-internal", "true"},
    };
    for (size_t i = 0; i < COUNT(internal); i++) {
        const char *v = kh_node_str(kh_node_get(obj->annotations, internal[i].key));
        if (v && strcasecmp(v, internal[i].value) == 0)
            return true;
    }
    return false;
}

void kh_workload__service_load_balancer(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_node *spec = kh_node_get(obj->root, "spec");
    if (!is_core_service(obj) || !str_eq(kh_node_get(spec, "type"), "LoadBalancer") ||
        internal_load_balancer(obj))
        return;
    const kh_node *ranges = kh_node_get(spec, "loadBalancerSourceRanges");
    size_t nranges = kh_node_is_seq(ranges) ? ranges->len : 0;
    if (nranges)
        kh_rule__report(ctx, obj, kh_rule__key(spec, "type"), "spec.type",
                        "Service \"%s\" is of type LoadBalancer: reachable from outside the "
                        "cluster from %zu source range%s",
                        obj->name, nranges, nranges == 1 ? "" : "s");
    else
        kh_rule__report(ctx, obj, kh_rule__key(spec, "type"), "spec.type",
                        "Service \"%s\" is of type LoadBalancer: reachable from outside the "
                        "cluster from any address",
                        obj->name);
}

void kh_workload__service_external_ips(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_node *spec = kh_node_get(obj->root, "spec");
    const kh_node *ips = kh_node_get(spec, "externalIPs");
    if (!is_core_service(obj) || !kh_node_is_seq(ips) || ips->len == 0)
        return;
    const char *first = kh_node_str(kh_node_at(ips, 0));
    kh_rule__report(ctx, obj, kh_rule__key(spec, "externalIPs"), "spec.externalIPs",
                    "Service \"%s\" claims externalIPs (first '%s'): traffic to those "
                    "addresses is routed to it from every node",
                    obj->name, first ? first : "");
}
