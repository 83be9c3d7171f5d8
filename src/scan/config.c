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
 *   admission:           (the webhook's; docs/admission.md)
 *     exemptions: {usernames: [...], namespaces: [...], runtimeClasses: [...]}
 *     namespaces: {team-a: {level: baseline, version: v1.30, mode: warn}}
 *     workloadTemplates: warn | enforce
 *     defaultRuleMode: audit
 *     ruleModes: {image.tag-not-pinned: enforce}
 *
 * The file (at most KH_FILE_MAX_BYTES) is read with the same loader as
 * manifests, and its schema is a table per section walked by one loader
 * (see "schema" below), so every mistake (unknown key, unknown rule, bad
 * severity, wrong type) is an error with file:line:col rather than a
 * silently ignored setting. Evidence files named in it are relative to the
 * file's directory and must be regular files.
 */
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admission/admission.h"
#include "core/array.h"
#include "core/file.h"
#include "k8s/imageref.h"
#include "rules/rules.h"
#include "scan/config.h"
#include "watch/event.h"

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
    cfg->kube_minor = KH_PSS_LATEST;
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

int kh_config__pss_minor(const char *v)
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

int kh_config_only_area(kh_config *cfg, kh_area area, kh_error *err)
{
    cfg->only_areas |= 1u << area;
    size_t n = kh_rule_count(), kept = 0;
    for (size_t i = 0; i < n; i++)
        kept += kh_config__enabled(cfg, i) && kh_rule_at(i)->area == area;
    if (!kept)
        return kh_error_set(err, KH_ENOTFOUND, NULL, 0, 0,
                            "no enabled rule in area '%s'", kh_area_name(area));
    return KH_OK;
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
        int minor = kh_config__pss_minor(version);
        if (minor < 0)
            return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                                "bad Pod Security version '%s' (use latest or v1.N, e.g. v1.30)",
                                version);
        cfg->pss_minor = minor;
        cfg->pss_minor_set = 1;
    }
    return KH_OK;
}

int kh_config_set_kube_version(kh_config *cfg, const char *version, kh_error *err)
{
    int minor = kh_config__pss_minor(version);
    if (minor < 0)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                            "bad Kubernetes version '%s' (use latest or v1.N, e.g. v1.30)",
                            version);
    cfg->kube_minor = minor;
    /* Namespaces without an enforce-version label get the API server's
     * own Pod Security version. */
    if (!cfg->pss_minor_set)
        cfg->pss_minor = minor;
    return KH_OK;
}

int kh_config__enabled(const kh_config *cfg, size_t i)
{
    return cfg->enabled[i] &&
           (!cfg->only_areas || (cfg->only_areas & (1u << kh_rule_at(i)->area)));
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

/* ------------------------------------------------------------- schema */

/*
 * The schema is data. A section is a mapping whose keys are the rows of a
 * table; a row says what its value must be (its type, the values allowed)
 * and where it goes (an offset into the section's target, or a handler).
 * load_section does every type check and writes every "unknown key" and
 * "must be" message with the offending node's position, so a new section
 * (webhook, rbac, watch...) is a table of a few rows and the handlers of
 * whatever its values mean.
 */

typedef struct loader {
    kh_config *cfg;
    const char *file;
    const char *dir;          /* the file's directory, for relative evidence paths */
    kh_error *err;
} loader;

typedef struct section section;

typedef enum value_type {
    V_SECTION,      /* a mapping: .section's rows, into the same target */
    V_ENTRIES,      /* a list of mappings: .section's rows, each into a new entry */
    V_LIST,         /* a list of scalars: .item for each */
    V_MAP,          /* a mapping from free-form keys: .pair for each */
    V_STRING,       /* a string: .item when given, else stored at .offset (const char *) */
    V_BOOL,         /* true or false, stored at .offset (a bool) */
    V_SEVERITY      /* a severity name, stored at .offset (a kh_severity) */
} value_type;

typedef struct field {
    const char *key;
    value_type type;
    size_t offset;                  /* V_STRING, V_BOOL, V_SEVERITY: into the target */
    const section *section;         /* V_SECTION, V_ENTRIES */
    const char *what;               /* the "must be ..." text; NULL: from the type */
    const char *const *allowed;     /* V_STRING: the values accepted (NULL-ended), NULL: any */
    bool nonempty;                  /* V_STRING: "" is refused */
    size_t given;                   /* a bool in the config set when the key is present;
                                     * 0: none (offset 0 is the arena, never a flag) */
    int (*item)(loader *l, const kh_node *n, void *target);  /* V_LIST, V_STRING */
    int (*pair)(loader *l, const kh_pair *p, void *target);  /* V_MAP */
} field;

struct section {
    const char *name;               /* key prefix in messages ("" at the root) */
    const char *label;              /* names the mapping in "must be" errors */
    const char *shape;              /* what it must be: "a mapping with ..." */
    const field *fields;
    size_t nfields;
    bool nonempty;                  /* an empty mapping is refused too (shape error) */
    size_t entry_size;              /* V_ENTRIES: a zeroed scratch entry of this size... */
    int (*done)(loader *l, const kh_node *map, void *target); /* ...checked and kept here */
};

static int failf(loader *l, const kh_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(loader *l, const kh_node *at, const char *fmt, ...)
{
    char msg[sizeof(l->err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kh_error_set(l->err, KH_ECONFIG, l->file, at ? at->line : 0, at ? at->col : 0,
                        "%s", msg);
}

static int oom(loader *l)
{
    return kh_error_set(l->err, KH_ENOMEM, l->file, 0, 0, "out of memory");
}

static int is_text(const kh_node *n)
{
    return n && kh_node_is_scalar(n) && n->type != KH_NODE_NULL;
}

/* "a, b or c" from a list of @p n words, into @p buf. */
static const char *word_list(char *buf, size_t size, const char *const *words, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int k = snprintf(buf + used, size - used, "%s%s", sep, words[i]);
        used += k > 0 ? (size_t)k : 0;
    }
    return buf;
}

static const char *field_keys(char *buf, size_t size, const section *sec)
{
    const char *keys[16];
    size_t n = sec->nfields < 16 ? sec->nfields : 16;
    for (size_t i = 0; i < n; i++)
        keys[i] = sec->fields[i].key;
    return word_list(buf, size, keys, n);
}

static void *at_offset(void *target, size_t offset)
{
    return (char *)target + offset;
}

static int load_section(loader *l, const section *sec, const kh_node *map, void *target);

static int load_string(loader *l, const field *f, const char *path, const kh_node *v,
                       void *target)
{
    if (!is_text(v) || (f->nonempty && !*kh_node_str(v)))
        return failf(l, v, "%s must be %s", path,
                     f->what ? f->what : f->nonempty ? "a non-empty string" : "a string");
    const char *s = kh_node_str(v);
    if (f->allowed) {
        size_t n = 0;
        while (f->allowed[n] && strcmp(f->allowed[n], s) != 0)
            n++;
        if (!f->allowed[n]) {
            char words[128];
            while (f->allowed[n])
                n++;
            return failf(l, v, "unknown %s '%s' (use %s)", path, s,
                         word_list(words, sizeof(words), f->allowed, n));
        }
    }
    if (f->item)
        return f->item(l, v, target);
    memcpy(at_offset(target, f->offset), &s, sizeof(s));
    return KH_OK;
}

static int load_entries(loader *l, const field *f, const char *path, const kh_node *seq)
{
    if (!kh_node_is_seq(seq))
        return failf(l, seq, "%s must be %s", path, f->what ? f->what : "a list");
    for (size_t i = 0; i < seq->len; i++) {
        void *entry = kh_arena_calloc(&l->cfg->arena, 1, f->section->entry_size);
        if (!entry)
            return oom(l);
        const kh_node *map = kh_node_at(seq, i);
        int rc = load_section(l, f->section, map, entry);
        if (!rc)
            rc = f->section->done(l, map, entry);
        if (rc)
            return rc;
    }
    return KH_OK;
}

static int load_value(loader *l, const field *f, const char *path, const kh_node *v,
                      void *target)
{
    kh_severity sev;
    bool b;
    if (f->given)
        *(bool *)at_offset(l->cfg, f->given) = true;
    switch (f->type) {
    case V_SECTION:
        return load_section(l, f->section, v, target);
    case V_ENTRIES:
        return load_entries(l, f, path, v);
    case V_LIST:
        if (!kh_node_is_seq(v))
            return failf(l, v, "%s must be %s", path, f->what ? f->what : "a list");
        for (size_t i = 0; i < v->len; i++) {
            int rc = f->item(l, kh_node_at(v, i), target);
            if (rc)
                return rc;
        }
        return KH_OK;
    case V_MAP:
        if (!kh_node_is_map(v))
            return failf(l, v, "%s must be %s", path, f->what ? f->what : "a mapping");
        for (size_t i = 0; i < v->len; i++) {
            int rc = f->pair(l, &v->u.pairs[i], target);
            if (rc)
                return rc;
        }
        return KH_OK;
    case V_STRING:
        return load_string(l, f, path, v, target);
    case V_BOOL:
        if (v->type != KH_NODE_BOOL)
            return failf(l, v, "%s must be true or false", path);
        b = kh_node_is_true(v);
        memcpy(at_offset(target, f->offset), &b, sizeof(b));
        return KH_OK;
    case V_SEVERITY:
        if (!is_text(v) || kh_severity_parse(&sev, kh_node_str(v)) != KH_OK)
            return failf(l, v, "unknown severity '%s' (use info, low, medium, high or critical)",
                         is_text(v) ? kh_node_str(v) : "");
        memcpy(at_offset(target, f->offset), &sev, sizeof(sev));
        return KH_OK;
    }
    return KH_OK;
}

static int load_section(loader *l, const section *sec, const kh_node *map, void *target)
{
    if (!kh_node_is_map(map) || (sec->nonempty && map->len == 0))
        return failf(l, map, "%s must be %s", sec->label, sec->shape);
    for (size_t i = 0; i < map->len; i++) {
        const kh_pair *p = &map->u.pairs[i];
        const char *key = kh_node_str(p->key);
        const field *f = NULL;
        for (size_t k = 0; key && k < sec->nfields && !f; k++)
            if (strcmp(key, sec->fields[k].key) == 0)
                f = &sec->fields[k];
        char path[128];
        snprintf(path, sizeof(path), "%s%s%s", sec->name, *sec->name ? "." : "",
                 key ? key : "?");
        if (!f) {
            char keys[192];
            return failf(l, p->key, "unknown key '%s' (expected %s)", path,
                         field_keys(keys, sizeof(keys), sec));
        }
        int rc = load_value(l, f, path, p->value, target);
        if (rc)
            return rc;
    }
    return KH_OK;
}

/* --------------------------------------------------------------- rules: */

static int lookup_rule(loader *l, const kh_node *n, size_t *index)
{
    if (!is_text(n))
        return failf(l, n, "a rule id must be a string");
    const kh_rule_def *def = kh_rules__find(kh_node_str(n));
    if (!def)
        return failf(l, n, "unknown rule '%s'", kh_node_str(n));
    *index = rule_index(def);
    return KH_OK;
}

static int disable_rule(loader *l, const kh_node *n, void *target)
{
    kh_config *cfg = target;
    size_t idx = 0;
    int rc = lookup_rule(l, n, &idx);
    if (!rc)
        cfg->enabled[idx] = 0;
    return rc;
}

static int rule_severity(loader *l, const kh_pair *p, void *target)
{
    kh_config *cfg = target;
    kh_severity sev;
    size_t idx = 0;
    int rc = lookup_rule(l, p->key, &idx);
    if (rc)
        return rc;
    if (!is_text(p->value))
        return failf(l, p->value,
                     "a severity must be one of info, low, medium, high, critical");
    if (kh_severity_parse(&sev, kh_node_str(p->value)) != KH_OK)
        return failf(l, p->value, "unknown severity '%s' (use info, low, medium, high or critical)",
                     kh_node_str(p->value));
    cfg->severity[idx] = (signed char)sev;
    return KH_OK;
}

static const field rules_fields[] = {
    {"disable", V_LIST, .what = "a list of rule ids", .item = disable_rule},
    {"severity", V_MAP, .what = "a mapping of rule id to severity", .pair = rule_severity},
};
static const section rules_section = {
    "rules", "rules", "a mapping", rules_fields, sizeof(rules_fields) / sizeof(field),
};

/* ------------------------------------------------------------- exclude: */

static int keep_exclude(loader *l, const kh_node *map, void *target)
{
    (void)map;
    kh_exclude *e = kh_array__push(&l->cfg->arena, &l->cfg->excludes, &l->cfg->nexcludes,
                                   sizeof(*e));
    if (!e)
        return oom(l);
    *e = *(kh_exclude *)target;
    return KH_OK;
}

static const field exclude_fields[] = {
    {"namespace", V_STRING, offsetof(kh_exclude, namespace_), .what = "a string (a glob)"},
    {"kind", V_STRING, offsetof(kh_exclude, kind), .what = "a string (a glob)"},
    {"name", V_STRING, offsetof(kh_exclude, name), .what = "a string (a glob)"},
};
static const section exclude_section = {
    "exclude", "each exclude entry", "a mapping with namespace, kind and/or name",
    exclude_fields, sizeof(exclude_fields) / sizeof(field), .nonempty = true,
    .entry_size = sizeof(kh_exclude), .done = keep_exclude,
};

/* ----------------------------------------------------------------- pss: */

static const char *const pss_levels[] = {"baseline", "restricted", NULL};

static int pss_level(loader *l, const kh_node *n, void *target)
{
    (void)l;
    return kh_config_set_pss(target, kh_node_str(n), NULL, NULL);
}

static int pss_version(loader *l, const kh_node *n, void *target)
{
    kh_error e = {0};
    if (kh_config_set_pss(target, NULL, kh_node_str(n), &e))
        return failf(l, n, "%s", e.message);
    return KH_OK;
}

static const field pss_fields[] = {
    {"level", V_STRING, .allowed = pss_levels, .item = pss_level},
    {"version", V_STRING, .item = pss_version},
};
static const section pss_section = {
    "pss", "pss", "a mapping with level and/or version", pss_fields,
    sizeof(pss_fields) / sizeof(field),
};

/* -------------------------------------------------------------- images: */

/* "host[:port][/path]" with an optional "*." before the host: the host
 * must be recognisable as one (see kh_imageref_parse) so that "nginx" is
 * refused rather than trusting nothing. */
static int trust_registry(loader *l, const kh_node *n, void *target)
{
    kh_policy *p = &((kh_config *)target)->policy;
    if (!is_text(n))
        return failf(l, n, "images.trustedRegistries entry must be a string");
    const char *entry = kh_node_str(n);
    if (!kh_imageref_prefix_valid(entry))
        return failf(l, n,
                     "trusted registry '%s' must be a registry host with an optional "
                     "path (registry.example/team; Docker Hub is docker.io)",
                     entry);
    if (strncmp(entry, "index.docker.io", 15) == 0 && (!entry[15] || entry[15] == '/'))
        entry = kh_arena_printf(&l->cfg->arena, "docker.io%s", entry + 15);
    const char **slot = kh_array__push(&l->cfg->arena, &p->registries, &p->nregistries,
                                       sizeof(char *));
    if (!entry || !slot)
        return oom(l);
    *slot = entry;
    return KH_OK;
}

static int keep_signer(loader *l, const kh_node *map, void *target)
{
    kh_policy *p = &l->cfg->policy;
    const kh_signer *s = target;
    if (s->key && (s->issuer || s->subject))
        return failf(l, map, "an images.trustedSigners entry gives either key, or issuer "
                             "and subject, not both");
    if (!s->key && (!s->issuer || !s->subject))
        return failf(l, map, "an images.trustedSigners entry needs both issuer and %s",
                     s->issuer ? "subject" : "issuer");
    kh_signer *kept = kh_array__push(&l->cfg->arena, &p->signers, &p->nsigners, sizeof(*kept));
    if (!kept)
        return oom(l);
    *kept = *s;
    return KH_OK;
}

typedef int (*evidence_fn)(kh_config *cfg, const char *path, const char *label,
                           kh_error *err);

/* Load one evidence file named in the configuration, relative to its
 * directory. A bad file is an error at its entry quoting the file's own
 * position. The file must be a regular one: a repository's configuration
 * naming /dev/stdin or a FIFO would otherwise hang the scan. */
static int evidence_file(loader *l, const kh_node *n, evidence_fn load)
{
    if (!is_text(n) || !*kh_node_str(n))
        return failf(l, n, "each entry must be a file name");
    const char *name = kh_node_str(n);
    const char *path = name[0] == '/' || !l->dir
                           ? name
                           : kh_arena_printf(&l->cfg->arena, "%s/%s", l->dir, name);
    if (!path)
        return oom(l);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return failf(l, n, "'%s' is not a regular file", name);
    kh_error e = {0};
    if (load(l->cfg, path, name, &e) == KH_OK)
        return KH_OK;
    if (e.line)
        return failf(l, n, "in '%s' at %u:%u: %s", name, e.line, e.col, e.message);
    return failf(l, n, "%s", e.message);
}

static int signature_file(loader *l, const kh_node *n, void *target)
{
    (void)target;
    return evidence_file(l, n, kh_config__load_signatures);
}

static int vuln_report_file(loader *l, const kh_node *n, void *target)
{
    (void)target;
    return evidence_file(l, n, kh_config__load_vuln_report);
}

static const field signer_fields[] = {
    {"issuer", V_STRING, offsetof(kh_signer, issuer), .nonempty = true},
    {"subject", V_STRING, offsetof(kh_signer, subject), .nonempty = true},
    {"key", V_STRING, offsetof(kh_signer, key), .nonempty = true},
};
static const section signer_section = {
    "images.trustedSigners", "each images.trustedSigners entry",
    "a mapping with issuer and subject, or key", signer_fields,
    sizeof(signer_fields) / sizeof(field), .nonempty = true,
    .entry_size = sizeof(kh_signer), .done = keep_signer,
};

static const field vuln_fields[] = {
    {"failOn", V_SEVERITY, offsetof(kh_config, policy.vuln_fail_on)},
    {"reports", V_LIST, .what = "a list of files", .item = vuln_report_file},
    {"requireReport", V_BOOL, offsetof(kh_config, policy.vuln_require_report)},
};
static const section vuln_section = {
    "images.vulnerabilities", "images.vulnerabilities", "a mapping", vuln_fields,
    sizeof(vuln_fields) / sizeof(field),
};

static const field images_fields[] = {
    {"trustedRegistries", V_LIST, .what = "a list of registries", .item = trust_registry,
     .given = offsetof(kh_config, policy.registries_set)},
    {"trustedSigners", V_ENTRIES, .section = &signer_section,
     .given = offsetof(kh_config, policy.signers_set)},
    {"signatures", V_LIST, .what = "a list of files", .item = signature_file},
    {"vulnerabilities", V_SECTION, .section = &vuln_section},
};
static const section images_section = {
    "images", "images", "a mapping", images_fields, sizeof(images_fields) / sizeof(field),
};

/* ----------------------------------------------------------- workloads: */

typedef struct template_entry {
    const char *group, *kind, *path, *spec_path;
} template_entry;

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

static int dotted_path(loader *l, const kh_node *n, const char **out)
{
    const char *s = kh_node_str(n);
    if (!dotted_path_valid(s))
        return failf(l, n, "bad field path '%s' (use field names joined by '.', e.g. "
                           "spec.template)",
                     s);
    *out = s;
    return KH_OK;
}

static int template_path(loader *l, const kh_node *n, void *target)
{
    return dotted_path(l, n, &((template_entry *)target)->path);
}

static int template_spec_path(loader *l, const kh_node *n, void *target)
{
    return dotted_path(l, n, &((template_entry *)target)->spec_path);
}

static int keep_template(loader *l, const kh_node *map, void *target)
{
    kh_policy *p = &l->cfg->policy;
    const template_entry *e = target;
    if (!e->group || !e->kind)
        return failf(l, map, "a workloads.podTemplates entry needs %s",
                     !e->group ? "apiGroup" : "kind");
    if (!e->path == !e->spec_path)
        return failf(l, map, "a workloads.podTemplates entry needs exactly one of path (a "
                             "pod template) and specPath (a pod spec)");
    kh_pod_template_loc *t = kh_array__push(&l->cfg->arena, &p->templates, &p->ntemplates,
                                            sizeof(*t));
    if (!t)
        return oom(l);
    t->group = e->group;
    t->kind = e->kind;
    t->spec = e->spec_path ? e->spec_path
                           : kh_arena_printf(&l->cfg->arena, "%s.spec", e->path);
    t->meta = e->spec_path ? NULL : kh_arena_printf(&l->cfg->arena, "%s.metadata", e->path);
    return t->spec && (e->spec_path || t->meta) ? KH_OK : oom(l);
}

static const field template_fields[] = {
    {"apiGroup", V_STRING, offsetof(template_entry, group)},
    {"kind", V_STRING, offsetof(template_entry, kind)},
    {"path", V_STRING, .item = template_path},
    {"specPath", V_STRING, .item = template_spec_path},
};
static const section template_section = {
    "workloads.podTemplates", "each workloads.podTemplates entry",
    "a mapping with apiGroup, kind and path", template_fields,
    sizeof(template_fields) / sizeof(field),
    .entry_size = sizeof(template_entry), .done = keep_template,
};

static const field workloads_fields[] = {
    {"podTemplates", V_ENTRIES, .section = &template_section},
};
static const section workloads_section = {
    "workloads", "workloads", "a mapping", workloads_fields,
    sizeof(workloads_fields) / sizeof(field),
};

/* ------------------------------------------------------------ admission: */

static const char *const admission_levels[] = {"privileged", "baseline", "restricted", NULL};
static const char *const admission_modes[] = {"enforce", "warn", "audit", NULL};
static const char *const template_modes[] = {"warn", "enforce", NULL};

static int keep_string(loader *l, const kh_node *n, const char ***arr, size_t *count,
                       const char *what)
{
    if (!is_text(n) || !*kh_node_str(n))
        return failf(l, n, "each %s entry must be a non-empty string", what);
    const char **slot = kh_array__push(&l->cfg->arena, arr, count, sizeof(char *));
    if (!slot)
        return oom(l);
    *slot = kh_node_str(n);
    return KH_OK;
}

static int exempt_user(loader *l, const kh_node *n, void *target)
{
    kh_admission_cfg *a = &((kh_config *)target)->admission;
    return keep_string(l, n, &a->exempt_users, &a->nexempt_users,
                       "admission.exemptions.usernames");
}

static int exempt_namespace(loader *l, const kh_node *n, void *target)
{
    kh_admission_cfg *a = &((kh_config *)target)->admission;
    return keep_string(l, n, &a->exempt_namespaces, &a->nexempt_namespaces,
                       "admission.exemptions.namespaces");
}

static int exempt_runtime_class(loader *l, const kh_node *n, void *target)
{
    kh_admission_cfg *a = &((kh_config *)target)->admission;
    return keep_string(l, n, &a->exempt_runtime_classes, &a->nexempt_runtime_classes,
                       "admission.exemptions.runtimeClasses");
}

static const field exemption_fields[] = {
    {"usernames", V_LIST, .what = "a list of user names", .item = exempt_user},
    {"namespaces", V_LIST, .what = "a list of namespaces", .item = exempt_namespace},
    {"runtimeClasses", V_LIST, .what = "a list of RuntimeClass names",
     .item = exempt_runtime_class},
};
static const section exemption_section = {
    "admission.exemptions", "admission.exemptions",
    "a mapping with usernames, namespaces and/or runtimeClasses", exemption_fields,
    sizeof(exemption_fields) / sizeof(field),
};

static int ns_level(loader *l, const kh_node *n, void *target)
{
    (void)l;
    ((kh_admission_ns *)target)->level = kh_admission__level_parse(kh_node_str(n)) + 1;
    return KH_OK;
}

static int ns_version(loader *l, const kh_node *n, void *target)
{
    if (!kh_admission__version_valid(kh_node_str(n)))
        return failf(l, n, "bad Pod Security version '%s' (use latest or v1.N, e.g. v1.30)",
                     kh_node_str(n));
    ((kh_admission_ns *)target)->version = kh_node_str(n);
    return KH_OK;
}

static int ns_mode(loader *l, const kh_node *n, void *target)
{
    (void)l;
    kh_mode m = KH_MODE_ENFORCE;
    kh_mode_parse(&m, kh_node_str(n));
    ((kh_admission_ns *)target)->mode = (int)m + 1;
    return KH_OK;
}

static const field ns_fields[] = {
    {"level", V_STRING, .allowed = admission_levels, .item = ns_level},
    {"version", V_STRING, .item = ns_version},
    {"mode", V_STRING, .allowed = admission_modes, .item = ns_mode},
};
static const section ns_section = {
    "admission.namespaces.*", "each admission.namespaces entry",
    "a mapping with level, version and/or mode", ns_fields, sizeof(ns_fields) / sizeof(field),
    .nonempty = true,
};

static int admission_namespace(loader *l, const kh_pair *p, void *target)
{
    kh_admission_cfg *a = &((kh_config *)target)->admission;
    if (!is_text(p->key) || !*kh_node_str(p->key))
        return failf(l, p->key, "an admission.namespaces key must be a namespace name");
    kh_admission_ns entry = {.name = kh_node_str(p->key)};
    int rc = load_section(l, &ns_section, p->value, &entry);
    if (rc)
        return rc;
    kh_admission_ns *kept = kh_array__push(&l->cfg->arena, &a->namespaces, &a->nnamespaces,
                                           sizeof(*kept));
    if (!kept)
        return oom(l);
    *kept = entry;
    return KH_OK;
}

static int rule_mode(loader *l, const kh_pair *p, void *target)
{
    kh_config *cfg = target;
    size_t idx = 0;
    kh_mode m;
    int rc = lookup_rule(l, p->key, &idx);
    if (rc)
        return rc;
    size_t n;
    if (kh_rules__table(&n)[idx].pss_level != KH_PSS_PRIVILEGED)
        return failf(l, p->key,
                     "rule '%s' is a Pod Security check: its mode is the route's or the "
                     "namespace's (admission.namespaces), not a per-rule mode",
                     kh_node_str(p->key));
    if (!is_text(p->value) || kh_mode_parse(&m, kh_node_str(p->value)) != KH_OK)
        return failf(l, p->value, "unknown mode '%s' (use enforce, warn or audit)",
                     is_text(p->value) ? kh_node_str(p->value) : "");
    if (!cfg->admission.rule_mode &&
        !(cfg->admission.rule_mode = kh_arena_calloc(&cfg->arena, n + 1, 1)))
        return oom(l);
    cfg->admission.rule_mode[idx] = (unsigned char)(m + 1);
    return KH_OK;
}

static int default_rule_mode(loader *l, const kh_node *n, void *target)
{
    (void)l;
    kh_mode m = KH_MODE_AUDIT;
    kh_mode_parse(&m, kh_node_str(n));
    ((kh_config *)target)->admission.default_rule_mode = (int)m + 1;
    return KH_OK;
}

static int workload_templates(loader *l, const kh_node *n, void *target)
{
    (void)l;
    ((kh_config *)target)->admission.templates_enforce =
        strcmp(kh_node_str(n), "enforce") == 0;
    return KH_OK;
}

static const field admission_fields[] = {
    {"exemptions", V_SECTION, .section = &exemption_section},
    {"namespaces", V_MAP, .what = "a mapping of namespace name to level, version and mode",
     .pair = admission_namespace},
    {"workloadTemplates", V_STRING, .allowed = template_modes, .item = workload_templates},
    {"defaultRuleMode", V_STRING, .allowed = admission_modes, .item = default_rule_mode},
    {"ruleModes", V_MAP, .what = "a mapping of rule id to enforce, warn or audit",
     .pair = rule_mode},
};
static const section admission_section = {
    "admission", "admission", "a mapping", admission_fields,
    sizeof(admission_fields) / sizeof(field),
};

/* --------------------------------------------------------------- netpol: */

/* A netpol.isolation entry; sameNamespace is read from the mapping in
 * keep_isolation because it defaults to true. */
typedef struct isolation_entry {
    kh_netpol_isolation iso;
    bool same;
} isolation_entry;

/* Selector mappings are checked whole by kh_selector_compile. */
static int selector_pair(loader *l, const kh_pair *p, void *target)
{
    (void)l, (void)p, (void)target;
    return KH_OK;
}

/* "443", "53/UDP", "8000-8080/TCP". */
static int isolation_port(loader *l, const kh_node *n, void *target)
{
    isolation_entry *e = target;
    const char *s = is_text(n) ? kh_node_str(n) : "";
    char *end;
    long lo = strtol(s, &end, 10), hi = lo;
    if (*end == '-')
        hi = strtol(end + 1, &end, 10);
    int proto = 0;
    if (*end == '/') {
        const char *names[] = {"TCP", "UDP", "SCTP"};
        for (proto = 0; proto < 3 && strcasecmp(end + 1, names[proto]) != 0; proto++)
            ;
        end += strlen(end);
    }
    if (*end || s == end || lo < 1 || hi > 65535 || hi < lo || proto > 2)
        return failf(l, n, "bad netpol.isolation port '%s' (use 443, 53/UDP or 8000-8080/TCP)",
                     s);
    struct kh_netpol_port *p = kh_array__push(&l->cfg->arena, &e->iso.ports, &e->iso.nports,
                                              sizeof(*p));
    if (!p)
        return oom(l);
    *p = (struct kh_netpol_port){(uint8_t)proto, (uint16_t)lo, (uint16_t)hi};
    return KH_OK;
}

static int keep_isolation(loader *l, const kh_node *map, void *target)
{
    isolation_entry *e = target;
    const char *keys[] = {"namespaces", "allowFrom"};
    const kh_node *sel[2];
    for (int i = 0; i < 2; i++) {
        const kh_selector *out;
        kh_error err = {0};
        sel[i] = kh_node_get(map, keys[i]);
        if (!sel[i])
            return failf(l, map, "a netpol.isolation entry needs %s (a label selector)", keys[i]);
        if (kh_selector_compile(&out, sel[i], &l->cfg->arena, &err) != KH_OK)
            return kh_error_set(l->err, KH_ECONFIG, l->file, err.line, err.col,
                                "netpol.isolation %s: %s", keys[i], err.message);
    }
    e->iso.namespaces = sel[0];
    e->iso.allow_from = sel[1];
    e->iso.deny_same_namespace = kh_node_is_false(kh_node_get(map, "sameNamespace"));
    kh_policy *p = &l->cfg->policy;
    kh_netpol_isolation *slot = kh_array__push(&l->cfg->arena, &p->netpol_isolations,
                                               &p->nnetpol_isolations, sizeof(*slot));
    if (!slot)
        return oom(l);
    *slot = e->iso;
    return KH_OK;
}

static const field isolation_fields[] = {
    {"name", V_STRING, offsetof(isolation_entry, iso.name)},
    {"namespaces", V_MAP, .what = "a label selector", .pair = selector_pair},
    {"allowFrom", V_MAP, .what = "a label selector", .pair = selector_pair},
    {"ports", V_LIST, .what = "a list of ports (443, 53/UDP, 8000-8080/TCP)",
     .item = isolation_port},
    {"sameNamespace", V_BOOL, offsetof(isolation_entry, same)},
};
static const section isolation_section = {
    "netpol.isolation", "each netpol.isolation entry",
    "a mapping with namespaces, allowFrom and optional name, ports and sameNamespace",
    isolation_fields, sizeof(isolation_fields) / sizeof(field),
    .entry_size = sizeof(isolation_entry), .done = keep_isolation,
};

static const field netpol_fields[] = {
    {"isolation", V_ENTRIES, .section = &isolation_section},
};
static const section netpol_section = {
    "netpol", "netpol", "a mapping", netpol_fields, sizeof(netpol_fields) / sizeof(field),
};

/* ---------------------------------------------------------------- watch: */

/* Each key of `watch:` is read by the watcher's own table (src/watch). */
static int watch_pair(loader *l, const kh_pair *p, void *target)
{
    kh_config *cfg = target;
    return kh_watch__config_pair(&cfg->arena, &cfg->policy.watch, p, l->file, l->err);
}

/* ----------------------------------------------------------------- root */

static const field root_fields[] = {
    {"rules", V_SECTION, .section = &rules_section},
    {"exclude", V_ENTRIES, .section = &exclude_section},
    {"pss", V_SECTION, .section = &pss_section},
    {"images", V_SECTION, .section = &images_section},
    {"workloads", V_SECTION, .section = &workloads_section},
    {"admission", V_SECTION, .section = &admission_section},
    {"netpol", V_SECTION, .section = &netpol_section},
    {"watch", V_MAP, .what = "a mapping (docs/watch.md)", .pair = watch_pair},
};
static const section root_section = {
    "", "the configuration", "a mapping", root_fields, sizeof(root_fields) / sizeof(field),
};

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
    rc = kh_file__read(path, "config", KH_FILE_MAX_BYTES, &buf, &len, err);
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
    /* An empty file is a valid, empty configuration. */
    rc = !root || kh_node_is_null(root) ? KH_OK : load_section(&l, &root_section, root, cfg);
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
