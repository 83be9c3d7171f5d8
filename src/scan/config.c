/*
 * config.c -- .kubeharden.yaml: rules to disable, severity overrides,
 * objects to exclude, Pod Security settings, and the policy the image and
 * workload rules read (trusted registries and signers, evidence files,
 * pod templates of custom resources).
 *
 *   rules:
 *     disable: [workload.default-namespace]
 *     severity: {image.tag-not-pinned: high}
 *   exclude:
 *     - {namespace: "kube-*"}
 *     - {kind: Deployment, name: "test-*"}
 *   images:
 *     trustedRegistries: [registry.example/team]
 *     trustedSigners: [{issuer: "https://...", subject: "https://..."}]
 *     signatures: [cosign/app.json]
 *     vulnerabilities: {failOn: high, reports: [trivy/app.json]}
 *   workloads:
 *     podTemplates: [{apiGroup: example.com, kind: Widget, path: spec.template}]
 *
 * The file is read with the same loader as manifests, so every mistake
 * (unknown key, unknown rule, bad severity, wrong type) is an error with
 * file:line:col rather than a silently ignored setting. Evidence files named
 * in it are relative to the file's directory.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules/imageref.h"
#include "rules/rules.h"
#include "scan/config.h"

int kh_config_new(kh_config **out, kh_error *err)
{
    size_t n = kh_rule_count();
    kh_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    kh_arena_init(&cfg->arena, 4096);
    cfg->enabled = kh_arena_alloc(&cfg->arena, n + 1);
    cfg->severity = kh_arena_alloc(&cfg->arena, n + 1);
    if (!cfg->enabled || !cfg->severity) {
        kh_config_free(cfg);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    memset(cfg->enabled, 1, n);
    memset(cfg->severity, -1, n);
    cfg->pss_restricted = 1;
    cfg->pss_minor = KH_PSS_LATEST;
    cfg->policy.vuln_fail_on = KH_SEVERITY_HIGH;
    *out = cfg;
    return KH_OK;
}

void kh_config_free(kh_config *cfg)
{
    if (!cfg)
        return;
    kh_arena_free(&cfg->arena);
    free(cfg);
}

static size_t rule_index(const kh_rule_def *def)
{
    size_t n;
    return (size_t)(def - kh_rules__table(&n));
}

int kh_config_only_rule(kh_config *cfg, const char *rule_id, kh_error *err)
{
    const kh_rule_def *def = kh_rules__find(rule_id);
    if (!def)
        return kh_error_set(err, KH_ENOTFOUND, NULL, 0, 0, "unknown rule '%s'", rule_id);
    if (!cfg->only_rules) {
        memset(cfg->enabled, 0, kh_rule_count());
        cfg->only_rules = 1;
    }
    cfg->enabled[rule_index(def)] = 1;
    return KH_OK;
}

/* "v1.N" into N; -1 when malformed. */
static int parse_pss_version(const char *v)
{
    if (strcmp(v, "latest") == 0)
        return KH_PSS_LATEST;
    if (strncmp(v, "v1.", 3) != 0 || !v[3])
        return -1;
    int minor = 0;
    for (const char *p = v + 3; *p; p++) {
        if (*p < '0' || *p > '9' || minor > 100000)
            return -1;
        minor = minor * 10 + (*p - '0');
    }
    return minor > KH_PSS_LATEST ? KH_PSS_LATEST : minor;
}

int kh_config_set_pss(kh_config *cfg, const char *level, const char *version,
                      kh_error *err)
{
    if (level) {
        if (strcmp(level, "baseline") == 0)
            cfg->pss_restricted = 0;
        else if (strcmp(level, "restricted") == 0)
            cfg->pss_restricted = 1;
        else
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "unknown Pod Security level '%s' (use baseline or restricted)",
                                level);
    }
    if (version) {
        int minor = parse_pss_version(version);
        if (minor < 0)
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "bad Pod Security version '%s' (use latest or v1.N, e.g. v1.30)",
                                version);
        cfg->pss_minor = minor;
    }
    return KH_OK;
}

int kh_config__enabled(const kh_config *cfg, size_t i)
{
    return cfg->enabled[i];
}

int kh_config__severity_overridden(const kh_config *cfg, size_t i)
{
    return cfg->severity[i] >= 0;
}

kh_severity kh_config__severity(const kh_config *cfg, size_t i)
{
    size_t n;
    const kh_rule_def *t = kh_rules__table(&n);
    return cfg->severity[i] >= 0 ? (kh_severity)cfg->severity[i] : t[i].info.severity;
}

static int glob_matches(const char *glob, const char *value)
{
    return !glob || fnmatch(glob, value ? value : "", 0) == 0;
}

int kh_config__excluded(const kh_config *cfg, const kh_object *obj)
{
    for (size_t i = 0; i < cfg->nexcludes; i++) {
        const kh_exclude *e = &cfg->excludes[i];
        if (glob_matches(e->namespace_, obj->namespace_) &&
            glob_matches(e->kind, obj->kind) && glob_matches(e->name, obj->name))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------- loading */

typedef struct loader {
    kh_config *cfg;
    const char *file;
    const char *dir;          /* the file's directory, for relative evidence paths */
    kh_error *err;
} loader;

static int fail(loader *l, const kh_node *at, const char *fmt, const char *arg)
{
    return kh_error_set(l->err, KH_ECONFIG, l->file, at ? at->line : 0,
                        at ? at->col : 0, fmt, arg);
}

static int is_text(const kh_node *n)
{
    return n && kh_node_is_scalar(n) && n->type != KH_NODE_NULL;
}

static int lookup_rule(loader *l, const kh_node *n, size_t *index)
{
    if (!is_text(n))
        return fail(l, n, "%s must be a string", "a rule id");
    const kh_rule_def *def = kh_rules__find(kh_node_str(n));
    if (!def)
        return fail(l, n, "unknown rule '%s'", kh_node_str(n));
    *index = rule_index(def);
    return KH_OK;
}

static int load_disable(loader *l, const kh_node *seq)
{
    if (!kh_node_is_seq(seq))
        return fail(l, seq, "%s must be a list of rule ids", "rules.disable");
    for (size_t i = 0; i < seq->len; i++) {
        size_t idx;
        int rc = lookup_rule(l, kh_node_at(seq, i), &idx);
        if (rc)
            return rc;
        l->cfg->enabled[idx] = 0;
    }
    return KH_OK;
}

static int load_severity(loader *l, const kh_node *map)
{
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping of rule id to severity", "rules.severity");
    for (size_t i = 0; i < map->len; i++) {
        size_t idx;
        int rc = lookup_rule(l, map->u.pairs[i].key, &idx);
        if (rc)
            return rc;
        const kh_node *v = map->u.pairs[i].value;
        kh_severity sev;
        if (!is_text(v))
            return fail(l, v, "%s must be one of info, low, medium, high, critical", "a severity");
        if (kh_severity_parse(&sev, kh_node_str(v)) != KH_OK)
            return fail(l, v, "unknown severity '%s' (use info, low, medium, high or critical)",
                        kh_node_str(v));
        l->cfg->severity[idx] = (signed char)sev;
    }
    return KH_OK;
}

static int load_rules(loader *l, const kh_node *map)
{
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping", "rules");
    for (size_t i = 0; i < map->len; i++) {
        const kh_pair *p = &map->u.pairs[i];
        const char *key = kh_node_str(p->key);
        int rc;
        if (key && strcmp(key, "disable") == 0)
            rc = load_disable(l, p->value);
        else if (key && strcmp(key, "severity") == 0)
            rc = load_severity(l, p->value);
        else
            rc = fail(l, p->key, "unknown key 'rules.%s' (expected disable or severity)",
                      key ? key : "?");
        if (rc)
            return rc;
    }
    return KH_OK;
}

static int load_exclude_entry(loader *l, const kh_node *map, kh_exclude *e)
{
    if (!kh_node_is_map(map) || map->len == 0)
        return fail(l, map, "%s must be a mapping with namespace, kind and/or name",
                    "each exclude entry");
    for (size_t i = 0; i < map->len; i++) {
        const kh_pair *p = &map->u.pairs[i];
        const char *key = kh_node_str(p->key);
        const char **slot = NULL;
        if (key && strcmp(key, "namespace") == 0)
            slot = &e->namespace_;
        else if (key && strcmp(key, "kind") == 0)
            slot = &e->kind;
        else if (key && strcmp(key, "name") == 0)
            slot = &e->name;
        else
            return fail(l, p->key, "unknown key 'exclude.%s' (expected namespace, kind or name)",
                        key ? key : "?");
        if (!is_text(p->value))
            return fail(l, p->value, "exclude.%s must be a string (a glob)", key);
        *slot = kh_node_str(p->value);
    }
    return KH_OK;
}

static int load_excludes(loader *l, const kh_node *seq)
{
    if (!kh_node_is_seq(seq))
        return fail(l, seq, "%s must be a list", "exclude");
    l->cfg->excludes = kh_arena_calloc(&l->cfg->arena, seq->len + 1, sizeof(kh_exclude));
    if (!l->cfg->excludes)
        return kh_error_set(l->err, KH_ENOMEM, l->file, 0, 0, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        int rc = load_exclude_entry(l, kh_node_at(seq, i), &l->cfg->excludes[i]);
        if (rc)
            return rc;
    }
    l->cfg->nexcludes = seq->len;
    return KH_OK;
}

static int load_pss(loader *l, const kh_node *map)
{
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping with level and/or version", "pss");
    for (size_t i = 0; i < map->len; i++) {
        const kh_pair *p = &map->u.pairs[i];
        const char *key = kh_node_str(p->key);
        int is_level = key && strcmp(key, "level") == 0;
        if (!is_level && !(key && strcmp(key, "version") == 0))
            return fail(l, p->key, "unknown key 'pss.%s' (expected level or version)",
                        key ? key : "?");
        if (!is_text(p->value))
            return fail(l, p->value, "pss.%s must be a string", key);
        kh_error e = {0};
        if (kh_config_set_pss(l->cfg, is_level ? kh_node_str(p->value) : NULL,
                              is_level ? NULL : kh_node_str(p->value), &e))
            return fail(l, p->value, "%s", e.message);
    }
    return KH_OK;
}

/* ------------------------------------------------------------- images: */

static int oom(loader *l)
{
    return kh_error_set(l->err, KH_ENOMEM, l->file, 0, 0, "out of memory");
}

void *kh_config__push(kh_arena *arena, void *items_ptr, size_t *n, size_t size)
{
    char *items; /* items_ptr is a T **; copied, not cast, to keep aliasing rules */
    memcpy(&items, items_ptr, sizeof(items));
    size_t count = *n;
    /* Capacity is implied by the count: 4, then each power of two. */
    if (count == 0 || (count >= 4 && (count & (count - 1)) == 0)) {
        size_t cap = count < 4 ? 4 : count * 2;
        char *bigger = kh_arena_calloc(arena, cap, size);
        if (!bigger)
            return NULL;
        if (count)
            memcpy(bigger, items, count * size);
        items = bigger;
        memcpy(items_ptr, &items, sizeof(items));
    }
    char *slot = items + count * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}

/* "host[:port][/path]" with an optional "*." before the host: the host
 * must be recognisable as one (see kh_imageref_parse) so that "nginx" is
 * refused rather than trusting nothing. */
static int registry_entry(loader *l, const kh_node *n, const char **out)
{
    if (!is_text(n))
        return fail(l, n, "%s must be a string", "images.trustedRegistries entry");
    const char *entry = kh_node_str(n);
    if (!kh_imageref_prefix_valid(entry))
        return fail(l, n,
                    "trusted registry '%s' must be a registry host with an optional "
                    "path (registry.example/team; Docker Hub is docker.io)",
                    entry);
    if (strncmp(entry, "index.docker.io", 15) == 0 && (!entry[15] || entry[15] == '/'))
        entry = kh_arena_printf(&l->cfg->arena, "docker.io%s", entry + 15);
    *out = entry;
    return *out ? KH_OK : oom(l);
}

static int load_registries(loader *l, const kh_node *seq)
{
    kh_policy *p = &l->cfg->policy;
    if (!kh_node_is_seq(seq))
        return fail(l, seq, "%s must be a list of registries", "images.trustedRegistries");
    p->registries_set = true;
    for (size_t i = 0; i < seq->len; i++) {
        const char **slot = kh_config__push(&l->cfg->arena, &p->registries,
                                            &p->nregistries, sizeof(char *));
        if (!slot)
            return oom(l);
        int rc = registry_entry(l, kh_node_at(seq, i), slot);
        if (rc)
            return rc;
    }
    return KH_OK;
}

static int signer_field(loader *l, const kh_pair *pair, kh_signer *s)
{
    const char *key = kh_node_str(pair->key);
    const char **slot = NULL;
    if (key && strcmp(key, "issuer") == 0)
        slot = &s->issuer;
    else if (key && strcmp(key, "subject") == 0)
        slot = &s->subject;
    else if (key && strcmp(key, "key") == 0)
        slot = &s->key;
    else
        return fail(l, pair->key,
                    "unknown key 'images.trustedSigners.%s' (expected issuer, subject or key)",
                    key ? key : "?");
    if (!is_text(pair->value) || !*kh_node_str(pair->value))
        return fail(l, pair->value, "images.trustedSigners.%s must be a non-empty string",
                    key);
    *slot = kh_node_str(pair->value);
    return KH_OK;
}

static int load_signer(loader *l, const kh_node *map, kh_signer *s)
{
    if (!kh_node_is_map(map) || map->len == 0)
        return fail(l, map, "%s must be a mapping with issuer and subject, or key",
                    "each images.trustedSigners entry");
    for (size_t i = 0; i < map->len; i++) {
        int rc = signer_field(l, &map->u.pairs[i], s);
        if (rc)
            return rc;
    }
    if (s->key && (s->issuer || s->subject))
        return fail(l, map, "%s gives either key, or issuer and subject, not both",
                    "an images.trustedSigners entry");
    if (!s->key && (!s->issuer || !s->subject))
        return fail(l, map, "an images.trustedSigners entry needs both issuer and %s",
                    s->issuer ? "subject" : "issuer");
    return KH_OK;
}

static int load_signers(loader *l, const kh_node *seq)
{
    kh_policy *p = &l->cfg->policy;
    if (!kh_node_is_seq(seq))
        return fail(l, seq, "%s must be a list", "images.trustedSigners");
    p->signers_set = true;
    for (size_t i = 0; i < seq->len; i++) {
        kh_signer *s = kh_config__push(&l->cfg->arena, &p->signers, &p->nsigners,
                                       sizeof(kh_signer));
        if (!s)
            return oom(l);
        int rc = load_signer(l, kh_node_at(seq, i), s);
        if (rc)
            return rc;
    }
    return KH_OK;
}

typedef int (*evidence_fn)(kh_config *cfg, const char *path, const char *label,
                           kh_error *err);

/* Load each file of a list of evidence paths, relative to the config's
 * directory; a bad file is an error at its entry, quoting the file's own
 * position. */
static int load_evidence_files(loader *l, const kh_node *seq, const char *what,
                               evidence_fn load)
{
    if (!kh_node_is_seq(seq))
        return fail(l, seq, "%s must be a list of files", what);
    for (size_t i = 0; i < seq->len; i++) {
        const kh_node *n = kh_node_at(seq, i);
        if (!is_text(n) || !*kh_node_str(n))
            return fail(l, n, "%s must be a file name", "each entry");
        const char *name = kh_node_str(n);
        const char *path = name[0] == '/' || !l->dir
                               ? name
                               : kh_arena_printf(&l->cfg->arena, "%s/%s", l->dir, name);
        if (!path)
            return oom(l);
        kh_error e = {0};
        if (load(l->cfg, path, name, &e) == KH_OK)
            continue;
        if (e.line)
            return kh_error_set(l->err, KH_ECONFIG, l->file, n->line, n->col,
                                "in '%s' at %u:%u: %s", name, e.line, e.col, e.message);
        return kh_error_set(l->err, KH_ECONFIG, l->file, n->line, n->col, "%s", e.message);
    }
    return KH_OK;
}

static int vuln_field(loader *l, const kh_pair *pair)
{
    const char *key = kh_node_str(pair->key);
    kh_policy *p = &l->cfg->policy;
    const kh_node *v = pair->value;
    if (key && strcmp(key, "failOn") == 0) {
        if (!is_text(v) || kh_severity_parse(&p->vuln_fail_on, kh_node_str(v)) != KH_OK)
            return fail(l, v, "unknown severity '%s' (use info, low, medium, high or critical)",
                        kh_node_str(v) ? kh_node_str(v) : "");
        return KH_OK;
    }
    if (key && strcmp(key, "requireReport") == 0) {
        if (v->type != KH_NODE_BOOL)
            return fail(l, v, "%s must be true or false",
                        "images.vulnerabilities.requireReport");
        p->vuln_require_report = kh_node_is_true(v);
        return KH_OK;
    }
    if (key && strcmp(key, "reports") == 0)
        return load_evidence_files(l, v, "images.vulnerabilities.reports",
                                   kh_config__load_vuln_report);
    return fail(l, pair->key,
                "unknown key 'images.vulnerabilities.%s' (expected failOn, reports or "
                "requireReport)",
                key ? key : "?");
}

static int load_vulnerabilities(loader *l, const kh_node *map)
{
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping", "images.vulnerabilities");
    for (size_t i = 0; i < map->len; i++) {
        int rc = vuln_field(l, &map->u.pairs[i]);
        if (rc)
            return rc;
    }
    return KH_OK;
}

static int load_images(loader *l, const kh_node *map)
{
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping", "images");
    for (size_t i = 0; i < map->len; i++) {
        const kh_pair *p = &map->u.pairs[i];
        const char *key = kh_node_str(p->key);
        int rc;
        if (key && strcmp(key, "trustedRegistries") == 0)
            rc = load_registries(l, p->value);
        else if (key && strcmp(key, "trustedSigners") == 0)
            rc = load_signers(l, p->value);
        else if (key && strcmp(key, "signatures") == 0)
            rc = load_evidence_files(l, p->value, "images.signatures",
                                     kh_config__load_signatures);
        else if (key && strcmp(key, "vulnerabilities") == 0)
            rc = load_vulnerabilities(l, p->value);
        else
            rc = fail(l, p->key,
                      "unknown key 'images.%s' (expected trustedRegistries, trustedSigners, "
                      "signatures or vulnerabilities)",
                      key ? key : "?");
        if (rc)
            return rc;
    }
    return KH_OK;
}

/* ---------------------------------------------------------- workloads: */

/* A dotted path of field names, as kh_node_path reads it. */
static int dotted_path_valid(const char *s)
{
    size_t part = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (part == 0)
                return 0;
            part = 0;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                   (*s >= '0' && *s <= '9') || *s == '_' || *s == '-') {
            part++;
        } else {
            return 0;
        }
    }
    return part > 0;
}

static int template_field(loader *l, const kh_pair *pair, const char **vals)
{
    static const char *const keys[] = {"apiGroup", "kind", "path", "specPath"};
    const char *key = kh_node_str(pair->key);
    for (size_t k = 0; k < 4; k++) {
        if (!key || strcmp(key, keys[k]) != 0)
            continue;
        if (!is_text(pair->value))
            return fail(l, pair->value, "workloads.podTemplates.%s must be a string", key);
        vals[k] = kh_node_str(pair->value);
        if (k >= 2 && !dotted_path_valid(vals[k]))
            return fail(l, pair->value,
                        "bad field path '%s' (use field names joined by '.', "
                        "e.g. spec.template)",
                        vals[k]);
        return KH_OK;
    }
    return fail(l, pair->key,
                "unknown key 'workloads.podTemplates.%s' (expected apiGroup, kind, path or "
                "specPath)",
                key ? key : "?");
}

static int load_template(loader *l, const kh_node *map, kh_pod_template_loc *t)
{
    const char *vals[4] = {NULL, NULL, NULL, NULL}; /* apiGroup kind path specPath */
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping with apiGroup, kind and path",
                    "each workloads.podTemplates entry");
    for (size_t i = 0; i < map->len; i++) {
        int rc = template_field(l, &map->u.pairs[i], vals);
        if (rc)
            return rc;
    }
    if (!vals[0] || !vals[1])
        return fail(l, map, "a workloads.podTemplates entry needs %s",
                    !vals[0] ? "apiGroup" : "kind");
    if (!vals[2] == !vals[3])
        return fail(l, map, "a workloads.podTemplates entry needs %s",
                    "exactly one of path (a pod template) and specPath (a pod spec)");
    t->group = vals[0];
    t->kind = vals[1];
    t->spec = vals[3] ? vals[3] : kh_arena_printf(&l->cfg->arena, "%s.spec", vals[2]);
    t->meta = vals[3] ? NULL : kh_arena_printf(&l->cfg->arena, "%s.metadata", vals[2]);
    return t->spec && (vals[3] || t->meta) ? KH_OK : oom(l);
}

static int load_workloads(loader *l, const kh_node *map)
{
    kh_policy *p = &l->cfg->policy;
    if (!kh_node_is_map(map))
        return fail(l, map, "%s must be a mapping", "workloads");
    for (size_t i = 0; i < map->len; i++) {
        const kh_pair *pair = &map->u.pairs[i];
        const char *key = kh_node_str(pair->key);
        if (!key || strcmp(key, "podTemplates") != 0)
            return fail(l, pair->key, "unknown key 'workloads.%s' (expected podTemplates)",
                        key ? key : "?");
        if (!kh_node_is_seq(pair->value))
            return fail(l, pair->value, "%s must be a list", "workloads.podTemplates");
        for (size_t k = 0; k < pair->value->len; k++) {
            kh_pod_template_loc *t = kh_config__push(&l->cfg->arena, &p->templates,
                                                     &p->ntemplates, sizeof(*t));
            if (!t)
                return oom(l);
            int rc = load_template(l, kh_node_at(pair->value, k), t);
            if (rc)
                return rc;
        }
    }
    return KH_OK;
}

/* ----------------------------------------------------------------- root */

static int load_root(loader *l, const kh_node *root)
{
    if (!root || kh_node_is_null(root))
        return KH_OK; /* an empty file is a valid, empty configuration */
    if (!kh_node_is_map(root))
        return fail(l, root, "%s must be a mapping", "the configuration");
    for (size_t i = 0; i < root->len; i++) {
        const kh_pair *p = &root->u.pairs[i];
        const char *key = kh_node_str(p->key);
        int rc;
        if (key && strcmp(key, "rules") == 0)
            rc = load_rules(l, p->value);
        else if (key && strcmp(key, "exclude") == 0)
            rc = load_excludes(l, p->value);
        else if (key && strcmp(key, "pss") == 0)
            rc = load_pss(l, p->value);
        else if (key && strcmp(key, "images") == 0)
            rc = load_images(l, p->value);
        else if (key && strcmp(key, "workloads") == 0)
            rc = load_workloads(l, p->value);
        else
            rc = fail(l, p->key,
                      "unknown key '%s' (expected rules, exclude, pss, images or workloads)",
                      key ? key : "?");
        if (rc)
            return rc;
    }
    return KH_OK;
}

int kh_config__read_file(const char *path, const char *what, char **buf, size_t *len,
                         kh_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return kh_error_set(err, KH_EIO, path, 0, 0, "cannot open %s: %s", what,
                            strerror(errno));
    size_t cap = 4096, n = 0, got;
    char *data = malloc(cap);
    while (data && (got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(data, cap * 2);
            if (!bigger)
                free(data);
            data = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!data || bad) {
        free(data);
        return kh_error_set(err, KH_EIO, path, 0, 0, "cannot read %s", what);
    }
    *buf = data;
    *len = n;
    return KH_OK;
}

/* The directory part of @p path ("." when there is none), in @p arena. */
static const char *dir_of(kh_arena *arena, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    return slash == path ? "/" : kh_arena_strndup(arena, path, (size_t)(slash - path));
}

int kh_config_load(kh_config **out, const char *path, kh_error *err)
{
    kh_config *cfg = NULL;
    char *buf = NULL;
    size_t len = 0;
    const kh_node *root = NULL;
    int rc = kh_config_new(&cfg, err);
    if (rc)
        goto cleanup;
    rc = kh_config__read_file(path, "config", &buf, &len, err);
    if (rc)
        goto cleanup;
    /* The tree stays in the config's arena: the globs point into it. */
    const char *label = kh_arena_strdup(&cfg->arena, path);
    kh_error perr = {0};
    rc = kh_doc_load_buffer(&root, &cfg->arena, buf, len, label, &perr);
    if (rc == KH_EPARSE && strcmp(perr.message, "empty document") == 0) {
        rc = KH_OK;
        root = NULL;
    } else if (rc) {
        rc = kh_error_set(err, KH_ECONFIG, path, perr.line, perr.col, "%s", perr.message);
        goto cleanup;
    }
    loader l = {cfg, label, dir_of(&cfg->arena, path), err};
    rc = load_root(&l, root);
    if (rc && err)
        err->file = path; /* the label lives in the arena freed below */

cleanup:
    free(buf);
    if (rc) {
        kh_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return KH_OK;
}

int kh_config_discover(char **out, const char *start_dir)
{
    char dir[PATH_MAX];
    if (!realpath(start_dir, dir))
        return KH_ENOTFOUND;
    for (;;) {
        char candidate[PATH_MAX + 32];
        snprintf(candidate, sizeof(candidate), "%s%s.kubeharden.yaml", dir,
                 strcmp(dir, "/") == 0 ? "" : "/");
        struct stat st;
        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
            *out = strdup(candidate);
            return *out ? KH_OK : KH_ENOMEM;
        }
        char *slash = strrchr(dir, '/');
        if (!slash || strcmp(dir, "/") == 0)
            return KH_ENOTFOUND;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
}
