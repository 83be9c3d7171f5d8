/*
 * config.c -- .kubeharden.yaml: rules to disable, severity overrides and
 * objects to exclude.
 *
 *   rules:
 *     disable: [workload.default-namespace]
 *     severity: {image.tag-not-pinned: high}
 *   exclude:
 *     - {namespace: "kube-*"}
 *     - {kind: Deployment, name: "test-*"}
 *
 * The file is read with the same loader as manifests, so every mistake
 * (unknown key, unknown rule, bad severity, wrong type) is an error with
 * file:line:col rather than a silently ignored setting.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        else
            rc = fail(l, p->key, "unknown key '%s' (expected rules, exclude or pss)",
                      key ? key : "?");
        if (rc)
            return rc;
    }
    return KH_OK;
}

static int read_file(const char *path, char **buf, size_t *len, kh_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return kh_error_set(err, KH_EIO, path, 0, 0, "cannot open config: %s", strerror(errno));
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
        return kh_error_set(err, KH_EIO, path, 0, 0, "cannot read config");
    }
    *buf = data;
    *len = n;
    return KH_OK;
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
    rc = read_file(path, &buf, &len, err);
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
    loader l = {cfg, label, err};
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
