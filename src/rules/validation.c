/*
 * validation.c -- pod specs the API server's validation rejects before any
 * admission plugin sees them (k8s.io/kubernetes pkg/apis/core/validation).
 *
 * Pod Security admission judges only objects that passed validation, so
 * on some invalid ones its verdict says "allowed" (a Windows pod with an
 * Unconfined seccomp profile at restricted; a volume with both emptyDir
 * and hostPath). These rules say instead that the object would be
 * rejected, and why: spec.os (validateOS, validateWindows, validateLinux)
 * and one source per volume (validateVolumeSource). They run on Pods and
 * on every pod template, as ValidatePodSpec does; a field counts as set
 * when present and not null, as a Go pointer or slice decoded from it is
 * non-nil. The pod spec and the containers' securityContexts come from
 * the object's shared pod view (kh_rule__pod), walked once for all checks.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

static bool set(const kh_node *n)
{
    return n && n->type != KH_NODE_NULL;
}

/* ------------------------------------------------------------------------
 * Fields forbidden by the pod's OS (validateWindows, validateLinux)
 * ---------------------------------------------------------------------- */

/* spec.securityContext fields a Windows pod may not set. */
static const char *const windows_pod_fields[] = {
    "appArmorProfile", "seLinuxOptions", "seccompProfile", "fsGroup", "fsGroupChangePolicy",
    "sysctls", "runAsUser", "runAsGroup", "supplementalGroups", "supplementalGroupsPolicy",
    "seLinuxChangePolicy",
};

/* Container securityContext fields a Windows pod may not set. */
static const char *const windows_container_fields[] = {
    "appArmorProfile", "seLinuxOptions", "seccompProfile", "capabilities",
    "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation", "procMount",
    "runAsUser", "runAsGroup",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void forbidden(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *map,
                      const char *key, const char *path, const char *who, const char *os)
{
    kh_rule__report(ctx, obj, kh_rule__key(map, key), path,
                    "%s sets %s, which the API server rejects for a %s pod (\"cannot be set "
                    "for a %s pod\"): remove it, or correct spec.os.name",
                    who, key, os, os);
}

static void windows_fields(kh_rule_ctx *ctx, const kh_object *obj, const kh_podview *pod)
{
    const kh_podspec *ps = &pod->ps;
    const kh_node *psc = pod->psc;
    for (size_t i = 0; i < COUNT(windows_pod_fields); i++) {
        const kh_node *v = kh_node_get(psc, windows_pod_fields[i]);
        /* sysctls is checked by length, the others as pointers */
        if (!set(v) || (strcmp(windows_pod_fields[i], "sysctls") == 0 &&
                        !(kh_node_is_seq(v) && v->len > 0)))
            continue;
        forbidden(ctx, obj, psc, windows_pod_fields[i],
                  kh_arena_printf(ctx->arena, "%s.securityContext.%s", ps->path,
                                  windows_pod_fields[i]),
                  "pod", "windows");
    }
    /* Pod-level fields kept in the internal PodSecurityContext. */
    static const char *const spec_fields[] = {"hostUsers", "hostPID", "hostIPC",
                                              "shareProcessNamespace"};
    for (size_t i = 0; i < COUNT(spec_fields); i++) {
        const kh_node *v = kh_node_get(ps->spec, spec_fields[i]);
        /* hostPID and hostIPC are plain bools: only true is set */
        if (i == 1 || i == 2 ? !kh_node_is_true(v) : !set(v))
            continue;
        forbidden(ctx, obj, ps->spec, spec_fields[i],
                  kh_arena_printf(ctx->arena, "%s.%s", ps->path, spec_fields[i]), "pod",
                  "windows");
    }
    for (size_t n = 0; n < pod->n; n++) {
        const kh_container *c = &pod->c[n];
        const kh_node *sc = pod->sc[n];
        const char *who = kh_arena_printf(ctx->arena, "container \"%s\"", c->name);
        for (size_t i = 0; i < COUNT(windows_container_fields); i++) {
            if (!set(kh_node_get(sc, windows_container_fields[i])))
                continue;
            char suffix[64];
            snprintf(suffix, sizeof(suffix), "securityContext.%s", windows_container_fields[i]);
            forbidden(ctx, obj, sc, windows_container_fields[i],
                      kh_rule__container_path(ctx, ps, c, suffix), who, "windows");
        }
    }
}

static void linux_fields(kh_rule_ctx *ctx, const kh_object *obj, const kh_podview *pod)
{
    const kh_podspec *ps = &pod->ps;
    const kh_node *psc = pod->psc;
    if (set(kh_node_get(psc, "windowsOptions")))
        forbidden(ctx, obj, psc, "windowsOptions",
                  kh_arena_printf(ctx->arena, "%s.securityContext.windowsOptions", ps->path),
                  "pod", "linux");
    for (size_t n = 0; n < pod->n; n++) {
        const kh_container *c = &pod->c[n];
        const kh_node *sc = pod->sc[n];
        if (set(kh_node_get(sc, "windowsOptions")))
            forbidden(ctx, obj, sc, "windowsOptions",
                      kh_rule__container_path(ctx, ps, c, "securityContext.windowsOptions"),
                      kh_arena_printf(ctx->arena, "container \"%s\"", c->name), "linux");
    }
}

void kh_manifest__invalid_pod_os_fields(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_podview *pod = kh_rule__pod(ctx, obj);
    if (!pod)
        return;
    const kh_node *os = kh_node_get(pod->ps.spec, "os");
    if (!set(os))
        return;
    const kh_node *name = kh_node_get(os, "name");
    const char *value = kh_node_str(name);
    const char *path = kh_arena_printf(ctx->arena, "%s.os.name", pod->ps.path);
    if (!value || !*value) {
        const kh_node *at = kh_rule__key(os, "name");
        kh_rule__report(ctx, obj, at ? at : kh_rule__key(pod->ps.spec, "os"), path,
                        "spec.os.name is empty, which the API server rejects (\"cannot be "
                        "empty\"): set it to linux or windows, or remove spec.os");
    } else if (strcmp(value, "windows") == 0) {
        windows_fields(ctx, obj, pod);
    } else if (strcmp(value, "linux") == 0) {
        linux_fields(ctx, obj, pod);
    } else {
        kh_rule__report(ctx, obj, kh_rule__key(os, "name"), path,
                        "spec.os.name \"%s\" is not an OS the API server accepts (supported "
                        "values: \"linux\", \"windows\", in lower case)", value);
    }
}

/* ------------------------------------------------------------------------
 * One source per volume (validateVolumeSource)
 * ---------------------------------------------------------------------- */

/* Every volume source, in the order validation counts them: the first one
 * set is the volume's source, each further one is an error. */
static const char *const volume_sources[] = {
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore",
    "secret", "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd",
    "cinder", "cephfs", "quobyte", "downwardAPI", "fc", "flexVolume", "configMap",
    "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk",
    "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
};

void kh_manifest__volume_multiple_sources(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_podview *pod = kh_rule__pod(ctx, obj);
    if (!pod)
        return;
    const kh_podspec *ps = &pod->ps;
    const kh_node *volumes = kh_node_get(ps->spec, "volumes");
    for (size_t i = 0; kh_node_is_seq(volumes) && i < volumes->len; i++) {
        const kh_node *vol = kh_node_at(volumes, i);
        const char *first = NULL;
        for (size_t k = 0; k < COUNT(volume_sources); k++) {
            if (!set(kh_node_get(vol, volume_sources[k])))
                continue;
            if (!first) {
                first = volume_sources[k];
                continue;
            }
            kh_rule__report(ctx, obj, kh_rule__key(vol, volume_sources[k]),
                            kh_arena_printf(ctx->arena, "%s.volumes[%zu].%s", ps->path, i,
                                            volume_sources[k]),
                            "volume \"%s\" sets %s besides %s, which the API server rejects "
                            "(\"may not specify more than 1 volume type\"): keep one source "
                            "per volume",
                            kh_pss__str(kh_node_get(vol, "name")), volume_sources[k], first);
        }
    }
}
