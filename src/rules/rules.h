/*
 * rules.h -- the rule registry and the context a rule's check runs in.
 *
 * A rule is a registry row (public kh_rule_info) plus a pure function that
 * reads one object and reports findings through kh_rule__report. A check
 * never knows whether its object came from a file, stdin or a webhook
 * request, and it never allocates outside the context's arena.
 */
#ifndef KH_RULES_H
#define KH_RULES_H

#include "k8s/k8s.h"
#include "kubeharden.h"

typedef struct kh_rule_ctx kh_rule_ctx;
typedef void (*kh_rule_check_fn)(kh_rule_ctx *ctx, const kh_object *obj);

typedef struct kh_rule_def {
    kh_rule_info info;       /* first member: kh_rule_at returns &def->info */
    kh_rule_check_fn check;  /* per-object check */
} kh_rule_def;

/* The whole table, sorted by id. */
const kh_rule_def *kh_rules__table(size_t *count);
const kh_rule_def *kh_rules__find(const char *id);

/*
 * What a check sees besides its object: the arena for messages and paths
 * (document lifetime) and the sink. Defined by the scanner; rules use only
 * the functions below.
 */
typedef void (*kh_rule_sink_fn)(void *sink, const kh_rule_def *rule,
                                const kh_object *obj, const kh_node *at,
                                const char *path, const char *message);

struct kh_rule_ctx {
    const kh_rule_def *rule;     /* the rule being run */
    kh_arena *arena;             /* per-document scratch */
    kh_rule_sink_fn sink;
    void *sink_ud;
    int pss_minor;               /* Kubernetes 1.N whose PSS semantics apply */
};

/* Report a finding at node @p at (position) with field path @p path (the
 * object's path_prefix is added by the caller of the sink) and a printf
 * message. */
void kh_rule__report(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                     const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The key node of @p key in @p map (findings point at the field's key, as
 * an editor would), or NULL when absent. */
const kh_node *kh_rule__key(const kh_node *map, const char *key);

/* "spec.template.spec.containers[1]" + "." + suffix, in the ctx arena. */
const char *kh_rule__container_path(kh_rule_ctx *ctx, const kh_podspec *ps,
                                    const kh_container *c, const char *suffix);

/* Checks, one group per area file. */
void kh_pss__privileged(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__host_namespaces(kh_rule_ctx *ctx, const kh_object *obj);
void kh_pss__host_path_volumes(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__default_namespace(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__no_resource_limits(kh_rule_ctx *ctx, const kh_object *obj);
void kh_workload__no_resource_requests(kh_rule_ctx *ctx, const kh_object *obj);
void kh_image__tag_not_pinned(kh_rule_ctx *ctx, const kh_object *obj);

#endif
