/*
 * config.h -- the parsed configuration as the scanner reads it, and the
 * loaders of the evidence files it points at (evidence.c).
 */
#ifndef KH_SCAN_CONFIG_H
#define KH_SCAN_CONFIG_H

#include "core/arena.h"
#include "k8s/k8s.h"
#include "kubeharden.h"
#include "rules/policy.h"

typedef struct kh_exclude {
    const char *namespace_;   /* fnmatch(3) globs; NULL = any */
    const char *kind;
    const char *name;
} kh_exclude;

/* The admission: section (docs/admission.md). Levels and modes are stored
 * plus one so that a zeroed value means "not set". */
typedef struct kh_admission_ns {
    const char *name;         /* the namespace, exactly */
    int level;                /* kh_pss_level + 1; 0: the route's */
    const char *version;      /* NULL: the route's */
    int mode;                 /* kh_mode + 1; 0: the route's */
} kh_admission_ns;

typedef struct kh_admission_cfg {
    const char **exempt_users, **exempt_namespaces, **exempt_runtime_classes;
    size_t nexempt_users, nexempt_namespaces, nexempt_runtime_classes;
    kh_admission_ns *namespaces;
    size_t nnamespaces;
    unsigned char *rule_mode; /* per registry index: kh_mode + 1, 0: default_rule_mode;
                               * NULL until a rule is given */
    int default_rule_mode;    /* kh_mode + 1; 0: audit */
    int templates_enforce;    /* workloadTemplates: enforce */
} kh_admission_cfg;

struct kh_config {
    kh_arena arena;
    unsigned char *enabled;   /* per registry index */
    signed char *severity;    /* per registry index: -1 = the rule's default */
    kh_exclude *excludes;
    size_t nexcludes;
    int only_rules;           /* kh_config_only_rule has been called */
    unsigned only_areas;      /* kh_config_only_area: bit 1 << area of each area
                               * that runs; 0 runs every area */
    int pss_restricted;       /* 1: restricted (default), 0: baseline only */
    int pss_minor;            /* Kubernetes 1.N whose PSS checks apply; KH_PSS_LATEST */
    int pss_minor_set;        /* the PSS version was given (else it follows kube_minor) */
    int kube_minor;           /* the API server's Kubernetes 1.N; KH_PSS_LATEST */
    kh_policy policy;         /* images: and workloads: sections, evidence files */
    kh_admission_cfg admission; /* admission: section */
};

/* The newest Kubernetes minor version whose Pod Security checks we model;
 * "latest" and any newer version mean this one. */
#define KH_PSS_LATEST 1000

/* "latest" or "v1.N" into N (KH_PSS_LATEST for latest and anything newer);
 * -1 when malformed. */
int kh_config__pss_minor(const char *version);

/* Is rule #i enabled, and with which severity? */
int kh_config__enabled(const kh_config *cfg, size_t rule_index);
kh_severity kh_config__severity(const kh_config *cfg, size_t rule_index);
/* Did the configuration set rule #i's severity (rules.severity)? */
int kh_config__severity_overridden(const kh_config *cfg, size_t rule_index);
/* Does an exclusion match this object? */
int kh_config__excluded(const kh_config *cfg, const kh_object *obj);

/*
 * Evidence loaders (evidence.c). Each reads one file with the manifest
 * loader (JSON is YAML) and appends to cfg->policy; on a bad file @p err
 * names file:line:col and the policy is left as it was before the call.
 * @p label names the file in errors (the path as the user gave it).
 */
int kh_config__load_vuln_report(kh_config *cfg, const char *path, const char *label,
                                kh_error *err);
int kh_config__load_signatures(kh_config *cfg, const char *path, const char *label,
                               kh_error *err);

#endif
