/*
 * pss_restricted.c -- Pod Security Standards, restricted level.
 *
 * The controls the restricted level adds on top of baseline, each mirroring
 * an upstream check (k8s.io/pod-security-admission/policy) at policy
 * version v1.<ctx->pss_minor>: checks that did not exist yet at that
 * version do not run, and the Windows (v1.25) and user-namespace (v1.35)
 * exemptions apply from their versions on. The scanner skips these rules
 * at --pss-level baseline.
 *
 * Inheritance follows upstream: a pod-level runAsNonRoot or seccompProfile
 * covers the containers that do not set their own, a container's own value
 * wins over the pod's, and a bad pod-level value is reported once at the
 * pod (the containers that inherit it are not reported again).
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

/* ------------------------------------------------------------------------
 * Which pods a check applies to
 * ---------------------------------------------------------------------- */

/* The pod, when the restricted check that first applies at policy version
 * v1.@p since runs for it: NULL before that version, and for Windows pods
 * from v1.25 when @p windows_exempt. */
static const kh_pss_pod *checked_pod(kh_rule_ctx *ctx, const kh_object *obj, int since,
                                     bool windows_exempt)
{
    if (ctx->pss_minor < since)
        return NULL;
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    if (pod && windows_exempt && ctx->pss_minor >= 25 && kh_pss__windows(&pod->ps))
        return NULL;
    return pod;
}

/* The same, and not for pods with hostUsers: false from v1.35. */
static const kh_pss_pod *host_users_pod(kh_rule_ctx *ctx, const kh_object *obj, int since)
{
    const kh_pss_pod *pod = checked_pod(ctx, obj, since, false);
    if (pod && ctx->pss_minor >= 35 && kh_pss__user_namespace(&pod->ps))
        return NULL;
    return pod;
}

/* ------------------------------------------------------------------------
 * Volume types (check_restrictedVolumes: v1.0)
 * ---------------------------------------------------------------------- */

/* A volume with any of these sources passes, whatever else it sets. The
 * image source was added to the v1.0 check in Kubernetes 1.33, so it is
 * allowed at every policy version. */
static const char *const allowed_volumes[] = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "image", "persistentVolumeClaim", "projected", "secret",
};

/* The sources upstream forbids, in the order it tests them: every other
 * source of the current Volume API. */
static const char *const restricted_volumes[] = {
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
    "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
    "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
    "scaleIO", "storageos",
};

static const char *first_source(const kh_node *vol, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (kh_pss__present(kh_node_get(vol, keys[i])))
            return keys[i];
    return NULL;
}

#define FIRST_SOURCE(vol, keys) first_source((vol), (keys), sizeof(keys) / sizeof((keys)[0]))

void kh_pss__volume_types(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    const kh_node *volumes = pod ? kh_node_get(pod->ps.spec, "volumes") : NULL;
    for (size_t i = 0; kh_node_is_seq(volumes) && i < volumes->len; i++) {
        const kh_node *vol = kh_node_at(volumes, i);
        /* A volume with no source the API knows (only a name, null sources,
         * a misspelt key the decoder drops) is defaulted to emptyDir by the
         * API server before Pod Security sees it (SetDefaults_Volume), so
         * upstream's "unknown" type cannot occur. */
        const char *type = FIRST_SOURCE(vol, restricted_volumes);
        if (!type || FIRST_SOURCE(vol, allowed_volumes))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(vol, type),
                        kh_arena_printf(ctx->arena, "%s.volumes[%zu].%s", pod->ps.path, i, type),
                        "restricted volume types (volume \"%s\" uses restricted volume "
                        "type \"%s\")", kh_pss__str(kh_node_get(vol, "name")), type);
    }
}

/* ------------------------------------------------------------------------
 * Privilege escalation (check_allowPrivilegeEscalation: v1.8; v1.25
 * exempts Windows pods)
 * ---------------------------------------------------------------------- */

void kh_pss__privilege_escalation(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = checked_pod(ctx, obj, 8, true);
    for (size_t i = 0; pod && i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        if (kh_node_is_false(kh_node_get(pod->sc[i], "allowPrivilegeEscalation")))
            continue;
        kh_rule__report(ctx, obj,
                        kh_pss__deepest_key(c->node, "securityContext.allowPrivilegeEscalation",
                                            c->node),
                        kh_rule__container_path(ctx, &pod->ps, c,
                                                "securityContext.allowPrivilegeEscalation"),
                        "allowPrivilegeEscalation != false (container \"%s\" must set "
                        "securityContext.allowPrivilegeEscalation=false)", c->name);
    }
}

/* ------------------------------------------------------------------------
 * Running as non-root (check_runAsNonRoot: v1.0; v1.35 exempts pods with
 * hostUsers: false)
 * ---------------------------------------------------------------------- */

void kh_pss__run_as_non_root(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = host_users_pod(ctx, obj, 0);
    if (!pod)
        return;
    const kh_node *pod_value = kh_node_get(pod->psc, "runAsNonRoot");
    bool pod_set = kh_node_is_true(pod_value) || kh_node_is_false(pod_value);
    if (kh_node_is_false(pod_value))
        kh_rule__report(ctx, obj, kh_rule__key(pod->psc, "runAsNonRoot"),
                        kh_pss__pod_path(ctx, &pod->ps, "securityContext.runAsNonRoot"),
                        "runAsNonRoot != true (pod must not set "
                        "securityContext.runAsNonRoot=false)");
    for (size_t i = 0; i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        const kh_node *v = kh_node_get(pod->sc[i], "runAsNonRoot");
        const char *path = kh_rule__container_path(ctx, &pod->ps, c,
                                                   "securityContext.runAsNonRoot");
        if (kh_node_is_false(v))
            kh_rule__report(ctx, obj, kh_rule__key(pod->sc[i], "runAsNonRoot"), path,
                            "runAsNonRoot != true (container \"%s\" must not set "
                            "securityContext.runAsNonRoot=false)", c->name);
        else if (!kh_node_is_true(v) && !pod_set)
            kh_rule__report(ctx, obj,
                            kh_pss__deepest_key(c->node, "securityContext.runAsNonRoot", c->node),
                            path,
                            "runAsNonRoot != true (pod or container \"%s\" must set "
                            "securityContext.runAsNonRoot=true)", c->name);
    }
}

/* ------------------------------------------------------------------------
 * Running as a non-root user (check_runAsUser: v1.23; v1.35 exempts pods
 * with hostUsers: false). A pod-level 0 fails even when every container
 * sets another user.
 * ---------------------------------------------------------------------- */

static void run_as_user_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                            const kh_node *sc, const kh_container *c)
{
    int64_t uid;
    if (!kh_pss__int(kh_node_get(sc, "runAsUser"), &uid) || uid != 0)
        return;
    kh_rule__report(ctx, obj, kh_rule__key(sc, "runAsUser"),
                    c ? kh_rule__container_path(ctx, &pod->ps, c, "securityContext.runAsUser")
                      : kh_pss__pod_path(ctx, &pod->ps, "securityContext.runAsUser"),
                    "runAsUser=0 (%s must not set runAsUser=0)", kh_pss__who(ctx, c));
}

void kh_pss__run_as_user(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = host_users_pod(ctx, obj, 23);
    if (!pod)
        return;
    run_as_user_one(ctx, obj, pod, pod->psc, NULL);
    for (size_t i = 0; i < pod->n; i++)
        run_as_user_one(ctx, obj, pod, pod->sc[i], &pod->c[i]);
}

/* ------------------------------------------------------------------------
 * Seccomp (check_seccompProfile_restricted: v1.19; v1.25 exempts Windows
 * pods)
 * ---------------------------------------------------------------------- */

/* 1: a valid profile, -1: a profile with a forbidden type, 0: none. */
static int seccomp_state(const kh_pss_seccomp *sp)
{
    if (!sp->type)
        return 0;
    return kh_pss__seccomp_type_ok(sp->type) ? 1 : -1;
}

static void seccomp_bad(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_seccomp *sp,
                        const kh_container *c)
{
    kh_rule__report(ctx, obj, sp->at, sp->path,
                    "seccompProfile (%s must not set securityContext.seccompProfile.type "
                    "to \"%s\"%s)", kh_pss__who(ctx, c), sp->type,
                    sp->synced_from ? sp->synced_from : "");
}

/* Profiles are read through kh_pss__seccomp, so on a v1.19-v1.26 API
 * server a Pod's seccomp annotation counts as the field it becomes. */
void kh_pss__seccomp_restricted(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = checked_pod(ctx, obj, 19, true);
    if (!pod)
        return;
    kh_pss_seccomp pod_sp = kh_pss__seccomp(ctx, obj, pod, pod->psc, NULL);
    int pod_state = seccomp_state(&pod_sp);
    if (pod_state < 0)
        seccomp_bad(ctx, obj, &pod_sp, NULL);
    for (size_t i = 0; i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        kh_pss_seccomp sp = kh_pss__seccomp(ctx, obj, pod, pod->sc[i], c);
        int own = seccomp_state(&sp);
        if (own < 0)
            seccomp_bad(ctx, obj, &sp, c);
        else if (own == 0 && pod_state == 0)
            kh_rule__report(
                ctx, obj,
                kh_pss__deepest_key(c->node, "securityContext.seccompProfile.type", c->node),
                kh_rule__container_path(ctx, &pod->ps, c, "securityContext.seccompProfile.type"),
                "seccompProfile (pod or container \"%s\" must set "
                "securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
                c->name);
    }
}

/* ------------------------------------------------------------------------
 * Capabilities (check_capabilities_restricted: v1.22; v1.25 exempts
 * Windows pods). "ALL" and "NET_BIND_SERVICE" are compared exactly, as
 * upstream does: drop: [all] does not drop all.
 * ---------------------------------------------------------------------- */

static bool drops_all(const kh_node *caps)
{
    const kh_node *drop = kh_node_get(caps, "drop");
    for (size_t i = 0; kh_node_is_seq(drop) && i < drop->len; i++)
        if (strcmp(kh_pss__str(kh_node_at(drop, i)), "ALL") == 0)
            return true;
    return false;
}

static void capabilities_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                             const kh_node *sc, const kh_container *c)
{
    const kh_node *caps = kh_node_get(sc, "capabilities");
    if (!drops_all(caps))
        kh_rule__report(ctx, obj,
                        kh_pss__deepest_key(c->node, "securityContext.capabilities.drop",
                                            c->node),
                        kh_rule__container_path(ctx, &pod->ps, c,
                                                "securityContext.capabilities.drop"),
                        "unrestricted capabilities (container \"%s\" must set "
                        "securityContext.capabilities.drop=[\"ALL\"])", c->name);
    const kh_node *add = kh_node_get(caps, "add");
    for (size_t i = 0; kh_node_is_seq(add) && i < add->len; i++) {
        const kh_node *cap = kh_node_at(add, i);
        if (strcmp(kh_pss__str(cap), "NET_BIND_SERVICE") == 0)
            continue;
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "securityContext.capabilities.add[%zu]", i);
        kh_rule__report(ctx, obj, cap, kh_rule__container_path(ctx, &pod->ps, c, suffix),
                        "unrestricted capabilities (container \"%s\" must not include \"%s\" "
                        "in securityContext.capabilities.add)", c->name, kh_pss__str(cap));
    }
}

void kh_pss__capabilities_restricted(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = checked_pod(ctx, obj, 22, true);
    for (size_t i = 0; pod && i < pod->n; i++)
        capabilities_one(ctx, obj, pod, pod->sc[i], &pod->c[i]);
}

/* ------------------------------------------------------------------------
 * /proc mount (check_procMount_restricted: v1.35). Baseline lets
 * user-namespace pods unmask /proc from v1.35; restricted still does not.
 * ---------------------------------------------------------------------- */

void kh_pss__proc_mount_restricted(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = checked_pod(ctx, obj, 35, false);
    if (pod)
        kh_pss__proc_mount(ctx, obj, pod);
}
