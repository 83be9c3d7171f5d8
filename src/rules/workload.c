/*
 * workload.c -- workload hardening beyond the Pod Security Standards:
 * namespaces and resource requests/limits.
 */
#include <string.h>

#include "rules/rules.h"

void kh_workload__default_namespace(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (strcmp(obj->namespace_, "default") != 0 || !kh_object_podspec(obj, &ps))
        return;
    kh_rule__report(ctx, obj, kh_rule__key(obj->metadata, "namespace"),
                    "metadata.namespace", "%s \"%s\" runs in the default namespace",
                    obj->kind, obj->name);
}

/* Which of cpu and memory are missing from resources.<section>: "", "cpu",
 * "memory" or "cpu and memory". A null value counts as missing. */
static const char *missing_resources(const kh_node *container, const char *section)
{
    const kh_node *s = kh_node_get(kh_node_get(container, "resources"), section);
    int no_cpu = kh_node_is_null(kh_node_get(s, "cpu"));
    int no_mem = kh_node_is_null(kh_node_get(s, "memory"));
    if (no_cpu && no_mem)
        return "CPU or memory";
    if (no_cpu)
        return "CPU";
    if (no_mem)
        return "memory";
    return NULL;
}

static void check_resources(kh_rule_ctx *ctx, const kh_object *obj,
                            const char *section, const char *noun)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        /* Ephemeral containers may not set resources at all. */
        if (c.kind == KH_CONTAINER_EPHEMERAL)
            continue;
        const char *missing = missing_resources(c.node, section);
        if (!missing)
            continue;
        const kh_node *res = kh_node_get(c.node, "resources");
        const kh_node *at = kh_rule__key(res, section);
        if (!at)
            at = kh_rule__key(c.node, "resources");
        char suffix[32];
        strcpy(suffix, "resources.");
        strcat(suffix, section);
        kh_rule__report(ctx, obj, at ? at : c.node,
                        kh_rule__container_path(ctx, &ps, &c, suffix),
                        "container \"%s\" has no %s %s", c.name, missing, noun);
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
