/*
 * config.h -- the parsed configuration as the scanner reads it.
 */
#ifndef KH_SCAN_CONFIG_H
#define KH_SCAN_CONFIG_H

#include "core/arena.h"
#include "k8s/k8s.h"
#include "kubeharden.h"

typedef struct kh_exclude {
    const char *namespace_;   /* fnmatch(3) globs; NULL = any */
    const char *kind;
    const char *name;
} kh_exclude;

struct kh_config {
    kh_arena arena;
    unsigned char *enabled;   /* per registry index */
    signed char *severity;    /* per registry index: -1 = the rule's default */
    kh_exclude *excludes;
    size_t nexcludes;
    int only_rules;           /* kh_config_only_rule has been called */
    int pss_restricted;       /* 1: restricted (default), 0: baseline only */
    int pss_minor;            /* Kubernetes 1.N whose PSS checks apply; KH_PSS_LATEST */
};

/* The newest Kubernetes minor version whose Pod Security checks we model;
 * "latest" and any newer version mean this one. */
#define KH_PSS_LATEST 1000

/* Is rule #i enabled, and with which severity? */
int kh_config__enabled(const kh_config *cfg, size_t rule_index);
kh_severity kh_config__severity(const kh_config *cfg, size_t rule_index);
/* Does an exclusion match this object? */
int kh_config__excluded(const kh_config *cfg, const kh_object *obj);

#endif
