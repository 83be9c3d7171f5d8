/*
 * pss.c -- Pod Security Standards controls.
 *
 * Each check reads the pod spec the model extracted (any workload kind) and
 * reports per offending field, with messages worded like the Pod Security
 * admission controller's own. Booleans are read as Kubernetes reads them:
 * `privileged: yes` is true, `privileged: "yes"` is a string and is not.
 */
#include "rules/rules.h"

void kh_pss__privileged(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        const kh_node *sc = kh_node_get(c.node, "securityContext");
        const kh_node *priv = kh_node_get(sc, "privileged");
        if (!kh_node_is_true(priv))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(sc, "privileged"),
                        kh_rule__container_path(ctx, &ps, &c, "securityContext.privileged"),
                        "privileged (container \"%s\" must not set "
                        "securityContext.privileged=true)", c.name);
    }
}

void kh_pss__host_namespaces(kh_rule_ctx *ctx, const kh_object *obj)
{
    static const char *const fields[] = {"hostNetwork", "hostPID", "hostIPC"};
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const kh_node *v = kh_node_get(ps.spec, fields[i]);
        if (!kh_node_is_true(v))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(ps.spec, fields[i]),
                        kh_arena_printf(ctx->arena, "%s.%s", ps.path, fields[i]),
                        "host namespaces (%s=true)", fields[i]);
    }
}

void kh_pss__host_path_volumes(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    const kh_node *volumes = kh_node_get(ps.spec, "volumes");
    if (!kh_node_is_seq(volumes))
        return;
    for (size_t i = 0; i < volumes->len; i++) {
        const kh_node *vol = kh_node_at(volumes, i);
        const kh_node *hp = kh_node_get(vol, "hostPath");
        /* `hostPath: null` is no volume source at all; anything else,
         * even an empty mapping, is a hostPath volume to the API server. */
        if (!hp || kh_node_is_null(hp))
            continue;
        const char *name = kh_node_str(kh_node_get(vol, "name"));
        kh_rule__report(ctx, obj, kh_rule__key(vol, "hostPath"),
                        kh_arena_printf(ctx->arena, "%s.volumes[%zu].hostPath", ps.path, i),
                        "hostPath volumes (volume \"%s\")", name ? name : "");
    }
}
