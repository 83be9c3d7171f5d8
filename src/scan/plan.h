/*
 * plan.h -- the rules a scan runs, decided once per scanner or evaluation.
 */
#ifndef KH_SCAN_PLAN_H
#define KH_SCAN_PLAN_H

#include <stdbool.h>

#include "rules/rules.h"
#include "scan/config.h"

/* More kinds than any set of analyses needs (RBAC, NetworkPolicy and HA
 * together name about twenty). */
#define KH_PLAN_MAX_KINDS 64

#define KH_PLAN_MAX_FIELDS 64 /* kh_object_clone takes up to 65 */

/* What the set rules need of one kind: the whole object, or only these
 * fields (besides identity and metadata; see kh_object_clone). */
typedef struct kh_keep_kind {
    const char *kind;
    bool whole;
    const char *fields[KH_PLAN_MAX_FIELDS];
    size_t nfields;
} kh_keep_kind;

typedef struct kh_rule_plan {
    kh_pss_level level;          /* Pod Security rules above it do not run */
    int minor;                   /* policy version 1.N */
    const kh_rule_def **object_rules, **envelope_rules, **set_rules; /* registry order */
    size_t nobject, nenvelope, nset;
    kh_keep_kind *keep;          /* what the set rules need kept: KH_PLAN_MAX_KINDS
                                  * entries, allocated only when a set rule runs
                                  * (a plan is built per admission review) */
    size_t nkinds;
    bool keep_every_kind;        /* kh_plan__keep_only(p, NULL) */
} kh_rule_plan;

/* A rule runs when the configuration enables it, its Pod Security level is
 * at most @p level, and no enabled restricted rule replaces it at @p minor.
 * @return 0 or KH_ENOMEM. */
int kh_plan__build(kh_rule_plan *p, const kh_config *cfg, kh_pss_level level, int minor);
/* Turn @p p into a plan that runs no rule and keeps whole objects of
 * @p kinds (NULL-terminated; NULL: every kind), for an analysis that reads
 * the object set itself (kh_cluster). @return 0 or KH_ENOMEM. */
int kh_plan__keep_only(kh_rule_plan *p, const char *const *kinds);
/* What of an object of @p kind the set rules need kept; NULL: nothing. */
const kh_keep_kind *kh_plan__keeps(const kh_rule_plan *p, const char *kind);
void kh_plan__free(kh_rule_plan *p);

#endif
